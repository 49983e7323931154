//! The prospect register: a CSV file that people also open in a spreadsheet.
//!
//! Reading streams the file record by record ([`Reader`]); the dialect
//! (delimiter, BOM, encoding, line terminator, quoting) is learnt from the
//! file itself so that writing can give it back unchanged. Writing never
//! re-serialises a row it does not change: [`render_row`] rebuilds only the
//! cells that changed, and `store` copies every other byte.

use crate::csvscan::{self, Record, Scanner};
use crate::diag::Diagnostic;
use crate::digest::cache::{Hasher, Hashing};
use crate::error::{invalid, refused};
use crate::field::Field;
use crate::pipeline::{Delimiter, EncodingChoice, Pipeline};
use crate::text::{fold, or_list};
use anyhow::{Context, Result};
use std::borrow::Cow;
use std::cell::Cell;
use std::fs::File;
use std::io::{Chain, Cursor, Read, Seek, SeekFrom};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    Lf,
    CrLf,
    Cr,
}

impl Terminator {
    pub fn bytes(self) -> &'static [u8] {
        match self {
            Terminator::Lf => b"\n",
            Terminator::CrLf => b"\r\n",
            Terminator::Cr => b"\r",
        }
    }

    /// The byte that counts lines.
    pub fn newline(self) -> u8 {
        if self == Terminator::Cr { b'\r' } else { b'\n' }
    }
}

/// How the register file is written, as found in the file.
#[derive(Debug, Clone)]
pub struct Dialect {
    pub delimiter: u8,
    pub terminator: Terminator,
    /// Every header cell is quoted: new rows are quoted the same way.
    pub quote_all: bool,
}

/// Which column holds which logical field.
#[derive(Debug, Clone)]
pub struct Schema {
    pub headers: Vec<String>,
    columns: [Option<usize>; Field::ALL.len()],
}

impl Schema {
    pub fn col(&self, f: Field) -> Option<usize> {
        self.columns[f.index()]
    }

    /// The logical field a column holds, if any.
    pub fn field_of(&self, col: usize) -> Option<Field> {
        Field::ALL.into_iter().find(|f| self.col(*f) == Some(col))
    }

    /// Finds a column by logical field name, exact header, or header without regard to case and accents.
    pub fn find(&self, name: &str) -> Option<usize> {
        if let Some(f) = Field::from_key(name)
            && let Some(c) = self.col(f)
        {
            return Some(c);
        }
        self.headers
            .iter()
            .position(|h| h == name)
            .or_else(|| self.headers.iter().position(|h| fold(h) == fold(name)))
    }

    /// The name a column goes by in the journal: the field key, or the header for the user's own columns.
    pub fn journal_name(&self, col: usize) -> String {
        self.field_of(col)
            .map_or_else(|| self.headers[col].clone(), |f| f.key().to_string())
    }
}

/// Decodes cells, settling `auto` encoding on the way: a file is UTF-8 until
/// a byte sequence says otherwise; if nothing but ASCII came before, it is
/// then Windows-1252 from the start.
#[derive(Debug, Clone)]
pub struct Decoder {
    mode: Cell<Mode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Utf8,
    Windows1252,
    AutoAscii,
    AutoUtf8,
}

impl Decoder {
    fn new(choice: EncodingChoice, bom: bool) -> Decoder {
        let mode = match (choice, bom) {
            (EncodingChoice::Utf8, _) | (EncodingChoice::Auto, true) => Mode::Utf8,
            (EncodingChoice::Windows1252, _) => Mode::Windows1252,
            (EncodingChoice::Auto, false) => Mode::AutoAscii,
        };
        Decoder {
            mode: Cell::new(mode),
        }
    }

    /// True while `auto` has seen nothing but ASCII: the next cells may
    /// still decide the encoding. Once false, decoding depends on nothing else.
    pub fn undecided(&self) -> bool {
        self.mode.get() == Mode::AutoAscii
    }

    pub fn encoding(&self) -> Encoding {
        match self.mode.get() {
            Mode::Windows1252 => Encoding::Windows1252,
            _ => Encoding::Utf8,
        }
    }

    pub fn decode<'a>(&self, bytes: &'a [u8]) -> Result<Cow<'a, str>, String> {
        match self.mode.get() {
            Mode::Windows1252 => Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0),
            mode => match std::str::from_utf8(bytes) {
                Ok(s) => {
                    if mode == Mode::AutoAscii && !s.is_ascii() {
                        self.mode.set(Mode::AutoUtf8);
                    }
                    Ok(Cow::Borrowed(s))
                }
                Err(_) if mode == Mode::AutoAscii => {
                    self.mode.set(Mode::Windows1252);
                    Ok(encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0)
                }
                Err(_) if mode == Mode::AutoUtf8 => Err(
                    "this cell is not UTF-8 although earlier cells were: the file mixes two encodings; re-save it in one encoding from your spreadsheet".into(),
                ),
                Err(_) => Err(
                    "this cell is not valid UTF-8; if the file comes from Excel on Windows, set `encoding = \"windows-1252\"` under [register]".into(),
                ),
            },
        }
    }

    /// Encodes a value for the file, refusing characters the encoding cannot hold.
    pub fn encode<'a>(&self, value: &'a str) -> Result<Cow<'a, [u8]>> {
        match self.encoding() {
            Encoding::Utf8 => Ok(Cow::Borrowed(value.as_bytes())),
            Encoding::Windows1252 => {
                let (bytes, _, errors) = encoding_rs::WINDOWS_1252.encode(value);
                if errors {
                    let bad: String = value
                        .chars()
                        .filter(|c| encoding_rs::WINDOWS_1252.encode(&c.to_string()).2)
                        .collect();
                    return Err(refused(format!(
                        "`{value}` cannot be written to this register: it is in Windows-1252, which has no `{bad}`\n  hint: use other characters, or convert the register to UTF-8 (and set `encoding = \"utf-8\"` under [register])"
                    )));
                }
                Ok(bytes)
            }
        }
    }
}

/// What a reader's scanner reads: the bytes read ahead to learn the dialect,
/// then the rest of the file, hashed as it passes when asked to.
type Source = Chain<Cursor<Vec<u8>>, Hashing<File>>;

/// A row's cells as text (see [`Row::text_cells`]).
pub enum Cells<'a> {
    Borrowed(csvscan::TextRecord<'a>),
    Owned(Vec<String>),
}

impl Cells<'_> {
    /// The text of a column; empty when the row is short.
    pub fn get(&self, col: usize) -> &str {
        match self {
            Cells::Borrowed(t) => t.get(col),
            Cells::Owned(v) => v.get(col).map_or("", String::as_str),
        }
    }
}

/// A register opened for reading, positioned after its header.
pub struct Reader {
    pub file: String,
    pub dialect: Dialect,
    pub schema: Schema,
    pub decoder: Decoder,
    scanner: Scanner<Source>,
}

/// One data row of the register.
pub struct Row<'a> {
    pub record: Record<'a>,
    pub file: &'a str,
    pub schema: &'a Schema,
    pub decoder: &'a Decoder,
    pub delimiter: u8,
}

// A diagnostic is built only on the error path; boxing it would buy nothing.
#[allow(clippy::result_large_err)]
impl<'a> Row<'a> {
    pub fn line(&self) -> u64 {
        self.record.line
    }

    /// The decoded text of a column; empty when the row is short.
    pub fn cell(&self, col: usize) -> Result<Cow<'a, str>, Diagnostic> {
        match self.record.field(col) {
            None => Ok(Cow::Borrowed("")),
            Some(bytes) => self
                .decoder
                .decode(bytes)
                .map_err(|e| self.diag(col, "bad-encoding", e)),
        }
    }

    /// Every cell decoded, padded to the header's width.
    pub fn cells(&self) -> Result<Vec<String>, Diagnostic> {
        (0..self.schema.headers.len().max(self.record.len()))
            .map(|c| self.cell(c).map(Cow::into_owned))
            .collect()
    }

    /// Every cell as text, borrowed from the read buffer without a copy when the
    /// file is UTF-8; the same cells and errors as [`Row::cells`].
    pub fn text_cells(&self) -> Result<Cells<'a>, Diagnostic> {
        if self.decoder.encoding() == Encoding::Utf8
            && let Some(t) = self.record.text()
        {
            return Ok(Cells::Borrowed(t));
        }
        self.cells().map(Cells::Owned)
    }

    /// A diagnostic pointing at a column of this row.
    pub fn diag(&self, col: usize, code: &'static str, message: impl Into<String>) -> Diagnostic {
        let (line, column) = self.position_of(col);
        Diagnostic::error(self.file, code, message).at(line, column)
    }

    /// Line and character column where a field starts (the record may span lines).
    pub fn position_of(&self, col: usize) -> (u64, u64) {
        if col == 0 {
            return (self.record.line, 1);
        }
        let spans = csvscan::raw_fields(self.record.raw, self.delimiter);
        let start = spans.get(col).map_or(self.record.raw.len(), |r| r.start);
        let before = &self.record.raw[..start];
        let nl = before.iter().rposition(|&b| b == b'\n');
        let line = self.record.line + csvscan::memchr_count(b'\n', before);
        let line_start = nl.map_or(0, |i| i + 1);
        let column = self
            .decoder
            .decode(&before[line_start..])
            .map_or(start - line_start, |s| s.chars().count()) as u64
            + 1;
        (line, column)
    }

    /// Checks the row has as many cells as the header.
    pub fn check_width(&self) -> Result<(), Diagnostic> {
        let n = self.record.len();
        let want = self.schema.headers.len();
        if n == want {
            return Ok(());
        }
        let d = Diagnostic::error(
            self.file,
            "row-width",
            format!("this row has {n} cells but the header has {want}"),
        )
        .at(self.record.line, 1)
        .hint("a delimiter is missing or one too many (check for an unquoted `;` or `,` in a cell); fix the row in the file");
        Err(d)
    }
}

impl Reader {
    pub fn open(pipeline: &Pipeline) -> Result<Reader> {
        Reader::open_hashing(pipeline, false)
    }

    /// [`Reader::open`]; with `hash`, every byte of the file is hashed as the
    /// rows are read, for [`Reader::read_hash`] to give once they are all read.
    pub fn open_hashing(pipeline: &Pipeline, hash: bool) -> Result<Reader> {
        let path = &pipeline.register.path;
        let file = path.display().to_string();
        let mut f = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                invalid(format!(
                    "{file}: the register does not exist\n  hint: create it with `pipe init`, or fix `path` under [register] in {}",
                    pipeline.source.display()
                ))
            } else {
                anyhow::Error::new(e).context(format!("cannot read the register {file}"))
            }
        })?;
        let mut head = Vec::with_capacity(64 * 1024);
        (&mut f)
            .take(64 * 1024)
            .read_to_end(&mut head)
            .with_context(|| format!("cannot read the register {file}"))?;
        let bom = head.starts_with(b"\xEF\xBB\xBF");
        let body_start = if bom { 3 } else { 0 };
        let first_line = &head[body_start..];
        let header_end = first_line
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(first_line.len());
        let header_bytes = &first_line[..header_end];
        if header_bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(invalid(format!(
                "{file}:1: the register is empty: it needs a header row naming its columns\n  hint: `pipe init` writes an empty register with its header"
            )));
        }
        let terminator = match &first_line[header_end..] {
            [b'\r', b'\n', ..] => Terminator::CrLf,
            [b'\r', ..] => Terminator::Cr,
            _ => Terminator::Lf,
        };
        let delimiter = match pipeline.register.delimiter {
            Delimiter::Byte(b) => b,
            Delimiter::Auto => {
                let count = |d: u8| header_bytes.iter().filter(|&&b| b == d).count();
                [b',', b';', b'\t']
                    .into_iter()
                    .max_by_key(|&d| (count(d), d == b','))
                    .unwrap_or(b',')
            }
        };
        let newline = terminator.newline();
        let decoder = Decoder::new(pipeline.register.encoding, bom);
        let mut hasher = Hasher::new();
        if hash {
            hasher.update(&head);
        }
        let f = Hashing::new(f, hasher, head.len() as u64, hash);
        let mut prefix = head;
        prefix.drain(..body_start);
        let src = Cursor::new(prefix).chain(f);
        let mut scanner = Scanner::new(src, delimiter, newline).starting_at(body_start as u64);
        let (headers, quote_all) = {
            let rec = scanner
                .next_record()
                .with_context(|| format!("cannot read the register {file}"))?
                .expect("a non-empty header");
            let mut headers = Vec::new();
            for (i, h) in rec.fields().enumerate() {
                let text = decoder
                    .decode(h)
                    .map_err(|e| invalid(format!("{file}:1:{}: {e}", i + 1)))?;
                headers.push(text.trim().to_string());
            }
            let spans = csvscan::raw_fields(rec.raw, delimiter);
            let quote_all =
                !spans.is_empty() && spans.iter().all(|r| rec.raw.get(r.start) == Some(&b'"'));
            (headers, quote_all)
        };
        let schema = build_schema(&file, headers, pipeline)?;
        Ok(Reader {
            file,
            dialect: Dialect {
                delimiter,
                terminator,
                quote_all,
            },
            schema,
            decoder,
            scanner,
        })
    }

    /// A second reader of the same file for its second part: from the byte
    /// after the first line break at or past `first` thousandths of `path`
    /// (500: the middle), decoding cells as this reader does; that offset
    /// comes with it. Its offsets are the file's, its lines count from 1 at
    /// that offset. `None` when the encoding is not settled yet (`auto` has
    /// seen only ASCII: a later cell may still decide it for the whole file)
    /// or no line break is near that point.
    ///
    /// A quoted cell may hold line breaks: the caller must prove that the
    /// offset starts a record, by reading up to it from the start.
    pub fn second_part(&self, path: &Path, first: u64) -> Result<Option<(u64, Reader)>> {
        if self.decoder.undecided() {
            return Ok(None);
        }
        let cannot = || format!("cannot read the register {}", self.file);
        let mut f = File::open(path).with_context(cannot)?;
        let len = f.metadata().with_context(cannot)?.len();
        let middle = (u128::from(len) * u128::from(first.min(1000)) / 1000) as u64;
        let mut window = Vec::with_capacity(64 * 1024);
        f.seek(SeekFrom::Start(middle)).with_context(cannot)?;
        (&mut f)
            .take(64 * 1024)
            .read_to_end(&mut window)
            .with_context(cannot)?;
        let newline = self.dialect.terminator.newline();
        let Some(at) = memchr::memchr(newline, &window) else {
            return Ok(None);
        };
        let start = middle + at as u64 + 1;
        if start >= len {
            return Ok(None);
        }
        f.seek(SeekFrom::Start(start)).with_context(cannot)?;
        let src = Cursor::new(Vec::new()).chain(Hashing::new(f, Hasher::new(), start, false));
        let scanner = Scanner::new(src, self.dialect.delimiter, newline).starting_at(start);
        Ok(Some((
            start,
            Reader {
                file: self.file.clone(),
                dialect: self.dialect.clone(),
                schema: self.schema.clone(),
                decoder: self.decoder.clone(),
                scanner,
            },
        )))
    }

    /// Whether the reader hashes the file as it reads it.
    pub fn hashing(&self) -> bool {
        self.scanner.source().get_ref().1.hashes()
    }

    /// The length and xxh3-128 hash of the file, once every row has been
    /// read by a reader opened with [`Reader::open_hashing`]; `None` otherwise.
    pub fn read_hash(&self) -> Option<(u64, u128)> {
        let file = self.scanner.source().get_ref().1;
        file.hashes().then(|| (file.read_to(), file.digest()))
    }

    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let rec = self
            .scanner
            .next_record()
            .with_context(|| format!("cannot read the register {}", self.file))?;
        if let Some(r) = &rec {
            // Settle `auto` on every byte of the file, not only the cells read.
            if self.decoder.undecided() {
                let _ = self.decoder.decode(r.raw);
            }
        }
        Ok(rec.map(|record| Row {
            record,
            file: &self.file,
            schema: &self.schema,
            decoder: &self.decoder,
            delimiter: self.dialect.delimiter,
        }))
    }
}

fn build_schema(file: &str, headers: Vec<String>, pipeline: &Pipeline) -> Result<Schema> {
    let mut columns = [None; Field::ALL.len()];
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        if let Some(j) = headers[..i].iter().position(|o| o == h) {
            return Err(invalid(format!(
                "{file}:1:{}: the header `{h}` appears twice (columns {} and {})\n  hint: rename one of them in the file",
                i + 1,
                j + 1,
                i + 1
            )));
        }
    }
    for f in Field::ALL {
        let want = pipeline.register.header(f);
        columns[f.index()] = headers
            .iter()
            .position(|h| h == want)
            .or_else(|| headers.iter().position(|h| fold(h) == fold(want)));
    }
    for f in [Field::Id, Field::Stage] {
        if columns[f.index()].is_none() {
            let want = pipeline.register.header(f);
            return Err(invalid(format!(
                "{file}:1: the register has no `{want}` column (for the field `{}`)\n  hint: its columns are {}; map the right one under [register.columns] in {}, such as `{} = \"{}\"`",
                f.key(),
                or_list(&headers),
                pipeline.source.display(),
                f.key(),
                headers.first().map_or("…", String::as_str)
            )));
        }
    }
    Ok(Schema { headers, columns })
}

/// Rebuilds one record's content with some cells replaced; the other cells keep their exact bytes.
pub fn render_row(
    raw: &[u8],
    width: usize,
    dialect: &Dialect,
    decoder: &Decoder,
    changes: &[(usize, &str)],
) -> Result<Vec<u8>> {
    let spans = csvscan::raw_fields(raw, dialect.delimiter);
    let n = spans
        .len()
        .max(width)
        .max(changes.iter().map(|(c, _)| c + 1).max().unwrap_or(0));
    let mut out = Vec::with_capacity(raw.len() + 16);
    for col in 0..n {
        if col > 0 {
            out.push(dialect.delimiter);
        }
        let original = spans.get(col).map(|r| &raw[r.clone()]);
        match changes.iter().rev().find(|(c, _)| *c == col) {
            Some((_, value)) => {
                let quoted = original.map_or(dialect.quote_all, |o| o.first() == Some(&b'"'));
                out.extend(csvscan::quote_field(
                    &decoder.encode(value)?,
                    dialect.delimiter,
                    quoted,
                ));
            }
            None => out.extend_from_slice(original.unwrap_or_default()),
        }
    }
    Ok(out)
}

/// Writes a whole new row.
pub fn render_new_row(cells: &[String], dialect: &Dialect, decoder: &Decoder) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, v) in cells.iter().enumerate() {
        if i > 0 {
            out.push(dialect.delimiter);
        }
        out.extend(csvscan::quote_field(
            &decoder.encode(v)?,
            dialect.delimiter,
            dialect.quote_all,
        ));
    }
    Ok(out)
}
