//! Images a document shows: where they may come from, and reading them.
//!
//! An image is read from the document's own folder only, through the same
//! rule as every other source: a path that leaves the folder (`../`, an
//! absolute path, a symlink) is refused, and a remote address is never
//! fetched (renderers show its alt text and address instead).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::{Block, SourceDoc, leaf_inlines, walk};

/// Largest image regdoc embeds.
pub const MAX_IMAGE_BYTES: u64 = 16 * 1024 * 1024;

/// A remote (or otherwise non-file) address: never read.
pub fn is_remote(src: &str) -> bool {
    let scheme = src.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.len() > 1
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    scheme || src.starts_with("//")
}

/// A decoded image: its bytes, what kind it is and its size in pixels.
#[derive(Debug, Clone)]
pub struct Picture {
    pub bytes: Vec<u8>,
    /// `png`, `jpeg`, `gif`, `webp` or `svg`.
    pub format: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Picture {
    pub fn mime(&self) -> &'static str {
        match self.format {
            "png" => "image/png",
            "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            _ => "image/svg+xml",
        }
    }
}

/// What is wrong with an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageProblem {
    Outside(String),
    Missing(String),
    Undecodable(String),
}

impl std::fmt::Display for ImageProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImageProblem::Outside(s) => write!(f, "{s}"),
            ImageProblem::Missing(s) => write!(f, "{s}"),
            ImageProblem::Undecodable(s) => write!(f, "{s}"),
        }
    }
}

/// The file an image source names inside `dir`, or why it may not be read.
fn resolve(dir: &Path, src: &str) -> std::result::Result<PathBuf, ImageProblem> {
    let rel = Path::new(src);
    if rel.is_absolute() || src.starts_with('/') || src.starts_with('\\') {
        return Err(ImageProblem::Outside(format!(
            "the image `{src}` is an absolute path; images must live in the document's folder"
        )));
    }
    if rel
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(ImageProblem::Outside(format!(
            "the image `{src}` leaves the document's folder (`..`)"
        )));
    }
    let root = dir.canonicalize().map_err(|e| {
        ImageProblem::Missing(format!("cannot read the folder {}: {e}", dir.display()))
    })?;
    let path = root.join(rel);
    let real = path
        .canonicalize()
        .map_err(|_| ImageProblem::Missing(format!("the image `{src}` does not exist")))?;
    if !real.starts_with(&root) {
        return Err(ImageProblem::Outside(format!(
            "the image `{src}` links outside the document's folder (to {})",
            real.display()
        )));
    }
    Ok(real)
}

/// Reads and checks one image of the folder `dir`.
pub fn read_image(dir: &Path, src: &str) -> std::result::Result<Picture, ImageProblem> {
    let path = resolve(dir, src)?;
    let meta = std::fs::metadata(&path)
        .map_err(|e| ImageProblem::Missing(format!("cannot read the image `{src}`: {e}")))?;
    if !meta.is_file() {
        return Err(ImageProblem::Missing(format!(
            "the image `{src}` is not a file"
        )));
    }
    let bytes = super::read_bounded(&path, MAX_IMAGE_BYTES).map_err(|e| {
        ImageProblem::Missing(format!("cannot read the image `{src}`: {}", e.message))
    })?;
    decode(src, bytes)
}

/// Checks and sizes a picture's bytes (`src` names it in messages): a
/// document's image or a house logo, held to the same rules.
pub fn decode(src: &str, bytes: Vec<u8>) -> std::result::Result<Picture, ImageProblem> {
    let svg = {
        let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_lowercase();
        head.contains("<svg")
    };
    if svg {
        // An SVG may pull in other files (`<image href="fig.png">`, an
        // external stylesheet): those would reach the PDF without being
        // the document's own images, unguarded by `check --base` and
        // unhashed by `build`. Only self-contained SVGs are read.
        match svg_external_reference(&String::from_utf8_lossy(&bytes)) {
            Ok(None) => {}
            Ok(Some(target)) => {
                return Err(ImageProblem::Undecodable(format!(
                    "the image `{src}` refers to another file (`{}`); regdoc reads only self-contained SVGs",
                    crate::error::printable(&target)
                )));
            }
            Err(why) => {
                return Err(ImageProblem::Undecodable(format!(
                    "the image `{src}` is an SVG regdoc does not draw: {why}"
                )));
            }
        }
        return Ok(Picture {
            bytes,
            format: "svg",
            width: 0,
            height: 0,
        });
    }
    let kind = imagesize::image_type(&bytes).ok();
    let format = match kind {
        Some(imagesize::ImageType::Png) => "png",
        Some(imagesize::ImageType::Jpeg) => "jpeg",
        Some(imagesize::ImageType::Gif) => "gif",
        Some(imagesize::ImageType::Webp) => "webp",
        _ => {
            return Err(ImageProblem::Undecodable(format!(
                "the image `{src}` is not a PNG, JPEG, GIF, WebP or SVG file"
            )));
        }
    };
    let size = imagesize::blob_size(&bytes).map_err(|_| {
        ImageProblem::Undecodable(format!(
            "the image `{src}` is damaged (its size cannot be read)"
        ))
    })?;
    if size.width == 0 || size.height == 0 {
        return Err(ImageProblem::Undecodable(format!(
            "the image `{src}` has no pixels"
        )));
    }
    Ok(Picture {
        bytes,
        format,
        width: size.width as u32,
        height: size.height as u32,
    })
}

/// Most elements in an SVG picture or logo: a diagram has hundreds.
pub const MAX_SVG_ELEMENTS: usize = 20_000;
/// Most elements of an SVG drawn through a filter (a blur, a shadow):
/// each is drawn pixel by pixel.
pub const MAX_SVG_FILTERED: usize = 64;

/// The first reference of an SVG to something outside it, read as an SVG
/// reader reads it (an XML parser, never a text search: `href = "a.png"`,
/// a line break before `=`, an entity or a namespace prefix all name the
/// same attribute): any `href` attribute (`xlink:href`, `href`, whatever
/// the prefix) or CSS `url(…)`/`@import` in an attribute or a `<style>`
/// that is not a fragment (`#id`) or a `data:` URI, and any
/// `xml-stylesheet` instruction. An SVG that is not well-formed XML is
/// refused as such (`Err`): what a parser cannot read cannot be shown to
/// be self-contained.
fn svg_external_reference(svg: &str) -> std::result::Result<Option<String>, String> {
    let doc = roxmltree::Document::parse_with_options(
        svg,
        roxmltree::ParsingOptions {
            // Internal entities are expanded (bounded by roxmltree), so a
            // reference spelt through one is still seen; none is fetched.
            allow_dtd: true,
            nodes_limit: 1_000_000,
            ..Default::default()
        },
    )
    .map_err(|e| format!("it is not well-formed XML ({e})"))?;
    let outside = |t: &str| {
        let t = t.trim();
        !t.is_empty() && !t.starts_with('#') && !t.to_ascii_lowercase().starts_with("data:")
    };
    // What laying it out costs: every element, and above all every one
    // drawn through a filter (a blur is drawn pixel by pixel): 20,000
    // blurred rectangles (1 MB) took 65 s to render as a logo.
    let elements = doc.descendants().filter(|n| n.is_element()).count();
    if elements > MAX_SVG_ELEMENTS {
        return Err(format!(
            "it has {elements} elements; regdoc draws SVGs of up to {MAX_SVG_ELEMENTS}"
        ));
    }
    // A filter a stylesheet sets may apply to every element.
    let styled_filter = doc.descendants().any(|n| {
        n.has_tag_name((SVG_NS, "style")) || n.tag_name().name() == "style"
    } && n.text().is_some_and(|t| t.contains("filter")));
    let filtered = if styled_filter {
        elements
    } else {
        doc.descendants()
            .filter(|n| {
                n.attribute("filter").is_some_and(|f| f.trim() != "none")
                    || n.attribute("style").is_some_and(|s| s.contains("filter"))
            })
            .count()
    };
    // `<use>` draws a copy of what it names: counted as drawn, each copy
    // (ten levels of ten `<use>` are a kilobyte that draws 10^10).
    let drawn = drawn_elements(&doc);
    if drawn > MAX_SVG_ELEMENTS as u64 {
        return Err(format!(
            "it draws {drawn} elements (its `<use>` copies counted); regdoc draws SVGs of up to {MAX_SVG_ELEMENTS}"
        ));
    }
    if filtered > MAX_SVG_FILTERED {
        return Err(format!(
            "{filtered} of its elements are drawn through a filter; regdoc draws SVGs with up to {MAX_SVG_FILTERED}"
        ));
    }
    for node in doc.descendants() {
        if node.is_pi() {
            if let Some(pi) = node.pi()
                && pi.target.eq_ignore_ascii_case("xml-stylesheet")
            {
                return Ok(Some(format!(
                    "<?{} {}?>",
                    pi.target,
                    pi.value.unwrap_or("")
                )));
            }
            continue;
        }
        if node.is_text() {
            // A `<style>`'s text is CSS; a `<text>` saying "url(" is text.
            let in_style = node
                .parent()
                .is_some_and(|p| p.tag_name().name().eq_ignore_ascii_case("style"));
            if in_style && let Some(t) = css_reference(node.text().unwrap_or(""), &outside) {
                return Ok(Some(t));
            }
            continue;
        }
        for a in node.attributes() {
            if a.name().eq_ignore_ascii_case("href") {
                if outside(a.value()) {
                    return Ok(Some(a.value().trim().to_string()));
                }
                // An SVG inside an SVG (a data: URI) is not read here,
                // and an SVG reader unpacks it without a bound.
                let v = a.value().trim_start().to_ascii_lowercase();
                if v.starts_with("data:image/svg") {
                    return Err("it holds another SVG as a data: URI".to_string());
                }
            }
            if let Some(t) = css_reference(a.value(), &outside) {
                return Ok(Some(t));
            }
        }
    }
    Ok(None)
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// How many elements an SVG draws, each `<use>` counting the copy of what
/// it names (memoised; a `<use>` inside what it names, or nesting 256
/// deep, counts as more than any limit).
fn drawn_elements(doc: &roxmltree::Document) -> u64 {
    use std::collections::HashMap;
    let by_id: HashMap<&str, roxmltree::Node> = doc
        .descendants()
        .filter_map(|n| n.attribute("id").map(|id| (id, n)))
        .collect();
    fn cost<'a>(
        n: roxmltree::Node<'a, 'a>,
        by_id: &HashMap<&str, roxmltree::Node<'a, 'a>>,
        memo: &mut HashMap<roxmltree::NodeId, u64>,
        open: &mut Vec<roxmltree::NodeId>,
    ) -> u64 {
        if let Some(&c) = memo.get(&n.id()) {
            return c;
        }
        // A `<use>` that names what holds it, or nesting past any real
        // drawing's, is refused: counted as too much to draw.
        if open.contains(&n.id()) || open.len() > 256 {
            return u64::MAX;
        }
        open.push(n.id());
        let mut c: u64 = 1;
        for child in n.children().filter(|c| c.is_element()) {
            c = c.saturating_add(cost(child, by_id, memo, open));
        }
        if n.tag_name().name() == "use"
            && let Some(target) = n
                .attributes()
                .find(|a| a.name() == "href")
                .and_then(|a| a.value().trim().strip_prefix('#'))
                .and_then(|id| by_id.get(id))
        {
            c = c.saturating_add(cost(*target, by_id, memo, open));
        }
        open.pop();
        memo.insert(n.id(), c);
        c
    }
    let mut memo = HashMap::new();
    cost(doc.root_element(), &by_id, &mut memo, &mut Vec::new())
}

/// The first `url(…)` or `@import` of CSS text that leads outside.
fn css_reference(css: &str, outside: &dyn Fn(&str) -> bool) -> Option<String> {
    let lower = css.to_ascii_lowercase();
    if let Some(i) = lower.find("@import") {
        return Some(css[i..].chars().take(80).collect());
    }
    let mut from = 0;
    while let Some(i) = lower[from..].find("url(") {
        let at = from + i + 4;
        let rest = css[at..].trim_start().trim_start_matches(['"', '\'']);
        let end = rest.find(['"', '\'', ')']).unwrap_or(rest.len());
        let target = rest[..end].trim();
        if outside(target) {
            return Some(target.to_string());
        }
        from = at;
    }
    None
}

/// The local image sources of a document tree, in order, each once.
pub fn image_sources(blocks: &[Block]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    walk(blocks, &mut |b| {
        leaf_inlines(b, &mut |i| {
            if let Some(img) = &i.style.image
                && !is_remote(&img.src)
                && !out.contains(&img.src)
            {
                out.push(img.src.clone());
            }
        })
    });
    out
}

/// The images of one or two documents, by source, for renderers that
/// embed them (HTML, Word). The PDF reads them through typst's sandbox.
#[derive(Debug, Clone, Default)]
pub struct Images {
    map: BTreeMap<String, Picture>,
}

impl Images {
    pub fn get(&self, src: &str) -> Option<&Picture> {
        self.map.get(src)
    }

    /// Reads every local image of `doc` (from its folder). The first one
    /// that cannot be read is an error, located in the document's file.
    pub fn load(&mut self, doc: &SourceDoc) -> Result<()> {
        let Some(dir) = &doc.dir else {
            return Ok(());
        };
        for src in image_sources(&doc.blocks) {
            if self.map.contains_key(&src) {
                continue;
            }
            match read_image(dir, &src) {
                Ok(p) => {
                    self.map.insert(src, p);
                }
                Err(problem) => return Err(locate(&doc.origin, &src, problem.to_string())),
            }
        }
        Ok(())
    }
}

/// Checks every local image of `doc` without keeping them.
pub fn check_images(doc: &SourceDoc) -> Result<()> {
    Images::default().load(doc)
}

/// An error at the place in `origin` (a file) where `src` is written.
pub(crate) fn locate(origin: &str, src: &str, msg: String) -> Error {
    let err = Error::in_file(origin, msg);
    // Read again only a regular file, within the usual limit: a pipe read
    // twice would block, and a device never ends.
    let regular = std::fs::metadata(origin).is_ok_and(|m| m.is_file());
    let Some(text) = regular
        .then(|| super::read_source(Path::new(origin)).ok())
        .flatten()
    else {
        return err;
    };
    match find_image(&text, src) {
        Some(at) => {
            let (l, c) = crate::error::line_col(&text, at);
            err.at(l, c)
        }
        None => err,
    }
}

/// Byte offset of the image `src` in Markdown `text`: the `![` before the
/// first mention of `src` as a destination.
pub fn find_image(text: &str, src: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(src) {
        let at = from + i;
        if let Some(open) = text[..at].rfind("![") {
            let between = &text[open..at];
            if between.contains("](") || between.contains("]:") || between.contains("] (") {
                return Some(open);
            }
        }
        from = at + src.len().max(1);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_and_local() {
        assert!(is_remote("https://example.com/a.png"));
        assert!(is_remote("//cdn/a.png"));
        assert!(is_remote("data:image/png;base64,AAAA"));
        assert!(!is_remote("img/a.png"));
        assert!(!is_remote("C:/x.png") || cfg!(windows));
    }

    #[test]
    fn leaving_the_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            read_image(dir.path(), "../x.png"),
            Err(ImageProblem::Outside(_))
        ));
        assert!(matches!(
            read_image(dir.path(), "/etc/passwd"),
            Err(ImageProblem::Outside(_))
        ));
        assert!(matches!(
            read_image(dir.path(), "none.png"),
            Err(ImageProblem::Missing(_))
        ));
        std::fs::write(dir.path().join("bad.png"), b"not an image").unwrap();
        assert!(matches!(
            read_image(dir.path(), "bad.png"),
            Err(ImageProblem::Undecodable(_))
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc/hostname", dir.path().join("l.png")).unwrap();
            assert!(matches!(
                read_image(dir.path(), "l.png"),
                Err(ImageProblem::Outside(_))
            ));
        }
    }

    #[test]
    fn finds_where_an_image_is_written() {
        let t = "# T\n\nSee ![a diagram](img/d.png \"t\").\n";
        assert_eq!(find_image(t, "img/d.png"), Some(9));
    }
}
