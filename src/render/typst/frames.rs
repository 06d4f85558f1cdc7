//! Walking typst's laid-out frames: the passes regdoc makes over the pages
//! after layout (`stamp`) share these two.

use typst::layout::{Frame, FrameItem};

/// Whether an item of the frame, or of a frame inside it, is `wanted`.
/// Groups are looked into, not offered.
pub fn any(frame: &Frame, wanted: &impl Fn(&FrameItem) -> bool) -> bool {
    frame.items().any(|(_, item)| match item {
        FrameItem::Group(g) => any(&g.frame, wanted),
        other => wanted(other),
    })
}

/// Gives `edit` every `wanted` item to change in place. Frames are shared
/// (reference-counted) between pages and typst's caches, and writing one
/// copies it: only the frames on the way to a wanted item are written, so
/// a pass that changes one line a page does not copy the whole document.
pub fn edit(
    frame: &mut Frame,
    wanted: &impl Fn(&FrameItem) -> bool,
    edit_item: &mut impl FnMut(&mut FrameItem),
) {
    if !any(frame, wanted) {
        return;
    }
    frame.retain(|item| {
        match item {
            FrameItem::Group(g) => edit(&mut g.frame, wanted, edit_item),
            other if wanted(other) => edit_item(other),
            _ => {}
        }
        true
    });
}
