//! Delays: per open stage, how long decisions take. Days in the stage against
//! its `stale_after`, expected decision dates already passed, and how often
//! decision dates were pushed back (journal changes of `expected_close` to a
//! later date), with the worst offenders listed.

use super::{
    DayStats, Days, Meta, Options, Scope, Seen, Tally, count_cell, date_cell, days_cell,
    tally_notes,
};
use crate::output::{Cell, Grid};
use crate::prospect::Prospect;
use chrono::NaiveDate;
use serde::Serialize;

#[derive(Debug, Clone, Default)]
struct Acc {
    count: u64,
    days: DayStats,
    stale: u64,
    overdue: u64,
    pushed: u64,
    pushes: u64,
}

pub struct Builder {
    stages: Vec<Acc>,
    top: usize,
    offenders: Vec<Offender>,
    /// The rank and id of the last of the top offenders at the last trim:
    /// a prospect that ranks after it can no longer make the list, and is
    /// not made an offender (five strings copied) to be dropped at the next.
    cutoff: Option<((u64, i64, i64), String)>,
    tally: Tally,
}

impl Builder {
    pub fn new(scope: &Scope, opts: Options) -> Builder {
        Builder {
            stages: vec![Acc::default(); scope.p.stages.len()],
            top: opts.top,
            offenders: Vec::new(),
            cutoff: None,
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
        let p = scope.p;
        let stage = &p.stages[f.x.stage];
        let a = &mut self.stages[f.x.stage];
        a.count += 1;
        if let Some(d) = f.days {
            a.days.add(d);
        }
        a.stale += u64::from(f.stale);
        let overdue_days =
            f.x.expected_close
                .filter(|&d| d < scope.as_of)
                .map(|d| (scope.as_of - d).num_days());
        a.overdue += u64::from(overdue_days.is_some());
        let pushes = f.pushes;
        a.pushed += u64::from(pushes > 0);
        a.pushes += pushes;
        let stale_by = match (&stage.stale_after, f.x.stage_since) {
            (Some(h), Some(since)) if f.stale => {
                Some((scope.as_of - h.term.after(since)).num_days())
            }
            _ => None,
        };
        if pushes == 0 && overdue_days.is_none() && stale_by.is_none() || self.top == 0 {
            return;
        }
        let rank = rank_of(pushes, overdue_days, stale_by);
        if let Some((last, last_id)) = &self.cutoff
            && (rank < *last || rank == *last && f.x.id >= *last_id)
        {
            return;
        }
        let o = Offender {
            id: f.x.id.clone(),
            name: f.x.display_name().to_string(),
            owner: f.x.owner.clone(),
            stage: stage.id.clone(),
            days_in_stage: f.days,
            stale_after: stage.stale_after.as_ref().map(|h| h.term.to_string()),
            stale_by,
            expected_close: f.x.expected_close,
            overdue_days,
            pushes,
        };
        self.offenders.push(o);
        if self.offenders.len() > self.top * 2 {
            self.trim();
        }
    }

    fn trim(&mut self) {
        self.offenders
            .sort_by(|a, b| b.rank().cmp(&a.rank()).then_with(|| a.id.cmp(&b.id)));
        self.offenders.truncate(self.top);
        if self.offenders.len() == self.top {
            self.cutoff = self.offenders.last().map(|o| (o.rank(), o.id.clone()));
        }
    }

    pub fn finish(mut self, scope: &Scope) -> Delays {
        self.trim();
        let p = scope.p;
        let stages = p
            .stages
            .iter()
            .zip(&self.stages)
            .filter(|(s, _)| s.is_open())
            .map(|(s, a)| StageDelays {
                id: s.id.clone(),
                label: s.label.clone(),
                count: a.count,
                average_days: a.days.mean(),
                median_days: a.days.median(),
                max_days: a.days.max(),
                stale_after: s.stale_after.as_ref().map(|h| h.term.to_string()),
                stale: a.stale,
                overdue: a.overdue,
                pushed: a.pushed,
                pushes: a.pushes,
            })
            .collect();
        Delays {
            meta: scope.meta("delays"),
            stages,
            offenders: self.offenders,
            not_counted: self.tally.unknown,
            tally: self.tally,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageDelays {
    pub id: String,
    pub label: String,
    pub count: u64,
    pub average_days: Option<Days>,
    pub median_days: Option<Days>,
    pub max_days: Option<i64>,
    pub stale_after: Option<String>,
    /// Longer in the stage than `stale_after`.
    pub stale: u64,
    /// Expected decision date before `as_of`.
    pub overdue: u64,
    /// Prospects whose decision date was pushed back at least once.
    pub pushed: u64,
    /// Times decision dates were pushed back.
    pub pushes: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Offender {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub stage: String,
    pub days_in_stage: Option<i64>,
    pub stale_after: Option<String>,
    /// Days beyond `stale_after`.
    pub stale_by: Option<i64>,
    pub expected_close: Option<NaiveDate>,
    pub overdue_days: Option<i64>,
    pub pushes: u64,
}

impl Offender {
    /// Worst first: most pushes, then longest overdue, then longest past the stale limit.
    fn rank(&self) -> (u64, i64, i64) {
        rank_of(self.pushes, self.overdue_days, self.stale_by)
    }
}

/// An offender's [`Offender::rank`], before it is made.
fn rank_of(pushes: u64, overdue_days: Option<i64>, stale_by: Option<i64>) -> (u64, i64, i64) {
    (pushes, overdue_days.unwrap_or(-1), stale_by.unwrap_or(-1))
}

#[derive(Debug, Clone, Serialize)]
pub struct Delays {
    #[serde(flatten)]
    pub meta: Meta,
    pub stages: Vec<StageDelays>,
    /// The worst offenders, worst first (`--top`).
    pub offenders: Vec<Offender>,
    pub not_counted: u64,
    #[serde(skip)]
    tally: Tally,
}

impl Delays {
    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        let p = scope.p;
        let mut g = Grid::new(&[
            "Stage", "Open", "Avg days", "Median", "Max", "Limit", "Stale", "Overdue", "Pushed",
            "Pushes",
        ])
        .with_priority(&[0, 0, 0, 3, 2, 1, 0, 0, 4, 0]);
        g.title = Some("Open stages".into());
        for s in &self.stages {
            g.push(vec![
                Cell::text(&s.label),
                count_cell(s.count),
                days_cell(p, s.average_days),
                days_cell(p, s.median_days),
                s.max_days
                    .map_or_else(|| Cell::number("–", ""), |d| count_cell(d as u64)),
                Cell::text(s.stale_after.clone().unwrap_or_default()),
                count_cell(s.stale),
                count_cell(s.overdue),
                count_cell(s.pushed),
                count_cell(s.pushes),
            ]);
        }
        g.notes.push(format!(
            "Stale: longer in the stage than its limit (stale_after). Overdue: expected decision before {}. Pushed: prospects whose decision date was moved later at least once; pushes: how many times.",
            crate::render::date(p, scope.as_of)
        ));
        g.notes.extend(tally_notes(scope, &self.tally));
        let mut o = Grid::new(&[
            "Id",
            "Prospect",
            "Owner",
            "Stage",
            "Days",
            "Over limit",
            "Decision",
            "Overdue",
            "Pushes",
        ])
        .with_priority(&[0, 1, 4, 2, 5, 3, 6, 0, 0]);
        o.title = Some("Worst offenders".into());
        for x in &self.offenders {
            let label = p
                .find_stage(&x.stage)
                .map_or(x.stage.clone(), |i| p.stages[i].label.clone());
            let opt = |v: Option<i64>| {
                v.map_or_else(Cell::empty, |d| Cell::number(d.to_string(), d.to_string()))
            };
            o.push(vec![
                Cell::text(&x.id),
                Cell::text(&x.name),
                Cell::text(&x.owner),
                Cell::text(label),
                opt(x.days_in_stage),
                opt(x.stale_by),
                date_cell(p, x.expected_close),
                opt(x.overdue_days),
                count_cell(x.pushes),
            ]);
        }
        if self.offenders.is_empty() {
            o.notes
                .push("No open prospect is stale, overdue or pushed back.".into());
        }
        o.notes.push(
            "Worst first: most pushes, then longest overdue, then longest over the stale limit."
                .into(),
        );
        vec![g, o]
    }

    /// The CSV: the offenders.
    pub fn csv_grid(&self, _scope: &Scope) -> Grid {
        let mut g = Grid::new(&[
            "id",
            "name",
            "owner",
            "stage",
            "days_in_stage",
            "stale_after",
            "stale_by",
            "expected_close",
            "overdue_days",
            "pushes",
        ]);
        let n = |v: Option<i64>| v.map(|d| d.to_string()).unwrap_or_default();
        for x in &self.offenders {
            g.push(
                [
                    x.id.clone(),
                    x.name.clone(),
                    x.owner.clone(),
                    x.stage.clone(),
                    n(x.days_in_stage),
                    x.stale_after.clone().unwrap_or_default(),
                    n(x.stale_by),
                    x.expected_close.map(|d| d.to_string()).unwrap_or_default(),
                    n(x.overdue_days),
                    x.pushes.to_string(),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }
}
