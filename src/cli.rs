//! The command line: parses arguments and wires the library together.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use regdoc::build;
use regdoc::diff;
use regdoc::error::{Error, Result};
use regdoc::fsutil::write_atomic;
use regdoc::model::{EffectiveDate, SourceDoc, Status, VersionNumber};
use regdoc::render::typst::Templates;
use regdoc::render::{self, pdf};
use regdoc::source::Workspace;

#[derive(Debug, Parser)]
#[command(
    name = "regdoc",
    version,
    about = "Governed documents as structured source: approved and draft PDFs, mark-ups and reviewer diffs."
)]
pub struct Cli {
    /// The folder of governed documents.
    #[arg(long, global = true, default_value = "documents", value_name = "DIR")]
    pub documents: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every document and version (status, effective date, summary)
    /// and every consultation with its state.
    List {
        /// The date to give states on (YYYY-MM-DD; default today).
        #[arg(long)]
        on: Option<String>,
    },
    /// Render one version's PDF (`emrr@3.0`, or a Markdown file).
    Render {
        /// doc@version, or a Markdown file.
        spec: String,
        /// Output file (default: under out/).
        #[arg(short, long)]
        output: Option<PathBuf>,
        #[command(flatten)]
        tpl: TemplatesArg,
    },
    /// Render the mark-up PDF of NEW against OLD.
    Markup {
        /// The old side: doc@version or a Markdown file.
        old: String,
        /// The new side: doc@version or a Markdown file.
        new: String,
        /// Output file (default: under out/, named as `build` names it).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Column header that identifies table rows (default: the
        /// document's `table_key`, else the first column).
        #[arg(long, value_name = "HEADER")]
        table_key: Option<String>,
        #[command(flatten)]
        tpl: TemplatesArg,
    },
    /// Compare two versions (doc@version, a Markdown file, or REV:path).
    Diff(DiffArgs),
    /// Validate every document (or the folders given): the CI gate.
    Check(CheckArgs),
    /// Start the next draft of a document from its latest version, or
    /// (with --title) a new document.
    New {
        /// The document id, e.g. emrr.
        id: String,
        /// The new version (default: the next minor version).
        #[arg(long)]
        version: Option<String>,
        /// Proposed effective date (default: the day after the latest's,
        /// and never before tomorrow).
        #[arg(long)]
        effective: Option<String>,
        /// Start a new document with this title (with --owner,
        /// --classification and --approver): document.yaml and v1.0.
        #[arg(long)]
        title: Option<String>,
        /// A new document's owner (with --title).
        #[arg(long, requires = "title")]
        owner: Option<String>,
        /// A new document's classification, as its pages print it (with --title).
        #[arg(long, requires = "title")]
        classification: Option<String>,
        /// Who approves a new document's versions (with --title).
        #[arg(long, requires = "title")]
        approver: Option<String>,
    },
    /// Record the approval of a draft and supersede its predecessor.
    Approve {
        /// The draft, as doc@version.
        spec: String,
        /// Who approved it: must be the approver document.yaml names
        /// (the default).
        #[arg(long)]
        by: Option<String>,
        /// When it was approved (YYYY-MM-DD).
        #[arg(long)]
        on: String,
        /// The date it takes effect, if not the proposed one.
        #[arg(long)]
        effective: Option<String>,
    },
    /// Which version is (or was) in force on a date.
    At {
        /// The document id, e.g. emrr.
        id: String,
        /// The date, YYYY-MM-DD (default: today).
        date: Option<String>,
    },
    /// Build every version, every mark-up and every consultation pack
    /// (PDF and response template) into a folder.
    Build {
        /// The folder to build into: one folder per document.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Print only errors and what was removed (no progress bar either).
        #[arg(short, long)]
        quiet: bool,
        /// Rebuild everything from scratch, even artefacts whose inputs have
        /// not changed, without the chunks of long documents kept in
        /// OUT/.regdoc-cache (which it writes anew).
        #[arg(long)]
        force: bool,
        /// Keep (and list) outputs of earlier builds that no version
        /// produces any more, such as a draft's PDF after its approval,
        /// instead of removing them.
        #[arg(long)]
        keep_stale: bool,
        #[command(flatten)]
        tpl: TemplatesArg,
    },
    /// Print shell completions for regdoc (source them, or put them where
    /// your shell looks: see the README).
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print regdoc's man page (roff): `regdoc man > regdoc.1`; with
    /// --dir, write it and a page per command (regdoc-diff.1…) there.
    Man {
        /// A folder to write every page into, as `man` finds them
        /// (e.g. ~/.local/share/man/man1).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Collate returned response templates into the consultation report:
    /// published and full editions, each as PDF, CSV and JSON.
    Responses {
        /// The draft consulted on, as doc@version (emrr@3.0).
        spec: String,
        /// The folder of returned response templates (.docx); default:
        /// documents/<doc>/consultations/v<version>-responses/.
        folder: Option<PathBuf>,
        /// Where to write the reports (default: out/<doc>/).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// Collate before the consultation closes (a report of what has
        /// come in so far, said as such).
        #[arg(long)]
        before_close: bool,
        #[command(flatten)]
        tpl: TemplatesArg,
    },
    /// Build, then rebuild what each saved edit of documents/ (or of
    /// --templates) affects, until Ctrl-C. Errors are printed with their
    /// place and the next save tries again.
    Watch {
        /// Where to write (default: out/).
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Build once, print what was written and how long it took, and
        /// exit (0, or 2 if the build failed): for scripts.
        #[arg(long)]
        once: bool,
        #[command(flatten)]
        tpl: TemplatesArg,
    },
    /// Check a version or mark-up PDF against what it embeds: the hashes of
    /// its sources, the redline recomputed from them, the text on its
    /// pages. Exit 0 if all hold, 1 if one does not, 2 if it is no
    /// regdoc PDF.
    Verify {
        /// The PDF to verify.
        pdf: PathBuf,
        /// Also check that the embedded sources are the governed files: in
        /// this documents folder (documents/), or at this git revision
        /// (HEAD, main, a commit).
        #[arg(long, value_name = "DIR|REV")]
        against: Option<String>,
    },
}

/// Arguments of `regdoc diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The old side: doc@version, a Markdown file, or REV:path.
    pub old: String,
    /// The new side: doc@version, a Markdown file, or REV:path.
    pub new: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value = "term")]
    pub format: DiffFormat,
    /// Output file (text formats default to standard output).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Exit with status 1 when the two differ, like `git diff --exit-code`.
    #[arg(long)]
    pub exit_code: bool,
    /// Colour in the terminal format.
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Author of the tracked changes (docx; default: the document owner).
    #[arg(long)]
    pub author: Option<String>,
    /// Column header that identifies table rows (default: the
    /// document's `table_key`, else the first column).
    #[arg(long, value_name = "HEADER")]
    pub table_key: Option<String>,
    /// JSON: leave out `blocks` (both whole documents): only what changed.
    #[arg(long)]
    pub no_blocks: bool,
    /// For --format pdf.
    #[command(flatten)]
    pub tpl: TemplatesArg,
}

/// Arguments of `regdoc check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Document folders (or files in them) to check (default: every one
    /// under --documents).
    pub paths: Vec<PathBuf>,
    /// Also check against this git revision (e.g. origin/main).
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// Output format: for people, GitHub annotations, or JSON.
    #[arg(long, value_enum, default_value = "human")]
    pub format: CheckFormat,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Colour in the human format (auto: on a terminal, unless NO_COLOR).
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// The templates folder the PDFs are built with (--templates of
    /// build), held against --base while a version is approved; default:
    /// templates/ beside the documents folder, if there is one.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// With --base: a change to the templates folder restyles approved
    /// PDFs on purpose (a warning naming them, not an error).
    #[arg(long, requires = "base")]
    pub allow_restyle: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Coloured word diff with heading paths.
    Term,
    /// One self-contained HTML page.
    Html,
    /// CriticMarkup over the new version's Markdown.
    Md,
    /// Versioned JSON (docs/diff-json.md).
    Json,
    /// Word document with tracked changes (needs -o).
    Docx,
    /// The mark-up PDF, as `regdoc markup` writes it (needs -o).
    Pdf,
}

impl DiffFormat {
    /// The renderer's name (`regdoc::render::by_name`).
    fn name(self) -> &'static str {
        match self {
            DiffFormat::Term => "term",
            DiffFormat::Html => "html",
            DiffFormat::Md => "md",
            DiffFormat::Json => "json",
            DiffFormat::Docx => "docx",
            DiffFormat::Pdf => "pdf",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// Diagnostics with the source line underlined.
    Human,
    /// GitHub Actions annotations (::error file=…,line=…::…).
    Github,
    /// JSON for machines.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// Runs the command line; returns the process exit status.
pub fn run(cli: Cli) -> i32 {
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// `--templates`, on the commands that make PDFs.
#[derive(Debug, Clone, clap::Args)]
pub struct TemplatesArg {
    /// A folder of typst templates overriding the built-in ones, file by
    /// file (docs/template-data.md).
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

impl TemplatesArg {
    fn load(&self) -> Result<Templates> {
        match &self.templates {
            Some(dir) => Templates::from_dir(dir),
            None => Ok(Templates::builtin()),
        }
    }
}

fn dispatch(cli: Cli) -> Result<i32> {
    use clap::CommandFactory;
    use std::io::Write;
    // Both are written whole into memory, then out: a closed pipe (`| head`)
    // is not an error worth a message, nor a panic.
    let generated = match &cli.command {
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "regdoc", &mut script);
            Some(script)
        }
        Command::Man { dir: None } => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Error::input(format!("cannot write the man page: {e}")))?;
            Some(page)
        }
        Command::Man { dir: Some(dir) } => {
            // Every page, written together or not at all.
            let top = Cli::command();
            let mut pages: Vec<(String, Vec<u8>)> = Vec::new();
            let mut render = |name: String, cmd: clap::Command| -> Result<()> {
                let mut page = Vec::new();
                clap_mangen::Man::new(cmd.name(name.clone()))
                    .render(&mut page)
                    .map_err(|e| Error::input(format!("cannot write the man page: {e}")))?;
                pages.push((format!("{name}.1"), page));
                Ok(())
            };
            render("regdoc".into(), top.clone())?;
            for sub in top.get_subcommands().filter(|c| c.get_name() != "help") {
                render(format!("regdoc-{}", sub.get_name()), sub.clone())?;
            }
            let mut tx = regdoc::fsutil::Transaction::begin(dir)?;
            for (name, page) in &pages {
                tx.write(&dir.join(name), page)?;
            }
            tx.commit()?;
            for (name, _) in &pages {
                println!("wrote {}", dir.join(name).display());
            }
            return Ok(0);
        }
        _ => None,
    };
    if let Some(bytes) = generated {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&bytes).and_then(|_| out.flush());
        return Ok(0);
    }
    let ws = Workspace::new(&cli.documents);
    match &cli.command {
        Command::List { on } => list(&ws, on.as_deref().map(parse_date).transpose()?),
        Command::Render { spec, output, tpl } => {
            let templates = tpl.load()?;
            let doc = ws.resolve(spec)?;
            let document = ws.owning_document(&doc)?;
            let bytes = pdf::render_version(document.as_ref(), &doc, &templates)?;
            let path = match output {
                Some(p) => p.clone(),
                None => build::default_version_path(&doc),
            };
            write_output(&ws, &path, &bytes)?;
            println!("wrote {}", path.display());
            Ok(0)
        }
        Command::Markup {
            old,
            new,
            output,
            table_key,
            tpl,
        } => {
            // Read (and refused, if unusable) before any work.
            tpl.load()?;
            let a = ws.resolve(old)?;
            let b = ws.resolve(new)?;
            let document = ws.owning_document(&b)?;
            let redline = diff::diff_docs_with(&a, &b, &diff_options(&a, &b, table_key));
            let ctx = render::RenderContext {
                old: &a,
                new: &b,
                redline: &redline,
                document: document.as_ref(),
                options: render::RenderOptions {
                    templates: tpl.templates.clone(),
                    ..Default::default()
                },
            };
            let bytes = render::Renderer::render(&pdf::Markup, &ctx)?;
            let path = match output {
                Some(p) => p.clone(),
                None => build::default_markup_path(&a, &b),
            };
            write_output(&ws, &path, &bytes)?;
            println!("wrote {}", path.display());
            Ok(0)
        }
        Command::Diff(args) => diff_command(&ws, args),
        Command::Check(args) => check_command(&ws, args),
        Command::New {
            id,
            version,
            effective,
            title: Some(title),
            owner,
            classification,
            approver,
        } => {
            if version.is_some() {
                return Err(Error::input(
                    "a new document starts at v1.0: leave out --version",
                ));
            }
            let need = |v: &Option<String>, flag: &str| {
                v.clone().ok_or_else(|| {
                    Error::input(format!("a new document needs {flag} too"))
                        .help("regdoc new ID --title T --owner O --classification C --approver A")
                })
            };
            let info = regdoc::model::DocumentInfo {
                id: id.clone(),
                title: title.clone(),
                short_title: None,
                owner: need(owner, "--owner")?,
                classification: need(classification, "--classification")?,
                approver: need(approver, "--approver")?,
                governed_by: None,
                table_key: None,
                style: None,
            };
            let effective = match effective {
                Some(e) => parse_date(e)?,
                None => today().add_days(1).unwrap_or_else(today),
            };
            outcome(regdoc::lifecycle::new_document(&ws, info, effective)?)
        }
        Command::New {
            id,
            version,
            effective,
            ..
        } => {
            let version = version
                .as_deref()
                .map(str::parse::<VersionNumber>)
                .transpose()
                .map_err(Error::input)?;
            let effective = effective.as_deref().map(parse_date).transpose()?;
            let tomorrow = today().add_days(1);
            outcome(regdoc::lifecycle::new_draft(
                &ws, id, version, effective, tomorrow,
            )?)
        }
        Command::Approve {
            spec,
            by,
            on,
            effective,
        } => {
            let (id, version) = regdoc::source::version_spec(spec)?
                .ok_or_else(|| Error::input(format!("`{spec}` is not doc@version")))?;
            let on = parse_date(on)?;
            let effective = effective.as_deref().map(parse_date).transpose()?;
            // The record holds what happened: an approval on a day still
            // to come is not one.
            if on > today() {
                return Err(regdoc::check::rule_error(format!(
                    "--on {on} is after today ({}): an approval is recorded once it is given; nothing was written",
                    today()
                ))
                .help("approve on the day it is given; --effective sets when it takes effect"));
            }
            outcome(regdoc::lifecycle::approve(
                &ws,
                id,
                &version,
                by.as_deref(),
                on,
                effective,
            )?)
        }
        Command::At { id, date } => {
            let date = match date {
                Some(d) => parse_date(d)?,
                None => today(),
            };
            let doc = ws.load_document(id)?;
            match regdoc::lifecycle::in_force(&doc, date) {
                Some((f, from, until)) => {
                    let range = match until {
                        Some(u) => format!("effective {from} to {u}"),
                        None => format!("effective from {from}, still in force"),
                    };
                    println!(
                        "{id} v{} ({}) on {date}: {range}",
                        f.meta.version, f.meta.status
                    );
                    Ok(0)
                }
                None => {
                    println!("no version of {id} was in force on {date}");
                    Ok(1)
                }
            }
        }
        Command::Completions { .. } | Command::Man { .. } => unreachable!("answered above"),
        Command::Watch { out, once, tpl } => regdoc::watch::watch(
            &ws,
            &regdoc::watch::WatchOptions {
                out: out.clone(),
                templates: tpl.templates.clone(),
                once: *once,
            },
        ),
        Command::Verify { pdf, against } => {
            let against = against.as_deref().map(regdoc::verify::Against::parse);
            let report = regdoc::verify::verify(pdf, against.as_ref())?;
            println!(
                "{}: a {} made by {}",
                regdoc::error::printable(&pdf.display().to_string()),
                match report.artefact {
                    regdoc::provenance::Artefact::Markup => "mark-up",
                    regdoc::provenance::Artefact::Version => "version",
                    regdoc::provenance::Artefact::Consultation => "consultation",
                },
                regdoc::error::printable(&report.generator)
            );
            for c in &report.checks {
                match &c.failure {
                    None => println!(
                        "  ok      {}: {}",
                        c.name,
                        regdoc::error::printable(&c.detail)
                    ),
                    Some(why) => {
                        println!("  FAILED  {}: {}", c.name, regdoc::error::printable(why))
                    }
                }
            }
            Ok(if report.holds() { 0 } else { 1 })
        }
        Command::Responses {
            spec,
            folder,
            out,
            before_close,
            tpl,
        } => {
            let templates = tpl.load()?;
            let (id, version) = regdoc::source::version_spec(spec)?
                .ok_or_else(|| Error::input(format!("`{spec}` is not doc@version")))?;
            let doc = ws.load_document(id)?;
            let c = doc.consultation_on(&version).ok_or_else(|| {
                Error::input(format!("{id} has no consultation on version {version}"))
                    .help("a consultation lives in documents/<id>/consultations/")
            })?;
            // A report collated while responses may still come is not the
            // consultation's: refused unless asked for as such.
            let closes = doc
                .version(&version)
                .and_then(|v| v.meta.consultation.as_ref())
                .map(|c| c.closes);
            if let Some(closes) = closes
                && today() <= closes
            {
                if !before_close {
                    return Err(regdoc::check::rule_error(format!(
                        "the consultation on {id} v{version} closes on {closes} (today is {}): responses may still come",
                        today()
                    ))
                    .help("collate after it closes, or pass --before-close for a report of what has come so far"));
                }
                eprintln!(
                    "note: the consultation closes on {closes}: this report holds the responses received so far"
                );
            }
            let folder = match folder {
                Some(f) => f.clone(),
                None => {
                    let d = regdoc::source::responses_dir(&doc.dir, &version);
                    if !regdoc::source::is_real_dir(&d) {
                        return Err(Error::in_file(
                            &d,
                            "no responses are kept here (the default folder)",
                        )
                        .help(format!(
                            "name the folder of returned templates: regdoc responses {spec} FOLDER"
                        )));
                    }
                    d
                }
            };
            let collation = regdoc::responses::collate(&c.meta, &folder)?;
            // Each file that could not be read is said, with why; the
            // others are still collated.
            for e in &collation.problems {
                eprintln!("{e}");
            }
            for w in &collation.warnings {
                eprintln!("{}", regdoc::error::printable(w));
            }
            let notes: usize = collation.responses.iter().map(|r| r.notes.len()).sum();
            if notes > 0 {
                eprintln!(
                    "note: {notes} reading note(s) (a field missing or not understood): see the full report"
                );
            }
            let out = out.clone().unwrap_or_else(|| PathBuf::from("out").join(id));
            if ws.holds(&out.join("report")) {
                return Err(Error::in_file(
                    &out,
                    "is inside the documents folder: reports never overwrite governed sources",
                ));
            }
            let files = regdoc::responses::outputs(&doc, c, &collation, &templates)?;
            let mut tx = regdoc::fsutil::Transaction::begin(&out)?;
            for (name, bytes) in &files {
                tx.write(&out.join(name), bytes)?;
            }
            tx.commit()?;
            for (name, _) in &files {
                println!("wrote {}", out.join(name).display());
            }
            println!(
                "{} response(s) collated{}",
                collation.responses.len(),
                if collation.problems.is_empty() {
                    String::new()
                } else {
                    format!(", {} file(s) not read", collation.problems.len())
                }
            );
            Ok(if collation.problems.is_empty() { 0 } else { 2 })
        }
        Command::Build {
            out,
            quiet,
            force,
            keep_stale,
            tpl,
        } => {
            let templates = tpl.load()?;
            let opts = build::BuildOptions {
                force: *force,
                progress: !quiet,
                keep_stale: *keep_stale,
            };
            let report = build::build_all(&ws, out, &templates, &opts)?;
            if !quiet {
                for p in &report.written {
                    println!("wrote {}", p.display());
                }
                for p in &report.unchanged {
                    println!("up to date {}", p.display());
                }
            }
            // Always said, even with --quiet: files appeared or vanished.
            for p in &report.removed {
                println!("removed {} (no version produces it any more)", p.display());
            }
            for p in &report.stale {
                eprintln!(
                    "stale {}: no version produces it any more (kept: --keep-stale)",
                    p.display()
                );
            }
            Ok(0)
        }
    }
}

/// Writes an output, never into the documents folder: `-o
/// documents/emrr/v2.0.md` would overwrite an approved version.
fn write_output(ws: &Workspace, path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    if ws.holds(path) {
        return Err(Error::in_file(
            path,
            format!(
                "is inside {}: outputs never overwrite governed sources",
                ws.root().display()
            ),
        )
        .help("write it elsewhere, e.g. under out/"));
    }
    write_atomic(path, bytes)
}

/// `regdoc diff`: one redline, in the format asked for.
fn diff_command(ws: &Workspace, args: &DiffArgs) -> Result<i32> {
    if args.no_blocks && args.format.name() != "json" {
        return Err(Error::input("--no-blocks is an option of --format json"));
    }
    if args.tpl.templates.is_some() && args.format.name() != "pdf" {
        return Err(Error::input(
            "--templates is an option of --format pdf (the typst templates)",
        ));
    }
    let a = ws.resolve(&args.old)?;
    let b = ws.resolve(&args.new)?;
    let redline = diff::diff_docs_with(&a, &b, &diff_options(&a, &b, &args.table_key));
    let renderer = render::by_name(args.format.name())
        .ok_or_else(|| Error::input(format!("no renderer for {}", args.format.name())))?;
    if renderer.binary() && args.output.is_none() {
        return Err(Error::input(format!(
            "the {} format needs an output file: add -o FILE.{}",
            renderer.name(),
            renderer.name()
        )));
    }
    let document = ws.owning_document(&b)?;
    let ctx = render::RenderContext {
        old: &a,
        new: &b,
        redline: &redline,
        document: document.as_ref(),
        options: render::RenderOptions {
            color: args.output.is_none() && use_color(args.color, &std::io::stdout())
                || args.color == ColorChoice::Always,
            author: args.author.clone(),
            templates: args.tpl.templates.clone(),
            no_blocks: args.no_blocks,
        },
    };
    let bytes = renderer.render(&ctx)?;
    match &args.output {
        Some(p) => {
            write_output(ws, p, &bytes)?;
            eprintln!("wrote {}", p.display());
        }
        None => {
            use std::io::{IsTerminal, Write};
            // On a terminal, text formats show control characters escaped
            // (an ESC in a document could hide what follows); into a pipe
            // or a file they stay data.
            // (The terminal format escapes its own text and colours it.)
            let shown = if std::io::stdout().is_terminal()
                && !renderer.binary()
                && renderer.name() != "term"
            {
                std::borrow::Cow::Owned(
                    regdoc::error::printable(&String::from_utf8_lossy(&bytes)).into_bytes(),
                )
            } else {
                std::borrow::Cow::Borrowed(&bytes)
            };
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = out.write_all(&shown).and_then(|_| out.flush());
        }
    }
    let status = if args.exit_code && !redline.is_empty() {
        1
    } else {
        0
    };
    // The process ends here: freeing two documents and their comparison
    // piece by piece would take a tenth of a large diff's time.
    std::mem::forget((a, b, redline, bytes));
    Ok(status)
}

/// `regdoc check`: every rule, reported for people, GitHub or machines.
fn check_command(ws: &Workspace, args: &CheckArgs) -> Result<i32> {
    let opts = regdoc::check::Options {
        base: args.base.clone(),
        only: args.paths.clone(),
        today: Some(today()),
        appearance: regdoc::check::appearance::Appearance {
            templates: args.templates.clone(),
            allow_restyle: args.allow_restyle,
        },
    };
    let report = regdoc::check::check(ws, &opts)?;
    let text = match args.format {
        CheckFormat::Human => {
            regdoc::check::report::human(&report, use_color(args.color, &std::io::stderr()))
        }
        CheckFormat::Github => regdoc::check::report::github(&report),
        CheckFormat::Json => regdoc::check::report::json(&report),
    };
    match args.format {
        CheckFormat::Human => eprint!("{text}"),
        _ => print!("{text}"),
    }
    Ok(regdoc::check::exit_code(&report, args.deny_warnings))
}

fn diff_options(a: &SourceDoc, b: &SourceDoc, table_key: &Option<String>) -> diff::DiffOptions {
    let mut opts = diff::DiffOptions::for_docs(a, b);
    if table_key.is_some() {
        opts.table_key = table_key.clone();
    }
    opts
}

fn parse_date(s: &str) -> Result<EffectiveDate> {
    s.parse().map_err(Error::input)
}

fn use_color(choice: ColorChoice, stream: &impl std::io::IsTerminal) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            stream.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// Prints what a lifecycle command wrote, or why it refused.
fn outcome(o: regdoc::lifecycle::Outcome) -> Result<i32> {
    match o {
        regdoc::lifecycle::Outcome::Written(paths) => {
            for p in paths {
                println!("wrote {}", p.display());
            }
            Ok(0)
        }
        regdoc::lifecycle::Outcome::Refused(report) => {
            eprint!(
                "{}",
                regdoc::check::report::human(
                    &report,
                    use_color(ColorChoice::Auto, &std::io::stderr())
                )
            );
            eprintln!("refused: nothing was written");
            Ok(1)
        }
    }
}

fn list(ws: &Workspace, on: Option<EffectiveDate>) -> Result<i32> {
    let on = on.unwrap_or_else(today);
    let docs = ws.load_all()?;
    if docs.is_empty() {
        println!("no documents under {}", ws.root().display());
    }
    for d in &docs {
        // Titles and summaries are document text: escaped for the terminal.
        let p = regdoc::error::printable;
        println!(
            "{} — {} ({}, {})",
            d.info.id,
            p(&d.info.title),
            p(&d.info.owner),
            p(&d.info.classification)
        );
        for f in &d.versions {
            let m = &f.meta;
            let range = match regdoc::lifecycle::range_of(d, f) {
                Some((from, Some(until))) => format!("in force {from} to {until}"),
                Some((from, None)) => format!("in force from {from}"),
                None if m.status == Status::Draft => format!("proposed for {}", m.effective),
                None => format!("never in force (effective {})", m.effective),
            };
            println!(
                "  v{:<6} {:<10} {:<34} {}",
                m.version.to_string(),
                m.status.to_string(),
                range,
                p(&m.summary)
            );
        }
        for c in &d.consultations {
            let state = d
                .version(&c.meta.consults_on.version)
                .and_then(|f| regdoc::lifecycle::consultation_state(f, on));
            // What `regdoc responses` would collate, as the folder is now.
            let received = match state {
                Some(regdoc::lifecycle::ConsultationState::NotYetOpen { .. }) | None => None,
                _ => {
                    let dir = regdoc::source::responses_dir(&d.dir, &c.meta.consults_on.version);
                    regdoc::source::is_real_dir(&dir)
                        .then(|| regdoc::responses::collate(&c.meta, &dir).ok())
                        .flatten()
                        .map(|col| col.responses.len())
                }
            }
            .map_or(String::new(), |n| format!(", {n} response(s) received"));
            let state = state.map_or("dates unknown".to_string(), |s| s.to_string());
            println!(
                "  consultation on v{}: {}{received}, as of {on} — {}",
                c.meta.consults_on.version,
                state,
                p(&c.meta.title)
            );
        }
    }
    Ok(0)
}

/// Today's date (UTC), from the system clock.
/// Today, from the clock, or from `REGDOC_TODAY` (YYYY-MM-DD) where it
/// is set: what a test or a replay of an old day runs as.
fn today() -> EffectiveDate {
    if let Some(d) = std::env::var("REGDOC_TODAY")
        .ok()
        .and_then(|d| d.parse::<EffectiveDate>().ok())
    {
        return d;
    }
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    EffectiveDate::from_unix(secs).unwrap_or(EffectiveDate {
        year: 1970,
        month: 1,
        day: 1,
    })
}
