//! The `[alerts]` section of `pipeline.toml` and the `alerts` table of a
//! stage: which rules run, how severe they are, their thresholds and how
//! days are counted. Validated with the rest of the file; the rules
//! themselves are in `crate::alerts`.

use super::{Horizon, Validator};
use crate::dates::DateFormats;
use crate::term::{Term, Unit};
use crate::text::{fold, or_list, suggest};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// An alert rule. The key is what `pipeline.toml`, `--rule` and the outputs call it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    Stale,
    DecisionOverdue,
    HorizonMismatch,
    MissingField,
    NextActionOverdue,
    NoNextAction,
    SnoozedUntilPassed,
    DecisionSlipped,
    InvalidRow,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::Stale,
        Rule::DecisionOverdue,
        Rule::HorizonMismatch,
        Rule::MissingField,
        Rule::NextActionOverdue,
        Rule::NoNextAction,
        Rule::SnoozedUntilPassed,
        Rule::DecisionSlipped,
        Rule::InvalidRow,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Rule::Stale => "stale",
            Rule::DecisionOverdue => "decision_overdue",
            Rule::HorizonMismatch => "horizon_mismatch",
            Rule::MissingField => "missing_field",
            Rule::NextActionOverdue => "next_action_overdue",
            Rule::NoNextAction => "no_next_action",
            Rule::SnoozedUntilPassed => "snoozed_until_passed",
            Rule::DecisionSlipped => "decision_slipped",
            Rule::InvalidRow => "invalid_row",
        }
    }

    /// Finds a rule by key, without regard to case, `-` or `_`.
    pub fn parse(s: &str) -> Option<Rule> {
        let k = fold(s);
        Rule::ALL.into_iter().find(|r| fold(r.key()) == k)
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn default_severity(self) -> Severity {
        match self {
            Rule::DecisionOverdue | Rule::InvalidRow => Severity::Critical,
            _ => Severity::Warning,
        }
    }

    /// Whether the rule counts days past a date, and so takes a `grace`.
    pub fn has_grace(self) -> bool {
        matches!(self, Rule::DecisionOverdue | Rule::NextActionOverdue)
    }

    /// Whether the rule counts days at all (so `business_days` changes it).
    pub fn counts_days(self) -> bool {
        matches!(
            self,
            Rule::Stale | Rule::DecisionOverdue | Rule::NextActionOverdue
        )
    }

    /// Whether a stage may override the rule: an unreadable row has no stage.
    pub fn per_stage(self) -> bool {
        self != Rule::InvalidRow
    }
}

/// How urgent an alert is; `critical` is worse than `warning`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    pub fn key(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// The settings of one rule, as they apply in one stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSettings {
    pub enabled: bool,
    pub severity: Severity,
    /// Count working days only (Monday to Friday, except `holidays`).
    pub business_days: bool,
    /// After how long `--new-only` reports an alert again while it stays open; `None`: never.
    pub realert_after: Option<Term>,
    /// How far past its date an overdue rule waits before it alerts.
    pub grace: Term,
    /// `decision_slipped`: how many times the decision may be pushed back before it alerts.
    pub count: u32,
}

impl RuleSettings {
    fn default_for(rule: Rule) -> RuleSettings {
        RuleSettings {
            enabled: true,
            severity: rule.default_severity(),
            business_days: false,
            realert_after: Some(DEFAULT_REALERT),
            grace: Term {
                count: 0,
                unit: Unit::Days,
            },
            count: DEFAULT_SLIPS,
        }
    }
}

pub const DEFAULT_REALERT: Term = Term {
    count: 7,
    unit: Unit::Days,
};
pub const DEFAULT_SLIPS: u32 = 3;

/// The validated `[alerts]` section.
#[derive(Debug, Clone)]
pub struct AlertsConfig {
    /// Days that are not working days when `business_days` is on, sorted.
    pub holidays: Vec<NaiveDate>,
    /// Those of them from Monday to Friday, sorted: the days they take off
    /// a count of working days ([`crate::calendar::Calendar`]).
    pub working_holidays: Vec<NaiveDate>,
    /// Each rule's settings before any stage overrides them, in [`Rule::ALL`] order.
    pub rules: Vec<RuleSettings>,
}

impl AlertsConfig {
    pub fn rule(&self, r: Rule) -> &RuleSettings {
        &self.rules[r.index()]
    }
}

// ---------------------------------------------------------------- raw model

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAlerts {
    business_days: Option<bool>,
    #[serde(default)]
    holidays: Vec<Spanned<String>>,
    realert_after: Option<Spanned<String>>,
    stale: Option<RawRule>,
    decision_overdue: Option<RawRule>,
    horizon_mismatch: Option<RawRule>,
    missing_field: Option<RawRule>,
    next_action_overdue: Option<RawRule>,
    no_next_action: Option<RawRule>,
    snoozed_until_passed: Option<RawRule>,
    decision_slipped: Option<RawRule>,
    invalid_row: Option<RawRule>,
}

/// The `alerts` table of a `[[stage]]`: the same rule tables, for that stage only.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStageAlerts {
    stale: Option<RawRule>,
    decision_overdue: Option<RawRule>,
    horizon_mismatch: Option<RawRule>,
    missing_field: Option<RawRule>,
    next_action_overdue: Option<RawRule>,
    no_next_action: Option<RawRule>,
    snoozed_until_passed: Option<RawRule>,
    decision_slipped: Option<RawRule>,
    invalid_row: Option<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    enabled: Option<bool>,
    severity: Option<Severity>,
    business_days: Option<bool>,
    realert_after: Option<Spanned<String>>,
    grace: Option<Spanned<String>>,
    count: Option<Spanned<i64>>,
}

macro_rules! rule_tables {
    ($t:ty) => {
        impl $t {
            fn tables(&self) -> [(Rule, Option<&RawRule>); 9] {
                [
                    (Rule::Stale, self.stale.as_ref()),
                    (Rule::DecisionOverdue, self.decision_overdue.as_ref()),
                    (Rule::HorizonMismatch, self.horizon_mismatch.as_ref()),
                    (Rule::MissingField, self.missing_field.as_ref()),
                    (Rule::NextActionOverdue, self.next_action_overdue.as_ref()),
                    (Rule::NoNextAction, self.no_next_action.as_ref()),
                    (Rule::SnoozedUntilPassed, self.snoozed_until_passed.as_ref()),
                    (Rule::DecisionSlipped, self.decision_slipped.as_ref()),
                    (Rule::InvalidRow, self.invalid_row.as_ref()),
                ]
            }
        }
    };
}
rule_tables!(RawAlerts);
rule_tables!(RawStageAlerts);

// --------------------------------------------------------------- validation

impl Validator<'_> {
    /// Validates `[alerts]`: the company-wide settings of every rule.
    pub(super) fn alerts(
        &mut self,
        raw: &RawAlerts,
        horizons: &BTreeMap<String, Term>,
        formats: &DateFormats,
    ) -> AlertsConfig {
        let mut holidays = Vec::new();
        for h in &raw.holidays {
            match formats.parse_date(h.get_ref()) {
                Some(d) => holidays.push(d),
                None => self.err(
                    h,
                    "bad-holiday",
                    format!("[alerts] holidays: `{}` is not a date", h.get_ref()),
                    Some(format!("write it as {}", formats.describe())),
                ),
            }
        }
        holidays.sort();
        holidays.dedup();
        let realert_after = match &raw.realert_after {
            None => Some(DEFAULT_REALERT),
            Some(v) => self.realert(horizons, "[alerts]", v),
        };
        let mut rules = Vec::new();
        for (rule, table) in raw.tables() {
            let mut s = RuleSettings::default_for(rule);
            s.business_days = raw.business_days.unwrap_or(false);
            s.realert_after = realert_after;
            if let Some(t) = table {
                let owner = format!("[alerts.{}]", rule.key());
                self.rule(horizons, &owner, rule, t, &mut s);
            }
            rules.push(s);
        }
        let working_holidays = holidays
            .iter()
            .copied()
            .filter(|d| !matches!(d.weekday(), chrono::Weekday::Sat | chrono::Weekday::Sun))
            .collect();
        AlertsConfig {
            holidays,
            working_holidays,
            rules,
        }
    }

    /// Validates a stage's `alerts` table over the company-wide settings.
    /// Returns the stage's settings and the rules it overrides.
    pub(super) fn stage_alerts(
        &mut self,
        raw: Option<&RawStageAlerts>,
        horizons: &BTreeMap<String, Term>,
        stage_id: &Spanned<String>,
        global: &AlertsConfig,
    ) -> (Vec<RuleSettings>, Vec<Rule>) {
        let mut rules = global.rules.clone();
        let mut overridden = Vec::new();
        let Some(raw) = raw else {
            return (rules, overridden);
        };
        for (rule, table) in raw.tables() {
            let Some(t) = table else { continue };
            let owner = format!("stage `{}`: alerts.{}", stage_id.get_ref(), rule.key());
            if !rule.per_stage() {
                self.err(
                    stage_id,
                    "misplaced-alert",
                    format!("{owner}: an unreadable row has no stage, so this rule cannot be set per stage"),
                    Some(format!("set it under [alerts.{}]", rule.key())),
                );
                continue;
            }
            self.rule(horizons, &owner, rule, t, &mut rules[rule.index()]);
            overridden.push(rule);
        }
        (rules, overridden)
    }

    fn rule(
        &mut self,
        horizons: &BTreeMap<String, Term>,
        owner: &str,
        rule: Rule,
        t: &RawRule,
        s: &mut RuleSettings,
    ) {
        if let Some(e) = t.enabled {
            s.enabled = e;
        }
        if let Some(v) = t.severity {
            s.severity = v;
        }
        if let Some(b) = t.business_days {
            s.business_days = b;
        }
        if let Some(v) = &t.realert_after {
            s.realert_after = self.realert(horizons, owner, v);
        }
        if let Some(g) = &t.grace {
            if rule.has_grace() {
                if let Some(h) = self.horizon(horizons, "grace", owner, g) {
                    s.grace = h.term;
                }
            } else {
                self.err(
                    g,
                    "misplaced-alert-key",
                    format!("{owner}: `grace` applies only to `decision_overdue` and `next_action_overdue`"),
                    Some("remove it from this table".into()),
                );
            }
        }
        if let Some(c) = &t.count {
            if rule != Rule::DecisionSlipped {
                self.err(
                    c,
                    "misplaced-alert-key",
                    format!("{owner}: `count` applies only to `decision_slipped`"),
                    Some("remove it from this table".into()),
                );
            } else {
                match u32::try_from(*c.get_ref()) {
                    Ok(n) if n >= 1 => s.count = n,
                    _ => self.err(
                        c,
                        "bad-count",
                        format!("{owner}: `count` is {}; it must be 1 or more", c.get_ref()),
                        Some("write how many times the decision may be pushed back before the alert, such as `3`".into()),
                    ),
                }
            }
        }
    }

    /// `realert_after`: a term, a horizon name, or `never`.
    fn realert(
        &mut self,
        horizons: &BTreeMap<String, Term>,
        owner: &str,
        v: &Spanned<String>,
    ) -> Option<Term> {
        if fold(v.get_ref()) == "never" || fold(v.get_ref()) == "jamais" {
            return None;
        }
        self.horizon(horizons, "realert_after", owner, v)
            .map(|Horizon { term, .. }| term)
            .or(Some(DEFAULT_REALERT))
    }
}

/// The message for a rule name that matches nothing.
pub fn unknown_rule(name: &str) -> String {
    let keys: Vec<&str> = Rule::ALL.iter().map(|r| r.key()).collect();
    let near = suggest(name, keys.iter().copied());
    if near.is_empty() {
        format!(
            "unknown alert rule `{name}`; the rules are {}",
            or_list(&keys)
        )
    } else {
        format!(
            "unknown alert rule `{name}`; did you mean {}?",
            or_list(&near)
        )
    }
}
