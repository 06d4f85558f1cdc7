//! PDFs of versions and mark-ups: data → typst → PDF → metadata.

use crate::diff::Redline;
use crate::error::Result;
use crate::model::consultation::ConsultationFile;
use crate::model::{Document, SourceDoc};
use crate::render::data;
use crate::render::typst::{RegdocWorld, Templates, compile_warning_once, export_pdf};

/// The clean PDF of one version (approved, or watermarked draft).
pub fn render_version(
    document: Option<&Document>,
    doc: &SourceDoc,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let data = data::version_data(document, doc);
    let ident = match (&doc.info, &doc.meta) {
        (Some(i), Some(m)) => format!("{}@{}", i.id, m.version),
        _ => doc.origin.clone(),
    };
    let attached = crate::provenance::for_version(doc)?;
    let pdf = Pdf {
        template: "version.typ",
        doc,
        old_dir: None,
        ident,
        info: Vec::new(),
        attached,
    };
    produce(pdf, data, templates)
}

/// The mark-up PDF: `new` compared with `old`.
pub fn render_markup(
    document: Option<&Document>,
    old: &SourceDoc,
    new: &SourceDoc,
    redline: &Redline,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let attachment = new
        .meta
        .as_ref()
        .and_then(|m| m.consultation.as_ref())
        .and_then(|c| c.attachment.as_deref());
    let data = data::markup_data(document, old, new, redline, attachment);
    let ident = format!("markup:{}:{}", data::side_label(old), data::side_label(new));
    let against = old.meta.as_ref().map(|m| m.version.to_string());
    crate::source::assets::check_images(old)?;
    let extra = against
        .map(|v| vec![("ComparedWithVersion", v)])
        .unwrap_or_default();
    let table_key = crate::diff::DiffOptions::for_docs(old, new).table_key;
    let attached = crate::provenance::for_markup(old, new, redline, table_key)?;
    let pdf = Pdf {
        template: "markup.typ",
        doc: new,
        old_dir: old.dir.clone(),
        ident,
        info: extra,
        attached,
    };
    produce(pdf, data, templates)
}

/// The PDF of a consultation report (`report.typ`), from the data
/// `regdoc::responses` prepares, with the draft's metadata.
pub fn render_report(
    document: &Document,
    consultation: &ConsultationFile,
    data: impl serde::Serialize,
    full: bool,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let draft = document
        .version(&consultation.meta.consults_on.version)
        .ok_or_else(|| {
            crate::error::Error::in_file(&consultation.path, "the draft it consults on is gone")
        })?;
    let mut doc = document.source_doc(draft);
    doc.origin = consultation.path.display().to_string();
    doc.blocks = Vec::new();
    let edition = if full { "full" } else { "published" };
    let extra = vec![
        ("DocumentKind", "consultation report".to_string()),
        ("ReportEdition", edition.to_string()),
    ];
    let ident = format!("report:{}:{edition}", consultation.meta.consults_on);
    let pdf = Pdf {
        template: "report.typ",
        doc: &doc,
        old_dir: None,
        ident,
        info: extra,
        attached: Vec::new(),
    };
    produce(pdf, data, templates)
}

/// The PDF of a consultation on a draft of `document`.
pub fn render_consultation(
    document: &Document,
    consultation: &ConsultationFile,
    templates: &Templates,
) -> Result<Vec<u8>> {
    let data = data::consultation_data(document, consultation)?;
    let draft = document
        .version(&consultation.meta.consults_on.version)
        .expect("consultation_data found the draft");
    // Its images are read from its own folder; its metadata is the
    // draft's, as a publication of the draft's consultation.
    let mut doc = document.source_doc(draft);
    doc.origin = consultation.path.display().to_string();
    doc.dir = consultation.path.parent().map(std::path::Path::to_path_buf);
    doc.blocks = consultation.blocks.clone();
    let mut extra = vec![("DocumentKind", "consultation".to_string())];
    if let Some(c) = &draft.meta.consultation {
        extra.push(("ConsultationPublished", c.published.to_string()));
        extra.push(("ConsultationCloses", c.closes.to_string()));
    }
    let ident = format!("consultation:{}", consultation.meta.consults_on);
    let attached = crate::provenance::for_consultation(document, consultation)?;
    let pdf = Pdf {
        template: "consultation.typ",
        doc: &doc,
        old_dir: None,
        ident,
        info: extra,
        attached,
    };
    produce(pdf, data, templates)
}

/// One PDF to make, besides its template data.
struct Pdf<'a> {
    /// The template whose `main` lays it out.
    template: &'static str,
    /// The document whose folder, metadata and images it shows.
    doc: &'a SourceDoc,
    /// A mark-up's old folder, for the images it deleted.
    old_dir: Option<std::path::PathBuf>,
    /// Its stable PDF identifier.
    ident: String,
    /// Custom Info entries beyond the document's own.
    info: Vec<(&'static str, String)>,
    /// The files it embeds (`crate::provenance`).
    attached: Vec<crate::provenance::Embedded>,
}

fn produce(pdf: Pdf<'_>, data: impl serde::Serialize, templates: &Templates) -> Result<Vec<u8>> {
    let Pdf {
        template,
        doc,
        old_dir,
        ident,
        info: extra,
        attached,
    } = pdf;
    // A missing or broken image is the document's error, located in it,
    // not a typst error in a template.
    crate::source::assets::check_images(doc)?;
    check_logo(doc, templates)?;
    let bytes = serde_json::to_vec(&data).expect("JSON of plain data");
    let (bytes, missing, first) =
        crate::render::typst::glyph_safe(bytes, &crate::render::typst::fonts(templates));
    if let Some(c) = first {
        eprintln!(
            "{}",
            crate::error::printable(&format!(
                "warning: {}: {missing} different character(s) no font has are shown by code point, the first as {}; put a font that has them in the templates folder's fonts/",
                doc.origin,
                crate::render::typst::code_point(c)
            ))
        );
    }
    let _in_flight = InFlight::enter();
    trace(&format!("data ({} bytes of JSON)", bytes.len()));
    let parts = chunks(template, bytes, templates);
    // typst is a large dependency: should it panic on some input, that is
    // an error of this render (exit 2), not a crash of regdoc.
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let (pages, world) = lay_out(template, parts, templates, doc, old_dir, attached)?;
        trace("compile");
        let pages = crate::render::typst::stamp::page_numbers(pages)?;
        let pdf = export_pdf(&world, &pages, &ident, issued(doc))?;
        Ok::<_, crate::error::Error>((pages, pdf, world))
    }));
    let (pages, pdf, world) = match guarded {
        Ok(r) => r?,
        Err(panic) => {
            let what = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("unknown");
            return Err(crate::error::Error::in_file(
                &doc.origin,
                format!("typst failed while laying out this document ({what})"),
            )
            .help("please report this input to regdoc's maintainers"));
        }
    };
    trace("export");
    drop(pages);
    drop(world);
    trace("drop");
    let mut entries = Vec::new();
    if let Some(i) = &doc.info {
        entries.push(("DocumentId", i.id.clone()));
    }
    if let Some(m) = &doc.meta {
        entries.push(("DocumentVersion", m.version.to_string()));
        entries.push(("DocumentStatus", m.status.to_string()));
        entries.push(("EffectiveDate", m.effective.to_string()));
    }
    entries.extend(extra);
    let pdf = crate::render::pdfmeta::add_info(&pdf, &entries);
    trace("metadata");
    pdf
}

/// Lays the document out: one compile, or one per chunk, joined. Also
/// returns the first compile's world, to which export's messages refer.
fn lay_out(
    template: &'static str,
    parts: Parts,
    templates: &Templates,
    doc: &SourceDoc,
    old_dir: Option<std::path::PathBuf>,
    attached: Vec<crate::provenance::Embedded>,
) -> Result<(typst_layout::PagedDocument, RegdocWorld)> {
    let world = |k: usize, bytes: Vec<u8>| {
        RegdocWorld::new(template, bytes, templates.clone(), doc.dir.clone())
            .with_old_dir(old_dir.clone())
            .for_chunk(k)
    };
    let warned = std::sync::Mutex::new(std::collections::HashSet::new());
    let compile = |world: &RegdocWorld| {
        let mut seen = warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The lock is not held across the compile: only its warnings.
        let mut mine = std::mem::take(&mut *seen);
        drop(seen);
        let out = compile_warning_once(world, &mut mine);
        warned
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend(mine);
        out
    };
    let chunks: Vec<serde_json::Value> = match parts {
        Parts::Whole(bytes) => {
            let w = world(0, bytes).with_attachments(attached);
            let pages = compile(&w)?;
            return Ok((pages, w));
        }
        Parts::Chunks(chunks) => chunks,
    };
    use crate::render::typst::chunk;
    // Each chunk's footnote counter starts after the footnotes the data
    // of the chunks before it make. With that known up front, the chunks
    // are compiled side by side.
    let mut starts = Vec::with_capacity(chunks.len());
    let mut sum = 0;
    for c in &chunks {
        starts.push(sum);
        sum += chunk::footnotes_in(c);
    }
    // For tests: every prediction missed, every chunk after a footnote
    // compiled again.
    if std::env::var_os("REGDOC_CHUNK_RECOUNT").is_some() {
        starts.fill(0);
    }
    let attached = std::sync::Mutex::new(Some(attached));
    let one =
        |k: usize, footnotes_before: usize| -> Result<(typst_layout::PagedDocument, RegdocWorld)> {
            let mut data = chunks[k].clone();
            data["footnotes_before"] = footnotes_before.into();
            let bytes = serde_json::to_vec(&data).expect("JSON of plain data");
            drop(data);
            let mut w = world(k, bytes);
            // The PDF's attachments go with the first chunk only: once.
            if k == 0
                && let Some(files) = attached
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .take()
            {
                w = w.with_attachments(files);
            }
            let pages = compile(&w)?;
            trace(&format!("compile of chunk {}", k + 1));
            // Later chunks do not need this one's caches: what the chunks in
            // flight have not used lately goes, so the peak stays that of a
            // few chunks' compiles.
            InFlight::free_caches();
            Ok((pages, w))
        };
    use rayon::prelude::*;
    let laid_out: Vec<Result<_>> = (0..chunks.len())
        .into_par_iter()
        .with_max_len(1)
        .map(|k| one(k, starts[k]))
        .collect();
    let mut pages = Vec::with_capacity(laid_out.len());
    let mut first_world = None;
    let mut footnotes = 0;
    for (k, done) in laid_out.into_iter().enumerate() {
        let (mut doc, mut w) = done?;
        // A prediction that missed (the data said one count, typst
        // numbered another): this chunk starts again from the true count.
        // Rare, and correct either way.
        if starts[k] != footnotes {
            trace(&format!("footnotes before chunk {} recounted", k + 1));
            (doc, w) = one(k, footnotes)?;
        }
        footnotes += chunk::footnotes(&doc);
        if k == 0 {
            first_world = Some(w);
        }
        pages.push(doc);
    }
    Ok((chunk::join(pages)?, first_world.expect("a first chunk")))
}

/// What a render compiles.
enum Parts {
    /// The whole document's template data, as JSON: one compile.
    Whole(Vec<u8>),
    /// Each chunk's (`render::typst::chunk`), to which its footnote
    /// counter's start is added.
    Chunks(Vec<serde_json::Value>),
}

/// The compiles a render takes: one, or for a long document laid out by
/// regdoc's own version or mark-up template, one per chunk. A templates
/// folder that replaces that template, or `regdoc.typ`, gets one compile:
/// it need not know what a continuation is.
fn chunks(template: &str, bytes: Vec<u8>, templates: &Templates) -> Parts {
    use crate::render::typst::chunk;
    let max = chunk::chunk_bytes();
    let ours = matches!(template, "version.typ" | "markup.typ")
        && !templates.overrides(template)
        && !templates.overrides("regdoc.typ");
    if !ours || max == 0 || bytes.len() <= max {
        return Parts::Whole(bytes);
    }
    let data: serde_json::Value = serde_json::from_slice(&bytes).expect("our own JSON");
    let parts = chunk::split(data, max);
    if parts.len() == 1 {
        return Parts::Whole(bytes);
    }
    Parts::Chunks(parts)
}

/// A house logo `document.yaml` names must be an image of the templates
/// folder: said of `document.yaml`, not as a typst error in a template.
fn check_logo(doc: &SourceDoc, templates: &Templates) -> Result<()> {
    let Some(logo) = doc
        .info
        .as_ref()
        .and_then(|i| i.style.as_ref())
        .and_then(|s| s.logo.as_deref())
    else {
        return Ok(());
    };
    // The document's folder, or for a consultation its `consultations/`.
    let yaml = doc
        .dir
        .iter()
        .flat_map(|d| d.ancestors().take(2))
        .map(|d| d.join(crate::source::DOCUMENT_FILE))
        .find(|p| p.is_file())
        .unwrap_or_else(|| crate::source::DOCUMENT_FILE.into());
    let fail = |why: String| {
        Err(
            crate::error::Error::in_file(&yaml, format!("style.logo `{logo}`: {why}"))
                .help("the logo is a file of the templates folder: --templates DIR"),
        )
    };
    if templates.dir.is_none() {
        return fail("no templates folder was given to read it from".to_string());
    }
    match templates.image(logo.trim_start_matches("./")) {
        None => fail("a logo is an SVG, PNG, JPEG, GIF or WebP file".to_string()),
        Some(Err(e)) => fail(match e.cause {
            crate::error::Cause::Outside => {
                "is outside the templates folder; a logo must live inside it".to_string()
            }
            _ => e.to_string(),
        }),
        Some(Ok(_)) => Ok(()),
    }
}

/// The day a version was issued: approved, or published for consultation,
/// or else its effective date. The PDF's creation date.
fn issued(doc: &SourceDoc) -> Option<crate::model::EffectiveDate> {
    let m = doc.meta.as_ref()?;
    Some(match (&m.approved, &m.consultation) {
        (Some(a), _) => a.on,
        (None, Some(c)) => c.published,
        (None, None) => m.effective,
    })
}

/// Whether typst's memo caches outlive a render: off for one-off
/// commands, whose peak memory they would raise; on for `regdoc watch`,
/// whose next round reuses what they hold.
static KEEP_CACHES: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process has rendered a PDF before.
static RENDERED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Renders under way in this process.
static IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// One render under way.
struct InFlight;

impl InFlight {
    /// Frees what earlier renders of this process left in typst's memo
    /// caches before this one fills them, so that the peak is the larger
    /// render, not their sum; while another render is under way, only
    /// entries unused for three rounds, since the recent ones are its. Not after a render: for a one-off
    /// command that is the last thing before exit, and freeing a
    /// 1,000-page document's caches took half a second it does not need.
    fn enter() -> Self {
        use std::sync::atomic::Ordering::SeqCst;
        let others = IN_FLIGHT.fetch_add(1, SeqCst);
        if !KEEP_CACHES.load(SeqCst) && RENDERED.swap(true, SeqCst) {
            // Alone: everything goes. Beside others (`build`'s parallel
            // short jobs): what no render has used for a few rounds, so
            // that a build of many documents does not keep them all.
            typst::comemo::evict(if others == 0 { 0 } else { 3 });
        }
        InFlight
    }
}

impl InFlight {
    /// Frees what typst's memo caches hold for chunks that are done, as
    /// one finishes, unless `regdoc watch` keeps them or another render
    /// is under way. What was used since the last chunk finished stays:
    /// the chunks still in flight need it, and losing it would slow them.
    fn free_caches() {
        use std::sync::atomic::Ordering::SeqCst;
        if !KEEP_CACHES.load(SeqCst) && IN_FLIGHT.load(SeqCst) == 1 {
            typst::comemo::evict(1);
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Whether typst's memo caches outlive a render (`regdoc watch`).
pub fn keeps_typst_caches() -> bool {
    KEEP_CACHES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Keeps typst's memo caches between renders (`regdoc watch`).
pub fn keep_typst_caches(on: bool) {
    KEEP_CACHES.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// With REGDOC_TRACE set, prints the time since the process started and
/// the peak memory at the end of each phase (`main` starts the clock).
pub fn trace(phase: &str) {
    if std::env::var_os("REGDOC_TRACE").is_none() {
        return;
    }
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let start = START.get_or_init(std::time::Instant::now);
    eprintln!(
        "regdoc: {phase}: {:.2} s; {}",
        start.elapsed().as_secs_f64(),
        crate::fsutil::peak_memory()
    );
}

/// `regdoc markup` (and `regdoc diff --format pdf`): the mark-up PDF.
pub struct Markup;

impl super::Renderer for Markup {
    fn name(&self) -> &'static str {
        "pdf"
    }
    fn binary(&self) -> bool {
        true
    }
    fn render(&self, ctx: &super::RenderContext<'_>) -> Result<Vec<u8>> {
        let templates = match &ctx.options.templates {
            Some(dir) => Templates::from_dir(dir)?,
            None => Templates::builtin(),
        };
        render_markup(ctx.document, ctx.old, ctx.new, ctx.redline, &templates)
    }
}
