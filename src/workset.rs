//! The rows a writing command works on, held in memory while the rest of the
//! register streams past, and the edits that turn them back into bytes.
//!
//! Loading takes the lock, checks office lock files, notes the file's stamp,
//! reads every row once (checking ids are unique) and keeps only the rows the
//! command asked for. Changes are made on decoded cells; `commit` renders only
//! the cells that changed and hands the edits to `store`.

use crate::context::Context;
use crate::error::{invalid, refused};
use crate::field::Field;
use crate::ids::Repeats;
use crate::journal::{Entry, Kind};
use crate::pipeline::Pipeline;
use crate::prospect::{self, CellError, Prospect, Styles};
use crate::register::{self, Decoder, Dialect, Reader, Row, Schema};
use crate::store::{self, Commit, Edit, Lock, Stamp};
use anyhow::Result;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

pub struct WorkRow {
    pub offset: u64,
    pub line: u64,
    pub raw: Vec<u8>,
    /// The cells as read (padded to the header's width), one after another
    /// in one string: a batch keeps thousands of rows, and a string per
    /// cell would cost it one allocation per cell to read and to free.
    text: String,
    /// Where each cell as read ends in `text`.
    ends: Vec<u32>,
    /// The cells changed since the row was read (a column past the row's
    /// end included), in the order of their first change: the row is
    /// written again only where one differs from the cell as read.
    changed: Vec<(usize, String)>,
    pub deleted: bool,
    pub appended: bool,
}

impl WorkRow {
    /// A row of the register as read, ready to change.
    fn read(row: &Row) -> Result<WorkRow> {
        let width = row.schema.headers.len().max(row.record.len());
        let mut text = String::with_capacity(row.record.raw.len());
        let mut ends = Vec::with_capacity(width);
        for c in 0..width {
            let cell = row
                .cell(c)
                .map_err(|d| invalid(format!("{}: {}", d.location(), d.message)))?;
            text.push_str(&cell);
            ends.push(end_of(&text)?);
        }
        Ok(WorkRow {
            offset: row.record.offset,
            line: row.line(),
            raw: row.record.raw.to_vec(),
            text,
            ends,
            changed: Vec::new(),
            deleted: false,
            appended: false,
        })
    }

    /// A new row of `width` empty cells, to be appended to the register.
    pub fn appended(width: usize) -> WorkRow {
        WorkRow {
            offset: 0,
            line: 0,
            raw: Vec::new(),
            text: String::new(),
            ends: vec![0; width],
            changed: Vec::new(),
            deleted: false,
            appended: true,
        }
    }

    /// The cell of column `col` as read (empty past the row's end).
    fn as_read(&self, col: usize) -> &str {
        let Some(&end) = self.ends.get(col) else {
            return "";
        };
        let start = if col == 0 { 0 } else { self.ends[col - 1] };
        &self.text[start as usize..end as usize]
    }

    pub fn get(&self, col: usize) -> &str {
        match self.changed.iter().find(|(c, _)| *c == col) {
            Some((_, value)) => value,
            None => self.as_read(col),
        }
    }

    /// How many cells the row has: those read, and any changed past them.
    fn width(&self) -> usize {
        let changed = self.changed.iter().map(|(c, _)| c + 1).max();
        self.ends.len().max(changed.unwrap_or(0))
    }

    /// Sets a cell; the row keeps the cell as read.
    pub fn set(&mut self, col: usize, value: String) {
        match self.changed.iter_mut().find(|(c, _)| *c == col) {
            Some((_, old)) => *old = value,
            None => self.changed.push((col, value)),
        }
    }

    /// The cells that differ from the row as read, in column order.
    fn changes(&self) -> Vec<(usize, &str)> {
        let mut changes: Vec<(usize, &str)> = self
            .changed
            .iter()
            .filter(|(c, value)| self.as_read(*c) != value)
            .map(|(c, value)| (*c, value.as_str()))
            .collect();
        changes.sort_unstable_by_key(|(c, _)| *c);
        changes
    }

    /// Every cell, as changed, for a row written whole.
    fn cells(&self, width: usize) -> Vec<String> {
        (0..self.width().max(width))
            .map(|c| self.get(c).to_string())
            .collect()
    }
}

/// The length of `text` as a cell's end: a row of 4 GiB is refused.
fn end_of(text: &str) -> Result<u32> {
    u32::try_from(text.len()).map_err(|_| invalid("a row of the register is longer than 4 GiB"))
}

pub struct Workset<'p> {
    pub p: &'p Pipeline,
    _lock: Lock,
    pub stamp: Stamp,
    pub file: String,
    pub dialect: Dialect,
    pub schema: Schema,
    pub decoder: Decoder,
    pub styles: Styles,
    pub rows: Vec<WorkRow>,
    /// Line of every id in the register (a fast hash: a million ids are inserted on a large register).
    pub ids: HashMap<String, u64, foldhash::fast::RandomState>,
    pub entries: Vec<Entry>,
    /// Ids of the kept rows whose stage history is in the journal, once
    /// [`Workset::load_lean`] searched it for them.
    pub history: Option<HashSet<String>>,
    /// The kept rows by id, built by [`Workset::load_lean`] for batches (ids never
    /// change; valid while no row is added, see [`Workset::row_index`]).
    by_id: Option<(usize, HashMap<String, usize, foldhash::fast::RandomState>)>,
    /// Whether `ids` holds every id of the register ([`Workset::load_lean`] leaves it empty).
    all_ids: bool,
    /// The highest numbered id of the register, found by a lean load.
    highest: HighestId,
}

impl<'p> Workset<'p> {
    /// A workset of the rows read, with no change yet.
    fn assemble(
        p: &'p Pipeline,
        lock: Lock,
        stamp: Stamp,
        reader: Reader,
        styles: Styles,
        rows: Vec<WorkRow>,
    ) -> Workset<'p> {
        Workset {
            p,
            _lock: lock,
            stamp,
            file: reader.file.clone(),
            dialect: reader.dialect.clone(),
            schema: reader.schema.clone(),
            decoder: reader.decoder,
            styles,
            rows,
            ids: HashMap::default(),
            entries: Vec::new(),
            history: None,
            by_id: None,
            all_ids: false,
            highest: HighestId::default(),
        }
    }

    /// Locks and reads the register, keeping the rows whose id `keep` accepts,
    /// for commands that only need those rows (`move`, `set`, `add`,
    /// `triage --apply`, and `undo` through [`Workset::load_lean_locked`]):
    /// ids are checked unique through a bit per numbered id and a list of
    /// 64-bit hashes of the others ([`Repeats`]) instead of a map of
    /// strings. Any id seen twice (or, in theory, two hashes alike) sends the
    /// load through [`Workset::load_locked`], which gives the exact refusal. `ids`
    /// stays empty; [`Workset::near_ids`] reads the register again when
    /// needed, and [`Workset::next_id`] follows the register's highest
    /// numbered id.
    ///
    /// The journal is searched for the stage entries of `history_of` (at
    /// least the ids `keep` accepts) on a second thread while the register is
    /// read (`history`, which moves need); not at all when `history_of` is empty.
    pub fn load_lean(
        p: &'p Pipeline,
        keep: impl Fn(&str, u64) -> bool + Sync,
        history_of: &[String],
    ) -> Result<Workset<'p>> {
        let lock = store::lock(&p.register.path)?;
        if history_of.is_empty() {
            return Workset::load_lean_locked(p, lock, keep);
        }
        // Under the lock: no `pipe` appends to the journal while it is read.
        let journal = std::fs::metadata(&p.register.journal).map_or(0, |m| m.len());
        let (ws, history) = std::thread::scope(|s| {
            let search = std::thread::Builder::new()
                .name("pipe-journal".into())
                .spawn_scoped(s, || journal_history(p, history_of));
            let first = match &search {
                Ok(_) => first_share(register_len(p), journal),
                Err(_) => 500,
            };
            let ws = Workset::load_lean_sharing(p, lock, keep, first);
            let history = match search.map(|h| h.join()) {
                Ok(Ok(h)) => h,
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                // No second thread: search after the register instead.
                Err(_) => journal_history(p, history_of),
            };
            (ws, history)
        });
        let mut ws = ws?;
        ws.history = Some(history?);
        Ok(ws)
    }

    /// As [`Workset::load_lean`] without the journal search, under a lock
    /// taken earlier (to read the journal under it first, as `undo` does).
    pub fn load_lean_locked(
        p: &'p Pipeline,
        lock: Lock,
        keep: impl Fn(&str, u64) -> bool + Sync,
    ) -> Result<Workset<'p>> {
        Workset::load_lean_sharing(p, lock, keep, 500)
    }

    /// [`Workset::load_lean_locked`], this thread reading the first `first`
    /// thousandths of a large register and a second thread the rest.
    fn load_lean_sharing(
        p: &'p Pipeline,
        lock: Lock,
        keep: impl Fn(&str, u64) -> bool + Sync,
        first: u64,
    ) -> Result<Workset<'p>> {
        let (mut reader, stamp, id_col) = Workset::open(p)?;
        let len = register_len(p);
        let mut lean = Lean::default();
        let second = if crate::par::worth_it(len) {
            reader.second_part(&p.register.path, first)?
        } else {
            None
        };
        match second {
            Some((start, second)) => {
                lean_in_parts(&mut reader, (start, second), &mut lean, id_col, p, &keep)?;
            }
            None => {
                while let Some(row) = reader.next_row()? {
                    lean.take(&row, id_col, p, &keep)?;
                }
            }
        }
        let Lean {
            ids,
            rows,
            styles,
            highest,
        } = lean;
        if ids.any() {
            drop(reader);
            let mut ws = Workset::load_locked(p, lock, |id| keep(id, id_hash(id)))?;
            ws.highest = highest;
            return Ok(ws);
        }
        let by_id = (rows.len() > 16).then(|| {
            let mut map: HashMap<String, usize, foldhash::fast::RandomState> = HashMap::default();
            for (i, r) in rows.iter().enumerate() {
                map.entry(r.get(id_col).trim().to_string()).or_insert(i);
            }
            (rows.len(), map)
        });
        let mut ws = Workset::assemble(p, lock, stamp, reader, styles, rows);
        ws.by_id = by_id;
        ws.highest = highest;
        Ok(ws)
    }

    /// Opens the register for a load under the lock: refused while a
    /// spreadsheet has it open; its stamp (to notice a change before the
    /// write) and its id column come with it.
    fn open(p: &Pipeline) -> Result<(Reader, Stamp, usize)> {
        let path = &p.register.path;
        store::check_office_locks(path)?;
        let reader = Reader::open(p)?;
        let stamp = store::stamp(path)?;
        let id_col = reader
            .schema
            .col(Field::Id)
            .expect("schema has an id column");
        Ok((reader, stamp, id_col))
    }

    /// Reads the register under a lock taken earlier, keeping the rows whose
    /// id `keep` accepts and noting the line of every id in `ids` (`sync`
    /// needs them all); the exact refusal of a repeated id.
    pub fn load_locked(
        p: &'p Pipeline,
        lock: Lock,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Workset<'p>> {
        Workset::load_rows(p, lock, |id, _| keep(id))
    }

    /// As [`Workset::load_locked`], `keep` seeing each row's id and cells.
    pub fn load_rows(
        p: &'p Pipeline,
        lock: Lock,
        keep: impl Fn(&str, &register::Row<'_>) -> bool,
    ) -> Result<Workset<'p>> {
        let (mut reader, stamp, id_col) = Workset::open(p)?;
        let mut ids: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
        let mut rows = Vec::new();
        let mut styles = Styles::default();
        while let Some(row) = reader.next_row()? {
            let id = row
                .cell(id_col)
                .map_err(|d| invalid(d.to_string()))?
                .trim()
                .to_string();
            if let Some(first) = ids.get(&id) {
                let d = row.diag(
                    id_col,
                    "duplicate-id",
                    format!("the id `{id}` is already used on line {first}"),
                );
                return Err(invalid(format!(
                    "{}\n  hint: give each prospect its own id, then run the command again",
                    d.location() + ": " + &d.message
                )));
            }
            learn_styles(&row, p, &mut styles);
            ids.insert(id.clone(), row.line());
            if keep(&id, &row) {
                rows.push(WorkRow::read(&row)?);
            }
        }
        let mut ws = Workset::assemble(p, lock, stamp, reader, styles, rows);
        ws.ids = ids;
        ws.all_ids = true;
        Ok(ws)
    }

    pub fn row_index(&self, id: &str) -> Option<usize> {
        if let Some((n, map)) = &self.by_id
            && *n == self.rows.len()
        {
            // Ids are unique and never changed by a command; a deleted row is not found.
            return map.get(id).copied().filter(|&i| {
                let r = &self.rows[i];
                !r.deleted && r.get(self.id_col()).trim() == id
            });
        }
        self.rows
            .iter()
            .position(|r| !r.deleted && r.get(self.id_col()).trim() == id)
    }

    pub fn id_col(&self) -> usize {
        self.schema.col(Field::Id).expect("schema has an id column")
    }

    /// The id that follows the register's highest numbered one, with its
    /// prefix and width (`P-0104` gives `P-0105`); `P-0001` when none is numbered.
    /// Known after a lean load ([`Workset::load_lean`]).
    pub fn next_id(&self) -> String {
        self.highest.next()
    }

    /// The ids nearest to `id`, for a "did you mean"; ties in register order
    /// (`ids` is a hash map, whose order changes from run to run).
    pub fn near_ids(&self, id: &str) -> Vec<String> {
        if !self.all_ids {
            // A lean load kept no ids: read them again, in register order (error path only).
            let mut all = Vec::new();
            if let Ok(mut reader) = Reader::open(self.p) {
                let id_col = self.id_col();
                while let Ok(Some(row)) = reader.next_row() {
                    if let Ok(cell) = row.cell(id_col) {
                        all.push(cell.trim().to_string());
                    }
                }
            }
            return crate::text::suggest(id, all.iter().map(String::as_str))
                .into_iter()
                .map(str::to_string)
                .collect();
        }
        let mut ids: Vec<(&String, &u64)> = self.ids.iter().collect();
        ids.sort_by_key(|(_, line)| **line);
        crate::text::suggest(id, ids.into_iter().map(|(k, _)| k.as_str()))
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    /// The row of a prospect, or a refusal naming the nearest ids.
    pub fn find(&self, id: &str) -> Result<usize> {
        self.row_index(id).ok_or_else(|| {
            let near = self.near_ids(id);
            let hint = if near.is_empty() {
                "`pipe list` shows the prospects and their ids".to_string()
            } else {
                format!("did you mean {}?", crate::text::or_list(&near))
            };
            refused(format!(
                "no prospect has the id `{id}` in {}\n  hint: {hint}",
                self.file
            ))
        })
    }

    /// Reads the typed prospect of a row as it stands now.
    pub fn prospect(&mut self, i: usize) -> Result<Prospect, Vec<CellError>> {
        self.edit(i).prospect()
    }

    /// Explains why a row cannot be read, for a refusal.
    pub fn row_problems(&self, i: usize, errors: &[CellError]) -> String {
        problems(&self.file, &self.rows[i], &self.schema, errors)
    }

    /// The decimal separator for amounts when the register shows none yet.
    pub fn plain_decimal(&self) -> char {
        if self.dialect.delimiter == b';' {
            ','
        } else {
            '.'
        }
    }

    /// A value in canonical form as the register writes it.
    pub fn cell_text(&self, col: usize, canonical: &str) -> String {
        prospect::to_cell(
            self.schema.field_of(col),
            canonical,
            self.p,
            &self.styles,
            self.plain_decimal(),
        )
    }

    /// Row `i`, to change through what [`crate::moves`] works with.
    pub fn edit(&mut self, i: usize) -> RowEdit<'_> {
        let (around, styles, rows, entries) = self.parts();
        RowEdit {
            around,
            styles,
            row: &mut rows[i],
            entries,
        }
    }

    /// What a change of one row reads of the rest, with the rows, styles
    /// and entries it changes.
    fn parts(&mut self) -> (Around<'_>, &mut Styles, &mut [WorkRow], &mut Vec<Entry>) {
        let (plain_decimal, id_col) = (self.plain_decimal(), self.id_col());
        let around = Around {
            p: self.p,
            schema: &self.schema,
            file: &self.file,
            history: self.history.as_ref(),
            plain_decimal,
            id_col,
        };
        (around, &mut self.styles, &mut self.rows, &mut self.entries)
    }

    /// The rows in two parts (`part` gives each row's: 0, 1 or none), for
    /// each part to be changed on a thread of its own, with its own copy of
    /// the styles and its own journal entries. `None` when the styles are
    /// not all learnt yet: a change in one part could learn one that a
    /// change in the other would then write with.
    pub fn apart(&mut self, part: impl Fn(usize) -> Option<usize>) -> Option<[RowsApart<'_>; 2]> {
        if self.styles.date.is_none() || self.styles.amount.is_none() {
            return None;
        }
        let (around, styles, rows, _) = self.parts();
        let mut parts = [0, 1].map(|_| RowsApart {
            around: around.clone(),
            styles: styles.clone(),
            rows: Vec::new(),
            entries: Vec::new(),
        });
        for part in &mut parts {
            part.rows.resize_with(rows.len(), || None);
        }
        for (i, row) in rows.iter_mut().enumerate() {
            if let Some(k) = part(i) {
                parts[k].rows[i] = Some(row);
            }
        }
        Some(parts)
    }

    pub fn ctx_date_cell(&self, f: Field, d: NaiveDate) -> Option<(usize, String)> {
        let col = self.schema.col(f)?;
        Some((col, self.cell_text(col, &crate::dates::iso(d))))
    }

    /// Writes the changed rows and the journal entries; returns how many rows changed.
    pub fn commit(self) -> Result<usize> {
        self.commit_beside(false, || ()).0
    }

    /// [`Workset::commit`], with `also` (work that need not wait, such as
    /// words to tell of the changes) done meanwhile: on the thread that
    /// frees the rows once the register is being written, when `many`.
    /// Gives what `also` gives, whether the commit went through or not.
    pub fn commit_beside<T: Send>(
        mut self,
        many: bool,
        also: impl FnOnce() -> T + Send,
    ) -> (Result<usize>, T) {
        // A batch's thousands of rows are written anew in two halves at once.
        let (first, second) = self.rows.split_at(self.rows.len() / 2);
        let (width, dialect) = (self.schema.headers.len(), &self.dialect);
        let decoder = self.decoder.clone();
        let (later, edits) = crate::par::beside(
            self.rows.len() >= 1024,
            "pipe-edits",
            move || edits_of(second, width, dialect, &decoder),
            || edits_of(first, width, dialect, &self.decoder),
        );
        let edits = edits.and_then(|mut edits| {
            edits.append(&mut later?);
            Ok(edits)
        });
        let edits = match edits {
            Ok(edits) => edits,
            Err(e) => return (Err(e), also()),
        };
        let n = edits.len();
        if n == 0 && self.entries.is_empty() {
            return (Ok(0), also());
        }
        let commit = Commit {
            register: &self.p.register.path,
            stamp: self.stamp,
            edits,
            journal: &self.p.register.journal,
            entries: std::mem::take(&mut self.entries),
        };
        // The rows are not needed any more: a batch's thousands of rows are
        // freed on another thread while the commit waits on the disk.
        let rows = std::mem::take(&mut self.rows);
        let (by_id, history) = (self.by_id.take(), self.history.take());
        let free = rows.len() >= 1024;
        let (also, committed) = crate::par::beside(
            free || many,
            "pipe-free",
            || {
                drop((rows, by_id, history));
                also()
            },
            || commit.run(),
        );
        (committed.map(|()| n), also)
    }
}

/// What a change of one row reads of the rest of its workset.
#[derive(Clone)]
struct Around<'a> {
    p: &'a Pipeline,
    schema: &'a Schema,
    file: &'a str,
    history: Option<&'a HashSet<String>>,
    plain_decimal: char,
    id_col: usize,
}

/// One row of a workset being changed, with what a change reads of the
/// rest and the journal entries it makes: what [`crate::moves`] changes a
/// row through, so that a batch's rows can be changed on two threads at
/// once, each part through its own ([`Workset::apart`]).
pub struct RowEdit<'a> {
    around: Around<'a>,
    styles: &'a mut Styles,
    row: &'a mut WorkRow,
    pub entries: &'a mut Vec<Entry>,
}

impl<'a> RowEdit<'a> {
    pub fn p(&self) -> &'a Pipeline {
        self.around.p
    }

    pub fn schema(&self) -> &'a Schema {
        self.around.schema
    }

    /// The ids of the kept rows whose stage history is in the journal
    /// (moves need it: see [`Workset::load_lean`]).
    pub fn history(&self) -> Option<&'a HashSet<String>> {
        self.around.history
    }

    /// A cell of the row as it stands now.
    pub fn get(&self, col: usize) -> &str {
        self.row.get(col)
    }

    /// Reads the typed prospect of the row as it stands now.
    pub fn prospect(&mut self) -> Result<Prospect, Vec<CellError>> {
        let row = &*self.row;
        Prospect::parse(
            |c| row.get(c),
            self.around.schema,
            self.around.p,
            self.styles,
        )
    }

    /// Explains why the row cannot be read, for a refusal.
    pub fn row_problems(&self, errors: &[CellError]) -> String {
        problems(self.around.file, self.row, self.around.schema, errors)
    }

    /// A value in canonical form as the register writes it.
    pub fn cell_text(&self, col: usize, canonical: &str) -> String {
        prospect::to_cell(
            self.around.schema.field_of(col),
            canonical,
            self.around.p,
            self.styles,
            self.around.plain_decimal,
        )
    }

    /// Sets a cell to `text` as it is written in the register.
    pub fn set_cell(&mut self, col: usize, text: String) {
        self.row.set(col, text);
    }

    /// Sets a column from a canonical value; journals a `set` if it changed.
    pub fn set_field(&mut self, col: usize, canonical: &str, entry: &EntryBase) {
        let (p, schema) = (self.around.p, self.around.schema);
        let field = schema.field_of(col);
        let old = prospect::cell_canonical(field, self.row.get(col), p);
        if prospect::same_value(field, &old, canonical, p) {
            return;
        }
        let text = self.cell_text(col, canonical);
        self.set_cell(col, text);
        let id = self.row.get(self.around.id_col).trim().to_string();
        self.entries
            .push(entry.make(&id, Kind::Set, &schema.journal_name(col), &old, canonical));
    }

    /// Runs `change` on the row; when it fails, the row's cells and the
    /// journal's entries are left as they were before it. Only the cells
    /// changed before are kept aside (none, for a row's first change), not
    /// a copy of the row.
    pub fn attempt<T, E>(
        &mut self,
        change: impl FnOnce(&mut RowEdit<'a>) -> Result<T, E>,
    ) -> Result<T, E> {
        let changed = self.row.changed.clone();
        let entries = self.entries.len();
        let result = change(self);
        if result.is_err() {
            self.row.changed = changed;
            self.entries.truncate(entries);
        }
        result
    }
}

/// One of the two parts of a workset's rows that [`Workset::apart`] makes.
pub struct RowsApart<'a> {
    around: Around<'a>,
    styles: Styles,
    /// The workset's rows, by index: those of this part.
    rows: Vec<Option<&'a mut WorkRow>>,
    /// The journal entries of the changes made here, in the order made.
    pub entries: Vec<Entry>,
}

impl RowsApart<'_> {
    /// Row `i`, which must be of this part, to change.
    pub fn edit(&mut self, i: usize) -> RowEdit<'_> {
        RowEdit {
            around: self.around.clone(),
            styles: &mut self.styles,
            row: self.rows[i].as_deref_mut().expect("a row of this part"),
            entries: &mut self.entries,
        }
    }
}

/// The edits that write `rows` back into the register, in their order.
fn edits_of(
    rows: &[WorkRow],
    width: usize,
    dialect: &Dialect,
    decoder: &Decoder,
) -> Result<Vec<Edit>> {
    let mut edits = Vec::new();
    for row in rows {
        if row.appended {
            if !row.deleted {
                let cells = row.cells(width);
                edits.push(Edit::Append {
                    bytes: register::render_new_row(&cells, dialect, decoder)?,
                    terminator: dialect.terminator.bytes(),
                });
            }
            continue;
        }
        if row.deleted {
            edits.push(Edit::Delete {
                offset: row.offset,
                len: row.raw.len() as u64,
            });
            continue;
        }
        let changes = row.changes();
        if changes.is_empty() {
            continue;
        }
        let bytes = register::render_row(&row.raw, width, dialect, decoder, &changes)?;
        edits.push(Edit::Replace {
            offset: row.offset,
            len: row.raw.len() as u64,
            bytes,
        });
    }
    Ok(edits)
}

/// Why `row` of the register `file` cannot be read, a line a cell, for a refusal.
fn problems(file: &str, row: &WorkRow, schema: &Schema, errors: &[CellError]) -> String {
    let lines: Vec<String> = errors
        .iter()
        .map(|e| {
            format!(
                "  {}:{} ({}): {}",
                file,
                row.line,
                schema.headers.get(e.col).map_or("", String::as_str),
                e.message
            )
        })
        .collect();
    lines.join("\n")
}

fn register_len(p: &Pipeline) -> u64 {
    std::fs::metadata(&p.register.path).map_or(0, |m| m.len())
}

/// How many thousandths of a `register` of that many bytes the loading
/// thread reads itself, when a `journal` of that many bytes is searched on
/// a third thread meanwhile: less than half, as it shares its core with the
/// search (the other core reads the rest). A byte of the journal costs the
/// search about an eighth of what a byte of the register costs its read
/// (measured at 1M rows: the search 45–60 ms of a core, the read 340 ms);
/// at 1M rows it reads 41 % (a move 310 → 300 ms, a batch of 10,000 moves
/// 398 → 374 ms against an even split). Never less than 30 %.
fn first_share(register: u64, journal: u64) -> u64 {
    // The search, in bytes of the register that take as long to read.
    let search = u128::from(journal / 8).min(u128::from(register) * 2 / 5);
    // This part and the search take as long as the other part: f·R + J = (1 − f)·R.
    let register = u128::from(register.max(1));
    (500 * (register - search) / register) as u64
}

/// What a lean load gathers from a stretch of rows, in register order.
#[derive(Default)]
struct Lean {
    /// Every id, to tell whether one repeats.
    ids: Repeats,
    /// The rows kept.
    rows: Vec<WorkRow>,
    styles: Styles,
    highest: HighestId,
}

impl Lean {
    /// Adds the part read after this one; its rows' lines move by `lines`.
    fn append(&mut self, later: Lean, lines: u64) {
        self.ids.append(later.ids, id_hash);
        self.rows.extend(later.rows.into_iter().map(|mut r| {
            r.line += lines;
            r
        }));
        // Styles come from the first rows that show them.
        if self.styles.date.is_none() {
            self.styles.date = later.styles.date;
        }
        if self.styles.amount.is_none() {
            self.styles.amount = later.styles.amount;
        }
        self.highest.then(later.highest);
    }

    /// Takes the next row.
    fn take(
        &mut self,
        row: &Row,
        id_col: usize,
        p: &Pipeline,
        keep: &impl Fn(&str, u64) -> bool,
    ) -> Result<()> {
        let cell = row.cell(id_col).map_err(|d| invalid(d.to_string()))?;
        let id = cell.trim();
        let hash = id_hash(id);
        self.ids.insert(id, hash);
        self.highest.observe(id);
        learn_styles(row, p, &mut self.styles);
        if keep(id, hash) {
            self.rows.push(WorkRow::read(row)?);
        }
        Ok(())
    }
}

/// Reads the register for a lean load in two parts at once: this thread
/// from the start, a second one from `second`'s start (just after a line
/// break near the point [`Reader::second_part`] was given). A quoted cell
/// may hold line breaks, so that start is only a guess: it is used when
/// this thread, reading on from the start, finds that the last record
/// before it ends before it and the next one starts at or after it. Then
/// the second part (with its lines renumbered) takes the place of reading
/// on. Otherwise, or when the second part met an error (whose line it
/// cannot tell), this thread reads on to the end itself, as a single thread
/// would: the result is the same rows, the same errors on the same lines.
fn lean_in_parts(
    reader: &mut Reader,
    (start, mut second): (u64, Reader),
    lean: &mut Lean,
    id_col: usize,
    p: &Pipeline,
    keep: &(impl Fn(&str, u64) -> bool + Sync),
) -> Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = AtomicBool::new(false);
    let stop = &stop;
    std::thread::scope(|s| {
        let later = std::thread::Builder::new()
            .name("pipe-second-half".into())
            .spawn_scoped(s, move || -> Result<Option<(u64, u64, Lean)>> {
                let mut part = Lean::default();
                let mut first = None;
                while let Some(row) = second.next_row()? {
                    if stop.load(Ordering::Relaxed) {
                        return Ok(None);
                    }
                    first.get_or_insert((row.record.offset, row.line()));
                    part.take(&row, id_col, p, keep)?;
                }
                Ok(first.map(|(offset, line)| (offset, line, part)))
            });
        let Ok(later) = later else {
            // No second thread: read on alone.
            while let Some(row) = reader.next_row()? {
                lean.take(&row, id_col, p, keep)?;
            }
            return Ok(());
        };
        let mut later = Some(later);
        let mut end_of_last = None::<u64>;
        let read = (|| -> Result<()> {
            while let Some(row) = reader.next_row()? {
                if row.record.offset >= start
                    && let Some(later) = later.take()
                {
                    let proven = end_of_last.is_some_and(|end| end <= start);
                    if !proven {
                        stop.store(true, Ordering::Relaxed);
                    }
                    let part = match later.join() {
                        Ok(part) => part,
                        Err(panic) => std::panic::resume_unwind(panic),
                    };
                    // The second half's first record is this one, at the
                    // same offset: a check the proof already implies (the
                    // bytes between the two are blank lines), kept as cheap insurance.
                    if proven
                        && let Ok(Some((offset, line, part))) = part
                        && offset == row.record.offset
                    {
                        lean.append(part, row.line() - line);
                        return Ok(());
                    }
                }
                lean.take(&row, id_col, p, keep)?;
                end_of_last = Some(row.record.offset + row.record.raw.len() as u64);
            }
            Ok(())
        })();
        // Read to the end alone, or stopped by an error: the second half is not wanted.
        stop.store(true, Ordering::Relaxed);
        if let Some(later) = later
            && let Err(panic) = later.join()
        {
            std::panic::resume_unwind(panic);
        }
        read
    })
}

/// The hash that tells ids apart in a lean load (fixed: a duplicate is found whatever the run).
const ID_HASH: foldhash::quality::FixedState =
    foldhash::quality::FixedState::with_seed(0x70_69_70_65);

/// The 64-bit hash a lean load takes of each row's id (to check them
/// unique), which it hands to `keep` with the id.
pub fn id_hash(id: &str) -> u64 {
    use std::hash::BuildHasher;
    ID_HASH.hash_one(id.as_bytes())
}

/// The ids a command wants kept from a lean load, looked up for every row
/// of the register: first by the hash the load took of the row's id, in a
/// set of bits (one bit in 64 set for each id wanted), then in a table of
/// numbers, then by text. A row not wanted costs one bit read, mostly, and
/// otherwise one probe; not a string's hash and the comparisons with the
/// ids its hash's group holds.
#[derive(Default)]
pub struct Wanted {
    /// A bit for each id's hash, at the place its top bits give.
    bits: Vec<u64>,
    hashes: hashbrown::HashSet<u64, foldhash::fast::RandomState>,
    ids: HashSet<String>,
}

impl Wanted {
    /// The place of `hash`'s bit among `words` words of bits (a power of two).
    fn bit(words: usize, hash: u64) -> (usize, u64) {
        let places = (words * 64) as u64;
        // The top bits: the table of numbers places them by the bottom ones.
        let at = hash >> (64 - places.trailing_zeros());
        (at as usize / 64, 1 << (at % 64))
    }

    fn set_bit(&mut self, hash: u64) {
        let (word, bit) = Wanted::bit(self.bits.len(), hash);
        self.bits[word] |= bit;
    }

    pub fn insert(&mut self, id: &str) {
        if !self.ids.insert(id.to_string()) {
            return;
        }
        let hash = id_hash(id);
        self.hashes.insert(hash);
        // 64 places an id, at least 1,024: grown, the bits are placed again.
        let words = self.hashes.len().next_power_of_two().max(16);
        if words != self.bits.len() {
            self.bits = vec![0; words];
            let hashes: Vec<u64> = self.hashes.iter().copied().collect();
            hashes.into_iter().for_each(|h| self.set_bit(h));
        } else {
            self.set_bit(hash);
        }
    }

    /// Whether `id`, whose [`id_hash`] is `hash`, is wanted.
    pub fn contains(&self, id: &str, hash: u64) -> bool {
        if self.bits.is_empty() {
            return false;
        }
        let (word, bit) = Wanted::bit(self.bits.len(), hash);
        self.bits[word] & bit != 0 && self.hashes.contains(&hash) && self.ids.contains(id)
    }

    /// The ids wanted, in no order.
    pub fn ids(&self) -> impl Iterator<Item = &String> {
        self.ids.iter()
    }
}

impl<'a> FromIterator<&'a str> for Wanted {
    fn from_iter<I: IntoIterator<Item = &'a str>>(ids: I) -> Wanted {
        let mut wanted = Wanted::default();
        for id in ids {
            wanted.insert(id);
        }
        wanted
    }
}

/// The highest numbered id seen: its number, the text before the digits and
/// how many digits it has. Of ids with the same number, the first seen wins.
#[derive(Default)]
pub struct HighestId {
    best: Option<(u64, usize)>,
    prefix: String,
}

impl HighestId {
    pub fn observe(&mut self, id: &str) {
        let digits = id.bytes().rev().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return;
        }
        let (prefix, num) = id.split_at(id.len() - digits);
        let Ok(n) = num.parse::<u64>() else { return };
        if self.best.is_none_or(|(b, _)| n > b) {
            self.best = Some((n, digits));
            self.prefix.clear();
            self.prefix.push_str(prefix);
        }
    }

    /// Takes in the ids seen after these.
    fn then(&mut self, later: HighestId) {
        if let Some((n, _)) = later.best
            && self.best.is_none_or(|(b, _)| n > b)
        {
            *self = later;
        }
    }

    /// The id after the highest.
    pub fn next(&self) -> String {
        match self.best {
            Some((n, width)) => format!("{}{:0width$}", self.prefix, n + 1),
            None => "P-0001".to_string(),
        }
    }
}

/// Learns how the register writes dates and amounts from the first rows that show it.
fn learn_styles(row: &Row, p: &Pipeline, styles: &mut Styles) {
    if (styles.date.is_none() || styles.amount.is_none())
        && let Ok(cells) = row.text_cells()
    {
        let _ = Prospect::parse(|c| cells.get(c), row.schema, p, styles);
    }
}

/// What every journal entry of one command shares.
#[derive(Clone)]
pub struct EntryBase {
    pub at: chrono::DateTime<chrono::FixedOffset>,
    pub date: NaiveDate,
    pub by: String,
    pub reason: String,
    pub note: String,
}

impl EntryBase {
    /// The recording time, kept strictly after the journal's last entry so one command's entries form one group.
    pub fn new(ctx: &Context, date: NaiveDate, by: String) -> Result<EntryBase> {
        let mut at = ctx.now;
        if let Some(last) = crate::journal::last_at(&ctx.pipeline.register.journal)?
            && last >= at
        {
            at = (last + chrono::Duration::milliseconds(1)).with_timezone(at.offset());
        }
        Ok(EntryBase {
            at,
            date,
            by,
            reason: String::new(),
            note: String::new(),
        })
    }

    pub fn make(&self, id: &str, kind: Kind, field: &str, from: &str, to: &str) -> Entry {
        Entry {
            at: self.at,
            date: self.date,
            id: id.to_string(),
            kind,
            field: field.to_string(),
            from: from.to_string(),
            to: to.to_string(),
            by: self.by.clone(),
            reason: self.reason.clone(),
            note: self.note.clone(),
            line: 0,
        }
    }
}

/// The ids among `wanted` that have stage entries in the journal (none when there is no journal).
fn journal_history(p: &Pipeline, wanted: &[String]) -> Result<HashSet<String>> {
    crate::journal::search::stage_history(&p.register.journal, p, wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thread_beside_a_journal_search_reads_less() {
        // Alone, half; beside the search of a journal of 1M rows (286 MB
        // against a register of 205 MB), 41 %; never less than 30 %.
        assert_eq!(first_share(205_000_000, 0), 500);
        assert_eq!(first_share(205_000_000, 286_000_000), 412);
        assert_eq!(first_share(1_000, 1_000_000), 300);
        assert_eq!(first_share(0, 0), 500);
    }

    #[test]
    fn wanted_ids_are_found_and_no_other() {
        // Past several growths of the bits, each id is found by its text and hash.
        let ids: Vec<String> = (0..5_000).map(|n| format!("P-{n:06}")).collect();
        let mut wanted = Wanted::default();
        assert!(!wanted.contains("P-000000", id_hash("P-000000")));
        for (k, id) in ids.iter().enumerate() {
            wanted.insert(id);
            if k % 997 == 0 {
                assert!(ids[..=k].iter().all(|id| wanted.contains(id, id_hash(id))));
            }
        }
        wanted.insert("P-000001");
        assert_eq!(wanted.ids().count(), 5_000);
        assert!(ids.iter().all(|id| wanted.contains(id, id_hash(id))));
        let others = (5_000..50_000).map(|n| format!("P-{n:06}"));
        assert_eq!(
            others.filter(|id| wanted.contains(id, id_hash(id))).count(),
            0
        );
        // An id with another's hash is still told apart by its text.
        assert!(!wanted.contains("Q-1", id_hash("P-000001")));
    }
}
