//! `regdoc build`: every version's PDF and every mark-up, into `out/`.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diff;
use crate::error::Result;
use crate::fsutil::write_atomic;
use crate::model::{Document, SourceDoc, Status, VersionFile};
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
}

/// File name of a version's PDF: `emrr-v2.0.pdf`, `emrr-v3.0-draft.pdf`.
pub fn version_file_name(id: &str, file: &VersionFile) -> String {
    let suffix = match file.meta.status {
        Status::Approved => "",
        Status::Draft => "-draft",
        Status::Superseded => "-superseded",
        Status::Withdrawn => "-withdrawn",
    };
    format!("{id}-v{}{suffix}.pdf", file.meta.version)
}

/// File name of a mark-up: `emrr-v2.0-to-v3.0-markup.pdf`.
pub fn markup_file_name(id: &str, old: &VersionFile, new: &VersionFile) -> String {
    format!(
        "{id}-v{}-to-v{}-markup.pdf",
        old.meta.version, new.meta.version
    )
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
    }
    jobs
}

/// Where a job's PDF goes under `out`.
pub fn output_path(docs: &[Document], job: &Job, out: &Path) -> PathBuf {
    match *job {
        Job::Version { doc, index } => {
            let d = &docs[doc];
            out.join(&d.info.id)
                .join(version_file_name(&d.info.id, &d.versions[index]))
        }
        Job::Markup { doc, old, new } => {
            let d = &docs[doc];
            out.join(&d.info.id).join(markup_file_name(
                &d.info.id,
                &d.versions[old],
                &d.versions[new],
            ))
        }
    }
}

/// Renders one job to PDF bytes.
pub fn render_job(docs: &[Document], job: &Job, templates: &Templates) -> Result<Vec<u8>> {
    match *job {
        Job::Version { doc, index } => {
            let d = &docs[doc];
            pdf::render_version(Some(d), &d.source_doc(&d.versions[index]), templates)
        }
        Job::Markup { doc, old, new } => {
            let d = &docs[doc];
            let (a, b): (SourceDoc, SourceDoc) = (
                d.source_doc(&d.versions[old]),
                d.source_doc(&d.versions[new]),
            );
            let redline = diff::diff_docs(&a, &b);
            pdf::render_markup(Some(d), &a, &b, &redline, templates)
        }
    }
}

/// Builds every artefact of the workspace into `out`, in parallel. Returns
/// the files written, in plan order. Every PDF is rendered before any is
/// written, so a failure leaves `out/` as it was.
pub fn build_all(ws: &Workspace, out: &Path, templates: &Templates) -> Result<Vec<PathBuf>> {
    let docs = ws.load_all()?;
    let jobs = plan(&docs);
    let rendered: Vec<Result<(PathBuf, Vec<u8>)>> = jobs
        .par_iter()
        .map(|job| {
            Ok((
                output_path(&docs, job, out),
                render_job(&docs, job, templates)?,
            ))
        })
        .collect();
    let rendered: Vec<(PathBuf, Vec<u8>)> = rendered.into_iter().collect::<Result<_>>()?;
    let mut written = Vec::new();
    for (path, bytes) in rendered {
        write_atomic(&path, &bytes)?;
        written.push(path);
    }
    Ok(written)
}
