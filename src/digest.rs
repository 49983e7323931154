//! The journal as the scans that build on it read it: each entry reduced to
//! a [`Step`], its prospect numbered instead of named.
//!
//! Reports replay the journal, `pipe check` compares the register with it and
//! `pipe alerts` looks back on it; none of them reads who made a change or
//! why. A step keeps what they read: the line, the date, the kind, the stages
//! (or the field and its two values), whether it opens a command (what `pipe
//! undo` takes back together) and the prospect's number, given in order of
//! first appearance. The ids come back numbered ([`Ids`]), so that each
//! scan keys its per-prospect state by number.
//!
//! A large journal is read once as CSV and its steps are kept in a cache
//! beside it ([`cache`]); later scans check that the journal still starts with
//! the bytes the cache was made from, replay the cache, and read as CSV only
//! what was appended since. Either way the steps are the same, in the same
//! order: the tests compare the two.

pub mod cache;

use crate::ids::Ids;
use crate::journal::{EntryRef, Journal, Kind, Opening, Resume, Scan};
use crate::pipeline::Pipeline;
use anyhow::Result;
use chrono::NaiveDate;
use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

/// A stage named by a stage entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// The cell is empty: no stage (an add's `from`, a removal's `to`).
    Empty,
    /// A name the pipeline does not know (`pipe check` reports it).
    Unknown,
    Stage(u16),
}

impl Named {
    fn of(text: &str, stage: Option<usize>) -> Named {
        if crate::text::trim(text).is_empty() {
            return Named::Empty;
        }
        match stage {
            Some(s) => Named::Stage(u16::try_from(s).expect("fewer stages")),
            None => Named::Unknown,
        }
    }

    /// The stage, if the cell names one the pipeline knows.
    pub fn stage(self) -> Option<usize> {
        match self {
            Named::Stage(s) => Some(usize::from(s)),
            _ => None,
        }
    }

    /// For replaying: `Ok(None)` for an empty cell, `Err` for an unknown name.
    pub fn known(self) -> Result<Option<usize>, ()> {
        match self {
            Named::Empty => Ok(None),
            Named::Unknown => Err(()),
            Named::Stage(s) => Ok(Some(usize::from(s))),
        }
    }

    /// The number that stands for it in the cache.
    fn code(self) -> u64 {
        match self {
            Named::Empty => 0,
            Named::Unknown => 1,
            Named::Stage(s) => u64::from(s) + 2,
        }
    }

    fn from_code(c: u64) -> Option<Named> {
        Some(match c {
            0 => Named::Empty,
            1 => Named::Unknown,
            c => Named::Stage(u16::try_from(c - 2).ok()?),
        })
    }
}

/// What an entry changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// A stage entry (field `stage`).
    Stage { from: Named, to: Named },
    /// Any other field, named as the journal writes it (trimmed), with its
    /// two values as written.
    Field {
        name: &'a str,
        from: &'a str,
        to: &'a str,
    },
}

/// One journal entry as the scans read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step<'a> {
    /// Line in the journal file.
    pub line: u64,
    pub date: NaiveDate,
    /// The prospect's number in the scan's [`Ids`].
    pub id: u32,
    pub kind: Kind,
    pub change: Change<'a>,
    /// Whether the entry opens a command: its `at` is not the instant of
    /// the entry before it. A command's entries share one `at`, and `pipe
    /// undo` takes them back together.
    pub opens: bool,
}

impl<'a> Step<'a> {
    fn of(e: &EntryRef<'a>, id: u32, opens: bool) -> Step<'a> {
        let change = if e.is_stage() {
            Change::Stage {
                from: Named::of(e.from, e.from_stage),
                to: Named::of(e.to, e.to_stage),
            }
        } else {
            Change::Field {
                name: e.field,
                from: e.from,
                to: e.to,
            }
        };
        Step {
            line: e.line,
            date: e.date,
            id,
            kind: e.kind,
            change,
            opens,
        }
    }
}

/// Streams the journal's steps, in journal order, into a state that
/// `fresh` makes and `visit` builds on; returns that state, the ids the steps
/// number and what the scan found (entries read, problems). A missing
/// journal has no steps.
///
/// The cache is used as [`cache::Policy`] says. A large journal is read on a
/// second thread ([`crate::par`]) while `visit` runs on this one; with a
/// cache, the second thread checks that the journal still starts with the
/// bytes the cache was made from while this one replays the cache's steps.
/// When the check fails (the journal was edited), the steps replayed are
/// dropped with their state and the journal is read again into a fresh one.
pub fn scan<S>(
    path: &Path,
    p: &Pipeline,
    fresh: impl FnMut() -> S,
    visit: impl FnMut(&mut S, &Step<'_>),
) -> Result<(S, Ids, Scan)> {
    scan_with(path, p, cache::Policy::from_env(), None, None, fresh, visit)
}

/// What a caller hands a scan to hold while the journal is hashed beside
/// the cache's replay, and drop once it is: work of the caller's that waits
/// for its drop then has the core the hash had, instead of sharing it.
pub type Hold = Box<dyn Send>;

/// [`scan`], dropping `hold` once the journal's bytes have been checked
/// against its cache on the second thread (at once when there is no such
/// check beside the replay).
pub fn scan_holding<S>(
    path: &Path,
    p: &Pipeline,
    hold: Option<Hold>,
    fresh: impl FnMut() -> S,
    visit: impl FnMut(&mut S, &Step<'_>),
) -> Result<(S, Ids, Scan)> {
    scan_with(path, p, cache::Policy::from_env(), None, hold, fresh, visit)
}

/// The ids among `wanted` that have a stage entry in the journal at `path`,
/// from its cache and a search of the entries appended since the cache was
/// made; `None` when no cache can be used (none, made for another pipeline,
/// damaged, or the journal no longer starts with the bytes it was made from):
/// the caller then searches the whole journal.
pub fn staged_among(
    path: &Path,
    p: &Pipeline,
    wanted: &[String],
) -> std::io::Result<Option<HashSet<String>>> {
    if cache::Policy::from_env() == cache::Policy::Off {
        return Ok(None);
    }
    let Some(cached) = cache::Cached::open_checked(&cache::path_for(path), &cache::fingerprint(p))
    else {
        return Ok(None);
    };
    let mut journal = File::open(path)?;
    if cached.covers() > journal.metadata()?.len() {
        return Ok(None);
    }
    if !cached
        .prefix()
        .matches(&mut journal, &mut cache::Hasher::new())?
    {
        return Ok(None);
    }
    let Ok(mut found) = cached.staged_among(wanted) else {
        return Ok(None);
    };
    // The journal stands just after the cached bytes, at an entry's start.
    let Some(rest) = crate::journal::search::history_by_search(journal, wanted)? else {
        return Ok(None);
    };
    found.extend(rest);
    Ok(Some(found))
}

/// Reads the journal at `path` and makes its cache whatever its size, as
/// `PIPE_CACHE=1` does; for the tests of what is read from a cache.
#[cfg(test)]
pub fn cache_now(path: &Path, p: &Pipeline) {
    scan_with(path, p, cache::Policy::Always, None, None, || (), |_, _| {})
        .expect("the journal read");
}

/// [`scan`] with the cache used as `policy` says; `concurrent` says whether a
/// cache is checked on a second thread while it is replayed (by default, when
/// [`crate::par::worth_it`]).
fn scan_with<S>(
    path: &Path,
    p: &Pipeline,
    policy: cache::Policy,
    concurrent: Option<bool>,
    hold: Option<Hold>,
    mut fresh: impl FnMut() -> S,
    mut visit: impl FnMut(&mut S, &Step<'_>),
) -> Result<(S, Ids, Scan)> {
    let Some((plan, journal)) = Plan::make(path, p, policy)? else {
        drop(hold);
        // Neither read from a cache nor written to one: the entries are
        // parsed on the reading thread and numbered on this one, which
        // shares the work best between the two.
        let mut state = fresh();
        let mut ids = Ids::default();
        let mut opening = Opening::default();
        let scan = Journal::scan(path, p, |e| {
            let (id, _) = ids.insert(e.id);
            let opens = opening.opens(e.at);
            visit(&mut state, &Step::of(e, id, opens));
        })?;
        return Ok((state, ids, scan));
    };
    let concurrent = concurrent
        .unwrap_or_else(|| crate::par::worth_it(plan.cached.as_ref().map_or(0, |c| c.covers())));
    plan.run(journal, p, concurrent, hold, &mut fresh, &mut visit)
}

/// A scan that reads a cache or writes one: the cache, not yet checked
/// against the journal.
struct Plan<'a> {
    path: &'a Path,
    len: u64,
    /// A whole cache made for this pipeline, of no more bytes than the journal has.
    cached: Option<cache::Cached>,
    policy: cache::Policy,
    fingerprint: [u8; 16],
    cache_path: std::path::PathBuf,
}

/// How a cache's check against the journal and its replay went.
struct Replayed {
    /// Whether the journal starts with the cache's bytes; with the hash of
    /// those bytes and the journal just after them.
    matched: std::io::Result<(bool, cache::Hasher, File)>,
    /// The replay's ids, entries and next line; `None` when it was not tried
    /// (on one thread, a journal that does not match is not replayed), or
    /// `Some(Ok(None))` when the cache turned out damaged.
    steps: Option<Result<Option<(Ids, u64, u64)>>>,
}

impl<'a> Plan<'a> {
    /// The plan and the journal opened; `None` when the cache is neither to
    /// be read nor written (or the journal cannot be opened, which the plain
    /// scan reports).
    fn make(
        path: &'a Path,
        p: &Pipeline,
        policy: cache::Policy,
    ) -> Result<Option<(Plan<'a>, File)>> {
        if policy == cache::Policy::Off {
            return Ok(None);
        }
        let Ok(journal) = File::open(path) else {
            return Ok(None);
        };
        let len = journal
            .metadata()
            .map_err(|e| Plan::read_error(path, e))?
            .len();
        let fingerprint = cache::fingerprint(p);
        let cache_path = cache::path_for(path);
        let cached = cache::Cached::open(&cache_path, &fingerprint).filter(|c| c.covers() <= len);
        if cached.is_none() && !policy.writes(len, 0) {
            return Ok(None);
        }
        let plan = Plan {
            path,
            len,
            cached,
            policy,
            fingerprint,
            cache_path,
        };
        Ok(Some((plan, journal)))
    }

    fn read_error(path: &Path, e: std::io::Error) -> anyhow::Error {
        anyhow::Error::new(e).context(format!("cannot read the journal {}", path.display()))
    }

    /// A writer for a new cache, when one is wanted with the first `covered` bytes cached.
    fn writer(&self, covered: u64) -> Option<cache::Writer> {
        self.policy
            .writes(self.len, covered)
            .then(|| cache::Writer::new(&self.cache_path, self.path, &self.fingerprint))
            .flatten()
    }

    /// Replays the cache, if it matches the journal, then reads the rest of
    /// the journal as CSV; or, without a cache that matches, the whole
    /// journal. `concurrent`: check the cache against the journal on a second
    /// thread while this one replays it.
    fn run<S>(
        mut self,
        journal: File,
        p: &Pipeline,
        concurrent: bool,
        hold: Option<Hold>,
        fresh: &mut dyn FnMut() -> S,
        visit: &mut dyn FnMut(&mut S, &Step<'_>),
    ) -> Result<(S, Ids, Scan)> {
        let Some(cached) = self.cached.take() else {
            drop(hold);
            return self.read_all(journal, p, fresh, visit);
        };
        let covered = cached.covers();
        let last_at = cached.last_at();
        let mut writer = self.writer(covered);
        let mut state = fresh();
        let replayed = Plan::check_and_replay(
            cached,
            journal,
            concurrent,
            hold,
            writer.as_mut(),
            &mut |s| visit(&mut state, s),
        )?;
        let (matched, hasher, at_covered) = replayed
            .matched
            .map_err(|e| Plan::read_error(self.path, e))?;
        match replayed.steps {
            Some(Ok(Some((ids, entries, next_line)))) if matched => {
                let rest = Rest {
                    journal: at_covered,
                    hasher,
                    resume: Some(Resume {
                        offset: covered,
                        line: next_line,
                    }),
                    ids,
                    entries,
                    writer,
                    opening: Opening::after(last_at),
                };
                let (ids, scan) = rest.feed(self.path, self.len, p, &mut state, visit)?;
                return Ok((state, ids, scan));
            }
            Some(Err(e)) => {
                // The cache checked out by its own hash, so this is a
                // fault of `pipe`'s: it goes, and the journal is read.
                let _ = std::fs::remove_file(&self.cache_path);
                eprintln!(
                    "pipe: warning: cannot read the journal's cache {}: {e:#}\n  hint: it has been removed; the journal was read instead",
                    self.cache_path.display()
                );
            }
            // The journal was edited, cut or replaced, or the cache is
            // damaged: the journal is read in full.
            _ => {}
        }
        // What was replayed goes, with the state built on it.
        drop(state);
        let journal = File::open(self.path).map_err(|e| Plan::read_error(self.path, e))?;
        self.read_all(journal, p, fresh, visit)
    }

    /// Reads the whole journal as CSV, writing a cache when one is wanted.
    fn read_all<S>(
        self,
        journal: File,
        p: &Pipeline,
        fresh: &mut dyn FnMut() -> S,
        visit: &mut dyn FnMut(&mut S, &Step<'_>),
    ) -> Result<(S, Ids, Scan)> {
        let rest = Rest {
            journal,
            hasher: cache::Hasher::new(),
            resume: None,
            ids: Ids::default(),
            entries: 0,
            writer: self.writer(0),
            opening: Opening::default(),
        };
        let mut state = fresh();
        let (ids, scan) = rest.feed(self.path, self.len, p, &mut state, visit)?;
        Ok((state, ids, scan))
    }

    /// Checks the journal against the cache and replays the cache's steps
    /// into `sink`: side by side on two threads when `concurrent`, else the
    /// check first and the replay only if the journal matches.
    fn check_and_replay(
        cached: cache::Cached,
        journal: File,
        concurrent: bool,
        hold: Option<Hold>,
        writer: Option<&mut cache::Writer>,
        sink: &mut dyn FnMut(&Step<'_>),
    ) -> Result<Replayed> {
        let prefix = cached.prefix();
        let check = move |mut journal: File| {
            let mut hasher = cache::Hasher::new();
            let matched = prefix.matches(&mut journal, &mut hasher);
            // The second core is free for the caller's work from here.
            drop(hold);
            Ok((matched?, hasher, journal))
        };
        if !concurrent {
            let matched = check(journal);
            let steps = matches!(matched, Ok((true, ..))).then(|| cached.replay(writer, sink));
            return Ok(Replayed { matched, steps });
        }
        std::thread::scope(|s| {
            let checking = std::thread::Builder::new()
                .name("pipe-check".into())
                .spawn_scoped(s, move || check(journal))
                .map_err(|e| {
                    anyhow::anyhow!(
                        "cannot start a second thread to read the journal: {e}\n  hint: set PIPE_THREADS=1 to read on one thread"
                    )
                })?;
            let steps = Some(cached.replay(writer, sink));
            let matched = match checking.join() {
                Ok(m) => m,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            Ok(Replayed { matched, steps })
        })
    }
}

/// The journal to read as CSV: from its start, or from just after the bytes
/// a cache gave the steps of.
struct Rest {
    /// Positioned where the reading starts; `hasher` holds the bytes before.
    journal: File,
    hasher: cache::Hasher,
    resume: Option<Resume>,
    /// The ids and the count of entries the cache's steps gave.
    ids: Ids,
    entries: u64,
    writer: Option<cache::Writer>,
    /// The last entry the cache's steps gave.
    opening: Opening,
}

impl Rest {
    /// Reads the journal as CSV from where it stands into `state` (a
    /// journal of `len` bytes at `path`). A large rest is parsed on a second thread.
    fn feed<S>(
        self,
        path: &Path,
        len: u64,
        p: &Pipeline,
        state: &mut S,
        visit: &mut dyn FnMut(&mut S, &Step<'_>),
    ) -> Result<(Ids, Scan)> {
        let covered = self.resume.map_or(0, |r| r.offset);
        if !crate::par::worth_it(len.saturating_sub(covered)) {
            return self.read(path, p, &mut |s| visit(state, s));
        }
        crate::par::pipelined(
            |feed: &mut crate::par::Feed<StepBatch>| {
                let mut batch = StepBatch::default();
                let mut open = true;
                let out = self.read(path, p, &mut |s| {
                    if !open {
                        return;
                    }
                    batch.push(s);
                    if batch.steps.len() == StepBatch::SIZE {
                        open = feed.pass(&mut batch);
                    }
                });
                if open {
                    feed.pass(&mut batch);
                }
                out
            },
            |batch| {
                for i in 0..batch.steps.len() {
                    visit(state, &batch.get(i));
                }
            },
        )
    }

    /// Hands the steps to `sink`; writes the new cache when one is wanted
    /// and the journal read without a problem.
    fn read(
        self,
        path: &Path,
        p: &Pipeline,
        sink: &mut dyn FnMut(&Step<'_>),
    ) -> Result<(Ids, Scan)> {
        let Rest {
            journal,
            hasher,
            resume,
            mut ids,
            entries,
            mut writer,
            mut opening,
        } = self;
        let file = path.display().to_string();
        let mut scan = Scan {
            file: file.clone(),
            entries,
            ..Scan::default()
        };
        let covered = resume.map_or(0, |r| r.offset);
        let mut source = cache::Hashing::new(journal, hasher, covered, writer.is_some());
        let end = Journal::scan_source(&mut source, resume, p, &mut scan, |e, clean| {
            let (id, _) = ids.insert(e.id);
            let step = Step::of(e, id, opening.opens(e.at));
            // A journal with a problem is not cached: the cache being
            // written is dropped at the first one, not carried to the end.
            if !clean {
                writer = None;
            }
            if let Some(w) = writer.as_mut() {
                w.add(&step);
            }
            sink(&step);
        })?;
        let read_to = source.read_to();
        let last_line = if end.last_line == 0 {
            resume.map_or(0, |r| r.line.saturating_sub(1))
        } else {
            end.last_line
        };
        if !end.bad_header && read_to > 0 && !crate::journal::ends_with_newline(path)? {
            scan.diags
                .push(crate::journal::FORMAT.incomplete_error(&file, last_line));
        }
        // Only a journal read without a problem is cached: its problems must be
        // found again by every scan.
        if let Some(w) = writer
            && scan.diags.is_empty()
            && !end.bad_header
            && read_to > 0
        {
            w.finish(
                read_to,
                source.finish(),
                end.next_line,
                scan.entries,
                &ids,
                opening.instant(),
            );
        }
        Ok((ids, scan))
    }
}

/// Steps handed from the reading thread to the consuming one: the text of
/// field changes end to end in one buffer, the rest as read.
#[derive(Default)]
pub struct StepBatch {
    text: String,
    steps: Vec<Packed>,
}

struct Packed {
    line: u64,
    date: NaiveDate,
    id: u32,
    kind: Kind,
    change: PackedChange,
    opens: bool,
}

enum PackedChange {
    Stage {
        from: Named,
        to: Named,
    },
    /// Where the name, `from` and `to` end in the batch's text; the name
    /// starts where the previous field change ended.
    Field {
        start: usize,
        ends: [usize; 3],
    },
}

impl crate::par::Batch for StepBatch {
    fn clear(&mut self) {
        self.text.clear();
        self.steps.clear();
    }
}

impl StepBatch {
    const SIZE: usize = 4096;

    fn push(&mut self, s: &Step<'_>) {
        let change = match s.change {
            Change::Stage { from, to } => PackedChange::Stage { from, to },
            Change::Field { name, from, to } => {
                let start = self.text.len();
                let mut ends = [0; 3];
                for (end, cell) in ends.iter_mut().zip([name, from, to]) {
                    self.text.push_str(cell);
                    *end = self.text.len();
                }
                PackedChange::Field { start, ends }
            }
        };
        self.steps.push(Packed {
            line: s.line,
            date: s.date,
            id: s.id,
            kind: s.kind,
            change,
            opens: s.opens,
        });
    }

    fn get(&self, i: usize) -> Step<'_> {
        let s = &self.steps[i];
        let change = match s.change {
            PackedChange::Stage { from, to } => Change::Stage { from, to },
            PackedChange::Field { start, ends } => Change::Field {
                name: &self.text[start..ends[0]],
                from: &self.text[ends[0]..ends[1]],
                to: &self.text[ends[1]..ends[2]],
            },
        };
        Step {
            line: s.line,
            date: s.date,
            id: s.id,
            kind: s.kind,
            change,
            opens: s.opens,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cache::Policy;
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::fmt::Write as _;

    fn pipeline() -> Pipeline {
        Pipeline::from_str(include_str!("../pipeline.toml"), Path::new("pipeline.toml"))
            .expect("the shipped pipeline")
    }

    /// A journal of `n` entries: stages known, unknown and empty, field
    /// changes, quoted values with commas, quotes and line breaks, ids of two
    /// shapes; `seed` varies it.
    fn journal(n: usize, seed: u64) -> String {
        let mut text = String::new();
        let stages = ["suspect", "chaud", "Gagné", " perdu ", "", "Devis envoyé"];
        let fields = [
            "stage",
            "expected_close",
            "amount",
            "note",
            "stage",
            "owner",
        ];
        let values = [
            "2026-03-01",
            "\"un, deux\"",
            "\"ligne 1\nligne \"\"2\"\"\"",
            "",
            "\"1 200,50\"",
            "Élodie",
        ];
        let kinds = ["add", "move", "set", "undo", "sync"];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut next = |k: usize| rng.random_range(0..k);
        // Commands of one to three entries that share an `at`, at times
        // written at another offset for the same instant.
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00+00:00").unwrap();
        let (mut minute, mut left) = (0i64, 0);
        for _ in 0..n {
            if left == 0 {
                left = 1 + next(3);
                minute += 1 + next(90) as i64;
            }
            left -= 1;
            let t = start + chrono::Duration::minutes(minute);
            let at = if next(4) == 0 {
                t.with_timezone(&chrono::FixedOffset::east_opt(3600).unwrap())
                    .to_rfc3339()
            } else {
                t.to_rfc3339()
            };
            let field = fields[next(fields.len())];
            let (from, to) = if field == "stage" {
                (stages[next(6)], stages[next(6)])
            } else {
                (values[next(6)], values[next(6)])
            };
            let id = if next(5) == 0 {
                format!("client-{}", next(30))
            } else {
                format!("P-{:07}", next(300))
            };
            writeln!(
                text,
                "{at},2026-{:02}-{:02},{id},{},{field},{from},{to},me,,",
                1 + next(12),
                1 + next(28),
                kinds[next(5)],
            )
            .unwrap();
        }
        text
    }

    const HEADER: &str = "at,date,id,kind,field,from,to,by,reason,note\n";

    /// Every step as text, its prospect by id; the entries counted and the
    /// problems found. The cache is checked before it is replayed, then, from
    /// the same files, while it is: the two must give the same and leave the
    /// same files.
    fn read(path: &Path, p: &Pipeline, policy: Policy) -> (Vec<String>, u64, Vec<String>) {
        let files = [path.to_path_buf(), cache::path_for(path)];
        let before = files.clone().map(|f| std::fs::read(f).ok());
        let one = read_on(path, p, policy, false);
        let after = files.clone().map(|f| std::fs::read(f).ok());
        for (f, b) in files.iter().zip(&before) {
            match b {
                Some(b) => std::fs::write(f, b).unwrap(),
                None => {
                    let _ = std::fs::remove_file(f);
                }
            }
        }
        let two = read_on(path, p, policy, true);
        assert_eq!(one, two, "checked before and while replaying");
        assert_eq!(
            files.map(|f| std::fs::read(f).ok()),
            after,
            "the same files left either way"
        );
        two
    }

    fn read_on(
        path: &Path,
        p: &Pipeline,
        policy: Policy,
        concurrent: bool,
    ) -> (Vec<String>, u64, Vec<String>) {
        let (steps, ids, scan) =
            scan_with(path, p, policy, Some(concurrent), None, Vec::new, |v, s| {
                v.push((
                    s.id,
                    format!(
                        "{:?} {} {:?} {:?} {}",
                        s.line, s.date, s.kind, s.change, s.opens
                    ),
                ))
            })
            .unwrap();
        let steps = steps
            .into_iter()
            .map(|(id, s)| format!("{} {s}", ids.get(id)))
            .collect();
        let diags = scan.diags.iter().map(|d| d.to_string()).collect();
        (steps, scan.entries, diags)
    }

    #[test]
    fn the_staged_ids_of_a_batch_come_from_the_cache_as_from_the_journal() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        std::fs::write(&path, format!("{HEADER}{}", journal(3000, 7))).unwrap();
        let mut wanted: Vec<String> = (0..310).map(|n| format!("P-{n:07}")).collect();
        wanted.extend((0..35).map(|n| format!("client-{n}")));
        wanted.extend(["P-0000999".to_string(), "client-99".to_string()]);
        let reference = |path: &Path| {
            crate::journal::search::history_by_parse(File::open(path).unwrap(), &wanted).unwrap()
        };
        // No cache: the caller searches the journal.
        assert_eq!(staged_among(&path, &p, &wanted).unwrap(), None);
        read(&path, &p, Policy::Always);
        let found = staged_among(&path, &p, &wanted)
            .unwrap()
            .expect("the cache");
        assert_eq!(found, reference(&path));
        assert!(!found.is_empty() && found.len() < wanted.len());
        // Entries appended since the cache was made are searched: a stage of
        // an id the cache does not know (its field cell spaced, as the
        // journal's scan reads it), a field change, a stage of a known id.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(
            &mut f,
            b"2026-12-01T00:00:00+00:00,2026-12-01,P-0000999,move, stage ,chaud,froid,me,,\n\
              2026-12-01T00:00:00+00:00,2026-12-01,client-99,set,amount,1,2,me,,\n\
              2026-12-01T00:00:00+00:00,2026-12-01,P-0000001,move,stage,chaud,froid,me,,\n",
        )
        .unwrap();
        let found = staged_among(&path, &p, &wanted)
            .unwrap()
            .expect("the cache");
        assert_eq!(found, reference(&path));
        assert!(found.contains("P-0000999") && !found.contains("client-99"));
        // Made again, its old blocks copied as they are: the same answer.
        read(&path, &p, Policy::Always);
        assert_eq!(
            staged_among(&path, &p, &wanted).unwrap(),
            Some(reference(&path))
        );
        // Only the ids and marks are read, and checked: a damaged step
        // changes nothing, a damaged id or mark leaves the cache unused.
        let cache = cache::path_for(&path);
        let made = std::fs::read(&cache).unwrap();
        let damaged = |at: usize| {
            let mut bytes = made.clone();
            bytes[at] ^= 0x20;
            std::fs::write(&cache, bytes).unwrap();
            staged_among(&path, &p, &wanted).unwrap()
        };
        assert_eq!(damaged(cache::HEADER_LEN + 40), Some(reference(&path)));
        for back in [1, 9, 300] {
            assert_eq!(
                damaged(made.len() - back),
                None,
                "{back} bytes from the end"
            );
        }
        std::fs::write(&cache, &made).unwrap();
        // A journal edited in the cached bytes: the cache is not used.
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen(",me,,", ",moi,,", 1)).unwrap();
        assert_eq!(staged_among(&path, &p, &wanted).unwrap(), None);
    }

    #[test]
    fn the_cache_gives_the_steps_the_csv_gives() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let cache = cache::path_for(&path);
        std::fs::write(&path, format!("{HEADER}{}", journal(3000, 1))).unwrap();
        let plain = read(&path, &p, Policy::Off);
        assert!(plain.0.len() == 3000 && plain.2.is_empty(), "{:?}", plain.2);
        assert!(!cache.exists());
        // Made, then read.
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert!(cache.exists());
        let made = std::fs::read(&cache).unwrap();
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert_eq!(
            std::fs::read(&cache).unwrap(),
            made,
            "a cache that covers all is kept"
        );

        // Entries appended: the cache's steps, then the new ones read as CSV.
        let mut grown = std::fs::read_to_string(&path).unwrap();
        grown.push_str(&journal(500, 2));
        std::fs::write(&path, &grown).unwrap();
        let plain = read(&path, &p, Policy::Off);
        assert_eq!(plain.0.len(), 3500);
        assert_eq!(
            read(&path, &p, Policy::Auto),
            plain,
            "cache and tail, not rewritten"
        );
        assert_eq!(std::fs::read(&cache).unwrap(), made);
        assert_eq!(
            read(&path, &p, Policy::Always),
            plain,
            "cache and tail, rewritten"
        );
        assert_ne!(std::fs::read(&cache).unwrap(), made);
        assert_eq!(
            read(&path, &p, Policy::Always),
            plain,
            "the rewritten cache"
        );

        // An edit before the end of what is cached: the journal is read again.
        let edited = grown.replacen(",2026-", ",2025-", 7);
        assert_ne!(edited, grown);
        std::fs::write(&path, &edited).unwrap();
        let plain = read(&path, &p, Policy::Off);
        assert_eq!(read(&path, &p, Policy::Always), plain);
        // Cut short (an undone append): read again too.
        let cut = &edited[..edited.len() / 2];
        let cut = &cut[..cut.rfind("\n2026-").unwrap() + 1];
        std::fs::write(&path, cut).unwrap();
        let plain = read(&path, &p, Policy::Off);
        assert_eq!(read(&path, &p, Policy::Always), plain);
    }

    /// An entry appended at the instant of the last one the cache holds
    /// (written at another offset) goes on with its command; the next one
    /// opens a command. The cache's steps then the appended ones say so as
    /// the journal read whole does, and so does the cache made of both.
    #[test]
    fn an_entry_appended_to_the_last_cached_command_opens_none() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let cache = cache::path_for(&path);
        let text = format!("{HEADER}{}", journal(300, 8));
        std::fs::write(&path, &text).unwrap();
        read(&path, &p, Policy::Always);
        let made = std::fs::read(&cache).unwrap();
        let last = &text[text.rfind("\n2026-").unwrap() + 1..];
        let at = chrono::DateTime::parse_from_rfc3339(&last[..last.find(',').unwrap()]).unwrap();
        let west = chrono::FixedOffset::west_opt(7200).unwrap();
        let same = at.with_timezone(&west).to_rfc3339();
        let later = (at + chrono::Duration::minutes(1)).to_rfc3339();
        let mut grown = text.clone();
        for at in [&same, &later] {
            grown.push_str(&format!(
                "{at},2026-02-01,P-0000001,move,stage,suspect,chaud,me,,\n"
            ));
        }
        std::fs::write(&path, &grown).unwrap();
        let plain = read(&path, &p, Policy::Off);
        let steps = &plain.0;
        assert!(steps[300].ends_with(" false"), "{}", steps[300]);
        assert!(steps[301].ends_with(" true"), "{}", steps[301]);
        assert!(steps.iter().filter(|s| s.ends_with(" true")).count() > 100);
        assert_eq!(read(&path, &p, Policy::Auto), plain, "cache and tail");
        assert_eq!(std::fs::read(&cache).unwrap(), made);
        assert_eq!(read(&path, &p, Policy::Always), plain, "made again");
        assert_ne!(std::fs::read(&cache).unwrap(), made);
        assert_eq!(read(&path, &p, Policy::Auto), plain, "the cache made again");
    }

    #[test]
    fn problems_after_the_cache_keep_their_lines() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let cache = cache::path_for(&path);
        let good = format!("{HEADER}{}", journal(400, 3));
        std::fs::write(&path, &good).unwrap();
        read(&path, &p, Policy::Always);
        assert!(cache.exists());
        let made = std::fs::read(&cache).unwrap();
        let bad = format!(
            "{good}{}2026-01-01T00:00:00+00:00,2026-13-01,P-0000001,move,stage,suspect,chaud,me,,\n{}2026-01-01T00:00:00+00:00,2026-02-01,P-0000002,move,stage,suspect,nulle part,me,,\n2026-01-01T00:00:00+00:00,2026-02-01,P-0000003,move",
            journal(20, 4),
            journal(3, 5)
        );
        std::fs::write(&path, &bad).unwrap();
        let plain = read(&path, &p, Policy::Off);
        assert_eq!(plain.2.len(), 4, "{:?}", plain.2);
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert_eq!(
            std::fs::read(&cache).unwrap(),
            made,
            "a journal with problems is not cached"
        );
        // Without a cache, a journal with problems is not cached either.
        std::fs::remove_file(&cache).unwrap();
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert!(!cache.exists());
        // Nor is anything left of the cache begun.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, ["journal.csv"]);
    }

    #[test]
    fn a_damaged_or_foreign_cache_is_ignored_and_replaced() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let cache = cache::path_for(&path);
        std::fs::write(&path, format!("{HEADER}{}", journal(2000, 6))).unwrap();
        let plain = read(&path, &p, Policy::Off);
        read(&path, &p, Policy::Always);
        let made = std::fs::read(&cache).unwrap();
        // A byte changed in the steps, then the file cut short.
        let mut damaged = made.clone();
        let at = cache::HEADER_LEN + 100;
        damaged[at] ^= 0x40;
        std::fs::write(&cache, &damaged).unwrap();
        assert_eq!(read(&path, &p, Policy::Auto), plain);
        // Damage anywhere in the contents (checked as they are replayed)
        // gives the journal's own reading, and is not taken for a fault of
        // `pipe`'s (which would remove the cache).
        let step = (made.len() - cache::HEADER_LEN) / 40;
        for at in (cache::HEADER_LEN + 3..made.len()).step_by(step) {
            let mut damaged = made.clone();
            damaged[at] = damaged[at].wrapping_add(1 + at as u8 % 7);
            std::fs::write(&cache, &damaged).unwrap();
            assert_eq!(
                read(&path, &p, Policy::Auto),
                plain,
                "byte {at} of {}",
                made.len()
            );
            assert!(cache.exists(), "byte {at}: the cache was taken for a fault");
        }
        std::fs::write(&cache, &made[..made.len() - 10]).unwrap();
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert_eq!(std::fs::read(&cache).unwrap(), made, "made again");
        // A cache made for a pipeline that names its stages otherwise is not used.
        let other = Pipeline::from_str(
            &include_str!("../pipeline.toml")
                .replace("\"chaud\"", "\"brulant\"")
                .replace("label = \"Chaud\"", "label = \"Brûlant\""),
            Path::new("pipeline.toml"),
        )
        .expect("the renamed pipeline");
        let renamed = read(&path, &other, Policy::Off);
        assert!(
            renamed
                .2
                .iter()
                .any(|d| d.contains("unknown stage `chaud`")),
            "{:?}",
            renamed.2
        );
        assert_eq!(read(&path, &other, Policy::Always), renamed);
        assert_eq!(read(&path, &p, Policy::Always), plain);
        assert_eq!(std::fs::read(&cache).unwrap(), made);
    }

    /// A cache whose header disagrees with its steps (which only a fault of
    /// `pipe` could write) is removed and the journal read instead.
    #[test]
    fn a_cache_that_does_not_replay_is_removed() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let cache = cache::path_for(&path);
        std::fs::write(&path, format!("{HEADER}{}", journal(500, 8))).unwrap();
        let plain = read(&path, &p, Policy::Off);
        read(&path, &p, Policy::Always);
        let mut made = std::fs::read(&cache).unwrap();
        // The header's step count (after the magic, fingerprint, length,
        // hash, next line and entries) is not covered by the contents' hash.
        made[64] ^= 1;
        std::fs::write(&cache, &made).unwrap();
        for concurrent in [false, true] {
            std::fs::write(&cache, &made).unwrap();
            assert_eq!(read_on(&path, &p, Policy::Auto, concurrent), plain);
            assert!(!cache.exists());
        }
        // With a new cache made in its place when the policy asks for one.
        std::fs::write(&cache, &made).unwrap();
        assert_eq!(read_on(&path, &p, Policy::Always, true), plain);
        assert!(cache.exists());
        assert_eq!(read(&path, &p, Policy::Auto), plain);
    }

    #[test]
    fn a_missing_journal_has_no_steps_and_no_cache() {
        let p = pipeline();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        assert_eq!(read(&path, &p, Policy::Always), (vec![], 0, vec![]));
        assert!(!cache::path_for(&path).exists());
    }
}
