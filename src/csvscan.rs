//! A streaming CSV record scanner that knows where every record sits in the
//! file: its byte offset, its line number and its raw bytes.
//!
//! Parsing is csv-core's; this layer only keeps the raw span of each record
//! so that a register can be rewritten with untouched rows copied byte for
//! byte. Line numbers are counted here from the bytes themselves, so they
//! are right for LF, CRLF and CR files alike.

use std::io::{self, Read};
use std::ops::Range;

const CHUNK: usize = 64 * 1024;

pub struct Scanner<R> {
    src: R,
    core: csv_core::Reader,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// File offset of `buf[start]`.
    pos: u64,
    /// Line number (1-based) at `buf[start]`.
    line: u64,
    newline: u8,
    raw: Vec<u8>,
    out: Vec<u8>,
    ends: Vec<usize>,
}

/// One record: where it starts, its content (without line terminator) and its fields.
pub struct Record<'a> {
    pub offset: u64,
    pub line: u64,
    pub raw: &'a [u8],
    out: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..end])
    }

    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.field(i).unwrap_or_default())
    }
}

impl<R: Read> Scanner<R> {
    /// `newline` is the byte that counts lines: `\n`, or `\r` for old Mac files.
    pub fn new(src: R, delimiter: u8, newline: u8) -> Scanner<R> {
        Scanner {
            src,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            pos: 0,
            line: 1,
            newline,
            raw: Vec::with_capacity(1024),
            out: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// Counts offsets from `offset` (the bytes before the source, such as a BOM).
    pub fn starting_at(mut self, offset: u64) -> Scanner<R> {
        self.pos = offset;
        self
    }

    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        use csv_core::ReadRecordResult as R;
        self.raw.clear();
        let first_pos = self.pos;
        let first_line = self.line;
        let (mut nout_total, mut nend_total) = (0, 0);
        loop {
            if self.start == self.end && !self.eof {
                self.fill()?;
            }
            let input = &self.buf[self.start..self.end];
            let (res, nin, nout, nend) = self.core.read_record(
                input,
                &mut self.out[nout_total..],
                &mut self.ends[nend_total..],
            );
            let consumed = &input[..nin];
            self.raw.extend_from_slice(consumed);
            self.line += memchr_count(self.newline, consumed);
            self.pos += nin as u64;
            self.start += nin;
            nout_total += nout;
            nend_total += nend;
            match res {
                R::InputEmpty => continue,
                R::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                R::Record => break,
                R::End => return Ok(None),
            }
        }
        // Blank lines and the LF of a CRLF come before the record's content.
        let lead = self
            .raw
            .iter()
            .take_while(|&&b| b == b'\r' || b == b'\n')
            .count();
        let lead_lines = memchr_count(self.newline, &self.raw[..lead]);
        let mut content = &self.raw[lead..];
        if let Some((&last, rest)) = content.split_last()
            && (last == b'\n' || last == b'\r')
        {
            content = rest;
        }
        Ok(Some(Record {
            offset: first_pos + lead as u64,
            line: first_line + lead_lines,
            raw: content,
            out: &self.out[..nout_total],
            ends: &self.ends[..nend_total],
        }))
    }

    fn fill(&mut self) -> io::Result<()> {
        loop {
            match self.src.read(&mut self.buf) {
                Ok(0) => {
                    self.eof = true;
                    self.start = 0;
                    self.end = 0;
                    return Ok(());
                }
                Ok(n) => {
                    self.start = 0;
                    self.end = n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

pub fn memchr_count(needle: u8, hay: &[u8]) -> u64 {
    hay.iter().filter(|&&b| b == needle).count() as u64
}

/// The raw byte range of each field of one record's content (quotes included).
pub fn raw_fields(content: &[u8], delimiter: u8) -> Vec<Range<usize>> {
    use csv_core::ReadFieldResult as F;
    let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0u8; content.len() + 1];
    let mut spans = Vec::new();
    let mut at = 0;
    let mut field_start = 0;
    loop {
        let input = &content[at..];
        let (res, nin, _) = core.read_field(input, &mut out);
        at += nin;
        match res {
            F::Field { record_end } => {
                // `at` is past the delimiter (or at the end of the content).
                let end = if at <= content.len()
                    && at > field_start
                    && content.get(at - 1) == Some(&delimiter)
                    && !record_end
                {
                    at - 1
                } else {
                    at
                };
                spans.push(field_start..end);
                field_start = at;
                if record_end {
                    break;
                }
            }
            F::InputEmpty if input.is_empty() => {
                // csv-core needs an empty input to finish the last field.
                let (res, _, _) = core.read_field(&[], &mut out);
                if let F::Field { .. } = res {
                    spans.push(field_start..content.len());
                }
                break;
            }
            F::InputEmpty => continue,
            F::OutputFull => out.resize(out.len() * 2, 0),
            F::End => break,
        }
    }
    spans
}

/// Writes a value as a CSV field: quoted when it must be, or when `force`.
pub fn quote_field(value: &[u8], delimiter: u8, force: bool) -> Vec<u8> {
    let needs = force
        || value
            .iter()
            .any(|&b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r')
        || value.first().is_some_and(|b| *b == b' ' || *b == b'\t')
        || value.last().is_some_and(|b| *b == b' ' || *b == b'\t');
    if !needs {
        return value.to_vec();
    }
    let mut out = Vec::with_capacity(value.len() + 2);
    out.push(b'"');
    for &b in value {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(input: &[u8]) -> Vec<(u64, u64, String, Vec<String>)> {
        let mut s = Scanner::new(input, b',', b'\n');
        let mut out = Vec::new();
        while let Some(r) = s.next_record().unwrap() {
            out.push((
                r.offset,
                r.line,
                String::from_utf8(r.raw.to_vec()).unwrap(),
                r.fields()
                    .map(|f| String::from_utf8(f.to_vec()).unwrap())
                    .collect(),
            ));
        }
        out
    }

    #[test]
    fn spans_lf_crlf_blank_lines_and_quoted_newlines() {
        let recs = scan(b"a,b\r\nc,\"d\r\ne\"\r\n\r\nf,g");
        assert_eq!(recs[0], (0, 1, "a,b".into(), vec!["a".into(), "b".into()]));
        assert_eq!(
            recs[1],
            (
                5,
                2,
                "c,\"d\r\ne\"".into(),
                vec!["c".into(), "d\r\ne".into()]
            )
        );
        assert_eq!(recs[2], (17, 5, "f,g".into(), vec!["f".into(), "g".into()]));
        let recs = scan(b"x\n\n\ny\n");
        assert_eq!(recs[1].0, 4);
        assert_eq!(recs[1].1, 4);
    }

    #[test]
    fn long_records_cross_buffer_boundaries() {
        let long = "z".repeat(200_000);
        let input = format!("h1,h2\n\"{long}\",2\n3,4\n");
        let recs = scan(input.as_bytes());
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].3[0].len(), 200_000);
        assert_eq!(recs[2].1, 3);
    }

    #[test]
    fn raw_field_spans_keep_quotes() {
        let c = b"a,\"b,\"\"c\"\"\",,d";
        let spans = raw_fields(c, b',');
        let parts: Vec<&[u8]> = spans.iter().map(|r| &c[r.clone()]).collect();
        assert_eq!(parts, vec![&b"a"[..], b"\"b,\"\"c\"\"\"", b"", b"d"]);
        assert_eq!(raw_fields(b"a;b", b';').len(), 2);
        assert_eq!(raw_fields(b"a,", b',').len(), 2);
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote_field(b"abc", b',', false), b"abc");
        assert_eq!(quote_field(b"a,b", b',', false), b"\"a,b\"");
        assert_eq!(quote_field(b"a\"b", b';', false), b"\"a\"\"b\"");
        assert_eq!(quote_field(b"abc", b',', true), b"\"abc\"");
    }
}
