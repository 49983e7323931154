//! The sales-effort model: how many prospects reach each milestone, what
//! share of one step reaches the next and in how many days, and how many
//! hours of work each milestone costs; then, working backwards from a
//! target, what it will take.
//!
//! Pure: the command reads the register, the journal and the activity log,
//! and hands them here. The report is a value ([`Effort`], [`Plan`]) with
//! its renderers beside it. docs/effort.md explains every figure.

use crate::activity::Activity;
use crate::dates::Period;
use crate::hours::Hours;
use crate::journal::{StageEvent, StageEventsById};
use crate::output::{Cell, Grid};
use crate::pipeline::{Milestone, Pipeline};
use crate::render;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

// ------------------------------------------------------------------ figures

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The history, with at least `min_cases` cases.
    Observed,
    /// `pipeline.toml`, because the history holds fewer than `min_cases` cases.
    Assumed,
    /// The history, although it holds fewer than `min_cases` cases: no assumption is declared.
    Thin,
    /// Neither: no case and no assumption.
    Missing,
}

impl Basis {
    pub fn key(self) -> &'static str {
        match self {
            Basis::Observed => "observed",
            Basis::Assumed => "assumed",
            Basis::Thin => "thin",
            Basis::Missing => "missing",
        }
    }

    /// What the table puts after a value: `*` for an assumption, `?` for a thin history.
    fn marker(self) -> &'static str {
        match self {
            Basis::Assumed => "*",
            Basis::Thin => "?",
            _ => "",
        }
    }
}

/// A rate measured in the history, with the number of cases it rests on,
/// and the assumption that replaces it when the cases are too few.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub observed: Option<Decimal>,
    pub cases: u32,
    pub assumed: Option<Decimal>,
    pub basis: Basis,
}

impl Figure {
    fn new(observed: Option<Decimal>, cases: u32, assumed: Option<Decimal>, min: u32) -> Figure {
        let basis = match (observed, assumed) {
            (Some(_), _) if cases >= min => Basis::Observed,
            (_, Some(_)) => Basis::Assumed,
            (Some(_), None) => Basis::Thin,
            (None, None) => Basis::Missing,
        };
        Figure {
            observed,
            cases,
            assumed,
            basis,
        }
    }

    /// The value to use: observed, else assumed.
    pub fn value(&self) -> Option<Decimal> {
        match self.basis {
            Basis::Observed | Basis::Thin => self.observed,
            Basis::Assumed => self.assumed,
            Basis::Missing => None,
        }
    }

    fn json(&self, dp: u32) -> Value {
        json!({
            "value": self.value().map(|v| round(v, dp)),
            "basis": self.basis.key(),
            "observed": self.observed.map(|v| round(v, dp)),
            "cases": self.cases,
            "assumed": self.assumed.map(|v| round(v, dp)),
        })
    }
}

fn round(v: Decimal, dp: u32) -> Decimal {
    let mut r = v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    r
}

fn median(mut v: Vec<i64>) -> Option<Decimal> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        Decimal::from(v[n / 2])
    } else {
        Decimal::from(v[n / 2 - 1] + v[n / 2]) / Decimal::TWO
    })
}

// ------------------------------------------------------------------- inputs

/// Which prospects the figures cover.
pub struct Scope {
    /// The register's prospects that pass the filters, with their amounts.
    pub amounts: Amounts,
    /// No filter is set: prospects the journal or the log knows but the register no longer holds count too.
    pub all: bool,
    /// The filters, as the person typed them, for the title.
    pub owner: Option<String>,
    pub product: Option<String>,
}

impl Scope {
    fn includes(&self, id: &str) -> bool {
        self.all || self.amounts.ids.find(id).is_some()
    }
}

/// Prospects' amounts by id: the ids once each, the amounts by number.
#[derive(Default)]
pub struct Amounts {
    ids: crate::ids::Ids,
    amounts: Vec<Option<Decimal>>,
}

impl Amounts {
    /// Sets `id`'s amount (a later row with the same id replaces it).
    pub fn insert(&mut self, id: &str, amount: Option<Decimal>) {
        let (n, new) = self.ids.insert(id);
        if new {
            self.amounts.push(amount);
        } else {
            self.amounts[n as usize] = amount;
        }
    }

    /// `id`'s amount; none when it has none or is not here.
    pub fn get(&self, id: &str) -> Option<Decimal> {
        self.amounts[self.ids.find(id)? as usize]
    }
}

/// When one prospect entered the pipeline and first reached each milestone.
struct Progress {
    entered: NaiveDate,
    /// Per milestone; reaching a later milestone reaches the earlier ones too, the same day.
    reached: Vec<Option<NaiveDate>>,
}

impl Progress {
    fn of(p: &Pipeline, events: impl Iterator<Item = StageEvent> + Clone) -> Option<Progress> {
        let entered = events
            .clone()
            .filter(|e| e.stage.is_some())
            .map(|e| e.date)
            .min()?;
        let mut reached: Vec<Option<NaiveDate>> = vec![None; p.milestones.len()];
        for e in events {
            if let Some(m) = e.stage.and_then(|s| p.stages[s].milestone) {
                reached[m] = Some(reached[m].map_or(e.date, |d| d.min(e.date)));
            }
        }
        for k in (0..reached.len().saturating_sub(1)).rev() {
            reached[k] = match (reached[k], reached[k + 1]) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        Some(Progress { entered, reached })
    }

    /// The day it reached step `k`: 0 is entering the pipeline, then the milestones.
    fn step(&self, k: usize) -> Option<NaiveDate> {
        if k == 0 {
            Some(self.entered)
        } else {
            self.reached[k - 1]
        }
    }
}

// ------------------------------------------------------------------- report

/// One step of the funnel: new prospects, then each milestone.
#[derive(Debug, Clone)]
pub struct Step {
    /// `new`, or the milestone's name.
    pub name: String,
    /// What the table calls it: `New prospects`, or the milestone's stage labels.
    pub label: String,
    /// Prospects that reached it in the period.
    pub reached: u32,
    /// Of the step before's cohort, how many reached this step (0 for new prospects).
    pub converted: u32,
    /// Percentage of the step before, reached in the period, that reached this one by the period's end.
    pub conversion: Option<Figure>,
    /// Median days from the step before to this one, for those that made it.
    pub days: Option<Figure>,
    /// Hours logged in the period on prospects that had not yet reached it (none for new prospects).
    pub hours: Option<Hours>,
    /// Hours per prospect reaching it.
    pub hours_per: Option<Figure>,
}

/// `pipe effort` without a target.
#[derive(Debug, Clone)]
pub struct Effort {
    pub period: Period,
    pub scope_owner: Option<String>,
    pub scope_product: Option<String>,
    pub min_cases: u32,
    pub steps: Vec<Step>,
    /// Every hour logged in the period on the prospects covered.
    pub logged: Hours,
    /// Hours per month before the last milestone (the pace a plan compares with).
    pub pace: Decimal,
    /// Average amount of the prospects that reached the last milestone in the period.
    pub average_amount: Figure,
    /// Hours logged in the period by kind (index in the pipeline's kinds).
    pub by_kind: Vec<(usize, Hours)>,
}

impl Effort {
    pub fn compute(
        p: &Pipeline,
        events: &StageEventsById,
        activities: &[Activity],
        scope: &Scope,
        period: Period,
    ) -> Effort {
        let min = p.min_cases;
        // By the events' numbers: a prospect's progress, when it counts.
        let mut progress: Vec<Option<Progress>> = Vec::new();
        progress.resize_with(events.numbers(), || None);
        for (n, id, ev) in events.iter() {
            if scope.includes(&id) {
                progress[n as usize] = Progress::of(p, ev);
            }
        }
        let of = |id: &str| {
            events
                .number(id)
                .and_then(|n| progress[n as usize].as_ref())
        };
        let worked: Vec<&Activity> = activities
            .iter()
            .filter(|a| period.contains(a.date) && scope.includes(&a.id))
            .collect();
        let n = p.milestones.len();
        let mut steps = Vec::with_capacity(n + 1);
        for k in 0..=n {
            let reached_in = |g: &Progress| g.step(k).is_some_and(|d| period.contains(d));
            let reached = progress.iter().flatten().filter(|g| reached_in(g)).count() as u32;
            if k == 0 {
                steps.push(Step {
                    name: "new".into(),
                    label: "New prospects".into(),
                    reached,
                    converted: 0,
                    conversion: None,
                    days: None,
                    hours: None,
                    hours_per: None,
                });
                continue;
            }
            let m: &Milestone = &p.milestones[k - 1];
            // The cohort: those that reached the step before in the period.
            let cohort: Vec<&Progress> = progress
                .iter()
                .flatten()
                .filter(|g| g.step(k - 1).is_some_and(|d| period.contains(d)))
                .collect();
            let converted: Vec<i64> = cohort
                .iter()
                .filter_map(|g| {
                    let (a, b) = (g.step(k - 1)?, g.step(k)?);
                    (b <= period.to).then(|| (b - a).num_days())
                })
                .collect();
            let cases = cohort.len() as u32;
            let conversion = (cases > 0).then(|| {
                Decimal::from(converted.len() as u32) * Decimal::ONE_HUNDRED / Decimal::from(cases)
            });
            let days_cases = converted.len() as u32;
            let hours: Hours = worked
                .iter()
                .filter(|a| {
                    of(a.id.as_str())
                        .and_then(|g| g.step(k))
                        .is_none_or(|d| a.date <= d)
                })
                .map(|a| a.hours)
                .sum();
            let hours_per = (reached > 0).then(|| hours.hours() / Decimal::from(reached));
            steps.push(Step {
                name: m.name.clone(),
                label: milestone_label(p, m),
                reached,
                converted: days_cases,
                conversion: Some(Figure::new(conversion, cases, m.assumed.conversion, min)),
                days: Some(Figure::new(
                    median(converted),
                    days_cases,
                    m.assumed.days,
                    min,
                )),
                hours: Some(hours),
                hours_per: Some(Figure::new(
                    hours_per,
                    reached,
                    m.assumed.hours.map(Hours::hours),
                    min,
                )),
            });
        }
        let logged: Hours = worked.iter().map(|a| a.hours).sum();
        let before_last = steps.last().and_then(|s| s.hours).unwrap_or(logged);
        let months = period.months();
        let pace = if months.is_zero() {
            Decimal::ZERO
        } else {
            before_last.hours() / months
        };
        let amounts: Vec<Decimal> = events
            .iter()
            .filter(|(m, _, _)| {
                progress[*m as usize]
                    .as_ref()
                    .and_then(|g| g.step(n))
                    .is_some_and(|d| n > 0 && period.contains(d))
            })
            .filter_map(|(_, id, _)| scope.amounts.get(&id))
            .collect();
        let average = (!amounts.is_empty())
            .then(|| amounts.iter().sum::<Decimal>() / Decimal::from(amounts.len() as u32));
        let assumed_amount = p.milestones.last().and_then(|m| m.assumed.amount);
        let mut kinds: BTreeMap<usize, Hours> = BTreeMap::new();
        for a in &worked {
            *kinds.entry(a.kind).or_default() += a.hours;
        }
        Effort {
            period,
            scope_owner: scope.owner.clone(),
            scope_product: scope.product.clone(),
            min_cases: min,
            steps,
            logged,
            pace,
            average_amount: Figure::new(average, amounts.len() as u32, assumed_amount, min),
            by_kind: kinds.into_iter().collect(),
        }
    }

    /// Hours logged in the period before the last milestone.
    pub fn before_last(&self) -> Hours {
        self.steps
            .last()
            .and_then(|s| s.hours)
            .unwrap_or(self.logged)
    }
}

fn milestone_label(p: &Pipeline, m: &Milestone) -> String {
    let labels: Vec<&str> = m
        .stages
        .iter()
        .map(|&i| p.stages[i].label.as_str())
        .collect();
    labels.join(", ")
}

// --------------------------------------------------------------------- plan

/// What a plan aims at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Signatures(u32),
    Amount(Decimal),
}

/// One step of a plan, from the last milestone back to new prospects.
#[derive(Debug, Clone)]
pub struct Need {
    pub step: usize,
    pub needed: Decimal,
    /// The conversion into the step after, which this step's need comes from (none for the target itself).
    pub rate: Option<Figure>,
}

/// `pipe effort --target`: what the target takes, worked backwards, against the current pace.
#[derive(Debug, Clone)]
pub struct Plan {
    pub target: Target,
    pub horizon: Period,
    pub months: u32,
    /// Steps from the last milestone back to new prospects.
    pub needs: Vec<Need>,
    pub hours: Hours,
    /// Hours per signature used for `hours`.
    pub hours_rate: Figure,
    pub per_month: Decimal,
    /// Hours per month needed minus the current pace.
    pub gap: Decimal,
    /// Days from new prospect to signature, adding the steps' days, when all are known.
    pub lead_days: Option<Decimal>,
}

fn too_large() -> Unplannable {
    Unplannable("the target is too large to plan".into())
}

/// Why a plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unplannable(pub String);

impl Plan {
    pub fn make(
        e: &Effort,
        target: Target,
        start: NaiveDate,
        months: u32,
    ) -> Result<Plan, Unplannable> {
        let n = e.steps.len() - 1;
        if n == 0 {
            return Err(Unplannable(
                "the pipeline declares no milestone\n  hint: add `milestone = \"…\"` to the stages that mark a meeting, a quote and a signature; see docs/effort.md".into(),
            ));
        }
        let last = &e.steps[n];
        let signatures = match target {
            Target::Signatures(k) => Decimal::from(k),
            Target::Amount(amount) => {
                let avg = e.average_amount.value().filter(|v| !v.is_zero()).ok_or_else(|| {
                    Unplannable(format!(
                        "no prospect reached {} with an amount in the period, and no average amount is assumed\n  hint: declare `amount = …` under [effort.assumptions.{}], or give --target in signatures",
                        last.label, last.name
                    ))
                })?;
                amount.checked_div(avg).ok_or_else(too_large)?
            }
        };
        let mut needs = vec![Need {
            step: n,
            needed: signatures,
            rate: None,
        }];
        for k in (1..=n).rev() {
            let conv = e.steps[k]
                .conversion
                .clone()
                .expect("milestones have a conversion");
            let pct = conv.value().filter(|v| !v.is_zero()).ok_or_else(|| {
                Unplannable(format!(
                    "no {} in the period led to {}, and no conversion is assumed\n  hint: declare `conversion = …` under [effort.assumptions.{}], or widen the period with --from",
                    e.steps[k - 1].label.to_lowercase(),
                    e.steps[k].label,
                    e.steps[k].name
                ))
            })?;
            let after = needs.last().expect("a need").needed;
            needs.push(Need {
                step: k - 1,
                needed: after
                    .checked_mul(Decimal::ONE_HUNDRED)
                    .and_then(|v| v.checked_div(pct))
                    .ok_or_else(too_large)?,
                rate: Some(conv),
            });
        }
        let hours_rate = last.hours_per.clone().expect("milestones have hours");
        let hours = match hours_rate.basis {
            // Exact: planning the observed signatures gives back the observed hours.
            Basis::Observed | Basis::Thin => Hours::from_minutes(
                signatures
                    .checked_mul(last.hours.unwrap_or_default().minutes())
                    .and_then(|v| v.checked_div(Decimal::from(last.reached)))
                    .ok_or_else(too_large)?,
            ),
            Basis::Assumed => signatures
                .checked_mul(hours_rate.assumed.unwrap_or_default())
                .and_then(Hours::from_hours)
                .ok_or_else(too_large)?,
            Basis::Missing => {
                return Err(Unplannable(format!(
                    "no prospect reached {} in the period, and no hours per signature are assumed\n  hint: declare `hours = …` under [effort.assumptions.{}], or widen the period with --from",
                    last.label, last.name
                )));
            }
        };
        let per_month = hours.hours() / Decimal::from(months);
        let lead_days = e.steps[1..]
            .iter()
            .map(|s| s.days.as_ref().and_then(Figure::value))
            .sum::<Option<Decimal>>();
        Ok(Plan {
            target,
            horizon: Period::months_from(start, months),
            months,
            needs,
            hours,
            hours_rate,
            per_month,
            gap: per_month - e.pace,
            lead_days,
        })
    }
}

// ---------------------------------------------------------------- renderers

fn figure_cell(f: Option<&Figure>, shown: impl Fn(Decimal) -> String) -> Cell {
    match f.and_then(|f| f.value().map(|v| (f, v))) {
        Some((f, v)) => Cell::number(
            format!("{}{}", shown(v), f.basis.marker()),
            round(v, 2).to_string(),
        ),
        None => Cell::number("—", ""),
    }
}

/// How a figure is written for people.
type Shown<'a> = dyn Fn(Decimal) -> String + 'a;

fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Effort {
    pub fn title(&self, p: &Pipeline) -> String {
        let mut t = format!(
            "Sales effort, {} to {} ({} months)",
            render::date(p, self.period.from),
            render::date(p, self.period.to),
            render::number(p, self.period.months())
        );
        if let Some(o) = &self.scope_owner {
            t.push_str(&format!("; owner {o}"));
        }
        if let Some(pr) = &self.scope_product {
            t.push_str(&format!("; product {pr}"));
        }
        t
    }

    /// The steps as people read them, with notes on what each figure rests on.
    pub fn grid(&self, p: &Pipeline) -> Grid {
        let mut g = Grid::new(&[
            "Step",
            "Reached",
            "Conversion",
            "Median days",
            "Hours",
            "Hours each",
        ]);
        g.title = Some(self.title(p));
        for s in &self.steps {
            let conversion = match &s.conversion {
                Some(f) => match (f.basis, f.value()) {
                    (Basis::Observed | Basis::Thin, Some(v)) => Cell::number(
                        format!(
                            "{}{} ({}/{})",
                            render::percent(p, v),
                            f.basis.marker(),
                            s.converted,
                            f.cases
                        ),
                        round(v, 2).to_string(),
                    ),
                    _ => figure_cell(Some(f), |v| render::percent(p, v)),
                },
                None => Cell::text(""),
            };
            g.push(vec![
                Cell::text(&s.label),
                Cell::number(s.reached.to_string(), s.reached.to_string()),
                conversion,
                match &s.days {
                    Some(f) => figure_cell(Some(f), |v| render::decimal(p, v, 0)),
                    None => Cell::text(""),
                },
                match s.hours {
                    Some(h) => {
                        Cell::number(render::hours(p, h.hours()), round(h.hours(), 2).to_string())
                    }
                    None => Cell::text(""),
                },
                match &s.hours_per {
                    Some(f) => figure_cell(Some(f), |v| render::hours(p, v)),
                    None => Cell::text(""),
                },
            ]);
        }
        g.notes = self.notes(p);
        g
    }

    /// What the table's figures rest on: pace, average amount, and every fallback.
    pub fn notes(&self, p: &Pipeline) -> Vec<String> {
        let mut notes = vec![
            "Conversion: share of the step above, reached in the period, that reached this step by the period's end. Median days: from the step above to this one. Hours: logged in the period on prospects that had not yet reached the step, whether they reached it or not.".to_string(),
        ];
        let before = self.before_last();
        let after = Hours::from_minutes(self.logged.minutes() - before.minutes());
        notes.push(format!(
            "Pace: {} per month before signature ({} logged in the period, of which {} after signature).",
            render::hours(p, self.pace),
            render::hours(p, self.logged.hours()),
            render::hours(p, after.hours()),
        ));
        if let Some(v) = self.average_amount.value() {
            notes.push(format!(
                "Average signature: {}{} ({}).",
                render::money(p, v),
                self.average_amount.basis.marker(),
                plural(
                    self.average_amount.cases,
                    "signature with an amount",
                    "signatures with an amount"
                ),
            ));
        }
        let mut fallbacks = Vec::new();
        let mut thin = Vec::new();
        for (k, s) in self.steps.iter().enumerate() {
            let amount = (k + 1 == self.steps.len()).then(|| self.average_amount.clone());
            let figures: [(&str, Option<&Figure>, &Shown); 4] = [
                ("conversion", s.conversion.as_ref(), &|v| {
                    render::percent(p, v)
                }),
                ("days", s.days.as_ref(), &|v| render::decimal(p, v, 0)),
                ("hours each", s.hours_per.as_ref(), &|v| render::hours(p, v)),
                ("average amount", amount.as_ref(), &|v| render::money(p, v)),
            ];
            let mut lacking = Vec::new();
            for (what, f, shown) in figures {
                let Some(f) = f else { continue };
                match f.basis {
                    Basis::Assumed => fallbacks.push(format!(
                        "{}, {what}: {} ({}), so {} is assumed",
                        s.label,
                        plural(f.cases, "case", "cases"),
                        f.observed
                            .map_or("nothing observed".to_string(), |v| format!(
                                "observed {}",
                                shown(v)
                            )),
                        shown(f.assumed.unwrap_or_default())
                    )),
                    Basis::Thin | Basis::Missing => {
                        lacking.push(format!("{what} ({})", plural(f.cases, "case", "cases")));
                    }
                    Basis::Observed => {}
                }
            }
            if !lacking.is_empty() {
                thin.push(format!(
                    "{}: {}, to declare under [effort.assumptions.{}]",
                    s.label,
                    lacking.join(", "),
                    s.name
                ));
            }
        }
        if !fallbacks.is_empty() {
            notes.push(format!(
                "* Assumed in pipeline.toml, because the history holds fewer than {} cases: {}.",
                self.min_cases,
                fallbacks.join("; ")
            ));
        }
        if !thin.is_empty() {
            notes.push(format!(
                "? Fewer than {} cases and no assumption: {}.",
                self.min_cases,
                thin.join("; ")
            ));
        }
        notes
    }

    /// Hours logged in the period by kind of activity.
    pub fn kinds_grid(&self, p: &Pipeline) -> Grid {
        let mut g = Grid::new(&["Activity", "Hours", "Share"]);
        g.title = Some("Hours logged by kind of activity".into());
        let total = self.logged.hours();
        let kinds = p
            .activities
            .as_ref()
            .map(|a| a.kinds.as_slice())
            .unwrap_or(&[]);
        for (k, h) in &self.by_kind {
            let share = if total.is_zero() {
                Decimal::ZERO
            } else {
                h.hours() * Decimal::ONE_HUNDRED / total
            };
            g.push(vec![
                Cell::text(kinds.get(*k).map_or("", |k| k.label.as_str())),
                Cell::number(render::hours(p, h.hours()), round(h.hours(), 2).to_string()),
                Cell::number(render::percent(p, share), round(share, 2).to_string()),
            ]);
        }
        g
    }

    /// Every figure with plain values, for programs and spreadsheets.
    pub fn csv_grid(&self) -> Grid {
        let mut g = Grid::new(&[
            "step",
            "label",
            "reached",
            "conversion",
            "conversion_basis",
            "conversion_cases",
            "days",
            "days_basis",
            "days_cases",
            "hours",
            "hours_each",
            "hours_each_basis",
        ]);
        let v = |f: &Option<Figure>| {
            f.as_ref()
                .and_then(Figure::value)
                .map(|v| round(v, 2).to_string())
                .unwrap_or_default()
        };
        let b = |f: &Option<Figure>| f.as_ref().map_or("", |f| f.basis.key()).to_string();
        let c = |f: &Option<Figure>| f.as_ref().map(|f| f.cases.to_string()).unwrap_or_default();
        for s in &self.steps {
            g.push(
                [
                    s.name.clone(),
                    s.label.clone(),
                    s.reached.to_string(),
                    v(&s.conversion),
                    b(&s.conversion),
                    c(&s.conversion),
                    v(&s.days),
                    b(&s.days),
                    c(&s.days),
                    s.hours
                        .map(|h| round(h.hours(), 2).to_string())
                        .unwrap_or_default(),
                    v(&s.hours_per),
                    b(&s.hours_per),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }

    pub fn json(&self, p: &Pipeline) -> Value {
        let kinds = p
            .activities
            .as_ref()
            .map(|a| a.kinds.as_slice())
            .unwrap_or(&[]);
        let before = self.before_last();
        json!({
            "period": {
                "from": self.period.from,
                "to": self.period.to,
                "months": round(self.period.months(), 2),
            },
            "owner": self.scope_owner,
            "product": self.scope_product,
            "min_cases": self.min_cases,
            "steps": self.steps.iter().map(|s| json!({
                "step": s.name,
                "label": s.label,
                "reached": s.reached,
                "conversion": s.conversion.as_ref().map(|f| f.json(2)),
                "days": s.days.as_ref().map(|f| f.json(1)),
                "hours": s.hours.map(|h| round(h.hours(), 2)),
                "hours_each": s.hours_per.as_ref().map(|f| f.json(2)),
            })).collect::<Vec<_>>(),
            "hours": {
                "logged": round(self.logged.hours(), 2),
                "before_signature": round(before.hours(), 2),
                "after_signature": round(self.logged.hours() - before.hours(), 2),
                "pace_per_month": round(self.pace, 2),
            },
            "average_signature": self.average_amount.json(2),
            "by_kind": self.by_kind.iter().map(|(k, h)| json!({
                "kind": kinds.get(*k).map(|k| k.id.as_str()),
                "label": kinds.get(*k).map(|k| k.label.as_str()),
                "hours": round(h.hours(), 2),
            })).collect::<Vec<_>>(),
        })
    }
}

impl Plan {
    pub fn title(&self, p: &Pipeline, e: &Effort) -> String {
        let last = &e.steps[e.steps.len() - 1];
        let what = match self.target {
            Target::Signatures(n) => plural(n, "signature", "signatures"),
            Target::Amount(a) => format!(
                "{} of signatures, {} at {}{} each",
                render::money(p, a),
                render::decimal(p, self.needs[0].needed, 1),
                render::money(p, e.average_amount.value().unwrap_or_default()),
                e.average_amount.basis.marker()
            ),
        };
        format!(
            "Plan: {what} ({}) from {} to {} ({} months)",
            last.label,
            render::date(p, self.horizon.from),
            render::date(p, self.horizon.to),
            self.months
        )
    }

    pub fn grid(&self, p: &Pipeline, e: &Effort) -> Grid {
        let mut g = Grid::new(&["Step", "Needed", "Per month", "From"]);
        g.title = Some(self.title(p, e));
        let months = Decimal::from(self.months);
        for need in &self.needs {
            let s = &e.steps[need.step];
            let from = match &need.rate {
                None => "the target".to_string(),
                Some(f) => {
                    let after = &e.steps[need.step + 1];
                    format!(
                        "{}{} of them reach {}",
                        render::percent(p, f.value().unwrap_or_default()),
                        f.basis.marker(),
                        after.label
                    )
                }
            };
            g.push(vec![
                Cell::text(&s.label),
                Cell::number(
                    render::decimal(p, need.needed, 1),
                    round(need.needed, 2).to_string(),
                ),
                Cell::number(
                    render::decimal(p, need.needed / months, 1),
                    round(need.needed / months, 2).to_string(),
                ),
                Cell::text(from),
            ]);
        }
        g.push(vec![
            Cell::text("Hours"),
            Cell::number(
                render::hours(p, self.hours.hours()),
                round(self.hours.hours(), 2).to_string(),
            ),
            Cell::number(
                render::hours(p, self.per_month),
                round(self.per_month, 2).to_string(),
            ),
            Cell::text(format!(
                "{}{} per {}",
                render::hours(p, self.hours_rate.value().unwrap_or_default()),
                self.hours_rate.basis.marker(),
                e.steps[e.steps.len() - 1].label
            )),
        ]);
        g.push(vec![
            Cell::text("Current pace"),
            Cell::text(""),
            Cell::number(render::hours(p, e.pace), round(e.pace, 2).to_string()),
            Cell::text(format!(
                "hours logged per month before signature, {} to {}",
                render::date(p, e.period.from),
                render::date(p, e.period.to)
            )),
        ]);
        let sign = if self.gap > Decimal::ZERO { "+" } else { "" };
        g.push(vec![
            Cell::text("Gap"),
            Cell::text(""),
            Cell::number(
                format!("{sign}{}", render::hours(p, self.gap)),
                round(self.gap, 2).to_string(),
            ),
            Cell::text(self.gap_words(p, e)),
        ]);
        g.notes = self.notes(p, e);
        g
    }

    fn gap_words(&self, p: &Pipeline, e: &Effort) -> String {
        let share = (!e.pace.is_zero())
            .then(|| self.gap.abs().checked_mul(Decimal::ONE_HUNDRED))
            .flatten()
            .map(|v| v / e.pace)
            .map(|s| format!(" ({})", render::percent(p, s)))
            .unwrap_or_default();
        if round(self.gap, 1).is_zero() {
            "the current pace is enough".into()
        } else if self.gap > Decimal::ZERO {
            format!("more per month than the current pace{share}")
        } else {
            format!("less per month than the current pace{share}")
        }
    }

    fn notes(&self, p: &Pipeline, e: &Effort) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(days) = self.lead_days {
            let whole = days.round().to_string().parse::<u64>().unwrap_or(0);
            let first = self
                .horizon
                .from
                .checked_add_days(chrono::Days::new(whole))
                .unwrap_or(NaiveDate::MAX);
            let mut n = format!(
                "From new prospect to signature takes about {} days (the steps' median days added up): a prospect found on {} signs around {}.",
                render::decimal(p, days, 0),
                render::date(p, self.horizon.from),
                render::date(p, first)
            );
            if first > self.horizon.to {
                n.push_str(" That is after the horizon: its signatures must come from prospects already in the pipeline.");
            }
            notes.push(n);
        }
        let assumed = self
            .needs
            .iter()
            .filter_map(|n| n.rate.as_ref())
            .chain([&self.hours_rate])
            .any(|f| f.basis == Basis::Assumed)
            || (matches!(self.target, Target::Amount(_))
                && e.average_amount.basis == Basis::Assumed);
        if assumed {
            notes.push(format!(
                "* Assumed in pipeline.toml, because the history holds fewer than {} cases.",
                e.min_cases
            ));
        }
        notes
    }

    /// The plan with plain values, for programs and spreadsheets.
    pub fn csv_grid(&self, e: &Effort) -> Grid {
        let mut g = Grid::new(&[
            "step",
            "label",
            "needed",
            "per_month",
            "rate",
            "rate_basis",
            "rate_cases",
        ]);
        let months = Decimal::from(self.months);
        for need in &self.needs {
            let s = &e.steps[need.step];
            g.push(
                [
                    s.name.clone(),
                    s.label.clone(),
                    round(need.needed, 2).to_string(),
                    round(need.needed / months, 2).to_string(),
                    need.rate
                        .as_ref()
                        .and_then(Figure::value)
                        .map(|v| round(v, 2).to_string())
                        .unwrap_or_default(),
                    need.rate
                        .as_ref()
                        .map_or("target", |f| f.basis.key())
                        .to_string(),
                    need.rate
                        .as_ref()
                        .map(|f| f.cases.to_string())
                        .unwrap_or_default(),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        let rows = [
            (
                "hours",
                round(self.hours.hours(), 2),
                round(self.per_month, 2),
                Some(&self.hours_rate),
            ),
            ("pace", Decimal::ZERO, round(e.pace, 2), None),
            ("gap", Decimal::ZERO, round(self.gap, 2), None),
        ];
        for (name, needed, per_month, rate) in rows {
            g.push(
                [
                    name.to_string(),
                    String::new(),
                    if name == "hours" {
                        needed.to_string()
                    } else {
                        String::new()
                    },
                    per_month.to_string(),
                    rate.and_then(Figure::value)
                        .map(|v| round(v, 2).to_string())
                        .unwrap_or_default(),
                    rate.map_or("", |f| f.basis.key()).to_string(),
                    rate.map(|f| f.cases.to_string()).unwrap_or_default(),
                ]
                .into_iter()
                .map(Cell::text)
                .collect(),
            );
        }
        g
    }

    pub fn json(&self, e: &Effort) -> Value {
        let months = Decimal::from(self.months);
        json!({
            "target": match self.target {
                Target::Signatures(n) => json!({ "signatures": n }),
                Target::Amount(a) => json!({ "amount": a }),
            },
            "horizon": { "from": self.horizon.from, "to": self.horizon.to, "months": self.months },
            "needs": self.needs.iter().map(|n| json!({
                "step": e.steps[n.step].name,
                "label": e.steps[n.step].label,
                "needed": round(n.needed, 2),
                "per_month": round(n.needed / months, 2),
                "rate": n.rate.as_ref().map(|f| f.json(2)),
            })).collect::<Vec<_>>(),
            "hours": round(self.hours.hours(), 2),
            "hours_per_month": round(self.per_month, 2),
            "hours_each": self.hours_rate.json(2),
            "pace_per_month": round(e.pace, 2),
            "gap_per_month": round(self.gap, 2),
            "lead_days": self.lead_days.map(|d| round(d, 1)),
        })
    }
}
