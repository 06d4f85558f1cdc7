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
    let attached = crate::provenance::for_version(doc, pages_from(doc, &data.history, templates))?;
    let pdf = Pdf {
        template: "version.typ",
        doc,
        old_dir: None,
        ident,
        info: Vec::new(),
        attached: Attached::Made(attached),
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
    let data = markup_data_of(document, old, new, redline);
    let ident = format!("markup:{}:{}", data::side_label(old), data::side_label(new));
    let against = old.meta.as_ref().map(|m| m.version.to_string());
    crate::source::assets::check_images(old)?;
    let extra = against
        .map(|v| vec![("ComparedWithVersion", v)])
        .unwrap_or_default();
    let table_key = crate::diff::DiffOptions::for_docs(old, new).table_key;
    let pages = pages_from(new, &data.history, templates).filter(|_| !has_pictures(old));
    // The sources and the redline to embed are made while the data is cut.
    std::thread::scope(|scope| {
        let attaching =
            scope.spawn(|| crate::provenance::for_markup(old, new, redline, table_key, pages));
        let pdf = Pdf {
            template: "markup.typ",
            doc: new,
            old_dir: old.dir.clone(),
            ident,
            info: extra,
            attached: Attached::Making(attaching),
        };
        produce(pdf, data, templates)
    })
}

/// What `verify` needs, beside the embedded sources, to lay a PDF's pages
/// out again: the document-control table, where the built-in templates
/// lay it out with nothing from a folder (no house templates, fonts or
/// logo) and the document shows no pictures of its folder (which the PDF
/// does not embed). `None`: its pages cannot be laid out again, and
/// `verify` checks them run by run.
fn pages_from(
    doc: &SourceDoc,
    history: &[data::HistoryRow],
    templates: &Templates,
) -> Option<crate::provenance::PagesFrom> {
    let house = templates.dir.is_some() || doc.info.as_ref().is_some_and(|i| i.style.is_some());
    (!house && !has_pictures(doc)).then(|| crate::provenance::PagesFrom {
        history: history.to_vec(),
    })
}

fn has_pictures(doc: &SourceDoc) -> bool {
    !crate::source::assets::image_sources(&doc.blocks).is_empty()
}

/// The mark-up's data, named as its consultation names it
/// ("Attachment 1"): what `render_markup` and its re-layout both lay out.
fn markup_data_of<'a>(
    document: Option<&Document>,
    old: &SourceDoc,
    new: &'a SourceDoc,
    redline: &'a Redline,
) -> data::MarkupData<'a> {
    let attachment = new
        .meta
        .as_ref()
        .and_then(|m| m.consultation.as_ref())
        .and_then(|c| c.attachment.as_deref());
    data::markup_data(document, old, new, redline, attachment)
}

/// A version PDF's pages laid out again from its source and the
/// document-control table its manifest records, with the built-in
/// templates and nothing embedded: what `verify` compares its pages with.
pub fn relayout_version(source: &SourceDoc, history: &[data::HistoryRow]) -> Result<Vec<u8>> {
    let mut data = data::version_data(None, source);
    data.history = history.to_vec();
    relayout("version.typ", source, None, data)
}

/// A mark-up's pages laid out again, as [`relayout_version`] does.
pub fn relayout_markup(
    old: &SourceDoc,
    new: &SourceDoc,
    redline: &Redline,
    history: &[data::HistoryRow],
) -> Result<Vec<u8>> {
    let mut data = markup_data_of(None, old, new, redline);
    data.history = history.to_vec();
    relayout("markup.typ", new, old.dir.clone(), data)
}

fn relayout(
    template: &'static str,
    doc: &SourceDoc,
    old_dir: Option<std::path::PathBuf>,
    data: impl serde::Serialize,
) -> Result<Vec<u8>> {
    let pdf = Pdf {
        template,
        doc,
        old_dir,
        ident: format!("relayout:{}", doc.origin),
        info: Vec::new(),
        attached: Attached::Made(Vec::new()),
    };
    produce(pdf, data, &Templates::builtin())
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
        attached: Attached::Made(Vec::new()),
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
        attached: Attached::Made(attached),
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
    attached: Attached<'a>,
}

/// The files a PDF embeds (`crate::provenance`): made, or being made on a
/// thread of their own.
enum Attached<'a> {
    Made(Vec<crate::provenance::Embedded>),
    Making(std::thread::ScopedJoinHandle<'a, Result<Vec<crate::provenance::Embedded>>>),
}

impl Attached<'_> {
    fn made(self) -> Result<Vec<crate::provenance::Embedded>> {
        match self {
            Attached::Made(files) => Ok(files),
            Attached::Making(making) => making
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        }
    }
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
    check_pdf_strings(doc)?;
    let fonts = crate::render::typst::fonts(templates);
    let mut safe = crate::render::typst::GlyphSafe::new(&fonts);
    let bytes = serde_json::to_vec(&data).expect("JSON of plain data");
    // The data is its JSON from here on: a long document's is a few
    // hundred MB as Rust values, not to be held through the layout.
    drop(data);
    let bytes = safe.json(bytes);
    let parts = if chunkable(template, templates) {
        chunks(bytes)
    } else {
        if let Some(replaced) = undeclared(template, templates, &bytes) {
            // Said, so that a house template's long build is not slower
            // and heavier than the built-in one's without a word why.
            eprintln!(
                "{}",
                crate::error::printable(&format!(
                    "note: {}: laid out in one compile, not in chunks: {} does not say it lays out chunks (the line `{}`, docs/template-data.md)",
                    doc.origin,
                    replaced,
                    crate::render::typst::templates::CHUNKS_DECLARATION,
                ))
            );
        }
        Parts::Whole(bytes)
    };
    let attached = attached.made()?;
    let (missing, first) = safe.finish();
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
    match &parts {
        Parts::Whole(bytes) => trace(&format!("data ({} bytes of JSON)", bytes.len())),
        Parts::Chunks(chunks) => trace(&format!("data ({} chunks)", chunks.len())),
    }
    // The custom Info entries: added to the PDF of one compile, written by
    // the join of a long document's chunks.
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
    // typst is a large dependency: should it panic on some input, that is
    // an error of this render (exit 2), not a crash of regdoc.
    let guarded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match parts {
        Parts::Whole(bytes) => {
            let world = RegdocWorld::new(template, bytes, templates.clone(), doc.dir.clone())
                .with_old_dir(old_dir.clone())
                .with_attachments(attached.clone());
            let pages = compile_warning_once(&world, &mut Default::default())?;
            trace("compile");
            let pages = crate::render::typst::stamp::page_numbers(pages)?;
            let pdf = export_pdf(&world, &pages, &ident, issued(doc))?;
            trace("export");
            let pdf = crate::render::pdfmeta::add_info(&pdf, &entries)?;
            trace("metadata");
            Ok::<_, crate::error::Error>(pdf)
        }
        Parts::Chunks(chunks) => {
            let job = Long {
                template,
                chunks: &chunks,
                templates,
                doc,
                old_dir: old_dir.as_deref(),
                attached: &attached,
                ident: &ident,
                dated: issued(doc),
                info: &entries,
            };
            // A replaced template may read files of the templates or the
            // document's folder that no data names, which a chunk's key
            // cannot see: its chunks are laid out anew every time.
            let cache = if replaced(template, templates).is_some() {
                None
            } else {
                crate::render::chunkcache::current()
            };
            let pdf = match job.render(cache.clone()) {
                // The cache's entries are written anew, not read: the
                // next build finds them right.
                Err(LongError::Stale) => {
                    trace("the chunk cache disagreed with a compile: rendering without it");
                    job.render(cache.map(|c| c.write_only()))
                        .map_err(LongError::into_error)
                }
                other => other.map_err(LongError::into_error),
            };
            crate::render::drop_later(chunks);
            pdf
        }
    }));
    let pdf = match guarded {
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
    Ok(pdf)
}

/// A long document's render, chunk by chunk: `render::typst::chunk` cuts
/// it, `render::chunkcache` keeps what an earlier render made of each
/// chunk, `render::pdfjoin` joins the chunks' PDFs.
struct Long<'a> {
    template: &'static str,
    chunks: &'a [crate::render::typst::chunk::Chunk],
    templates: &'a Templates,
    doc: &'a SourceDoc,
    old_dir: Option<&'a std::path::Path>,
    attached: &'a [crate::provenance::Embedded],
    ident: &'a str,
    dated: Option<crate::model::EffectiveDate>,
    /// The custom Info entries, which the join writes.
    info: &'a [(&'static str, String)],
}

/// Why a long render stopped.
enum LongError {
    Failed(crate::error::Error),
    /// A chunk the cache said had N pages had another number laid out
    /// again: an input the cache key misses. Rendered again without it.
    Stale,
}

impl From<crate::error::Error> for LongError {
    fn from(e: crate::error::Error) -> Self {
        LongError::Failed(e)
    }
}

impl LongError {
    fn into_error(self) -> crate::error::Error {
        match self {
            LongError::Failed(e) => e,
            LongError::Stale => crate::error::Error::input("the chunk cache disagreed twice")
                .help("please report this input to regdoc's maintainers"),
        }
    }
}

/// Returns the memory the allocator holds free to the system: glibc's
/// (a library user's default) and mimalloc (the binary's, src/main.rs).
/// Both keep what a thread freed in that thread's heap, where work on
/// other threads cannot reuse it: given back between the phases of a long
/// render (the layouts, the exports, the join), the next phase's memory
/// comes from it, not on top of it.
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free memory of the allocator.
    unsafe {
        libc::malloc_trim(0);
    }
    // The binary's allocator (src/main.rs): its free pages of this thread
    // and of threads that ended go back to the system.
    // SAFETY: mi_collect only releases free memory of the allocator.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// A chunk's JSON with the footnote count it starts from, written in as
/// its first field.
fn with_footnotes_before(json: &[u8], count: usize) -> Vec<u8> {
    match json.strip_prefix(b"{") {
        Some(rest) => {
            let field = format!("{{\"footnotes_before\":{count}");
            let mut out = Vec::with_capacity(json.len() + field.len() + 1);
            out.extend_from_slice(field.as_bytes());
            if rest != b"}" {
                out.push(b',');
            }
            out.extend_from_slice(rest);
            out
        }
        // Not an object: the templates read no count from it.
        None => json.to_vec(),
    }
}

/// Taken by a long render that lays out more than a quarter of its chunks,
/// for as long as it holds their pages: such renders take turns.
static HEAVY: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Waits for [`HEAVY`]. Not on a thread of rayon's pool (`build` runs
/// long renders on threads of their own): waiting there would run other
/// jobs on top of this one, perhaps one that waits for the turn this
/// thread already holds below it.
fn take_turn() -> Option<std::sync::MutexGuard<'static, ()>> {
    if rayon::current_thread_index().is_some() {
        return None;
    }
    Some(
        HEAVY
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// One compile's pages and the world they were compiled in (export's
/// messages refer to it).
struct Compiled {
    pages: typst_layout::PagedDocument,
    world: RegdocWorld,
}

/// What a long render has of a chunk.
enum Have {
    /// Its PDF from the cache, and what is known of it.
    Cached(crate::render::chunkcache::Entry),
    /// Its pages, laid out.
    Compiled(Box<Compiled>),
    /// Nothing yet.
    Nothing,
}

/// A chunk of a long render: its template data as typst gets it, the
/// hash of its inputs, and what is had of it.
struct Slot {
    json: Vec<u8>,
    key: String,
    have: Have,
}

impl Long<'_> {
    /// What the cache files of this PDF are named by: its identifier and
    /// its document's (two documents' mark-ups of v1.0 and v2.0 share the
    /// identifier). Not the source's path: `watch` spells it absolute,
    /// `build` as given, and each found nothing the other had kept.
    fn cache_name(&self) -> String {
        match &self.doc.info {
            Some(info) => format!("{}\n{}", self.ident, info.id),
            None => format!("{}\n{}", self.ident, self.doc.origin),
        }
    }

    fn render(
        &self,
        cache: Option<crate::render::chunkcache::Cache>,
    ) -> std::result::Result<Vec<u8>, LongError> {
        std::thread::scope(|scope| {
            // The attachments (a mark-up's sources and redline: 25 MB for a
            // 1,000-page code) are packed while the chunks are laid out,
            // not in the join, after them.
            let packing = scope.spawn(|| crate::render::pdfjoin::pack(self.attached));
            let (exported, counts) = self.lay_out(cache)?;
            let packed = packing
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            let chunks: Vec<crate::render::pdfjoin::Chunk> = exported
                .iter()
                .zip(&counts)
                .map(|((pdf, headings), &pages)| crate::render::pdfjoin::Chunk {
                    pdf,
                    headings,
                    pages,
                })
                .collect();
            let joined = crate::render::pdfjoin::join(&chunks, &packed, self.info).map_err(|e| {
                let error = crate::error::Error::input(format!(
                    "cannot join the PDFs of this document's chunks: {e}"
                ));
                // A replaced template that says it lays out chunks is
                // the likelier cause than regdoc.
                match replaced(self.template, self.templates) {
                    Some(name) => error.help(format!(
                        "{} says it lays out chunks: each continuation must start with `continuation` of regdoc.typ (docs/template-data.md); REGDOC_CHUNK_BYTES=0 lays the document out in one piece",
                        self.templates.describe(name)
                    )),
                    None => error.help("please report this input to regdoc's maintainers; REGDOC_CHUNK_BYTES=0 lays the document out in one piece"),
                }
            })?;
            trace("join");
            Ok(joined)
        })
    }

    /// Each chunk's PDF and headings, and its page count: from the cache,
    /// or laid out and exported.
    #[allow(clippy::type_complexity)]
    fn lay_out(
        &self,
        cache: Option<crate::render::chunkcache::Cache>,
    ) -> std::result::Result<
        (
            Vec<(Vec<u8>, crate::render::typst::chunk::Headings)>,
            Vec<usize>,
        ),
        LongError,
    > {
        use crate::render::chunkcache::Entry;
        use crate::render::typst::chunk;
        use rayon::prelude::*;
        let n = self.chunks.len();
        let warned = std::sync::Mutex::new(std::collections::HashSet::new());
        // Each chunk's footnote counter starts after the footnotes the data
        // of the chunks before it make. With that known up front, the
        // chunks are looked up and compiled side by side.
        let mut starts = Vec::with_capacity(n);
        let mut sum = 0;
        for c in self.chunks {
            starts.push(sum);
            sum += c.footnotes;
        }
        // For tests: every prediction missed, every chunk after a footnote
        // compiled again.
        if std::env::var_os("REGDOC_CHUNK_RECOUNT").is_some() {
            starts.fill(0);
        }
        let setting = cache.as_ref().map(|_| {
            crate::render::chunkcache::Setting::of(
                self.template,
                self.templates,
                self.ident,
                self.dated,
            )
        });
        // Whether this render keeps typst's caches warm (below).
        let warm = std::sync::atomic::AtomicBool::new(false);
        let slot = |k: usize, footnotes_before: usize| -> Slot {
            let chunk = &self.chunks[k];
            let json = with_footnotes_before(&chunk.json, footnotes_before);
            // Without a cache (one `regdoc markup`), no key is needed.
            let key = if cache.is_none() {
                String::new()
            } else {
                crate::render::chunkcache::key(&crate::render::chunkcache::Inputs {
                    setting: setting.as_ref().expect("made with the cache"),
                    index: k,
                    pictures: &chunk.pictures,
                    json: &json,
                    templates: self.templates,
                    doc_dir: self.doc.dir.as_deref(),
                    old_dir: self.old_dir,
                })
            };
            let have = cache
                .as_ref()
                .and_then(|c| c.load(&self.cache_name(), k, &key))
                .map_or(Have::Nothing, Have::Cached);
            Slot { json, key, have }
        };
        let compile = |k: usize, json: &[u8]| -> Result<Compiled> {
            // The PDF's attachments are the join's, not a chunk's.
            let world = RegdocWorld::new(
                self.template,
                json.to_vec(),
                self.templates.clone(),
                self.doc.dir.clone(),
            )
            .with_old_dir(self.old_dir.map(std::path::Path::to_path_buf))
            .for_chunk(k);
            // The warnings of all chunks are said once; the lock is not
            // held across the compile.
            let mut seen = std::mem::take(
                &mut *warned
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner),
            );
            let pages = compile_warning_once(&world, &mut seen);
            warned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(seen);
            let pages = pages?;
            trace(&format!("compile of chunk {}", k + 1));
            // Later chunks do not need this one's caches: what the chunks
            // in flight have not used lately goes, so the peak stays that
            // of a few chunks' compiles.
            InFlight::free_caches(warm.load(std::sync::atomic::Ordering::Relaxed));
            Ok(Compiled { pages, world })
        };

        let mut slots: Vec<Slot> =
            crate::render::on_own_threads(&starts, |k, &start| slot(k, start));
        let cached = slots
            .iter()
            .filter(|s| matches!(s.have, Have::Cached(_)))
            .count();
        if cache.is_some() {
            trace(&format!("{cached} of {n} chunks in the cache"));
        }
        // A render with much to lay out waits for another such render of
        // this process to finish: two at once only double the memory.
        let to_lay_out = slots
            .iter()
            .filter(|s| matches!(s.have, Have::Nothing))
            .count();
        let mut turn = if to_lay_out * 4 > n {
            take_turn()
        } else {
            None
        };
        // `regdoc watch` keeps what typst laid out for the next round when
        // an edit touched a chunk or two: the next save is most likely to
        // the same place, and laid out warm that chunk takes 0.1 s, not
        // 0.3–0.4. Not after a round that laid out many: that held 3.8 GiB.
        let few = |count: usize| count * 4 <= n;
        warm.store(
            keeps_typst_caches() && few(to_lay_out),
            std::sync::atomic::Ordering::Relaxed,
        );
        let laid_out: Vec<Option<Result<Compiled>>> = slots
            .par_iter()
            .enumerate()
            .with_max_len(1)
            .map(|(k, s)| matches!(s.have, Have::Nothing).then(|| compile(k, &s.json)))
            .collect();
        for (s, c) in slots.iter_mut().zip(laid_out) {
            if let Some(c) = c {
                s.have = Have::Compiled(Box::new(c?));
            }
        }
        let footnotes = |h: &Have| match h {
            Have::Cached(e) => e.footnotes,
            Have::Compiled(c) => chunk::footnotes(&c.pages),
            Have::Nothing => unreachable!("every chunk is cached or compiled"),
        };
        let mut running = 0;
        for k in 0..n {
            // A prediction that missed (the data said one count, typst
            // numbered another): this chunk starts again from the true
            // count. Rare, and correct either way.
            if starts[k] != running {
                trace(&format!("footnotes before chunk {} recounted", k + 1));
                slots[k] = slot(k, running);
                if matches!(slots[k].have, Have::Nothing) {
                    slots[k].have = Have::Compiled(Box::new(compile(k, &slots[k].json)?));
                }
            }
            running += footnotes(&slots[k].have);
        }
        let counts: Vec<usize> = slots
            .iter()
            .map(|s| match &s.have {
                Have::Cached(e) => e.pages,
                Have::Compiled(c) => c.pages.pages().len(),
                Have::Nothing => unreachable!("every chunk is cached or compiled"),
            })
            .collect();
        let total: usize = counts.iter().sum();
        let before: Vec<usize> = counts
            .iter()
            .scan(0, |acc, c| {
                let b = *acc;
                *acc += c;
                Some(b)
            })
            .collect();
        trace("compile");
        // The layouts are done with: what their compiles cached makes room
        // for the exports.
        let moved = slots
            .iter()
            .enumerate()
            .filter(|(k, s)| matches!(&s.have, Have::Cached(e) if e.before != before[*k] || e.total != total))
            .count();
        warm.store(
            keeps_typst_caches() && few(to_lay_out + moved),
            std::sync::atomic::Ordering::Relaxed,
        );
        InFlight::free_all_caches(warm.load(std::sync::atomic::Ordering::Relaxed));
        trace("typst's caches freed");
        // Cached chunks whose page numbers moved are laid out again to be
        // numbered anew: many of them, and this render waits its turn too.
        if turn.is_none() && moved * 4 > n {
            turn = take_turn();
        }

        // Each chunk's PDF: the cache's if its page numbers still hold,
        // else its pages (laid out again if the cache had them) numbered
        // and exported, side by side.
        let export =
            |k: usize, s: Slot| -> std::result::Result<(Vec<u8>, chunk::Headings), LongError> {
                let (compiled, was) = match s.have {
                    Have::Cached(e) if e.before == before[k] && e.total == total => {
                        return Ok((e.pdf, e.headings));
                    }
                    Have::Compiled(c) => (*c, None),
                    Have::Cached(e) => (compile(k, &s.json)?, Some(e)),
                    Have::Nothing => (compile(k, &s.json)?, None),
                };
                let pages = compiled.pages.pages().len();
                let footnotes = chunk::footnotes(&compiled.pages);
                let headings = chunk::headings(&compiled.pages);
                // What the cache said of a chunk laid out again must hold:
                // the other chunks were numbered by it.
                if let Some(said) = &was
                    && (said.pages, said.footnotes, &said.headings) != (pages, footnotes, &headings)
                {
                    return Err(LongError::Stale);
                }
                let numbered =
                    crate::render::typst::stamp::page_numbers_of(compiled.pages, before[k], total)?;
                let pdf = export_pdf(&compiled.world, &numbered, self.ident, self.dated)?;
                trace(&format!("export of chunk {}", k + 1));
                if let Some(cache) = &cache {
                    let entry = Entry {
                        key: s.key,
                        pages,
                        footnotes,
                        headings: headings.clone(),
                        before: before[k],
                        total,
                        pdf,
                    };
                    cache.store(&self.cache_name(), k, &entry);
                    return Ok((entry.pdf, headings));
                }
                Ok((pdf, headings))
            };
        // On threads of this render's own, not rayon's: see
        // `render::each_on_own_threads`. Except on a thread of rayon's pool
        // (`build` runs a mark-up of short versions there, and it can still
        // be cut in chunks): waiting there for threads of our own would
        // take a thread from the pool that compresses their pages, and two
        // such renders on two cores would wait for each other for ever.
        let exported: Vec<std::result::Result<(Vec<u8>, chunk::Headings), LongError>> =
            if rayon::current_thread_index().is_some() {
                slots
                    .into_par_iter()
                    .enumerate()
                    .with_max_len(1)
                    .map(|(k, s)| export(k, s))
                    .collect()
            } else {
                crate::render::each_on_own_threads(slots, export)
            };
        let exported: Vec<(Vec<u8>, chunk::Headings)> = exported
            .into_iter()
            .collect::<std::result::Result<_, _>>()?;
        if let Some(cache) = &cache {
            cache.forget_from(&self.cache_name(), n);
        }
        drop(turn);
        // Not after a warm render: what it freed is little, and `watch`'s
        // next round takes it again; trimming a heap of a gigabyte took
        // 15–25 ms each time.
        if !warm.load(std::sync::atomic::Ordering::Relaxed) {
            give_back_memory();
        }
        trace("export of chunks");
        Ok((exported, counts))
    }
}

/// What a render compiles.
enum Parts {
    /// The whole document's template data, as JSON: one compile.
    Whole(Vec<u8>),
    /// Each chunk's (`render::typst::chunk`), to which its footnote
    /// counter's start is added.
    Chunks(Vec<crate::render::typst::chunk::Chunk>),
}

/// The template a render of `template` reads that the templates folder
/// replaces: `template` itself or the `regdoc.typ` it imports.
fn replaced<'a>(template: &'a str, templates: &Templates) -> Option<&'a str> {
    [template, "regdoc.typ"]
        .into_iter()
        .find(|name| templates.overrides(name))
}

/// Whether a render of `template` may be cut in chunks: a version or a
/// mark-up, whose template and `regdoc.typ` lay out chunks (regdoc's own
/// do; a replacement must say so, `Templates::lays_out_chunks`), and not
/// with chunks turned off.
fn chunkable(template: &str, templates: &Templates) -> bool {
    matches!(template, "version.typ" | "markup.typ")
        && templates.lays_out_chunks(template)
        && templates.lays_out_chunks("regdoc.typ")
        && crate::render::typst::chunk::chunk_bytes() > 0
}

/// Where the replaced template is that keeps a render of `template`, with
/// template data `json` that the built-in templates would lay out in
/// chunks, in one compile. Once per template and process: a build or a
/// `watch` renders many documents with it.
fn undeclared(template: &str, templates: &Templates, json: &[u8]) -> Option<String> {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let size = crate::render::typst::chunk::chunk_bytes();
    if !matches!(template, "version.typ" | "markup.typ") || size == 0 || json.len() <= size {
        return None;
    }
    let replaced = [template, "regdoc.typ"]
        .into_iter()
        .find(|name| !templates.lays_out_chunks(name))
        .map(|name| templates.describe(name))?;
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if said.contains(&replaced) || crate::render::typst::chunk::split(json, size).is_none() {
        return None;
    }
    said.push(replaced.clone());
    Some(replaced)
}

/// The compiles a render of the template data `json` takes: one, or for
/// a long document, one per chunk (`render::typst::chunk`).
fn chunks(json: Vec<u8>) -> Parts {
    use crate::render::typst::chunk;
    match chunk::split(&json, chunk::chunk_bytes()) {
        Some(parts) => Parts::Chunks(parts),
        None => Parts::Whole(json),
    }
}

/// The texts of `doc` that become PDF strings, each within
/// [`crate::model::MAX_PDF_STRING_CHARS`]: an error naming the file and
/// the field (`check` finds them in governed files, located).
fn check_pdf_strings(doc: &SourceDoc) -> Result<()> {
    let mut fields: Vec<(&str, String, std::path::PathBuf)> = Vec::new();
    let origin = std::path::PathBuf::from(&doc.origin);
    if let Some(i) = &doc.info {
        let yaml = doc
            .dir
            .as_ref()
            .map(|d| d.join(crate::source::DOCUMENT_FILE))
            .unwrap_or_else(|| origin.clone());
        for (name, v) in i.pdf_strings() {
            fields.push((name, v.to_string(), yaml.clone()));
        }
    }
    fields.push(("title", doc.title(), origin));
    for (name, value, path) in fields {
        let n = value.chars().count();
        if n > crate::model::MAX_PDF_STRING_CHARS {
            return Err(crate::error::Error::in_file(
                &path,
                format!(
                    "its `{name}` is {n} characters long; a PDF keeps it as a string of at most {}",
                    crate::model::MAX_PDF_STRING_CHARS
                ),
            )
            .rule("limits/field-length")
            .help("shorten it: titles and names are printed on every page"));
        }
    }
    Ok(())
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
    /// one finishes, unless the render keeps them `warm`. What was used
    /// since the last chunk finished stays: the chunks still in flight,
    /// any other render of this process. Even in `watch`, when a round
    /// lays out many chunks: the chunks an edit did not touch come from
    /// the chunk cache, not from typst's, and keeping every chunk's layout
    /// of a first round had held 3.8 GiB.
    fn free_caches(warm: bool) {
        if !warm {
            typst::comemo::evict(1);
        }
    }
}

impl InFlight {
    /// Frees typst's memo caches once a long document's chunks are laid
    /// out: all of them, unless another render is under way or `regdoc
    /// watch` keeps what was used lately for its next round (all of it
    /// when `warm`).
    fn free_all_caches(warm: bool) {
        use std::sync::atomic::Ordering::SeqCst;
        if warm {
            // Nothing to free (nor to give back: see `lay_out`).
            return;
        }
        if KEEP_CACHES.load(SeqCst) || IN_FLIGHT.load(SeqCst) > 1 {
            typst::comemo::evict(1);
        } else {
            typst::comemo::evict(0);
        }
        give_back_memory();
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
        "regdoc: {phase}: {:.2} s; cpu {:.2} s; {}",
        start.elapsed().as_secs_f64(),
        cpu_seconds(),
        crate::fsutil::peak_memory()
    );
}

/// The CPU time this process has used, user and system, on all threads:
/// beside the wall clock, how well a phase used the cores.
fn cpu_seconds() -> f64 {
    #[cfg(unix)]
    {
        // SAFETY: getrusage only writes the struct it is given.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
            return 0.0;
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    }
    #[cfg(not(unix))]
    0.0
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

#[cfg(test)]
mod tests {
    use super::with_footnotes_before;

    #[test]
    fn the_footnote_count_is_written_into_the_json() {
        let data = serde_json::json!({"blocks": [1, 2], "doc": {"title": "T"}});
        let json = with_footnotes_before(&serde_json::to_vec(&data).unwrap(), 7);
        let back: serde_json::Value = serde_json::from_slice(&json).unwrap();
        let mut want = data.clone();
        want["footnotes_before"] = 7.into();
        assert_eq!(back, want);
        let empty = with_footnotes_before(b"{}", 3);
        assert_eq!(empty, br#"{"footnotes_before":3}"#.to_vec());
    }
}
