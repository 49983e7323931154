//! Counting days the way a rule is set to: every calendar day, or working
//! days only (Monday to Friday, less the pipeline's holidays). Pure.

use crate::term::{Term, Unit};
use chrono::{Datelike, Days, NaiveDate, Weekday};

#[derive(Debug, Clone, Copy)]
pub struct Calendar<'a> {
    pub business_days: bool,
    /// The holidays from Monday to Friday, sorted.
    holidays: &'a [NaiveDate],
}

impl<'a> Calendar<'a> {
    /// `holidays`: those from Monday to Friday, sorted (one on a weekend
    /// takes off no working day).
    pub fn new(business_days: bool, holidays: &'a [NaiveDate]) -> Calendar<'a> {
        debug_assert!(
            holidays
                .iter()
                .all(|h| !matches!(h.weekday(), Weekday::Sat | Weekday::Sun))
                && holidays.is_sorted(),
            "working days' holidays, sorted"
        );
        Calendar {
            business_days,
            holidays,
        }
    }

    /// Whether the day counts: always in calendar mode; Monday to Friday except holidays otherwise.
    pub fn counts(&self, d: NaiveDate) -> bool {
        !self.business_days
            || (!matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
                && self.holidays.binary_search(&d).is_err())
    }

    /// How many counted days there are after `from` up to and including `to`
    /// (negative when `to` is before `from`).
    pub fn count(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.count(to, from);
        }
        if !self.business_days {
            return (to - from).num_days();
        }
        let weekdays = weekdays_through(to) - weekdays_through(from);
        let lo = self.holidays.partition_point(|h| *h <= from);
        let hi = self.holidays.partition_point(|h| *h <= to);
        weekdays - (hi - lo) as i64
    }

    /// `date` moved forward by a term. In working days, a day is a working
    /// day and a week is five of them; months and years stay calendar ones.
    pub fn add(&self, date: NaiveDate, term: Term) -> NaiveDate {
        if !self.business_days {
            return term.after(date);
        }
        let n = match term.unit {
            Unit::Days => u64::from(term.count),
            Unit::Weeks => u64::from(term.count) * 5,
            Unit::Months | Unit::Years => return term.after(date),
        };
        let mut d = date;
        let mut left = n;
        while left > 0 {
            match d.checked_add_days(Days::new(1)) {
                Some(next) => d = next,
                None => return NaiveDate::MAX,
            }
            if self.counts(d) {
                left -= 1;
            }
        }
        d
    }

    /// How many counted days `today` is past `date` + `term`; positive means past it.
    pub fn past(&self, date: NaiveDate, term: Term, today: NaiveDate) -> i64 {
        self.count(self.add(date, term), today)
    }
}

/// Monday-to-Friday days from 1 January of year 1 (a Monday) through `d`.
fn weekdays_through(d: NaiveDate) -> i64 {
    let n = i64::from(d.num_days_from_ce()); // 1 for 0001-01-01
    let wd = i64::from(d.weekday().num_days_from_monday());
    let monday = n - wd;
    (monday - 1).div_euclid(7) * 5 + (wd + 1).min(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn calendar_days_are_plain_differences() {
        let c = Calendar::new(false, &[]);
        assert_eq!(c.count(d("2026-11-20"), d("2026-11-27")), 7);
        assert_eq!(c.count(d("2026-11-27"), d("2026-11-20")), -7);
    }

    #[test]
    fn working_days_skip_weekends_and_holidays() {
        // A Wednesday (one on a weekend is left out by the pipeline).
        let holidays = [d("2026-11-11")];
        let c = Calendar::new(true, &holidays);
        // Friday 20 to Friday 27 November: five working days.
        assert_eq!(c.count(d("2026-11-20"), d("2026-11-27")), 5);
        assert_eq!(c.count(d("2026-11-20"), d("2026-11-29")), 5);
        assert_eq!(c.count(d("2026-11-20"), d("2026-11-30")), 6);
        // The Wednesday holiday is skipped.
        assert_eq!(c.count(d("2026-11-09"), d("2026-11-16")), 4);
        assert_eq!(c.count(d("2026-11-16"), d("2026-11-09")), -4);
        let five = Term::parse("5 days").unwrap();
        assert_eq!(c.add(d("2026-11-20"), five), d("2026-11-27"));
        assert_eq!(
            c.add(d("2026-11-10"), Term::parse("1 day").unwrap()),
            d("2026-11-12")
        );
        assert_eq!(
            c.add(d("2026-11-20"), Term::parse("1 week").unwrap()),
            d("2026-11-27")
        );
        assert_eq!(c.past(d("2026-11-20"), five, d("2026-11-28")), 0);
        assert_eq!(c.past(d("2026-11-20"), five, d("2026-11-30")), 1);
    }

    #[test]
    fn weekday_counting_matches_a_walk() {
        let c = Calendar::new(true, &[]);
        let start = d("2025-12-25");
        for k in 0..40 {
            let end = start + chrono::Duration::days(k);
            let walked = (1..=k)
                .filter(|i| c.counts(start + chrono::Duration::days(*i)))
                .count() as i64;
            assert_eq!(c.count(start, end), walked, "to {end}");
        }
    }
}
