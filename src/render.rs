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
    let mut out = String::new();
    money_into(p, v, &mut out);
    out
}

/// [`money`], written at the end of `out` from the amount's digits in
/// cents, without a string of its own (`pipe list` writes an amount a row).
pub fn money_into(p: &Pipeline, v: Decimal, out: &mut String) {
    let mut r = v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    if r.scale() != 2 {
        // Too many digits before the point to keep two after it.
        out.push_str(&money_by_text(p, r));
        return;
    }
    let cents = r.mantissa().unsigned_abs();
    // The whole units' digits (euros, dollars…), last first.
    let mut digits = [0u8; 40];
    let (mut units, mut n) = (cents / 100, 0);
    loop {
        digits[n] = b'0' + (units % 10) as u8;
        n += 1;
        units /= 10;
        if units == 0 {
            break;
        }
    }
    if r.is_sign_negative() && !r.is_zero() {
        out.push('-');
    }
    let symbol = currency_symbol(p);
    let (group, point) = match p.locale {
        Locale::Fr => ('\u{a0}', ','),
        Locale::En => {
            out.push_str(symbol);
            (',', '.')
        }
    };
    for i in (0..n).rev() {
        out.push(char::from(digits[i]));
        if i > 0 && i % 3 == 0 {
            out.push(group);
        }
    }
    out.push(point);
    let frac = (cents % 100) as u8;
    out.push(char::from(b'0' + frac / 10));
    out.push(char::from(b'0' + frac % 10));
    if p.locale == Locale::Fr {
        out.push('\u{a0}');
        out.push_str(symbol);
    }
}

fn currency_symbol(p: &Pipeline) -> &str {
    match p.currency.as_str() {
        "EUR" => "€",
        "USD" => "$",
        "GBP" => "£",
        other => other,
    }
}

/// [`money`] of an amount already rounded, from its text.
fn money_by_text(p: &Pipeline, r: Decimal) -> String {
    let text = r.abs().to_string();
    let (int, frac) = text.split_once('.').unwrap_or((&text, "00"));
    let sign = if r.is_sign_negative() && !r.is_zero() {
        "-"
    } else {
        ""
    };
    let symbol = currency_symbol(p);
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

    /// Amounts written from their cents as from their text, the way they
    /// were written before: in both locales, every sign, rounding and size.
    #[test]
    fn amounts_are_written_from_their_digits_as_from_their_text() {
        let toml = include_str!("../pipeline.toml");
        let fr = Pipeline::from_str(toml, std::path::Path::new("pipeline.toml")).unwrap();
        let mut en = Pipeline::from_str(toml, std::path::Path::new("pipeline.toml")).unwrap();
        (en.locale, en.currency) = (Locale::En, "CHF".to_string());
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut values: Vec<Decimal> = [
            "0",
            "-0",
            "0.005",
            "-0.005",
            "0.004",
            "999.995",
            "-1234567.891",
            "79228162514264337593543950335",
            "-7922816251426433759354395.0335",
            "1000",
            "100000",
            "12500.5",
        ]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
        for _ in 0..20_000 {
            let (a, b) = (next(), next());
            let mantissa = i128::from(a) << 32 | i128::from(b as u32);
            let mantissa = mantissa >> (next() % 96);
            let scale = (next() % 29) as u32;
            let v = Decimal::from_i128_with_scale(mantissa % (1 << 95), scale);
            values.push(if next() % 2 == 0 { v } else { -v });
        }
        for v in values {
            for p in [&fr, &en] {
                let mut r = v.round_dp_with_strategy(
                    2,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                r.rescale(2);
                assert_eq!(money(p, v), money_by_text(p, r), "{v}");
            }
        }
    }

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
