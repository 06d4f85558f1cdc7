//! Tables: columns matched by header, rows by key, then cell by cell.

use serde::{Deserialize, Serialize};
use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::Change;
use super::words::{self, Op, Span};
use crate::model::{Align, Inline, Table, inlines_text};

/// One column of the compared table.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnDiff {
    /// Equal (kept), Delete (removed column) or Insert (added column).
    pub op: Op,
    pub old: Option<usize>,
    pub new: Option<usize>,
    /// The column's alignment: the new side's, or the old side's for a
    /// removed column.
    pub align: Align,
    /// A kept column's old alignment, where it changed: without it,
    /// reject-all gave the new alignment (found by the `diff` fuzz target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old_align: Option<Align>,
    pub header: Vec<Span>,
}

/// One row, one span list per column of [`TableDiff::columns`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowDiff {
    pub change: Change,
    pub cells: Vec<Vec<Span>>,
    pub old: Option<usize>,
    pub new: Option<usize>,
    /// For moves: the index (in [`TableDiff::rows`]) of the other end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TableDiff {
    pub columns: Vec<ColumnDiff>,
    pub rows: Vec<RowDiff>,
}

impl TableDiff {
    /// The table one side gives (`new` = accept every change).
    pub fn side(&self, side: super::Side) -> Table {
        let new = side == super::Side::New;
        let skip = if new { Op::Delete } else { Op::Insert };
        let cols: Vec<&ColumnDiff> = self.columns.iter().filter(|c| c.op != skip).collect();
        let idx: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .filter(|(_, c)| c.op != skip)
            .map(|(i, _)| i)
            .collect();
        let drop_row = |c: Change| {
            if new {
                matches!(c, Change::Removed | Change::MovedAway)
            } else {
                matches!(c, Change::Added | Change::MovedHere)
            }
        };
        Table {
            align: cols
                .iter()
                .map(|c| match c.old_align {
                    Some(a) if !new => a,
                    _ => c.align,
                })
                .collect(),
            header: cols.iter().map(|c| words::side(&c.header, side)).collect(),
            rows: self
                .rows
                .iter()
                .filter(|r| !drop_row(r.change))
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
            c.op == Op::Equal
                && c.new.is_some_and(|j| {
                    inlines_text(&new.header[j])
                        .trim()
                        .eq_ignore_ascii_case(k.trim())
                })
        })
    });
    let key = named.or_else(|| columns.iter().position(|c| c.op == Op::Equal));
    let key_of = |row: &[Vec<Inline>], new_side: bool| -> String {
        match key {
            Some(k) => {
                let c = &columns[k];
                inlines_text(cell(row, if new_side { c.new } else { c.old }))
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
            .map(|c| match c.op {
                Op::Equal => {
                    words::diff_inlines(cell(&old.rows[i], c.old), cell(&new.rows[j], c.new))
                }
                Op::Delete => words::whole(Op::Delete, cell(&old.rows[i], c.old)),
                Op::Insert => words::whole(Op::Insert, cell(&new.rows[j], c.new)),
            })
            .collect();
        let changed = cells.iter().any(|c| c.iter().any(|s| s.op != Op::Equal));
        let change = if changed {
            Change::Changed
        } else {
            Change::Unchanged
        };
        rows.push(RowDiff {
            change,
            cells,
            old: Some(i),
            new: Some(j),
            partner: None,
        });
    };
    let removed = |rows: &mut Vec<RowDiff>, i: usize| {
        let cells = columns
            .iter()
            .map(|c| words::whole(Op::Delete, cell(&old.rows[i], c.old)))
            .collect();
        rows.push(RowDiff {
            change: Change::Removed,
            cells,
            old: Some(i),
            new: None,
            partner: None,
        });
    };
    let added = |rows: &mut Vec<RowDiff>, j: usize| {
        let cells = columns
            .iter()
            .map(|c| words::whole(Op::Insert, cell(&new.rows[j], c.new)))
            .collect();
        rows.push(RowDiff {
            change: Change::Added,
            cells,
            old: None,
            new: Some(j),
            partner: None,
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
        if r.change == Change::Removed
            && let Some(o) = r.old
            && !ka[o].is_empty()
        {
            removed.entry(ka[o].as_str()).or_default().push(i);
        }
    }
    for a in 0..rows.len() {
        if rows[a].change != Change::Added {
            continue;
        }
        let Some(n) = rows[a].new else { continue };
        if let Some(r) = removed.get_mut(kb[n].as_str()).and_then(|v| v.pop()) {
            rows[r].change = Change::MovedAway;
            rows[r].partner = Some(a);
            rows[a].change = Change::MovedHere;
            rows[a].partner = Some(r);
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
            op: Op::Equal,
            old: Some(i),
            new: Some(j),
            align: al(new, j),
            old_align: Some(al(old, i)).filter(|a| *a != al(new, j)),
            header: words::diff_inlines(&old.header[i], &new.header[j]),
        })
    };
    let del = |cols: &mut Vec<ColumnDiff>, i: usize| {
        cols.push(ColumnDiff {
            op: Op::Delete,
            old: Some(i),
            new: None,
            align: al(old, i),
            old_align: None,
            header: words::whole(Op::Delete, &old.header[i]),
        })
    };
    let ins = |cols: &mut Vec<ColumnDiff>, j: usize| {
        cols.push(ColumnDiff {
            op: Op::Insert,
            old: None,
            new: Some(j),
            align: al(new, j),
            old_align: None,
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
            d.columns.iter().map(|c| c.op).collect::<Vec<_>>(),
            vec![Op::Equal, Op::Equal, Op::Insert]
        );
        let changes: Vec<Change> = d.rows.iter().map(|r| r.change).collect();
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
        let changes: Vec<Change> = by_name.rows.iter().map(|r| r.change).collect();
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
        let changes: Vec<Change> = d.rows.iter().map(|r| r.change).collect();
        assert!(
            changes.contains(&Change::MovedAway) && changes.contains(&Change::MovedHere),
            "{changes:?}"
        );
        assert_eq!(d.side(super::super::Side::New), new);
        assert_eq!(d.side(super::super::Side::Old), old);
    }
}
