//! Writes the benchmark corpus: generated documents of 10, 100 and 1,000
//! pages and each edit pattern of them, as Markdown pairs and as a
//! documents folder for `regdoc build`.
//!
//! cargo run --release --example gendocs -- OUT_DIR [PAGES…]

#[path = "../benches/support/generate.rs"]
mod generate;

use generate::{Edit, document, document_yaml, edit, markdown};

fn main() {
    let mut args = std::env::args().skip(1);
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "target/bench-corpus".into()));
    let sizes: Vec<usize> = {
        let v: Vec<usize> = args.filter_map(|a| a.parse().ok()).collect();
        if v.is_empty() { vec![10, 100, 1000] } else { v }
    };
    for pages in sizes {
        let old = document(pages, pages as u64);
        let dir = out.join(format!("p{pages}"));
        std::fs::create_dir_all(&dir).expect("create corpus folder");
        std::fs::write(
            dir.join("old.md"),
            markdown(&old, Some(("1.0", "approved"))),
        )
        .expect("write");
        for e in Edit::ALL {
            let new = edit(&old, e, pages as u64);
            std::fs::write(
                dir.join(format!("new-{}.md", e.name())),
                markdown(&new, Some(("1.1", "draft"))),
            )
            .expect("write");
        }
        // A documents folder: one document, approved v1.0 and a 10% draft.
        let docs = dir.join("documents").join("gen");
        std::fs::create_dir_all(&docs).expect("create documents folder");
        std::fs::write(docs.join("document.yaml"), document_yaml("gen")).expect("write");
        std::fs::write(
            docs.join("v1.0.md"),
            markdown(&old, Some(("1.0", "approved"))),
        )
        .expect("write");
        let new = edit(&old, Edit::Words10, pages as u64);
        std::fs::write(docs.join("v1.1.md"), markdown(&new, Some(("1.1", "draft"))))
            .expect("write");
        println!("wrote {}", dir.display());
    }
}
