//! Dates as the register writes them: ISO always, plus the formats the
//! pipeline declares. Day/month order is configured, never guessed.

use chrono::NaiveDate;
use chrono::format::{Item, Parsed, StrftimeItems};

pub const ISO: &str = "%Y-%m-%d";

/// The date formats a register accepts, ISO first.
#[derive(Debug, Clone)]
pub struct DateFormats {
    formats: Vec<String>,
    /// The same formats compiled once: parsing a pattern per cell would dominate a large scan.
    compiled: Vec<Vec<Item<'static>>>,
}

impl DateFormats {
    pub fn new(extra: &[String]) -> DateFormats {
        let mut formats = vec![ISO.to_string()];
        for f in extra {
            if !formats.contains(f) {
                formats.push(f.clone());
            }
        }
        let compiled = formats
            .iter()
            .map(|f| StrftimeItems::new(f).parse_to_owned().unwrap_or_default())
            .collect();
        DateFormats { formats, compiled }
    }

    /// Parses a date; returns it with the index of the format that matched.
    pub fn parse(&self, s: &str) -> Option<(NaiveDate, usize)> {
        self.parse_hinted(s, None)
    }

    /// As [`DateFormats::parse`], trying first the format a register was seen to use.
    pub fn parse_hinted(&self, s: &str, first: Option<usize>) -> Option<(NaiveDate, usize)> {
        let s = s.trim();
        let try_one = |i: usize| {
            let mut parsed = Parsed::new();
            chrono::format::parse(&mut parsed, s, self.compiled[i].iter()).ok()?;
            parsed.to_naive_date().ok().map(|d| (d, i))
        };
        if let Some(i) = first.filter(|&i| i < self.compiled.len())
            && let Some(found) = try_one(i)
        {
            return Some(found);
        }
        (0..self.compiled.len())
            .filter(|&i| Some(i) != first)
            .find_map(try_one)
    }

    pub fn parse_date(&self, s: &str) -> Option<NaiveDate> {
        self.parse(s).map(|(d, _)| d)
    }

    pub fn format(&self, index: usize) -> &str {
        &self.formats[index.min(self.formats.len() - 1)]
    }

    pub fn len(&self) -> usize {
        self.formats.len()
    }

    /// Human description of the accepted formats, for error messages.
    pub fn describe(&self) -> String {
        let examples: Vec<String> = self
            .formats
            .iter()
            .map(|f| {
                NaiveDate::from_ymd_opt(2026, 1, 31)
                    .unwrap()
                    .format(f)
                    .to_string()
            })
            .collect();
        crate::text::or_list(&examples)
    }
}

/// A span of days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// The `months` months that end with `to`: 12 months to 27/11/2026 start on 28/11/2025.
    pub fn months_to(to: NaiveDate, months: u32) -> Period {
        let from = to
            .checked_sub_months(chrono::Months::new(months))
            .and_then(|d| d.succ_opt())
            .unwrap_or(NaiveDate::MIN);
        Period { from, to }
    }

    /// The `months` months that start with `from`.
    pub fn months_from(from: NaiveDate, months: u32) -> Period {
        let to = from
            .checked_add_months(chrono::Months::new(months))
            .and_then(|d| d.pred_opt())
            .unwrap_or(NaiveDate::MAX);
        Period { from, to }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        self.from <= d && d <= self.to
    }

    /// Its length in calendar months: whole months, plus the days left over as
    /// a share of the month that follows them. 28/11/2025–27/11/2026 is exactly 12.
    pub fn months(&self) -> rust_decimal::Decimal {
        use rust_decimal::Decimal;
        let end = self.to.succ_opt().unwrap_or(NaiveDate::MAX);
        let mut whole = 0u32;
        let mut start = self.from;
        while let Some(next) = self.from.checked_add_months(chrono::Months::new(whole + 1)) {
            if next > end {
                let left = (end - start).num_days();
                let month = (next - start).num_days();
                return Decimal::from(whole) + Decimal::from(left) / Decimal::from(month);
            }
            whole += 1;
            start = next;
        }
        Decimal::from(whole)
    }
}

/// Checks that a strftime pattern can print and read back a date.
pub fn check_format(f: &str) -> Result<(), String> {
    if StrftimeItems::new(f).any(|i| matches!(i, Item::Error)) {
        return Err(format!(
            "`{f}` is not a valid date format (strftime syntax, such as `%d/%m/%Y`)"
        ));
    }
    let probe = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
    let shown = probe.format(f).to_string();
    match NaiveDate::parse_from_str(&shown, f) {
        Ok(back) if back == probe => Ok(()),
        _ => Err(format!(
            "`{f}` cannot identify a date on its own: it needs the day, the month and the year (such as `%d/%m/%Y`)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_and_configured_formats() {
        let f = DateFormats::new(&["%d/%m/%Y".into()]);
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(f.parse("2026-11-20"), Some((d, 0)));
        assert_eq!(f.parse("20/11/2026"), Some((d, 1)));
        assert_eq!(f.parse("11/20/2026"), None);
        assert_eq!(f.describe(), "`2026-01-31` or `31/01/2026`");
    }

    #[test]
    fn periods_count_calendar_months() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let year = Period::months_to(d(2026, 11, 27), 12);
        assert_eq!(year.from, d(2025, 11, 28));
        assert_eq!(year.months(), 12.into());
        let half = Period {
            from: d(2026, 1, 1),
            to: d(2026, 2, 14),
        };
        assert_eq!(half.months(), "1.5".parse().unwrap());
        let ahead = Period::months_from(d(2026, 11, 28), 6);
        assert_eq!(ahead.to, d(2027, 5, 27));
        assert_eq!(ahead.months(), 6.into());
        assert!(year.contains(d(2025, 11, 28)) && !year.contains(d(2025, 11, 27)));
    }

    #[test]
    fn rejects_ambiguous_formats() {
        assert!(check_format("%d/%m/%Y").is_ok());
        assert!(check_format("%d/%m").is_err());
        assert!(check_format("%Q").is_err());
    }
}
