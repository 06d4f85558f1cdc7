//! Issue 26 (first part): a code's numbered clauses and the references
//! between them are structure `check` holds — a reference to a clause that
//! does not exist, numbering that skips, repeats or goes back, and a draft
//! still citing a clause by the number it had in the version it
//! supersedes. Citations of other documents' clauses are left alone.

mod common;

use common::*;
use std::path::Path;

const DAR_YAML: &str = "id: dar\ntitle: Data Access Rules\nowner: Northern Code Administration Ltd\nclassification: Public\napprover: The Authority\n";

fn v1_2() -> String {
    "---\nversion: \"1.2\"\nstatus: approved\neffective: 2025-04-01\napproved: {by: The Authority, on: 2025-03-01}\nsummary: Access logs.\n---\n\
# 1. Purpose\n\n1.1 These rules govern access to Consumption Data.\n\n\
# 2. Definitions\n\n2.1 Terms have the meaning given in the Code.\n\n\
# 3. Access\n\n\
3.1 A Party may request access.\n\n\
3.2 The Code Administrator shall answer within ten days.\n\n\
3.3 Access logs are kept for two years.\n\n\
3.4 A refusal gives its reasons.\n\n\
3.5 Appeals go to the Panel.\n\n\
# 4. Records\n\n\
4.1 The logs described in clause 3.3 are open to the Authority, as ETMAD clauses 4.2 to 4.5 (inclusive) and SEC Appendix AS ‘Access Document’ clause 9.1 require.\n"
        .to_string()
}

/// v2.0: a clause inserted as 3.2; the old 3.2 to 3.5 renumbered 3.3 to
/// 3.6; clause 4.1 still citing 3.3, and a clause 4.9 that does not exist.
fn v2_0(reference: &str, extra: &str) -> String {
    format!(
        "---\nversion: \"2.0\"\nstatus: draft\neffective: 2030-12-31\nsupersedes: \"1.2\"\nsummary: Requests in writing.\n---\n\
# 1. Purpose\n\n1.1 These rules govern access to Consumption Data.\n\n\
# 2. Definitions\n\n2.1 Terms have the meaning given in the Code.\n\n\
# 3. Access\n\n\
3.1 A Party may request access.\n\n\
3.2 A request is made in writing.\n\n\
3.3 The Code Administrator shall answer within ten days.\n\n\
3.4 Access logs are kept for two years.\n\n\
3.5 A refusal gives its reasons.\n\n\
3.6 Appeals go to the Panel.\n\n\
# 4. Records\n\n\
4.1 The logs described in clause {reference} are open to the Authority, as ETMAD clauses 4.2 to 4.5 (inclusive) and SEC Appendix AS ‘Access Document’ clause 9.1 require.{extra}\n"
    )
}

fn dar(v2: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("documents/dar/document.yaml"), DAR_YAML);
    write(&tmp.path().join("documents/dar/v1.2.md"), &v1_2());
    write(&tmp.path().join("documents/dar/v2.0.md"), v2);
    tmp
}

fn check(dir: &Path) -> (i32, String) {
    let o = regdoc_in(dir, &["check", "--format", "github"]);
    (o.status.code().unwrap(), stdout(&o) + &stderr(&o))
}

#[test]
fn a_stale_and_a_dangling_reference_fail_check_with_the_new_number() {
    let tmp = dar(&v2_0("3.3", " See also clause 4.9."));
    let (code, out) = check(tmp.path());
    assert_eq!(code, 1, "{out}");
    // Located at the reference, naming what it meant and its new number.
    let line = v2_0("3.3", "")
        .lines()
        .position(|l| l.starts_with("4.1 "))
        .unwrap()
        + 1;
    let col = "4.1 The logs described in ".chars().count() + 1;
    assert!(
        out.contains(&format!(
            "file=documents/dar/v2.0.md,line={line},col={col},title=clauses/stale-reference"
        )),
        "{out}"
    );
    assert!(
        out.contains("clause 4.1 cites 3.3, which was \"access logs are kept for two years.…\" in v1.2 and is 3.4 in v2.0"),
        "{out}"
    );
    assert!(
        out.contains("clauses/dangling-reference")
            && out.contains("clause 4.9 does not exist in version 2.0"),
        "{out}"
    );
    // Other documents' clauses (ETMAD 4.2 to 4.5, SEC … 9.1) are not this one's.
    assert!(
        !out.contains("4.5 does not exist") && !out.contains("9.1"),
        "{out}"
    );
    // Fixed: clean.
    let fixed = dar(&v2_0("3.4", ""));
    let (code, out) = check(fixed.path());
    assert!(!out.contains("clauses/"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn numbering_that_skips_repeats_or_goes_back_is_an_error() {
    let body = "# 3. Access\n\n3.1 One.\n\n3.2 Two.\n\n3.4 Four.\n\n3.4 Again.\n\n3.3 Back.\n\n(a) first;\n\n(c) third.\n\n# 5. Next\n\n5.1 Five.\n\n# Schedule 1\n\n# 1. Restart\n\n1.1 Fine after a schedule heading.\n";
    let tmp = workspace(&[("v1.0.md", &version_file("1.0", "draft", body))]);
    let (code, out) = check(tmp.path());
    assert_eq!(code, 1, "{out}");
    for said in [
        "clause 3.4 follows 3.2: 3.3 is missing",
        "clause 3.4 is numbered again: it follows 3.4",
        "clause 3.3 goes back: it follows 3.4",
        "clause 3.3(c) follows 3.3(a): 3.3(b) is missing",
        "clause 5 follows 3: 4 is missing",
    ] {
        assert!(out.contains(said), "expected {said:?} in {out}");
    }
    assert!(
        !out.contains("clause 1 goes back"),
        "a schedule restarts numbering: {out}"
    );
    assert_eq!(out.matches("clauses/numbering").count(), 5, "{out}");
}

#[test]
fn the_emrr_and_unnumbered_documents_are_clean() {
    let o = regdoc(&["check", "--deny-warnings"]);
    assert_ok(&o);
    // Without numbered clauses there is nothing to hold references to.
    let tmp = workspace(&[(
        "v1.0.md",
        &version_file("1.0", "draft", "# Scope\n\nSee section 2 and clause 9.\n"),
    )]);
    let (_, out) = check(tmp.path());
    assert!(!out.contains("clauses/"), "{out}");
}

#[test]
fn hostile_numbers_and_references_are_bounded() {
    let deep = format!("{} deep.", "1.".repeat(10_000) + "1");
    let long = format!("{}.1 long.", "9".repeat(1_000));
    let many = format!("1.1 {}", "see clause 1.1 ".repeat(100_000));
    let body =
        format!("# 1. A\n\n{deep}\n\n{long}\n\n{many}\n\n1.2 Refers to itself: clause 1.2.\n");
    let tmp = workspace(&[("v1.0.md", &version_file("1.0", "draft", &body))]);
    let start = std::time::Instant::now();
    let (code, out) = check(tmp.path());
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(code, 0 | 1), "{out}");
    assert!(!out.contains("panicked"), "{out}");
}

/// Defined terms: a definitions table (or `"Term" means …`) gives the
/// version's terms; one defined but unused, and a capitalised phrase used
/// as a term but defined nowhere, are warnings. A version that defines no
/// terms (the EMRR) is not held to any.
#[test]
fn defined_terms_unused_and_undefined_are_warnings() {
    let body = "# 1. Definitions\n\n| Term | Meaning |\n|---|---|\n| Access Request | An application for Consumption Data. |\n| Consumption Data | Readings of a meter. |\n| Data Controller | The person who decides. |\n\n1.1 \"Panel Member\" means a member of the Panel.\n\n# 2. Access\n\n2.1 A Party may make an Access Request for a Permitted Purpose.\n\n2.2 A Panel Member may review each Access Request made for a Permitted Purpose.\n\n2.3 Northern Code Administration Ltd publishes the rules.\n";
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("documents/dar/document.yaml"), DAR_YAML);
    write(
        &tmp.path().join("documents/dar/v1.0.md"),
        &format!(
            "---\nversion: \"1.0\"\nstatus: draft\neffective: 2030-12-31\nsummary: S.\n---\n{body}"
        ),
    );
    let (_, out) = check(tmp.path());
    assert!(
        out.contains("terms/unused") && out.contains("\"Data Controller\" is defined but not used"),
        "{out}"
    );
    assert!(
        out.contains("terms/undefined")
            && out.contains(
                "\"Permitted Purpose\" is used as a defined term (2 times) but defined nowhere"
            ),
        "{out}"
    );
    // Defined terms, the owner's name, and plain words are no findings.
    for quiet in [
        "\"Access Request\" is used",
        "\"Consumption Data\" is defined but",
        "Panel Member\" is defined but",
        "Northern Code",
    ] {
        assert!(!out.contains(quiet), "{quiet}: {out}");
    }
    assert_eq!(out.matches("terms/").count(), 2, "{out}");
}

/// How real codes write, which must give no finding: a section cited
/// whole, sub-clauses running on in their clause's text, a second list in
/// one clause, numbering restarting in an annex, quoted legislation,
/// headings and paragraphs that start with a year or a quantity, a
/// lettered clause, another instrument's section, "Not used." clauses, an
/// amendment history, a table of contents heading.
#[test]
fn the_ways_real_codes_write_give_no_false_findings() {
    let body = "\
# 1. Introduction

1.1 This code applies as set out in clause 4 and clause 3.1(a).

# 2. Not used

2.1 Not used.

# 3. Obligations

3.1 The Party shall (a) keep records; and (b) publish them, as section 2 of the relevant Licence requires.

3.2 Where the Party acts, it shall:

(a) notify;

(b) record.

Where it does not, it shall:

(a) say why.

3.3 Not used.

> 1.1 Quoted legislation numbered as the Act numbers it.
> 7.3 And so on.

# 4. Reports

4.1 A report is due monthly; see clause 4.1A of the Grid Code and paragraph 9 of the direction.

2.5 GW of capacity is reported each year.

# 2024 Review

4.2 Reviews follow clause 4.1.

### Annex A

1.1 The annex numbers its own clauses.

1.2 And continues them.

| Version | Change |
|---|---|
| 1.1 | Clause 4.8 deleted |
";
    let tmp = workspace(&[("v1.0.md", &version_file("1.0", "draft", body))]);
    let (_, out) = check(tmp.path());
    assert!(!out.contains("clauses/"), "{out}");
}

/// A finding in an approved version, whose text the gate keeps as it is,
/// is a warning: it cannot be fixed there, only in the next version.
#[test]
fn findings_in_an_approved_version_are_warnings() {
    let body = "# 1. A\n\n1.1 One, see clause 1.9.\n\n1.3 Three.\n";
    let tmp = workspace(&[("v1.0.md", &version_file("1.0", "approved", body))]);
    let o = regdoc_in(tmp.path(), &["check", "--format", "github"]);
    let out = stdout(&o);
    assert!(
        out.contains("::warning") && out.contains("clauses/dangling-reference"),
        "{out}"
    );
    assert!(out.contains("clauses/numbering"), "{out}");
    assert!(
        !out.contains("::error file=documents/x/v1.0.md") || !out.contains("title=clauses/"),
        "{out}"
    );
}
