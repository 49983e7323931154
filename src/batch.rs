//! Batch files: a CSV of changes prepared in a spreadsheet (moves, a week of
//! timesheet lines), read whole before anything is written so that a batch
//! applies all or nothing.
//!
//! The file is UTF-8 (a BOM is allowed), with `,` or `;` between cells (the
//! header line decides), and a header naming the columns in any case.

use crate::csvscan::Scanner;
use crate::error::invalid;
use anyhow::{Context, Result};
use std::path::Path;

pub struct Batch {
    /// The path as given, for messages.
    pub file: String,
    pub headers: Vec<String>,
    /// Each row with its line in the file.
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Batch {
    pub fn read(path: &Path) -> Result<Batch> {
        let file = path.display().to_string();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read the batch file {file}"))?;
        let text = String::from_utf8(bytes).map_err(|_| {
            invalid(format!(
                "{file}: the batch file is not UTF-8\n  hint: save it as CSV UTF-8"
            ))
        })?;
        let text = text.trim_start_matches('\u{feff}');
        let first = text.lines().next().unwrap_or("");
        let delimiter = if first.matches(';').count() > first.matches(',').count() {
            b';'
        } else {
            b','
        };
        // The register's scanner counts lines itself, so a cell holding a line
        // break cannot shift the line numbers of the rows after it.
        let mut scanner = Scanner::new(text.as_bytes(), delimiter, b'\n');
        let utf8 = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let headers: Vec<String> = match scanner.next_record()? {
            Some(rec) => rec.fields().map(|h| utf8(h).trim().to_string()).collect(),
            None => Vec::new(),
        };
        let mut rows = Vec::new();
        while let Some(rec) = scanner.next_record()? {
            let line = rec.line as usize;
            if rec.len() != headers.len() {
                return Err(invalid(format!(
                    "{file}:{line}: this line has {} cells but the header has {}\n  hint: check for a missing or extra `{}`",
                    rec.len(),
                    headers.len(),
                    delimiter as char
                )));
            }
            rows.push((line, rec.fields().map(utf8).collect()));
        }
        Ok(Batch {
            file,
            headers,
            rows,
        })
    }

    /// The column with this header, without regard to case and accents.
    pub fn col(&self, name: &str) -> Option<usize> {
        self.headers
            .iter()
            .position(|h| crate::text::fold(h) == name)
    }
}

/// A cell of a batch row, trimmed; empty when the column is absent.
pub fn get(rec: &[String], col: Option<usize>) -> String {
    col.and_then(|c| rec.get(c))
        .map_or("", |s| s.trim())
        .to_string()
}
