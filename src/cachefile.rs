//! What the journal's cache ([`crate::digest::cache`]) and the register's
//! ([`crate::summary`]) share: a header of fixed fields after a magic, and
//! the temporary file a cache is written to, its header last, then renamed
//! into place.

use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use xxhash_rust::xxh3::Xxh3;

/// Where the cache of `file` goes: a hidden file beside it
/// (`.journal.csv.pipe-cache` for `journal.csv`).
pub fn path_beside(file: &Path) -> PathBuf {
    let name = file
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy());
    file.with_file_name(format!(".{name}.pipe-cache"))
}

/// A header's fields written one after the other, numbers little-endian.
pub struct Put<const N: usize> {
    out: [u8; N],
    at: usize,
}

impl<const N: usize> Put<N> {
    pub fn new(magic: &[u8; 8]) -> Put<N> {
        Put { out: [0; N], at: 0 }.bytes(magic)
    }

    pub fn bytes(mut self, b: &[u8]) -> Put<N> {
        self.out[self.at..self.at + b.len()].copy_from_slice(b);
        self.at += b.len();
        self
    }

    pub fn u64(self, v: u64) -> Put<N> {
        self.bytes(&v.to_le_bytes())
    }

    pub fn u128(self, v: u128) -> Put<N> {
        self.bytes(&v.to_le_bytes())
    }

    pub fn done(self) -> [u8; N] {
        debug_assert_eq!(self.at, N, "a header's fields fill it");
        self.out
    }
}

/// A header's fields read back in the order they were put.
pub struct Take<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Take<'a> {
    /// The fields after `magic`; `None` when the header starts otherwise.
    pub fn after(b: &'a [u8], magic: &[u8; 8]) -> Option<Take<'a>> {
        (b.get(..8) == Some(&magic[..])).then_some(Take { b, at: 8 })
    }

    fn take<const K: usize>(&mut self) -> [u8; K] {
        let s = self.b[self.at..self.at + K]
            .try_into()
            .expect("a field within the header");
        self.at += K;
        s
    }

    pub fn bytes16(&mut self) -> [u8; 16] {
        self.take()
    }

    pub fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.take())
    }

    pub fn u128(&mut self) -> u128 {
        u128::from_le_bytes(self.take())
    }
}

/// A cache being written to a temporary file beside where it goes, with the
/// permissions of the file it is made from; its body is counted and hashed
/// as it is written, its header written last. Any failure leaves no file.
pub struct TempFile {
    path: PathBuf,
    out: io::BufWriter<tempfile::NamedTempFile>,
    body_len: u64,
    body_hash: Xxh3,
    /// Set when a write failed: nothing is kept then.
    failed: bool,
}

impl TempFile {
    /// A cache to go at `path`, readable by whoever can read `made_from`,
    /// with room for a header of `header_len` bytes; `None` when the
    /// folder cannot take a temporary file.
    pub fn new(path: &Path, made_from: &Path, header_len: usize) -> Option<TempFile> {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        let tmp = tempfile::Builder::new()
            .prefix(".pipe-cache")
            .tempfile_in(dir.unwrap_or(Path::new(".")))
            .ok()?;
        let permissions = std::fs::metadata(made_from).ok()?.permissions();
        tmp.as_file().set_permissions(permissions).ok()?;
        let mut out = io::BufWriter::with_capacity(128 << 10, tmp);
        out.write_all(&vec![0u8; header_len]).ok()?;
        Some(TempFile {
            path: path.to_path_buf(),
            out,
            body_len: 0,
            body_hash: Xxh3::new(),
            failed: false,
        })
    }

    /// Adds to the body.
    pub fn write(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        self.body_hash.update(bytes);
        self.body_len += bytes.len() as u64;
        self.failed = self.out.write_all(bytes).is_err();
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    /// The body's length and xxh3-128 hash so far.
    pub fn body(&self) -> (u64, u128) {
        (self.body_len, self.body_hash.digest128())
    }

    /// Writes the header and puts the cache in place, unless a write failed.
    pub fn place(self, header: &[u8]) {
        if self.failed {
            return;
        }
        let Ok(mut tmp) = self.out.into_inner() else {
            return;
        };
        let placed = tmp.seek(SeekFrom::Start(0)).is_ok()
            && tmp.write_all(header).is_ok()
            && tmp.flush().is_ok();
        if placed {
            // A cache is made again whenever it is missing or damaged: it
            // is not synced to disk, and a failure is not an error.
            let _ = tmp.persist(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_back_as_they_were_put() {
        let b: [u8; 8 + 16 + 8 + 16] = Put::new(b"magic!!!")
            .bytes(&[7; 16])
            .u64(u64::MAX - 3)
            .u128(12345)
            .done();
        assert!(Take::after(&b, b"magic!!?").is_none());
        let mut t = Take::after(&b, b"magic!!!").unwrap();
        assert_eq!(t.bytes16(), [7; 16]);
        assert_eq!(t.u64(), u64::MAX - 3);
        assert_eq!(t.u128(), 12345);
    }
}
