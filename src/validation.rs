//! What `pipe check` finds wrong in the register, row by row, and whether the
//! register agrees with its journal. `pipe check` prints it; `pipe alerts`
//! turns every row it rejects into an `invalid_row` alert, so both always
//! agree. Reads the register and the journal; the row rules are those of
//! [`Prospect::parse`] and [`prospect::missing_for`].

use crate::diag::{Diagnostic, Severity};
use crate::digest::{self, Named, Step};
use crate::field::Field;
use crate::ids::{Ids, Renumbering};
use crate::journal;
use crate::pipeline::Pipeline;
use crate::prospect::{self, Prospect, Styles};
use crate::register::{Reader, Row};
use anyhow::Result;

/// One register row as `pipe check` sees it.
#[derive(Debug, Default, Clone)]
pub struct RowCheck {
    pub line: u64,
    /// The row's cells as written, as far as they can be decoded (for rows that cannot be read).
    pub id: String,
    pub owner: String,
    pub name: String,
    pub stage_text: String,
    /// The stage the row names, if it names one.
    pub stage: Option<usize>,
    /// Line and column of the id's cell.
    pub id_at: (u64, u64),
    /// The index's number for the id (none for an empty id the journal does not name).
    pub number: Option<u32>,
    /// The prospect, when every cell could be read.
    pub prospect: Option<Prospect>,
    /// Errors and warnings on this row, in the order `pipe check` finds them.
    pub diags: Vec<Diagnostic>,
}

impl RowCheck {
    /// What `pipe check` rejects: its errors (warnings do not count).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diags.iter().filter(|d| d.severity == Severity::Error)
    }

    pub fn rejected(&self) -> bool {
        self.errors().next().is_some()
    }
}

/// The journal's last stage record of every prospect, and where the register
/// holds each one: the state the row checks need, a few bytes a prospect
/// whatever the register's size.
pub struct Index {
    ids: Ids,
    /// Per id, what the journal and the register say of it (one look-up a row).
    seen: Vec<Seen>,
    /// The journal's path, for messages.
    pub journal_file: String,
    /// Whether the ids are numbered in the order of their values.
    by_value: bool,
}

/// What the index knows of one id.
#[derive(Debug, Clone, Copy)]
struct Seen {
    /// The last stage the journal records (`NO_ENTRY`: none; `REMOVED`: an undone add or a sync of a deleted row).
    last: u16,
    /// The journal line of that record.
    journal_line: Line,
    /// The register line it is first seen on (0: not in the register).
    first_line: Line,
}

// A million prospects take 10 MB of index.
const _: () = assert!(std::mem::size_of::<Seen>() == 10);

const UNSEEN: Seen = Seen {
    last: NO_ENTRY,
    journal_line: Line::ZERO,
    first_line: Line::ZERO,
};

/// A line number in four bytes, aligned as bytes, so that a [`Seen`] takes
/// 10 bytes, not 24: a record starts on line 2^32 − 1 at the latest (four
/// thousand million lines, a thousand times the largest journal `pipe` is
/// measured on), or the scanner refuses it ([`crate::csvscan::LAST_LINE`]).
#[derive(Debug, Clone, Copy)]
struct Line([u8; 4]);

impl Line {
    const ZERO: Line = Line([0; 4]);

    fn new(line: u64) -> Line {
        Line(
            u32::try_from(line)
                .expect("fewer than 2^32 lines")
                .to_le_bytes(),
        )
    }

    fn get(self) -> u64 {
        u64::from(u32::from_le_bytes(self.0))
    }
}

const NO_ENTRY: u16 = u16::MAX;
const REMOVED: u16 = u16::MAX - 1;

impl Index {
    /// An empty index, for the journal at `journal_file` (named in messages).
    pub fn new(journal_file: String) -> Index {
        Index {
            ids: Ids::default(),
            seen: Vec::new(),
            journal_file,
            by_value: false,
        }
    }

    fn number(&mut self, id: &str) -> usize {
        let (n, new) = self.ids.insert(id);
        if new {
            self.seen.push(UNSEEN);
        }
        n as usize
    }

    /// Notes a stage entry of the prospect numbered `n`: `to` is the stage it records, `None` for a removal.
    fn record(&mut self, n: u32, to: Option<usize>, line: u64) {
        let n = n as usize;
        if n >= self.seen.len() {
            self.seen.resize(n + 1, UNSEEN);
        }
        let stage = to.map_or(REMOVED, |s| {
            u16::try_from(s)
                .ok()
                .filter(|&s| s < REMOVED)
                .expect("fewer stages")
        });
        self.seen[n].last = stage;
        self.seen[n].journal_line = Line::new(line);
    }

    /// Streams the journal into an index; the scan's count and diagnostics
    /// come with it. `hold` is dropped once the journal's bytes are checked
    /// ([`digest::scan_holding`]).
    pub fn scan(p: &Pipeline, hold: Option<digest::Hold>) -> Result<(Index, journal::Scan)> {
        let file = p.register.journal.display().to_string();
        let (mut index, ids, scan) = digest::scan_holding(
            &p.register.journal,
            p,
            hold,
            || Index::new(file.clone()),
            |index, s| index.take(s),
        )?;
        index.number_by(ids);
        Ok((index, scan))
    }

    /// Takes in one step of a journal scan.
    pub fn take(&mut self, s: &Step<'_>) {
        if let digest::Change::Stage { to, .. } = s.change {
            match to {
                Named::Empty => self.record(s.id, None, s.line),
                Named::Stage(t) => self.record(s.id, Some(usize::from(t)), s.line),
                // An unknown stage is reported by the scan; it records nothing usable.
                Named::Unknown => {}
            }
        }
    }

    /// Reads the records of `ids` from memory, for the look-ups of their rows
    /// to find them in the processor's cache ([`crate::ids::touch`]).
    /// Not needed once the index is in the order of the ids' values
    /// ([`Index::number_by_value`]): a register in id order then reads it in
    /// memory order, which the processor reads ahead on its own.
    fn touch(&self, ids: &mut dyn Iterator<Item = &str>) {
        if self.reads_ahead() {
            crate::ids::touch(ids, |id| self.ids.find(id), &self.seen, |s| s.last as u8);
        }
    }

    /// Whether [`Index::touch`] reads records ahead.
    fn reads_ahead(&self) -> bool {
        !self.by_value
    }

    /// Takes the ids that numbered the steps taken, once the journal is read.
    pub fn number_by(&mut self, ids: Ids) {
        self.seen.resize(ids.len(), UNSEEN);
        self.ids = ids;
    }

    /// [`Index::number_by`], with the ids renumbered in their value order
    /// ([`Ids::renumber_by_value`]) so that a register kept in id order looks
    /// its rows up in memory order; returns how the numbers moved,
    /// for what else the scan numbered. The problems tied to no row then come
    /// in that order, not in the journal's. The index is renumbered in
    /// place, not copied: a copy would hold it twice (10 MB at 1M ids).
    pub fn number_by_value(&mut self, ids: Ids) -> Renumbering {
        // Nothing moves along: an array of `()` takes no memory.
        self.number_by_value_along(ids, &mut Vec::new(), ())
    }

    /// [`Index::number_by_value`], moving `along` (laid out by the same
    /// numbers, `blank` past its end) in the same pass: a cycle of the
    /// renumbering is followed once for both, and their reads wait on memory
    /// together.
    pub fn number_by_value_along<B: Copy>(
        &mut self,
        mut ids: Ids,
        along: &mut Vec<B>,
        blank: B,
    ) -> Renumbering {
        use crate::grouped::{One, Two};
        let order = ids.renumber_by_value();
        order.apply_laid(&mut Two(One(&mut self.seen, UNSEEN), One(along, blank)));
        self.ids = ids;
        self.by_value = true;
        order
    }

    /// Whether the register holds this id.
    pub fn in_register(&self, id: &str) -> bool {
        self.ids
            .find(id)
            .is_some_and(|n| self.seen[n as usize].first_line.get() != 0)
    }

    /// Whether the journal has a stage entry for this id.
    pub fn in_journal(&self, id: &str) -> bool {
        self.ids
            .find(id)
            .is_some_and(|n| self.seen[n as usize].last != NO_ENTRY)
    }
}

/// What [`scan_register`] found besides the rows: the register's path, how
/// many rows it has, and the problems tied to no row.
pub type Scanned = (String, usize, Vec<Diagnostic>);

/// Checks the register against the index, row by row, handing each checked
/// row to `visit` as it goes (nothing is kept): read from the register's
/// cache of checked rows when `early` ([`crate::summary::Early::start_rows`])
/// finds one for the register as it is, else from the register, writing
/// that cache. `Ok(Err(d))`: the register cannot be read at all. Returns the register's path, how many rows it has,
/// and the problems tied to no row (prospects only the journal knows, the
/// leftovers of an interrupted write).
pub fn scan_register(
    p: &Pipeline,
    index: &mut Index,
    early: crate::summary::Early,
    mut visit: impl FnMut(&mut RowCheck),
) -> Result<Result<Scanned, Diagnostic>> {
    if let Some(checked) = early.finish(p) {
        let file = p.register.path.display().to_string();
        let mut take = |r: &mut RowCheck, index: &mut Index| {
            index_row(r, p, &file, index);
            visit(r);
        };
        let rows = replay(checked, p, &file, index, &mut take)?;
        return Ok(Ok((file, rows, leftovers(p, index))));
    }
    let mut reader = match Reader::open_hashing(p, crate::summary::writes(p)) {
        Ok(r) => r,
        Err(e) => {
            let file = p.register.path.display().to_string();
            let msg = format!("{e:#}");
            // The message starts with where the problem is: `file:`, `file:line:` or `file:line:column:`.
            let mut d = Diagnostic::error(&file, "unreadable-register", msg.as_str());
            if let Some(mut rest) = msg.strip_prefix(&format!("{file}:")) {
                let mut at = Vec::new();
                while at.len() < 2
                    && let Some((n, r)) = rest.split_once(':')
                    && let Ok(n) = n.parse::<u64>()
                {
                    at.push(n);
                    rest = r;
                }
                d.line = at.first().copied();
                d.column = at.get(1).copied();
                d.message = rest.trim_start().to_string();
            }
            return Ok(Err(d));
        }
    };
    let file = reader.file.clone();
    let mut rows = 0;
    // The rows as their own checks left them go into the register's cache,
    // for the next scan of the register as it is.
    let mut writer = if reader.hashing() {
        crate::summary::Writer::for_rows(p)
    } else {
        None
    };
    let mut skipped = 0;
    let mut take = |r: &mut RowCheck, index: &mut Index| {
        rows += 1;
        skipped += u64::from(r.prospect.is_none());
        if let Some(w) = &mut writer
            && !w.add_row(r, p, &file)
        {
            writer = None;
        }
        index_row(r, p, &file, index);
        visit(r);
    };
    let len = std::fs::metadata(&p.register.path).map_or(0, |m| m.len());
    if crate::par::worth_it(len) {
        // The rows are read and checked on a second thread, then checked
        // against the index here, in file order. The checked rows go back
        // to be checked again, so that their strings are reused.
        //
        // Checking a row is heavier than the index's part, so every other
        // batch is handed over as the rows' bytes and checked here, once
        // nothing more is to be learnt from the rows before (the date format
        // and the encoding): the two threads then finish together.
        let schema = reader.schema.clone();
        let delimiter = reader.dialect.delimiter;
        let newline = reader.dialect.terminator.newline();
        let decoder = reader.decoder.clone();
        // A batch's rows are all checked before any is looked up in the index,
        // so that their records there are read from memory together
        // ([`Index::touch`]).
        let mut late = crate::par::Reused::<RowCheck>::default();
        let mut again =
            crate::csvscan::Scanner::new(std::io::Cursor::new(Vec::new()), delimiter, newline);
        crate::par::pipelined(
            |feed: &mut crate::par::Feed<CheckBatch>| -> Result<()> {
                let mut styles = Styles::default();
                let mut batch = CheckBatch::default();
                while let Some(row) = reader.next_row()? {
                    if batch.late {
                        batch.keep_raw(&row);
                    } else {
                        check_row(&row, p, &mut styles, batch.checked.slot());
                        batch.checked.keep();
                    }
                    if batch.rows() == ROWS_PER_BATCH {
                        let settled = !row.decoder.undecided();
                        if !feed.pass(&mut batch) {
                            return Ok(());
                        }
                        batch.late = feed.share() && settled && styles.date.is_some();
                        batch.hint = styles.date;
                    }
                }
                feed.pass(&mut batch);
                Ok(())
            },
            |batch| {
                if !batch.late {
                    take_all(&mut batch.checked, index, &mut take);
                    return;
                }
                let mut styles = Styles {
                    date: batch.hint,
                    amount: None,
                };
                crate::par::Batch::clear(&mut late);
                // Without reading ahead, each row is taken as soon as checked,
                // while it is still in the processor's cache.
                let ahead = index.reads_ahead();
                for &(offset, line, start, end) in &batch.raw_rows {
                    // Each row is read again on its own, as the reading thread read it.
                    let source = again.source_mut();
                    source.get_mut().clear();
                    source.get_mut().extend_from_slice(&batch.raw[start..end]);
                    source.set_position(0);
                    again.restart(offset, line);
                    let record = again
                        .next_record()
                        .expect("a record read from memory")
                        .expect("the record read before");
                    let row = Row {
                        record,
                        file: &file,
                        schema: &schema,
                        decoder: &decoder,
                        delimiter,
                    };
                    check_row(&row, p, &mut styles, late.slot());
                    if ahead {
                        late.keep();
                    } else {
                        take(late.slot(), index);
                    }
                }
                take_all(&mut late, index, &mut take);
            },
        )?;
    } else {
        let mut styles = Styles::default();
        let mut r = RowCheck::default();
        while let Some(row) = reader.next_row()? {
            check_row(&row, p, &mut styles, &mut r);
            take(&mut r, index);
        }
    }
    if let (Some(w), Some((len, hash))) = (writer, reader.read_hash()) {
        w.finish(len, hash, skipped);
    }
    Ok(Ok((file, rows, leftovers(p, index))))
}

/// The rows of the register's cache of checked rows, handed to `take` in
/// order as a scan of the register would: on two threads for a large
/// register, one decoding, this one taking. Gives how many rows there are.
fn replay(
    checked: crate::summary::Checked,
    p: &Pipeline,
    file: &str,
    index: &mut Index,
    take: &mut impl FnMut(&mut RowCheck, &mut Index),
) -> Result<usize> {
    let rows = usize::try_from(checked.entries())?;
    let concurrent = crate::par::worth_it(checked.register_len());
    let mut blocks = checked.rows();
    let broken = |e: anyhow::Error| crate::summary::unreadable(p, &e);
    if !concurrent {
        let mut r = RowCheck::default();
        while let Some(mut block) = blocks.next_block().map_err(broken)? {
            while block.next_row(&mut r, p, file).map_err(broken)? {
                take(&mut r, index);
            }
        }
        return Ok(rows);
    }
    crate::par::pipelined(
        |feed: &mut crate::par::Feed<crate::par::Reused<RowCheck>>| -> Result<()> {
            let mut batch = crate::par::Reused::default();
            while let Some(mut block) = blocks.next_block().map_err(broken)? {
                while block.next_row(batch.slot(), p, file).map_err(broken)? {
                    batch.keep();
                    if batch.len() == ROWS_PER_BATCH && !feed.pass(&mut batch) {
                        return Ok(());
                    }
                }
            }
            feed.pass(&mut batch);
            Ok(())
        },
        |batch| take_all(batch, index, take),
    )?;
    Ok(rows)
}

/// The problems tied to no row, once every row is taken: the prospects only
/// the journal knows, the leftovers of an interrupted write.
fn leftovers(p: &Pipeline, index: &Index) -> Vec<Diagnostic> {
    let mut other = Vec::new();
    for (n, s) in index.seen.iter().enumerate() {
        let (last, line) = (s.last, s.journal_line.get());
        if last != NO_ENTRY && last != REMOVED && s.first_line.get() == 0 {
            let id = index.ids.get(n as u32);
            other.push(
                Diagnostic::warning(&index.journal_file, "missing-prospect", format!("`{id}` is in the journal but not in the register"))
                    .at_line(line)
                    .hint("if the row was deleted on purpose, run `pipe sync` to record it; otherwise restore it"),
            );
        }
    }
    let backup = crate::store::backup_path(&p.register.path);
    if backup.exists() {
        other.push(Diagnostic::warning(backup.display().to_string(), "interrupted-write", "a `pipe` command was interrupted: this is the register as it was before it").hint("run `pipe check` again after `pipe sync`; once the register is right, delete this file"));
    }
    other
}

impl RowCheck {
    /// Whether the row's cells could be read (its width and encoding are right),
    /// so that it takes part in the id and journal checks.
    fn counted(&self) -> bool {
        !self
            .diags
            .iter()
            .any(|d| d.code == "row-width" || d.code == "bad-encoding")
    }
}

/// How many checked rows go from the reading thread to the indexing one at a time.
const ROWS_PER_BATCH: usize = 512;

/// Rows handed from the reading thread to the checking one: checked, or
/// (every other batch) as their bytes, to be checked there.
#[derive(Default)]
struct CheckBatch {
    checked: crate::par::Reused<RowCheck>,
    /// Whether this batch's rows are left as bytes.
    late: bool,
    /// The register's date format as the reading thread knows it.
    hint: Option<usize>,
    /// The rows' bytes end to end; per row its offset and line in the file
    /// and where its bytes are here.
    raw: Vec<u8>,
    raw_rows: Vec<(u64, u64, usize, usize)>,
}

impl crate::par::Batch for CheckBatch {
    fn clear(&mut self) {
        crate::par::Batch::clear(&mut self.checked);
        self.late = false;
        self.hint = None;
        self.raw.clear();
        self.raw_rows.clear();
    }
}

impl CheckBatch {
    fn rows(&self) -> usize {
        if self.late {
            self.raw_rows.len()
        } else {
            self.checked.len()
        }
    }

    fn keep_raw(&mut self, row: &Row) {
        let start = self.raw.len();
        self.raw.extend_from_slice(row.record.raw);
        self.raw_rows
            .push((row.record.offset, row.record.line, start, self.raw.len()));
    }
}

/// Takes the rows of a batch, in order, their records in the index read
/// from memory together first ([`Index::touch`]).
fn take_all(
    checked: &mut crate::par::Reused<RowCheck>,
    index: &mut Index,
    take: &mut impl FnMut(&mut RowCheck, &mut Index),
) {
    let items = checked.items();
    index.touch(&mut items.iter().map(|r| r.id.as_str()));
    items.iter_mut().for_each(|r| take(r, index));
}

/// The checks of a row that need the rows before it and the journal: a
/// repeated id (reported first), and a stage the journal disagrees with.
fn index_row(r: &mut RowCheck, p: &Pipeline, file: &str, index: &mut Index) {
    let n = if r.id.is_empty() {
        index.ids.find(&r.id).map(|n| n as usize)
    } else {
        let n = index.number(&r.id);
        let first = index.seen[n].first_line.get();
        if first != 0 {
            let (line, column) = r.id_at;
            r.diags.insert(
                0,
                Diagnostic::error(
                    file,
                    "duplicate-id",
                    format!("the id `{}` is already used on line {first}", r.id),
                )
                .at(line, column)
                .hint("give each prospect its own id"),
            );
        } else {
            index.seen[n].first_line = Line::new(r.line);
        }
        Some(n)
    };
    r.number = n.map(|n| u32::try_from(n).expect("fewer than 2^32 ids"));
    if let Some(stage) = r.stage
        && r.counted()
        && let Some(n) = n
    {
        let Seen {
            last,
            journal_line: line,
            ..
        } = index.seen[n];
        let line = line.get();
        if last != NO_ENTRY && last as usize != stage {
            let recorded = if last == REMOVED {
                "removed".to_string()
            } else {
                format!("in {}", p.stages[last as usize].label)
            };
            r.diags.push(
                Diagnostic::error(file, "journal-mismatch", format!("`{}` is in {} here, but the journal's last record ({}:{line}) has it {recorded}", r.id, p.stages[stage].label, index.journal_file))
                    .at_line(r.line)
                    .hint("the register was edited outside `pipe` (or a `pipe` command was interrupted); run `pipe sync` to record the change in the journal"),
            );
        }
    }
}

/// The checks of a row on its own: its width, its encoding, every cell, and
/// the fields its stage requires; into `r`, whose strings are reused.
fn check_row(row: &Row, p: &Pipeline, styles: &mut Styles, r: &mut RowCheck) {
    // Borrowed from the read buffer where the file allows: no copy per cell,
    // and the record's text checked once rather than cell by cell.
    let cells = row.text_cells();
    let text = |f: Field, into: &mut String| {
        into.clear();
        let Some(c) = row.schema.col(f) else {
            return;
        };
        match &cells {
            Ok(cells) => into.push_str(cells.get(c).trim()),
            // A cell that cannot be read leaves the value empty; the others are read.
            Err(_) => {
                if let Ok(s) = row.cell(c) {
                    into.push_str(s.trim());
                }
            }
        }
    };
    r.line = row.line();
    text(Field::Id, &mut r.id);
    text(Field::Owner, &mut r.owner);
    text(Field::Company, &mut r.name);
    if r.name.is_empty() {
        text(Field::Name, &mut r.name);
    }
    text(Field::Stage, &mut r.stage_text);
    r.stage = p.find_stage(&r.stage_text);
    r.id_at = row.position_of(row.schema.col(Field::Id).expect("id column"));
    r.diags.clear();
    // Read into the last row's prospect, if it had one.
    let mut x = r.prospect.take().unwrap_or_else(Prospect::empty);
    if let Err(d) = row.check_width() {
        r.diags.push(d);
        return;
    }
    let cells = match cells {
        Ok(c) => c,
        Err(d) => {
            r.diags.push(d);
            return;
        }
    };
    match x.read(|c| cells.get(c), row.schema, p, styles) {
        Ok(()) => {
            let id = &r.id;
            for f in prospect::missing_for(x.stage, &x, p) {
                let d = match row.schema.col(f) {
                    Some(c) => row.diag(c, "missing-field", format!("`{id}` is in {} but its {} is empty", p.stages[x.stage].label, f.key())),
                    None => Diagnostic::error(row.file, "missing-field", format!("`{id}` is in {} which requires {}, but the register has no `{}` column", p.stages[x.stage].label, f.key(), p.register.header(f))).at_line(row.line()),
                };
                r.diags.push(
                    Diagnostic {
                        severity: Severity::Warning,
                        ..d
                    }
                    .hint(format!("fill it, with `pipe set {id} {}=…`", f.key())),
                );
            }
            r.stage = Some(x.stage);
            r.prospect = Some(x);
        }
        Err(errors) => {
            for e in errors {
                let mut d = row.diag(e.col, e.code, e.message);
                if let Some(h) = e.hint {
                    d = d.hint(h);
                }
                r.diags.push(d);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Line;

    #[test]
    fn a_line_number_keeps_its_value_in_four_bytes() {
        for n in [0, 1, 255, 256, 65_536, 1 << 24, u64::from(u32::MAX)] {
            assert_eq!(Line::new(n).get(), n);
        }
    }

    #[test]
    #[should_panic(expected = "fewer than 2^32 lines")]
    fn a_line_past_four_bytes_is_refused() {
        Line::new(1 << 32);
    }
}
