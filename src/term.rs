//! Time terms (`3 months`, `45 days`, `1 an`) and date arithmetic on them.

use chrono::{Days, Months, NaiveDate};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Days,
    Weeks,
    Months,
    Years,
}

/// A length of time counted in calendar units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Term {
    pub count: u32,
    pub unit: Unit,
}

impl Term {
    /// Parses `N unit`, with English or French units: days/jours, weeks/semaines, months/mois, years/ans.
    pub fn parse(s: &str) -> Result<Term, String> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (num, unit) = s.split_at(split);
        let count: u32 = num.parse().map_err(|_| {
            format!("`{s}` is not a term: write a whole number and a unit, such as `3 months` or `45 days`")
        })?;
        let unit = match crate::text::fold(unit).as_str() {
            "d" | "j" | "day" | "days" | "jour" | "jours" => Unit::Days,
            "w" | "week" | "weeks" | "semaine" | "semaines" => Unit::Weeks,
            "month" | "months" | "mois" => Unit::Months,
            "y" | "year" | "years" | "an" | "ans" | "annee" | "annees" => Unit::Years,
            other => {
                return Err(format!(
                    "`{s}` has an unknown unit `{other}`: use days, weeks, months or years"
                ));
            }
        };
        Ok(Term { count, unit })
    }

    /// `date` moved forward by the term (month ends clamp: 31 Jan + 1 month = 28/29 Feb).
    pub fn after(self, date: NaiveDate) -> NaiveDate {
        let n = self.count;
        let moved = match self.unit {
            Unit::Days => date.checked_add_days(Days::new(n.into())),
            Unit::Weeks => date.checked_add_days(Days::new(u64::from(n) * 7)),
            Unit::Months => date.checked_add_months(Months::new(n)),
            Unit::Years => date.checked_add_months(Months::new(n.saturating_mul(12))),
        };
        moved.unwrap_or(NaiveDate::MAX)
    }

    /// The term in plain French words: `3 mois`, `45 jours`, `1 an`.
    pub fn french(self) -> String {
        let n = self.count;
        let unit = match (self.unit, n) {
            (Unit::Days, 1) => "jour",
            (Unit::Days, _) => "jours",
            (Unit::Weeks, 1) => "semaine",
            (Unit::Weeks, _) => "semaines",
            (Unit::Months, _) => "mois",
            (Unit::Years, 1) => "an",
            (Unit::Years, _) => "ans",
        };
        format!("{n} {unit}")
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.count;
        let unit = match self.unit {
            Unit::Days => "day",
            Unit::Weeks => "week",
            Unit::Months => "month",
            Unit::Years => "year",
        };
        write!(f, "{n} {unit}{}", if n == 1 { "" } else { "s" })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn parses_english_and_french_units() {
        assert_eq!(
            Term::parse("3 months").unwrap(),
            Term {
                count: 3,
                unit: Unit::Months
            }
        );
        assert_eq!(
            Term::parse("1 an").unwrap(),
            Term {
                count: 1,
                unit: Unit::Years
            }
        );
        assert_eq!(
            Term::parse("45 jours").unwrap(),
            Term {
                count: 45,
                unit: Unit::Days
            }
        );
        assert_eq!(
            Term::parse("2weeks").unwrap(),
            Term {
                count: 2,
                unit: Unit::Weeks
            }
        );
        assert!(Term::parse("three months").is_err());
        assert!(Term::parse("3 fortnights").is_err());
    }

    #[test]
    fn adds_calendar_units() {
        let t = Term::parse("1 month").unwrap();
        assert_eq!(t.after(d("2026-01-31")), d("2026-02-28"));
        assert_eq!(
            Term::parse("1 year").unwrap().after(d("2026-11-27")),
            d("2027-11-27")
        );
        assert_eq!(
            Term::parse("2 weeks").unwrap().after(d("2026-11-27")),
            d("2026-12-11")
        );
        assert_eq!(t.french(), "1 mois");
    }
}
