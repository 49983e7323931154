//! What a report of one day's state asks of the journal, folded per
//! prospect into 16 bytes while the journal streams past.
//!
//! `funnel`, `products`, `owners` and `delays` (and `forecast` of a past day) ask a
//! prospect's history only a few things ([`super::Scope::observe`]): the
//! date of its first stage event (where a sales cycle starts), the stages it
//! entered in the period with its last close there, and the stage its last
//! event on or before the day led to. Those answers are kept instead of
//! every event: a fixed record per prospect, whatever the journal's length,
//! and no sorting of events once the journal is read. For a past day the
//! state is replayed ([`state_from`]) from the same record, the stage the
//! first event left, and, for each field changed after the day, its value
//! then (the changes are folded as they come: [`Then`]); `delays` also
//! counts the pushes of each decision date. Today's `forecast` asks
//! nothing ([`Past::Unread`]). [`Past::Full`] keeps the whole history for
//! `movement`, which replays two days and every move between them.
//!
//! The events are taken as [`History`] sorts them (by date, journal order
//! breaking ties); the unit tests compare the answers with the full
//! history's, and `tests/parallel.rs` every report both ways
//! (`PIPE_HISTORY=full` forces the full history).
//!
//! No I/O here: the steps come from [`crate::digest`].

use super::replay::{
    AsOf, History, Log, REPLAYED, StagesOn, State, field_of, pushed_later, state_from,
};
use crate::digest::{self, Step};
use crate::field::Field;
use crate::ids::{Ids, Lookup};
use crate::journal::Scan;
use crate::pipeline::{Outcome, Pipeline};
use crate::prospect::Prospect;
use chrono::NaiveDate;
use hashbrown::HashMap;

/// What a report reads of the journal.
pub enum Past {
    /// Every event and change: any day can be replayed.
    Full(History),
    /// The answers for one day and one period (see the module's note).
    Brief(Briefs),
    /// Nothing: the report reads today's rows only (`forecast` of today),
    /// and no prospect has a history.
    Unread,
}

impl Past {
    /// The full history; the reports that need it are given it ([`Past::read`]).
    pub fn full(&self) -> &History {
        match self {
            Past::Full(h) => h,
            Past::Brief(_) | Past::Unread => {
                unreachable!("a report that replays the past reads the full history")
            }
        }
    }

    /// Reads the journal at `path`: only the answers to `q` when `brief`
    /// (and the pipeline's stages fit in the record), with the pushes of
    /// decision dates when `pushes`; else the full history. `hold` is
    /// dropped once the journal's check beside the cache's replay is done
    /// ([`digest::scan_holding`]).
    pub fn read(
        path: &std::path::Path,
        p: &Pipeline,
        q: Questions,
        (brief, pushes): (bool, bool),
        hold: Option<digest::Hold>,
    ) -> anyhow::Result<(Past, Scan)> {
        if brief && p.stages.len() <= MAX_STAGES && !full_forced() {
            let (b, ids, scan) = digest::scan_holding(
                path,
                p,
                hold,
                || Builder::new(p, q, pushes),
                |b: &mut Builder, s| b.add_step(s),
            )?;
            Ok((Past::Brief(b.finish(ids)), scan))
        } else {
            drop(hold);
            let (h, scan) = History::read(path, p)?;
            Ok((Past::Full(h), scan))
        }
    }
}

/// `PIPE_HISTORY=full`: always keep the full history (what the tests compare with).
fn full_forced() -> bool {
    std::env::var("PIPE_HISTORY").as_deref() == Ok("full")
}

/// The questions, known before the journal is read: the period's days
/// (both included), the day whose state is reported, and today (the day
/// the register's rows describe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Questions {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub day: NaiveDate,
    pub today: NaiveDate,
}

impl Questions {
    /// Whether the state is an earlier day's, replayed from the journal.
    fn past(&self) -> bool {
        self.day < self.today
    }
}

/// Stages, each once: a bit each for the first 64 (every pipeline in
/// practice), a list for any past them. No allocation for a prospect's row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StageSet {
    low: u64,
    high: Vec<usize>,
}

impl StageSet {
    fn of_bits(low: u64) -> StageSet {
        StageSet {
            low,
            high: Vec::new(),
        }
    }

    pub fn insert(&mut self, s: usize) {
        if s < 64 {
            self.low |= 1 << s;
        } else if !self.high.contains(&s) {
            self.high.push(s);
        }
    }

    /// The stages, the first 64 in order, then the others as inserted.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        let mut low = self.low;
        std::iter::from_fn(move || {
            (low != 0).then(|| {
                let s = low.trailing_zeros() as usize;
                low &= low - 1;
                s
            })
        })
        .chain(self.high.iter().copied())
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.low.count_ones() as usize + self.high.len()
    }
}

/// A prospect's answers, as [`super::Scope::observe`] uses them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    /// The date of its first stage event.
    pub first: Option<NaiveDate>,
    /// The stages it entered in the period.
    pub entered: StageSet,
    /// Its last close in the period: the stage it closed into, and when.
    pub close: Option<(usize, NaiveDate)>,
    /// Where its last event on or before the day led (`Some(None)`: it was removed).
    pub last_to: Option<Option<usize>>,
    /// The changes of its expected decision that pushed it later, on or
    /// before the day (counted for `delays` only).
    pub pushes: u64,
}

impl Answers {
    /// The answers the full history gives: its events walked in date order.
    pub fn of_log(log: Log<'_>, q: Questions, p: &Pipeline) -> Answers {
        let mut a = Answers {
            first: log.first_stage().map(|e| e.date),
            last_to: log.last_stage_on(q.day).map(|e| e.to),
            pushes: log.pushes_until(q.day) as u64,
            ..Answers::default()
        };
        let outcome = |s: Option<usize>| s.map(|s| p.stages[s].outcome);
        for e in log.stages_between(q.from, q.to.min(q.day)) {
            let Some(s) = e.to else { continue };
            a.entered.insert(s);
            let o = p.stages[s].outcome;
            if o != Outcome::Open && outcome(e.from) != Some(o) {
                a.close = Some((s, e.date));
            }
        }
        a
    }
}

/// The stages a record can hold, one bit each for those entered (the
/// shipped pipeline has 13); a larger pipeline's reports keep the full history.
const MAX_STAGES: usize = 16;
/// A stage number that is none (a removal), and one that is unset.
const NONE: u8 = u8::MAX;
const UNSET: u8 = u8::MAX - 1;

/// One prospect's answers as kept: 16 bytes.
#[derive(Debug, Clone, Copy)]
struct Brief {
    /// Its earliest stage event's date; `NaiveDate::MAX` while it has none.
    first: NaiveDate,
    /// The date of its last event on or before the day, with [`Brief::last_to`].
    last: NaiveDate,
    /// The date of its last close in the period, with [`Brief::close_to`].
    close: NaiveDate,
    /// The stages it entered in the period, one bit each.
    entered: u16,
    /// Three stages in five bits each ([`Brief::LAST_TO`], [`Brief::CLOSE_TO`],
    /// [`Brief::FIRST_FROM`]): a stage below [`MAX_STAGES`], or `NONE` or
    /// `UNSET` as codes 30 and 31.
    stages: u16,
}

const _: () = assert!(std::mem::size_of::<Brief>() == 16);

impl Brief {
    /// Where its last event on or before the day led: `NONE` for a
    /// removal, `UNSET` while there is none.
    const LAST_TO: u16 = 0;
    /// The stage of its last close in the period; `UNSET` while there is none.
    const CLOSE_TO: u16 = 5;
    /// The stage its first event left (`NONE` for an add), for a past day.
    const FIRST_FROM: u16 = 10;

    const EMPTY: Brief = Brief {
        first: NaiveDate::MAX,
        last: NaiveDate::MIN,
        close: NaiveDate::MIN,
        entered: 0,
        stages: 31 | 31 << Brief::CLOSE_TO | 31 << Brief::FIRST_FROM,
    };

    /// The stage kept at `at`, as a `u8` (`NONE`, `UNSET` or a stage).
    fn stage(&self, at: u16) -> u8 {
        match (self.stages >> at) & 31 {
            31 => UNSET,
            30 => NONE,
            s => s as u8,
        }
    }

    fn set_stage(&mut self, at: u16, stage: u8) {
        let code = match stage {
            UNSET => 31,
            NONE => 30,
            s => {
                debug_assert!(usize::from(s) < MAX_STAGES, "briefs keep 16 stages");
                u16::from(s)
            }
        };
        self.stages = self.stages & !(31 << at) | code << at;
    }

    fn last_to(&self) -> u8 {
        self.stage(Brief::LAST_TO)
    }

    fn close_to(&self) -> u8 {
        self.stage(Brief::CLOSE_TO)
    }
}

/// For a past day: what the stage events and the field changes say of it,
/// beyond the records.
#[derive(Default)]
struct Then {
    /// Per prospect's number and replayed field ([`REPLAYED`]'s index), for
    /// the fields the journal changes, while the steps are folded.
    fields: HashMap<(u32, u8), Fold, foldhash::quality::RandomState>,
    /// Once they are: for the fields changed after the day, where their
    /// value that day is in the text (12 bytes an entry, not `fields`' 24).
    values: HashMap<(u32, u8), u32, foldhash::quality::RandomState>,
    /// The values `fields`, then `values`, point at: each a length (4 bytes) then its text.
    text: Vec<u8>,
}

/// A field's changes folded as they stream past: the last on or before the
/// day (its `to`) and the first after it (its `from`), in date order with
/// journal order breaking ties, as the full history sorts them.
#[derive(Clone, Copy)]
struct Fold {
    before: NaiveDate,
    after: NaiveDate,
    /// Where the values are in the text; `NO_TEXT` for none.
    before_text: u32,
    after_text: u32,
}

const NO_TEXT: u32 = u32::MAX;

/// Writes `value` over the one at `at` when it fits there, else appends it
/// to `text`; where it starts. A field's value before the day is replaced
/// at each change until the day: written over, most take no more room.
fn put(text: &mut Vec<u8>, at: u32, value: &str) -> u32 {
    if at != NO_TEXT {
        let i = at as usize;
        let room = u32::from_le_bytes(text[i..i + 4].try_into().expect("4 bytes")) as usize;
        if value.len() <= room {
            let len = value.len() as u32;
            text[i..i + 4].copy_from_slice(&len.to_le_bytes());
            text[i + 4..i + 4 + value.len()].copy_from_slice(value.as_bytes());
            return at;
        }
    }
    push(text, value)
}

/// Appends `value` to `text`; where it starts.
fn push(text: &mut Vec<u8>, value: &str) -> u32 {
    let at = u32::try_from(text.len()).expect("field values under 4 GB");
    let len = u32::try_from(value.len()).expect("a value under 4 GB");
    text.extend_from_slice(&len.to_le_bytes());
    text.extend_from_slice(value.as_bytes());
    at
}

impl Then {
    fn text(&self, at: u32) -> &str {
        let at = at as usize;
        let len = u32::from_le_bytes(self.text[at..at + 4].try_into().expect("4 bytes")) as usize;
        std::str::from_utf8(&self.text[at + 4..at + 4 + len]).expect("pushed as text")
    }

    fn change(
        &mut self,
        id: u32,
        date: NaiveDate,
        day: NaiveDate,
        name: &str,
        values: (&str, &str),
    ) {
        let Some(field) = field_of(name) else {
            return;
        };
        let Some(k) = REPLAYED.iter().position(|&f| f == field) else {
            return;
        };
        let fold = self.fields.entry((id, k as u8)).or_insert(Fold {
            before: NaiveDate::MIN,
            after: NaiveDate::MAX,
            before_text: NO_TEXT,
            after_text: NO_TEXT,
        });
        // A later line of the same date comes after it in date order.
        if date <= day && (fold.before_text == NO_TEXT || date >= fold.before) {
            fold.before = date;
            fold.before_text = put(&mut self.text, fold.before_text, values.1);
        }
        // An earlier line of the same date comes before it.
        if date > day && (fold.after_text == NO_TEXT || date < fold.after) {
            fold.after = date;
            fold.after_text = put(&mut self.text, fold.after_text, values.0);
        }
    }

    /// Keeps, of each field folded, its value that day when it changed after
    /// the day: the last value given on or before it, else the value the
    /// first change after it replaced.
    fn settle(&mut self) {
        let fields = std::mem::take(&mut self.fields);
        let changed = fields.values().filter(|f| f.after_text != NO_TEXT).count();
        self.values = HashMap::with_capacity_and_hasher(changed, Default::default());
        for (key, f) in fields {
            if f.after_text != NO_TEXT {
                let at = if f.before_text == NO_TEXT {
                    f.after_text
                } else {
                    f.before_text
                };
                self.values.insert(key, at);
            }
        }
    }

    /// What a field was that day, as the journal writes it, when it changed after the day.
    fn value_on(&self, id: u32, field: Field) -> Option<&str> {
        let k = REPLAYED.iter().position(|&f| f == field)?;
        let at = self.values.get(&(id, k as u8))?;
        Some(self.text(*at))
    }
}

/// Folds the journal's steps into each prospect's record.
pub struct Builder {
    q: Questions,
    /// Each stage's outcome, by number.
    outcomes: Vec<Outcome>,
    briefs: Vec<Brief>,
    /// For a past day.
    then: Option<Then>,
    /// When counted: by number, the pushes of each prospect's decision date.
    pushes: Option<Pushes>,
}

type Pushes = HashMap<u32, u32, foldhash::quality::RandomState>;

impl Builder {
    /// Folds the answers to `q`; with `pushes`, also counts the pushes of
    /// each prospect's decision date (for `delays`).
    pub fn new(p: &Pipeline, q: Questions, pushes: bool) -> Builder {
        Builder {
            q,
            outcomes: p.stages.iter().map(|s| s.outcome).collect(),
            briefs: Vec::new(),
            then: q.past().then(Then::default),
            pushes: pushes.then(Pushes::default),
        }
    }

    /// Takes in one step of a journal scan (steps come in journal order).
    pub fn add_step(&mut self, s: &Step<'_>) {
        let (from, to) = match s.change {
            digest::Change::Stage { from, to } => (from, to),
            digest::Change::Field { name, from, to } => {
                if let Some(then) = &mut self.then {
                    then.change(s.id, s.date, self.q.day, name, (from, to));
                }
                if let Some(pushes) = &mut self.pushes
                    && s.date <= self.q.day
                    && field_of(name) == Some(Field::ExpectedClose)
                    && pushed_later(from, to)
                {
                    *pushes.entry(s.id).or_default() += 1;
                }
                return;
            }
        };
        // An unknown stage is reported by `pipe check`; it cannot be replayed.
        let (Ok(from), Ok(to)) = (from.known(), to.known()) else {
            return;
        };
        let i = s.id as usize;
        if i >= self.briefs.len() {
            self.briefs.resize(i + 1, Brief::EMPTY);
        }
        let b = &mut self.briefs[i];
        let date = s.date;
        let number = |s: Option<usize>| s.map_or(NONE, |s| s as u8);
        // An earlier line of the same date comes before it in date order.
        if date < b.first {
            b.set_stage(Brief::FIRST_FROM, number(from));
        }
        b.first = b.first.min(date);
        // A later line of the same date comes after it in date order.
        if date <= self.q.day && (b.last_to() == UNSET || date >= b.last) {
            b.last = date;
            b.set_stage(Brief::LAST_TO, number(to));
        }
        if date >= self.q.from
            && date <= self.q.to.min(self.q.day)
            && let Some(s) = to
        {
            b.entered |= 1 << s;
            let o = self.outcomes[s];
            if o != Outcome::Open
                && from.map(|f| self.outcomes[f]) != Some(o)
                && (b.close_to() == UNSET || date >= b.close)
            {
                b.close = date;
                b.set_stage(Brief::CLOSE_TO, s as u8);
            }
        }
    }

    pub fn finish(self, ids: Ids) -> Briefs {
        let then = self.then.map(|mut then| {
            // Only the fields changed after the day differ from the row's.
            then.settle();
            then
        });
        Briefs {
            q: self.q,
            ids: ids.into_lookup(),
            briefs: self.briefs,
            then,
            pushes: self.pushes,
        }
    }
}

/// Every prospect's answers to one set of [`Questions`].
pub struct Briefs {
    q: Questions,
    ids: Lookup,
    /// By the scan's numbers; ids with no stage step may lie past the end.
    briefs: Vec<Brief>,
    /// For a past day.
    then: Option<Then>,
    pushes: Option<Pushes>,
}

impl Briefs {
    /// The prospect whose row today is `x`, at the end of the day asked.
    pub fn state_at<'a>(&self, x: &'a Prospect, q: Questions, p: &Pipeline) -> State<'a> {
        debug_assert_eq!(q, self.q, "a brief answers the questions it was made for");
        let Some(then) = &self.then else {
            return State::Present(AsOf::Row(x));
        };
        let n = self.ids.find(&x.id);
        state_from(x, q.day, p, self.stages_on(n), |field| {
            then.value_on(n?, field)
        })
    }

    /// Reads the records of prospects `ids` from memory, for
    /// [`Briefs::answers`] to find them in the processor's cache
    /// ([`crate::ids::touch`]).
    pub fn touch(&self, ids: &mut dyn Iterator<Item = &str>) {
        crate::ids::touch(
            ids,
            |id| self.ids.find(id),
            &self.briefs,
            |b| b.stages as u8,
        );
    }

    /// The record of the prospect numbered `n`, when it has stage events.
    fn record(&self, n: Option<u32>) -> Option<&Brief> {
        let b = self.briefs.get(n? as usize)?;
        (b.first != NaiveDate::MAX).then_some(b)
    }

    /// What the stage events of the prospect numbered `n` say of the day.
    fn stages_on(&self, n: Option<u32>) -> Option<StagesOn> {
        let b = self.record(n)?;
        let stage = |s: u8| (s != NONE).then_some(s as usize);
        Some(StagesOn {
            last: (b.last_to() != UNSET).then(|| (b.last, stage(b.last_to()))),
            first_from: stage(b.stage(Brief::FIRST_FROM)),
        })
    }

    /// The prospect's answers (all empty when the journal has no stage event of it).
    pub fn answers(&self, id: &str, q: Questions) -> Answers {
        debug_assert_eq!(q, self.q, "a brief answers the questions it was made for");
        let n = self.ids.find(id);
        let pushes = match (&self.pushes, n) {
            (Some(pushes), Some(n)) => pushes.get(&n).map_or(0, |&c| u64::from(c)),
            _ => 0,
        };
        let Some(b) = self.record(n) else {
            return Answers {
                pushes,
                ..Answers::default()
            };
        };
        let stage = |s: u8| (s != NONE).then_some(s as usize);
        Answers {
            first: Some(b.first),
            entered: StageSet::of_bits(u64::from(b.entered)),
            close: (b.close_to() != UNSET).then_some((b.close_to() as usize, b.close)),
            last_to: (b.last_to() != UNSET).then(|| stage(b.last_to())),
            pushes,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_set_holds_each_stage_once_past_64_too() {
        let mut set = StageSet::default();
        for s in [5, 0, 63, 5, 70, 64, 70] {
            set.insert(s);
        }
        assert_eq!(set.iter().collect::<Vec<_>>(), [0, 5, 63, 70, 64]);
        assert_eq!(set.len(), 5);
        assert_eq!(StageSet::of_bits(0b1010).iter().collect::<Vec<_>>(), [1, 3]);
    }
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::fmt::Write as _;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The answers folded as the steps stream past equal those the full
    /// history gives, for journals out of date order, with many entries on
    /// one day, removals, closes, reopenings and unknown stages, and for a
    /// past day what the stage events and the field changes say of it.
    #[test]
    fn the_briefs_answer_as_the_full_history() {
        let p = Pipeline::from_str(
            include_str!("../../pipeline.toml"),
            std::path::Path::new("pipeline.toml"),
        )
        .expect("the shipped pipeline");
        let stages = [
            "suspect", "contacte", "chaud", "gagne", "perdu", "Gagné", " froid", "", "", "zzz",
        ];
        let kinds = ["add", "move", "move", "move", "remove", "undo"];
        let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_b71e);
        let mut text = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
        for k in 0..6000 {
            let stage = |rng: &mut ChaCha8Rng| stages[rng.random_range(0..stages.len())];
            let values = [
                "10",
                "20,50",
                "",
                "Léa Martin",
                "2026-03-01",
                " 2025-12-31 ",
            ];
            let value = |rng: &mut ChaCha8Rng| values[rng.random_range(0..values.len())];
            let fields = [
                "amount",
                "expected_close",
                "owner",
                "Expected close",
                "notes",
            ];
            let (field, from, to) = if rng.random_range(0..3) == 0 {
                (
                    fields[rng.random_range(0..fields.len())],
                    format!("\"{}\"", value(&mut rng)),
                    format!("\"{}\"", value(&mut rng)),
                )
            } else {
                (
                    "stage",
                    stage(&mut rng).to_string(),
                    stage(&mut rng).to_string(),
                )
            };
            // A few days only, so that many entries share one.
            let date = day(2025, 1, 1) + chrono::Days::new(rng.random_range(0..40) * 20);
            let _ = writeln!(
                text,
                "2026-01-01T00:00:00.{k:04}+00:00,{date},P-{:03},{},{field},{from},{to},me,,",
                rng.random_range(0..400),
                kinds[rng.random_range(0..kinds.len())],
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        std::fs::write(&path, text).unwrap();
        let (full, _) = History::read(&path, &p).unwrap();
        let today = day(2026, 11, 27);
        let questions = [
            (day(2025, 6, 1), day(2026, 11, 27), day(2026, 11, 27)),
            (day(2025, 6, 1), day(2026, 1, 1), day(2026, 1, 1)),
            (day(2025, 6, 1), day(2025, 12, 1), day(2026, 3, 1)),
            (day(2025, 1, 1), day(2027, 1, 1), day(2027, 1, 1)),
            (day(2025, 5, 21), day(2025, 5, 21), day(2025, 5, 21)),
            (day(2024, 1, 1), day(2024, 12, 31), day(2024, 12, 31)),
        ];
        let mut compared = [0usize; 7];
        for (from, to, on) in questions {
            let q = Questions {
                from,
                to,
                day: on,
                today,
            };
            let (b, ids, _) = digest::scan(
                &path,
                &p,
                || Builder::new(&p, q, true),
                |b: &mut Builder, s| b.add_step(s),
            )
            .unwrap();
            let briefs = b.finish(ids);
            for n in 0..420 {
                let id = format!("P-{n:03}");
                let want = full
                    .log(&id)
                    .map(|l| Answers::of_log(l, q, &p))
                    .unwrap_or_default();
                let got = briefs.answers(&id, q);
                assert_eq!(got, want, "{id} for {q:?}");
                compared[0] += usize::from(got.close.is_some());
                compared[1] += usize::from(got.last_to == Some(None));
                compared[2] += got.entered.len();
                compared[6] += usize::from(got.pushes > 0);
                let log = full.log(&id);
                let Some(then) = &briefs.then else {
                    assert!(!q.past());
                    continue;
                };
                let n = briefs.ids.find(&id);
                let stages = briefs.stages_on(n);
                assert_eq!(stages, log.and_then(|l| l.stages_on(on)), "{id} on {on}");
                compared[3] += usize::from(stages.is_some_and(|s| s.last.is_none()));
                for field in REPLAYED {
                    let value = n.and_then(|n| then.value_on(n, field));
                    let want = log.and_then(|l| l.value_on(on, field));
                    assert_eq!(value, want, "{id}'s {field:?} on {on}");
                    compared[4] += usize::from(value.is_some());
                    compared[5] += usize::from(value.is_some_and(|v| v.trim().is_empty()));
                }
            }
        }
        assert!(
            compared.iter().all(|&n| n > 50),
            "closes, removals, stages entered, days before the first event, past values and pushes were compared: {compared:?}"
        );
    }
}
