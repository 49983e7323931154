//! Matching names the way people type them: without regard to case, accents,
//! underscores or dashes, and suggesting the nearest known name on a miss.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `s.trim()`, without a search when the cell is empty or starts and ends
/// with a character that is not whitespace (an accented letter too), as
/// nearly every cell of a large file does.
#[inline]
pub fn trim(s: &str) -> &str {
    let visible = |b: u8| b > b' ' && b < 0x7f;
    match s.as_bytes() {
        [] => s,
        [first, .., last] if visible(*first) && visible(*last) => s,
        [only] if visible(*only) => s,
        _ => match (s.chars().next(), s.chars().next_back()) {
            (Some(a), Some(b)) if !a.is_whitespace() && !b.is_whitespace() => s,
            _ => s.trim(),
        },
    }
}

/// The folded form used to compare names: `À suivre`, `a_suivre` and `A SUIVRE` all give `a suivre`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            '_' | '-' | '\u{2010}' | '\u{2011}' | '\u{2013}' => ' ',
            'œ' | 'Œ' => {
                push_word(&mut out, &mut pending_space, "oe");
                continue;
            }
            'æ' | 'Æ' => {
                push_word(&mut out, &mut pending_space, "ae");
                continue;
            }
            c => c,
        };
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        for l in c.to_lowercase() {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(l);
        }
    }
    out
}

fn push_word(out: &mut String, pending_space: &mut bool, s: &str) {
    if *pending_space {
        out.push(' ');
        *pending_space = false;
    }
    out.push_str(s);
}

/// The known names closest to `wanted`, best first (at most three).
pub fn suggest<'a>(wanted: &str, known: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let w = fold(wanted);
    let mut scored: Vec<(usize, &'a str)> = known
        .into_iter()
        .filter_map(|k| {
            let f = fold(k);
            let d = strsim::levenshtein(&w, &f);
            let limit = (f.chars().count().max(w.chars().count()) / 3).max(2);
            let prefix = !w.is_empty() && (f.starts_with(&w) || w.starts_with(&f));
            (d <= limit || prefix).then_some((if prefix { 0 } else { d }, k))
        })
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    let mut out: Vec<&str> = Vec::new();
    for (_, k) in scored {
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out.truncate(3);
    out
}

/// `a`, `a or b`, `a, b or c`, each in backticks.
pub fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    join_list(items, "or")
}

pub fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    join_list(items, "and")
}

fn join_list<S: AsRef<str>>(items: &[S], word: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} {word} {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_is_str_trim() {
        for s in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\u{a0}a",
            "a\u{a0}",
            "\ta\n",
            "é",
            " é ",
            "a b",
            "\u{3000}x\u{3000}",
            "~",
            "\u{7f}",
            "Brûlé",
            "Étienne\u{2029}",
            "\u{85}Zoë",
            "été",
        ] {
            assert_eq!(trim(s), s.trim(), "{s:?}");
        }
    }

    #[test]
    fn folds_case_accents_and_separators() {
        assert_eq!(fold("À suivre"), "a suivre");
        assert_eq!(fold("a_suivre"), "a suivre");
        assert_eq!(fold("  DEVIS   envoyé "), "devis envoye");
        assert_eq!(fold("Main-d'œuvre"), "main d'oeuvre");
    }

    #[test]
    fn suggests_near_names() {
        let known = ["À suivre", "Chaud", "Froid", "Devis envoyé"];
        assert_eq!(suggest("chaux", known), vec!["Chaud"]);
        assert_eq!(suggest("devis", known), vec!["Devis envoyé"]);
        assert!(suggest("zzzzzzzz", known).is_empty());
    }

    #[test]
    fn lists_read_naturally() {
        assert_eq!(or_list(&["a"]), "`a`");
        assert_eq!(or_list(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
