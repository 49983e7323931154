//! A streaming CSV record scanner that knows where every record sits in the
//! file: its byte offset, its line number and its raw bytes.
//!
//! Records without a quote take the fast path: one `memchr` finds the end
//! of the line (and proves it holds no `"`), a second splits the fields, and
//! the fields are borrowed from the read buffer as they are. A record that
//! holds a quote is handed to csv-core, which unescapes it; either way the
//! result is exactly csv-core's (`tests::fast_path_agrees_with_csv_core`).
//! Line numbers are counted here from the bytes themselves, so they are right
//! for LF, CRLF and CR files alike.

use std::io::{self, Read};
use std::ops::Range;

const CHUNK: usize = 256 * 1024;

/// The last line a record may start on: the indexes of `pipe check` and
/// `pipe alerts` keep line numbers in four bytes.
pub const LAST_LINE: u64 = u32::MAX as u64;

pub struct Scanner<R> {
    src: R,
    core: csv_core::Reader,
    delimiter: u8,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// File offset of `buf[start]`.
    pos: u64,
    /// Line number (1-based) at `buf[start]`.
    line: u64,
    newline: u8,
    out: Vec<u8>,
    ends: Vec<usize>,
}

/// One record: where it starts, its content (without line terminator) and its fields.
pub struct Record<'a> {
    pub offset: u64,
    pub line: u64,
    pub raw: &'a [u8],
    /// The fields' bytes: `raw` itself on the fast path, csv-core's unescaped output otherwise.
    data: &'a [u8],
    ends: &'a [usize],
    /// Bytes between two fields in `data`: the delimiter (1) on the fast path, none (0) otherwise.
    gap: usize,
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 {
            0
        } else {
            self.ends[i - 1] + self.gap
        };
        Some(&self.data[start..end])
    }

    pub fn fields(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).map(|i| self.field(i).unwrap_or_default())
    }

    /// The fields as text, when they are all UTF-8 (checked once for the whole
    /// record, with SIMD: accented text is as quick to check as ASCII).
    pub fn text(&self) -> Option<TextRecord<'a>> {
        let text = simdutf8::basic::from_utf8(self.data).ok()?;
        // Unescaped fields sit end to end: each must be text on its own.
        if self.gap == 0 && !self.ends.iter().all(|&e| text.is_char_boundary(e)) {
            return None;
        }
        Some(TextRecord {
            text,
            ends: self.ends,
            gap: self.gap,
        })
    }
}

impl Record<'_> {
    /// True when the record holds no quote: its fields are its raw bytes.
    pub fn is_plain(&self) -> bool {
        self.gap == 1
    }
}

/// A record's fields as `&str`, borrowed.
#[derive(Clone, Copy)]
pub struct TextRecord<'a> {
    text: &'a str,
    ends: &'a [usize],
    gap: usize,
}

impl<'a> TextRecord<'a> {
    /// Field `i`, empty beyond the last one. Fields split at ASCII bytes, so they are text too.
    pub fn get(&self, i: usize) -> &'a str {
        match self.ends.get(i) {
            Some(&end) => {
                let start = if i == 0 {
                    0
                } else {
                    self.ends[i - 1] + self.gap
                };
                &self.text[start..end]
            }
            None => "",
        }
    }
}

impl<R: Read> Scanner<R> {
    /// `newline` is the byte that counts lines: `\n`, or `\r` for old Mac files.
    /// A scanner of `src` from its start, on line 1.
    pub fn new(src: R, delimiter: u8, newline: u8) -> Scanner<R> {
        Scanner {
            src,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            pos: 0,
            line: 1,
            newline,
            out: vec![0; 1024],
            ends: vec![0; 64],
        }
    }

    /// Counts offsets from `offset` (the bytes before the source, such as a BOM).
    pub fn starting_at(mut self, offset: u64) -> Scanner<R> {
        self.pos = offset;
        self
    }

    /// Counts lines from `line`: the source starts on that line of its file.
    pub fn on_line(mut self, line: u64) -> Scanner<R> {
        self.line = line;
        self
    }

    /// The line the next record starts on, or past the end once all is read.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The source, as it stands.
    pub fn source(&self) -> &R {
        &self.src
    }

    /// The source, to refill before [`Scanner::restart`].
    pub fn source_mut(&mut self) -> &mut R {
        &mut self.src
    }

    /// Reads the source again from where it now stands, as text found at
    /// `offset` on line `line` of its file; the buffers are kept. For reading
    /// records again one at a time without a scanner each.
    pub fn restart(&mut self, offset: u64, line: u64) {
        self.core.reset();
        (self.start, self.end, self.eof) = (0, 0, false);
        (self.pos, self.line) = (offset, line);
    }

    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        // Blank lines and the LF of a CRLF come before the record's content.
        loop {
            while self.start < self.end {
                let b = self.buf[self.start];
                if b != b'\n' && b != b'\r' {
                    break;
                }
                self.line += u64::from(b == self.newline);
                self.start += 1;
                self.pos += 1;
            }
            if self.start < self.end {
                break;
            }
            if self.eof {
                return Ok(None);
            }
            self.fill()?;
        }
        let (offset, line) = (self.pos, self.line);
        if line > LAST_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "line {line}: `pipe` reads files of up to {LAST_LINE} lines; split the file"
                ),
            ));
        }
        let mut looked = 0;
        loop {
            let hay = &self.buf[self.start + looked..self.end];
            match memchr::memchr3(b'\n', b'\r', b'"', hay) {
                Some(i) if hay[i] != b'"' => {
                    let len = looked + i;
                    let term = hay[i];
                    return Ok(Some(self.plain_record(offset, line, len, 1, term)));
                }
                Some(_) => {
                    if let Some((len, out, nend)) = self.regular_quoted()? {
                        return Ok(Some(self.parsed_record(offset, line, len, out, nend)));
                    }
                    return self.quoted_record(offset, line).map(Some);
                }
                None if self.eof => {
                    let len = self.end - self.start;
                    return Ok(Some(self.plain_record(offset, line, len, 0, 0)));
                }
                None => {
                    looked = self.end - self.start;
                    self.fill()?;
                }
            }
        }
    }

    /// The record is `buf[start..start + len]`, followed by `term_len` terminator bytes.
    fn plain_record(
        &mut self,
        offset: u64,
        line: u64,
        len: usize,
        term_len: usize,
        term: u8,
    ) -> Record<'_> {
        let at = self.start;
        let raw = &self.buf[at..at + len];
        let mut n = 0;
        for i in memchr::memchr_iter(self.delimiter, raw) {
            if n == self.ends.len() {
                self.ends.resize(n * 2, 0);
            }
            self.ends[n] = i;
            n += 1;
        }
        if n == self.ends.len() {
            self.ends.resize(n * 2 + 1, 0);
        }
        self.ends[n] = len;
        n += 1;
        self.start += len + term_len;
        self.pos += (len + term_len) as u64;
        self.line += u64::from(term_len == 1 && term == self.newline);
        Record {
            offset,
            line,
            raw,
            data: raw,
            ends: &self.ends[..n],
            gap: 1,
        }
    }

    /// A record with quotes, when every quote is where RFC 4180 puts them (a
    /// field that starts with one ends with one, and `""` inside stands for a
    /// quote): found with `memchr` and unescaped here, in `out`. Returns the
    /// bytes the record takes (its terminator included), the length of its
    /// fields' text and how many fields it has; `None` for any other quoting,
    /// which csv-core reads ([`Scanner::quoted_record`]). Reads more input
    /// until the whole record is in the buffer.
    fn regular_quoted(&mut self) -> io::Result<Option<(usize, usize, usize)>> {
        loop {
            match self.split_regular() {
                Split::Done(len, out, nend) => return Ok(Some((len, out, nend))),
                Split::Irregular => return Ok(None),
                Split::NeedMore if self.eof => return Ok(None),
                Split::NeedMore => self.fill()?,
            }
        }
    }

    fn split_regular(&mut self) -> Split {
        let buf = &self.buf[self.start..self.end];
        let d = self.delimiter;
        let (mut at, mut nout, mut nend) = (0, 0, 0);
        fn push(out: &mut Vec<u8>, nout: &mut usize, bytes: &[u8]) {
            let n = *nout + bytes.len();
            if out.len() < n {
                out.resize(n.max(out.len() * 2), 0);
            }
            out[*nout..n].copy_from_slice(bytes);
            *nout = n;
        }
        loop {
            // One field, quoted or not; `at` is where it starts.
            if buf.get(at) == Some(&b'"') {
                let mut i = at + 1;
                loop {
                    let Some(q) = memchr::memchr(b'"', &buf[i..]) else {
                        return Split::NeedMore;
                    };
                    push(&mut self.out, &mut nout, &buf[i..i + q]);
                    i += q + 1;
                    match buf.get(i) {
                        Some(b'"') => {
                            push(&mut self.out, &mut nout, b"\"");
                            i += 1;
                        }
                        Some(_) => break,
                        None if self.eof => break,
                        None => return Split::NeedMore,
                    }
                }
                at = i;
            } else {
                let rest = &buf[at..];
                let end = memchr::memchr3(d, b'\n', b'\r', rest).unwrap_or(rest.len());
                if memchr::memchr(b'"', &rest[..end]).is_some() {
                    return Split::Irregular;
                }
                if end == rest.len() && !self.eof {
                    return Split::NeedMore;
                }
                push(&mut self.out, &mut nout, &rest[..end]);
                at += end;
            }
            if nend == self.ends.len() {
                self.ends.resize(nend * 2 + 1, 0);
            }
            self.ends[nend] = nout;
            nend += 1;
            match buf.get(at) {
                Some(&b) if b == d => at += 1,
                Some(b'\n' | b'\r') => return Split::Done(at + 1, nout, nend),
                None => return Split::Done(at, nout, nend),
                // A closing quote followed by anything else.
                Some(_) => return Split::Irregular,
            }
        }
    }

    /// The record `buf[start..start + len]` (its terminator included, if any)
    /// whose unescaped fields `out` and `ends` hold.
    fn parsed_record(
        &mut self,
        offset: u64,
        line: u64,
        len: usize,
        nout: usize,
        nend: usize,
    ) -> Record<'_> {
        let at = self.start;
        let consumed = &self.buf[at..at + len];
        // Quoted fields may hold line breaks: they count as lines too.
        self.line += memchr_count(self.newline, consumed);
        self.start += len;
        self.pos += len as u64;
        let mut raw = consumed;
        if let Some((&last, rest)) = raw.split_last()
            && (last == b'\n' || last == b'\r')
        {
            raw = rest;
        }
        Record {
            offset,
            line,
            raw,
            data: &self.out[..nout],
            ends: &self.ends[..nend],
            gap: 0,
        }
    }

    /// A record with a quote somewhere: csv-core reads it, across buffer refills if need be.
    fn quoted_record(&mut self, offset: u64, line: u64) -> io::Result<Record<'_>> {
        use csv_core::ReadRecordResult as R;
        self.core.reset();
        let (mut used, mut nout, mut nend) = (0, 0, 0);
        loop {
            let input = &self.buf[self.start + used..self.end];
            let (res, nin, o, e) =
                self.core
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            used += nin;
            nout += o;
            nend += e;
            match res {
                R::InputEmpty if self.eof => {}
                R::InputEmpty => self.fill()?,
                R::OutputFull => {
                    let n = self.out.len() * 2;
                    self.out.resize(n, 0);
                }
                R::OutputEndsFull => {
                    let n = self.ends.len() * 2;
                    self.ends.resize(n, 0);
                }
                R::Record | R::End => break,
            }
        }
        Ok(self.parsed_record(offset, line, used, nout, nend))
    }

    /// Reads more bytes after `buf[end]`, keeping `buf[start..end]` (moved to the front, the buffer grown if it is full).
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let n = self.buf.len() * 2;
            self.buf.resize(n, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }
}

/// How far [`Scanner::split_regular`] got.
enum Split {
    /// Bytes taken, length of the fields' text, number of fields.
    Done(usize, usize, usize),
    /// Quoting csv-core must read.
    Irregular,
    /// The record goes on past the buffer.
    NeedMore,
}

pub fn memchr_count(needle: u8, hay: &[u8]) -> u64 {
    memchr::memchr_iter(needle, hay).count() as u64
}

/// The raw byte range of each field of one record's content (quotes included).
pub fn raw_fields(content: &[u8], delimiter: u8) -> Vec<Range<usize>> {
    // Without a quote, the fields are what lies between the delimiters
    // (and an empty record has none, as csv-core says).
    if content.is_empty() {
        return Vec::new();
    }
    if memchr::memchr(b'"', content).is_none() {
        let mut spans = Vec::new();
        let mut start = 0;
        for i in memchr::memchr_iter(delimiter, content) {
            spans.push(start..i);
            start = i + 1;
        }
        spans.push(start..content.len());
        return spans;
    }
    quoted_fields(content, delimiter)
}

/// [`raw_fields`] through csv-core, whose reader is built once per thread
/// (building one costs more than reading a record).
fn quoted_fields(content: &[u8], delimiter: u8) -> Vec<Range<usize>> {
    thread_local! {
        static CORE: std::cell::RefCell<Option<(u8, csv_core::Reader)>> =
            const { std::cell::RefCell::new(None) };
    }
    CORE.with_borrow_mut(|slot| {
        let core = match slot {
            Some((d, core)) if *d == delimiter => core,
            _ => {
                let built = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
                &mut slot.insert((delimiter, built)).1
            }
        };
        core.reset();
        fields_with(core, content, delimiter)
    })
}

fn fields_with(core: &mut csv_core::Reader, content: &[u8], delimiter: u8) -> Vec<Range<usize>> {
    use csv_core::ReadFieldResult as F;
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
    use rand::{Rng, RngCore, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A record past the last line the indexes can name is an error, not a
    /// wrong line number.
    #[test]
    fn a_record_past_the_last_line_is_refused() {
        let mut s = Scanner::new(&b"a,b\n\nc,\"d\ne\"\nf\n"[..], b',', b'\n');
        s.restart(0, LAST_LINE - 2);
        assert_eq!(s.next_record().unwrap().unwrap().line, LAST_LINE - 2);
        // A blank line, then a record over two lines: it starts on the last.
        assert_eq!(s.next_record().unwrap().unwrap().line, LAST_LINE);
        let Err(e) = s.next_record() else {
            panic!("a record past the last line");
        };
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            e.to_string(),
            "line 4294967297: `pipe` reads files of up to 4294967295 lines; split the file"
        );
    }

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

    /// A record read again on its own from its raw bytes, by a scanner
    /// restarted for each, is the record read in the file.
    #[test]
    fn a_restarted_scanner_reads_each_record_again() {
        let input = b"a,b\r\nc,\"d\r\ne\"\r\n\r\nf,g\r\n\"h\"\"i\",\"\"\r\nj\"k,l\r\n\"m\"n,o";
        let recs = scan(input);
        assert_eq!(recs.len(), 6);
        let mut again = Scanner::new(std::io::Cursor::new(Vec::new()), b',', b'\n');
        for (offset, line, raw, fields) in &recs {
            let src = again.source_mut();
            src.get_mut().clear();
            src.get_mut().extend_from_slice(raw.as_bytes());
            src.set_position(0);
            again.restart(*offset, *line);
            let r = again.next_record().unwrap().unwrap();
            let read: Vec<String> = r
                .fields()
                .map(|f| String::from_utf8(f.to_vec()).unwrap())
                .collect();
            assert_eq!(
                (r.offset, r.line, r.raw, &read),
                (*offset, *line, raw.as_bytes(), fields)
            );
            assert!(again.next_record().unwrap().is_none());
        }
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

    /// Offset, line, raw content and fields of each record.
    type Scanned = (u64, u64, Vec<u8>, Vec<Vec<u8>>);

    /// The straightforward scanner the fast one replaced: every byte through csv-core.
    fn reference(input: &[u8], delimiter: u8, newline: u8) -> Vec<Scanned> {
        use csv_core::ReadRecordResult as R;
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        let (mut at, mut pos, mut line) = (0usize, 0u64, 1u64);
        let mut recs = Vec::new();
        loop {
            let mut out = vec![0u8; input.len() * 2 + 16];
            let mut ends = vec![0usize; input.len() + 2];
            let (first_pos, first_line) = (pos, line);
            let (res, nin, nout, nend) = core.read_record(&input[at..], &mut out, &mut ends);
            let mut consumed = input[at..at + nin].to_vec();
            at += nin;
            pos += nin as u64;
            line += consumed.iter().filter(|&&b| b == newline).count() as u64;
            let (mut nout, mut nend) = (nout, nend);
            let res = if matches!(res, R::InputEmpty) {
                let (r, _, o, e) = core.read_record(&[], &mut out[nout..], &mut ends[nend..]);
                nout += o;
                nend += e;
                r
            } else {
                res
            };
            if matches!(res, R::End) {
                break;
            }
            assert!(matches!(res, R::Record));
            let lead = consumed
                .iter()
                .take_while(|&&b| b == b'\r' || b == b'\n')
                .count();
            let lead_lines = consumed[..lead].iter().filter(|&&b| b == newline).count() as u64;
            let mut content = consumed.split_off(lead);
            if matches!(content.last(), Some(b'\n' | b'\r')) {
                content.pop();
            }
            let mut fields = Vec::new();
            let mut s = 0;
            for &e in &ends[..nend] {
                fields.push(out[s..e].to_vec());
                s = e;
            }
            let _ = nout;
            recs.push((
                first_pos + lead as u64,
                first_line + lead_lines,
                content,
                fields,
            ));
            if at >= input.len() {
                // csv-core needs an empty call to say End.
                continue;
            }
        }
        recs
    }

    fn fast(input: &[u8], delimiter: u8, newline: u8, chunk: usize) -> Vec<Scanned> {
        struct Slow<'a>(&'a [u8], usize);
        impl std::io::Read for Slow<'_> {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = self.0.len().min(buf.len()).min(self.1);
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut s = Scanner::new(Slow(input, chunk), delimiter, newline);
        let mut out = Vec::new();
        while let Some(r) = s.next_record().unwrap() {
            out.push((
                r.offset,
                r.line,
                r.raw.to_vec(),
                r.fields().map(<[u8]>::to_vec).collect(),
            ));
        }
        out
    }

    #[test]
    fn fast_path_agrees_with_csv_core() {
        // A small deterministic generator over the bytes that matter to CSV.
        let mut rng = ChaCha8Rng::seed_from_u64(0x2545_f491_4f6c_dd1d);
        let mut next = || rng.next_u64();
        let alphabet: [&[u8]; 9] = [
            b"a",
            b"bc",
            b";",
            b",",
            b"\"",
            b"\r",
            b"\n",
            b"\r\n",
            "é".as_bytes(),
        ];
        for case in 0..3000 {
            let len = (next() % 40) as usize;
            let mut input = Vec::new();
            for _ in 0..len {
                input.extend_from_slice(alphabet[(next() % alphabet.len() as u64) as usize]);
            }
            let delimiter = if case % 2 == 0 { b';' } else { b',' };
            let newline = if case % 5 == 0 { b'\r' } else { b'\n' };
            let want = reference(&input, delimiter, newline);
            for chunk in [1, 3, 1 << 20] {
                assert_eq!(
                    fast(&input, delimiter, newline, chunk),
                    want,
                    "input {:?}, chunk {chunk}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    /// Well-formed quoting (the fast quoted path) mixed with stray quotes (csv-core's).
    #[test]
    fn regular_quoting_agrees_with_csv_core() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: u64| rng.random_range(0..n);
        let pieces: [&[u8]; 8] = [
            b"a",
            b"xyz",
            b";",
            b",",
            b"\"\"",
            b"\n",
            b"\r\n",
            "é".as_bytes(),
        ];
        for case in 0..2000 {
            let delimiter = if case % 2 == 0 { b';' } else { b',' };
            let mut input = Vec::new();
            for _ in 0..1 + next(6) {
                for f in 0..1 + next(5) {
                    if f > 0 {
                        input.push(delimiter);
                    }
                    if next(3) == 0 {
                        // Unquoted: no quote, delimiter or line break.
                        for _ in 0..next(4) {
                            input.extend_from_slice(
                                [b"a".as_slice(), b"bc", "ü".as_bytes()][next(3) as usize],
                            );
                        }
                    } else {
                        input.push(b'"');
                        for _ in 0..next(6) {
                            input.extend_from_slice(pieces[next(8) as usize]);
                        }
                        input.push(b'"');
                    }
                }
                // Now and then a stray quote, or text after a closing quote.
                match next(25) {
                    0 => input.extend_from_slice(b"x\"y"),
                    1 => input.extend_from_slice(b"\"q\"z"),
                    2 => input.push(b'"'),
                    _ => {}
                }
                input.extend_from_slice(
                    [b"\n".as_slice(), b"\r\n", b"\r", b"\n\n"][next(4) as usize],
                );
            }
            if next(4) == 0 {
                input.pop();
            }
            let want = reference(&input, delimiter, b'\n');
            for chunk in [1, 7, 1 << 20] {
                assert_eq!(
                    fast(&input, delimiter, b'\n', chunk),
                    want,
                    "input {:?}, chunk {chunk}",
                    String::from_utf8_lossy(&input)
                );
            }
        }
    }

    #[test]
    fn fields_without_quotes_split_as_csv_core_splits_them() {
        for content in [
            "", ";", "a", "a;b", ";;", "a;;b;", "é;ü;", "a,b;c", "  x ; y ",
        ] {
            assert_eq!(
                raw_fields(content.as_bytes(), b';'),
                quoted_fields(content.as_bytes(), b';'),
                "{content:?}"
            );
        }
    }

    #[test]
    fn text_is_given_only_for_utf8_records() {
        let text_of = |input: &[u8]| {
            let mut s = Scanner::new(input, b';', b'\n');
            let r = s.next_record().unwrap().unwrap();
            r.text().map(|t| {
                (0..r.len())
                    .map(|i| t.get(i).to_string())
                    .collect::<Vec<_>>()
            })
        };
        assert_eq!(
            text_of("é;\"ü;\"\"x\"\"\";z\n".as_bytes()),
            Some(vec!["é".into(), "ü;\"x\"".into(), "z".into()])
        );
        // Windows-1252 `é`, a cut UTF-8 sequence, an overlong form, a surrogate.
        for bad in [
            &b"caf\xe9;x"[..],
            b"a\xc3;b",
            b"\xc0\xaf",
            b"\xed\xa0\x80;\"q\"",
        ] {
            assert_eq!(text_of(bad), None, "{bad:?}");
            assert!(std::str::from_utf8(bad).is_err());
        }
    }

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(quote_field(b"abc", b',', false), b"abc");
        assert_eq!(quote_field(b"a,b", b',', false), b"\"a,b\"");
        assert_eq!(quote_field(b"a\"b", b';', false), b"\"a\"\"b\"");
        assert_eq!(quote_field(b"abc", b',', true), b"\"abc\"");
    }
}
