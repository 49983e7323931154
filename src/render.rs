//! Shared rendering: amounts, dates and percentages in the pipeline's locale,
//! tables at a width that suits the terminal (or `COLUMNS`), and CSV cells
//! that are safe to open in a spreadsheet.

use crate::pipeline::{Locale, Pipeline};
use chrono::NaiveDate;
use comfy_table::{CellAlignment, ContentArrangement, Table, presets};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// `12 500,50 €` (fr) or `EUR 12,500.50` (en); always two decimals.
pub fn money(p: &Pipeline, v: Decimal) -> String {
    let mut r = v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    let symbol = match p.currency.as_str() {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        other => other,
    };
    match p.locale {
        Locale::Fr => format!(
            "{sign}{},{frac}\u{a0}{symbol}",
            crate::money::group_digits(int, Some('\u{a0}'))
        ),
        Locale::En => format!(
            "{sign}{symbol}{}.{frac}",
            crate::money::group_digits(int, Some(','))
        ),
    }
}

/// A number rounded to `dp` decimals, with the locale's separators: `1 234,5` (fr) or `1,234.5` (en).
pub fn decimal(p: &Pipeline, v: Decimal, dp: u32) -> String {
    let mut r = v.round_dp_with_strategy(dp, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(dp);
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    let (group, point) = match p.locale {
        Locale::Fr => ('\u{a0}', ','),
        Locale::En => (',', '.'),
    };
    let int = crate::money::group_digits(int, Some(group));
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}{point}{frac}")
    }
}

/// A number to at most one decimal, without trailing zeros: `12`, `7,5`.
pub fn number(p: &Pipeline, v: Decimal) -> String {
    let s = v.round_dp(1).normalize().to_string();
    match p.locale {
        Locale::Fr => s.replace('.', ","),
        Locale::En => s,
    }
}

/// A figure in hours, to one decimal: `6,5 h`.
pub fn hours(p: &Pipeline, h: Decimal) -> String {
    format!("{}\u{a0}h", decimal(p, h, 1))
}

/// A logged duration as exact as it was given: `1,5 h`, `1 h 20`, `20,5 min`.
pub fn duration(p: &Pipeline, h: crate::hours::Hours) -> String {
    let c = h.canonical();
    let c = match p.locale {
        Locale::Fr => c.replace('.', ","),
        Locale::En => c,
    };
    if let Some(min) = c.strip_suffix("min") {
        format!("{min}\u{a0}min")
    } else if let Some((h, m)) = c.split_once('h') {
        format!("{h}\u{a0}h\u{a0}{m}")
    } else {
        format!("{c}\u{a0}h")
    }
}

pub fn date(p: &Pipeline, d: NaiveDate) -> String {
    date_in(p.locale, d)
}

/// [`date`] as a value written where it goes, with no allocation of its
/// own for a year of four digits (alerts write a great many dates).
pub fn date_shown(p: &Pipeline, d: NaiveDate) -> Shown {
    date_shown_in(p.locale, d)
}

fn date_shown_in(locale: Locale, d: NaiveDate) -> Shown {
    Shown { locale, d }
}

/// A date as the pipeline's locale writes it ([`date_shown`]).
#[derive(Debug, Clone, Copy)]
pub struct Shown {
    locale: Locale,
    d: NaiveDate,
}

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match digits(self.locale, self.d) {
            Some(b) => f.write_str(std::str::from_utf8(&b).expect("ASCII digits")),
            None => f.write_str(&date_in(self.locale, self.d)),
        }
    }
}

/// A date as `date` writes it in `locale`.
fn date_in(locale: Locale, d: NaiveDate) -> String {
    let mut out = String::with_capacity(10);
    push_date(&mut out, locale, d);
    out
}

/// Appends a date as [`date`] writes it in `locale`, with no allocation of
/// its own (a report or a list writes a great many dates).
pub fn push_date(out: &mut String, locale: Locale, d: NaiveDate) {
    match digits(locale, d) {
        Some(b) => out.push_str(std::str::from_utf8(&b).expect("ASCII digits")),
        None => {
            let shown = match locale {
                Locale::Fr => d.format("%d/%m/%Y"),
                Locale::En => d.format("%Y-%m-%d"),
            };
            out.push_str(&shown.to_string());
        }
    }
}

/// A date of a four-digit year as `locale` writes it, digit by digit;
/// `None` for the other years (chrono's padding and signs then).
fn digits(locale: Locale, d: NaiveDate) -> Option<[u8; 10]> {
    use chrono::Datelike;
    let y = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let year = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)];
    let (m, day) = (d.month(), d.day());
    let (month, day) = ([digit(m / 10), digit(m)], [digit(day / 10), digit(day)]);
    let mut b = [0u8; 10];
    match locale {
        Locale::Fr => {
            b[..2].copy_from_slice(&day);
            b[2] = b'/';
            b[3..5].copy_from_slice(&month);
            b[5] = b'/';
            b[6..].copy_from_slice(&year);
        }
        Locale::En => {
            b[..4].copy_from_slice(&year);
            b[4] = b'-';
            b[5..7].copy_from_slice(&month);
            b[7] = b'-';
            b[8..].copy_from_slice(&day);
        }
    }
    Some(b)
}

pub fn opt_date(p: &Pipeline, d: Option<NaiveDate>) -> String {
    d.map(|d| date(p, d)).unwrap_or_default()
}

pub fn percent(p: &Pipeline, v: Decimal) -> String {
    let s = v.round_dp(1).normalize().to_string();
    match p.locale {
        Locale::Fr => format!("{}\u{a0}%", s.replace('.', ",")),
        Locale::En => format!("{s}%"),
    }
}

/// A table ready for rows: condensed borders, width from `COLUMNS` or the terminal.
pub fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_preset(presets::UTF8_FULL_CONDENSED);
    t.set_content_arrangement(ContentArrangement::Dynamic);
    t.set_width(width());
    t.set_header(headers.iter().copied());
    t
}

/// The width tables are laid out for: `COLUMNS`, else the terminal's, else 100.
pub fn width() -> u16 {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<u16>().ok())
        .filter(|&w| w > 0)
        .or_else(|| Table::new().width())
        .unwrap_or(100)
}

/// Right-aligns the given columns (numbers).
pub fn align_right(t: &mut Table, cols: &[usize]) {
    for &c in cols {
        if let Some(col) = t.column_mut(c) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
}

/// A CSV cell that a spreadsheet will not run as a formula.
pub fn csv_safe(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) && s.parse::<Decimal>().is_err() {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Writes one CSV record of cells made [`csv_safe`].
pub fn write_safe_record<'a, W: std::io::Write>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    for c in cells {
        w.write_field(csv_safe(c).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

/// Says on stderr how many register rows a scan skipped, if any.
pub fn warn_skipped(skipped: u64) {
    if skipped > 0 {
        eprintln!(
            "skipped {skipped} row{} that cannot be read; `pipe check` shows why",
            if skipped == 1 { "" } else { "s" }
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let ymd = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let mut days = vec![
            ymd(-1, 1, 1),
            ymd(0, 2, 29),
            ymd(7, 3, 4),
            ymd(999, 12, 31),
            ymd(1000, 1, 1),
            ymd(9999, 12, 31),
            ymd(10_000, 1, 1),
        ];
        days.extend(ymd(2023, 12, 25).iter_days().take(800));
        for d in days {
            assert_eq!(date_in(Locale::Fr, d), d.format("%d/%m/%Y").to_string());
            assert_eq!(date_in(Locale::En, d), d.format("%Y-%m-%d").to_string());
            assert_eq!(date_in(Locale::En, d), d.to_string());
            for locale in [Locale::Fr, Locale::En] {
                assert_eq!(date_shown_in(locale, d).to_string(), date_in(locale, d));
            }
            // Appended to what is there.
            let mut out = String::from("le ");
            push_date(&mut out, Locale::Fr, d);
            assert_eq!(out, format!("le {}", d.format("%d/%m/%Y")));
        }
    }
}
