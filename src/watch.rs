//! `regdoc watch`: rebuild what an edit affects, as it is saved.
//!
//! It builds once, then waits for file events in the documents folder and
//! the templates folder (inotify through `notify`), and after each burst
//! of events builds again. The build skips every artefact whose inputs
//! did not change (`build::input_hash`), so an edit to one version
//! rebuilds its PDFs and mark-ups only; and typst's memo caches are kept
//! between rounds, so unchanged pages are not laid out again.
//!
//! A half-saved file is an error of that round, printed with its place;
//! the next save starts the next round. Ctrl-C (or SIGTERM) ends it after
//! the round in progress: outputs are written whole or not at all.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::build::{BuildOptions, BuildReport, build_all};
use crate::error::{Error, Result};
use crate::render::typst::Templates;
use crate::source::Workspace;

/// How long the events of one change may be apart: an editor's save is
/// often a write, a rename and a chmod within a millisecond or two, and
/// `git checkout` is hundreds in a row. The round starts once none has
/// come for this long. 50 ms, watchexec's default debounce: the 150 ms
/// this was were a seventh of a round after a one-paragraph edit of a
/// 1,000-page draft, spent waiting.
const SETTLE: Duration = Duration::from_millis(50);

/// What the watch loop hears.
enum Heard {
    /// A file changed somewhere it watches.
    Changed(PathBuf),
    /// Ctrl-C or SIGTERM.
    Stop,
}

/// Options of `regdoc watch`.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub out: PathBuf,
    /// `--templates DIR`, read again at every round.
    pub templates: Option<PathBuf>,
    /// Build once, report, and exit: for scripts.
    pub once: bool,
}

/// One round: a build, and what it says. Returns whether it succeeded.
fn round(ws: &Workspace, opts: &WatchOptions, why: &str) -> bool {
    let start = Instant::now();
    // What git says of the sources is asked anew: an edit or a commit
    // since the last round changes what the PDFs name.
    crate::source::forget_git_places();
    let built = match &opts.templates {
        Some(dir) => Templates::from_dir(dir),
        None => Ok(Templates::builtin()),
    }
    .and_then(|templates| {
        let build = BuildOptions {
            force: false,
            progress: false,
            keep_stale: false,
        };
        build_all(ws, &opts.out, &templates, &build)
    });
    // Keep what the last rounds laid out, not everything ever: the memo
    // caches grow with every version of every page.
    typst::comemo::evict(3);
    let ms = start.elapsed().as_millis();
    match built {
        Ok(report) => {
            say_written(&report, why, ms);
            true
        }
        Err(e) => {
            eprintln!("{e}");
            eprintln!("regdoc watch: {why}: failed after {ms} ms; waiting for the next save");
            false
        }
    }
}

fn say_written(report: &BuildReport, why: &str, ms: u128) {
    for p in &report.written {
        println!(
            "wrote {}",
            crate::error::printable(&p.display().to_string())
        );
    }
    for p in &report.removed {
        println!(
            "removed {} (no version produces it any more)",
            crate::error::printable(&p.display().to_string())
        );
    }
    println!(
        "regdoc watch: {why}: {} written, {} up to date in {ms} ms",
        report.written.len(),
        report.unchanged.len()
    );
}

/// Runs `regdoc watch`: exit status 0 when stopped (or, with `--once`,
/// when the build succeeded), 2 when `--once` failed or nothing can be
/// watched.
pub fn watch(ws: &Workspace, opts: &WatchOptions) -> Result<i32> {
    // typst's memo caches stay warm between rounds.
    crate::render::pdf::keep_typst_caches(true);
    if opts.once {
        return Ok(if round(ws, opts, "built") { 0 } else { 2 });
    }
    let (tx, rx) = mpsc::channel::<Heard>();
    let stop = tx.clone();
    ctrlc::set_handler(move || {
        let _ = stop.send(Heard::Stop);
    })
    .map_err(|e| Error::input(format!("cannot catch Ctrl-C: {e}")))?;
    let out = absolute(&opts.out);
    let events = tx.clone();
    let mut folders = vec![ws.root().to_path_buf()];
    folders.extend(opts.templates.clone());
    let watched: Vec<PathBuf> = folders.iter().map(|f| absolute(f)).collect();
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        if let Ok(ev) = res
            && !matches!(ev.kind, notify::EventKind::Access(_))
        {
            for p in ev.paths {
                let p_abs = absolute(&p);
                // Its own outputs are never a reason to build; of the
                // folders above the watched ones, only the watched
                // folders themselves (moved, replaced) are.
                if !p_abs.starts_with(&out) && watched.iter().any(|w| p_abs.starts_with(w)) {
                    let _ = events.send(Heard::Changed(p));
                }
            }
        }
    })
    .map_err(|e| Error::input(format!("cannot watch files: {e}")))?;
    use notify::Watcher;
    for f in &folders {
        watcher
            .watch(f, notify::RecursiveMode::Recursive)
            .map_err(|e| Error::in_file(f, format!("cannot watch it: {e}")))?;
        // Its parent too, not into its other folders: a folder moved away
        // and another put in its place (`mv documents old; cp -r old
        // documents`) is heard, and watched anew.
        if let Some(parent) = absolute(f).parent() {
            let _ = watcher.watch(parent, notify::RecursiveMode::NonRecursive);
        }
    }
    // Each folder as it is watched: a folder replaced is another one.
    let mut identity: Vec<Option<String>> = folders
        .iter()
        .map(|f| crate::fsutil::folder_id(f).ok())
        .collect();
    round(ws, opts, "built");
    println!(
        "regdoc watch: watching {}; Ctrl-C to stop",
        folders
            .iter()
            .map(|f| crate::error::printable(&f.display().to_string()))
            .collect::<Vec<_>>()
            .join(" and ")
    );
    while let Ok(Heard::Changed(first)) = rx.recv() {
        // The rest of the burst. The file it names is one that is there
        // now: an editor's (or sed's) temporary file, renamed over the
        // real one, is not what the user changed.
        let mut named = first;
        let mut stopped = false;
        while let Ok(h) = rx.recv_timeout(SETTLE) {
            match h {
                Heard::Stop => {
                    stopped = true;
                    break;
                }
                Heard::Changed(p) => {
                    if !crate::source::exists(&named) && crate::source::exists(&p) {
                        named = p;
                    }
                }
            }
        }
        if stopped {
            break;
        }
        // A watched folder replaced by another: watch the one there now.
        for (f, id) in folders.iter().zip(identity.iter_mut()) {
            let now = crate::fsutil::folder_id(f).ok();
            if now != *id {
                let _ = watcher.unwatch(f);
                if now.is_some()
                    && let Err(e) = watcher.watch(f, notify::RecursiveMode::Recursive)
                {
                    eprintln!(
                        "{}",
                        Error::in_file(f, format!("cannot watch it again: {e}"))
                    );
                }
                *id = now;
            }
        }
        let first = named;
        // Said as the user names it: relative to where regdoc runs.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = first.strip_prefix(&cwd).unwrap_or(&first);
        let why = format!(
            "{} changed",
            crate::error::printable(&shown.display().to_string())
        );
        round(ws, opts, &why);
    }
    println!("regdoc watch: stopped");
    Ok(0)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
