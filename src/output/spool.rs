//! Output set aside while it is made: in memory up to a few hundred
//! kilobytes, then in a temporary file (in `TMPDIR`, gone when the run
//! ends), read back from its start once everything is known. A report of a
//! million lines that must be ordered, or sized, before it is written then
//! holds none of them in memory.

use std::io::{self, BufReader, BufWriter, Seek, SeekFrom};
use tempfile::SpooledTempFile;

/// How much of a spool stays in memory before it goes to a temporary file.
pub const IN_MEMORY: usize = 512 << 10;

/// A spool being written.
pub type Spool = BufWriter<SpooledTempFile>;

/// A spool read back.
pub type Spooled = BufReader<SpooledTempFile>;

/// A new spool that keeps up to `in_memory` bytes in memory.
pub fn new(in_memory: usize) -> Spool {
    BufWriter::with_capacity(1 << 16, tempfile::spooled_tempfile(in_memory))
}

/// The spool, to be read from its start.
pub fn rewind(spool: Spool) -> io::Result<Spooled> {
    let mut file = spool.into_inner().map_err(|e| e.into_error())?;
    file.seek(SeekFrom::Start(0))?;
    Ok(BufReader::with_capacity(1 << 16, file))
}

/// A spool that could not be written (no room, or a `TMPDIR` that cannot
/// be written to), for the person at the terminal; `what` is what was set
/// aside.
pub fn failed(what: &str, e: &dyn std::fmt::Display) -> anyhow::Error {
    crate::error::failure(
        crate::error::Exit::Io,
        format!(
            "cannot set {what} aside in a temporary file in {}: {e}\n  hint: set TMPDIR to a folder where `pipe` can write, with room for the output",
            std::env::temp_dir().display()
        ),
    )
}
