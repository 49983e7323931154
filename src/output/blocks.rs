//! A long table written a block of rows at a time.
//!
//! comfy-table lays a table out from all its rows at once, and holds every
//! cell, every wrapped line and every output line until it is done: for a
//! million alerts, gigabytes. Here the column widths are decided first, from
//! the widest content of each column, and each block of rows is laid out
//! with those widths fixed. The blocks join into one table: the first block
//! prints the header, the last one the bottom border.
//!
//! The rows wait in a spool ([`super::spool`]) while the widths are learnt
//! ([`spool_row`]), then come back a block at a time ([`write_spooled`]).
//!
//! comfy-table builds several strings for every cell it lays out, which for
//! a register's worth of rows is most of the time a table takes. So the
//! rows are laid out here, between the borders of the table's style: a
//! cell whose every line fits its column is padded to the column's width,
//! and a line that does not fit is broken as comfy-table breaks it (a port
//! of its `split_line`). The header and the borders above and below are
//! comfy-table's. Tests hold each wrapped cell to what comfy-table prints
//! for it, and the result to the bytes comfy-table prints for the whole
//! table.

use super::spool::Spooled;
use anyhow::Result;
use comfy_table::{CellAlignment, ColumnConstraint, Table, TableComponent, Width};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// How wide a text is on screen, as comfy-table measures it
/// (`UnicodeWidthStr::width`). Text of printable ASCII and the letters of
/// Latin-1 and Latin Extended-A (U+00C0 to U+017F: French accents, `œ`;
/// two bytes each, whose first is 0xC3, 0xC4 or 0xC5), one column each, is
/// counted without looking characters up: none of these takes part in the
/// sequences unicode-width measures as a whole. Anything else is measured
/// by unicode-width.
fn width(s: &str) -> usize {
    plain_width(s).unwrap_or_else(|| s.width())
}

/// The width of a text of printable ASCII and Latin letters only (see
/// [`width`]): its count of characters, which adds up as texts are joined.
/// `None` for any other text.
fn plain_width(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let (mut i, mut columns) = (0, 0);
    while i < b.len() {
        match b[i] {
            b' '..=b'~' => i += 1,
            // A first byte, followed by its one continuation byte in valid UTF-8.
            0xC3..=0xC5 => i += 2,
            _ => return None,
        }
        columns += 1;
    }
    Some(columns)
}

/// The widest content of each column, header included, and its longest
/// word (what cannot wrap without breaking), grown row by row.
#[derive(Debug, Clone)]
pub struct Widths {
    content: Vec<usize>,
    word: Vec<usize>,
    /// The columns whose words are not measured ([`Widths::without_words`]).
    unworded: Vec<usize>,
    /// The columns kept whole ([`Widths::keep_whole`]).
    whole: Vec<usize>,
}

impl Widths {
    pub fn new(headers: &[&str]) -> Widths {
        let mut w = Widths {
            content: vec![1; headers.len()],
            word: vec![1; headers.len()],
            unworded: Vec::new(),
            whole: Vec::new(),
        };
        w.add(headers);
        w
    }

    /// Leaves the longest words of these columns unmeasured, for columns
    /// whose words the layout does not use: the wide one, which takes its
    /// share of the width whatever its words ([`layout`]), and those kept
    /// whole ([`Widths::keep_whole`]). Their rows' words are most of what
    /// measuring words costs (the wide column holds the long texts).
    pub fn without_words(mut self, columns: &[usize]) -> Widths {
        self.unworded = columns.to_vec();
        self
    }

    pub fn add<S: AsRef<str>>(&mut self, row: &[S]) {
        for (i, cell) in row.iter().enumerate().take(self.content.len()) {
            let cell = cell.as_ref();
            // No text is wider on screen than its bytes are long (a
            // character two columns wide takes three bytes or four), so a
            // line or a word no longer than what its column already holds
            // cannot widen it: most are passed over without being measured.
            let (content, word) = (self.content[i], self.word[i]);
            if cell.len() > content {
                let widest = cell.lines().filter(|l| l.len() > content).map(width);
                self.content[i] = widest.fold(content, usize::max);
            }
            if cell.len() > word && !self.unworded.contains(&i) {
                self.word[i] = widest_word(cell, word);
            }
        }
    }
}

/// The width of the widest word of `cell` (as `split_whitespace` splits
/// it), or `known` if none is wider: the cell is split at its ASCII spaces
/// by bytes first, and only the stretches longer than `known` bytes are
/// split into words and measured.
fn widest_word(cell: &str, known: usize) -> usize {
    let mut widest = known;
    let mut start = 0;
    for (at, &b) in cell.as_bytes().iter().enumerate() {
        if b.is_ascii_whitespace() {
            if at - start > widest {
                widest = widest_in(&cell[start..at], widest);
            }
            start = at + 1;
        }
    }
    if cell.len() - start > widest {
        widest = widest_in(&cell[start..], widest);
    }
    widest
}

/// The width of the widest word of `run`, a stretch of a cell between ASCII
/// spaces (so whole characters: an ASCII byte ends one), or `known` if none
/// is wider.
fn widest_in(run: &str, known: usize) -> usize {
    run.split_whitespace().map(width).fold(known, usize::max)
}

impl Widths {
    /// These columns' cells are not to be broken (numbers): their longest
    /// word is their whole content.
    pub fn keep_whole(&mut self, columns: &[usize]) {
        self.whole.extend_from_slice(columns);
        for &i in columns {
            if i < self.word.len() {
                self.word[i] = self.word[i].max(self.content[i]);
            }
        }
    }
}

/// A table with its column widths fixed, ready to print blocks of rows.
pub struct BlockTable {
    headers: Vec<String>,
    /// Each column's width, padding included.
    widths: Vec<u16>,
    /// The columns whose cells are right-aligned (numbers).
    right: Vec<usize>,
    /// What comfy-table prints above the first row (the top border, the
    /// header and the line under it), and under the last.
    above: String,
    below: String,
    /// The style's left border, line between columns and right border, for
    /// the rows that fit unwrapped; `None` when the style leaves one out
    /// (every row then goes to comfy-table).
    rules: Option<[char; 3]>,
}

/// Cells are padded by one space on each side.
const PADDING: usize = 2;

impl BlockTable {
    /// Columns as wide as their content when the table fits in `width`.
    /// When it does not, column `wide.0` keeps `wide.1` percent of the width
    /// (less when its content needs less, or when giving up some of it, down
    /// to a quarter of the width, keeps the other columns' words whole). The
    /// other columns get their longest word when they can, then share what is
    /// left, those that need the least more served first.
    pub fn new(headers: &[&str], content: &Widths, wide: (usize, u16), width: u16) -> BlockTable {
        debug_assert!(
            content
                .unworded
                .iter()
                .all(|c| *c == wide.0 || content.whole.contains(c)),
            "only the wide column and those kept whole may leave their words unmeasured"
        );
        BlockTable {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            widths: layout(content, wide, usize::from(width)),
            right: Vec::new(),
            above: String::new(),
            below: String::new(),
            rules: None,
        }
        .framed()
    }

    /// Right-aligns the cells of these columns.
    pub fn align_right(mut self, columns: &[usize]) -> BlockTable {
        self.right = columns.to_vec();
        self.framed()
    }

    /// Learns from comfy-table what goes above and below the rows, and
    /// the style's borders.
    fn framed(mut self) -> BlockTable {
        let mut t = self.comfy(Vec::new(), true);
        let mut lines: Vec<String> = t.lines().collect();
        self.below = lines.pop().map(|l| l + "\n").unwrap_or_default();
        self.above = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut rule = |c| t.style(c);
        self.rules = match (
            rule(TableComponent::LeftBorder),
            rule(TableComponent::VerticalLines),
            rule(TableComponent::RightBorder),
        ) {
            (Some(l), Some(m), Some(r)) => Some([l, m, r]),
            _ => None,
        };
        self
    }

    /// A comfy-table table of these rows laid out with this table's widths.
    fn comfy(&self, rows: Vec<Vec<String>>, header: bool) -> Table {
        let mut t = Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        if header {
            t.set_header(self.headers.iter().map(String::as_str));
        }
        for row in rows {
            t.add_row(row);
        }
        t.set_constraints(
            self.widths
                .iter()
                .map(|&w| ColumnConstraint::Absolute(Width::Fixed(w))),
        );
        for &c in &self.right {
            if let Some(col) = t.column_mut(c) {
                col.set_cell_alignment(CellAlignment::Right);
            }
        }
        t
    }

    /// Prints one block: the header above the first, the bottom border under the last.
    pub fn write_block(
        &self,
        rows: &Rows,
        first: bool,
        last: bool,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if first {
            out.write_all(self.above.as_bytes())?;
        }
        match self.lay_out(rows) {
            Some(laid) => out.write_all(laid.as_bytes())?,
            None => {
                // A missing cell is an empty one, as in a table laid out whole.
                let mut rows = rows.to_vecs();
                for row in &mut rows {
                    if row.len() < self.widths.len() {
                        row.resize(self.widths.len(), String::new());
                    }
                }
                let lines: Vec<String> = self.comfy(rows, false).lines().collect();
                // Without the borders above and below.
                for line in lines.iter().take(lines.len().saturating_sub(1)).skip(1) {
                    out.write_all(line.as_bytes())?;
                    out.write_all(b"\n")?;
                }
            }
        }
        if last {
            out.write_all(self.below.as_bytes())?;
        }
        Ok(())
    }

    /// The width of column `c`'s content, padding aside.
    fn room(&self, c: usize) -> usize {
        usize::from(self.widths[c]).saturating_sub(PADDING).max(1)
    }

    /// Whether every line of `cell` fits column `c` unwrapped (comfy-table
    /// splits a cell at each `\n`, and nowhere else).
    #[cfg(test)]
    fn fits(&self, c: usize, cell: &str) -> bool {
        !matches!(self.fit(c, cell), Fit::Wraps)
    }

    /// How `cell` is laid out in column `c`.
    fn fit(&self, c: usize, cell: &str) -> Fit {
        let room = self.room(c);
        if memchr::memchr(b'\n', cell.as_bytes()).is_none() {
            let w = width(cell);
            return if w <= room { Fit::One(w) } else { Fit::Wraps };
        }
        if cell.split('\n').all(|line| width(line) <= room) {
            Fit::Lines
        } else {
            Fit::Wraps
        }
    }

    /// The block's rows as comfy-table lays them out: a cell whose lines fit
    /// its column is padded, and the others are wrapped as comfy-table
    /// wraps them, each text of a column once ([`BlockTable::wrap`]). `None`
    /// when the style leaves a border out or a row has more cells than the
    /// table has columns: comfy-table then lays out the whole block.
    fn lay_out(&self, rows: &Rows) -> Option<String> {
        let [left, between, right] = self.rules?;
        let n = self.widths.len();
        if (0..rows.len()).any(|r| rows.row_len(r) > n) {
            return None;
        }
        // The rows whose cell wraps, column by column, each with its text's
        // place among the column's texts to wrap: a salesperson's name
        // wraps the same in every row, and is wrapped once.
        let mut wrapping: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        let mut texts: Vec<Vec<&str>> = vec![Vec::new(); n];
        let mut seen: HashMap<(usize, &str), usize, foldhash::fast::RandomState> =
            HashMap::default();
        let mut fits = Vec::with_capacity(rows.len() * n);
        for r in 0..rows.len() {
            for c in 0..n {
                let cell = rows.cell(r, c);
                let fit = self.fit(c, cell);
                fits.push(fit);
                if let Fit::Wraps = fit {
                    let at = *seen.entry((c, cell)).or_insert_with(|| {
                        texts[c].push(cell);
                        texts[c].len() - 1
                    });
                    wrapping[c].push((r, at));
                }
            }
        }
        // Each column's wrapped texts, and the lines each text took.
        let mut wrapped = Vec::with_capacity(n);
        for (c, texts) in texts.iter().enumerate() {
            let (mut lines, mut taking) = (Lines::default(), Vec::with_capacity(texts.len()));
            for t in texts {
                let first = lines.len();
                self.wrap(c, t, &mut lines);
                taking.push((first, lines.len()));
            }
            wrapped.push((lines, taking));
        }
        let mut taken = vec![0; n];
        // A line of the table: its columns, and a border on each side and between them.
        let line_len: usize = self
            .widths
            .iter()
            .map(|&w| usize::from(w) + 1)
            .sum::<usize>()
            + 2;
        let mut out = String::with_capacity(rows.len() * line_len);
        // A wrapped cell's lines: the first and the one after the last.
        let mut laid: Vec<Option<(&Lines, (usize, usize))>> = Vec::with_capacity(n);
        for r in 0..rows.len() {
            // Each cell's lines as comfy-table wrapped them, if it did.
            laid.clear();
            laid.extend((0..n).map(|c| match wrapping[c].get(taken[c]) {
                Some(&(wraps, at)) if wraps == r => {
                    taken[c] += 1;
                    let (lines, taking) = &wrapped[c];
                    Some((lines, taking[at]))
                }
                _ => None,
            }));
            let fits = &fits[r * n..(r + 1) * n];
            let height = (0..n)
                .map(|c| match (laid[c], fits[c]) {
                    (Some((_, (first, end))), _) => end - first,
                    (None, Fit::One(_)) => 1,
                    (None, _) => rows.cell(r, c).split('\n').count(),
                })
                .max()
                .unwrap_or(1);
            for k in 0..height {
                out.push(left);
                for (c, wrapped) in laid.iter().enumerate() {
                    if c > 0 {
                        out.push(between);
                    }
                    let line = match (wrapped, fits[c]) {
                        (Some((lines, (first, end))), _) => {
                            (first + k < *end).then(|| (lines.line(first + k), None))
                        }
                        (None, Fit::One(w)) => (k == 0).then(|| (rows.cell(r, c), Some(w))),
                        (None, _) => rows
                            .cell(r, c)
                            .split('\n')
                            .nth(k)
                            .map(|l| (l, Some(width(l)))),
                    };
                    match line {
                        Some((text, None)) => out.push_str(text),
                        Some((text, Some(w))) => self.pad(c, text, w, &mut out),
                        // Under a cell's last line, the column's width of spaces.
                        None => push_spaces(&mut out, self.room(c) + PADDING),
                    }
                }
                out.push(right);
                out.push('\n');
            }
        }
        Some(out)
    }

    /// A line `width` columns wide of column `c`, aligned and padded as
    /// comfy-table does (a line wider than the column, a character of two
    /// columns in a column of one, is not aligned).
    fn pad(&self, c: usize, text: &str, width: usize, out: &mut String) {
        let gap = self.room(c).saturating_sub(width);
        out.push(' ');
        if self.right.contains(&c) {
            push_spaces(out, gap);
            out.push_str(text);
        } else {
            out.push_str(text);
            push_spaces(out, gap);
        }
        out.push(' ');
    }

    /// The lines comfy-table wraps `cell` into in column `c`, aligned and
    /// padded, as its table prints them between the borders, added to
    /// `into`: each line of the cell that does not fit is broken as
    /// comfy-table breaks it ([`split_line`]).
    fn wrap(&self, c: usize, cell: &str, into: &mut Lines) {
        let room = self.room(c);
        let mut emit = |line: &str| {
            self.pad(c, line, width(line), &mut into.text);
            into.ends.push(into.text.len());
        };
        for line in cell.split('\n') {
            if width(line) > room {
                split_line(line, room, &mut into.current, &mut emit);
            } else {
                emit(line);
            }
        }
    }
}

/// Lines laid out one after another in one string, as [`BlockTable::wrap`]
/// writes them: a block's wrapped cells without a string a line.
#[derive(Default)]
struct Lines {
    text: String,
    /// Where each line ends in `text`.
    ends: Vec<usize>,
    /// The line being filled while a line is broken ([`split_line`]).
    current: String,
}

impl Lines {
    /// How many lines there are.
    fn len(&self) -> usize {
        self.ends.len()
    }

    /// Line `k`.
    fn line(&self, k: usize) -> &str {
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    #[cfg(test)]
    fn to_vec(&self) -> Vec<String> {
        (0..self.len()).map(|k| self.line(k).to_string()).collect()
    }
}

/// How a cell is laid out in its column.
#[derive(Debug, Clone, Copy)]
enum Fit {
    /// One line, this wide.
    One(usize),
    /// Several lines, each of which fits.
    Lines,
    /// A line wider than the column, to wrap.
    Wraps,
}

/// Fewer free columns than this at the end of a line, and comfy-table
/// starts the next word on a new line rather than breaking it.
const MIN_FREE_CHARS: usize = 2;

/// comfy-table's `split_line` (7.2.2, without its `custom_styling`
/// feature), step for step and measure for measure: `line` broken at its
/// spaces into lines `room` columns wide, a word wider than that broken
/// between graphemes, each handed to `emit` as it is ended (`current`
/// holds the line being filled). The tests hold it to comfy-table's own
/// output.
fn split_line(line: &str, room: usize, current: &mut String, emit: &mut impl FnMut(&str)) {
    let mut words = line.split(' ');
    // A word taken and put back (whole, or the rest of one broken).
    let mut back: Option<Cow<str>> = None;
    // The line being filled (in `current`), and its width while it is plain
    // text ([`plain_width`]): then the sum of its words' and spaces' widths,
    // instead of the line measured again at every word.
    current.clear();
    let mut plain = Some(0);
    let measure = |text: &str, plain: Option<usize>| plain.unwrap_or_else(|| width(text));
    // Hands the line out; the next one starts empty.
    let end = |current: &mut String, emit: &mut dyn FnMut(&str)| {
        emit(current);
        current.clear();
        Some(0)
    };
    // A line nearly full is ended.
    let end_if_full = |current: &mut String, plain: Option<usize>, emit: &mut dyn FnMut(&str)| {
        if measure(current, plain) > room.saturating_sub(MIN_FREE_CHARS) {
            end(current, emit)
        } else {
            plain
        }
    };
    while let Some(next) = back.take().or_else(|| words.next().map(Cow::Borrowed)) {
        let next_plain = plain_width(&next);
        let (current_width, next_width) = (measure(current, plain), measure(&next, next_plain));
        let gap = usize::from(!current.is_empty());
        let free = room.saturating_sub(current_width).saturating_sub(gap);
        if current_width + gap + next_width <= room {
            if gap == 1 {
                current.push(' ');
            }
            current.push_str(&next);
            let joined = plain.zip(next_plain).map(|(a, b)| a + gap + b);
            plain = end_if_full(current, joined, emit);
        } else if gap == 1 && free <= MIN_FREE_CHARS {
            back = Some(next);
            plain = end(current, emit);
        } else if next_width > room {
            if gap == 1 {
                current.push(' ');
            }
            let (head, mut rest) = split_long_word(free, &next);
            current.push_str(head);
            // A line holds at least one character.
            if gap == 0 && head.is_empty() {
                let mut chars = rest.chars();
                current.extend(chars.next());
                rest = chars.as_str();
            }
            back = Some(Cow::Owned(rest.to_string()));
            plain = end(current, emit);
        } else {
            end(current, emit);
            current.push_str(&next);
            plain = end_if_full(current, next_plain, emit);
        }
    }
    if !current.is_empty() {
        end(current, emit);
    }
}

/// comfy-table's `split_long_word`: the graphemes of `word` that fit in
/// `allowed` columns, and the rest.
fn split_long_word(allowed: usize, word: &str) -> (&str, &str) {
    let mut used = 0;
    let mut end = 0;
    for g in word.graphemes(true) {
        let w = width(g);
        if used + w > allowed {
            break;
        }
        used += w;
        end += g.len();
    }
    (&word[..end], &word[end..])
}

fn push_spaces(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Rows of cells, their texts one after another in one string: a block of
/// rows read back from a spool takes a few allocations, not one a cell, and
/// a block recycled for the next one none.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rows {
    text: String,
    /// Where each cell's text ends in `text`.
    cells: Vec<usize>,
    /// Where each row's cells end in `cells`.
    rows: Vec<usize>,
}

impl Rows {
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn clear(&mut self) {
        self.text.clear();
        self.cells.clear();
        self.rows.clear();
    }

    /// Adds a row.
    pub fn push<S: AsRef<str>>(&mut self, row: &[S]) {
        for cell in row {
            self.text.push_str(cell.as_ref());
            self.cells.push(self.text.len());
        }
        self.rows.push(self.cells.len());
    }

    /// Where row `r`'s cells are in `cells`.
    fn span(&self, r: usize) -> std::ops::Range<usize> {
        (if r == 0 { 0 } else { self.rows[r - 1] })..self.rows[r]
    }

    /// How many cells row `r` has.
    fn row_len(&self, r: usize) -> usize {
        self.span(r).len()
    }

    /// Cell `c` of row `r`: empty past the row's end, as a missing cell is
    /// in a table laid out whole.
    fn cell(&self, r: usize, c: usize) -> &str {
        let span = self.span(r);
        if c >= span.len() {
            return "";
        }
        let k = span.start + c;
        let start = if k == 0 { 0 } else { self.cells[k - 1] };
        &self.text[start..self.cells[k]]
    }

    /// The rows as lists of strings, for comfy-table.
    fn to_vecs(&self) -> Vec<Vec<String>> {
        (0..self.len())
            .map(|r| {
                (0..self.row_len(r))
                    .map(|c| self.cell(r, c).to_string())
                    .collect()
            })
            .collect()
    }

    /// The cells of row `r`.
    pub fn row(&self, r: usize) -> impl Iterator<Item = &str> {
        (0..self.row_len(r)).map(move |c| self.cell(r, c))
    }

    /// Adds `count` rows of `columns` cells as [`spool_row`] set them aside.
    pub fn read_spooled(&mut self, r: &mut impl Read, columns: usize, count: usize) -> Result<()> {
        let (base, first) = (self.text.len(), self.cells.len());
        let mut bytes = Vec::new();
        let mut lens = vec![0; 4 * columns];
        let read = (|| -> io::Result<()> {
            for _ in 0..count {
                r.read_exact(&mut lens)?;
                let mut end = bytes.len();
                for len in lens.chunks_exact(4) {
                    end += u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
                    self.cells.push(base + end);
                }
                let at = bytes.len();
                bytes.resize(end, 0);
                r.read_exact(&mut bytes[at..])?;
                self.rows.push(self.cells.len());
            }
            Ok(())
        })();
        // The block's text is checked once, not cell by cell (each cell was
        // a string when set aside, so it should end at a character's edge).
        let checked = read.map_err(anyhow::Error::from).and_then(|()| {
            let Ok(text) = simdutf8::basic::from_utf8(&bytes) else {
                anyhow::bail!("a cell set aside is not UTF-8");
            };
            if self.cells[first..]
                .iter()
                .all(|&e| text.is_char_boundary(e - base))
            {
                Ok(text)
            } else {
                anyhow::bail!("a cell set aside does not end at a character's edge")
            }
        });
        match checked {
            Ok(text) => {
                self.text.push_str(text);
                Ok(())
            }
            Err(e) => {
                self.clear();
                Err(e)
            }
        }
    }
}

impl<'a, S: AsRef<str> + 'a> FromIterator<&'a Vec<S>> for Rows {
    fn from_iter<I: IntoIterator<Item = &'a Vec<S>>>(rows: I) -> Rows {
        let mut all = Rows::default();
        for row in rows {
            all.push(row);
        }
        all
    }
}

/// How many rows a block holds.
const BLOCK: usize = 512;

/// Sets a row aside: the length of each cell (4 bytes each), then their
/// texts one after another, to be read back in two reads. Gives the bytes
/// written.
pub fn spool_row<S: AsRef<str>>(out: &mut impl Write, row: &[S]) -> io::Result<u64> {
    let mut written = 0;
    for cell in row {
        let len = u32::try_from(cell.as_ref().len())
            .map_err(|_| io::Error::other("a cell of 4 GB or more"))?;
        out.write_all(&len.to_le_bytes())?;
        written += 4 + u64::from(len);
    }
    for cell in row {
        out.write_all(cell.as_ref().as_bytes())?;
    }
    Ok(written)
}

/// The rows of `parts` (each a count of rows and their spool), in order, as
/// the table's blocks: the header above the first, the bottom border under
/// the last; a table without rows is its header. On two threads when the
/// spools hold `bytes` enough for it to pay ([`crate::par::worth_it`]).
pub fn write_spooled(
    table: &BlockTable,
    parts: Vec<(usize, Spooled)>,
    bytes: u64,
    out: &mut dyn Write,
) -> Result<()> {
    let n: usize = parts.iter().map(|(rows, _)| rows).sum();
    if n == 0 {
        return Ok(table.write_block(&Rows::default(), true, true, out)?);
    }
    let mut blocks = Blocks::new(parts, table.headers.len(), n);
    if crate::par::worth_it(bytes) {
        return write_on_two_threads(table, blocks, out);
    }
    let mut rows = Rows::default();
    while let Some(block) = blocks.next_into(&mut rows) {
        let (first, last) = block?;
        table.write_block(&rows, first, last, out)?;
    }
    Ok(())
}

/// The rows of spools read back a block at a time.
struct Blocks {
    /// Each spool and how many rows it holds, in order.
    parts: std::vec::IntoIter<(usize, Spooled)>,
    /// The spool being read, and how many of its rows are left.
    part: Option<(usize, Spooled)>,
    columns: usize,
    /// How many rows there are in all, and how many were read.
    n: usize,
    read: usize,
}

impl Blocks {
    /// The rows of `parts` (`n` in all, of `columns` cells).
    fn new(parts: Vec<(usize, Spooled)>, columns: usize, n: usize) -> Blocks {
        Blocks {
            parts: parts.into_iter(),
            part: None,
            columns,
            n,
            read: 0,
        }
    }

    /// Reads the next block into `rows` (emptied first); whether it is the
    /// first and the last. `None` once every row is read.
    fn next_into(&mut self, rows: &mut Rows) -> Option<Result<(bool, bool)>> {
        if self.read == self.n {
            return None;
        }
        rows.clear();
        let first = self.read == 0;
        let size = BLOCK.min(self.n - self.read);
        while rows.len() < size {
            match &mut self.part {
                Some((left, r)) if *left > 0 => {
                    let take = (size - rows.len()).min(*left);
                    *left -= take;
                    if let Err(e) = rows.read_spooled(r, self.columns, take) {
                        self.read = self.n;
                        return Some(Err(e));
                    }
                }
                _ => self.part = Some(self.parts.next()?),
            }
        }
        self.read += size;
        Some(Ok((first, self.read == self.n)))
    }
}

/// A block of the table on its way out: its rows, or its lines once laid out.
#[derive(Default)]
struct Block {
    rows: Rows,
    first: bool,
    last: bool,
    laid: Vec<u8>,
}

impl crate::par::Batch for Block {
    fn clear(&mut self) {
        self.rows.clear();
        self.laid.clear();
    }
}

/// [`write_spooled`] with the blocks laid out on two threads (their layout
/// is most of the work): a second thread reads the rows back and
/// lays out the blocks this one would not get to, and this one lays out
/// the others and writes every block in order.
fn write_on_two_threads(table: &BlockTable, mut blocks: Blocks, out: &mut dyn Write) -> Result<()> {
    let mut failed = None;
    crate::par::pipelined(
        |feed: &mut crate::par::Feed<Block>| -> Result<()> {
            let mut block = Block::default();
            while let Some(next) = blocks.next_into(&mut block.rows) {
                (block.first, block.last) = next?;
                if !feed.share() {
                    table.write_block(&block.rows, block.first, block.last, &mut block.laid)?;
                    block.rows.clear();
                }
                if !feed.pass(&mut block) {
                    return Ok(());
                }
            }
            Ok(())
        },
        |block| {
            if failed.is_some() {
                return;
            }
            let written = if block.rows.is_empty() {
                out.write_all(&block.laid)
            } else {
                table.write_block(&block.rows, block.first, block.last, out)
            };
            failed = written.err();
        },
    )?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// Column widths, padding included, for `content` in `width` columns.
fn layout(content: &Widths, (wide, percent): (usize, u16), width: usize) -> Vec<u16> {
    let n = content.content.len();
    let natural: Vec<usize> = content.content.iter().map(|c| c + PADDING).collect();
    // The borders: one on each side and one between columns.
    let room = width.saturating_sub(n + 1);
    let fit = |w: usize| u16::try_from(w).unwrap_or(u16::MAX);
    if natural.iter().sum::<usize>() <= room || wide >= n {
        return natural.into_iter().map(fit).collect();
    }
    let least = PADDING + 1;
    let others: Vec<usize> = (0..n).filter(|&i| i != wide).collect();
    // The other columns would rather not break a word.
    let unbroken: Vec<usize> = (0..n).map(|i| content.word[i] + PADDING).collect();
    let needed: usize = others.iter().map(|&i| natural[i]).sum();
    let kept: usize = others.iter().map(|&i| unbroken[i]).sum();
    // The wide column's share, unless giving up some of it (down to a
    // quarter of the width) keeps every word of the others whole.
    let share = width * usize::from(percent) / 100;
    let floor = if room.saturating_sub(share) < kept && room.saturating_sub(kept) >= width / 4 {
        room - kept
    } else {
        share
    };
    let mut widths = vec![least; n];
    widths[wide] = natural[wide]
        .min(floor.max(room.saturating_sub(needed)))
        .max(least);
    // Each other column gets its longest word if it can, then the rest is
    // shared, the columns that need least extra served first.
    let mut left = room.saturating_sub(widths[wide]);
    let mut order = others;
    order.sort_by_key(|&i| (natural[i] - unbroken[i].min(natural[i]), i));
    let base: Vec<usize> = (0..n)
        .map(|i| {
            if kept <= left {
                unbroken[i].min(natural[i])
            } else {
                least
            }
        })
        .collect();
    left = left.saturating_sub(order.iter().map(|&i| base[i]).sum());
    for (k, &i) in order.iter().enumerate() {
        let extra = (natural[i] - base[i]).min(left / (order.len() - k));
        widths[i] = base[i] + extra;
        left -= extra;
    }
    widths.into_iter().map(fit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    impl BlockTable {
        /// The lines comfy-table prints for `cell` in column `c`, between
        /// the borders of a table of that one cell.
        fn comfy_cell(&self, c: usize, cell: &str) -> Vec<String> {
            let mut t = Table::new();
            t.load_preset(comfy_table::presets::UTF8_FULL);
            t.add_row([cell]);
            t.set_constraints([ColumnConstraint::Absolute(Width::Fixed(self.widths[c]))]);
            if self.right.contains(&c)
                && let Some(col) = t.column_mut(0)
            {
                col.set_cell_alignment(CellAlignment::Right);
            }
            let lines: Vec<String> = t.lines().collect();
            lines[1..lines.len() - 1]
                .iter()
                .map(|l| {
                    let inner = l.strip_prefix('│').and_then(|l| l.strip_suffix('│'));
                    inner.expect("a line between the borders").to_string()
                })
                .collect()
        }
    }

    /// How wide a cell's content is on screen: its widest line.
    fn content_width(s: &str) -> usize {
        s.lines().map(width).max().unwrap_or(0)
    }

    #[test]
    fn content_width_counts_what_the_screen_shows() {
        assert_eq!(content_width("Élodie\nGarnier-Dubois"), 14);
        assert_eq!(content_width("日本"), 4);
        assert_eq!(content_width(""), 0);
    }

    /// Printable ASCII is counted by its length, anything else by
    /// unicode-width, as comfy-table counts it.
    #[test]
    fn widths_are_comfy_tables() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..2000 {
            let s: String = (0..rng.random_range(0..12))
                .map(|_| match rng.random_range(0..4) {
                    0 => char::from(rng.random_range(0u8..128)),
                    1 => char::from(rng.random_range(b' '..=b'~')),
                    2 => [
                        'é', '€', '\u{301}', '日', '\u{200b}', '👍', '\u{a0}', 'œ', 'À', '×', 'ÿ',
                        'Ā',
                    ][rng.random_range(0..12)],
                    _ => ' ',
                })
                .collect();
            assert_eq!(width(&s), s.width(), "{s:?}");
        }
        assert_eq!(width("Julien Marchetti"), 16);
        assert_eq!(width("Hélène Œuvray"), 13);
        // Every character counted as one column without a look-up is one.
        for c in (0..=0x17F).filter_map(char::from_u32) {
            let s = c.to_string();
            if matches!(s.as_bytes()[0], b' '..=b'~' | 0xC3..=0xC5) {
                assert_eq!(s.width(), 1, "{c:?}");
            }
        }
        assert_eq!(width("a\tb"), "a\tb".width());
    }

    /// What lets [`Widths::add`] pass over a cell without measuring it: no
    /// character, and no sequence of them, is wider on screen than its bytes.
    #[test]
    fn no_text_is_wider_than_its_bytes() {
        for c in (0..=0x10_FFFF).filter_map(char::from_u32) {
            let s = c.to_string();
            assert!(s.width() <= s.len(), "{c:?}");
        }
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // Sequences unicode-width reads as one: emoji and variation
        // selectors, joiners, flags, keycaps, lam-alef.
        let parts = [
            "#", "1", "a", "\u{fe0f}", "\u{fe0e}", "\u{200d}", "\u{20e3}", "❤", "©", "👩", "🇫",
            "🇷", "\u{644}", "\u{627}", "\u{301}", "日", "\r", "\n", "\t", " ",
        ];
        for _ in 0..20_000 {
            let s: String = (0..rng.random_range(1..8))
                .map(|_| parts[rng.random_range(0..parts.len())])
                .collect();
            assert!(width(&s) <= s.len(), "{s:?}");
        }
    }

    /// Measured row by row, passing over the cells that cannot widen their
    /// column, the widths are those of every cell measured.
    #[test]
    fn widths_passed_over_are_the_widths_measured() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(6);
        let words = [
            "Élodie",
            "Garnier-Dubois",
            "日本",
            "a",
            "\n",
            " ",
            "x\ty",
            "👍",
            "devis",
            "\u{301}",
            "\u{a0}",
            "\u{3000}",
            "\u{b}",
            "\u{c}",
            "\r\n",
            "Société\u{2009}Générale",
        ];
        for _ in 0..300 {
            let cols = rng.random_range(1..5);
            let rows: Vec<Vec<String>> = (0..rng.random_range(0..40))
                .map(|_| {
                    (0..cols)
                        .map(|_| {
                            (0..rng.random_range(0..6))
                                .map(|_| words[rng.random_range(0..words.len())])
                                .collect()
                        })
                        .collect()
                })
                .collect();
            let headers = &["id", "Nom", "", "Étape"][..cols];
            let mut grown = Widths::new(headers);
            for r in &rows {
                grown.add(r);
            }
            for c in 0..cols {
                let cells = || rows.iter().map(|r| r[c].as_str()).chain([headers[c]]);
                let content = cells().map(content_width).max().unwrap_or(0).max(1);
                let word = cells()
                    .filter_map(|s| s.split_whitespace().map(width).max())
                    .max()
                    .unwrap_or(0)
                    .max(1);
                assert_eq!(
                    (grown.content[c], grown.word[c]),
                    (content, word),
                    "{rows:?}"
                );
            }
        }
    }

    /// The wide column's words, and those of columns kept whole, are left
    /// unmeasured: the layout is the same as with every word measured.
    #[test]
    fn words_left_unmeasured_change_no_layout() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        let headers = ["Réf", "Société", "Montant", "Note"];
        let (mut narrowed, mut rounds) = (0, 0);
        while rounds < 400 {
            let rows: Vec<Vec<String>> = (0..rng.random_range(1..30))
                .map(|_| (0..4).map(|_| random_cell(&mut rng)).collect())
                .collect();
            let wide = rng.random_range(0..4);
            let whole = if wide == 2 { vec![] } else { vec![2] };
            let mut unworded = whole.clone();
            unworded.push(wide);
            let (mut all, mut some) = (
                Widths::new(&headers),
                Widths::new(&headers).without_words(&unworded),
            );
            for r in &rows {
                all.add(r);
                some.add(r);
            }
            all.keep_whole(&whole);
            some.keep_whole(&whole);
            for width in [30, 50, 80, 120] {
                let a = BlockTable::new(&headers, &all, (wide, 40), width);
                let b = BlockTable::new(&headers, &some, (wide, 40), width);
                assert_eq!(a.widths, b.widths, "{rows:?}, wide {wide}, {width}");
                narrowed += usize::from(a.widths[wide] < all.content[wide] as u16 + 2);
            }
            rounds += 1;
        }
        // The wide column gave up width, where its words would matter if any did.
        assert!(narrowed > 400, "{narrowed}");
    }

    /// Widths of columns whose longest words are `word`.
    fn widths(content: &[usize], word: &[usize]) -> Widths {
        Widths {
            content: content.to_vec(),
            word: word.to_vec(),
            unworded: Vec::new(),
            whole: Vec::new(),
        }
    }

    #[test]
    fn columns_keep_their_content_width_when_the_table_fits() {
        let w = widths(&[5, 10, 20], &[5, 4, 6]);
        assert_eq!(layout(&w, (2, 45), 100), [7, 12, 22]);
    }

    #[test]
    fn the_wide_column_keeps_its_share_and_the_others_split_the_rest() {
        let total = |w: &[u16]| w.iter().map(|&w| usize::from(w)).sum::<usize>();
        // 100 wide, 5 borders: 95 for the columns, 45 for the wide one. Each
        // other column gets its longest word, then the extra is shared, the
        // columns that need least extra first.
        let w = widths(&[16, 30, 40, 200], &[16, 12, 14, 20]);
        assert_eq!(layout(&w, (3, 45), 100), [18, 15, 17, 45]);
        assert_eq!(layout(&w, (3, 45), 120), [18, 20, 23, 54]);
        // A wide column that needs little leaves the rest to the others.
        let w = widths(&[16, 30, 40, 20], &[16, 12, 14, 20]);
        let got = layout(&w, (3, 45), 80);
        assert_eq!(got, [18, 16, 19, 22]);
        assert_eq!(total(&got), 75);
    }

    #[test]
    fn the_wide_column_gives_up_some_width_to_keep_words_whole() {
        // The others' words need 18 + 26 + 16 = 60 of 95: the wide column keeps 35.
        let w = widths(&[16, 30, 40, 200], &[16, 24, 14, 20]);
        assert_eq!(layout(&w, (3, 45), 100), [18, 26, 16, 35]);
        // When words break anyway, the wide column keeps its share.
        let w = widths(&[16, 30, 40, 200], &[16, 30, 40, 30]);
        assert_eq!(layout(&w, (3, 45), 100), [16, 17, 17, 45]);
    }

    #[test]
    fn blocks_join_into_the_table_comfy_table_prints_whole() {
        let headers = ["Alert", "Prospect", "Finding"];
        let rows: Vec<Vec<String>> = (0..7)
            .map(|i| {
                vec![
                    format!("stale\nwarning {i}"),
                    format!("P-{i:04}\nÉlectricité de la Côte"),
                    "in Chaud for 158 days (since 22/06/2026); limit: 21 days".repeat(i % 3 + 1),
                ]
            })
            .collect();
        let mut widths = Widths::new(&headers);
        for r in &rows {
            widths.add(r);
        }
        let table = BlockTable::new(&headers, &widths, (2, 45), 60);
        let mut whole = Table::new();
        whole.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        whole.set_header(headers);
        whole.set_constraints(
            table
                .widths
                .iter()
                .map(|&w| ColumnConstraint::Absolute(Width::Fixed(w))),
        );
        for r in &rows {
            whole.add_row(r.clone());
        }
        let want = whole.to_string() + "\n";
        assert!(want.lines().all(|l| l.chars().count() == 60), "{want}");
        for size in [1, 2, 3, 7] {
            assert_eq!(in_blocks(&table, &rows, size), want, "blocks of {size}");
        }
    }

    /// The table of `rows` written in blocks of `size` rows (the header
    /// alone when there are none).
    fn in_blocks(table: &BlockTable, rows: &[Vec<String>], size: usize) -> String {
        let mut got = Vec::new();
        let blocks: Vec<&[Vec<String>]> = rows.chunks(size).collect();
        for (k, b) in blocks.iter().enumerate() {
            let block: Rows = b.iter().collect();
            table
                .write_block(&block, k == 0, k + 1 == blocks.len(), &mut got)
                .unwrap();
        }
        if rows.is_empty() {
            table
                .write_block(&Rows::default(), true, true, &mut got)
                .unwrap();
        }
        String::from_utf8(got).unwrap()
    }

    /// A cell of random text: words of every width comfy-table measures
    /// (accents, combining marks, wide characters, emoji, zero-width and
    /// control characters, tabs), spaces at either end, and line breaks.
    fn random_cell(rng: &mut impl rand::Rng) -> String {
        const PIECES: [&str; 16] = [
            "Élodie",
            "de",
            "l'Est",
            "e\u{301}",
            "日本語",
            "👍🏽",
            "\u{200b}",
            "\t",
            "\r",
            " ",
            "  ",
            "\n",
            "128 589,34 €",
            "P-000001",
            "",
            "Fromagerie-du-Gier",
        ];
        let n = rng.random_range(0..8);
        (0..n)
            .map(|_| PIECES[rng.random_range(0..PIECES.len())])
            .collect::<Vec<_>>()
            .join(if rng.random_bool(0.5) { " " } else { "" })
    }

    /// Cells that fit unwrapped are padded, and the others wrapped as
    /// comfy-table wraps them: together, the bytes comfy-table
    /// prints for the whole table, whatever the cells hold and wherever the
    /// blocks break.
    #[test]
    fn rows_laid_out_here_are_the_bytes_comfy_table_prints() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let headers = ["Réf", "Société", "Montant", "Note"];
        let (mut fast, mut slow) = (0, 0);
        for round in 0..200 {
            let mut rows: Vec<Vec<String>> = (0..rng.random_range(0..12))
                .map(|_| (0..4).map(|_| random_cell(&mut rng)).collect())
                .collect();
            // Texts that come back in a column, as salespeople's names do,
            // and in another column, as wide or not.
            for r in 0..rows.len() {
                for c in 0..4 {
                    if r > 0 && rng.random_bool(0.3) {
                        rows[r][c] = rows[rng.random_range(0..r)][c].clone();
                    } else if rng.random_bool(0.2) {
                        rows[r][c] = rows[r][(c + 1) % 4].clone();
                    }
                }
            }
            let mut widths = Widths::new(&headers);
            for r in &rows {
                widths.add(r);
            }
            let width = rng.random_range(30..160);
            let mut table = BlockTable::new(&headers, &widths, (3, 40), width);
            if round % 2 == 0 {
                table = table.align_right(&[2]);
            }
            let want = table.comfy(rows.clone(), true).to_string() + "\n";
            // Without comfy-table laying out the whole block.
            let all: Rows = rows.iter().collect();
            assert!(table.lay_out(&all).is_some(), "round {round}: {rows:?}");
            for r in &rows {
                for (c, cell) in r.iter().enumerate() {
                    if table.fits(c, cell) {
                        fast += 1;
                    } else {
                        slow += 1;
                    }
                }
            }
            let size = rng.random_range(1..5);
            assert_eq!(
                in_blocks(&table, &rows, size),
                want,
                "round {round}: {rows:?}"
            );
        }
        // Both ways were taken, many times.
        assert!(
            fast > 250 && slow > 250,
            "{fast} cells padded, {slow} wrapped"
        );
    }

    /// A row with fewer cells than the table has columns ends in empty
    /// cells, as in the table laid out whole, in every block; one with more
    /// goes to comfy-table, which makes room for it.
    #[test]
    fn a_short_row_ends_in_empty_cells() {
        let headers = ["A", "B"];
        let widths = Widths::new(&headers);
        let table = BlockTable::new(&headers, &widths, (1, 50), 80);
        let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let one = |cells: &[&str]| [row(cells)].iter().collect::<Rows>();
        assert_eq!(table.lay_out(&one(&["x", "y"])).unwrap(), "│ x ┆ y │\n");
        assert_eq!(table.lay_out(&one(&["x"])).unwrap(), "│ x ┆   │\n");
        assert_eq!(table.lay_out(&one(&["x", "y", "z"])), None);
        // The second row is too wide for its column and wraps.
        let rows = vec![vec!["x".to_string()], vec!["xy".to_string()]];
        let want = table.comfy(rows.clone(), true).to_string() + "\n";
        assert!(want.contains("│ x ┆   │\n│ x ┆   │\n│ y ┆   │\n"), "{want}");
        let mut got = Vec::new();
        table
            .write_block(&rows[..1].iter().collect(), true, false, &mut got)
            .unwrap();
        table
            .write_block(&rows[1..].iter().collect(), false, true, &mut got)
            .unwrap();
        assert_eq!(String::from_utf8(got).unwrap(), want);
    }

    /// Each cell wraps into the lines comfy-table prints for it, in columns
    /// as narrow as one character, whatever the words and graphemes.
    #[test]
    fn cells_wrap_as_comfy_table_wraps_them() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        const PIECES: [&str; 18] = [
            "Relancer",
            "le",
            "devis",
            "Fromagerie-du-Gier",
            "e\u{301}",
            "日本語",
            "🙂\u{200d}↕\u{fe0f}",
            "🇫🇷",
            "👍🏽",
            "\u{200b}",
            "\t",
            " ",
            "  ",
            "\n",
            "",
            "a",
            "128 589,34 €",
            "https://exemple.fr/un/tres/long/chemin",
        ];
        let mut wrapped = 0;
        for round in 0..3000 {
            let cells: Vec<String> = (0..rng.random_range(1..6))
                .map(|_| {
                    (0..rng.random_range(0..9))
                        .map(|_| PIECES[rng.random_range(0..PIECES.len())])
                        .collect::<Vec<_>>()
                        .join(if rng.random_bool(0.7) { " " } else { "" })
                })
                .collect();
            let headers = ["Note"];
            let mut table = BlockTable::new(&headers, &Widths::new(&headers), (0, 50), 80);
            table.widths = vec![rng.random_range(1..16)];
            if round % 2 == 1 {
                table = table.align_right(&[0]);
            }
            for cell in &cells {
                let mut lines = Lines::default();
                table.wrap(0, cell, &mut lines);
                let got = lines.to_vec();
                assert_eq!(
                    got,
                    table.comfy_cell(0, cell),
                    "round {round}: {cell:?}, {:?}",
                    table.widths
                );
                wrapped += usize::from(got.len() > 1);
            }
        }
        assert!(wrapped > 3000, "{wrapped} cells wrapped");
    }

    /// A line of spaces wider than its column wraps into no line at all:
    /// the row is as tall as its other cells, or takes no line when none
    /// has one, as in the table comfy-table prints whole.
    #[test]
    fn a_cell_of_spaces_wraps_into_no_line() {
        let headers = ["A", "B"];
        let table = BlockTable::new(&headers, &Widths::new(&headers), (1, 50), 80);
        assert_eq!(table.room(1), 1);
        let mut lines = Lines::default();
        table.wrap(1, "      ", &mut lines);
        assert_eq!(lines.len(), 0);
        let row = |a: &str, b: &str| vec![a.to_string(), b.to_string()];
        let rows = vec![
            row("x", "      "),
            row("      ", "      "),
            row("y\nz", "  "),
            row("w", "v"),
        ];
        let want = table.comfy(rows.clone(), true).to_string() + "\n";
        assert!(
            want.contains("│ x ┆   │\n│ y ┆   │\n│ z ┆   │\n│ w ┆ v │"),
            "{want}"
        );
        for size in [1, 2, 4] {
            assert_eq!(in_blocks(&table, &rows, size), want, "blocks of {size}");
        }
    }

    /// Rows of any length keep their cells, one string after another;
    /// read back from a spool, they are the rows set aside.
    #[test]
    fn rows_keep_their_cells() {
        let given: Vec<Vec<String>> = vec![
            vec!["P-1".into(), "Élodie\nGarnier".into(), "".into()],
            vec![],
            vec!["日本".into()],
            vec!["".into(), "".into(), "".into(), "x".into()],
        ];
        let rows: Rows = given.iter().collect();
        assert_eq!(rows.len(), 4);
        assert_eq!(rows.to_vecs(), given);
        assert_eq!(rows.cell(0, 1), "Élodie\nGarnier");
        assert_eq!((rows.cell(1, 0), rows.cell(2, 3)), ("", ""));
        assert_eq!((rows.row_len(1), rows.row_len(3)), (0, 4));
        let mut spool = Vec::new();
        for r in [&given[0], &given[2], &given[0]] {
            let mut row = r.clone();
            row.resize(3, String::new());
            spool_row(&mut spool, &row).unwrap();
        }
        let mut back = Rows::default();
        let mut read = &spool[..];
        back.read_spooled(&mut read, 3, 1).unwrap();
        back.read_spooled(&mut read, 3, 2).unwrap();
        assert!(read.is_empty());
        let want = vec![
            given[0].clone(),
            vec!["日本".into(), "".into(), "".into()],
            given[0].clone(),
        ];
        assert_eq!(back.to_vecs(), want);
    }

    /// A damaged spool is an error, never a cell cut inside a character,
    /// and leaves no rows behind.
    #[test]
    fn a_damaged_spool_is_refused() {
        // A row as `spool_row` sets it aside: the lengths, then the texts.
        let cells = |parts: &[&[u8]]| {
            let mut spool = Vec::new();
            for p in parts {
                spool.extend_from_slice(&(p.len() as u32).to_le_bytes());
            }
            for p in parts {
                spool.extend_from_slice(p);
            }
            spool
        };
        let mut rows = Rows::default();
        rows.push(&["kept"]);
        // "é" cut in two between the cells.
        let cut = cells(&[b"a\xc3", b"\xa9b"]);
        assert!(rows.read_spooled(&mut &cut[..], 2, 1).is_err());
        assert!(rows.is_empty());
        let invalid = cells(&[b"\xff", b"b"]);
        assert!(rows.read_spooled(&mut &invalid[..], 2, 1).is_err());
        let short = cells(&[b"a"]);
        assert!(rows.read_spooled(&mut &short[..], 2, 1).is_err());
        let whole = cells(&[b"a\xc3\xa9", b"b"]);
        rows.read_spooled(&mut &whole[..], 2, 1).unwrap();
        assert_eq!(rows.to_vecs(), [["aé", "b"]]);
    }

    /// Rows set aside in spools (in memory, and in a temporary file) come
    /// back as the table comfy-table prints whole, on one thread or two.
    #[test]
    fn spooled_rows_come_back_as_the_whole_table() {
        let headers = ["Réf", "Company", "Amount"];
        let rows: Vec<Vec<String>> = (0..1300)
            .map(|i| {
                vec![
                    format!("P-{i:05}"),
                    format!("Fonderie {}\nde l'Est", "é".repeat(i % 40)),
                    format!("{} €", i * 7),
                ]
            })
            .collect();
        let mut widths = Widths::new(&headers);
        for r in &rows {
            widths.add(r);
        }
        widths.keep_whole(&[2]);
        let table = BlockTable::new(&headers, &widths, (1, 30), 70).align_right(&[2]);
        let mut want = Vec::new();
        table
            .write_block(&rows.iter().collect(), true, true, &mut want)
            .unwrap();
        assert!(String::from_utf8_lossy(&want).contains(&format!(" {} € │", 1299 * 7)));
        for in_memory in [0, 1 << 20] {
            for bytes in [0, u64::MAX] {
                let (a, b) = rows.split_at(700);
                let mut parts = Vec::new();
                let mut total = 0;
                for part in [a, b] {
                    let mut s = crate::output::spool::new(in_memory);
                    for r in part {
                        total += spool_row(&mut s, r).unwrap();
                    }
                    parts.push((part.len(), crate::output::spool::rewind(s).unwrap()));
                }
                assert!(total > 50_000);
                let mut got = Vec::new();
                write_spooled(&table, parts, bytes, &mut got).unwrap();
                assert!(
                    got == want,
                    "{in_memory} bytes in memory, {bytes} said spooled"
                );
            }
        }
        let mut empty = Vec::new();
        write_spooled(&table, Vec::new(), 0, &mut empty).unwrap();
        // Without rows, the header alone.
        let empty = String::from_utf8(empty).unwrap();
        assert!(
            empty.contains("│ Réf ") && empty.ends_with("┘\n"),
            "{empty}"
        );
        assert_eq!(empty.lines().count(), 4, "{empty}");
    }
}
