//! The journal: an append-only CSV of every change, the history that reports replay.
//!
//! `at,date,id,kind,field,from,to,by,reason,note`; UTF-8, `,`, ISO dates.
//! Values are canonical: stage and product ids, ISO dates, plain decimals.
//! Reading is here; appending durably is `store`'s job.

pub mod search;

use crate::csvlog;
use crate::csvscan::Scanner;
use crate::diag::Diagnostic;
use crate::pipeline::Pipeline;
use crate::text::trim;
use anyhow::{Context, Result};
use chrono::{DateTime, FixedOffset, NaiveDate};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

pub const HEADER: [&str; 10] = [
    "at", "date", "id", "kind", "field", "from", "to", "by", "reason", "note",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Move,
    Set,
    Undo,
    Sync,
}

impl Kind {
    pub fn key(self) -> &'static str {
        match self {
            Kind::Add => "add",
            Kind::Move => "move",
            Kind::Set => "set",
            Kind::Undo => "undo",
            Kind::Sync => "sync",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "add" => Kind::Add,
            "move" => Kind::Move,
            "set" => Kind::Set,
            "undo" => Kind::Undo,
            "sync" => Kind::Sync,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub at: DateTime<FixedOffset>,
    pub date: NaiveDate,
    pub id: String,
    pub kind: Kind,
    pub field: String,
    pub from: String,
    pub to: String,
    pub by: String,
    pub reason: String,
    pub note: String,
    /// Line in the journal file (0 for an entry not yet written).
    pub line: u64,
}

impl Entry {
    /// Writes the entries as journal records, their text borrowed, not
    /// copied; the time stamp and the date are formatted once for the
    /// entries in a row that share them (a command's entries share its time).
    pub fn write_all<W: std::io::Write>(
        entries: &[Entry],
        w: &mut csv::Writer<W>,
    ) -> csv::Result<()> {
        let mut at = (None, String::new());
        let mut date = (None, String::new());
        for e in entries {
            // The same instant in another offset is written otherwise.
            let stamp = Some((e.at, *e.at.offset()));
            if at.0 != stamp {
                at = (stamp, format_at(e.at));
            }
            if date.0 != Some(e.date) {
                date = (Some(e.date), e.date.format(crate::dates::ISO).to_string());
            }
            e.write(w, &at.1, &date.1)?;
        }
        Ok(())
    }

    /// Writes the entry as a journal record with its time stamp and date as given.
    fn write<W: std::io::Write>(
        &self,
        w: &mut csv::Writer<W>,
        at: &str,
        date: &str,
    ) -> csv::Result<()> {
        w.write_record([
            at,
            date,
            &self.id,
            self.kind.key(),
            &self.field,
            &self.from,
            &self.to,
            &self.by,
            &self.reason,
            &self.note,
        ])
    }

    pub fn is_stage(&self) -> bool {
        self.field == "stage"
    }
}

pub fn format_at(at: DateTime<FixedOffset>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, false)
}

/// What the journal shares with the other logs: its header and how its line problems read.
pub(crate) const FORMAT: csvlog::Format = csvlog::Format {
    header: &HEADER,
    what: "journal",
    header_code: "journal-header",
    incomplete_hint: "check that line against the register, then finish or remove it; `pipe` refuses to append until then",
};

#[derive(Debug, Default)]
pub struct Journal {
    pub file: String,
    pub entries: Vec<Entry>,
}

/// The `at` of the last entry a scan read, to tell whether the next one
/// opens a command: one command's entries share it (the same text, or the
/// same instant written at another offset). The text is compared first;
/// the time is read only when it differs.
#[derive(Default)]
pub struct Opening {
    text: String,
    /// Seconds since 1970 and nanoseconds ([`crate::dates::rfc3339_instant`]).
    instant: Option<(i64, u32)>,
}

impl Opening {
    /// After an entry at `instant` whose text is not known (the last one a
    /// journal's cache holds).
    pub fn after(instant: Option<(i64, u32)>) -> Opening {
        Opening {
            text: String::new(),
            instant,
        }
    }

    /// Whether the entry at `at` (a time the scan checked) opens a command.
    pub fn opens(&mut self, at: &str) -> bool {
        if self.instant.is_some() && self.text == at {
            return false;
        }
        let instant = crate::dates::rfc3339_instant(at);
        let opens = instant.is_none() || self.instant != instant;
        self.text.clear();
        self.text.push_str(at);
        self.instant = instant;
        opens
    }

    /// The instant of the last entry, if any.
    pub fn instant(&self) -> Option<(i64, u32)> {
        self.instant
    }
}

/// A journal's commands as `pipe undo` walks them, read as they stream past:
/// each command's entries share an `at` ([`Opening`]), and an undo takes
/// back the latest command not taken back yet. Each command carries `T`,
/// what the caller notes of it.
struct Commands<T> {
    /// The `at` of the entry last read.
    at: Opening,
    /// The command being read, whether it is an undo, and its `T`.
    open: Option<(bool, T)>,
    /// The commands read and not taken back, oldest first.
    kept: Vec<T>,
}

impl<T> Commands<T> {
    fn new() -> Commands<T> {
        Commands {
            at: Opening::default(),
            open: None,
            kept: Vec::new(),
        }
    }

    /// Takes the next entry. When it starts a command, the one before is
    /// closed and the new one opens with `open(dropped)`, `dropped` being
    /// the command an undo took back as it closed, if any. Returns the open
    /// command's `T`, and whether it is an undo.
    fn entry(&mut self, e: &EntryRef<'_>, open: impl FnOnce(Option<T>) -> T) -> (&mut T, bool) {
        let opens = self.at.opens(e.at);
        self.step(opens, e.kind == Kind::Undo, open)
    }

    /// [`Commands::entry`] for an entry already told apart: whether it
    /// opens a command, and whether it is an undo
    /// ([`crate::digest::Step::opens`]).
    fn step(
        &mut self,
        opens: bool,
        undo: bool,
        open: impl FnOnce(Option<T>) -> T,
    ) -> (&mut T, bool) {
        if opens || self.open.is_none() {
            let dropped = self.close();
            self.open = Some((undo, open(dropped)));
        }
        let (undo, data) = self.open.as_mut().expect("an entry opens a command");
        (data, *undo)
    }

    /// Closes the open command; returns the command it took back if it is an undo.
    fn close(&mut self) -> Option<T> {
        match self.open.take() {
            Some((true, _)) => self.kept.pop(),
            Some((false, t)) => {
                self.kept.push(t);
                None
            }
            None => None,
        }
    }

    /// Once the journal is read: the commands not taken back, oldest first,
    /// and the one the last command took back if it is an undo.
    fn finish(mut self) -> (Vec<T>, Option<T>) {
        let dropped = self.close();
        (self.kept, dropped)
    }
}

/// Each prospect's stage events, by id: the ids once each (numbered), the
/// events of all side by side in 16 bytes each, each prospect's in journal
/// order.
#[derive(Default)]
pub struct StageEventsById {
    ids: crate::ids::Ids,
    /// The events of the prospect numbered `n` are `events[starts[n]..starts[n + 1]]`.
    starts: Vec<u32>,
    events: Vec<KeptEvent>,
}

/// A [`StageEvent`] as kept: its stage numbered in 16 bits (`NO_STAGE` for none).
#[derive(Debug, Clone, Copy)]
pub struct KeptEvent {
    date: NaiveDate,
    stage: u16,
    line: u64,
}

const NO_STAGE: u16 = u16::MAX;

impl KeptEvent {
    fn of(e: StageEvent) -> KeptEvent {
        let stage = e.stage.map_or(NO_STAGE, |s| {
            u16::try_from(s)
                .ok()
                .filter(|&s| s != NO_STAGE)
                .expect("fewer stages")
        });
        KeptEvent {
            date: e.date,
            stage,
            line: e.line,
        }
    }

    fn event(self) -> StageEvent {
        StageEvent {
            date: self.date,
            stage: (self.stage != NO_STAGE).then_some(usize::from(self.stage)),
            line: self.line,
        }
    }
}

/// A prospect's events, oldest first in journal order.
pub type Events<'a> = std::iter::Map<std::slice::Iter<'a, KeptEvent>, fn(&KeptEvent) -> StageEvent>;

impl StageEventsById {
    /// The events kept, in journal order, grouped by prospect (each
    /// prospect's in journal order); `ids` numbers them.
    fn grouped(ids: crate::ids::Ids, events: Vec<(u32, KeptEvent)>) -> StageEventsById {
        let blank = KeptEvent {
            date: NaiveDate::MIN,
            stage: NO_STAGE,
            line: 0,
        };
        let (starts, events) = crate::grouped::by_number(events, ids.len(), blank);
        StageEventsById {
            ids,
            starts,
            events,
        }
    }

    /// The number of `id`, when it has events.
    pub fn number(&self, id: &str) -> Option<u32> {
        self.ids.find(id).filter(|&n| self.of(n).len() > 0)
    }

    /// The events of the prospect numbered `n`.
    pub fn of(&self, n: u32) -> Events<'_> {
        let n = n as usize;
        self.events[self.starts[n] as usize..self.starts[n + 1] as usize]
            .iter()
            .map(|e| e.event())
    }

    /// The events of `id`; none when it has none.
    pub fn get(&self, id: &str) -> Option<Events<'_>> {
        self.number(id).map(|n| self.of(n))
    }

    /// Every prospect with events: its number, its id and its events.
    pub fn iter(&self) -> impl Iterator<Item = (u32, Cow<'_, str>, Events<'_>)> {
        (0..self.ids.len() as u32)
            .map(|n| (n, self.of(n)))
            .filter(|(_, ev)| ev.len() > 0)
            .map(|(n, ev)| (n, self.ids.get(n), ev))
    }

    /// How many numbers there are (some without events).
    pub fn numbers(&self) -> usize {
        self.ids.len()
    }
}

/// A stage change for one prospect: when, which stage (`None`: removed by an undone add), and where it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageEvent {
    pub date: NaiveDate,
    pub stage: Option<usize>,
    pub line: u64,
}

/// One entry as the scan reads it, borrowing its text from the read buffer.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// Line in the journal file.
    pub line: u64,
    /// The `at` cell, trimmed; a valid RFC 3339 time ([`EntryRef::at`] parses it).
    pub at: &'a str,
    pub date: NaiveDate,
    pub id: &'a str,
    pub kind: Kind,
    pub field: &'a str,
    pub from: &'a str,
    pub to: &'a str,
    pub by: &'a str,
    pub reason: &'a str,
    pub note: &'a str,
    /// For a stage entry: the stages `from` and `to` name (`None` when empty or unknown).
    pub from_stage: Option<usize>,
    pub to_stage: Option<usize>,
}

/// Entries handed from the parsing thread to the consuming one: their text
/// end to end in one buffer, the rest as read.
#[derive(Default)]
struct EntryBatch {
    text: String,
    entries: Vec<Packed>,
}

/// An entry in a batch: its parsed parts, and where its cells end in the batch's text.
struct Packed {
    line: u64,
    date: NaiveDate,
    kind: Kind,
    from_stage: Option<usize>,
    to_stage: Option<usize>,
    /// Ends of `at`, `id`, `field`, `from`, `to`, `by`, `reason`, `note`.
    ends: [usize; 8],
}

impl crate::par::Batch for EntryBatch {
    fn clear(&mut self) {
        self.text.clear();
        self.entries.clear();
    }
}

impl EntryBatch {
    const SIZE: usize = 4096;

    fn push(&mut self, e: &EntryRef<'_>) {
        let mut ends = [0; 8];
        for (end, cell) in ends
            .iter_mut()
            .zip([e.at, e.id, e.field, e.from, e.to, e.by, e.reason, e.note])
        {
            self.text.push_str(cell);
            *end = self.text.len();
        }
        self.entries.push(Packed {
            line: e.line,
            date: e.date,
            kind: e.kind,
            from_stage: e.from_stage,
            to_stage: e.to_stage,
            ends,
        });
    }

    fn get(&self, i: usize) -> EntryRef<'_> {
        let e = &self.entries[i];
        let start = if i == 0 {
            0
        } else {
            self.entries[i - 1].ends[7]
        };
        let cell = |k: usize| {
            let from = if k == 0 { start } else { e.ends[k - 1] };
            &self.text[from..e.ends[k]]
        };
        EntryRef {
            line: e.line,
            at: cell(0),
            date: e.date,
            id: cell(1),
            kind: e.kind,
            field: cell(2),
            from: cell(3),
            to: cell(4),
            by: cell(5),
            reason: cell(6),
            note: cell(7),
            from_stage: e.from_stage,
            to_stage: e.to_stage,
        }
    }
}

impl EntryRef<'_> {
    pub fn is_stage(&self) -> bool {
        self.field == "stage"
    }

    pub fn at(&self) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(self.at).expect("the scan checked the time")
    }

    pub fn owned(&self) -> Entry {
        Entry {
            at: self.at(),
            date: self.date,
            id: self.id.to_string(),
            kind: self.kind,
            field: self.field.to_string(),
            from: self.from.to_string(),
            to: self.to.to_string(),
            by: self.by.to_string(),
            reason: self.reason.to_string(),
            note: self.note.to_string(),
            line: self.line,
        }
    }
}

/// Where a scan takes up a journal read before: a record boundary after the header, and the line it is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resume {
    pub offset: u64,
    pub line: u64,
}

/// Where [`Journal::scan_source`] stopped: the line of the last record read, and the line after it.
#[derive(Debug, Clone, Copy)]
pub struct Scanned {
    pub last_line: u64,
    pub next_line: u64,
    /// The header is not the journal's: nothing after it was read.
    pub bad_header: bool,
}

/// What a scan of the journal found besides its entries.
#[derive(Debug, Default)]
pub struct Scan {
    pub file: String,
    /// How many entries could be read (and were visited).
    pub entries: u64,
    pub diags: Vec<Diagnostic>,
}

impl Journal {
    /// Reads the journal; a missing file is an empty journal. Problems come
    /// back as diagnostics beside what could be read. Commands stream the
    /// journal instead; this held reading is the tests' reference.
    #[cfg(test)]
    pub fn read(path: &Path, p: &Pipeline) -> Result<(Journal, Vec<Diagnostic>)> {
        let mut entries = Vec::new();
        let scan = Journal::scan(path, p, |e| entries.push(e.owned()))?;
        Ok((
            Journal {
                file: scan.file,
                entries,
            },
            scan.diags,
        ))
    }

    /// Streams the journal: `visit` sees every entry that can be read, in file order,
    /// without the journal being held in memory.
    ///
    /// A large journal is parsed on a second thread while `visit` runs on
    /// this one ([`crate::par`]); entries arrive in journal order either way.
    pub fn scan(path: &Path, p: &Pipeline, mut visit: impl FnMut(&EntryRef<'_>)) -> Result<Scan> {
        let len = std::fs::metadata(path).map_or(0, |m| m.len());
        if !crate::par::worth_it(len) {
            return Journal::scan_here(path, p, visit);
        }
        crate::par::pipelined(
            |feed: &mut crate::par::Feed<EntryBatch>| {
                let mut batch = EntryBatch::default();
                let mut open = true;
                let scan = Journal::scan_here(path, p, |e| {
                    if !open {
                        return;
                    }
                    batch.push(e);
                    if batch.entries.len() == EntryBatch::SIZE {
                        open = feed.pass(&mut batch);
                    }
                });
                if open {
                    feed.pass(&mut batch);
                }
                scan
            },
            |batch| {
                for i in 0..batch.entries.len() {
                    visit(&batch.get(i));
                }
            },
        )
    }

    /// [`Journal::scan`] on this thread alone.
    fn scan_here(path: &Path, p: &Pipeline, mut visit: impl FnMut(&EntryRef<'_>)) -> Result<Scan> {
        let file = path.display().to_string();
        let mut scan = Scan {
            file: file.clone(),
            ..Scan::default()
        };
        let f = match File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(scan),
            Err(e) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot read the journal {file}"))
                );
            }
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let end = Journal::scan_source(f, None, p, &mut scan, |e, _| visit(e))?;
        if !end.bad_header && len > 0 && !ends_with_newline(path)? {
            scan.diags
                .push(FORMAT.incomplete_error(&file, end.last_line));
        }
        Ok(scan)
    }

    /// Scans the journal's text from `src`: from its start (header first), or
    /// from `resume`, a record boundary after the header. Entries are counted
    /// and problems noted in `scan`; `visit` also learns whether the scan has
    /// found no problem so far. Whether the file ends its last line is for the
    /// caller to check.
    pub(crate) fn scan_source(
        src: impl std::io::Read,
        resume: Option<Resume>,
        p: &Pipeline,
        scan: &mut Scan,
        mut visit: impl FnMut(&EntryRef<'_>, bool),
    ) -> Result<Scanned> {
        let file = scan.file.clone();
        let diags = &mut scan.diags;
        let mut scanner = Scanner::new(src, b',', b'\n');
        let mut first = resume.is_none();
        if let Some(r) = resume {
            scanner = scanner.starting_at(r.offset).on_line(r.line);
        }
        let mut last_line = 0;
        while let Some(rec) = scanner
            .next_record()
            .with_context(|| format!("cannot read the journal {file}"))?
        {
            let line = rec.line;
            last_line = line;
            let lossy = |i: usize| String::from_utf8_lossy(rec.field(i).unwrap_or_default());
            if first {
                first = false;
                let fields: Vec<String> = rec
                    .fields()
                    .map(|f| String::from_utf8_lossy(f).into_owned())
                    .collect();
                let header: Vec<&str> = fields
                    .iter()
                    .map(|s| s.trim_start_matches('\u{feff}').trim())
                    .collect();
                if header != HEADER {
                    diags.push(FORMAT.header_error(&file, line, &header));
                    return Ok(Scanned {
                        last_line,
                        next_line: scanner.line(),
                        bad_header: true,
                    });
                }
                continue;
            }
            // A plain record's fields are its raw bytes: one check covers both.
            let text = if rec.is_plain() || simdutf8::basic::from_utf8(rec.raw).is_ok() {
                rec.text()
            } else {
                None
            };
            let Some(text) = text else {
                diags.push(FORMAT.encoding_error(&file, line));
                continue;
            };
            if rec.len() != HEADER.len() {
                diags.push(FORMAT.width_error(&file, line, rec.len()));
                continue;
            }
            let cell = |i: usize| text.get(i);
            let col = |i: usize| {
                crate::csvscan::raw_fields(rec.raw, b',')
                    .get(i)
                    .map_or(1, |r| r.start as u64 + 1)
            };
            let at = trim(cell(0));
            if !crate::dates::is_rfc3339(at) {
                diags.push(
                    Diagnostic::error(
                        &file,
                        "bad-timestamp",
                        format!("`{}` is not an RFC 3339 time", lossy(0)),
                    )
                    .at(line, 1)
                    .hint("write it as `2026-11-27T09:30:00+01:00`"),
                );
                continue;
            }
            let Some(date) = crate::dates::parse_iso(trim(cell(1))) else {
                diags.push(
                    Diagnostic::error(
                        &file,
                        "bad-date",
                        format!("`{}` is not an ISO date", lossy(1)),
                    )
                    .at(line, col(1))
                    .hint("the journal's dates are written `2026-11-27`"),
                );
                continue;
            };
            let Some(kind) = Kind::parse(trim(cell(3))) else {
                diags.push(
                    Diagnostic::error(
                        &file,
                        "bad-kind",
                        format!("`{}` is not a kind of change", lossy(3)),
                    )
                    .at(line, col(3))
                    .hint("the kinds are `add`, `move`, `set`, `undo` and `sync`"),
                );
                continue;
            };
            let mut entry = EntryRef {
                line,
                at,
                date,
                id: trim(cell(2)),
                kind,
                field: trim(cell(4)),
                from: cell(5),
                to: cell(6),
                by: cell(7),
                reason: cell(8),
                note: cell(9),
                from_stage: None,
                to_stage: None,
            };
            if entry.is_stage() {
                for (i, v) in [(5, entry.from), (6, entry.to)] {
                    if trim(v).is_empty() {
                        continue;
                    }
                    match p.find_stage(v) {
                        Some(s) if i == 5 => entry.from_stage = Some(s),
                        Some(s) => entry.to_stage = Some(s),
                        None => diags.push(
                            Diagnostic::error(&file, "unknown-stage", p.unknown_stage(v.trim()))
                                .at(line, col(i))
                                .hint("a stage was renamed or removed in the pipeline; keep its old id or label as a stage, or restore it"),
                        ),
                    }
                }
            }
            scan.entries += 1;
            visit(&entry, diags.is_empty());
        }
        Ok(Scanned {
            last_line,
            next_line: scanner.line(),
            bad_header: false,
        })
    }

    /// The stage history of every prospect, in journal order.
    pub fn stage_events(&self, p: &Pipeline) -> HashMap<&str, Vec<StageEvent>> {
        let mut out: HashMap<&str, Vec<StageEvent>> = HashMap::new();
        for e in &self.entries {
            if !e.is_stage() {
                continue;
            }
            let stage = if e.to.trim().is_empty() {
                None
            } else {
                p.find_stage(&e.to)
            };
            if stage.is_none() && !e.to.trim().is_empty() {
                continue;
            }
            out.entry(e.id.as_str()).or_default().push(StageEvent {
                date: e.date,
                stage,
                line: e.line,
            });
        }
        out
    }

    /// The stage history of every prospect as it stands once `pipe undo` is
    /// taken into account: the changes an undo took back, and the undo's own
    /// entries, are left out. Milestones and outcomes are read from this.
    #[cfg(test)]
    pub fn effective_stage_events(&self, p: &Pipeline) -> HashMap<&str, Vec<StageEvent>> {
        // An undo takes back the latest change not yet taken back, as `pipe undo` walks.
        let mut kept: Vec<std::ops::Range<usize>> = Vec::new();
        for g in self.groups() {
            if self.entries[g.start].kind == Kind::Undo {
                kept.pop();
            } else {
                kept.push(g);
            }
        }
        let mut out: HashMap<&str, Vec<StageEvent>> = HashMap::new();
        for e in kept.into_iter().flat_map(|g| &self.entries[g]) {
            if !e.is_stage() || e.to.trim().is_empty() {
                continue;
            }
            if let Some(stage) = p.find_stage(&e.to) {
                out.entry(e.id.as_str()).or_default().push(StageEvent {
                    date: e.date,
                    stage: Some(stage),
                    line: e.line,
                });
            }
        }
        out
    }

    /// [`Journal::effective_stage_events_at`] of the pipeline's journal,
    /// while its register is scanned, each prospect handed to `visit`
    /// ([`crate::prospect::Prospect::scan`]): at once, on two threads, for a
    /// large register. Gives the events, the journal's scan and how many
    /// rows of the register could not be read.
    pub fn effective_stage_events_beside_scan(
        p: &Pipeline,
        visit: impl FnMut(&crate::prospect::Prospect),
    ) -> Result<(StageEventsById, Scan, u64)> {
        let (read, skipped) = crate::par::beside(
            crate::par::worth_it(std::fs::metadata(&p.register.path).map_or(0, |m| m.len())),
            "pipe-journal",
            || Journal::effective_stage_events_at(&p.register.journal, p),
            || crate::prospect::Prospect::scan(p, visit),
        );
        // The register's error first, as when it was read first.
        let skipped = skipped?;
        let (events, scan) = read?;
        Ok((events, scan, skipped))
    }

    /// The stage history of every prospect in the journal at `path` as it
    /// stands once `pipe undo` is taken into account: the changes an undo
    /// took back, and the undo's own entries, are left out. Read as the
    /// journal streams past: only the stage entries are kept, 24 bytes each,
    /// and an undo drops the latest command's entries kept as it comes.
    ///
    /// The steps come from the journal's cache, when it has one
    /// ([`crate::digest::scan`]), instead of a parse of every entry; they
    /// tell which entries open a command, so an undo takes back the same
    /// entries as in [`Journal::effective_stage_events_of`].
    pub fn effective_stage_events_at(path: &Path, p: &Pipeline) -> Result<(StageEventsById, Scan)> {
        if crate::digest::cache::Policy::from_env() == crate::digest::cache::Policy::Off {
            return Journal::effective_stage_events_of(path, p, |_| true);
        }
        type Kept = (Vec<(u32, KeptEvent)>, Commands<usize>);
        let ((mut events, commands), ids, scan) = crate::digest::scan(
            path,
            p,
            || (Vec::new(), Commands::new()),
            |(events, commands): &mut Kept, s| {
                // Each command notes where its events start, to drop them if undone.
                let (_, undo) = commands.step(s.opens, s.kind == Kind::Undo, |dropped| {
                    if let Some(start) = dropped {
                        events.truncate(start);
                    }
                    events.len()
                });
                if undo {
                    return;
                }
                if let crate::digest::Change::Stage { to, .. } = s.change
                    && let Ok(Some(stage)) = to.known()
                {
                    let ev = StageEvent {
                        date: s.date,
                        stage: Some(stage),
                        line: s.line,
                    };
                    events.push((s.id, KeptEvent::of(ev)));
                }
            },
        )?;
        if let (_, Some(start)) = commands.finish() {
            events.truncate(start);
        }
        Ok((StageEventsById::grouped(ids, events), scan))
    }

    /// [`Journal::effective_stage_events_at`] of the prospects `keep` accepts.
    pub fn effective_stage_events_of(
        path: &Path,
        p: &Pipeline,
        keep: impl Fn(&str) -> bool,
    ) -> Result<(StageEventsById, Scan)> {
        let mut ids = crate::ids::Ids::default();
        // The stage events of the commands kept, in journal order; each
        // command notes where its events start, to drop them if undone.
        let mut events: Vec<(u32, KeptEvent)> = Vec::new();
        let mut commands = Commands::new();
        let scan = Journal::scan(path, p, |e| {
            let (_, undo) = commands.entry(e, |dropped| {
                if let Some(start) = dropped {
                    events.truncate(start);
                }
                events.len()
            });
            if undo || !e.is_stage() || e.to.trim().is_empty() || !keep(e.id) {
                return;
            }
            if let Some(stage) = p.find_stage(e.to) {
                let (n, _) = ids.insert(e.id);
                let ev = StageEvent {
                    date: e.date,
                    stage: Some(stage),
                    line: e.line,
                };
                events.push((n, KeptEvent::of(ev)));
            }
        })?;
        if let (_, Some(start)) = commands.finish() {
            events.truncate(start);
        }
        Ok((StageEventsById::grouped(ids, events), scan))
    }

    /// The change `pipe undo` takes back, read as the journal streams past
    /// instead of held: the entries of the latest command (entries sharing an
    /// `at`) that no later undo took back. A first pass keeps each command's
    /// first and last line, an undo dropping the latest kept; a second one
    /// reads that command's entries. `None` when there is nothing to undo.
    pub fn undo_target(path: &Path, p: &Pipeline) -> Result<(Option<Vec<Entry>>, Scan)> {
        // Each command's first and last line.
        let mut commands = Commands::new();
        let scan = Journal::scan(path, p, |e| {
            let (lines, _) = commands.entry(e, |_| (e.line, e.line));
            lines.1 = e.line;
        })?;
        let (kept, _) = commands.finish();
        let Some(&(first, last)) = kept.last() else {
            return Ok((None, scan));
        };
        drop(kept);
        let mut entries = Vec::new();
        Journal::scan(path, p, |e| {
            if (first..=last).contains(&e.line) {
                entries.push(e.owned());
            }
        })?;
        Ok((Some(entries), scan))
    }

    /// The last stage each prospect's journal records (`None`: removed), in
    /// the journal at `path`, read as it streams past: one event kept per
    /// prospect.
    pub fn last_stages_at(
        path: &Path,
        p: &Pipeline,
    ) -> Result<(
        HashMap<String, StageEvent, foldhash::fast::RandomState>,
        Scan,
    )> {
        let mut ids = crate::ids::Ids::default();
        let mut last: Vec<StageEvent> = Vec::new();
        let scan = Journal::scan(path, p, |e| {
            if !e.is_stage() {
                return;
            }
            let to = e.to.trim();
            let stage = if to.is_empty() {
                None
            } else {
                match p.find_stage(e.to) {
                    Some(s) => Some(s),
                    None => return,
                }
            };
            let ev = StageEvent {
                date: e.date,
                stage,
                line: e.line,
            };
            let (n, new) = ids.insert(e.id);
            if new {
                last.push(ev);
            } else {
                last[n as usize] = ev;
            }
        })?;
        let mut out = HashMap::default();
        out.reserve(last.len());
        for (n, ev) in last.into_iter().enumerate() {
            out.insert(ids.get(n as u32).to_string(), ev);
        }
        Ok((out, scan))
    }

    /// The last recorded stage of each prospect (`None`: the prospect was removed by an undo);
    /// what [`Journal::last_stages_at`] gives without holding the journal.
    #[cfg(test)]
    pub fn last_stages(&self, p: &Pipeline) -> HashMap<&str, StageEvent> {
        self.stage_events(p)
            .into_iter()
            .filter_map(|(id, ev)| ev.last().copied().map(|e| (id, e)))
            .collect()
    }

    /// Index ranges of the groups of entries written by one command (same `at`), oldest first.
    #[cfg(test)]
    pub fn groups(&self) -> Vec<std::ops::Range<usize>> {
        let mut out = Vec::new();
        let mut start = 0;
        for i in 1..=self.entries.len() {
            if i == self.entries.len() || self.entries[i].at != self.entries[start].at {
                if i > start {
                    out.push(start..i);
                }
                start = i;
            }
        }
        out
    }
}

/// True when the file's last byte ends a line.
pub fn ends_with_newline(path: &Path) -> Result<bool> {
    let mut f = File::open(path)?;
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    f.seek(SeekFrom::Start(len - 1))?;
    let mut b = [0u8; 1];
    f.read_exact(&mut b)?;
    Ok(b[0] == b'\n' || b[0] == b'\r')
}

/// The time of the journal's last entry, read from the end of the file.
pub fn last_at(path: &Path) -> Result<Option<DateTime<FixedOffset>>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let len = f.metadata()?.len();
    let from = len.saturating_sub(64 * 1024);
    f.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::new();
    f.read_to_end(&mut tail)?;
    let text = String::from_utf8_lossy(&tail);
    Ok(text
        .lines()
        .rev()
        .filter_map(|l| l.split(',').next())
        .find_map(|a| DateTime::parse_from_rfc3339(a.trim()).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::fmt::Write as _;

    /// Journals of commands of one or more entries, undos among them, some
    /// `at` written with another offset for the same instant.
    fn journal(n: usize, seed: u64) -> String {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut text = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
        let stages = [
            "suspect",
            "chaud",
            "Gagné",
            " perdu ",
            "",
            "Devis envoyé",
            "nope",
        ];
        let fields = ["stage", "stage", "stage", "amount"];
        let kinds = ["add", "move", "set", "undo", "undo", "sync"];
        let mut line = 0;
        while line < n {
            let minute = line;
            let kind = kinds[rng.random_range(0..kinds.len())];
            for k in 0..rng.random_range(1..4) {
                // The same instant, written in UTC or at +01:00.
                let at = if k == 1 {
                    format!(
                        "2026-01-01T{:02}:{:02}:00+01:00",
                        1 + minute / 60 % 22,
                        minute % 60
                    )
                } else {
                    format!(
                        "2026-01-01T{:02}:{:02}:00+00:00",
                        minute / 60 % 22,
                        minute % 60
                    )
                };
                let field = fields[rng.random_range(0..fields.len())];
                let to = stages[rng.random_range(0..stages.len())];
                let id = format!("P-{:03}", rng.random_range(0..40));
                writeln!(
                    text,
                    "{at},2026-{:02}-{:02},{id},{kind},{field},,{to},me,,",
                    1 + rng.random_range(0..12),
                    1 + rng.random_range(0..28)
                )
                .unwrap();
                line += 1;
            }
        }
        text
    }

    #[test]
    fn streamed_stage_events_are_those_of_the_journal_held() {
        let p = Pipeline::from_str(include_str!("../pipeline.toml"), Path::new("pipeline.toml"))
            .expect("the shipped pipeline");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let mut nothing = 0;
        for seed in 0..60 {
            let n = if seed % 3 == 0 { 4 } else { 300 };
            // Without its undos too: every stage entry is then in effect,
            // and the events come from the journal's steps.
            let text = journal(n, seed);
            let without_undo: String = text
                .split_inclusive('\n')
                .filter(|l| !l.contains(",undo,"))
                .collect();
            let events = |held: &Journal| -> [HashMap<String, Vec<StageEvent>>; 2] {
                let want = held
                    .effective_stage_events(&p)
                    .into_iter()
                    .map(|(id, ev)| (id.to_string(), ev))
                    .collect();
                let (got, scan) = Journal::effective_stage_events_at(&path, &p).unwrap();
                assert_eq!(scan.entries as usize, held.entries.len());
                let got = got
                    .iter()
                    .map(|(_, id, ev)| (id.into_owned(), ev.collect()))
                    .collect();
                [got, want]
            };
            std::fs::write(&path, without_undo).unwrap();
            let [got, want] = events(&Journal::read(&path, &p).unwrap().0);
            assert_eq!(got, want, "seed {seed} without undo");
            std::fs::write(&path, &text).unwrap();
            let (held, _) = Journal::read(&path, &p).unwrap();
            let [got, want] = events(&held);
            assert_eq!(got, want, "seed {seed}");
            // From the journal's cache, whose steps tell the commands apart
            // (only a journal without a problem is cached: no unknown stage).
            let text = text.replace(",nope,", ",chaud,");
            std::fs::write(&path, &text).unwrap();
            let (held, diags) = Journal::read(&path, &p).unwrap();
            assert!(diags.is_empty(), "{diags:?}");
            let cache = crate::digest::cache::path_for(&path);
            crate::digest::cache_now(&path, &p);
            assert!(cache.exists());
            let [got, want] = events(&held);
            assert_eq!(got, want, "seed {seed} from the cache");
            // Then with entries appended after it: the first goes on with the
            // last cached command (its instant written at another offset), an
            // undo follows.
            let last = &text[text.rfind("\n2026-").unwrap() + 1..];
            let at = DateTime::parse_from_rfc3339(&last[..last.find(',').unwrap()]).unwrap();
            let same = at
                .with_timezone(&FixedOffset::west_opt(3600).unwrap())
                .to_rfc3339();
            let later = (at + chrono::Duration::seconds(1)).to_rfc3339();
            let grown = format!(
                "{text}{same},2026-03-01,P-001,move,stage,,chaud,me,,\n{later},2026-03-02,P-002,undo,stage,,suspect,me,,\n"
            );
            std::fs::write(&path, &grown).unwrap();
            let (grown_held, _) = Journal::read(&path, &p).unwrap();
            let [got, want] = events(&grown_held);
            assert_eq!(got, want, "seed {seed} from the cache and the rest");
            std::fs::remove_file(&cache).unwrap();
            std::fs::write(&path, &text).unwrap();
            let want: HashMap<String, StageEvent> = held
                .last_stages(&p)
                .into_iter()
                .map(|(id, ev)| (id.to_string(), ev))
                .collect();
            let (got, _) = Journal::last_stages_at(&path, &p).unwrap();
            assert_eq!(
                got.into_iter().collect::<HashMap<_, _>>(),
                want,
                "seed {seed}"
            );
            // The change `pipe undo` takes back, walking back from the end.
            let mut pending = 0usize;
            let mut target = None;
            for g in held.groups().into_iter().rev() {
                if held.entries[g.start].kind == Kind::Undo {
                    pending += 1;
                } else if pending > 0 {
                    pending -= 1;
                } else {
                    target = Some(g);
                    break;
                }
            }
            let want: Option<Vec<String>> =
                target.map(|g| held.entries[g].iter().map(|e| format!("{e:?}")).collect());
            let (got, _) = Journal::undo_target(&path, &p).unwrap();
            let got = got.map(|v| v.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>());
            assert_eq!(got, want, "seed {seed}");
            nothing += usize::from(got.is_none());
        }
        // Short journals where every change was taken back are among them.
        assert!(nothing > 0, "no journal left nothing to undo");
    }
}
