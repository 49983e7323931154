//! Movement between `--from` and `--to`: the open pipeline at the start (the
//! end of the day before `--from`) and at the end (the end of `--to`), the
//! flows between them, per-stage counts, and the stage-to-stage moves.
//!
//! Each prospect is compared at the two dates, so the open pipeline
//! reconciles exactly:
//! `end = start + new + reopened − won − lost − removed + revalued`, where
//! `new` are the prospects that appeared (whatever their stage), `won` and
//! `lost` those that closed having been open or new, `reopened` those that
//! came back from a closed stage, `removed` those that left the register,
//! and `revalued` the change of amount of the prospects open at the start.
//! Won, lost and new amounts are taken at the end; removed at the start.

use super::replay::{AsOf, State};
use super::{Meta, Money, Scope, count_cell, money_cell, plural};
use crate::output::{Cell, Grid};
use crate::pipeline::Outcome;
use crate::prospect::Prospect;
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Flow {
    pub count: u64,
    pub amount: Money,
}

impl Flow {
    fn add(&mut self, amount: Option<Decimal>) {
        self.count += 1;
        self.amount += amount.unwrap_or_default();
    }
}

pub struct Builder {
    start_day: NaiveDate,
    start: Flow,
    end: Flow,
    new: Flow,
    reopened: Flow,
    won: Flow,
    lost: Flow,
    removed: Flow,
    revalued: Decimal,
    stage_start: Vec<u64>,
    stage_end: Vec<u64>,
    /// (from, to) → count; `None` is outside the pipeline (added, removed).
    moves: BTreeMap<(Option<usize>, Option<usize>), u64>,
    unknown: u64,
    counted: u64,
}

impl Builder {
    pub fn new(scope: &Scope) -> Builder {
        let n = scope.p.stages.len();
        Builder {
            start_day: scope.from - Days::new(1),
            start: Flow::default(),
            end: Flow::default(),
            new: Flow::default(),
            reopened: Flow::default(),
            won: Flow::default(),
            lost: Flow::default(),
            removed: Flow::default(),
            revalued: Decimal::ZERO,
            stage_start: vec![0; n],
            stage_end: vec![0; n],
            moves: BTreeMap::new(),
            unknown: 0,
            counted: 0,
        }
    }

    pub fn add(&mut self, scope: &Scope, x: &Prospect) {
        let p = scope.p;
        let at = |d| scope.history.full().state_at(x, d, scope.today, p);
        let (start, end) = match (at(self.start_day), at(scope.to)) {
            (State::Unknown, _) | (_, State::Unknown) => {
                self.unknown += 1;
                return;
            }
            (State::Present(a), State::Present(b)) => (Some(a), Some(b)),
            (State::Present(a), State::Absent) => (Some(a), None),
            (State::Absent, State::Present(b)) => (None, Some(b)),
            (State::Absent, State::Absent) => return,
        };
        let judged = end.as_deref().or(start.as_deref()).expect("one of the two");
        if !scope.filter.accepts(p, judged) {
            return;
        }
        self.counted += 1;
        let outcome = |y: &Option<AsOf>| y.as_ref().map(|y| p.stages[y.stage].outcome);
        let (o_start, o_end) = (outcome(&start), outcome(&end));
        let a_start = start.as_ref().and_then(|y| y.amount);
        let a_end = end.as_ref().and_then(|y| y.amount);
        if let Some(y) = &start {
            self.stage_start[y.stage] += 1;
        }
        if let Some(y) = &end {
            self.stage_end[y.stage] += 1;
        }
        if o_start == Some(Outcome::Open) {
            self.start.add(a_start);
        }
        if o_end == Some(Outcome::Open) {
            self.end.add(a_end);
        }
        match (o_start, o_end) {
            (None, Some(_)) => self.new.add(a_end),
            (Some(Outcome::Won | Outcome::Lost), Some(Outcome::Open)) => self.reopened.add(a_end),
            (Some(Outcome::Open), None) => self.removed.add(a_start),
            _ => {}
        }
        if matches!(o_start, None | Some(Outcome::Open)) {
            match o_end {
                Some(Outcome::Won) => self.won.add(a_end),
                Some(Outcome::Lost) => self.lost.add(a_end),
                _ => {}
            }
        }
        if o_start == Some(Outcome::Open) && end.is_some() {
            self.revalued += a_end.unwrap_or_default() - a_start.unwrap_or_default();
        }
        if let Some(log) = scope.history.full().log(&x.id) {
            for e in log.stages_between(scope.from, scope.to) {
                if e.from != e.to {
                    *self.moves.entry((e.from, e.to)).or_default() += 1;
                }
            }
        }
    }

    pub fn finish(self, scope: &Scope) -> Movement {
        let p = scope.p;
        let mut stages = Vec::new();
        for (i, s) in p.stages.iter().enumerate() {
            let into: u64 = self
                .moves
                .iter()
                .filter(|((_, t), _)| *t == Some(i))
                .map(|(_, c)| c)
                .sum();
            let out: u64 = self
                .moves
                .iter()
                .filter(|((f, _), _)| *f == Some(i))
                .map(|(_, c)| c)
                .sum();
            let (start, end) = (self.stage_start[i], self.stage_end[i]);
            stages.push(StageFlow {
                id: s.id.clone(),
                label: s.label.clone(),
                start,
                moved_in: into,
                moved_out: out,
                unrecorded: end as i64 - (start as i64 + into as i64 - out as i64),
                end,
            });
        }
        let id = |s: Option<usize>| s.map(|s| p.stages[s].id.clone());
        let moves = self
            .moves
            .iter()
            .map(|(&(f, t), &count)| Move {
                from: id(f),
                to: id(t),
                count,
            })
            .collect();
        let expected = self.start.amount.0 + self.new.amount.0 + self.reopened.amount.0
            - self.won.amount.0
            - self.lost.amount.0
            - self.removed.amount.0
            + self.revalued;
        let expected_count = (self.start.count + self.new.count + self.reopened.count) as i64
            - (self.won.count + self.lost.count + self.removed.count) as i64;
        Movement {
            meta: scope.meta("movement"),
            start_date: self.start_day,
            open_start: self.start,
            new: self.new,
            reopened: self.reopened,
            won: self.won,
            lost: self.lost,
            removed: self.removed,
            revalued: Money(self.revalued),
            open_end: self.end,
            balanced: expected == self.end.amount.0 && expected_count == self.end.count as i64,
            stages,
            moves,
            not_counted: self.unknown,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct StageFlow {
    pub id: String,
    pub label: String,
    pub start: u64,
    #[serde(rename = "in")]
    pub moved_in: u64,
    #[serde(rename = "out")]
    pub moved_out: u64,
    /// Changes the journal does not hold (edits made in a spreadsheet and not synced).
    pub unrecorded: i64,
    pub end: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Move {
    /// `null`: added.
    pub from: Option<String>,
    /// `null`: removed.
    pub to: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Movement {
    #[serde(flatten)]
    pub meta: Meta,
    /// The day whose end is the start (the day before `from`).
    pub start_date: NaiveDate,
    pub open_start: Flow,
    pub new: Flow,
    pub reopened: Flow,
    pub won: Flow,
    pub lost: Flow,
    pub removed: Flow,
    pub revalued: Money,
    pub open_end: Flow,
    /// Whether `open_end = open_start + new + reopened − won − lost − removed + revalued` (always, by construction).
    pub balanced: bool,
    pub stages: Vec<StageFlow>,
    pub moves: Vec<Move>,
    pub not_counted: u64,
}

impl Movement {
    fn flows(&self) -> Vec<(&'static str, &'static str, Option<u64>, Money)> {
        vec![
            (
                "open_start",
                "Open at the start",
                Some(self.open_start.count),
                self.open_start.amount,
            ),
            ("new", "+ New", Some(self.new.count), self.new.amount),
            (
                "reopened",
                "+ Reopened",
                Some(self.reopened.count),
                self.reopened.amount,
            ),
            ("won", "− Won", Some(self.won.count), self.won.amount),
            ("lost", "− Lost", Some(self.lost.count), self.lost.amount),
            (
                "removed",
                "− Removed",
                Some(self.removed.count),
                self.removed.amount,
            ),
            ("revalued", "± Amounts changed", None, self.revalued),
            (
                "open_end",
                "= Open at the end",
                Some(self.open_end.count),
                self.open_end.amount,
            ),
        ]
    }

    pub fn grids(&self, scope: &Scope) -> Vec<Grid> {
        let p = scope.p;
        let mut g = Grid::new(&["Open pipeline", "Count", "Amount"]);
        g.title = Some(format!(
            "From the end of {} to the end of {}",
            crate::render::date(p, self.start_date),
            crate::render::date(p, scope.to)
        ));
        for (i, (_, label, count, amount)) in self.flows().into_iter().enumerate() {
            let row = vec![
                Cell::text(label),
                count.map_or_else(Cell::empty, count_cell),
                money_cell(p, amount),
            ];
            if i == 0 || i == 7 {
                g.push_total(row);
            } else {
                g.push(row);
            }
        }
        g.notes.push("New: prospects that appeared, whatever their stage; won and lost: closed having been open or new (amounts at the end); removed: open at the start and no longer in the register (amount at the start); amounts changed: of the prospects open at the start.".into());
        if !self.balanced {
            g.notes
                .push("The flows do not add up: please report this as a bug.".into());
        }
        if self.not_counted > 0 {
            g.notes.push(format!(
                "{} not counted: the journal does not say where {} stood at one of the two dates.",
                plural(self.not_counted, "prospect", "prospects"),
                if self.not_counted == 1 { "it" } else { "they" }
            ));
        }

        let unrecorded = self.stages.iter().any(|s| s.unrecorded != 0);
        let mut heads = vec!["Stage", "Start", "In", "Out"];
        if unrecorded {
            heads.push("Unrecorded");
        }
        heads.push("End");
        let mut s = Grid::new(&heads);
        s.title = Some("Stages".into());
        for st in &self.stages {
            let mut row = vec![
                Cell::text(&st.label),
                count_cell(st.start),
                count_cell(st.moved_in),
                count_cell(st.moved_out),
            ];
            if unrecorded {
                row.push(Cell::number(
                    format!("{:+}", st.unrecorded),
                    st.unrecorded.to_string(),
                ));
            }
            row.push(count_cell(st.end));
            s.push(row);
        }
        s.notes.push("In and out: moves recorded in the journal during the period (adds count as in, removals as out).".into());
        if unrecorded {
            s.notes.push("Unrecorded: stage changes made in the register without the journal; `pipe sync` records them.".into());
        }

        let label = |id: &Option<String>, none: &str| match id {
            Some(id) => p
                .find_stage(id)
                .map_or(id.clone(), |i| p.stages[i].label.clone()),
            None => none.to_string(),
        };
        let mut m = Grid::new(&["From", "To", "Moves"]);
        m.title = Some("Moves".into());
        for mv in &self.moves {
            m.push(vec![
                Cell::text(label(&mv.from, "(new)")),
                Cell::text(label(&mv.to, "(removed)")),
                count_cell(mv.count),
            ]);
        }
        vec![g, s, m]
    }

    /// The CSV: the flows of the open pipeline.
    pub fn csv_grid(&self, _scope: &Scope) -> Grid {
        let mut g = Grid::new(&["flow", "count", "amount"]);
        for (key, _, count, amount) in self.flows() {
            g.push(vec![
                Cell::text(key),
                Cell::text(count.map(|c| c.to_string()).unwrap_or_default()),
                Cell::text(amount.plain()),
            ]);
        }
        g
    }
}
