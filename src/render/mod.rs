//! Renderers: each turns a [`crate::diff::Redline`] (or, for the version
//! PDF, one document) into one artefact and knows nothing of the others.
//!
//! Every comparison format implements [`Renderer`] over one
//! [`RenderContext`], as mdBook's renderers share one `RenderContext`: the
//! CLI picks a renderer by name ([`by_name`]) and never knows its
//! signature. Helpers more than one renderer needs live in modules that are
//! not renderers: [`data`] (typst data), [`text`] (canonical Markdown of
//! blocks). No renderer imports another; `tests/architecture.rs` checks it.

use std::path::PathBuf;

use crate::diff::Redline;
use crate::error::Result;
use crate::model::{Document, SourceDoc};
use crate::source::assets::Images;

#[cfg(feature = "pdf")]
pub mod chunkcache;
pub mod data;
pub mod docx;
pub mod html;
pub mod json;
pub mod markdown;
#[cfg(feature = "pdf")]
pub mod pdf;
#[cfg(feature = "pdf")]
pub mod pdfjoin;
#[cfg(feature = "pdf")]
pub mod pdfmeta;
pub mod response_template;
pub mod terminal;
pub mod text;
#[cfg(feature = "pdf")]
pub mod typst;

/// Drops `value` on a thread of its own. For the trees of a long render
/// (its template data, its sources, the diff): freeing their millions of
/// small allocations took 0.1 s after every `watch` round's join, before
/// its PDFs could be written.
#[cfg(feature = "pdf")]
pub(crate) fn drop_later<T: Send + 'static>(value: T) {
    // Without a thread to be had, the closure, and with it `value`, is
    // dropped here, as it would have been.
    let _ = std::thread::Builder::new()
        .name("regdoc-drop".into())
        .spawn(move || drop(value));
}

/// `f` of each item, on threads of this call's own, one per core, the
/// results in order. For the short phases of a long render (looking its
/// chunks up in the cache, the join's copying): on rayon's threads they
/// would queue behind another render's chunk compiles, half a second each.
#[cfg(feature = "pdf")]
pub(crate) fn on_own_threads<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(usize, &T) -> R + Sync,
) -> Vec<R> {
    each_on_own_threads(items.iter().collect(), f)
}

/// `f` of each item, taken by value, on threads of this call's own, one
/// per core; each thread takes the next item when it is done with one,
/// and the results come in order.
///
/// For a long render's chunk exports too, which rayon's pool must not
/// run: typst's PDF writer (krilla) waits for its pages' compressed
/// streams with `rayon::yield_now`, and on a thread of the pool that runs
/// other queued jobs on top of the waiting one. Every chunk's export was
/// then started before any finished: all their PDFs in memory at once,
/// 130 MiB above the layouts' peak for a 1,000-page mark-up.
///
/// Not from a thread of rayon's pool when `f` waits for work queued on
/// the pool (as an export does): the calling thread would wait here
/// without running any of it (`render::pdf` keeps rayon's way there).
#[cfg(feature = "pdf")]
pub(crate) fn each_on_own_threads<T: Send, R: Send>(
    items: Vec<T>,
    f: impl Fn(usize, T) -> R + Sync,
) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    if items.len() <= 1 || cores == 1 {
        return items
            .into_iter()
            .enumerate()
            .map(|(i, t)| f(i, t))
            .collect();
    }
    let n = items.len();
    let queue: Vec<Mutex<Option<T>>> = items.into_iter().map(|t| Mutex::new(Some(t))).collect();
    let results: Vec<Mutex<Option<R>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let take = |m: &Mutex<Option<T>>| {
        m.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    };
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..cores.min(n))
            .map(|_| {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = queue.get(i).and_then(take) else {
                            break;
                        };
                        let r = f(i, item);
                        *results[i]
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(r);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    });
    results
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .expect("every item was taken by a thread that finished")
        })
        .collect()
}

/// Most picture bytes one HTML or Word output embeds, counting every
/// reference (each one is embedded).
pub const MAX_EMBEDDED_IMAGE_BYTES: u64 = 64 * 1024 * 1024;

/// Everything a renderer of a comparison may use.
pub struct RenderContext<'a> {
    pub old: &'a SourceDoc,
    pub new: &'a SourceDoc,
    pub redline: &'a Redline,
    /// The governed document the new side belongs to (for its version
    /// history), if it is one.
    pub document: Option<&'a Document>,
    pub options: RenderOptions,
}

/// What the user asked of the output.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    /// Colour (ANSI) in terminal output.
    pub color: bool,
    /// Who Word's tracked changes are attributed to (default: the
    /// document's owner, or "regdoc").
    pub author: Option<String>,
    /// A folder of typst templates overriding the built-in ones (PDF).
    pub templates: Option<PathBuf>,
    /// JSON: leave out `blocks`, both whole documents, which CI consumers
    /// reading only what changed do not need.
    pub no_blocks: bool,
}

impl RenderContext<'_> {
    /// The images both sides show, read from their folders (the new side's
    /// win where both name the same file).
    pub fn images(&self) -> Result<Images> {
        let mut images = Images::default();
        images.load(self.new)?;
        images.load(self.old)?;
        // HTML and Word embed a picture at every reference: a 10 MB image
        // referred to ten times is 100 MB of output (and, as base64, more
        // in memory). Past the limit, the reference that crosses it is the
        // error.
        let mut total: u64 = 0;
        for doc in [self.new, self.old] {
            let mut crossed: Option<String> = None;
            crate::model::walk(&doc.blocks, &mut |b| {
                crate::model::leaf_inlines(b, &mut |i| {
                    if let Some(img) = &i.style.image
                        && let Some(p) = images.get(&img.src)
                    {
                        total += p.bytes.len() as u64;
                        if total > MAX_EMBEDDED_IMAGE_BYTES && crossed.is_none() {
                            crossed = Some(img.src.clone());
                        }
                    }
                });
            });
            if let Some(src) = crossed {
                return Err(crate::source::assets::locate(
                    &doc.origin,
                    &src,
                    format!(
                        "the pictures to embed add up to more than {} MiB at `{src}`",
                        MAX_EMBEDDED_IMAGE_BYTES / (1024 * 1024)
                    ),
                )
                .help("see docs/limits.md; the PDF shows them without this limit"));
            }
        }
        Ok(images)
    }
}

/// One output format of a comparison.
pub trait Renderer {
    /// The name users pick it by: `regdoc diff --format NAME`.
    fn name(&self) -> &'static str;
    /// Whether the output is a binary file (never written to a terminal).
    fn binary(&self) -> bool {
        false
    }
    fn render(&self, ctx: &RenderContext<'_>) -> Result<Vec<u8>>;
}

/// Every comparison format, in the order `--help` lists them.
pub fn renderers() -> Vec<Box<dyn Renderer>> {
    let all: Vec<Box<dyn Renderer>> = vec![
        Box::new(terminal::Terminal),
        Box::new(html::Html),
        Box::new(markdown::CriticMarkup),
        Box::new(json::Json),
        Box::new(docx::Word),
    ];
    #[cfg(feature = "pdf")]
    let all = {
        let mut all = all;
        all.push(Box::new(pdf::Markup) as Box<dyn Renderer>);
        all
    };
    all
}

/// The renderer called `name`.
pub fn by_name(name: &str) -> Option<Box<dyn Renderer>> {
    renderers().into_iter().find(|r| r.name() == name)
}
