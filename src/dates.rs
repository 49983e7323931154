//! Dates as the register writes them: ISO always, plus the formats the
//! pipeline declares. Day/month order is configured, never guessed.

use chrono::format::{Item, Numeric, Pad, Parsed, StrftimeItems};
use chrono::{DateTime, Datelike, NaiveDate};

pub const ISO: &str = "%Y-%m-%d";

/// A date format whose every date has the same width (`%d/%m/%Y`, `%Y-%m-%d`),
/// read by position. Only a string of exactly its shape (digits where the
/// numbers go, the literal characters between them) is read this way, and
/// chrono reads such a string the same (`%Y` takes at most four digits
/// unsigned, `%m` and `%d` two); anything else goes to chrono.
#[derive(Debug, Clone, Copy)]
struct Fixed {
    len: usize,
    /// Where the year (4 digits), month and day (2 digits each) start.
    year: usize,
    month: usize,
    day: usize,
    /// The literal bytes, by position (0 where a digit goes); at most 16.
    literal: [u8; 16],
}

impl Fixed {
    fn compile(items: &[Item<'_>]) -> Option<Fixed> {
        let mut f = Fixed {
            len: 0,
            year: usize::MAX,
            month: usize::MAX,
            day: usize::MAX,
            literal: [0; 16],
        };
        for item in items {
            match item {
                Item::Numeric(n, Pad::Zero) => {
                    let (slot, width) = match n {
                        Numeric::Year => (&mut f.year, 4),
                        Numeric::Month => (&mut f.month, 2),
                        Numeric::Day => (&mut f.day, 2),
                        _ => return None,
                    };
                    if *slot != usize::MAX {
                        return None;
                    }
                    *slot = f.len;
                    f.len += width;
                }
                Item::Literal(_) | Item::OwnedLiteral(_) => {
                    let text: &str = match item {
                        Item::Literal(t) => t,
                        Item::OwnedLiteral(t) => t,
                        _ => unreachable!(),
                    };
                    for &b in text.as_bytes() {
                        if !b.is_ascii_graphic() || b.is_ascii_digit() || b == b'%' {
                            return None;
                        }
                        *f.literal.get_mut(f.len)? = b;
                        f.len += 1;
                    }
                }
                _ => return None,
            }
            if f.len > 16 {
                return None;
            }
        }
        (f.year != usize::MAX && f.month != usize::MAX && f.day != usize::MAX).then_some(f)
    }

    /// The date, when `s` has exactly this shape and names a real day; `None` leaves it to chrono.
    fn parse(&self, s: &[u8]) -> Option<NaiveDate> {
        if s.len() != self.len {
            return None;
        }
        for (i, &b) in s.iter().enumerate() {
            let want = self.literal[i];
            if (want == 0 && !b.is_ascii_digit()) || (want != 0 && b != want) {
                return None;
            }
        }
        let num = |at: usize, n: usize| {
            s[at..at + n]
                .iter()
                .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'))
        };
        NaiveDate::from_ymd_opt(
            num(self.year, 4) as i32,
            num(self.month, 2),
            num(self.day, 2),
        )
    }
}

const ISO_FIXED: Fixed = Fixed {
    len: 10,
    year: 0,
    month: 5,
    day: 8,
    literal: [0, 0, 0, 0, b'-', 0, 0, b'-', 0, 0, 0, 0, 0, 0, 0, 0],
};

/// The items of [`ISO`], as chrono parses the pattern.
const ISO_ITEMS: [Item<'static>; 5] = [
    Item::Numeric(Numeric::Year, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Month, Pad::Zero),
    Item::Literal("-"),
    Item::Numeric(Numeric::Day, Pad::Zero),
];

/// `d` as ISO writes it (`2026-11-27`), as `d.format(ISO)` does without
/// reading the pattern again each time.
pub fn iso(d: NaiveDate) -> String {
    d.format_with_items(ISO_ITEMS.iter()).to_string()
}

/// Parses an ISO date (`2026-11-27`) exactly as `NaiveDate::parse_from_str(s, ISO)` does, faster.
pub fn parse_iso(s: &str) -> Option<NaiveDate> {
    ISO_FIXED
        .parse(s.as_bytes())
        .or_else(|| NaiveDate::parse_from_str(s, ISO).ok())
}

/// Whether `DateTime::parse_from_rfc3339` accepts `s`; the usual shape
/// (`2026-11-27T09:30:00.000+01:00`, `Z`) is checked here, anything else by chrono.
pub fn is_rfc3339(s: &str) -> bool {
    fast_rfc3339(s.as_bytes()) || DateTime::parse_from_rfc3339(s).is_ok()
}

fn fast_rfc3339(s: &[u8]) -> bool {
    rfc3339_parts(s).is_some()
}

/// The instant an RFC 3339 time stands for, as seconds since 1970 (UTC)
/// and nanoseconds, as chrono gives it (`timestamp`,
/// `timestamp_subsec_nanos`); `None` when chrono does not read it. The
/// usual shape is read here, anything else by chrono. Two times written
/// with different offsets for one instant give the same.
pub fn rfc3339_instant(s: &str) -> Option<(i64, u32)> {
    match rfc3339_parts(s.as_bytes()) {
        Some(Parts {
            date,
            seconds,
            nanos,
            offset,
        }) => {
            let days = i64::from(date.num_days_from_ce()) - UNIX_DAYS_FROM_CE;
            Some((
                days * 86_400 + i64::from(seconds) - i64::from(offset),
                nanos,
            ))
        }
        None => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| (t.timestamp(), t.timestamp_subsec_nanos())),
    }
}

/// 1970-01-01 counted from 0001-01-01 as chrono counts days.
const UNIX_DAYS_FROM_CE: i64 = 719_163;

/// An RFC 3339 time of the usual shape, read by position.
struct Parts {
    date: NaiveDate,
    /// Seconds into the day.
    seconds: u32,
    nanos: u32,
    /// The offset east of UTC, in seconds.
    offset: i32,
}

fn rfc3339_parts(s: &[u8]) -> Option<Parts> {
    if s.len() < 20 || s[10] != b'T' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let digits = |r: &[u8]| -> Option<u32> {
        let mut v = 0u32;
        for &b in r {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        Some(v)
    };
    let date = ISO_FIXED.parse(&s[..10])?;
    let (h, m, sec) = (
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
    );
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut rest = &s[19..];
    let mut nanos = 0;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        nanos = digits(&tail[..n])? * 10u32.pow(9 - n as u32);
        rest = &tail[n..];
    }
    let offset = match rest {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), a, b, b':', c, d] => {
            let (oh, om) = (digits(&[*a, *b])?, digits(&[*c, *d])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let east = (oh * 3600 + om * 60) as i32;
            if *sign == b'-' { -east } else { east }
        }
        _ => return None,
    };
    Some(Parts {
        date,
        seconds: h * 3600 + m * 60 + sec,
        nanos,
        offset,
    })
}

/// The date formats a register accepts, ISO first.
#[derive(Debug, Clone)]
pub struct DateFormats {
    formats: Vec<String>,
    /// The same formats compiled once: parsing a pattern per cell would dominate a large scan.
    compiled: Vec<Vec<Item<'static>>>,
    /// The fixed-width ones, read by position first.
    fixed: Vec<Option<Fixed>>,
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
            .collect::<Vec<_>>();
        let fixed = compiled.iter().map(|items| Fixed::compile(items)).collect();
        DateFormats {
            formats,
            compiled,
            fixed,
        }
    }

    /// Parses a date; returns it with the index of the format that matched.
    pub fn parse(&self, s: &str) -> Option<(NaiveDate, usize)> {
        self.parse_hinted(s, None)
    }

    /// As [`DateFormats::parse`], trying first the format a register was seen to use.
    pub fn parse_hinted(&self, s: &str, first: Option<usize>) -> Option<(NaiveDate, usize)> {
        let s = crate::text::trim(s);
        let try_one = |i: usize| {
            if let Some(d) = self.fixed[i].and_then(|f| f.parse(s.as_bytes())) {
                return Some((d, i));
            }
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

    /// `d` in the format numbered `index`, as `d.format(self.format(index))`
    /// writes it, the pattern read once.
    pub fn write(&self, index: usize, d: NaiveDate) -> String {
        let items = &self.compiled[index.min(self.compiled.len() - 1)];
        d.format_with_items(items.iter()).to_string()
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
    fn dates_are_written_as_their_patterns_write_them() {
        let patterns = ["%d/%m/%Y", "%m/%d/%y", "%e %B %Y", "%d.%m.%Y"];
        let f = DateFormats::new(&patterns.map(String::from));
        let mut days = vec![NaiveDate::MIN, NaiveDate::MAX];
        for (y, m, d) in [
            (2026, 11, 27),
            (1, 1, 1),
            (999, 12, 31),
            (-44, 3, 15),
            (10000, 2, 29),
        ] {
            days.push(NaiveDate::from_ymd_opt(y, m, d).unwrap());
        }
        for d in days {
            assert_eq!(iso(d), d.format(ISO).to_string());
            assert_eq!(f.write(0, d), d.format(ISO).to_string());
            for (i, pattern) in patterns.iter().enumerate() {
                assert_eq!(
                    f.write(i + 1, d),
                    d.format(pattern).to_string(),
                    "{pattern}"
                );
            }
        }
    }

    #[test]
    fn iso_and_configured_formats() {
        let f = DateFormats::new(&["%d/%m/%Y".into()]);
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(f.parse("2026-11-20"), Some((d, 0)));
        assert_eq!(f.parse("20/11/2026"), Some((d, 1)));
        assert_eq!(f.parse("11/20/2026"), None);
        assert_eq!(f.describe(), "`2026-01-31` or `31/01/2026`");
    }

    /// The positional reading against chrono's, on every shape that matters.
    #[test]
    fn fixed_formats_read_as_chrono_does() {
        let formats = [
            "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%Y%m%d", "%d-%m-%Y",
        ];
        let mut samples: Vec<String> = Vec::new();
        for (y, m, d) in [
            (2026, 11, 27),
            (2024, 2, 29),
            (2023, 2, 29),
            (0, 1, 1),
            (9999, 12, 31),
            (2026, 13, 1),
            (2026, 0, 10),
            (2026, 4, 31),
            (2026, 1, 0),
        ] {
            samples.push(format!("{y:04}-{m:02}-{d:02}"));
            samples.push(format!("{d:02}/{m:02}/{y:04}"));
            samples.push(format!("{m:02}/{d:02}/{y:04}"));
            samples.push(format!("{d:02}.{m:02}.{y:04}"));
            samples.push(format!("{y:04}{m:02}{d:02}"));
            samples.push(format!("{d}/{m}/{y}"));
            samples.push(format!("{d:02}-{m:02}-{y:04}"));
        }
        samples.extend(
            [
                "",
                "2026-1-5",
                " 2026-01-05",
                "2026-01-05 ",
                "+2026-01-05",
                "２０２６-01-05",
                "2026/01/05",
                "20261-01-05",
                "27/11/26",
            ]
            .map(String::from),
        );
        for f in formats {
            let df = DateFormats::new(&[f.to_string()]);
            let i = df.formats.iter().position(|x| x == f).unwrap();
            for s in &samples {
                let chrono = {
                    let mut parsed = Parsed::new();
                    chrono::format::parse(&mut parsed, s, df.compiled[i].iter())
                        .ok()
                        .and_then(|_| parsed.to_naive_date().ok())
                };
                if let Some(fast) = df.fixed[i].and_then(|x| x.parse(s.as_bytes())) {
                    assert_eq!(Some(fast), chrono, "{f} on {s:?}");
                }
                // The whole lookup, against the straightforward one (chrono for every format).
                let slow = |hint: Option<usize>| {
                    let t = s.trim();
                    let one = |j: usize| {
                        let mut parsed = Parsed::new();
                        chrono::format::parse(&mut parsed, t, df.compiled[j].iter()).ok()?;
                        parsed.to_naive_date().ok().map(|d| (d, j))
                    };
                    hint.and_then(one)
                        .or_else(|| (0..df.len()).filter(|&j| Some(j) != hint).find_map(one))
                };
                for hint in [None, Some(0), Some(i)] {
                    assert_eq!(df.parse_hinted(s, hint), slow(hint), "{f} on {s:?}");
                }
            }
            assert!(df.fixed[i].is_some(), "{f} is fixed-width");
        }
        for s in &samples {
            assert_eq!(
                parse_iso(s),
                NaiveDate::parse_from_str(s, ISO).ok(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn rfc3339_as_chrono_reads_it() {
        for s in [
            "2026-11-27T09:30:00+01:00",
            "2026-11-27T09:30:00.123+01:00",
            "2026-11-27T09:30:00Z",
            "2026-11-27T09:30:00.123456789-05:30",
            "2026-11-27t09:30:00+01:00",
            "2026-11-27 09:30:00+01:00",
            "2026-11-27T24:00:00+01:00",
            "2026-11-27T23:59:60+01:00",
            "2026-02-30T09:30:00+01:00",
            "2026-11-27T09:30:00+24:00",
            "2026-11-27T09:30:00+0100",
            "2026-11-27T09:30:00.+01:00",
            "2026-11-27T09:30:00",
            "2026-11-27",
            "",
        ] {
            assert_eq!(
                is_rfc3339(s),
                DateTime::parse_from_rfc3339(s).is_ok(),
                "{s:?}"
            );
            if fast_rfc3339(s.as_bytes()) {
                assert!(DateTime::parse_from_rfc3339(s).is_ok(), "{s:?}");
            }
            let chrono = DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| (t.timestamp(), t.timestamp_subsec_nanos()));
            assert_eq!(rfc3339_instant(s), chrono, "{s:?}");
        }
    }

    /// Times of every shape and offset, read here and by chrono: the same
    /// instants; one instant written at two offsets, one.
    #[test]
    fn rfc3339_instants_are_chronos() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        for _ in 0..5000 {
            let frac = match rng.random_range(0..4) {
                0 => String::new(),
                n => format!(".{:09}", rng.random_range(0..1_000_000_000u32))[..n * 3 - 1]
                    .to_string(),
            };
            let offset = match rng.random_range(0..3) {
                0 => "Z".to_string(),
                _ => format!(
                    "{}{:02}:{:02}",
                    if rng.random_bool(0.5) { '+' } else { '-' },
                    rng.random_range(0..24),
                    rng.random_range(0..60)
                ),
            };
            let s = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}{offset}",
                rng.random_range(1..10000),
                rng.random_range(1..13),
                rng.random_range(1..32),
                rng.random_range(0..24),
                rng.random_range(0..60),
                rng.random_range(0..60)
            );
            let chrono = DateTime::parse_from_rfc3339(&s)
                .ok()
                .map(|t| (t.timestamp(), t.timestamp_subsec_nanos()));
            assert_eq!(rfc3339_instant(&s), chrono, "{s:?}");
        }
        assert_eq!(
            rfc3339_instant("2026-01-01T01:30:00+01:00"),
            rfc3339_instant("2026-01-01T00:30:00Z")
        );
        assert_eq!(
            rfc3339_instant("1970-01-01T00:00:01.5Z"),
            Some((1, 500_000_000))
        );
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
