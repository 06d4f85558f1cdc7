//! Splitting a Markdown file into YAML front matter and body.

use std::path::Path;

use crate::error::{Error, Result};

/// The parts of a source file.
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    /// The YAML between the fences, if the file has front matter.
    pub yaml: Option<&'a str>,
    /// 1-based line of the first YAML line.
    pub yaml_line: usize,
    /// Byte offset where the YAML starts.
    pub yaml_offset: usize,
    pub body: &'a str,
    /// Byte offset of the body in the file.
    pub body_offset: usize,
}

/// Finds the front matter: a first line `---`, closed by `---` or `...`.
pub fn split<'a>(path: &Path, text: &'a str) -> Result<Split<'a>> {
    let first_end = text.find('\n').map_or(text.len(), |i| i + 1);
    if text[..first_end].trim_end() != "---" {
        return Ok(Split {
            yaml: None,
            yaml_line: 0,
            yaml_offset: 0,
            body: text,
            body_offset: 0,
        });
    }
    let mut offset = first_end;
    while offset < text.len() {
        let end = text[offset..]
            .find('\n')
            .map_or(text.len(), |i| offset + i + 1);
        let line = text[offset..end].trim_end();
        if line == "---" || line == "..." {
            return Ok(Split {
                yaml: Some(&text[first_end..offset]),
                yaml_line: 2,
                yaml_offset: first_end,
                body: &text[end..],
                body_offset: end,
            });
        }
        offset = end;
    }
    Err(Error::in_file(path, "the front matter is not closed")
        .at(1, 1)
        .help("end the YAML block with a line `---`"))
}
