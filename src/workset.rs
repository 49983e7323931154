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
use crate::journal::{Entry, Kind};
use crate::pipeline::Pipeline;
use crate::prospect::{self, CellError, Prospect, Styles};
use crate::register::{self, Decoder, Dialect, Reader, Schema};
use crate::store::{self, Commit, Edit, Lock, Stamp};
use anyhow::Result;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

pub struct WorkRow {
    pub offset: u64,
    pub line: u64,
    pub raw: Vec<u8>,
    pub orig: Vec<String>,
    pub cells: Vec<String>,
    pub deleted: bool,
    pub appended: bool,
}

impl WorkRow {
    pub fn get(&self, col: usize) -> &str {
        self.cells.get(col).map_or("", String::as_str)
    }

    pub fn set(&mut self, col: usize, value: String) {
        if self.cells.len() <= col {
            self.cells.resize(col + 1, String::new());
        }
        self.cells[col] = value;
    }
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
    /// Ids of the kept rows whose stage history is in the journal, once [`Workset::read_history`] ran.
    pub history: Option<HashSet<String>>,
}

impl<'p> Workset<'p> {
    /// Notes which kept prospects have stage entries in the journal, in one pass over it.
    pub fn read_history(&mut self) -> Result<()> {
        let id_col = self.id_col();
        let wanted: HashSet<&str> = self.rows.iter().map(|r| r.get(id_col).trim()).collect();
        let file = match std::fs::File::open(&self.p.register.journal) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot read {}", self.p.register.journal.display())));
            }
        };
        let mut scanner = crate::csvscan::Scanner::new(std::io::BufReader::new(file), b',', b'\n');
        let mut found = HashSet::new();
        while let Some(rec) = scanner.next_record()? {
            if rec.field(4) == Some(b"stage".as_slice())
                && let Some(id) = rec.field(2).and_then(|b| std::str::from_utf8(b).ok())
                && wanted.contains(id.trim())
            {
                found.insert(id.trim().to_string());
            }
        }
        self.history = Some(found);
        Ok(())
    }

    /// Locks and reads the register, keeping the rows whose id `keep` accepts.
    pub fn load(p: &'p Pipeline, keep: impl Fn(&str) -> bool) -> Result<Workset<'p>> {
        let lock = store::lock(&p.register.path)?;
        Workset::load_locked(p, lock, keep)
    }

    /// As [`Workset::load`], under a lock taken earlier (to read the journal under it first).
    pub fn load_locked(
        p: &'p Pipeline,
        lock: Lock,
        keep: impl Fn(&str) -> bool,
    ) -> Result<Workset<'p>> {
        let path = &p.register.path;
        store::check_office_locks(path)?;
        let mut reader = Reader::open(p)?;
        let stamp = store::stamp(path)?;
        let mut ids: HashMap<String, u64, foldhash::fast::RandomState> = HashMap::default();
        let mut rows = Vec::new();
        let mut styles = Styles::default();
        let id_col = reader
            .schema
            .col(Field::Id)
            .expect("schema has an id column");
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
            if (styles.date.is_none() || styles.amount.is_none())
                && let Ok(cells) = row.cells()
            {
                let _ = Prospect::parse(
                    |c| cells.get(c).map_or("", String::as_str),
                    row.schema,
                    p,
                    &mut styles,
                );
            }
            ids.insert(id.clone(), row.line());
            if keep(&id) {
                let cells = row
                    .cells()
                    .map_err(|d| invalid(format!("{}: {}", d.location(), d.message)))?;
                rows.push(WorkRow {
                    offset: row.record.offset,
                    line: row.line(),
                    raw: row.record.raw.to_vec(),
                    orig: cells.clone(),
                    cells,
                    deleted: false,
                    appended: false,
                });
            }
        }
        let file = reader.file.clone();
        Ok(Workset {
            p,
            _lock: lock,
            stamp,
            file,
            dialect: reader.dialect.clone(),
            schema: reader.schema.clone(),
            decoder: reader.decoder,
            styles,
            rows,
            ids,
            entries: Vec::new(),
            history: None,
        })
    }

    pub fn row_index(&self, id: &str) -> Option<usize> {
        self.rows
            .iter()
            .position(|r| !r.deleted && r.get(self.id_col()).trim() == id)
    }

    pub fn id_col(&self) -> usize {
        self.schema.col(Field::Id).expect("schema has an id column")
    }

    /// The ids nearest to `id`, for a "did you mean"; ties in register order
    /// (`ids` is a hash map, whose order changes from run to run).
    pub fn near_ids(&self, id: &str) -> Vec<&str> {
        let mut ids: Vec<(&String, &u64)> = self.ids.iter().collect();
        ids.sort_by_key(|(_, line)| **line);
        crate::text::suggest(id, ids.into_iter().map(|(k, _)| k.as_str()))
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
        let row = &self.rows[i];
        Prospect::parse(|c| row.get(c), &self.schema, self.p, &mut self.styles)
    }

    /// Explains why a row cannot be read, for a refusal.
    pub fn row_problems(&self, i: usize, errors: &[CellError]) -> String {
        let row = &self.rows[i];
        let lines: Vec<String> = errors
            .iter()
            .map(|e| {
                format!(
                    "  {}:{} ({}): {}",
                    self.file,
                    row.line,
                    self.schema.headers.get(e.col).map_or("", String::as_str),
                    e.message
                )
            })
            .collect();
        lines.join("\n")
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

    /// Sets a column of a row from a canonical value; journals a `set` if it changed.
    pub fn set_field(&mut self, i: usize, col: usize, canonical: &str, entry: &EntryBase) {
        let field = self.schema.field_of(col);
        let old = prospect::cell_canonical(field, self.rows[i].get(col), self.p);
        if prospect::same_value(field, &old, canonical, self.p) {
            return;
        }
        let text = self.cell_text(col, canonical);
        self.rows[i].set(col, text);
        let id = self.rows[i].get(self.id_col()).trim().to_string();
        self.entries.push(entry.make(
            &id,
            Kind::Set,
            &self.schema.journal_name(col),
            &old,
            canonical,
        ));
    }

    pub fn ctx_date_cell(&self, f: Field, d: NaiveDate) -> Option<(usize, String)> {
        let col = self.schema.col(f)?;
        Some((
            col,
            self.cell_text(col, &d.format(crate::dates::ISO).to_string()),
        ))
    }

    /// Writes the changed rows and the journal entries; returns how many rows changed.
    pub fn commit(self) -> Result<usize> {
        let mut edits = Vec::new();
        let width = self.schema.headers.len();
        for row in &self.rows {
            if row.appended {
                if !row.deleted {
                    let mut cells = row.cells.clone();
                    cells.resize(width.max(cells.len()), String::new());
                    edits.push(Edit::Append {
                        bytes: register::render_new_row(&cells, &self.dialect, &self.decoder)?,
                        terminator: self.dialect.terminator.bytes(),
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
            let changes: Vec<(usize, &str)> = row
                .cells
                .iter()
                .enumerate()
                .filter(|(c, v)| row.orig.get(*c).map_or(!v.is_empty(), |o| o != *v))
                .map(|(c, v)| (c, v.as_str()))
                .collect();
            if changes.is_empty() {
                continue;
            }
            let bytes =
                register::render_row(&row.raw, width, &self.dialect, &self.decoder, &changes)?;
            edits.push(Edit::Replace {
                offset: row.offset,
                len: row.raw.len() as u64,
                bytes,
            });
        }
        let n = edits.len();
        if n == 0 && self.entries.is_empty() {
            return Ok(0);
        }
        Commit {
            register: &self.p.register.path,
            stamp: self.stamp,
            edits,
            journal: &self.p.register.journal,
            entries: self.entries,
        }
        .run()?;
        Ok(n)
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
