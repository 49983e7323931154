//! The pipeline's words in its locale, for what salespeople read (alerts,
//! triage, the manual): terms, day counts, decision windows, severities.
//! Messages for the person at the terminal (errors, hints) stay in English.

use crate::field::Field;
use crate::pipeline::{Locale, Pipeline, Severity, Stage};
use crate::term::{Term, Unit};

/// Picks the French or the English text.
pub fn pick<'a>(p: &Pipeline, fr: &'a str, en: &'a str) -> &'a str {
    match p.locale {
        Locale::Fr => fr,
        Locale::En => en,
    }
}

/// `3 mois`, `un an`, `45 jours` (fr); `3 months`, `1 year` (en).
pub fn term(p: &Pipeline, t: Term) -> String {
    match p.locale {
        Locale::Fr if t.count == 1 => match t.unit {
            Unit::Days => "un jour",
            Unit::Weeks => "une semaine",
            Unit::Months => "un mois",
            Unit::Years => "un an",
        }
        .to_string(),
        Locale::Fr => t.french(),
        Locale::En => t.to_string(),
    }
}

/// A term as a rule counts it: `10 jours ouvrés` when only working days count.
pub fn counted_term(p: &Pipeline, t: Term, business: bool) -> String {
    if business && t.unit == Unit::Days {
        days(p, i64::from(t.count), true)
    } else if business && t.unit == Unit::Weeks {
        format!("{} ({})", term(p, t), days(p, i64::from(t.count) * 5, true))
    } else {
        term(p, t)
    }
}

/// `420 jours`, `1 jour ouvré` (fr); `420 days`, `1 working day` (en).
pub fn days(p: &Pipeline, n: i64, business: bool) -> String {
    days_shown(p, n, business).to_string()
}

/// [`days`] as a value written where it goes, with no allocation of its own
/// (alerts write a great many of them).
pub fn days_shown(p: &Pipeline, n: i64, business: bool) -> Days {
    Days {
        locale: p.locale,
        n,
        business,
    }
}

/// A count of days in words ([`days_shown`]).
#[derive(Debug, Clone, Copy)]
pub struct Days {
    locale: Locale,
    n: i64,
    business: bool,
}

impl std::fmt::Display for Days {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match (self.locale, self.business, self.n.abs() == 1) {
            (Locale::Fr, false, true) => "jour",
            (Locale::Fr, false, false) => "jours",
            (Locale::Fr, true, true) => "jour ouvré",
            (Locale::Fr, true, false) => "jours ouvrés",
            (Locale::En, false, true) => "day",
            (Locale::En, false, false) => "days",
            (Locale::En, true, true) => "working day",
            (Locale::En, true, false) => "working days",
        };
        write!(f, "{} {unit}", self.n)
    }
}

/// `de 6 mois`, `d'un an`.
fn fr_de(s: &str) -> String {
    if s.starts_with(['a', 'e', 'i', 'o', 'u', 'é', 'h']) {
        format!("d'{s}")
    } else {
        format!("de {s}")
    }
}

/// The decision window in plain words: `décision attendue sous 3 mois`.
pub fn window(p: &Pipeline, s: &Stage) -> Option<String> {
    let after = s.decision_after.as_ref().map(|h| term(p, h.term));
    let within = s.decision_within.as_ref().map(|h| term(p, h.term));
    Some(match (p.locale, after, within) {
        (_, None, None) => return None,
        (Locale::Fr, None, Some(w)) => format!("décision attendue sous {w}"),
        (Locale::Fr, Some(a), None) => format!("décision attendue au-delà {}", fr_de(&a)),
        (Locale::Fr, Some(a), Some(w)) => format!("décision attendue entre {a} et {w}"),
        (Locale::En, None, Some(w)) => format!("decision expected within {w}"),
        (Locale::En, Some(a), None) => format!("decision expected in more than {a}"),
        (Locale::En, Some(a), Some(w)) => format!("decision expected between {a} and {w}"),
    })
}

pub fn severity(p: &Pipeline, s: Severity) -> &'static str {
    match (p.locale, s) {
        (Locale::Fr, Severity::Warning) => "avertissement",
        (Locale::Fr, Severity::Critical) => "critique",
        (Locale::En, Severity::Warning) => "warning",
        (Locale::En, Severity::Critical) => "critical",
    }
}

/// A field as the register's header names it, quoted: `« Montant HT »`.
pub fn field(p: &Pipeline, f: Field) -> String {
    quote(p, p.register.header(f))
}

pub fn quote(p: &Pipeline, s: &str) -> String {
    match p.locale {
        Locale::Fr => format!("«\u{a0}{s}\u{a0}»"),
        Locale::En => format!("“{s}”"),
    }
}

/// `3 fois` / `3 times`.
pub fn times(p: &Pipeline, n: u32) -> String {
    match (p.locale, n) {
        (Locale::Fr, _) => format!("{n} fois"),
        (Locale::En, 1) => "once".to_string(),
        (Locale::En, 2) => "twice".to_string(),
        (Locale::En, _) => format!("{n} times"),
    }
}

/// `a, b et c` / `a, b and c`, without quotes.
pub fn list<S: AsRef<str>>(p: &Pipeline, items: &[S]) -> String {
    let and = pick(p, "et", "and");
    match items.len() {
        0 => String::new(),
        1 => items[0].as_ref().to_string(),
        n => format!(
            "{} {and} {}",
            items[..n - 1]
                .iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            items[n - 1].as_ref()
        ),
    }
}
