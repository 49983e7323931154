//! Amounts of money: exact decimals, read from the ways people write them in
//! a spreadsheet (`12500.50`, `12 500,50`, `12 500,50 €`) and written back in
//! the register's own style.
//!
//! Reading rules (documented in docs/pipeline.md): spaces of any kind group
//! thousands; a separator (`,` or `.`) that appears once is the decimal
//! separator; one that appears several times groups thousands; when both
//! appear, the last one is the decimal separator.

use rust_decimal::Decimal;
use std::str::FromStr;

const SPACES: [char; 4] = [' ', '\u{a0}', '\u{202f}', '\u{2009}'];
const CURRENCIES: [&str; 6] = ["€", "EUR", "$", "USD", "£", "GBP"];

/// How a register writes its amounts, learnt from the cells it holds.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AmountStyle {
    pub decimal: Option<char>,
    pub group: Option<char>,
    pub decimals: u32,
    pub prefix: String,
    pub suffix: String,
}

impl AmountStyle {
    pub fn plain(decimal: char) -> AmountStyle {
        AmountStyle {
            decimal: Some(decimal),
            ..AmountStyle::default()
        }
    }

    /// Writes `value` in this style, never dropping a digit the value holds.
    pub fn write(&self, value: Decimal) -> String {
        let scale = value.scale().max(self.decimals);
        let mut v = value;
        v.rescale(scale);
        let text = v.abs().to_string();
        let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
        let mut out = String::new();
        if v.is_sign_negative() && !v.is_zero() {
            out.push('-');
        }
        out.push_str(&self.prefix);
        out.push_str(&group_digits(int, self.group));
        if !frac.is_empty() {
            out.push(self.decimal.unwrap_or('.'));
            out.push_str(frac);
        }
        out.push_str(&self.suffix);
        out
    }
}

/// Inserts a group separator every three digits.
pub fn group_digits(int: &str, group: Option<char>) -> String {
    let Some(sep) = group else {
        return int.to_string();
    };
    let mut out = String::with_capacity(int.len() + int.len() / 3 * 3);
    let n = int.len();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Parses an amount; returns the value and the style it was written in.
pub fn parse(input: &str) -> Result<(Decimal, AmountStyle), String> {
    match parse_plain(input.as_bytes()) {
        Some(found) => Ok(found),
        None => parse_any(input),
    }
}

/// The common case, digits with at most one `,` or `.` between them (`12500,50`),
/// read without allocating; `None` for anything else, which [`parse_any`] reads.
/// Gives what `parse_any` gives (`tests::the_plain_path_agrees`).
fn parse_plain(s: &[u8]) -> Option<(Decimal, AmountStyle)> {
    let mut mantissa: i64 = 0;
    let mut digits = 0u32;
    let mut sep = None;
    let mut frac = 0u32;
    for &b in s {
        match b {
            b'0'..=b'9' if digits < 18 => {
                mantissa = mantissa * 10 + i64::from(b - b'0');
                digits += 1;
                if sep.is_some() {
                    frac += 1;
                }
            }
            b',' | b'.' if sep.is_none() && digits > 0 => sep = Some(b as char),
            _ => return None,
        }
    }
    if digits == 0 || (sep.is_some() && frac == 0) {
        return None;
    }
    let style = AmountStyle {
        decimal: sep,
        decimals: frac,
        ..AmountStyle::default()
    };
    Some((Decimal::new(mantissa, frac), style))
}

fn parse_any(input: &str) -> Result<(Decimal, AmountStyle), String> {
    let bad = |why: &str| format!("`{input}` is not an amount: {why}");
    let mut s = input.trim_matches(|c: char| c.is_whitespace());
    let mut style = AmountStyle::default();
    let mut negative = false;
    if let Some(rest) = s.strip_prefix(['-', '\u{2212}']) {
        negative = true;
        s = rest.trim_start();
    }
    for cur in CURRENCIES {
        if let Some(rest) = strip_prefix_ci(s, cur) {
            let body = rest.trim_start_matches(SPACES);
            style.prefix = s[..s.len() - body.len()].to_string();
            s = body;
            break;
        }
        if let Some(rest) = strip_suffix_ci(s, cur) {
            let body = rest.trim_end_matches(SPACES);
            style.suffix = s[body.len()..].to_string();
            s = body;
            break;
        }
    }
    if !negative && let Some(rest) = s.strip_prefix(['-', '\u{2212}']) {
        negative = true;
        s = rest;
    }
    if s.is_empty() || !s.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad("write digits, such as `12500.50` or `12 500,50`"));
    }
    let mut digits = String::with_capacity(s.len());
    let mut seps: Vec<(usize, char)> = Vec::new();
    for c in s.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '.' | ',' => seps.push((digits.len(), c)),
            c if SPACES.contains(&c) => {
                if let Some(g) = style.group
                    && g != c
                {
                    return Err(bad("it mixes two kinds of space between digits"));
                }
                style.group = Some(c);
                seps.push((digits.len(), ' '));
            }
            _ => return Err(bad(&format!("`{c}` is not allowed in an amount"))),
        }
    }
    // Decide which separator is the decimal one.
    let commas = seps.iter().filter(|(_, c)| *c == ',').count();
    let dots = seps.iter().filter(|(_, c)| *c == '.').count();
    let decimal = match (commas, dots) {
        (0, 0) => None,
        (1, 0) => Some(','),
        (0, 1) => Some('.'),
        (_, 0) | (0, _) => None,
        _ => seps.iter().rev().find(|(_, c)| *c != ' ').map(|(_, c)| *c),
    };
    if let Some(d) = decimal {
        if seps.iter().filter(|(_, c)| *c == d).count() > 1 {
            return Err(bad(&format!("`{d}` appears more than once")));
        }
        style.decimal = Some(d);
    }
    let decimal_at = decimal.and_then(|d| seps.iter().find(|(_, c)| *c == d).map(|(i, _)| *i));
    let int_len = decimal_at.unwrap_or(digits.len());
    // Every other separator groups thousands: one between groups of three digits,
    // the first group having one to three.
    let groups: Vec<usize> = seps
        .iter()
        .filter(|(_, c)| Some(*c) != decimal)
        .map(|(p, _)| *p)
        .collect();
    if let Some(&first) = groups.first()
        && (first == 0 || first > 3)
    {
        return Err(bad("thousands must be grouped by three digits"));
    }
    if groups.windows(2).any(|w| w[1] - w[0] != 3) {
        return Err(bad("thousands must be grouped by three digits"));
    }
    for &(pos, c) in &seps {
        if Some(c) == decimal {
            continue;
        }
        if pos > int_len || (int_len - pos) % 3 != 0 {
            return Err(bad("thousands must be grouped by three digits"));
        }
        if c != ' ' {
            if style.group.is_some_and(|g| !SPACES.contains(&g) && g != c) {
                return Err(bad("it mixes two thousands separators"));
            }
            style.group = Some(c);
        }
    }
    style.decimals = (digits.len() - int_len) as u32;
    if decimal_at == Some(digits.len()) {
        return Err(bad("no digit follows the decimal separator"));
    }
    let mut text = String::with_capacity(digits.len() + 2);
    if negative {
        text.push('-');
    }
    text.push_str(&digits[..int_len]);
    if int_len < digits.len() {
        text.push('.');
        text.push_str(&digits[int_len..]);
    }
    let value = Decimal::from_str(&text).map_err(|_| bad("it is too large"))?;
    Ok((value, style))
}

fn strip_prefix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    (s.len() >= p.len() && s.is_char_boundary(p.len()) && s[..p.len()].eq_ignore_ascii_case(p))
        .then(|| &s[p.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, p: &str) -> Option<&'a str> {
    let at = s.len().checked_sub(p.len())?;
    (s.is_char_boundary(at) && s[at..].eq_ignore_ascii_case(p)).then(|| &s[..at])
}

/// Parses a percentage: `40`, `40 %`, `12,5`.
pub fn parse_percent(input: &str) -> Result<Decimal, String> {
    let s = input.trim().trim_end_matches('%').trim_end_matches(SPACES);
    let not =
        || format!("`{input}` is not a percentage: write a number from 0 to 100, such as `40`");
    let (v, style) = parse(s).map_err(|_| not())?;
    if !style.prefix.is_empty() || !style.suffix.is_empty() {
        return Err(not());
    }
    if v < Decimal::ZERO || v > Decimal::ONE_HUNDRED {
        return Err(format!("`{input}` is not a percentage from 0 to 100"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros_free::dec;

    mod rust_decimal_macros_free {
        pub fn dec(s: &str) -> rust_decimal::Decimal {
            s.parse().unwrap()
        }
    }

    fn value(s: &str) -> Decimal {
        parse(s).unwrap().0
    }

    #[test]
    fn reads_the_ways_people_write_amounts() {
        assert_eq!(value("12500.50"), dec("12500.50"));
        assert_eq!(value("12 500,50"), dec("12500.50"));
        assert_eq!(value("12\u{a0}500,50 €"), dec("12500.50"));
        assert_eq!(value("12\u{202f}500,50\u{a0}€"), dec("12500.50"));
        assert_eq!(value("€12,500.50"), dec("12500.50"));
        assert_eq!(value("1.234.567,8"), dec("1234567.8"));
        assert_eq!(value("1,234,567"), dec("1234567"));
        assert_eq!(value("12,5"), dec("12.5"));
        assert_eq!(value("-300"), dec("-300"));
        assert_eq!(value("1500 EUR"), dec("1500"));
    }

    #[test]
    fn refuses_what_is_not_an_amount() {
        for bad in [
            "",
            "abc",
            "12 50,00",
            "1,2,3.4.5",
            "12,",
            "12.500.5",
            "12a",
            "1234 567",
            "12  500",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn writes_back_in_the_same_style() {
        let (_, style) = parse("12 500,50 €").unwrap();
        assert_eq!(style.write(dec("9000")), "9 000,00 €");
        assert_eq!(style.write(dec("1234567.125")), "1 234 567,125 €");
        let (_, plain) = parse("772.50").unwrap();
        assert_eq!(plain.write(dec("772.5")), "772.50");
        assert_eq!(plain.write(dec("-12")), "-12.00");
    }

    #[test]
    fn the_plain_path_agrees() {
        for s in [
            "0",
            "7",
            "12500",
            "12500,50",
            "12500.50",
            "0012,50",
            "12,5",
            "1,234",
            "1.234",
            "999999999999999999",
            "9999999999999999999",
            "1234567890,12345678",
            "12,",
            ",5",
            "1,2,3",
            "1.2,3",
            "12 500",
            "-12",
            "12a",
            "",
            "0,00",
            "00",
            "1.000.000",
        ] {
            let plain = parse_plain(s.as_bytes());
            if let Some(found) = &plain {
                let slow = parse_any(s).unwrap();
                assert_eq!(found, &slow, "{s}");
                assert_eq!(found.0.to_string(), slow.0.to_string(), "{s}");
            }
            assert_eq!(parse(s), parse_any(s), "{s}");
        }
        assert!(parse_plain(b"12500,50").is_some());
        assert!(parse_plain(b"12 500,50").is_none());
    }

    #[test]
    fn percentages() {
        assert_eq!(parse_percent("40 %").unwrap(), dec("40"));
        assert_eq!(parse_percent("12,5").unwrap(), dec("12.5"));
        assert!(parse_percent("140").is_err());
        assert!(parse_percent("40 €").is_err());
    }
}
