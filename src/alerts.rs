//! The alert rules: pure functions of a prospect, its journal history, the
//! pipeline and today, each giving the alerts it raises. Nothing here reads
//! a file; `commands/alerts.rs` feeds the rows and writes the report.
//!
//! Every alert names its rule, the prospect, its owner, its stage, the
//! figure that broke the rule and the threshold, in the pipeline's locale.

use crate::calendar::Calendar;
use crate::field::Field;
use crate::pipeline::{Locale, Outcome, Pipeline, Rule, RuleSettings, Severity, Stage};
use crate::prospect::{self, Prospect};
use crate::render;
use crate::term::{Term, Unit};
use crate::validation::RowCheck;
use crate::words::{self, pick};
use chrono::NaiveDate;
use serde_json::{Value, json};

pub mod history;
pub mod report;
pub mod state;

pub use history::{Fact, History};

/// A figure as people read it, as a CSV cell, and as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub shown: String,
    pub plain: String,
    pub json: Value,
}

impl Measure {
    fn days(p: &Pipeline, n: i64, business: bool) -> Measure {
        Measure {
            shown: words::days(p, n, business),
            plain: n.to_string(),
            json: json!(n),
        }
    }

    fn count(p: &Pipeline, n: u32) -> Measure {
        Measure {
            shown: words::times(p, n),
            plain: n.to_string(),
            json: json!(n),
        }
    }

    fn date(p: &Pipeline, d: NaiveDate) -> Measure {
        let iso = d.format(crate::dates::ISO).to_string();
        Measure {
            shown: render::date(p, d),
            json: json!(iso),
            plain: iso,
        }
    }

    fn term(p: &Pipeline, t: Term, business: bool) -> Measure {
        let plain = if business && matches!(t.unit, Unit::Days | Unit::Weeks) {
            format!("{t} (working days)")
        } else {
            t.to_string()
        };
        Measure {
            shown: words::counted_term(p, t, business),
            json: json!(plain),
            plain,
        }
    }

    fn text(shown: impl Into<String>, plain: impl Into<String>) -> Measure {
        let plain = plain.into();
        Measure {
            shown: shown.into(),
            json: if plain.is_empty() {
                Value::Null
            } else {
                json!(plain)
            },
            plain,
        }
    }
}

/// The stage a prospect's data says it belongs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub stage: usize,
    /// Whether the current stage's `next` allows the move.
    pub allowed: bool,
    /// What the stage requires and the prospect lacks.
    pub missing: Vec<Field>,
}

impl Suggestion {
    /// Whether `pipe move` would accept the move as the prospect stands.
    pub fn movable(&self) -> bool {
        self.allowed && self.missing.is_empty()
    }
}

#[derive(Debug, Clone)]
pub struct Alert {
    pub rule: Rule,
    pub severity: Severity,
    pub id: String,
    /// The company, or the contact when there is no company.
    pub name: String,
    pub owner: String,
    pub stage: Option<usize>,
    /// The stage's label, or the stage cell of a row that cannot be read.
    pub stage_text: String,
    pub value: Measure,
    pub threshold: Measure,
    pub message: String,
    pub suggestion: Option<Suggestion>,
    /// What identifies this alert from one run to the next (`--new-only`):
    /// the rule, the prospect, its stage and what the rule looked at.
    pub key: String,
    /// After how long `--new-only` reports it again while it stays open.
    pub realert_after: Option<Term>,
    /// The row's line in the register, for ordering.
    pub line: u64,
}

/// Everything the rules need to know about one prospect.
struct Facts<'a> {
    p: &'a Pipeline,
    x: &'a Prospect,
    stage: &'a Stage,
    history: &'a [Fact],
    today: NaiveDate,
    line: u64,
}

impl Facts<'_> {
    fn settings(&self, r: Rule) -> Option<&RuleSettings> {
        Some(self.stage.rule(r)).filter(|s| s.enabled)
    }

    fn calendar(&self, s: &RuleSettings) -> Calendar<'_> {
        Calendar::new(s.business_days, &self.p.alerts.holidays)
    }

    fn alert(
        &self,
        rule: Rule,
        s: &RuleSettings,
        detail: &str,
        value: Measure,
        threshold: Measure,
        message: String,
    ) -> Alert {
        Alert {
            rule,
            severity: s.severity,
            id: self.x.id.clone(),
            name: self.x.display_name().to_string(),
            owner: self.x.owner.clone(),
            stage: Some(self.x.stage),
            stage_text: self.stage.label.clone(),
            value,
            threshold,
            message,
            suggestion: None,
            key: format!("{}|{}|{}|{detail}", rule.key(), self.x.id, self.stage.id),
            realert_after: s.realert_after,
            line: self.line,
        }
    }
}

/// Every alert one prospect raises today, in [`Rule::ALL`] order.
pub fn evaluate(
    p: &Pipeline,
    x: &Prospect,
    history: &[Fact],
    today: NaiveDate,
    line: u64,
) -> Vec<Alert> {
    let f = Facts {
        p,
        x,
        stage: &p.stages[x.stage],
        history,
        today,
        line,
    };
    let mut out = Vec::new();
    out.extend(stale(&f));
    out.extend(decision_overdue(&f));
    out.extend(horizon_alert(&f));
    out.extend(missing_field(&f));
    out.extend(next_action_overdue(&f));
    out.extend(no_next_action(&f));
    out.extend(snoozed_until_passed(&f));
    out.extend(decision_slipped(&f));
    out
}

/// When the prospect entered its stage: the register's date, else the journal's.
fn entered(f: &Facts) -> Option<NaiveDate> {
    f.x.stage_since.or_else(|| {
        f.history.iter().rev().find_map(|e| match *e {
            Fact::Stage { date, to, .. } if to.map(usize::from) == Some(f.x.stage) => Some(date),
            _ => None,
        })
    })
}

/// `stale`: in the stage longer than its `stale_after` (not while snoozed).
fn stale(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::Stale)?;
    let limit = f.stage.stale_after.as_ref()?.term;
    if f.x.snooze_until.is_some_and(|d| d > f.today) {
        return None;
    }
    let since = entered(f)?;
    let cal = f.calendar(s);
    if cal.past(since, limit, f.today) <= 0 {
        return None;
    }
    let n = cal.count(since, f.today);
    let (p, label) = (f.p, &f.stage.label);
    let days = words::days(p, n, s.business_days);
    let date = render::date(p, since);
    let term = words::counted_term(p, limit, s.business_days);
    let message = match p.locale {
        Locale::Fr => {
            format!("dans l'étape {label} depuis {days} (depuis le {date}) ; limite : {term}")
        }
        Locale::En => {
            format!("in {label} for {days} (since {date}); limit: {term}")
        }
    };
    Some(f.alert(
        Rule::Stale,
        s,
        &since.to_string(),
        Measure::days(p, n, s.business_days),
        Measure::term(p, limit, s.business_days),
        message,
    ))
}

/// How late a date is, past its grace, or `None` when it is not.
fn overdue(f: &Facts, s: &RuleSettings, date: NaiveDate) -> Option<i64> {
    let cal = f.calendar(s);
    (cal.past(date, s.grace, f.today) > 0).then(|| cal.count(date, f.today))
}

fn grace_words(f: &Facts, s: &RuleSettings) -> String {
    if s.grace.count == 0 {
        return String::new();
    }
    let g = words::counted_term(f.p, s.grace, s.business_days);
    format!(" ({} {g})", pick(f.p, "tolérance :", "grace:"))
}

/// `decision_overdue`: an open deal whose expected decision date has passed.
fn decision_overdue(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::DecisionOverdue)?;
    if !f.stage.is_open() {
        return None;
    }
    let close = f.x.expected_close?;
    let n = overdue(f, s, close)?;
    let p = f.p;
    let (date, days) = (render::date(p, close), words::days(p, n, s.business_days));
    let message = match p.locale {
        Locale::Fr => format!("décision prévue le {date}, dépassée de {days}"),
        Locale::En => {
            format!("decision expected on {date}, now {days} past")
        }
    } + &grace_words(f, s);
    Some(f.alert(
        Rule::DecisionOverdue,
        s,
        &close.to_string(),
        Measure::days(p, n, s.business_days),
        Measure::term(p, s.grace, s.business_days),
        message,
    ))
}

/// A deal whose expected decision falls outside its stage's decision window.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub close: NaiveDate,
    /// The window as a bound people read: `décision attendue sous 3 mois, soit au plus tard le 27/02/2027`.
    pub window: String,
    /// The same for programs: `<= 2027-02-27`.
    pub bound: String,
    pub suggestion: Option<Suggestion>,
    /// In words, with the suggestion.
    pub message: String,
}

fn fits(s: &Stage, d: NaiveDate, today: NaiveDate) -> bool {
    let (after, within) = s.decision_window(today);
    after.is_none_or(|a| d >= a) && within.is_none_or(|w| d <= w)
}

fn has_window(s: &Stage) -> bool {
    s.decision_after.is_some() || s.decision_within.is_some()
}

/// Whether an open deal's expected decision (today or later) misses its
/// stage's decision window, and the stage whose window it fits. Past dates
/// are `decision_overdue`'s business.
pub fn horizon_mismatch(p: &Pipeline, x: &Prospect, today: NaiveDate) -> Option<Mismatch> {
    let stage = &p.stages[x.stage];
    let close = x.expected_close?;
    if !stage.is_open() || !has_window(stage) || close < today || fits(stage, close, today) {
        return None;
    }
    let (after, within) = stage.decision_window(today);
    let mut bounds = Vec::new();
    let mut plain = Vec::new();
    if let Some(a) = after {
        bounds.push(format!(
            "{} {}",
            pick(p, "pas avant le", "not before"),
            render::date(p, a)
        ));
        plain.push(format!(">= {a}"));
    }
    if let Some(w) = within {
        bounds.push(format!(
            "{} {}",
            pick(p, "au plus tard le", "by"),
            render::date(p, w)
        ));
        plain.push(format!("<= {w}"));
    }
    let window = format!(
        "{}, {} {}",
        words::window(p, stage).unwrap_or_default(),
        pick(p, "soit", "that is"),
        words::list(p, &bounds)
    );
    let suggestion = fitting_stage(p, x, close, today);
    let date = render::date(p, close);
    let label = &stage.label;
    let mut message = match p.locale {
        Locale::Fr => {
            format!("décision prévue le {date}, hors de la fenêtre de l'étape {label} ({window})")
        }
        Locale::En => {
            format!("decision expected on {date}, outside {label}'s window ({window})")
        }
    };
    match &suggestion {
        None => message += pick(p, " ; aucune étape ne convient", "; no stage's window fits"),
        Some(sg) => {
            let to = &p.stages[sg.stage].label;
            message += &match p.locale {
                Locale::Fr => format!(" ; l'étape qui convient : {to}"),
                Locale::En => format!("; the stage that fits: {to}"),
            };
            if !sg.allowed {
                message += &match p.locale {
                    Locale::Fr => {
                        format!(" (l'étape {label} ne peut pas y passer directement)")
                    }
                    Locale::En => {
                        format!(" ({label} cannot move there directly)")
                    }
                };
            } else if !sg.missing.is_empty() {
                let fields: Vec<String> = sg.missing.iter().map(|f| words::field(p, *f)).collect();
                message += &format!(
                    " ({} {})",
                    pick(p, "à remplir d'abord :", "fill in first:"),
                    words::list(p, &fields)
                );
            }
        }
    }
    Some(Mismatch {
        close,
        window,
        bound: plain.join(" and "),
        suggestion,
        message,
    })
}

/// Among the open stages with a decision window, the one a date fits best:
/// one the current stage may move to, whose requirements are met, with the
/// tightest window, nearest in the funnel.
fn fitting_stage(p: &Pipeline, x: &Prospect, d: NaiveDate, today: NaiveDate) -> Option<Suggestion> {
    let current = &p.stages[x.stage];
    p.stages
        .iter()
        .enumerate()
        .filter(|(j, s)| *j != x.stage && s.is_open() && has_window(s) && fits(s, d, today))
        .map(|(j, s)| {
            let sg = Suggestion {
                stage: j,
                allowed: current.allows(j),
                missing: prospect::missing_for(j, x, p),
            };
            let within = s.decision_window(today).1.unwrap_or(NaiveDate::MAX);
            let rank = (
                !sg.allowed,
                !sg.missing.is_empty(),
                within,
                j.abs_diff(x.stage),
            );
            (rank, sg)
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, sg)| sg)
}

/// `horizon_mismatch`, as an alert.
fn horizon_alert(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::HorizonMismatch)?;
    let m = horizon_mismatch(f.p, f.x, f.today)?;
    let mut a = f.alert(
        Rule::HorizonMismatch,
        s,
        &m.close.to_string(),
        Measure::date(f.p, m.close),
        Measure::text(m.window.clone(), m.bound.clone()),
        m.message,
    );
    a.suggestion = m.suggestion;
    Some(a)
}

/// `missing_field`: a field the stage requires is empty.
fn missing_field(f: &Facts) -> Vec<Alert> {
    let Some(s) = f.settings(Rule::MissingField) else {
        return Vec::new();
    };
    let p = f.p;
    // `no_next_action` says it better when the stage asks for a next action.
    let told = f.stage.next_action_required && f.settings(Rule::NoNextAction).is_some();
    prospect::missing_for(f.x.stage, f.x, p)
        .into_iter()
        .filter(|fld| !(told && *fld == Field::NextAction))
        .map(|fld| {
            let name = words::field(p, fld);
            let label = &f.stage.label;
            let message = match p.locale {
                Locale::Fr => {
                    format!("{name} est vide alors que l'étape {label} l'exige")
                }
                Locale::En => format!("{name} is empty, and {label} requires it"),
            };
            f.alert(
                Rule::MissingField,
                s,
                fld.key(),
                Measure::text(p.register.header(fld), fld.key()),
                Measure::text(pick(p, "obligatoire", "required"), "required"),
                message,
            )
        })
        .collect()
}

/// `next_action_overdue`: the next action's date has passed (not on lost deals).
fn next_action_overdue(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::NextActionOverdue)?;
    if f.stage.outcome == Outcome::Lost {
        return None;
    }
    let due = f.x.next_action?;
    let n = overdue(f, s, due)?;
    let p = f.p;
    let name = words::field(p, Field::NextAction);
    let (date, days) = (render::date(p, due), words::days(p, n, s.business_days));
    let message = match p.locale {
        Locale::Fr => format!("{name} : {date}, en retard de {days}"),
        Locale::En => format!("{name}: {date}, {days} late"),
    } + &grace_words(f, s);
    Some(f.alert(
        Rule::NextActionOverdue,
        s,
        &due.to_string(),
        Measure::days(p, n, s.business_days),
        Measure::term(p, s.grace, s.business_days),
        message,
    ))
}

/// `no_next_action`: the stage asks for a dated next action and there is none.
fn no_next_action(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::NoNextAction)?;
    if !f.stage.next_action_required || f.x.next_action.is_some() {
        return None;
    }
    let p = f.p;
    let name = words::field(p, Field::NextAction);
    let label = &f.stage.label;
    let message = match p.locale {
        Locale::Fr => {
            format!("{name} est vide : l'étape {label} demande une prochaine action datée")
        }
        Locale::En => {
            format!("{name} is empty: {label} asks for a dated next action")
        }
    };
    Some(f.alert(
        Rule::NoNextAction,
        s,
        "",
        Measure::text(pick(p, "vide", "empty"), ""),
        Measure::text(pick(p, "obligatoire", "required"), "required"),
        message,
    ))
}

/// `snoozed_until_passed`: a deal set aside until a date, and the date has come.
fn snoozed_until_passed(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::SnoozedUntilPassed)?;
    let until = f.x.snooze_until.filter(|d| *d <= f.today)?;
    let p = f.p;
    let date = render::date(p, until);
    let message = match p.locale {
        Locale::Fr => {
            format!("en veille jusqu'au {date} : la date est arrivée, l'affaire est à reprendre")
        }
        Locale::En => {
            format!("set aside until {date}: the day has come, take the deal up again")
        }
    };
    Some(f.alert(
        Rule::SnoozedUntilPassed,
        s,
        &until.to_string(),
        Measure::date(p, until),
        Measure::date(p, f.today),
        message,
    ))
}

/// How often an open deal's expected decision was pushed back, from the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Slips {
    pub count: u32,
    /// The last push: when, from which date, to which date.
    pub last: Option<(NaiveDate, NaiveDate, NaiveDate)>,
}

/// Counts the times `expected_close` moved later, since the deal was last
/// reopened from a won or lost stage. An undone push no longer counts.
pub fn decision_slips(p: &Pipeline, history: &[Fact]) -> Slips {
    let mut slips = Slips::default();
    let open = |s: Option<u16>| s.map(|i| p.stages[usize::from(i)].is_open());
    for e in history {
        match *e {
            Fact::Stage { from, to, .. } => {
                if open(from) == Some(false) && open(to) == Some(true) {
                    slips = Slips::default();
                }
            }
            Fact::Decision {
                undo: true,
                from,
                to,
                ..
            } => {
                if to < from {
                    slips.count = slips.count.saturating_sub(1);
                }
            }
            Fact::Decision { date, from, to, .. } => {
                if to > from {
                    slips.count += 1;
                    slips.last = Some((date, from, to));
                }
            }
        }
    }
    slips
}

/// `decision_slipped`: the expected decision was pushed back `count` times or more.
fn decision_slipped(f: &Facts) -> Option<Alert> {
    let s = f.settings(Rule::DecisionSlipped)?;
    if !f.stage.is_open() {
        return None;
    }
    let slips = decision_slips(f.p, f.history);
    if slips.count < s.count {
        return None;
    }
    let p = f.p;
    let times = words::times(p, slips.count);
    let mut message = match p.locale {
        Locale::Fr => format!("décision repoussée {times}"),
        Locale::En => format!("decision pushed back {times}"),
    };
    if let Some((on, from, to)) = slips.last {
        let (on, from, to) = (
            render::date(p, on),
            render::date(p, from),
            render::date(p, to),
        );
        message += &match p.locale {
            Locale::Fr => {
                format!(" (dernier report le {on} : du {from} au {to})")
            }
            Locale::En => format!(" (last on {on}: from {from} to {to})"),
        };
    }
    Some(f.alert(
        Rule::DecisionSlipped,
        s,
        &slips.count.to_string(),
        Measure::count(p, slips.count),
        Measure::count(p, s.count),
        message,
    ))
}

/// `invalid_row`: one alert for each error `pipe check` finds on a row.
pub fn invalid_row(p: &Pipeline, row: &RowCheck) -> Vec<Alert> {
    let s = p.alerts.rule(Rule::InvalidRow);
    if !s.enabled {
        return Vec::new();
    }
    let who = if row.id.is_empty() {
        format!("line {}", row.line)
    } else {
        row.id.clone()
    };
    row.errors()
        .map(|d| Alert {
            rule: Rule::InvalidRow,
            severity: s.severity,
            id: row.id.clone(),
            name: row.name.clone(),
            owner: row.owner.clone(),
            stage: row.stage,
            stage_text: row
                .stage
                .map_or_else(|| row.stage_text.clone(), |i| p.stages[i].label.clone()),
            value: Measure::text(d.code, d.code),
            threshold: Measure::text("pipe check", "pipe check"),
            message: format!(
                "{}: {} ({})",
                d.location(),
                d.message,
                pick(
                    p,
                    "ligne refusée par `pipe check`",
                    "row rejected by `pipe check`"
                )
            ),
            suggestion: None,
            key: format!(
                "{}|{who}|{}|{}",
                Rule::InvalidRow.key(),
                d.code,
                d.column.unwrap_or(0)
            ),
            realert_after: s.realert_after,
            line: row.line,
        })
        .collect()
}

/// The alerts one checked row raises today, given each prospect's journal facts (up to today).
pub fn raise_row(p: &Pipeline, row: &RowCheck, history: &History, today: NaiveDate) -> Vec<Alert> {
    if row.rejected() {
        return invalid_row(p, row);
    }
    let Some(x) = &row.prospect else {
        return Vec::new();
    };
    evaluate(p, x, history.of(&x.id), today, row.line)
}

/// Keys must tell alerts apart even on rows that share an id: repeats get `#2`, `#3`…
pub fn number_repeats(alerts: &mut [Alert]) {
    let mut seen: hashbrown::HashMap<&str, u32, foldhash::fast::RandomState> =
        hashbrown::HashMap::default();
    let repeats: Vec<u32> = alerts
        .iter()
        .map(|a| {
            let n = seen.entry(a.key.as_str()).or_insert(0);
            *n += 1;
            *n
        })
        .collect();
    drop(seen);
    for (a, n) in alerts.iter_mut().zip(repeats) {
        if n > 1 {
            a.key = format!("{}#{n}", a.key);
        }
    }
}

/// Critical first, then in register order, then in rule order; alerts that
/// tie keep their order. The keys are sorted, then the alerts (a few hundred
/// bytes each) are moved once each into place.
pub fn sort(alerts: &mut [Alert]) {
    let mut order: Vec<(std::cmp::Reverse<Severity>, u64, Rule, usize)> = alerts
        .iter()
        .enumerate()
        .map(|(i, a)| (std::cmp::Reverse(a.severity), a.line, a.rule, i))
        .collect();
    order.sort_unstable();
    // Position k takes the alert that was at `order[k].3`: follow each cycle.
    let mut from: Vec<usize> = order.into_iter().map(|o| o.3).collect();
    for start in 0..from.len() {
        let mut k = start;
        while from[k] != start {
            let next = from[k];
            alerts.swap(k, next);
            from[k] = k;
            k = next;
        }
        from[k] = k;
    }
}

/// Which alerts a run looks at: `--owner`, `--rule` and `--severity`.
#[derive(Debug, Default)]
pub struct Filter {
    /// Folded.
    pub owner: Option<String>,
    pub rules: Vec<Rule>,
    pub severity: Option<Severity>,
}

impl Filter {
    pub fn accepts(&self, owner: &str, rule: Rule, severity: Severity) -> bool {
        self.owner
            .as_ref()
            .is_none_or(|o| crate::text::fold(owner) == *o)
            && (self.rules.is_empty() || self.rules.contains(&rule))
            && self.severity.is_none_or(|s| severity >= s)
    }

    pub fn accepts_alert(&self, a: &Alert) -> bool {
        self.accepts(&a.owner, a.rule, a.severity)
    }
}

#[cfg(test)]
mod tests;
