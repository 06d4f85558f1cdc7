//! Helpers shared by the integration tests: run the real binary, read PDFs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `regdoc` with `args` in `cwd`.
pub fn regdoc_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regdoc"))
        .args(args)
        .current_dir(cwd)
        .env_remove("SOURCE_DATE_EPOCH")
        .env("NO_COLOR", "1")
        .output()
        .expect("run regdoc")
}

/// Runs `regdoc` in the repository root.
pub fn regdoc(args: &[&str]) -> Output {
    regdoc_in(&repo(), args)
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
pub fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "regdoc failed ({:?}):\n{}\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    );
}

/// Text of a PDF (or of one page) through poppler's pdftotext, the tool
/// reviewers use. CI installs poppler-utils; a missing tool fails loudly.
pub fn pdf_text(pdf: &Path, page: Option<usize>) -> String {
    let mut cmd = Command::new("pdftotext");
    if let Some(p) = page {
        cmd.args(["-f", &p.to_string(), "-l", &p.to_string()]);
    }
    let out = cmd
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext is needed by the tests: apt-get install poppler-utils");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Words of a text, whitespace folded.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Number of pages, from the PDF itself.
pub fn page_count(pdf: &Path) -> usize {
    lopdf::Document::load(pdf)
        .expect("valid PDF")
        .get_pages()
        .len()
}

/// A custom or standard entry of the PDF Info dictionary, as text.
pub fn info(pdf: &Path, key: &str) -> Option<String> {
    let doc = lopdf::Document::load(pdf).expect("valid PDF");
    let id = doc.trailer.get(b"Info").ok()?.as_reference().ok()?;
    let dict = doc.get_object(id).ok()?.as_dict().ok()?;
    let obj = dict.get(key.as_bytes()).ok()?;
    let bytes = obj.as_str().ok()?;
    Some(decode_pdf_string(bytes))
}

fn decode_pdf_string(b: &[u8]) -> String {
    if b.starts_with(&[0xFE, 0xFF]) {
        let units: Vec<u16> = b[2..]
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(b).into_owned()
    }
}

/// Copies the bundled documents into a fresh folder, for tests that edit.
pub fn copy_documents(to: &Path) -> PathBuf {
    let dest = to.join("documents");
    copy_dir(&repo().join("documents"), &dest);
    dest
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Makes a named pipe at `path`.
pub fn mkfifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap();
    assert!(made.success(), "mkfifo {}", path.display());
}

/// Writes a file, creating folders.
pub fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

pub const DOC_YAML: &str =
    "id: x\ntitle: Test Document\nowner: DCC\nclassification: DCC Public\napprover: DESNZ\n";

/// A workspace holding document `x` (`DOC_YAML`) made of `files`
/// (name, text).
pub fn workspace(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(&tmp.path().join("documents/x/document.yaml"), DOC_YAML);
    for (name, text) in files {
        write(&tmp.path().join("documents/x").join(name), text);
    }
    tmp
}

/// A minimal valid version file with `body`.
pub fn version_file(version: &str, status: &str, body: &str) -> String {
    let approved = if status == "draft" {
        ""
    } else {
        "approved: {by: DESNZ, on: 2024-01-01}\n"
    };
    format!(
        "---\nversion: \"{version}\"\nstatus: {status}\neffective: 2024-02-01\n{approved}summary: Test version {version}.\n---\n{body}"
    )
}

/// Renders one page with pdftoppm at low resolution: (width, height, RGB).
pub fn page_rgb(pdf: &Path, page: usize) -> (usize, usize, Vec<u8>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("p");
    let out = Command::new("pdftoppm")
        .args([
            "-r",
            "24",
            "-singlefile",
            "-f",
            &page.to_string(),
            "-l",
            &page.to_string(),
        ])
        .arg(pdf)
        .arg(&root)
        .output()
        .expect("pdftoppm is needed by the tests: apt-get install poppler-utils");
    assert!(out.status.success(), "pdftoppm failed");
    let data = std::fs::read(root.with_extension("ppm")).unwrap();
    // Binary PPM: "P6\n<w> <h>\n255\n" then RGB bytes.
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    let (w, h) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    (w, h, data[i + 1..].to_vec())
}

/// Share of pixels in the middle of a page tinted like the DRAFT
/// watermark (light red: red well above green, green and blue alike).
pub fn watermark_share(pdf: &Path, page: usize) -> f64 {
    let (w, h, rgb) = page_rgb(pdf, page);
    let (mut tinted, mut total) = (0usize, 0usize);
    for y in h / 4..3 * h / 4 {
        for x in w / 5..4 * w / 5 {
            let p = 3 * (y * w + x);
            let (r, g, b) = (rgb[p] as i32, rgb[p + 1] as i32, rgb[p + 2] as i32);
            total += 1;
            if r > 235 && r - g > 12 && (g - b).abs() <= 6 {
                tinted += 1;
            }
        }
    }
    tinted as f64 / total as f64
}

/// Runs git in `dir` with a throwaway identity; panics on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args([
            "-c",
            "user.email=t@example.org",
            "-c",
            "user.name=T",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run git");
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// One part of a Word file (`word/document.xml`…), through unzip, which
/// CI installs.
pub fn docx_part(docx: &Path, part: &str) -> String {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(docx)
        .arg(part)
        .output()
        .expect("unzip is needed by the tests: apt-get install unzip");
    assert!(out.status.success(), "no {part} in {}", docx.display());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A copy of a Word file with `edit` applied to each part's bytes.
pub fn rewrite_docx(docx: &[u8], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        let bytes = edit(&name, bytes);
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// A copy of a response template filled in as a Word user fills it: each
/// `(label, answer)` typed into the answer cell of the row with that
/// label; a line break in the answer starts a new paragraph (Enter).
pub fn fill_template(template: &[u8], answers: &[(&str, &str)]) -> Vec<u8> {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    rewrite_docx(template, |name, bytes| {
        if name != "word/document.xml" {
            return bytes;
        }
        let mut xml = String::from_utf8(bytes).unwrap();
        let empty = "<w:t xml:space=\"preserve\"></w:t>";
        for (label, answer) in answers {
            let at = xml
                .find(&format!(">{}</w:t>", esc(label)))
                .unwrap_or_else(|| panic!("no row {label}"));
            let cell_end = at + xml[at..].find("</w:tc>").unwrap();
            let slot = cell_end + xml[cell_end..].find(empty).unwrap();
            let mut text = String::new();
            for (i, para) in answer.split('\n').enumerate() {
                if i > 0 {
                    text.push_str("</w:t></w:r></w:p><w:p><w:r><w:t xml:space=\"preserve\">");
                }
                text.push_str(&esc(para));
            }
            xml.replace_range(
                slot..slot + empty.len(),
                &format!("<w:t xml:space=\"preserve\">{text}</w:t>"),
            );
        }
        xml.into_bytes()
    })
}

/// What regdoc seals the files it keeps in `out/` with (`fsutil::seal`):
/// HMAC-SHA-256 under this machine's key, read where regdoc keeps it. For
/// tests that forge an entry as only this machine's regdoc could.
pub fn seal(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let dir = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute())
        .or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .filter(|d| d.is_absolute())
                .map(|h| h.join(".local/state"))
        })
        .map(|d| d.join("regdoc"))
        .unwrap_or_else(|| {
            // SAFETY: getuid has no preconditions.
            let uid = unsafe { libc::getuid() };
            std::env::temp_dir().join(format!("regdoc-state-{uid}"))
        });
    let key = std::fs::read(dir.join("machine.key")).expect("regdoc made its key");
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(&key);
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(bytes)
        .finalize();
    let outer = Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize();
    outer.iter().map(|b| format!("{b:02x}")).collect()
}

/// A journal as a regdoc killed on this machine leaves it in `dir`: its
/// folder by device and inode, and sealed (`fsutil`'s format).
pub fn journal_left_by_a_kill(dir: &Path, renames: &[(&str, &str)], removals: &[&str]) -> String {
    #[cfg(unix)]
    let folder = {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(dir).unwrap();
        format!("{}:{}", m.dev(), m.ino())
    };
    #[cfg(not(unix))]
    let folder = dir.canonicalize().unwrap().display().to_string();
    let renames: Vec<(String, String)> = renames
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let removals: Vec<String> = removals.iter().map(|r| r.to_string()).collect();
    let sealed = seal(&serde_json::to_vec(&(&folder, &renames, &removals)).unwrap());
    serde_json::json!({"folder": folder, "renames": renames, "removals": removals, "seal": sealed})
        .to_string()
}
