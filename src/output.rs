//! Where and how a report goes: the `--format`, `-o FILE` and `--excel`
//! options shared by the reporting commands, and a [`Grid`] (a plain table of
//! cells) with its table, CSV and Markdown renderers.
//!
//! A cell carries two texts: what a person reads (locale-formatted amounts and
//! dates) and what a program reads (plain decimals, ISO dates). Tables and
//! Markdown show the first; CSV writes the second.

use crate::error::usage;
use crate::render;
use anyhow::{Context as _, Result};
use std::io::Write;
use std::path::PathBuf;

pub mod blocks;
pub mod spool;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Md,
    Html,
}

impl Format {
    /// Every format: what the reports write.
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Csv,
        Format::Json,
        Format::Md,
        Format::Html,
    ];
    /// Every format but the HTML page: what the listings write.
    pub const LISTS: [Format; 4] = [Format::Table, Format::Csv, Format::Json, Format::Md];

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Table => "txt",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Md => "md",
            Format::Html => "html",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Md => "md",
            Format::Html => "html",
        }
    }
}

/// The output options of a reporting command.
#[derive(clap::Args, Debug, Clone)]
pub struct OutputArgs {
    /// Output format (default: from the extension of `-o`, else table).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write to this file (replaced atomically) instead of standard output.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// CSV for a French Excel: `;` between cells and a UTF-8 BOM.
    #[arg(long)]
    pub excel: bool,
}

impl OutputArgs {
    /// The format to use, among those the command supports.
    pub fn resolve(&self, supported: &[Format]) -> Result<Format> {
        self.resolve_or(Format::Table, supported)
    }

    /// The format to use, with the command's own default when neither
    /// `--format` nor the extension of `-o` says.
    pub fn resolve_or(&self, default: Format, supported: &[Format]) -> Result<Format> {
        let f = match (self.format, &self.output) {
            (Some(f), _) => f,
            (None, Some(path)) => {
                let ext = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .unwrap_or("")
                    .to_ascii_lowercase();
                match ext.as_str() {
                    "csv" => Format::Csv,
                    "json" => Format::Json,
                    "md" | "markdown" => Format::Md,
                    "html" | "htm" => Format::Html,
                    "txt" => Format::Table,
                    _ => default,
                }
            }
            (None, None) => default,
        };
        if !supported.contains(&f) {
            let names: Vec<&str> = supported.iter().map(|f| f.key()).collect();
            return Err(usage(format!(
                "this command does not write {}; it writes {}",
                f.key(),
                crate::text::or_list(&names)
            )));
        }
        if self.excel && f != Format::Csv {
            return Err(usage(
                "`--excel` goes with CSV output (`--format csv` or `-o FILE.csv`)",
            ));
        }
        Ok(f)
    }

    /// Sends the finished output to standard output or to the file.
    pub fn emit(&self, bytes: &[u8]) -> Result<()> {
        self.write(bytes, true)
    }

    /// Like [`emit`](Self::emit), saying `wrote FILE` on stderr only when
    /// `announce` (cron mails anything a command prints).
    pub fn write(&self, bytes: &[u8], announce: bool) -> Result<()> {
        self.write_with(announce, |out| Ok(out.write_all(bytes)?))
    }

    /// Like [`write`](Self::write), with the output written by `fill` as it
    /// comes, through a buffer. A file is still replaced only once `fill`
    /// has succeeded.
    pub fn write_with(
        &self,
        announce: bool,
        fill: impl FnOnce(&mut dyn Write) -> Result<()>,
    ) -> Result<()> {
        match &self.output {
            None => {
                let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
                fill(&mut out)?;
                out.flush()?;
                Ok(())
            }
            Some(path) => {
                crate::store::write_atomic_with(path, fill)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if announce {
                    eprintln!("wrote {}", path.display());
                }
                Ok(())
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone)]
pub struct Cell {
    /// For people: `12 500,00 €`, `31/01/2026`.
    pub shown: String,
    /// For programs: `12500.00`, `2026-01-31`.
    pub plain: String,
    pub align: Align,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            shown: s.clone(),
            plain: s,
            align: Align::Left,
        }
    }

    pub fn empty() -> Cell {
        Cell::text("")
    }

    pub fn number(shown: impl Into<String>, plain: impl Into<String>) -> Cell {
        Cell {
            shown: shown.into(),
            plain: plain.into(),
            align: Align::Right,
        }
    }
}

/// A table of cells with a header and notes to print under it.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub title: Option<String>,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
    /// Per column, how readily it is dropped on a narrow terminal: 0 never, then higher first.
    pub priority: Vec<u8>,
    /// Rows that hold totals (shown in bold in HTML).
    pub totals: Vec<usize>,
    /// A column of long text that gets at least this share of the table's
    /// width (in percent), so that it wraps less than the short ones.
    pub wide: Option<(usize, u16)>,
}

impl Grid {
    pub fn new(headers: &[&str]) -> Grid {
        Grid {
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Grid::default()
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Adds a row of totals.
    pub fn push_total(&mut self, row: Vec<Cell>) {
        self.totals.push(self.rows.len());
        self.rows.push(row);
    }

    /// Sets how readily each column is dropped to fit a narrow terminal (0: never).
    pub fn with_priority(mut self, priority: &[u8]) -> Grid {
        self.priority = priority.to_vec();
        self
    }

    /// The grid without its most secondary columns, until it fits `width`
    /// characters (cells wrap in what is left), with a note naming what was dropped.
    pub fn fitted(&self, width: u16) -> Grid {
        let width = usize::from(width);
        let col_width = |c: usize| {
            let header = self.headers[c]
                .split_whitespace()
                .map(|w| w.chars().count())
                .max()
                .unwrap_or(0);
            let cells = self
                .rows
                .iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.shown.chars().count())
                .max()
                .unwrap_or(0);
            header.max(cells) + 3
        };
        let mut keep: Vec<usize> = (0..self.headers.len()).collect();
        let total = |keep: &[usize]| 1 + keep.iter().map(|&c| col_width(c)).sum::<usize>();
        let mut dropped = Vec::new();
        while total(&keep) > width {
            let prio = |c: usize| self.priority.get(c).copied().unwrap_or(0);
            let Some(&worst) = keep
                .iter()
                .filter(|&&c| prio(c) > 0)
                .max_by_key(|&&c| (prio(c), c))
            else {
                break;
            };
            keep.retain(|&c| c != worst);
            dropped.push(worst);
        }
        if dropped.is_empty() {
            return self.clone();
        }
        dropped.sort_unstable();
        let mut g = Grid {
            title: self.title.clone(),
            headers: keep.iter().map(|&c| self.headers[c].clone()).collect(),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    keep.iter()
                        .map(|&c| r.get(c).cloned().unwrap_or_else(Cell::empty))
                        .collect()
                })
                .collect(),
            notes: self.notes.clone(),
            priority: keep
                .iter()
                .map(|&c| self.priority.get(c).copied().unwrap_or(0))
                .collect(),
            totals: self.totals.clone(),
            // The wide column keeps its share wherever it now stands, if it is kept.
            wide: self
                .wide
                .and_then(|(c, share)| keep.iter().position(|&k| k == c).map(|i| (i, share))),
        };
        let names: Vec<&str> = dropped.iter().map(|&c| self.headers[c].as_str()).collect();
        g.notes.push(format!(
            "Not shown at this width: {} (widen the terminal, or use --format csv, json or html).",
            names.join(", ")
        ));
        g
    }

    /// An HTML `<table>` (escaped, well-formed); each cell carries its plain value in `data-value`.
    pub fn to_html(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(&format!("<h2>{}</h2>\n", html_escape(title)));
        }
        out.push_str("<div class=\"scroll\"><table>\n<thead><tr>");
        for (i, h) in self.headers.iter().enumerate() {
            let class = if self.is_numeric(i) {
                " class=\"num\""
            } else {
                ""
            };
            out.push_str(&format!("<th{class}>{}</th>", html_escape(h)));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for (r, row) in self.rows.iter().enumerate() {
            if self.totals.contains(&r) {
                out.push_str("<tr class=\"total\">");
            } else {
                out.push_str("<tr>");
            }
            for (i, c) in row.iter().enumerate() {
                let class = if c.align == Align::Right {
                    " class=\"num\""
                } else {
                    ""
                };
                out.push_str(&format!(
                    "<td{class} data-col=\"{}\" data-value=\"{}\">{}</td>",
                    html_escape(self.headers.get(i).map_or("", String::as_str)),
                    html_escape(&c.plain),
                    html_escape(&c.shown)
                ));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table></div>\n");
        for n in &self.notes {
            out.push_str(&format!("<p class=\"note\">{}</p>\n", html_escape(n)));
        }
        out
    }

    fn is_numeric(&self, col: usize) -> bool {
        self.rows
            .iter()
            .any(|r| r.get(col).is_some_and(|c| c.align == Align::Right))
    }

    /// A comfy-table rendering, with notes under it.
    pub fn to_table(&self) -> String {
        let headers: Vec<&str> = self.headers.iter().map(String::as_str).collect();
        let mut t = render::table(&headers);
        for row in &self.rows {
            t.add_row(row.iter().map(|c| c.shown.clone()));
        }
        let right: Vec<usize> = (0..self.headers.len())
            .filter(|&i| {
                self.rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| c.align == Align::Right))
            })
            .collect();
        render::align_right(&mut t, &right);
        if let Some((col, percent)) = self.wide
            && let Some(c) = t.column_mut(col)
        {
            c.set_constraint(comfy_table::ColumnConstraint::LowerBoundary(
                comfy_table::Width::Percentage(percent),
            ));
        }
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(title);
            out.push('\n');
        }
        out.push_str(&t.to_string());
        out.push('\n');
        for n in &self.notes {
            out.push_str(n);
            out.push('\n');
        }
        out
    }

    /// CSV with plain values, safe to open in a spreadsheet; `excel` gives `;` and a BOM.
    pub fn to_csv(&self, excel: bool) -> Result<Vec<u8>> {
        let mut w = csv_writer(excel);
        render::write_safe_record(&mut w, self.headers.iter().map(String::as_str))?;
        for row in &self.rows {
            render::write_safe_record(&mut w, row.iter().map(|c| c.plain.as_str()))?;
        }
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// A Markdown table (cells escaped), with notes as paragraphs.
    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        if let Some(title) = &self.title {
            out.push_str(&markdown_title(title));
        }
        out.push_str(&markdown_row(self.headers.iter().map(String::as_str)));
        let aligns: Vec<&str> = (0..self.headers.len())
            .map(|i| {
                if self
                    .rows
                    .iter()
                    .any(|r| r.get(i).is_some_and(|c| c.align == Align::Right))
                {
                    "---:"
                } else {
                    "---"
                }
            })
            .collect();
        out.push_str(&format!("| {} |\n", aligns.join(" | ")));
        for row in &self.rows {
            out.push_str(&markdown_row(row.iter().map(|c| c.shown.as_str())));
        }
        for n in &self.notes {
            out.push_str(&markdown_note(n));
        }
        out
    }
}

/// Text in a Markdown table cell or paragraph: no emphasis, no cell break, `<br>` for a new line.
fn markdown_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_markdown_escaped(&mut out, s);
    out
}

/// `s` appended to `out` with Markdown's special characters escaped: `\`,
/// `*` and `|` behind a backslash, a line break as `<br>`.
fn push_markdown_escaped(out: &mut String, s: &str) {
    let mut rest = s;
    while let Some(at) = rest.find(['\\', '*', '|', '\n']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'*' => "\\*",
            b'|' => "\\|",
            _ => "<br>",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// `### Title` and a blank line.
pub fn markdown_title(title: &str) -> String {
    format!("### {}\n\n", markdown_escape(title))
}

/// `| a | b |` and a new line.
pub fn markdown_row<'a>(cells: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::from("| ");
    for (i, cell) in cells.enumerate() {
        if i > 0 {
            out.push_str(" | ");
        }
        push_markdown_escaped(&mut out, cell);
    }
    out.push_str(" |\n");
    out
}

/// A paragraph after a table.
pub fn markdown_note(note: &str) -> String {
    format!("\n{}\n", markdown_escape(note))
}

/// A whole HTML page holding the grids: one self-contained file, styles inline, no script.
/// `lang` is the page's language (`fr`, `en`).
pub fn html_page(lang: &str, title: &str, grids: &[&Grid]) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>\n{}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        html_escape(title),
        HTML_STYLE,
        html_escape(title)
    );
    for g in grids {
        out.push_str(&g.to_html());
    }
    out.push_str("</body>\n</html>\n");
    out
}

const HTML_STYLE: &str = "body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; }
h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #f2f2f2; text-align: left; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
p { max-width: 60em; font-size: 0.9em; color: #444; }
.scroll { overflow-x: auto; }
@media (max-width: 600px) { body { margin: 0.8em; } th, td { padding: 0.2em 0.4em; } }
";

/// Escapes text for HTML (and XML) content and attributes.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A CSV writer into memory: `,`, or `;` after a BOM for a French Excel
/// (`excel`). Cells go through [`render::csv_safe`] on their way in.
pub fn csv_writer(excel: bool) -> csv::Writer<Vec<u8>> {
    csv_writer_to(excel, Vec::new()).expect("writing to memory cannot fail")
}

/// [`csv_writer`] into `out`, the BOM written first for `excel`.
pub fn csv_writer_to<W: Write>(excel: bool, mut out: W) -> std::io::Result<csv::Writer<W>> {
    if excel {
        out.write_all("\u{feff}".as_bytes())?;
    }
    Ok(csv_builder(excel).from_writer(out))
}

/// A CSV writer's settings: `;` between cells for Excel, else `,`.
pub fn csv_builder(excel: bool) -> csv::WriterBuilder {
    let mut b = csv::WriterBuilder::new();
    b.delimiter(if excel { b';' } else { b',' });
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> Grid {
        let mut g = Grid::new(&["Étape", "Montant"]);
        g.push(vec![
            Cell::text("=HYPERLINK(\"x\")"),
            Cell::number("12 500,50 €", "12500.50"),
        ]);
        g.push(vec![Cell::text("a|b"), Cell::number("-3,00 €", "-3.00")]);
        g
    }

    #[test]
    fn csv_is_plain_and_safe() {
        let csv = String::from_utf8(grid().to_csv(false).unwrap()).unwrap();
        assert_eq!(
            csv,
            "Étape,Montant\n\"'=HYPERLINK(\"\"x\"\")\",12500.50\na|b,-3.00\n"
        );
        let excel = grid().to_csv(true).unwrap();
        assert!(excel.starts_with("\u{feff}Étape;Montant".as_bytes()));
    }

    #[test]
    fn fitting_drops_the_most_secondary_columns_first() {
        let mut g =
            Grid::new(&["Stage", "Count", "Median days", "Amount"]).with_priority(&[0, 0, 2, 1]);
        g.push(vec![
            Cell::text("Devis envoyé"),
            Cell::number("3", "3"),
            Cell::number("12", "12"),
            Cell::number("12 500,50 €", "12500.50"),
        ]);
        assert_eq!(g.fitted(100).headers.len(), 4);
        let narrow = g.fitted(40);
        assert_eq!(narrow.headers, ["Stage", "Count", "Amount"]);
        assert!(
            narrow.notes[0].contains("Median days"),
            "{:?}",
            narrow.notes
        );
        assert_eq!(g.fitted(10).headers, ["Stage", "Count"]);
    }

    #[test]
    fn html_is_escaped_and_carries_plain_values() {
        let html = grid().to_html();
        assert!(
            html.contains("data-value=\"12500.50\">12 500,50 €</td>"),
            "{html}"
        );
        assert!(
            html.contains("&#39;") || html.contains("=HYPERLINK(&quot;x&quot;)"),
            "{html}"
        );
    }

    #[test]
    fn html_is_one_escaped_page_without_script() {
        let mut g = grid();
        g.title = Some("<Étapes>".into());
        g.notes.push("a & b".into());
        let page = html_page("fr", "Rapport \"test\"", &[&g]);
        assert!(page.starts_with("<!DOCTYPE html>"));
        assert!(page.contains("<style>") && !page.contains("<script"));
        assert!(page.contains("<h2>&lt;Étapes&gt;</h2>"));
        assert!(
            page.contains("data-value=\"12500.50\">12 500,50 €</td>"),
            "{page}"
        );
        assert!(page.contains("<p class=\"note\">a &amp; b</p>"), "{page}");
        assert!(page.contains("<title>Rapport &quot;test&quot;</title>"));
    }

    /// Escaped in one pass, a text reads as escaped one character kind
    /// after another; a row is its escaped cells between bars.
    #[test]
    fn markdown_escapes_each_special_character_once() {
        let by_kind = |s: &str| {
            s.replace('\\', "\\\\")
                .replace('*', "\\*")
                .replace('|', "\\|")
                .replace('\n', "<br>")
        };
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let pieces = ["\\", "*", "|", "\n", "é", "a b", "<br>", "\\*", ""];
        for _ in 0..2000 {
            let s: String = (0..rng.random_range(0..8))
                .map(|_| pieces[rng.random_range(0..pieces.len())])
                .collect();
            assert_eq!(markdown_escape(&s), by_kind(&s), "{s:?}");
        }
        assert_eq!(
            markdown_row(["a|b", "x\ny", ""].into_iter()),
            "| a\\|b | x<br>y |  |\n"
        );
        assert_eq!(markdown_row(std::iter::empty()), "|  |\n");
    }

    #[test]
    fn markdown_escapes_pipes_and_aligns_numbers() {
        let md = grid().to_markdown();
        assert!(md.contains("| --- | ---: |"), "{md}");
        assert!(md.contains("| a\\|b | -3,00 € |"), "{md}");
    }
}
