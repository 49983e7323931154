//! Batch files: a CSV of changes prepared in a spreadsheet (moves, a week of
//! timesheet lines), read whole before anything is written so that a batch
//! applies all or nothing.
//!
//! The file is UTF-8 (a BOM is allowed), with `,` or `;` between cells (the
//! header line decides), and a header naming the columns in any case.

use crate::error::invalid;
use anyhow::{Context, Result};
use std::path::Path;

pub struct Batch {
    /// The path as given, for messages.
    pub file: String,
    pub headers: Vec<String>,
    /// Each row with its line in the file.
    pub rows: Vec<(usize, csv::StringRecord)>,
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
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(false)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = rdr
            .headers()
            .map_err(|e| invalid(format!("{file}:1: {e}")))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        let mut rows = Vec::new();
        for (n, rec) in rdr.records().enumerate() {
            let line = n + 2;
            rows.push((
                line,
                rec.map_err(|e| invalid(format!("{file}:{line}: {e}")))?,
            ));
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
pub fn get(rec: &csv::StringRecord, col: Option<usize>) -> String {
    col.and_then(|c| rec.get(c))
        .unwrap_or("")
        .trim()
        .to_string()
}
