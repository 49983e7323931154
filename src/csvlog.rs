//! Reading the append-only CSV logs `pipe` writes (the journal, the activity
//! log): UTF-8, `,`, LF, a fixed header. What both share is checked here (the
//! header, the encoding, the number of cells, an incomplete last line); each
//! log reads its own cells. Appending is `store::AppendLog`'s job.

use crate::csvscan::Scanner;
use crate::diag::Diagnostic;
use anyhow::{Context, Result};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// One well-formed line of a log: as many cells as the header.
pub struct Line<'a> {
    pub file: &'a str,
    pub line: u64,
    pub fields: Vec<String>,
    raw: &'a [u8],
}

impl Line<'_> {
    /// The 1-based column where cell `i` starts, for diagnostics.
    pub fn col(&self, i: usize) -> u64 {
        crate::csvscan::raw_fields(self.raw, b',')
            .get(i)
            .map_or(1, |r| r.start as u64 + 1)
    }

    /// An error located at cell `i` of this line.
    pub fn error(&self, i: usize, code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic::error(self.file, code, message).at(self.line, self.col(i))
    }
}

/// What sets one log apart from another.
pub struct Format<'a> {
    pub header: &'a [&'a str],
    /// The log's name in messages: `journal`, `activity log`.
    pub what: &'a str,
    /// The diagnostic code of a wrong header.
    pub header_code: &'static str,
    /// What to do about an incomplete last line.
    pub incomplete_hint: &'a str,
}

impl Format<'_> {
    /// The header is not this log's.
    pub fn header_error(&self, file: &str, line: u64, found: &[&str]) -> Diagnostic {
        Diagnostic::error(file, self.header_code, format!("the {}'s header is `{}`", self.what, found.join(",")))
            .at(line, 1)
            .hint(format!("it must be `{}`; restore it from a backup, or move the file aside so that `pipe` starts a new one", self.header.join(",")))
    }

    /// A line that is not UTF-8.
    pub fn encoding_error(&self, file: &str, line: u64) -> Diagnostic {
        Diagnostic::error(file, "bad-encoding", "this line is not valid UTF-8")
            .at(line, 1)
            .hint(format!(
                "the {} is written in UTF-8; re-save it as UTF-8",
                self.what
            ))
    }

    /// A line without as many cells as the header.
    pub fn width_error(&self, file: &str, line: u64, cells: usize) -> Diagnostic {
        Diagnostic::error(
            file,
            "row-width",
            format!(
                "this entry has {cells} cells instead of {}",
                self.header.len()
            ),
        )
        .at(line, 1)
        .hint(format!(
            "the {} is written by `pipe` only; restore the line from a backup",
            self.what
        ))
    }

    /// The last line does not end: a write was interrupted.
    pub fn incomplete_error(&self, file: &str, line: u64) -> Diagnostic {
        Diagnostic::error(
            file,
            "incomplete-entry",
            format!(
                "the last line of the {} is incomplete (a write was interrupted)",
                self.what
            ),
        )
        .at(line, 1)
        .hint(self.incomplete_hint)
    }
}

/// Reads the log at `path` (a missing file is an empty log), handing each
/// well-formed line to `each`. Problems come back as diagnostics; reading
/// stops at a wrong header.
pub fn read(
    path: &Path,
    format: &Format,
    mut each: impl FnMut(&Line, &mut Vec<Diagnostic>),
) -> Result<Vec<Diagnostic>> {
    let (header, what) = (format.header, format.what);
    let file = path.display().to_string();
    let mut diags = Vec::new();
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(diags),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read the {what} {file}")));
        }
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut scanner = Scanner::new(BufReader::new(f), b',', b'\n');
    let mut first = true;
    let mut last_line = 0;
    while let Some(rec) = scanner
        .next_record()
        .with_context(|| format!("cannot read the {what} {file}"))?
    {
        let line = rec.line;
        last_line = line;
        let fields: Vec<String> = rec
            .fields()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        if first {
            first = false;
            let found: Vec<&str> = fields
                .iter()
                .map(|s| s.trim_start_matches('\u{feff}').trim())
                .collect();
            if found != header {
                diags.push(format.header_error(&file, line, &found));
                return Ok(diags);
            }
            continue;
        }
        if std::str::from_utf8(rec.raw).is_err() {
            diags.push(format.encoding_error(&file, line));
            continue;
        }
        if fields.len() != header.len() {
            diags.push(format.width_error(&file, line, fields.len()));
            continue;
        }
        each(
            &Line {
                file: &file,
                line,
                fields,
                raw: rec.raw,
            },
            &mut diags,
        );
    }
    if len > 0 && !crate::journal::ends_with_newline(path)? {
        diags.push(format.incomplete_error(&file, last_line));
    }
    Ok(diags)
}
