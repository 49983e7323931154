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

/// An ISO date, `2026-11-27`.
pub fn iso(d: NaiveDate) -> String {
    date_in(Locale::En, d)
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
    use chrono::Datelike;
    let (y, m, day) = (d.year(), d.month(), d.day());
    // Four-digit years digit by digit; chrono's padding and signs for the others.
    let Ok(y @ 0..=9999) = u32::try_from(y) else {
        let shown = match locale {
            Locale::Fr => d.format("%d/%m/%Y"),
            Locale::En => d.format("%Y-%m-%d"),
        };
        out.push_str(&shown.to_string());
        return;
    };
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let year = [digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)];
    let (month, day) = ([digit(m / 10), digit(m)], [digit(day / 10), digit(day)]);
    let parts: [&[char]; 5] = match locale {
        Locale::Fr => [&day, &['/'], &month, &['/'], &year],
        Locale::En => [&year, &['-'], &month, &['-'], &day],
    };
    out.extend(parts.into_iter().flatten());
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
            assert_eq!(iso(d), d.to_string());
            // Appended to what is there.
            let mut out = String::from("le ");
            push_date(&mut out, Locale::Fr, d);
            assert_eq!(out, format!("le {}", d.format("%d/%m/%Y")));
        }
    }
}
