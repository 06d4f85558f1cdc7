//! Replays the fuzz corpus (`fuzz/corpus/TARGET/`) and every crash the
//! fuzzers ever found (`fuzz/regressions/TARGET/`) through the same checks
//! the fuzz targets run, on the stable toolchain, in every `cargo test`.

#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&str)) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut seen = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).unwrap();
            if let Ok(text) = std::str::from_utf8(&bytes) {
                let r = std::panic::catch_unwind(|| check(text));
                assert!(r.is_ok(), "{target}: {} fails", p.display());
                seen += 1;
            }
        }
    }
    assert!(seen > 0, "no inputs for {target}");
}

#[test]
fn front_matter() {
    replay("front_matter", checks::front_matter);
}

#[test]
fn markdown() {
    replay("markdown", checks::markdown);
}

#[test]
fn diff() {
    replay("diff", checks::diff);
}

#[test]
fn outputs() {
    replay("outputs", checks::outputs);
}

#[test]
fn response() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut seen = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join("response")) else {
            continue;
        };
        let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        for p in paths {
            let bytes = std::fs::read(&p).unwrap();
            let r = std::panic::catch_unwind(|| checks::response(&bytes));
            assert!(r.is_ok(), "response: {} fails", p.display());
            seen += 1;
        }
    }
    assert!(seen > 0, "no inputs for response");
}
