//! The funnel: one row per stage in pipeline order, totals per phase, and the
//! flow over the period (reached, conversion, win rate, cycle, velocity).

use super::{
    By, DayStats, Days, Meta, Money, Options, Ratio, Scope, Seen, Tally, count_cell, days_cell,
    html, money_cell, plural, ratio_cell, tally_notes, weigh,
};
use crate::output::{Cell, Grid};
use crate::pipeline::{Outcome, Phase, Pipeline};
use crate::prospect::Prospect;
use rust_decimal::Decimal;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
struct Acc {
    count: u64,
    amount: Decimal,
    weighted: Decimal,
    without_amount: u64,
    days: DayStats,
    stale: u64,
    reached: u64,
}

pub struct Builder {
    by: By,
    stages: Vec<Acc>,
    won: u64,
    lost: u64,
    won_amount: Decimal,
    won_with_amount: u64,
    cycles: DayStats,
    tally: Tally,
}

impl Builder {
    pub fn new(scope: &Scope, opts: Options) -> Builder {
        Builder {
            by: opts.by.unwrap_or(By::Count),
            stages: vec![Acc::default(); scope.p.stages.len()],
            won: 0,
            lost: 0,
            won_amount: Decimal::ZERO,
            won_with_amount: 0,
            cycles: DayStats::default(),
            tally: Tally::default(),
        }
    }

    pub fn add(&mut self, scope: &Scope, x: &Prospect) {
        let seen = scope.observe(x);
        self.tally.note(&seen);
        let Seen::Counted(f) = seen else { return };
        let a = &mut self.stages[f.x.stage];
        a.count += 1;
        match f.x.amount {
            Some(v) => {
                a.amount += v;
                a.weighted += weigh(v, f.x.probability(scope.p));
            }
            None => a.without_amount += 1,
        }
        if let Some(d) = f.days {
            a.days.add(d);
        }
        a.stale += u64::from(f.stale);
        for s in f.entered.iter() {
            self.stages[s].reached += 1;
        }
        if let Some(c) = f.close {
            match c.outcome {
                Outcome::Won => {
                    self.won += 1;
                    if let Some(v) = f.x.amount {
                        self.won_amount += v;
                        self.won_with_amount += 1;
                    }
                    if let Some(days) = c.cycle {
                        self.cycles.add(days);
                    }
                }
                Outcome::Lost => self.lost += 1,
                Outcome::Open => {}
            }
        }
    }

    pub fn finish(self, scope: &Scope) -> Funnel {
        let p = scope.p;
        let open_count: u64 = p
            .stages
            .iter()
            .zip(&self.stages)
            .filter(|(s, _)| s.is_open())
            .map(|(_, a)| a.count)
            .sum();
        let mut stages = Vec::new();
        for (i, (s, a)) in p.stages.iter().zip(&self.stages).enumerate() {
            let next = s
                .is_open()
                .then(|| (i + 1..p.stages.len()).find(|&j| p.stages[j].is_open()))
                .flatten();
            let first = p.first_stage_of(s.phase).unwrap_or(i);
            stages.push(StageRow {
                id: s.id.clone(),
                label: s.label.clone(),
                phase: s.phase,
                outcome: s.outcome,
                count: a.count,
                share: if s.is_open() {
                    Ratio::of(a.count, open_count)
                } else {
                    None
                },
                amount: Money(a.amount),
                weighted: Money(a.weighted),
                without_amount: a.without_amount,
                average_days: a.days.mean(),
                median_days: a.days.median(),
                stale_after: s.stale_after.as_ref().map(|h| h.term.to_string()),
                stale: a.stale,
                reached: a.reached,
                next_stage: next.map(|j| p.stages[j].id.clone()),
                conversion_next: next.and_then(|j| Ratio::of(self.stages[j].reached, a.reached)),
                conversion_cumulative: Ratio::of(a.reached, self.stages[first].reached),
            });
        }
        let sum = |keep: &dyn Fn(usize) -> bool| {
            let mut t = Sum::default();
            let mut days = DayStats::default();
            for (i, a) in self.stages.iter().enumerate().filter(|(i, _)| keep(*i)) {
                t.count += a.count;
                t.open += if p.stages[i].is_open() { a.count } else { 0 };
                t.amount += a.amount;
                t.weighted += a.weighted;
                t.without_amount += a.without_amount;
                t.stale += a.stale;
                days.merge(&a.days);
            }
            t.average_days = days.mean();
            t
        };
        let mut phases = Vec::new();
        for ph in [Phase::Suspect, Phase::Prospect, Phase::Client] {
            if p.stages.iter().any(|s| s.phase == ph) {
                let mut t = sum(&|i| p.stages[i].phase == ph);
                t.phase = Some(ph);
                phases.push(t);
            }
        }
        let open = sum(&|i| p.stages[i].is_open());
        let all = sum(&|_| true);
        let win_rate = Ratio::of(self.won, self.won + self.lost);
        let average_won = (self.won_with_amount > 0)
            .then(|| self.won_amount / Decimal::from(self.won_with_amount));
        let cycle = self.cycles.mean();
        let velocity = match (average_won, win_rate, cycle) {
            (Some(avg), Some(rate), Some(c)) if !c.0.is_zero() => Some(Money(
                (Decimal::from(open.count) * avg * rate.0 / c.0).round_dp(2),
            )),
            _ => None,
        };
        Funnel {
            meta: scope.meta("funnel"),
            by: match self.by {
                By::Amount => "amount",
                _ => "count",
            },
            stages,
            totals: Totals { phases, open, all },
            win_rate,
            won: self.won,
            lost: self.lost,
            average_won_amount: average_won.map(|v| Money(v.round_dp(2))),
            average_cycle_days: cycle,
            sales_velocity: velocity,
            not_counted: self.tally.unknown,
            tally: self.tally,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageRow {
    pub id: String,
    pub label: String,
    pub phase: Phase,
    pub outcome: Outcome,
    pub count: u64,
    /// Share of the open prospects (open stages only).
    pub share: Option<Ratio>,
    pub amount: Money,
    pub weighted: Money,
    pub without_amount: u64,
    pub average_days: Option<Days>,
    pub median_days: Option<Days>,
    pub stale_after: Option<String>,
    pub stale: u64,
    pub reached: u64,
    pub next_stage: Option<String>,
    pub conversion_next: Option<Ratio>,
    pub conversion_cumulative: Option<Ratio>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sum {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    pub count: u64,
    pub open: u64,
    pub amount: Money,
    pub weighted: Money,
    pub without_amount: u64,
    pub stale: u64,
    pub average_days: Option<Days>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub phases: Vec<Sum>,
    pub open: Sum,
    pub all: Sum,
}

#[derive(Debug, Clone, Serialize)]
pub struct Funnel {
    #[serde(flatten)]
    pub meta: Meta,
    pub by: &'static str,
    pub stages: Vec<StageRow>,
    pub totals: Totals,
    pub win_rate: Option<Ratio>,
    pub won: u64,
    pub lost: u64,
    pub average_won_amount: Option<Money>,
    pub average_cycle_days: Option<Days>,
    /// Open deals × average won amount × win rate ÷ average cycle: amount per day.
    pub sales_velocity: Option<Money>,
    pub not_counted: u64,
    #[serde(skip)]
    pub tally: Tally,
}

/// A bar of Unicode blocks, `width` characters for `max`.
pub fn bar(value: Decimal, max: Decimal, width: usize) -> String {
    if max <= Decimal::ZERO || value <= Decimal::ZERO {
        return String::new();
    }
    let eighths = (value / max * Decimal::from(width * 8))
        .round()
        .try_into()
        .unwrap_or(0usize)
        .max(1);
    let mut s = "█".repeat(eighths / 8);
    const PARTS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    s.push_str(PARTS[eighths % 8]);
    s
}

impl Funnel {
    fn measure(&self, r: &StageRow) -> Decimal {
        if self.by == "amount" {
            r.amount.0
        } else {
            Decimal::from(r.count)
        }
    }

    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        let p = scope.p;
        let max = self
            .stages
            .iter()
            .map(|r| self.measure(r))
            .max()
            .unwrap_or_default();
        let bar_head = if self.by == "amount" {
            "Amount bar"
        } else {
            "Count bar"
        };
        let mut g = Grid::new(&[
            "Stage",
            "Count",
            bar_head,
            "Share",
            "Amount",
            "Weighted",
            "Avg days",
            "Median days",
            "Stale",
        ])
        .with_priority(&[0, 0, 0, 4, 0, 1, 3, 5, 2]);
        g.title = Some(format!(
            "Stages at the end of {}",
            crate::render::date(p, scope.as_of)
        ));
        for r in &self.stages {
            g.push(vec![
                Cell::text(&r.label),
                count_cell(r.count),
                Cell::text(bar(self.measure(r), max, 12)),
                if r.outcome == Outcome::Open {
                    ratio_cell(p, r.share)
                } else {
                    Cell::empty()
                },
                money_cell(p, r.amount),
                money_cell(p, r.weighted),
                days_cell(p, r.average_days),
                days_cell(p, r.median_days),
                if r.stale_after.is_some() {
                    count_cell(r.stale)
                } else {
                    Cell::empty()
                },
            ]);
        }
        let total_row = |name: String, t: &Sum| {
            vec![
                Cell::text(name),
                count_cell(t.count),
                Cell::empty(),
                Cell::empty(),
                money_cell(p, t.amount),
                money_cell(p, t.weighted),
                days_cell(p, t.average_days),
                Cell::empty(),
                count_cell(t.stale),
            ]
        };
        for t in &self.totals.phases {
            let name = match t.phase {
                Some(Phase::Suspect) => "Total suspects",
                Some(Phase::Prospect) => "Total prospects",
                _ => "Total clients",
            };
            g.push_total(total_row(name.into(), t));
        }
        g.push_total(total_row("Open pipeline".into(), &self.totals.open));
        g.push_total(total_row("All".into(), &self.totals.all));
        let missing = self.totals.all.without_amount;
        if missing > 0 {
            g.notes.push(format!(
                "{} no amount: counted, but adding nothing to the amounts.",
                plural(missing, "prospect has", "prospects have")
            ));
        }
        g.notes.push(
            "Weighted: amount × the prospect's own probability, else its stage's. Stale: longer in the stage than its stale_after."
                .into(),
        );
        g.notes.extend(tally_notes(scope, &self.tally));

        let mut f = Grid::new(&["Stage", "Reached", "Next stage", "To next", "Cumulative"])
            .with_priority(&[0, 0, 1, 0, 0]);
        f.title = Some(format!(
            "Flow from {} to {}",
            crate::render::date(p, scope.from),
            crate::render::date(p, scope.to)
        ));
        for r in &self.stages {
            let next = r
                .next_stage
                .as_deref()
                .and_then(|id| p.find_stage(id))
                .map(|j| p.stages[j].label.clone())
                .unwrap_or_default();
            f.push(vec![
                Cell::text(&r.label),
                count_cell(r.reached),
                Cell::text(next),
                if r.next_stage.is_some() {
                    ratio_cell(p, r.conversion_next)
                } else {
                    Cell::empty()
                },
                ratio_cell(p, r.conversion_cumulative),
            ]);
        }
        f.notes.push("Reached: prospects that entered the stage in the period. To next: reached of the next open stage ÷ reached of this one. Cumulative: reached ÷ reached of the phase's first stage.".into());

        let mut o = Grid::new(&["Over the period", "Value"]);
        o.title = Some("Overall".into());
        o.push(vec![
            Cell::text("Win rate (won ÷ closed)"),
            ratio_cell(p, self.win_rate),
        ]);
        o.push(vec![Cell::text("Won"), count_cell(self.won)]);
        o.push(vec![Cell::text("Lost"), count_cell(self.lost)]);
        o.push(vec![
            Cell::text("Average won amount"),
            super::opt_money_cell(p, self.average_won_amount),
        ]);
        o.push(vec![
            Cell::text("Average sales cycle (days)"),
            days_cell(p, self.average_cycle_days),
        ]);
        o.push(vec![
            Cell::text("Sales velocity (per day)"),
            super::opt_money_cell(p, self.sales_velocity),
        ]);
        o.notes.push("Sales cycle: days from a won prospect's first journal entry to its win. Velocity: open deals × average won amount × win rate ÷ average cycle.".into());
        vec![g, f, o]
    }

    pub fn csv_grid(&self, _scope: &Scope) -> Grid {
        let mut g = Grid::new(&[
            "stage",
            "label",
            "phase",
            "outcome",
            "count",
            "share",
            "amount",
            "weighted",
            "without_amount",
            "average_days",
            "median_days",
            "stale",
            "reached",
            "conversion_next",
            "conversion_cumulative",
        ]);
        let ratio = |r: Option<Ratio>| r.map(Ratio::plain).unwrap_or_default();
        let days = |d: Option<Days>| d.map(Days::plain).unwrap_or_default();
        for r in &self.stages {
            g.push(
                [
                    r.id.clone(),
                    r.label.clone(),
                    r.phase.key().into(),
                    r.outcome.key().into(),
                    r.count.to_string(),
                    ratio(r.share),
                    r.amount.plain(),
                    r.weighted.plain(),
                    r.without_amount.to_string(),
                    days(r.average_days),
                    days(r.median_days),
                    r.stale.to_string(),
                    r.reached.to_string(),
                    ratio(r.conversion_next),
                    ratio(r.conversion_cumulative),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }

    /// The funnel drawn as a funnel: open stages as centred bands, then the closed stages.
    pub fn charts(&self, scope: &Scope) -> String {
        let p: &Pipeline = scope.p;
        let rows: Vec<(String, Decimal, String)> = self
            .stages
            .iter()
            .filter(|r| r.outcome == Outcome::Open || r.count > 0)
            .map(|r| {
                let v = self.measure(r);
                let text = format!(
                    "{} — {} — {}",
                    r.label,
                    r.count,
                    crate::render::money(p, r.amount.0)
                );
                (r.id.clone(), v, text)
            })
            .collect();
        let open: Vec<bool> = self
            .stages
            .iter()
            .filter(|r| r.outcome == Outcome::Open || r.count > 0)
            .map(|r| r.outcome == Outcome::Open)
            .collect();
        html::funnel_svg(&rows, &open)
    }
}
