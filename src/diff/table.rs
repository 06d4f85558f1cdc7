//! Tables: columns matched by header, rows by key, then cell by cell.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::words::{self, Op, Span};
use super::{Change, Side};
use crate::model::{Align, Inline, Table, inlines_text};

/// One column of the compared table.
///
/// JSON keeps the flat shape `{ op, old, new, align, old_align?, header }`
/// that `docs/diff-json.md` documents.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDiff {
    pub edit: ColumnEdit,
    /// The column's alignment: the new side's, or the old side's for a
    /// removed column.
    pub align: Align,
    pub header: Vec<Span>,
}

/// What happened to a column, with exactly the indexes each case has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnEdit {
    /// In both tables. `old_align` is the old alignment where it changed:
    /// without it, reject-all gave the new alignment (found by the `diff`
    /// fuzz target).
    Kept {
        old: usize,
        new: usize,
        old_align: Option<Align>,
    },
    Removed {
        old: usize,
    },
    Added {
        new: usize,
    },
}

impl ColumnDiff {
    /// Equal (kept), Delete (removed column) or Insert (added column).
    pub fn op(&self) -> Op {
        match self.edit {
            ColumnEdit::Kept { .. } => Op::Equal,
            ColumnEdit::Removed { .. } => Op::Delete,
            ColumnEdit::Added { .. } => Op::Insert,
        }
    }

    /// The column's index in the old table.
    pub fn old_index(&self) -> Option<usize> {
        match self.edit {
            ColumnEdit::Kept { old, .. } | ColumnEdit::Removed { old } => Some(old),
            ColumnEdit::Added { .. } => None,
        }
    }

    /// The column's index in the new table.
    pub fn new_index(&self) -> Option<usize> {
        match self.edit {
            ColumnEdit::Kept { new, .. } | ColumnEdit::Added { new } => Some(new),
            ColumnEdit::Removed { .. } => None,
        }
    }

    /// The alignment the column has on `side`.
    pub fn align_on(&self, side: Side) -> Align {
        match (self.edit, side) {
            (
                ColumnEdit::Kept {
                    old_align: Some(a), ..
                },
                Side::Old,
            ) => a,
            _ => self.align,
        }
    }

    fn old_align(&self) -> Option<Align> {
        match self.edit {
            ColumnEdit::Kept { old_align, .. } => old_align,
            _ => None,
        }
    }
}

/// One row, one span list per column of [`TableDiff::columns`].
///
/// JSON keeps the flat shape `{ change, cells, old, new, partner? }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RowDiff {
    pub edit: RowEdit,
    pub cells: Vec<Vec<Span>>,
}

/// What happened to a row, with exactly the indexes each case has. A
/// moved row's new place has its cells inserted whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowEdit {
    Unchanged {
        old: usize,
        new: usize,
    },
    Changed {
        old: usize,
        new: usize,
    },
    Added {
        new: usize,
    },
    Removed {
        old: usize,
    },
    /// The old place of a row that moved to row `to` of [`TableDiff::rows`].
    MovedAway {
        old: usize,
        to: usize,
    },
    /// The new place of the row that moved from row `from`.
    MovedHere {
        new: usize,
        from: usize,
    },
}

impl RowDiff {
    pub fn change(&self) -> Change {
        match self.edit {
            RowEdit::Unchanged { .. } => Change::Unchanged,
            RowEdit::Changed { .. } => Change::Changed,
            RowEdit::Added { .. } => Change::Added,
            RowEdit::Removed { .. } => Change::Removed,
            RowEdit::MovedAway { .. } => Change::MovedAway,
            RowEdit::MovedHere { .. } => Change::MovedHere,
        }
    }

    /// The row's index in the old table.
    pub fn old_index(&self) -> Option<usize> {
        match self.edit {
            RowEdit::Unchanged { old, .. }
            | RowEdit::Changed { old, .. }
            | RowEdit::Removed { old }
            | RowEdit::MovedAway { old, .. } => Some(old),
            RowEdit::Added { .. } | RowEdit::MovedHere { .. } => None,
        }
    }

    /// The row's index in the new table.
    pub fn new_index(&self) -> Option<usize> {
        match self.edit {
            RowEdit::Unchanged { new, .. }
            | RowEdit::Changed { new, .. }
            | RowEdit::Added { new }
            | RowEdit::MovedHere { new, .. } => Some(new),
            RowEdit::Removed { .. } | RowEdit::MovedAway { .. } => None,
        }
    }

    /// For moves: the index (in [`TableDiff::rows`]) of the other end.
    pub fn partner(&self) -> Option<usize> {
        match self.edit {
            RowEdit::MovedAway { to, .. } => Some(to),
            RowEdit::MovedHere { from, .. } => Some(from),
            _ => None,
        }
    }
}

#[derive(Serialize)]
struct ColumnOut<'a> {
    op: Op,
    old: Option<usize>,
    new: Option<usize>,
    align: Align,
    #[serde(skip_serializing_if = "Option::is_none")]
    old_align: Option<Align>,
    header: &'a [Span],
}

#[derive(Deserialize)]
struct ColumnIn {
    op: Op,
    old: Option<usize>,
    new: Option<usize>,
    align: Align,
    #[serde(default)]
    old_align: Option<Align>,
    header: Vec<Span>,
}

impl Serialize for ColumnDiff {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ColumnOut {
            op: self.op(),
            old: self.old_index(),
            new: self.new_index(),
            align: self.align,
            old_align: self.old_align(),
            header: &self.header,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ColumnDiff {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let c = ColumnIn::deserialize(d)?;
        let edit = match (c.op, c.old, c.new, c.old_align) {
            (Op::Equal, Some(old), Some(new), old_align) => ColumnEdit::Kept {
                old,
                new,
                old_align,
            },
            (Op::Delete, Some(old), None, None) => ColumnEdit::Removed { old },
            (Op::Insert, None, Some(new), None) => ColumnEdit::Added { new },
            (op, ..) => {
                return Err(serde::de::Error::custom(format!(
                    "a column with op {op:?} has fields its op does not have"
                )));
            }
        };
        Ok(ColumnDiff {
            edit,
            align: c.align,
            header: c.header,
        })
    }
}

#[derive(Serialize)]
struct RowOut<'a> {
    change: Change,
    cells: &'a [Vec<Span>],
    old: Option<usize>,
    new: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner: Option<usize>,
}

#[derive(Deserialize)]
struct RowIn {
    change: Change,
    cells: Vec<Vec<Span>>,
    old: Option<usize>,
    new: Option<usize>,
    #[serde(default)]
    partner: Option<usize>,
}

impl Serialize for RowDiff {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RowOut {
            change: self.change(),
            cells: &self.cells,
            old: self.old_index(),
            new: self.new_index(),
            partner: self.partner(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RowDiff {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RowIn::deserialize(d)?;
        let edit = match (r.change, r.old, r.new, r.partner) {
            (Change::Unchanged, Some(old), Some(new), None) => RowEdit::Unchanged { old, new },
            (Change::Changed, Some(old), Some(new), None) => RowEdit::Changed { old, new },
            (Change::Added, None, Some(new), None) => RowEdit::Added { new },
            (Change::Removed, Some(old), None, None) => RowEdit::Removed { old },
            (Change::MovedAway, Some(old), None, Some(to)) => RowEdit::MovedAway { old, to },
            (Change::MovedHere, None, Some(new), Some(from)) => RowEdit::MovedHere { new, from },
            (change, ..) => {
                return Err(serde::de::Error::custom(format!(
                    "a {change:?} row has fields its change does not have"
                )));
            }
        };
        Ok(RowDiff {
            edit,
            cells: r.cells,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDiff {
    pub columns: Vec<ColumnDiff>,
    pub rows: Vec<RowDiff>,
}

impl TableDiff {
    /// The table one side gives (`new` = accept every change).
    pub fn side(&self, side: Side) -> Table {
        let skip = match side {
            Side::New => Op::Delete,
            Side::Old => Op::Insert,
        };
        let cols: Vec<&ColumnDiff> = self.columns.iter().filter(|c| c.op() != skip).collect();
        let idx: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.op() != skip)
            .map(|(i, _)| i)
            .collect();
        let on_side = |r: &RowDiff| match side {
            Side::New => r.new_index().is_some(),
            Side::Old => r.old_index().is_some(),
        };
        Table {
            align: cols.iter().map(|c| c.align_on(side)).collect(),
            header: cols.iter().map(|c| words::side(&c.header, side)).collect(),
            rows: self
                .rows
                .iter()
                .filter(|r| on_side(r))
                .map(|r| {
                    idx.iter()
                        .map(|&i| words::side(&r.cells[i], side))
                        .collect()
                })
                .collect(),
        }
    }
}

fn cell(row: &[Vec<Inline>], i: Option<usize>) -> &[Inline] {
    i.and_then(|i| row.get(i)).map_or(&[], |c| c.as_slice())
}

fn row_text(row: &[Vec<Inline>]) -> String {
    row.iter()
        .map(|c| inlines_text(c))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// Compares two tables; rows are matched by the first column both sides
/// keep.
pub fn diff_tables(old: &Table, new: &Table) -> TableDiff {
    diff_tables_keyed(old, new, None)
}

/// Compares two tables, matching rows by the column headed `key` (any case)
/// when both sides have it, else by the first column both sides keep.
pub fn diff_tables_keyed(old: &Table, new: &Table, key: Option<&str>) -> TableDiff {
    let columns = align_columns(old, new);
    let named = key.and_then(|k| {
        columns.iter().position(|c| {
            c.op() == Op::Equal
                && c.new_index().is_some_and(|j| {
                    inlines_text(&new.header[j])
                        .trim()
                        .eq_ignore_ascii_case(k.trim())
                })
        })
    });
    let key = named.or_else(|| columns.iter().position(|c| c.op() == Op::Equal));
    let key_of = |row: &[Vec<Inline>], new_side: bool| -> String {
        match key {
            Some(k) => {
                let c = &columns[k];
                inlines_text(cell(
                    row,
                    if new_side {
                        c.new_index()
                    } else {
                        c.old_index()
                    },
                ))
                .trim()
                .to_string()
            }
            None => row_text(row),
        }
    };
    let ka: Vec<String> = old.rows.iter().map(|r| key_of(r, false)).collect();
    let kb: Vec<String> = new.rows.iter().map(|r| key_of(r, true)).collect();

    let mut rows = Vec::new();
    let pair = |rows: &mut Vec<RowDiff>, i: usize, j: usize| {
        let cells: Vec<Vec<Span>> = columns
            .iter()
            .map(|c| match c.edit {
                ColumnEdit::Kept { old: a, new: b, .. } => {
                    words::diff_inlines(cell(&old.rows[i], Some(a)), cell(&new.rows[j], Some(b)))
                }
                ColumnEdit::Removed { old: a } => {
                    words::whole(Op::Delete, cell(&old.rows[i], Some(a)))
                }
                ColumnEdit::Added { new: b } => {
                    words::whole(Op::Insert, cell(&new.rows[j], Some(b)))
                }
            })
            .collect();
        let changed = cells.iter().any(|c| c.iter().any(|s| s.op != Op::Equal));
        let edit = if changed {
            RowEdit::Changed { old: i, new: j }
        } else {
            RowEdit::Unchanged { old: i, new: j }
        };
        rows.push(RowDiff { edit, cells });
    };
    let removed = |rows: &mut Vec<RowDiff>, i: usize| {
        let cells = columns
            .iter()
            .map(|c| words::whole(Op::Delete, cell(&old.rows[i], c.old_index())))
            .collect();
        rows.push(RowDiff {
            edit: RowEdit::Removed { old: i },
            cells,
        });
    };
    let added = |rows: &mut Vec<RowDiff>, j: usize| {
        let cells = columns
            .iter()
            .map(|c| words::whole(Op::Insert, cell(&new.rows[j], c.new_index())))
            .collect();
        rows.push(RowDiff {
            edit: RowEdit::Added { new: j },
            cells,
        });
    };

    for op in capture_diff_slices(Algorithm::Patience, &ka, &kb) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    pair(&mut rows, old_index + k, new_index + k);
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len).for_each(|i| removed(&mut rows, i)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (new_index..new_index + new_len).for_each(|j| added(&mut rows, j)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // A row whose key was edited still pairs with itself.
                let (mut i, mut j) = (old_index, new_index);
                while i < old_index + old_len && j < new_index + new_len {
                    let s = words::similarity(&row_text(&old.rows[i]), &row_text(&new.rows[j]));
                    if s >= super::tuning::ROW_PAIR_AT {
                        pair(&mut rows, i, j);
                        i += 1;
                        j += 1;
                    } else if old_len - (i - old_index) >= new_len - (j - new_index) {
                        removed(&mut rows, i);
                        i += 1;
                    } else {
                        added(&mut rows, j);
                        j += 1;
                    }
                }
                (i..old_index + old_len).for_each(|i| removed(&mut rows, i));
                (j..new_index + new_len).for_each(|j| added(&mut rows, j));
            }
        }
    }
    link_moved_rows(&mut rows, &ka, &kb);
    TableDiff { columns, rows }
}

/// A removed row and an added row with the same key are one row that
/// moved. The new place shows it inserted whole, the old place deleted,
/// so accepting or rejecting still gives each side exactly.
fn link_moved_rows(rows: &mut [RowDiff], ka: &[String], kb: &[String]) {
    let mut removed: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, r) in rows.iter().enumerate().rev() {
        if let RowEdit::Removed { old: o } = r.edit
            && !ka[o].is_empty()
        {
            removed.entry(ka[o].as_str()).or_default().push(i);
        }
    }
    for a in 0..rows.len() {
        let RowEdit::Added { new: n } = rows[a].edit else {
            continue;
        };
        if let Some(r) = removed.get_mut(kb[n].as_str()).and_then(|v| v.pop())
            && let RowEdit::Removed { old: o } = rows[r].edit
        {
            rows[r].edit = RowEdit::MovedAway { old: o, to: a };
            rows[a].edit = RowEdit::MovedHere { new: n, from: r };
        }
    }
}

fn align_columns(old: &Table, new: &Table) -> Vec<ColumnDiff> {
    let ha: Vec<String> = old
        .header
        .iter()
        .map(|h| inlines_text(h).trim().to_lowercase())
        .collect();
    let hb: Vec<String> = new
        .header
        .iter()
        .map(|h| inlines_text(h).trim().to_lowercase())
        .collect();
    let al = |t: &Table, i: usize| t.align.get(i).copied().unwrap_or(Align::None);
    let mut cols = Vec::new();
    let keep = |cols: &mut Vec<ColumnDiff>, i: usize, j: usize| {
        cols.push(ColumnDiff {
            edit: ColumnEdit::Kept {
                old: i,
                new: j,
                old_align: Some(al(old, i)).filter(|a| *a != al(new, j)),
            },
            align: al(new, j),
            header: words::diff_inlines(&old.header[i], &new.header[j]),
        })
    };
    let del = |cols: &mut Vec<ColumnDiff>, i: usize| {
        cols.push(ColumnDiff {
            edit: ColumnEdit::Removed { old: i },
            align: al(old, i),
            header: words::whole(Op::Delete, &old.header[i]),
        })
    };
    let ins = |cols: &mut Vec<ColumnDiff>, j: usize| {
        cols.push(ColumnDiff {
            edit: ColumnEdit::Added { new: j },
            align: al(new, j),
            header: words::whole(Op::Insert, &new.header[j]),
        })
    };
    for op in capture_diff_slices(Algorithm::Myers, &ha, &hb) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => (0..len).for_each(|k| keep(&mut cols, old_index + k, new_index + k)),
            DiffOp::Delete {
                old_index, old_len, ..
            } => (old_index..old_index + old_len).for_each(|i| del(&mut cols, i)),
            DiffOp::Insert {
                new_index, new_len, ..
            } => (new_index..new_index + new_len).for_each(|j| ins(&mut cols, j)),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Same count: the headers were renamed in place.
                if old_len == new_len {
                    (0..old_len).for_each(|k| keep(&mut cols, old_index + k, new_index + k));
                } else {
                    (old_index..old_index + old_len).for_each(|i| del(&mut cols, i));
                    (new_index..new_index + new_len).for_each(|j| ins(&mut cols, j));
                }
            }
        }
    }
    cols
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(header: &[&str], rows: &[&[&str]]) -> Table {
        Table {
            align: vec![Align::None; header.len()],
            header: header.iter().map(|h| vec![Inline::plain(*h)]).collect(),
            rows: rows
                .iter()
                .map(|r| r.iter().map(|c| vec![Inline::plain(*c)]).collect())
                .collect(),
        }
    }

    #[test]
    fn rows_align_by_key_and_columns_by_header() {
        let old = t(
            &["Ref", "Freq"],
            &[&["A", "Daily"], &["B", "Weekly"], &["C", "Monthly"]],
        );
        let new = t(
            &["Ref", "Freq", "Owner"],
            &[&["A", "Daily", "DCC"], &["C", "Weekly", "DCC"]],
        );
        let d = diff_tables(&old, &new);
        assert_eq!(
            d.columns.iter().map(|c| c.op()).collect::<Vec<_>>(),
            vec![Op::Equal, Op::Equal, Op::Insert]
        );
        let changes: Vec<Change> = d.rows.iter().map(|r| r.change()).collect();
        assert_eq!(
            changes,
            vec![Change::Changed, Change::Removed, Change::Changed]
        );
        assert_eq!(d.side(super::super::Side::New), new);
        assert_eq!(d.side(super::super::Side::Old), old);
    }

    #[test]
    fn rows_can_be_keyed_by_a_named_column() {
        // Keyed by Name, a renamed Ref is a changed row, not a new one.
        let old = t(
            &["Ref", "Name"],
            &[&["A-1", "Daily report"], &["A-2", "Weekly report"]],
        );
        let new = t(
            &["Ref", "Name"],
            &[&["B-1", "Daily report"], &["A-2", "Weekly report"]],
        );
        let by_name = diff_tables_keyed(&old, &new, Some("name"));
        let changes: Vec<Change> = by_name.rows.iter().map(|r| r.change()).collect();
        assert_eq!(changes, vec![Change::Changed, Change::Unchanged]);
        assert_eq!(by_name.side(super::super::Side::New), new);
        assert_eq!(by_name.side(super::super::Side::Old), old);
    }

    #[test]
    fn a_row_that_moved_is_a_move() {
        let old = t(
            &["Ref", "Freq"],
            &[&["A", "Daily"], &["B", "Weekly"], &["C", "Monthly"]],
        );
        let new = t(
            &["Ref", "Freq"],
            &[&["B", "Weekly"], &["C", "Monthly"], &["A", "Daily"]],
        );
        let d = diff_tables(&old, &new);
        let changes: Vec<Change> = d.rows.iter().map(|r| r.change()).collect();
        assert!(
            changes.contains(&Change::MovedAway) && changes.contains(&Change::MovedHere),
            "{changes:?}"
        );
        assert_eq!(d.side(super::super::Side::New), new);
        assert_eq!(d.side(super::super::Side::Old), old);
    }
}
