//! Hours of work: exact durations read the ways people write them on a
//! timesheet (`1.5`, `1,5`, `1h30`, `90min`) and written back in one
//! canonical form.
//!
//! A duration is held as an exact decimal number of minutes: every decimal
//! number of hours is a decimal number of minutes, and so is every number of
//! minutes, whereas 20 minutes is no finite decimal number of hours. Nothing
//! here touches the disk.

use rust_decimal::Decimal;
use std::iter::Sum;
use std::ops::{Add, AddAssign};
use std::str::FromStr;

const SIXTY: Decimal = Decimal::from_parts(60, 0, 0, false, 0);

/// A duration of work, exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Hours {
    minutes: Decimal,
}

impl Hours {
    pub const ZERO: Hours = Hours {
        minutes: Decimal::ZERO,
    };

    pub fn from_minutes(minutes: Decimal) -> Hours {
        Hours {
            minutes: minutes.normalize(),
        }
    }

    /// `None` when the minutes would not fit in a decimal.
    pub fn from_hours(hours: Decimal) -> Option<Hours> {
        hours.checked_mul(SIXTY).map(Hours::from_minutes)
    }

    pub fn minutes(self) -> Decimal {
        self.minutes
    }

    /// The duration in hours; exact when it is a finite decimal, else to 28 significant digits.
    pub fn hours(self) -> Decimal {
        self.minutes / SIXTY
    }

    /// Reads `1.5`, `1,5`, `2h`, `1,5 h`, `1h30`, `1 h 30 min`, `90min`, `45 mn`.
    pub fn parse(input: &str) -> Result<Hours, String> {
        let bad = |why: &str| format!("`{input}` is not a number of hours: {why}");
        let hint = "write it as `1.5`, `1,5`, `1h30` or `90min`";
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err(bad(hint));
        }
        if s.starts_with(['-', '\u{2212}']) {
            return Err(bad("it is negative"));
        }
        let (number, rest) = split_number(&s);
        let value = decimal(number).ok_or_else(|| bad(hint))?;
        let rest = rest.trim_start();
        let minutes = match rest {
            "" => value
                .checked_mul(SIXTY)
                .ok_or_else(|| bad("it is too large"))?,
            "min" | "mn" | "m" => value,
            _ => {
                let Some(after_h) = rest.strip_prefix('h') else {
                    return Err(bad(hint));
                };
                let after_h = after_h.trim_start();
                let (mins, unit) = split_number(after_h);
                if !matches!(unit.trim(), "" | "min" | "mn" | "m") {
                    return Err(bad(hint));
                }
                if mins.is_empty() {
                    if !unit.trim().is_empty() {
                        return Err(bad(hint));
                    }
                    value
                        .checked_mul(SIXTY)
                        .ok_or_else(|| bad("it is too large"))?
                } else {
                    if number.contains(['.', ',']) {
                        return Err(bad("write whole hours before `h`, such as `1h30`"));
                    }
                    let m = decimal(mins)
                        .filter(|m| m.fract().is_zero() && *m < SIXTY)
                        .ok_or_else(|| {
                            bad("the minutes after `h` must be a whole number below 60, such as `1h30`")
                        })?;
                    value
                        .checked_mul(SIXTY)
                        .and_then(|v| v.checked_add(m))
                        .ok_or_else(|| bad("it is too large"))?
                }
            }
        };
        Ok(Hours::from_minutes(minutes))
    }

    /// The form `pipe` writes in files: decimal hours when they are exact
    /// (`1.5`, `0.25`, `2`), else hours and minutes (`1h20`), else minutes
    /// (`20.5min`). Each reads back as the same duration.
    pub fn canonical(self) -> String {
        // m/60 is a finite decimal exactly when 3 divides m's digits (60 = 2² × 3 × 5).
        if self.minutes.mantissa() % 3 == 0 {
            return self.hours().normalize().to_string();
        }
        if !self.minutes.fract().is_zero() {
            return format!("{}min", self.minutes);
        }
        let whole = (self.minutes / SIXTY).trunc().normalize();
        let rest = (self.minutes - whole * SIXTY).normalize().to_string();
        format!("{whole}h{rest:0>2}")
    }
}

/// Splits a leading number (digits with at most one `.` or `,`) from the rest.
fn split_number(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(s.len());
    s.split_at(end)
}

fn decimal(s: &str) -> Option<Decimal> {
    if s.is_empty()
        || !s.starts_with(|c: char| c.is_ascii_digit())
        || s.ends_with(['.', ','])
        || s.matches(['.', ',']).count() > 1
    {
        return None;
    }
    Decimal::from_str(&s.replace(',', ".")).ok()
}

impl Add for Hours {
    type Output = Hours;
    fn add(self, o: Hours) -> Hours {
        Hours::from_minutes(self.minutes + o.minutes)
    }
}

impl AddAssign for Hours {
    fn add_assign(&mut self, o: Hours) {
        *self = *self + o;
    }
}

impl Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Hours> for Hours {
    fn sum<I: Iterator<Item = &'a Hours>>(iter: I) -> Hours {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minutes(s: &str) -> Decimal {
        Hours::parse(s).unwrap().minutes()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn reads_the_ways_people_write_hours() {
        assert_eq!(minutes("1.5"), d("90"));
        assert_eq!(minutes("1,5"), d("90"));
        assert_eq!(minutes(" 2 "), d("120"));
        assert_eq!(minutes("0.25"), d("15"));
        assert_eq!(minutes("1h30"), d("90"));
        assert_eq!(minutes("1H30"), d("90"));
        assert_eq!(minutes("1 h 30"), d("90"));
        assert_eq!(minutes("1h30min"), d("90"));
        assert_eq!(minutes("1h05"), d("65"));
        assert_eq!(minutes("2h"), d("120"));
        assert_eq!(minutes("1,5 h"), d("90"));
        assert_eq!(minutes("90min"), d("90"));
        assert_eq!(minutes("90 min"), d("90"));
        assert_eq!(minutes("45mn"), d("45"));
        assert_eq!(minutes("20m"), d("20"));
        assert_eq!(minutes("0h20"), d("20"));
    }

    #[test]
    fn refuses_what_is_not_a_duration() {
        for bad in [
            "",
            "h",
            "abc",
            "-1",
            "1h75",
            "1.5h30",
            "1,2,3",
            "1.",
            ",5",
            "1h30h",
            "1 heure",
            "1h3.5",
            "90 sec",
            "99999999999999999999999999999",
        ] {
            assert!(Hours::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn is_exact_where_decimal_hours_are_not() {
        let twenty = Hours::parse("20min").unwrap();
        let total: Hours = [twenty, twenty, twenty].iter().sum();
        assert_eq!(total, Hours::parse("1").unwrap());
        assert_eq!(twenty.canonical(), "0h20");
        assert_eq!(Hours::parse("1h20").unwrap().canonical(), "1h20");
        assert_eq!(Hours::parse("65min").unwrap().canonical(), "1h05");
        assert_eq!(Hours::parse("90min").unwrap().canonical(), "1.5");
        assert_eq!(Hours::parse("1,50").unwrap().canonical(), "1.5");
        assert_eq!(Hours::parse("15 min").unwrap().canonical(), "0.25");
        assert_eq!(Hours::parse("3").unwrap().canonical(), "3");
        assert_eq!(Hours::parse("20.5min").unwrap().canonical(), "20.5min");
    }

    #[test]
    fn canonical_forms_read_back() {
        for s in ["0h20", "1h05", "1.5", "0.25", "12", "20.5min", "7h40"] {
            let h = Hours::parse(s).unwrap();
            assert_eq!(Hours::parse(&h.canonical()).unwrap(), h, "{s}");
        }
    }
}
