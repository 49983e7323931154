//! Calibration: each open stage's configured probability beside the share of
//! the prospects that passed through the stage and ended won, with the
//! number of cases and a 95 % confidence interval (Wilson score), flagging
//! the stages whose probability lies outside it. It only reports: a
//! probability changes when someone edits `pipeline.toml`.
//!
//! Pure: the command reads the register and the journal and hands them
//! here. The report is a value ([`Calibration`]) with its renderers beside it.

use crate::dates::Period;
use crate::journal::{StageEvent, StageEventsById};
use crate::output::{Cell, Grid};
use crate::pipeline::{Outcome, Pipeline};
use crate::render;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

/// z for a two-sided 95 % interval.
const Z: f64 = 1.959_963_984_540_054;

/// What the history says of a stage's probability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The configured probability lies inside the interval.
    Consistent,
    /// Above the interval: the stage promises more than it delivers.
    TooHigh,
    /// Below the interval.
    TooLow,
    /// Fewer cases than `min_cases`: too few to judge.
    Thin,
}

impl Verdict {
    pub fn key(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::TooHigh => "too_high",
            Verdict::TooLow => "too_low",
            Verdict::Thin => "thin",
        }
    }

    fn words(self) -> &'static str {
        match self {
            Verdict::Consistent => "consistent",
            Verdict::TooHigh => "too high",
            Verdict::TooLow => "too low",
            Verdict::Thin => "too few cases",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Row {
    pub stage: usize,
    pub configured: Decimal,
    /// Prospects that passed through the stage and have ended (won or lost).
    pub cases: u32,
    pub won: u32,
    /// Prospects that passed through the stage and are still open.
    pub open: u32,
    /// Won share of the cases, in percent.
    pub observed: Option<f64>,
    /// 95 % Wilson score interval of the won share, in percent.
    pub interval: Option<(f64, f64)>,
    pub verdict: Verdict,
}

#[derive(Debug, Clone)]
pub struct Calibration {
    /// Prospects that entered a stage in this period count for it; outcomes are read as of its end.
    pub period: Option<Period>,
    pub as_of: chrono::NaiveDate,
    pub owner: Option<String>,
    pub product: Option<String>,
    pub min_cases: u32,
    pub rows: Vec<Row>,
}

/// The 95 % Wilson score interval of `k` successes in `n` trials, as shares from 0 to 1.
pub fn wilson(k: u32, n: u32) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (k, n) = (f64::from(k), f64::from(n));
    let phat = k / n;
    let z2 = Z * Z;
    let denom = 1.0 + z2 / n;
    let center = (phat + z2 / (2.0 * n)) / denom;
    let half = Z * (phat * (1.0 - phat) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

impl Calibration {
    /// `included` says which prospects count (the filters); `from` limits them
    /// to those that entered the stage on or after it; outcomes are as of `as_of`.
    pub fn compute(
        p: &Pipeline,
        events: &StageEventsById,
        included: impl Fn(&str) -> bool,
        from: Option<chrono::NaiveDate>,
        as_of: chrono::NaiveDate,
        owner: Option<String>,
        product: Option<String>,
    ) -> Calibration {
        let mut rows: Vec<Row> = p
            .stages
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_open())
            .map(|(i, s)| Row {
                stage: i,
                configured: s.probability,
                cases: 0,
                won: 0,
                open: 0,
                observed: None,
                interval: None,
                verdict: Verdict::Thin,
            })
            .collect();
        let row_of: HashMap<usize, usize> = rows
            .iter()
            .enumerate()
            .map(|(r, row)| (row.stage, r))
            .collect();
        for (_, id, ev) in events.iter() {
            if !included(&id) {
                continue;
            }
            let known: Vec<StageEvent> = ev.filter(|e| e.date <= as_of).collect();
            let Some(last) = known.iter().max_by_key(|e| (e.date, e.line)) else {
                continue;
            };
            let Some(outcome) = last.stage.map(|s| p.stages[s].outcome) else {
                continue;
            };
            let mut passed: HashSet<usize> = HashSet::new();
            for e in &known {
                if let Some(s) = e.stage
                    && from.is_none_or(|f| e.date >= f)
                {
                    passed.insert(s);
                }
            }
            for s in passed {
                let Some(&r) = row_of.get(&s) else { continue };
                match outcome {
                    Outcome::Open => rows[r].open += 1,
                    Outcome::Won => {
                        rows[r].cases += 1;
                        rows[r].won += 1;
                    }
                    Outcome::Lost => rows[r].cases += 1,
                }
            }
        }
        for row in &mut rows {
            row.observed =
                (row.cases > 0).then(|| 100.0 * f64::from(row.won) / f64::from(row.cases));
            row.interval = wilson(row.won, row.cases).map(|(lo, hi)| (100.0 * lo, 100.0 * hi));
            let configured = row.configured.to_string().parse::<f64>().unwrap_or(0.0);
            row.verdict = match row.interval {
                Some(_) if row.cases < p.min_cases => Verdict::Thin,
                Some((lo, _)) if configured < lo => Verdict::TooLow,
                Some((_, hi)) if configured > hi => Verdict::TooHigh,
                Some(_) => Verdict::Consistent,
                None => Verdict::Thin,
            };
        }
        Calibration {
            period: from.map(|f| Period { from: f, to: as_of }),
            as_of,
            owner,
            product,
            min_cases: p.min_cases,
            rows,
        }
    }

    pub fn title(&self, p: &Pipeline) -> String {
        let mut t = match self.period {
            Some(per) => format!(
                "Calibration of the stage probabilities: prospects that entered a stage from {} to {}",
                render::date(p, per.from),
                render::date(p, per.to)
            ),
            None => format!(
                "Calibration of the stage probabilities: the whole history to {}",
                render::date(p, self.as_of)
            ),
        };
        if let Some(o) = &self.owner {
            t.push_str(&format!("; owner {o}"));
        }
        if let Some(pr) = &self.product {
            t.push_str(&format!("; product {pr}"));
        }
        t
    }

    /// The table people read.
    pub fn grid(&self, p: &Pipeline) -> Grid {
        let mut g = Grid::new(&[
            "Stage",
            "Configured",
            "Observed",
            "Won / ended",
            "95 % interval",
            "Still open",
            "Verdict",
        ]);
        g.title = Some(self.title(p));
        for r in &self.rows {
            let stage = &p.stages[r.stage];
            g.push(vec![
                Cell::text(&stage.label),
                Cell::number(render::percent(p, r.configured), r.configured.to_string()),
                Cell::number(
                    r.observed
                        .map(|o| percent(p, o, 1))
                        .unwrap_or_else(|| "—".into()),
                    r.observed.map(|o| format!("{o:.2}")).unwrap_or_default(),
                ),
                Cell::number(
                    format!("{} / {}", r.won, r.cases),
                    format!("{}/{}", r.won, r.cases),
                ),
                Cell::number(
                    r.interval
                        .map(|(lo, hi)| format!("{} – {}", percent(p, lo, 0), percent(p, hi, 0)))
                        .unwrap_or_default(),
                    r.interval
                        .map(|(lo, hi)| format!("{lo:.2}-{hi:.2}"))
                        .unwrap_or_default(),
                ),
                Cell::number(r.open.to_string(), r.open.to_string()),
                Cell::text(match r.verdict {
                    Verdict::TooHigh | Verdict::TooLow => format!("! {}", r.verdict.words()),
                    v => v.words().to_string(),
                }),
            ]);
        }
        g.notes = self.notes(p);
        g
    }

    fn notes(&self, p: &Pipeline) -> Vec<String> {
        let mut notes = vec![format!(
            "Observed: share of the prospects that passed through the stage and have since ended (won or lost) that ended won; prospects still open are left out. Interval: 95 % Wilson score interval. A stage is flagged when its configured probability lies outside the interval; with fewer than {} ended cases it is not judged.",
            self.min_cases
        )];
        let flagged: Vec<String> = self
            .rows
            .iter()
            .filter(|r| matches!(r.verdict, Verdict::TooHigh | Verdict::TooLow))
            .map(|r| {
                format!(
                    "{} is configured at {} but {} of {} ended won ({})",
                    p.stages[r.stage].label,
                    render::percent(p, r.configured),
                    r.won,
                    r.cases,
                    r.observed.map(|o| percent(p, o, 1)).unwrap_or_default()
                )
            })
            .collect();
        if !flagged.is_empty() {
            notes.push(format!(
                "Far from the history: {}. `pipe` changes no probability on its own: edit `probability` in {} if the history is right.",
                flagged.join("; "),
                p.source.display()
            ));
        }
        notes
    }

    /// Every figure with plain values, for programs and spreadsheets.
    pub fn csv_grid(&self, p: &Pipeline) -> Grid {
        let mut g = Grid::new(&[
            "stage",
            "label",
            "configured",
            "cases",
            "won",
            "open",
            "observed",
            "low",
            "high",
            "verdict",
        ]);
        let f = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
        for r in &self.rows {
            let s = &p.stages[r.stage];
            g.push(
                [
                    s.id.clone(),
                    s.label.clone(),
                    r.configured.to_string(),
                    r.cases.to_string(),
                    r.won.to_string(),
                    r.open.to_string(),
                    f(r.observed),
                    f(r.interval.map(|i| i.0)),
                    f(r.interval.map(|i| i.1)),
                    r.verdict.key().to_string(),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }

    pub fn json(&self, p: &Pipeline) -> Value {
        let f = |v: f64| (v * 100.0).round() / 100.0;
        json!({
            "from": self.period.map(|x| x.from),
            "as_of": self.as_of,
            "owner": self.owner,
            "product": self.product,
            "min_cases": self.min_cases,
            "confidence": 0.95,
            "stages": self.rows.iter().map(|r| json!({
                "stage": p.stages[r.stage].id,
                "label": p.stages[r.stage].label,
                "configured": r.configured,
                "cases": r.cases,
                "won": r.won,
                "open": r.open,
                "observed": r.observed.map(f),
                "interval": r.interval.map(|(lo, hi)| json!({ "low": f(lo), "high": f(hi) })),
                "verdict": r.verdict.key(),
            })).collect::<Vec<_>>(),
        })
    }
}

/// A percentage computed in f64 (statistics only), rounded for display.
fn percent(p: &Pipeline, v: f64, dp: usize) -> String {
    let d: Decimal = format!("{v:.dp$}").parse().unwrap_or_default();
    render::percent(p, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook() {
        // 4 of 10: 16.8 % to 68.7 % (Wilson 1927; Newcombe 1998, table I).
        let (lo, hi) = wilson(4, 10).unwrap();
        assert!(
            (lo - 0.1682).abs() < 1e-4 && (hi - 0.6873).abs() < 1e-4,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0, 10).unwrap();
        assert!(lo.abs() < 1e-12 && (hi - 0.2775).abs() < 1e-4, "{lo} {hi}");
        let (lo, hi) = wilson(10, 10).unwrap();
        assert!(
            (lo - 0.7225).abs() < 1e-4 && (hi - 1.0).abs() < 1e-12,
            "{lo} {hi}"
        );
        assert_eq!(wilson(0, 0), None);
    }
}
