//! Reports: the pipeline's figures as values, with their renderers beside them.
//!
//! A report is built by streaming prospects through a builder: each
//! prospect is looked at once, as it was at the end of `--as-of` (replayed
//! from the journal, see [`replay`]), and only the sums per stage, family,
//! owner or month are kept, so memory does not grow with the register. The
//! finished report is a plain value (`serde::Serialize` gives its JSON) and
//! each kind turns it into [`Grid`]s for table, CSV, Markdown and HTML.
//!
//! No I/O here: the command reads the register and the journal and hands
//! their content in.

pub mod breakdown;
pub mod brief;
pub mod delays;
pub mod forecast;
pub mod funnel;
pub mod html;
pub mod movement;
pub mod replay;

use crate::filter::Filter;
use crate::output::{Cell, Format, Grid};
use crate::pipeline::{Outcome, Pipeline};
use crate::prospect::Prospect;
use crate::render;
use anyhow::Result;
use brief::{Answers, Past, Questions};
use chrono::NaiveDate;
use replay::{AsOf, State};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

// ------------------------------------------------------------------ numbers

/// An amount of money, exact; in JSON a number with at least two decimals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Money(pub Decimal);

impl Money {
    pub fn plain(self) -> String {
        let mut v = self.0.normalize();
        if v.scale() < 2 {
            v.rescale(2);
        }
        v.to_string()
    }
}

impl std::ops::AddAssign<Decimal> for Money {
    fn add_assign(&mut self, rhs: Decimal) {
        self.0 += rhs;
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v: Decimal = self.plain().parse().expect("a decimal");
        rust_decimal::serde::arbitrary_precision::serialize(&v, s)
    }
}

/// An amount weighted by its probability (a percentage), exact: the
/// product with its scale moved two places, which divides it by 100 without
/// a division (a product of more than 26 decimals is divided). The value
/// [`Prospect::weighted`] gives, perhaps written with more decimals: for
/// the reports' sums, which [`Money`] writes normalized.
pub fn weigh(amount: Decimal, probability: Decimal) -> Decimal {
    let mut w = amount * probability;
    match w.set_scale(w.scale() + 2) {
        Ok(()) => w,
        Err(_) => amount * probability / Decimal::ONE_HUNDRED,
    }
}

/// A ratio from 0 to 1, rounded to four decimals (`0.6250`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ratio(pub Decimal);

impl Ratio {
    /// `part / whole`, or `None` when the whole is zero.
    pub fn of(part: impl Into<Decimal>, whole: impl Into<Decimal>) -> Option<Ratio> {
        let whole = whole.into();
        (!whole.is_zero()).then(|| Ratio(part.into() / whole))
    }

    fn rounded(self) -> Decimal {
        let mut v = self
            .0
            .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
        v.rescale(4);
        v
    }

    pub fn plain(self) -> String {
        self.rounded().to_string()
    }

    /// As a percentage with one decimal, in the pipeline's locale: `62,5 %`.
    pub fn shown(self, p: &Pipeline) -> String {
        render::percent(p, round1(self.0 * Decimal::ONE_HUNDRED))
    }
}

impl Serialize for Ratio {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        rust_decimal::serde::arbitrary_precision::serialize(&self.rounded(), s)
    }
}

/// A number of days, rounded to one decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days(pub Decimal);

impl Days {
    pub fn plain(self) -> String {
        round1(self.0).normalize().to_string()
    }

    pub fn shown(self, p: &Pipeline) -> String {
        let s = self.plain();
        match p.locale {
            crate::pipeline::Locale::Fr => s.replace('.', ","),
            crate::pipeline::Locale::En => s,
        }
    }
}

impl Serialize for Days {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = round1(self.0).normalize();
        rust_decimal::serde::arbitrary_precision::serialize(&v, s)
    }
}

fn round1(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
}

/// Days in a stage: count, sum and a histogram, enough for an exact mean and median.
#[derive(Debug, Clone, Default)]
pub struct DayStats {
    n: u64,
    sum: i64,
    max: Option<i64>,
    /// How many took `d` days, for `d` from 0 up to [`DENSE_DAYS`]: a plain
    /// array, grown to the longest seen (a report adds a million of them).
    dense: Vec<u64>,
    /// The others (negative, or longer), by days.
    sparse: BTreeMap<i64, u64>,
}

/// Days counted in [`DayStats`]'s array rather than its map: about eleven years.
const DENSE_DAYS: i64 = 4096;

impl DayStats {
    pub fn add(&mut self, days: i64) {
        self.add_n(days, 1);
    }

    fn add_n(&mut self, days: i64, count: u64) {
        self.n += count;
        self.sum += days * count as i64;
        self.max = self.max.max(Some(days));
        if (0..DENSE_DAYS).contains(&days) {
            let d = days as usize;
            if d >= self.dense.len() {
                self.dense.resize(d + 1, 0);
            }
            self.dense[d] += count;
        } else {
            *self.sparse.entry(days).or_default() += count;
        }
    }

    /// Each number of days seen, in order, with how many took it.
    fn counts(&self) -> impl Iterator<Item = (i64, u64)> + '_ {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, c)| **c > 0)
            .map(|(d, c)| (d as i64, *c));
        let sparse = |r: std::ops::RangeFrom<i64>| self.sparse.range(r).map(|(d, c)| (*d, *c));
        self.sparse
            .range(..0)
            .map(|(d, c)| (*d, *c))
            .chain(dense)
            .chain(sparse(DENSE_DAYS..))
    }

    pub fn merge(&mut self, o: &DayStats) {
        for (d, c) in o.counts() {
            self.add_n(d, c);
        }
    }

    pub fn mean(&self) -> Option<Days> {
        (self.n > 0).then(|| Days(Decimal::from(self.sum) / Decimal::from(self.n)))
    }

    pub fn max(&self) -> Option<i64> {
        self.max
    }

    /// The median: the middle value, or the mean of the two middle values.
    pub fn median(&self) -> Option<Days> {
        if self.n == 0 {
            return None;
        }
        let nth = |k: u64| {
            let mut seen = 0;
            for (d, c) in self.counts() {
                seen += c;
                if seen > k {
                    return d;
                }
            }
            unreachable!("k is below the count")
        };
        let v = if self.n % 2 == 1 {
            Decimal::from(nth(self.n / 2))
        } else {
            Decimal::from(nth(self.n / 2 - 1) + nth(self.n / 2)) / Decimal::TWO
        };
        Some(Days(v))
    }
}

/// Divides an amount into `n` parts that add up to it exactly: equal to its
/// last decimal (at least the cent), the first parts taking the remainder.
pub fn split(amount: Decimal, n: usize) -> Vec<Decimal> {
    if n <= 1 {
        return vec![amount; n];
    }
    let scale = amount.scale().max(2);
    let mut units = amount;
    units.rescale(scale);
    let units = units.mantissa();
    let n128 = n as i128;
    let (base, rem) = (units / n128, units % n128);
    (0..n128)
        .map(|i| {
            let extra = if i < rem.abs() { rem.signum() } else { 0 };
            Decimal::from_i128_with_scale(base + extra, scale)
        })
        .collect()
}

// -------------------------------------------------------------------- scope

/// What every report is computed over: the pipeline, the dates and the filters.
pub struct Scope<'p> {
    pub p: &'p Pipeline,
    /// The day the register's rows describe.
    pub today: NaiveDate,
    /// The end of the day whose state is reported.
    pub as_of: NaiveDate,
    /// The period of flow figures, both days included.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filter: Filter,
    /// The filters as given, for titles and JSON.
    pub filter_text: Vec<String>,
    pub history: Past,
}

/// A prospect's close (a move into a won or lost stage from a stage of another outcome).
#[derive(Debug, Clone, Copy)]
pub struct Close {
    pub outcome: Outcome,
    /// Days from its first journaled event to the close.
    pub cycle: Option<i64>,
}

/// A prospect as a report sees it: its state at `as_of` and what it did in the period.
pub struct Facts<'a> {
    pub x: AsOf<'a>,
    /// The pushes of its decision date on or before `as_of` (`delays` only).
    pub pushes: u64,
    pub open: bool,
    /// The stages it entered in the period.
    pub entered: brief::StageSet,
    /// Its last close in the period.
    pub close: Option<Close>,
    /// Days in its stage at `as_of`, when the stage's start is known.
    pub days: Option<i64>,
    /// Longer in its stage than the stage's `stale_after`.
    pub stale: bool,
}

/// What became of a prospect looked at.
pub enum Seen<'a> {
    Counted(Facts<'a>),
    /// Not in the pipeline at `as_of` (added later or removed).
    Absent,
    /// Its state at `as_of` is not recorded.
    Unknown,
    /// Left out by the filters.
    Filtered,
}

/// How many prospects were looked at and what became of them, for notes under a report.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Tally {
    pub counted: u64,
    pub absent: u64,
    pub unknown: u64,
    pub filtered: u64,
}

impl Tally {
    pub fn note(&mut self, seen: &Seen<'_>) {
        match seen {
            Seen::Counted(_) => self.counted += 1,
            Seen::Absent => self.absent += 1,
            Seen::Unknown => self.unknown += 1,
            Seen::Filtered => self.filtered += 1,
        }
    }
}

impl<'p> Scope<'p> {
    /// Reads from memory what [`Scope::observe`] looks up of prospects
    /// `ids`, all at once ([`brief::Briefs::touch`]).
    pub fn touch(&self, ids: &mut dyn Iterator<Item = &str>) {
        if let Past::Brief(b) = &self.history {
            b.touch(ids);
        }
    }

    /// The prospect at `as_of`, with its flow in the period.
    pub fn observe<'a>(&'a self, x: &'a Prospect) -> Seen<'a> {
        self.observe_at(x, self.as_of)
    }

    /// The prospect at the end of `day`, with its flow in the period up to that day.
    pub fn observe_at<'a>(&'a self, x: &'a Prospect, day: NaiveDate) -> Seen<'a> {
        let p = self.p;
        let q = Questions {
            from: self.from,
            to: self.to,
            day,
            today: self.today,
        };
        let state = match &self.history {
            Past::Full(h) => h.state_at(x, day, self.today, p),
            Past::Brief(b) => b.state_at(x, q, p),
            // Today's state is the register's row.
            Past::Unread => State::Present(AsOf::Row(x)),
        };
        let y = match state {
            State::Present(y) => y,
            State::Absent => return Seen::Absent,
            State::Unknown => return Seen::Unknown,
        };
        if !self.filter.accepts(p, &y) {
            return Seen::Filtered;
        }
        let stage = &p.stages[y.stage];
        let past = match &self.history {
            Past::Full(h) => h
                .log(&x.id)
                .map(|l| Answers::of_log(l, q, p))
                .unwrap_or_default(),
            Past::Brief(b) => b.answers(&x.id, q),
            Past::Unread => Answers::default(),
        };
        let (from, to) = (self.from, self.to.min(day));
        let first = past.first;
        let cycle = |date: NaiveDate| first.map(|f| (date - f).num_days());
        let mut entered = past.entered;
        let mut close = past.close.map(|(s, date)| Close {
            outcome: p.stages[s].outcome,
            cycle: cycle(date),
        });
        // Its entry into its present stage may not be in the journal (an edit in a spreadsheet).
        let journaled = past.last_to == Some(Some(y.stage));
        if !journaled
            && let Some(since) = y.stage_since
            && since >= from
            && since <= to
        {
            entered.insert(y.stage);
            if stage.outcome != Outcome::Open {
                close = Some(Close {
                    outcome: stage.outcome,
                    cycle: cycle(since),
                });
            }
        }
        let days = y.stage_since.map(|s| (day - s).num_days().max(0));
        let stale = match (&stage.stale_after, y.stage_since) {
            (Some(h), Some(since)) => day > h.term.after(since),
            _ => false,
        };
        Seen::Counted(Facts {
            open: stage.is_open(),
            x: y,
            pushes: past.pushes,
            entered,
            close,
            days,
            stale,
        })
    }

    /// The header every report's JSON starts with.
    pub fn meta(&self, report: &'static str) -> Meta {
        Meta {
            report,
            pipeline: self.p.name.clone(),
            currency: self.p.currency.clone(),
            as_of: self.as_of,
            from: self.from,
            to: self.to,
            filters: self.filter_text.clone(),
        }
    }

    /// The title line of a report.
    pub fn title(&self, what: &str) -> String {
        let p = self.p;
        let mut t = format!(
            "{what} — {} — as of {}, period {} to {}",
            p.name,
            render::date(p, self.as_of),
            render::date(p, self.from),
            render::date(p, self.to)
        );
        if !self.filter_text.is_empty() {
            t.push_str(&format!(" — {}", self.filter_text.join(", ")));
        }
        t
    }
}

/// The common head of every report.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub report: &'static str,
    pub pipeline: String,
    pub currency: String,
    pub as_of: NaiveDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub filters: Vec<String>,
}

// ------------------------------------------------------------------ helpers

pub fn money_cell(p: &Pipeline, v: Money) -> Cell {
    Cell::number(render::money(p, v.0), v.plain())
}

pub fn opt_money_cell(p: &Pipeline, v: Option<Money>) -> Cell {
    v.map_or_else(Cell::empty, |v| money_cell(p, v))
}

pub fn count_cell(n: u64) -> Cell {
    Cell::number(n.to_string(), n.to_string())
}

pub fn ratio_cell(p: &Pipeline, r: Option<Ratio>) -> Cell {
    match r {
        Some(r) => Cell::number(r.shown(p), r.plain()),
        None => Cell::number("–", ""),
    }
}

pub fn days_cell(p: &Pipeline, d: Option<Days>) -> Cell {
    match d {
        Some(d) => Cell::number(d.shown(p), d.plain()),
        None => Cell::number("–", ""),
    }
}

pub fn date_cell(p: &Pipeline, d: Option<NaiveDate>) -> Cell {
    match d {
        Some(d) => Cell {
            shown: render::date(p, d),
            plain: d.to_string(),
            align: crate::output::Align::Left,
        },
        None => Cell::empty(),
    }
}

pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Notes about prospects the report could not count.
pub fn tally_notes(scope: &Scope, t: &Tally) -> Vec<String> {
    let mut out = Vec::new();
    if t.unknown > 0 {
        out.push(format!(
            "{} not counted: created by {} but entered {} stage later, and the journal does not say where {} stood then.",
            plural(t.unknown, "prospect", "prospects"),
            render::date(scope.p, scope.as_of),
            if t.unknown == 1 { "its" } else { "their" },
            if t.unknown == 1 { "it" } else { "they" },
        ));
    }
    out
}

// ------------------------------------------------------------------ reports

/// The kinds of report.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Stages in funnel order: counts, amounts, time in stage, conversion.
    Funnel,
    /// Per product family: open, won and win rate.
    Products,
    /// Per salesperson: open, won and win rate.
    Owners,
    /// Amounts by month of expected decision, for the next 12 months.
    Forecast,
    /// What moved between `--from` and `--to`, and how it adds up.
    Movement,
    /// How long decisions take, per open stage, with the worst offenders.
    Delays,
}

/// What the figures are measured in, for kinds that offer a choice.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum By {
    /// Bars by number of prospects (funnel).
    Count,
    /// Bars by amount (funnel).
    Amount,
    /// A matrix with one column per stage (products, owners).
    Stage,
}

/// Options that shape a report beyond the scope.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub by: Option<By>,
    /// How many offenders `delays` lists.
    pub top: usize,
}

/// A builder for any kind, fed one prospect at a time.
pub enum Builder {
    Funnel(funnel::Builder),
    Breakdown(breakdown::Builder),
    Forecast(forecast::Builder),
    Movement(movement::Builder),
    Delays(delays::Builder),
}

impl Builder {
    pub fn new(kind: Kind, scope: &Scope, opts: Options) -> Builder {
        match kind {
            Kind::Funnel => Builder::Funnel(funnel::Builder::new(scope, opts)),
            Kind::Products => Builder::Breakdown(breakdown::Builder::new(
                scope,
                breakdown::Dimension::Products,
                opts,
            )),
            Kind::Owners => Builder::Breakdown(breakdown::Builder::new(
                scope,
                breakdown::Dimension::Owners,
                opts,
            )),
            Kind::Forecast => Builder::Forecast(forecast::Builder::new(scope)),
            Kind::Movement => Builder::Movement(movement::Builder::new(scope)),
            Kind::Delays => Builder::Delays(delays::Builder::new(scope, opts)),
        }
    }

    pub fn add(&mut self, scope: &Scope, x: &Prospect) {
        match self {
            Builder::Funnel(b) => b.add(scope, x),
            Builder::Breakdown(b) => b.add(scope, x),
            Builder::Forecast(b) => b.add(scope, x),
            Builder::Movement(b) => b.add(scope, x),
            Builder::Delays(b) => b.add(scope, x),
        }
    }

    pub fn finish(self, scope: &Scope) -> Report {
        match self {
            Builder::Funnel(b) => Report::Funnel(b.finish(scope)),
            Builder::Breakdown(b) => Report::Breakdown(b.finish(scope)),
            Builder::Forecast(b) => Report::Forecast(b.finish(scope)),
            Builder::Movement(b) => Report::Movement(b.finish(scope)),
            Builder::Delays(b) => Report::Delays(b.finish(scope)),
        }
    }
}

/// A finished report.
pub enum Report {
    Funnel(funnel::Funnel),
    Breakdown(breakdown::Breakdown),
    Forecast(forecast::Forecast),
    Movement(movement::Movement),
    Delays(delays::Delays),
}

impl Report {
    /// The grids people read (table, Markdown, HTML), titled.
    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        match self {
            Report::Funnel(r) => r.grids(scope),
            Report::Breakdown(r) => r.grids(scope),
            Report::Forecast(r) => r.grids(scope),
            Report::Movement(r) => r.grids(scope),
            Report::Delays(r) => r.grids(scope),
        }
    }

    /// The one grid CSV writes.
    pub fn csv_grid(&self, scope: &Scope) -> Grid {
        match self {
            Report::Funnel(r) => r.csv_grid(scope),
            Report::Breakdown(r) => r.csv_grid(scope),
            Report::Forecast(r) => r.csv_grid(scope),
            Report::Movement(r) => r.csv_grid(scope),
            Report::Delays(r) => r.csv_grid(scope),
        }
    }

    /// The charts of the HTML page (inline SVG).
    pub fn charts(&self, scope: &Scope) -> String {
        match self {
            Report::Funnel(r) => r.charts(scope),
            Report::Breakdown(r) => r.charts(scope),
            Report::Forecast(r) => r.charts(scope),
            Report::Movement(_) | Report::Delays(_) => String::new(),
        }
    }

    pub fn title(&self, scope: &Scope) -> String {
        let what = match self {
            Report::Funnel(_) => "Funnel",
            Report::Breakdown(r) => r.what(),
            Report::Forecast(_) => "Forecast",
            Report::Movement(_) => "Movement",
            Report::Delays(_) => "Delays",
        };
        scope.title(what)
    }

    pub fn to_json(&self) -> Result<String> {
        let mut s = match self {
            Report::Funnel(r) => serde_json::to_string_pretty(r),
            Report::Breakdown(r) => serde_json::to_string_pretty(r),
            Report::Forecast(r) => serde_json::to_string_pretty(r),
            Report::Movement(r) => serde_json::to_string_pretty(r),
            Report::Delays(r) => serde_json::to_string_pretty(r),
        }?;
        s.push('\n');
        Ok(s)
    }

    /// The report in a format, ready to write.
    pub fn render(&self, scope: &Scope, format: Format, excel: bool) -> Result<Vec<u8>> {
        Ok(match format {
            Format::Json => self.to_json()?.into_bytes(),
            Format::Csv => self.csv_grid(scope).to_csv(excel)?,
            Format::Table => {
                let width = render::width();
                let mut out = format!("{}\n\n", self.title(scope));
                for (i, g) in self.grids(scope).iter().enumerate() {
                    if i > 0 {
                        out.push('\n');
                    }
                    out.push_str(&g.fitted(width).to_table());
                }
                out.into_bytes()
            }
            Format::Md => {
                let mut out = format!("## {}\n\n", self.title(scope));
                for g in self.grids(scope) {
                    out.push_str(&g.to_markdown());
                    out.push('\n');
                }
                out.into_bytes()
            }
            Format::Html => {
                html::page(&self.title(scope), &self.charts(scope), &self.grids(scope)).into_bytes()
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn weighing_moves_the_scale_to_the_value_a_division_gives() {
        for (amount, probability) in [
            ("12500.50", "25"),
            ("772.50", "33.3"),
            ("-40", "10"),
            ("0", "50"),
            ("1", "0"),
            ("79228162514264337593543950335", "1"),
            // A product of 27 decimals is divided instead.
            ("0.0000000000000000000000001", "0.01"),
            ("0.1234567890123456789012345", "12.5"),
        ] {
            let (a, p) = (d(amount), d(probability));
            assert_eq!(
                weigh(a, p),
                a * p / Decimal::ONE_HUNDRED,
                "{amount} × {probability} %"
            );
            assert_eq!(
                Money(weigh(a, p)).plain(),
                Money(a * p / Decimal::ONE_HUNDRED).plain()
            );
        }
    }

    #[test]
    fn split_adds_up_exactly() {
        assert_eq!(split(d("100"), 3), [d("33.34"), d("33.33"), d("33.33")]);
        assert_eq!(split(d("0.05"), 2), [d("0.03"), d("0.02")]);
        assert_eq!(split(d("-10"), 3), [d("-3.34"), d("-3.33"), d("-3.33")]);
        assert_eq!(split(d("1.125"), 2), [d("0.563"), d("0.562")]);
        let parts = split(d("93821.03"), 7);
        assert_eq!(parts.iter().sum::<Decimal>(), d("93821.03"));
    }

    #[test]
    fn median_of_a_histogram() {
        let mut s = DayStats::default();
        for v in [5, 1, 9, 3] {
            s.add(v);
        }
        assert_eq!(s.median().unwrap().plain(), "4");
        assert_eq!(s.mean().unwrap().plain(), "4.5");
        s.add(100);
        assert_eq!(s.median().unwrap().plain(), "5");
        assert_eq!(s.max(), Some(100));
    }

    /// Days counted in the array and in the map give the mean, median and
    /// maximum of the plain list, added one by one or merged.
    #[test]
    fn day_stats_agree_with_the_sorted_list() {
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        for len in [1usize, 2, 3, 10, 101, 1000] {
            let days: Vec<i64> = (0..len)
                .map(|_| match next(4) {
                    0 => -(next(50) as i64),
                    1 => DENSE_DAYS - 3 + next(6) as i64,
                    _ => next(400) as i64,
                })
                .collect();
            let (mut one, mut halves, mut second) = (
                DayStats::default(),
                DayStats::default(),
                DayStats::default(),
            );
            for (i, &d) in days.iter().enumerate() {
                one.add(d);
                if i % 2 == 0 {
                    halves.add(d);
                } else {
                    second.add(d);
                }
            }
            halves.merge(&second);
            let mut sorted = days.clone();
            sorted.sort_unstable();
            let n = sorted.len();
            let median = if n % 2 == 1 {
                Decimal::from(sorted[n / 2])
            } else {
                Decimal::from(sorted[n / 2 - 1] + sorted[n / 2]) / Decimal::TWO
            };
            let mean = Decimal::from(sorted.iter().sum::<i64>()) / Decimal::from(n as u64);
            for s in [&one, &halves] {
                assert_eq!(
                    s.median().unwrap().plain(),
                    Days(median).plain(),
                    "{days:?}"
                );
                assert_eq!(s.mean().unwrap().plain(), Days(mean).plain(), "{days:?}");
                assert_eq!(s.max(), sorted.last().copied());
            }
        }
    }

    #[test]
    fn json_numbers_are_exact() {
        let v =
            serde_json::to_string(&(Money(d("0.1") + d("0.2")), Ratio(d("2") / d("3")))).unwrap();
        assert_eq!(v, "[0.30,0.6667]");
        assert_eq!(
            serde_json::to_string(&Money(d("3125.125"))).unwrap(),
            "3125.125"
        );
    }
}
