//! `regdoc build`: every version's PDF and every mark-up, into `out/`.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::diff;
use crate::error::{Error, Result};
use crate::fsutil::{self, Transaction};
use crate::model::{Document, SourceDoc, Status, VersionMeta, VersionNumber};
use crate::render::pdf;
use crate::render::typst::Templates;
use crate::source::Workspace;

/// One artefact to produce.
#[derive(Debug, Clone)]
pub enum Job {
    /// The PDF of version `index` of a document.
    Version { doc: usize, index: usize },
    /// The mark-up of version `new` against version `old`.
    Markup { doc: usize, old: usize, new: usize },
    /// The PDF of consultation `index` of a document.
    Consultation { doc: usize, index: usize },
    /// The Word response template of consultation `index` of a document.
    ResponseTemplate { doc: usize, index: usize },
}

/// File name of a version's PDF: `emrr-v2.0.pdf`, `emrr-v3.0-draft.pdf`.
pub fn version_file_name(id: &str, meta: &VersionMeta) -> String {
    let suffix = match meta.status {
        Status::Approved => "",
        Status::Draft => "-draft",
        Status::Superseded => "-superseded",
        Status::Withdrawn => "-withdrawn",
    };
    format!("{id}-v{}{suffix}.pdf", meta.version)
}

/// File name of a mark-up: `emrr-v2.0-to-v3.0-markup.pdf`.
pub fn markup_file_name(id: &str, old: &VersionMeta, new: &VersionMeta) -> String {
    format!("{id}-v{}-to-v{}-markup.pdf", old.version, new.version)
}

/// File name of a consultation's PDF: `emrr-v3.0-consultation.pdf`, for
/// the draft it consults on.
pub fn consultation_file_name(id: &str, draft: &VersionNumber) -> String {
    format!("{id}-v{draft}-consultation.pdf")
}

/// File name of a consultation's response template:
/// `emrr-v3.0-response-template.docx`.
pub fn response_template_file_name(id: &str, draft: &VersionNumber) -> String {
    format!("{id}-v{draft}-response-template.docx")
}

/// Where `regdoc render` writes without `-o`: `out/<id>/` as `build`
/// names it, or `out/<file>.pdf` for a plain Markdown file.
pub fn default_version_path(doc: &SourceDoc) -> PathBuf {
    match (&doc.info, &doc.meta) {
        (Some(info), Some(meta)) => Path::new("out")
            .join(&info.id)
            .join(version_file_name(&info.id, meta)),
        _ => Path::new("out").join(format!("{}.pdf", stem(&doc.origin))),
    }
}

/// Where `regdoc markup` writes without `-o`.
pub fn default_markup_path(old: &SourceDoc, new: &SourceDoc) -> PathBuf {
    match (&new.info, &old.meta, &new.meta) {
        (Some(info), Some(ma), Some(mb)) => Path::new("out")
            .join(&info.id)
            .join(markup_file_name(&info.id, ma, mb)),
        _ => Path::new("out").join(format!(
            "{}-to-{}-markup.pdf",
            stem(&old.origin),
            stem(&new.origin)
        )),
    }
}

/// A file name's stem, made safe as a file name: `REV:docs/a b.md` → `a_b`.
fn stem(origin: &str) -> String {
    let name = origin.rsplit(['/', ':']).next().unwrap_or(origin);
    let s = name.strip_suffix(".md").unwrap_or(name);
    s.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Every version, and the mark-up of each version against the one it
/// supersedes.
pub fn plan(docs: &[Document]) -> Vec<Job> {
    let mut jobs = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for (i, file) in doc.versions.iter().enumerate() {
            jobs.push(Job::Version { doc: d, index: i });
            if let Some(prev) = &file.meta.supersedes
                && let Some(p) = doc.versions.iter().position(|f| &f.meta.version == prev)
            {
                jobs.push(Job::Markup {
                    doc: d,
                    old: p,
                    new: i,
                });
            }
        }
        for (index, c) in doc.consultations.iter().enumerate() {
            jobs.push(Job::Consultation { doc: d, index });
            if c.meta.attachments.iter().any(|a| {
                a.content == crate::model::consultation::AttachmentContent::ResponseTemplate
            }) {
                jobs.push(Job::ResponseTemplate { doc: d, index });
            }
        }
    }
    jobs
}

/// Where a job's PDF goes under `out`.
pub fn output_path(docs: &[Document], job: &Job, out: &Path) -> PathBuf {
    match *job {
        Job::Version { doc, index } => {
            let d = &docs[doc];
            out.join(&d.info.id)
                .join(version_file_name(&d.info.id, &d.versions[index].meta))
        }
        Job::Markup { doc, old, new } => {
            let d = &docs[doc];
            out.join(&d.info.id).join(markup_file_name(
                &d.info.id,
                &d.versions[old].meta,
                &d.versions[new].meta,
            ))
        }
        Job::Consultation { doc, index } => {
            let d = &docs[doc];
            let on = &d.consultations[index].meta.consults_on.version;
            out.join(&d.info.id)
                .join(consultation_file_name(&d.info.id, on))
        }
        Job::ResponseTemplate { doc, index } => {
            let d = &docs[doc];
            let on = &d.consultations[index].meta.consults_on.version;
            out.join(&d.info.id)
                .join(response_template_file_name(&d.info.id, on))
        }
    }
}

/// Renders one job to PDF bytes.
pub fn render_job(docs: &[Document], job: &Job, templates: &Templates) -> Result<Vec<u8>> {
    match *job {
        Job::Version { doc, index } => {
            let d = &docs[doc];
            let source = d.source_doc(&d.versions[index]);
            let pdf = pdf::render_version(Some(d), &source, templates);
            crate::render::drop_later(source);
            pdf
        }
        Job::Markup { doc, old, new } => {
            let d = &docs[doc];
            let (a, b): (SourceDoc, SourceDoc) = (
                d.source_doc(&d.versions[old]),
                d.source_doc(&d.versions[new]),
            );
            let redline = diff::diff_docs(&a, &b);
            #[cfg(feature = "pdf")]
            pdf::trace("diff");
            let pdf = pdf::render_markup(Some(d), &a, &b, &redline, templates);
            crate::render::drop_later((a, b, redline));
            pdf
        }
        Job::Consultation { doc, index } => {
            let d = &docs[doc];
            pdf::render_consultation(d, &d.consultations[index], templates)
        }
        Job::ResponseTemplate { doc, index } => {
            let d = &docs[doc];
            crate::render::response_template::response_template(d, &d.consultations[index])
        }
    }
}

/// The length of the sources a job lays out, the longest of them: how
/// long a job is.
fn job_source_len(docs: &[Document], job: &Job) -> usize {
    match *job {
        Job::Version { doc, index } => docs[doc].versions[index].text.len(),
        Job::Markup { doc, old, new } => {
            let d = &docs[doc];
            d.versions[old].text.len().max(d.versions[new].text.len())
        }
        Job::Consultation { .. } | Job::ResponseTemplate { .. } => 0,
    }
}

/// What a build did.
#[derive(Debug, Default)]
pub struct BuildReport {
    pub written: Vec<PathBuf>,
    /// Outputs whose inputs had not changed since they were built.
    pub unchanged: Vec<PathBuf>,
    /// Outputs of earlier builds that no version produces any more (a
    /// draft's PDF after its approval), removed.
    pub removed: Vec<PathBuf>,
    /// The same, kept (`--keep-stale`).
    pub stale: Vec<PathBuf>,
}

/// The record of a build kept in `out/`, so unchanged artefacts are skipped.
const MANIFEST: &str = ".regdoc-build.json";

/// The manifest as written: each output's input hash and output hash, and
/// this machine's seal over them (`fsutil::seal`). `out/` is anyone's to
/// edit or commit, so a manifest is believed only where this machine's
/// regdoc sealed it: a forged PDF with its hash put in a committed
/// manifest is rebuilt, never kept as "up to date".
#[derive(serde::Serialize, serde::Deserialize)]
struct Manifest {
    outputs: BTreeMap<String, (String, String)>,
    seal: String,
}

impl Manifest {
    /// The outputs it records, if this machine sealed it.
    fn read(bytes: &[u8]) -> Option<BTreeMap<String, (String, String)>> {
        let m: Manifest = serde_json::from_slice(bytes).ok()?;
        let body = serde_json::to_vec(&m.outputs).ok()?;
        fsutil::sealed(&body, &m.seal).then_some(m.outputs)
    }

    /// Without a key to seal it, an unsealed manifest: the next build
    /// trusts nothing and renders all.
    fn write(outputs: BTreeMap<String, (String, String)>) -> Vec<u8> {
        let body = serde_json::to_vec(&outputs).expect("manifest");
        let seal = fsutil::seal(&body).unwrap_or_default();
        serde_json::to_vec_pretty(&Manifest { outputs, seal }).expect("manifest")
    }
}

/// A hash of everything a job's PDF depends on: regdoc's version, the
/// templates, the job, its own versions and the images they show, and the
/// front matter of the others (for the version history). Content, not
/// timestamps.
pub fn input_hash(docs: &[Document], job: &Job, templates: &Templates) -> String {
    let mut h = Sha256::new();
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    for (name, _) in crate::render::typst::templates::FILES {
        h.update(name.as_bytes());
        match templates.get(name) {
            Some(Ok(t)) => h.update(t.as_bytes()),
            _ => h.update(b"?"),
        }
    }
    // The house fonts and the logo are inputs too.
    for (path, bytes) in templates.fonts.iter() {
        h.update(path.to_string_lossy().as_bytes());
        h.update(Sha256::digest(bytes));
    }
    let logo = docs_logo(docs, job);
    if let Some(logo) = &logo {
        h.update(logo.as_bytes());
        match templates.image(logo) {
            Some(Ok(bytes)) => h.update(Sha256::digest(&bytes)),
            _ => h.update(b"?"),
        }
    }
    let (doc, own): (&Document, Vec<usize>) = match *job {
        Job::Version { doc, index } => {
            h.update(format!("version {index}").as_bytes());
            (&docs[doc], vec![index])
        }
        Job::Markup { doc, old, new } => {
            h.update(format!("markup {old} {new}").as_bytes());
            (&docs[doc], vec![old, new])
        }
        Job::ResponseTemplate { doc, index } | Job::Consultation { doc, index } => {
            h.update(format!("{job:?}").as_bytes());
            // It quotes the draft's dates and any version's tables: its
            // own text and every version's whole text are its inputs.
            let d = &docs[doc];
            let c = &d.consultations[index];
            h.update(format!("consultation {index}").as_bytes());
            h.update(c.path.to_string_lossy().as_bytes());
            h.update(c.text.as_bytes());
            let place = crate::source::git_place(&c.path.display().to_string());
            h.update(format!("{place:?}").as_bytes());
            for src in crate::source::assets::image_sources(&c.blocks) {
                h.update(src.as_bytes());
            }
            (d, (0..d.versions.len()).collect())
        }
    };
    h.update(serde_json::to_vec(&doc.info).unwrap_or_default());
    // Only the versions its document-control table lists reach a PDF.
    let shown = own.iter().copied().max().map(|i| &doc.versions[i].meta);
    for (i, f) in doc.versions.iter().enumerate() {
        if !own.contains(&i) && !crate::render::data::in_history(shown, &f.meta) {
            continue;
        }
        h.update(f.path.to_string_lossy().as_bytes());
        // Other versions reach this PDF only through the document-control
        // table, that is through their front matter.
        let text = if own.contains(&i) {
            &f.text[..]
        } else {
            &f.text[..f.body_offset]
        };
        h.update(text.as_bytes());
        // Its own sources' place in git is printed into the PDF's
        // manifest: a commit changes the PDF, so it is an input too (an
        // incremental build after a commit writes what a clean one does).
        if own.contains(&i) {
            let place = crate::source::git_place(&f.path.display().to_string());
            h.update(format!("{place:?}").as_bytes());
            let yaml = doc.dir.join(crate::source::DOCUMENT_FILE);
            let place = crate::source::git_place(&yaml.display().to_string());
            h.update(format!("{place:?}").as_bytes());
        }
        // The pictures it shows are inputs too: a redrawn diagram must
        // rebuild the PDF even though no Markdown changed.
        if own.contains(&i) {
            for src in crate::source::assets::image_sources(&f.blocks) {
                h.update(src.as_bytes());
                match crate::source::assets::read_image(&doc.dir, &src) {
                    Ok(p) => h.update(Sha256::digest(&p.bytes)),
                    Err(e) => h.update(e.to_string().as_bytes()),
                }
            }
        }
    }
    if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
        h.update(epoch.as_bytes());
    }
    hex(&h.finalize())
}

/// The logo the job's document names, if any.
fn docs_logo(docs: &[Document], job: &Job) -> Option<String> {
    let d = match *job {
        Job::Version { doc, .. }
        | Job::Markup { doc, .. }
        | Job::ResponseTemplate { doc, .. }
        | Job::Consultation { doc, .. } => &docs[doc],
    };
    d.info.style.as_ref()?.logo.clone()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn file_hash(path: &Path) -> Option<String> {
    fsutil::read_output(path).map(|b| hex(&Sha256::digest(&b)))
}

/// A job's output path, input hash, and its PDF staged with the PDF's
/// hash (`None`: up to date).
type Rendered = (PathBuf, String, Option<(fsutil::Staged, String)>);

/// Options of a build.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Rebuild everything, even what is up to date.
    pub force: bool,
    /// Show a progress bar (on a terminal).
    pub progress: bool,
    /// Report outputs no version produces any more instead of removing them.
    pub keep_stale: bool,
}

/// Outputs in `out` that an earlier build made and this one does not:
/// those its manifest records. Left in place, `emrr-v3.0-draft.pdf` would sit
/// beside the approved `emrr-v3.0.pdf`, and one could publish the wrong
/// file. Other files are never touched.
fn stale_outputs(
    out: &Path,
    manifest: &BTreeMap<String, (String, String)>,
    expected: &[PathBuf],
) -> Vec<PathBuf> {
    // The manifest is a file in `out/` that anyone can edit: it only
    // points at candidates, each of which must be named as regdoc names
    // its outputs, in a real folder of `out/`.
    let mut found: Vec<PathBuf> = manifest
        .keys()
        .filter_map(|k| {
            let (id, name) = k.split_once('/')?;
            regdoc_named(id, name).then(|| out.join(id).join(name))
        })
        .collect();
    // Only what a build recorded as its own: a file named like an output
    // but put there by someone (`emrr-v2.0-signed.pdf`) is never touched.
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|p| !expected.contains(p))
        .filter(|p| {
            p.parent().is_some_and(crate::source::is_real_dir) && crate::source::is_regular_file(p)
        })
        .collect()
}

/// Whether `name` in folder `id` is named as regdoc names a PDF of
/// document `id` (`emrr-v2.0.pdf`, `emrr-v2.0-to-v3.0-markup.pdf`).
fn regdoc_named(id: &str, name: &str) -> bool {
    crate::source::is_id(id)
        && name.starts_with(&format!("{id}-v"))
        && (name.ends_with(".pdf") || name.ends_with(".docx"))
        && !name.contains('/')
}

/// A manifest key: the output's path inside `out/`, however `out` was
/// written (`out`, `./out`, `/abs/out`).
fn manifest_key(out: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(out).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// The chunk cache of `render::chunkcache`, in use under `out/` while a
/// build runs.
#[cfg(feature = "pdf")]
struct ChunkCacheIn;

#[cfg(feature = "pdf")]
impl ChunkCacheIn {
    fn new(out: &Path, read: bool) -> Self {
        crate::render::chunkcache::use_dir(Some(out.join(crate::render::chunkcache::DIR)), read);
        ChunkCacheIn
    }
}

#[cfg(feature = "pdf")]
impl Drop for ChunkCacheIn {
    fn drop(&mut self) {
        crate::render::chunkcache::use_dir(None, false);
    }
}

/// Builds every artefact of the workspace into `out`, in parallel on all
/// cores, skipping those whose inputs and output are as last built. Every
/// PDF is rendered before any is written, and the whole set (PDFs,
/// removals of stale ones, the manifest) is written as one
/// [`Transaction`]: a failure or a kill leaves `out/` as it was, or as the
/// finished build.
pub fn build_all(
    ws: &Workspace,
    out: &Path,
    templates: &Templates,
    opts: &BuildOptions,
) -> Result<BuildReport> {
    #[cfg(feature = "pdf")]
    pdf::trace("build");
    // Outputs, the manifest and the chunk cache never go among the
    // governed sources (as no other command's outputs do).
    if ws.holds_folder(out) {
        return Err(Error::in_file(
            out,
            format!(
                "is inside {}: a build never writes among governed sources",
                ws.root().display()
            ),
        )
        .help("build into a folder of its own, e.g. --out out"));
    }
    // An output folder that is a link (to a scratch disk) is built where
    // it leads: recovery and the transaction work in real folders only.
    let resolved;
    let out = if crate::source::is_link(out) {
        resolved = crate::source::real_path(out)?;
        resolved.as_path()
    } else {
        out
    };
    let docs = ws.load_all()?;
    #[cfg(feature = "pdf")]
    pdf::trace("loaded");
    // A consultation that contradicts its draft is not published: the
    // pack would say two things at once.
    for d in docs.iter().filter(|d| !d.consultations.is_empty()) {
        let mut report = crate::check::Report::default();
        crate::check::consultation::check_consultations(d, &mut report);
        if let Some(first) = report
            .diagnostics
            .iter()
            .find(|x| x.severity == crate::check::Severity::Error)
        {
            return Err(crate::check::rule_error(format!(
                "{}:{}: {} ({})",
                first.path.display(),
                first.line,
                first.message,
                first.rule
            ))
            .help(
                "the consultation and its draft disagree: run `regdoc check`; nothing was built",
            ));
        }
    }
    let jobs = plan(&docs);
    // A build killed while writing is finished before this one reads.
    fsutil::recover(out)?;
    // Long documents' chunks are kept beside the outputs, so that the
    // next build lays out again only what an edit changed.
    #[cfg(feature = "pdf")]
    let _cache = ChunkCacheIn::new(out, !opts.force);
    // Begun before the renders: each PDF is staged (written to a temporary
    // file) as soon as it is made, beside the renders still running.
    let mut tx = Transaction::begin(out)?;
    let manifest_path = out.join(MANIFEST);
    let mut manifest: BTreeMap<String, (String, String)> = fsutil::read_output(&manifest_path)
        .and_then(|b| Manifest::read(&b))
        .unwrap_or_default();
    let bar = if opts.progress {
        let b =
            ProgressBar::with_draw_target(Some(jobs.len() as u64), ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
                .expect("template")
                .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    let work = |job: &Job| -> Result<Rendered> {
        let path = output_path(&docs, job, out);
        let key = input_hash(&docs, job, templates);
        let recorded = manifest.get(&manifest_key(out, &path));
        let fresh = !opts.force
            && recorded.is_some_and(|(k, out_hash)| {
                *k == key && file_hash(&path).as_ref() == Some(out_hash)
            });
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
        );
        let staged = if fresh {
            None
        } else {
            let bytes = render_job(&docs, job, templates)?;
            let hash = hex(&Sha256::digest(&bytes));
            Some((tx.stage(&path, &bytes)?, hash))
        };
        bar.inc(1);
        Ok((path, key, staged))
    };
    // Short jobs in parallel on rayon's threads, one core each. Long ones
    // all at once, each on a thread of its own: a long render lays its
    // chunks out on every core by itself, and two that lay out many chunks
    // at once only double the memory (2.7 GiB for a 1,000-page code)
    // without saving time, so those take turns (`render::pdf`, `HEAVY`);
    // but after an edit a long render has a chunk or two to lay out, and
    // the rest (reading the source and the chunk cache, export, the join)
    // is one core's work: two at once halve it. Not on rayon's threads:
    // one waiting there for its turn would run other jobs on top of the
    // one it waits in, perhaps the very render whose turn it waits for.
    let long = |job: &Job| job_source_len(&docs, job) > crate::render::data::LONG_DOCUMENT_CHARS;
    let mut rendered: Vec<Option<Result<Rendered>>> = jobs
        .par_iter()
        .map(|job| (!long(job)).then(|| work(job)))
        .collect();
    std::thread::scope(|scope| {
        let running: Vec<_> = rendered
            .iter_mut()
            .zip(&jobs)
            .filter(|(slot, _)| slot.is_none())
            .map(|(slot, job)| (slot, scope.spawn(|| work(job))))
            .collect();
        for (slot, thread) in running {
            *slot = Some(
                thread
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
    });
    let rendered: Vec<Result<Rendered>> = rendered.into_iter().flatten().collect();
    bar.finish_and_clear();
    let rendered: Vec<Rendered> = rendered.into_iter().collect::<Result<_>>()?;
    #[cfg(feature = "pdf")]
    crate::render::pdf::trace("rendered");
    let mut report = BuildReport::default();
    let expected: Vec<PathBuf> = rendered.iter().map(|(p, _, _)| p.clone()).collect();
    for (path, key, staged) in rendered {
        let name = manifest_key(out, &path);
        match staged {
            Some((staged, hash)) => {
                tx.add(staged);
                manifest.insert(name, (key, hash));
                report.written.push(path);
            }
            None => report.unchanged.push(path),
        }
    }
    for path in stale_outputs(out, &manifest, &expected) {
        if opts.keep_stale {
            report.stale.push(path);
        } else {
            manifest.remove(&manifest_key(out, &path));
            tx.remove(&path)?;
            report.removed.push(path);
        }
    }
    // Entries for files that are gone (deleted by hand) are dropped too.
    let kept: std::collections::HashSet<String> = expected
        .iter()
        .chain(&report.stale)
        .map(|p| manifest_key(out, p))
        .collect();
    manifest.retain(|k, _| kept.contains(k));
    tx.write(&manifest_path, &Manifest::write(manifest))?;
    tx.commit()?;
    #[cfg(feature = "pdf")]
    crate::render::pdf::trace("written");
    Ok(report)
}
