//! Exit codes and the error kinds that map to them.
//!
//! Commands return `anyhow::Error`; an error that should end with a specific
//! exit code carries a [`Failure`] somewhere in its chain. `main` looks for it
//! and falls back to [`Exit::Io`] for I/O errors and [`Exit::Invalid`] for the rest.

use std::fmt;
use std::process::ExitCode;

/// Every exit code `pipe` uses. Documented in the README; never renumber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Success (for `check`: no error; for `alerts`: no alert at the `--fail-on` severity).
    Ok = 0,
    /// The command ran and found problems: `check` found errors.
    Findings = 1,
    /// The command line is wrong (clap uses 2 as well).
    Usage = 2,
    /// A file cannot be used as it is: the pipeline, the register, the journal or a batch file is invalid.
    Invalid = 3,
    /// The change breaks a rule of the pipeline (transition not allowed, required field missing…).
    Refused = 4,
    /// Another program is in the way: a lock held by `pipe` or an office suite, or a file changed underneath.
    Conflict = 5,
    /// Reading or writing a file failed (permissions, disk full…).
    Io = 6,
    /// `alerts --fail-on SEVERITY` ran and an alert of that severity or worse
    /// is open (reported or not, with `--new-only`). A code of its own, so a
    /// cron wrapper tells "the pipeline needs attention" from every way
    /// `pipe` can fail (2 to 6) and from the generic 1 of shells and scripts.
    Alerts = 7,
}

impl Exit {
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// An error message meant for the person at the terminal, with the exit code it ends with.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

pub fn failure(exit: Exit, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Failure {
        exit,
        message: message.into(),
    })
}

pub fn invalid(message: impl Into<String>) -> anyhow::Error {
    failure(Exit::Invalid, message)
}

pub fn refused(message: impl Into<String>) -> anyhow::Error {
    failure(Exit::Refused, message)
}

pub fn conflict(message: impl Into<String>) -> anyhow::Error {
    failure(Exit::Conflict, message)
}

pub fn usage(message: impl Into<String>) -> anyhow::Error {
    failure(Exit::Usage, message)
}

/// The exit code an error ends with.
pub fn exit_of(err: &anyhow::Error) -> Exit {
    for cause in err.chain() {
        if let Some(f) = cause.downcast_ref::<Failure>() {
            return f.exit;
        }
    }
    if err.chain().any(|c| io_error_kind(c).is_some()) {
        return Exit::Io;
    }
    Exit::Invalid
}

/// The kind of an I/O error, also when a CSV or JSON writer carries it
/// (output written as it goes meets the disk or the pipe inside them).
fn io_error_kind(cause: &(dyn std::error::Error + 'static)) -> Option<std::io::ErrorKind> {
    if let Some(e) = cause.downcast_ref::<std::io::Error>() {
        return Some(e.kind());
    }
    if let Some(e) = cause.downcast_ref::<csv::Error>()
        && let csv::ErrorKind::Io(e) = e.kind()
    {
        return Some(e.kind());
    }
    cause
        .downcast_ref::<serde_json::Error>()
        .and_then(serde_json::Error::io_error_kind)
}

/// True when the error is a closed pipe on stdout (`pipe report | head`): not worth a word.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|c| io_error_kind(c) == Some(std::io::ErrorKind::BrokenPipe))
}
