//! The forecast: open prospects' amounts, unweighted and weighted, by month of
//! expected decision over the next 12 months (from the month of `--as-of`),
//! with the overdue, the later and the undated in rows of their own, by stage.

use super::{Meta, Money, Scope, Seen, Tally, count_cell, html, money_cell, tally_notes, weigh};
use crate::output::{Cell, Grid};
use crate::pipeline::{Locale, Pipeline};
use crate::prospect::Prospect;
use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

const MONTHS: usize = 12;

#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    count: u64,
    amount: Decimal,
    weighted: Decimal,
    without_amount: u64,
}

impl Acc {
    fn add(&mut self, amount: Option<Decimal>, weighted: Option<Decimal>) {
        self.count += 1;
        match amount {
            Some(a) => self.amount += a,
            None => self.without_amount += 1,
        }
        self.weighted += weighted.unwrap_or_default();
    }
}

pub struct Builder {
    /// Rows: overdue, the 12 months, later, undated; each per stage.
    rows: Vec<Vec<Acc>>,
    first: NaiveDate,
    tally: Tally,
}

fn month_index(first: NaiveDate, d: NaiveDate) -> i64 {
    i64::from(d.year() - first.year()) * 12 + i64::from(d.month()) - i64::from(first.month())
}

impl Builder {
    pub fn new(scope: &Scope) -> Builder {
        Builder {
            rows: vec![vec![Acc::default(); scope.p.stages.len()]; MONTHS + 3],
            first: scope.as_of.with_day(1).expect("the first of a month"),
            tally: Tally::default(),
        }
    }

    pub fn add(&mut self, scope: &Scope, x: &Prospect) {
        let seen = scope.observe(x);
        self.tally.note(&seen);
        let Seen::Counted(f) = seen else { return };
        if !f.open {
            return;
        }
        let row = match f.x.expected_close {
            None => MONTHS + 2,
            Some(d) if d < scope.as_of => 0,
            Some(d) => match month_index(self.first, d) {
                m if m < MONTHS as i64 => 1 + m as usize,
                _ => MONTHS + 1,
            },
        };
        self.rows[row][f.x.stage].add(
            f.x.amount,
            f.x.amount.map(|a| weigh(a, f.x.probability(scope.p))),
        );
    }

    pub fn finish(self, scope: &Scope) -> Forecast {
        let p = scope.p;
        let mut months = Vec::new();
        let mut total = Acc::default();
        for (r, per_stage) in self.rows.iter().enumerate() {
            let period = match r {
                0 => "overdue".to_string(),
                r if r <= MONTHS => {
                    let d = self
                        .first
                        .checked_add_months(chrono::Months::new(r as u32 - 1))
                        .expect("a month");
                    d.format("%Y-%m").to_string()
                }
                r if r == MONTHS + 1 => "later".to_string(),
                _ => "undated".to_string(),
            };
            let mut sum = Acc::default();
            let mut stages = Vec::new();
            for (i, a) in per_stage.iter().enumerate() {
                if a.count == 0 {
                    continue;
                }
                sum.count += a.count;
                sum.amount += a.amount;
                sum.weighted += a.weighted;
                sum.without_amount += a.without_amount;
                stages.push(StageFigures {
                    id: p.stages[i].id.clone(),
                    count: a.count,
                    amount: Money(a.amount),
                    weighted: Money(a.weighted),
                });
            }
            total.count += sum.count;
            total.amount += sum.amount;
            total.weighted += sum.weighted;
            total.without_amount += sum.without_amount;
            months.push(Month {
                period,
                count: sum.count,
                amount: Money(sum.amount),
                weighted: Money(sum.weighted),
                without_amount: sum.without_amount,
                stages,
            });
        }
        Forecast {
            meta: scope.meta("forecast"),
            months,
            total: Figures {
                count: total.count,
                amount: Money(total.amount),
                weighted: Money(total.weighted),
                without_amount: total.without_amount,
            },
            not_counted: self.tally.unknown,
            tally: self.tally,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageFigures {
    pub id: String,
    pub count: u64,
    pub amount: Money,
    pub weighted: Money,
}

#[derive(Debug, Clone, Serialize)]
pub struct Month {
    /// `overdue`, `YYYY-MM`, `later` (beyond the 12 months) or `undated`.
    pub period: String,
    pub count: u64,
    pub amount: Money,
    pub weighted: Money,
    pub without_amount: u64,
    /// The stages with prospects in this row, in pipeline order.
    pub stages: Vec<StageFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub count: u64,
    pub amount: Money,
    pub weighted: Money,
    pub without_amount: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Forecast {
    #[serde(flatten)]
    pub meta: Meta,
    pub months: Vec<Month>,
    pub total: Figures,
    pub not_counted: u64,
    #[serde(skip)]
    tally: Tally,
}

fn period_label(p: &Pipeline, period: &str) -> String {
    match period {
        "overdue" => "Overdue".into(),
        "later" => "Later".into(),
        "undated" => "No date".into(),
        ym => match (p.locale, ym.split_once('-')) {
            (Locale::Fr, Some((y, m))) => format!("{m}/{y}"),
            _ => ym.to_string(),
        },
    }
}

impl Forecast {
    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        let p = scope.p;
        let mut g = Grid::new(&[
            "Decision",
            "Count",
            "Amount",
            "Weighted",
            "Cumulative weighted",
        ])
        .with_priority(&[0, 0, 0, 0, 1]);
        g.title = Some("Open prospects by month of expected decision".into());
        let mut cumulative = Decimal::ZERO;
        for m in &self.months {
            cumulative += m.weighted.0;
            g.push(vec![
                Cell::text(period_label(p, &m.period)),
                count_cell(m.count),
                money_cell(p, m.amount),
                money_cell(p, m.weighted),
                money_cell(p, Money(cumulative)),
            ]);
        }
        g.push_total(vec![
            Cell::text("Total"),
            count_cell(self.total.count),
            money_cell(p, self.total.amount),
            money_cell(p, self.total.weighted),
            Cell::empty(),
        ]);
        g.notes.push(format!(
            "Overdue: expected decision before {}. Later: beyond the 12 months shown.",
            crate::render::date(p, scope.as_of)
        ));
        if self.total.without_amount > 0 {
            g.notes.push(format!(
                "{} no amount: counted, but adding nothing to the amounts.",
                super::plural(self.total.without_amount, "prospect has", "prospects have")
            ));
        }
        g.notes.extend(tally_notes(scope, &self.tally));
        let mut s = self.stage_grid(scope, true);
        s.title = Some("By month and stage".into());
        vec![g, s]
    }

    fn stage_grid(&self, scope: &Scope, shown: bool) -> Grid {
        let p = scope.p;
        let mut g = if shown {
            Grid::new(&["Decision", "Stage", "Count", "Amount", "Weighted"])
        } else {
            Grid::new(&["period", "stage", "label", "count", "amount", "weighted"])
        };
        for m in &self.months {
            for s in &m.stages {
                let label = p
                    .find_stage(&s.id)
                    .map_or(s.id.clone(), |i| p.stages[i].label.clone());
                let mut row = if shown {
                    vec![Cell::text(period_label(p, &m.period)), Cell::text(label)]
                } else {
                    vec![Cell::text(&m.period), Cell::text(&s.id), Cell::text(label)]
                };
                row.extend([
                    count_cell(s.count),
                    money_cell(p, s.amount),
                    money_cell(p, s.weighted),
                ]);
                g.push(row);
            }
        }
        g
    }

    /// The CSV: one row per period and stage.
    pub fn csv_grid(&self, scope: &Scope) -> Grid {
        self.stage_grid(scope, false)
    }

    pub fn charts(&self, scope: &Scope) -> String {
        let p = scope.p;
        let bars: Vec<html::Bar> = self
            .months
            .iter()
            .map(|m| html::Bar {
                label: period_label(p, &m.period),
                value: m.amount.0,
                inner: m.weighted.0,
                text: format!(
                    "{} — weighted {}",
                    crate::render::money(p, m.amount.0),
                    crate::render::money(p, m.weighted.0)
                ),
            })
            .collect();
        html::bars_svg(
            "Amount by month of expected decision (weighted inside)",
            &bars,
        )
    }
}
