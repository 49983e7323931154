//! Writing safely: the lock against concurrent runs, office-suite lock files,
//! atomic replacement of the register and durable appends to the journal.
//!
//! Order of a commit: the new register is written to a temporary file in the
//! same folder and synced; the register on disk is checked to be the one that
//! was read; the old register is kept as a hard link; the temporary file is
//! renamed over the register; the journal entries are appended and synced;
//! the link is removed. If the journal append fails, the old register comes
//! back. A crash after the rename and before the append leaves a register
//! ahead of its journal, which `pipe check` reports and `pipe sync` records.

use crate::error::conflict;
use crate::journal::{self, Entry};
use anyhow::{Context, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// What identifies a file's content on disk without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    ino: u64,
}

pub fn stamp(path: &Path) -> io::Result<Stamp> {
    let m = fs::metadata(path)?;
    Ok(Stamp {
        len: m.len(),
        modified: m.modified().ok(),
        #[cfg(unix)]
        ino: std::os::unix::fs::MetadataExt::ino(&m),
    })
}

fn sibling(path: &Path, prefix: &str, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{prefix}{name}{suffix}"))
}

pub fn backup_path(register: &Path) -> PathBuf {
    sibling(register, ".", ".pipe-backup")
}

/// Held while a command writes; released when dropped.
pub struct Lock {
    _file: File,
}

/// Takes the register's lock, waiting up to `PIPE_LOCK_TIMEOUT` seconds (10 by default).
pub fn lock(register: &Path) -> Result<Lock> {
    let path = sibling(register, ".", ".pipe-lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot create the lock file {}", path.display()))?;
    let wait = std::env::var("PIPE_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(10.0);
    let deadline = Instant::now() + Duration::from_secs_f64(wait);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(conflict(format!(
                    "another `pipe` command is writing {} (waited {wait} s for {})\n  hint: run the command again when the other one has finished",
                    register.display(),
                    path.display()
                )));
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(
                    anyhow::Error::new(e).context(format!("cannot lock {}", path.display()))
                );
            }
        }
    }
}

/// Refuses to write while LibreOffice or Excel has the register open.
pub fn check_office_locks(register: &Path) -> Result<()> {
    let lo = sibling(register, ".~lock.", "#");
    if let Ok(bytes) = fs::read(&lo) {
        let text = String::from_utf8_lossy(&bytes);
        let fields: Vec<&str> = text
            .trim_end_matches([';', '\n', '\r'])
            .split(',')
            .collect();
        let who = fields
            .iter()
            .take(2)
            .find(|s| !s.trim().is_empty())
            .map_or("someone", |s| s.trim());
        let host = fields.get(2).map(|s| s.trim()).filter(|s| !s.is_empty());
        let since = fields.get(3).map(|s| s.trim()).filter(|s| !s.is_empty());
        return Err(conflict(format!(
            "{} is open in LibreOffice by {who}{}{}: writing now would be lost when they save\n  hint: ask them to close it; if LibreOffice crashed, delete {}",
            register.display(),
            host.map(|h| format!(" on {h}")).unwrap_or_default(),
            since.map(|s| format!(" since {s}")).unwrap_or_default(),
            lo.display()
        )));
    }
    let excel = sibling(register, "~$", "");
    if let Ok(bytes) = fs::read(&excel) {
        let n = bytes.first().copied().unwrap_or(0) as usize;
        let name = bytes.get(1..1 + n).map(|b| {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(b)
                .0
                .trim()
                .to_string()
        });
        let who = name
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "someone".into());
        return Err(conflict(format!(
            "{} is open in Excel by {who}: writing now would be lost when they save\n  hint: ask them to close it; if Excel crashed, delete {}",
            register.display(),
            excel.display()
        )));
    }
    Ok(())
}

/// A change to the register's bytes. Offsets are those of the file as read.
#[derive(Debug, Clone)]
pub enum Edit {
    /// Replaces a record's content (its line terminator stays).
    Replace {
        offset: u64,
        len: u64,
        bytes: Vec<u8>,
    },
    /// Removes a record and its line terminator.
    Delete { offset: u64, len: u64 },
    /// Adds a record at the end, with the file's line terminator.
    Append {
        bytes: Vec<u8>,
        terminator: &'static [u8],
    },
}

impl Edit {
    fn offset(&self) -> u64 {
        match self {
            Edit::Replace { offset, .. } | Edit::Delete { offset, .. } => *offset,
            Edit::Append { .. } => u64::MAX,
        }
    }
}

/// Copies `src` to `dst` applying the edits; untouched bytes are copied as they are.
pub fn splice(src: impl Read, dst: &mut impl Write, edits: &mut [Edit]) -> io::Result<()> {
    edits.sort_by_key(Edit::offset);
    let mut src = BufReader::with_capacity(256 * 1024, src);
    let mut pos = 0u64;
    let mut last = None::<u8>;
    let copy = |src: &mut BufReader<_>,
                dst: &mut dyn Write,
                n: u64,
                last: &mut Option<u8>|
     -> io::Result<()> {
        let mut left = n;
        while left > 0 {
            let buf = src.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            let take = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            dst.write_all(&buf[..take])?;
            *last = Some(buf[take - 1]);
            src.consume(take);
            left -= take as u64;
        }
        Ok(())
    };
    for edit in edits.iter() {
        match edit {
            Edit::Replace { offset, len, bytes } => {
                copy(&mut src, dst, offset - pos, &mut last)?;
                skip(&mut src, *len)?;
                dst.write_all(bytes)?;
                last = bytes.last().copied().or(last);
                pos = offset + len;
            }
            Edit::Delete { offset, len } => {
                copy(&mut src, dst, offset - pos, &mut last)?;
                skip(&mut src, *len)?;
                pos = offset + len;
                // The terminator goes with the record.
                let buf = src.fill_buf()?;
                let n = match buf {
                    [b'\r', b'\n', ..] => 2,
                    [b'\r', ..] | [b'\n', ..] => 1,
                    _ => 0,
                };
                src.consume(n);
                pos += n as u64;
            }
            Edit::Append { .. } => break,
        }
    }
    copy(&mut src, dst, u64::MAX, &mut last)?;
    for edit in edits.iter() {
        if let Edit::Append { bytes, terminator } = edit {
            if last.is_some_and(|b| b != b'\n' && b != b'\r') {
                dst.write_all(terminator)?;
            }
            dst.write_all(bytes)?;
            dst.write_all(terminator)?;
            last = Some(b'\n');
        }
    }
    Ok(())
}

fn skip(src: &mut impl BufRead, mut n: u64) -> io::Result<()> {
    while n > 0 {
        let buf = src.fill_buf()?;
        if buf.is_empty() {
            break;
        }
        let take = buf.len().min(usize::try_from(n).unwrap_or(usize::MAX));
        src.consume(take);
        n -= take as u64;
    }
    Ok(())
}

/// Everything one command writes.
pub struct Commit<'a> {
    pub register: &'a Path,
    /// The register as it was read; the commit aborts if the file changed since.
    pub stamp: Stamp,
    pub edits: Vec<Edit>,
    pub journal: &'a Path,
    pub entries: Vec<Entry>,
}

impl Commit<'_> {
    pub fn run(mut self) -> Result<()> {
        let reg = self.register;
        let dir = reg
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let entries = std::mem::take(&mut self.entries);
        let many = entries.len() >= 1024;
        let render = move || {
            let body = AppendLog::render(|w| journal::Entry::write_all(&entries, w));
            drop(entries);
            body
        };
        // A batch's thousands of journal lines are written out (and its
        // entries freed) on a second thread while this one writes the register.
        let (body, staged) = crate::par::beside(many, "pipe-lines", render, || self.stage(dir));
        let (staged, body) = (staged?, body?);
        if stamp(reg).ok().as_ref() != Some(&self.stamp) {
            return Err(conflict(format!(
                "{} changed on disk while `pipe` was working (saved from a spreadsheet?); nothing was written\n  hint: run the command again",
                reg.display()
            )));
        }
        let journal = AppendLog {
            path: self.journal,
            header: &journal::HEADER,
        };
        let journal_len = journal.prepare()?;
        let backup = backup_path(reg);
        if let Some(tmp) = staged {
            let _ = fs::remove_file(&backup);
            fs::hard_link(reg, &backup)
                .or_else(|_| fs::copy(reg, &backup).map(|_| ()))
                .with_context(|| format!("cannot keep the old register as {}", backup.display()))?;
            if let Err(e) = tmp.persist(reg) {
                let _ = fs::remove_file(&backup);
                return Err(anyhow::Error::new(e.error)
                    .context(format!("cannot replace {}", reg.display())));
            }
            sync_dir(dir)?;
        }
        if let Err(e) = journal.append_body(journal_len, &body) {
            journal.rollback(journal_len);
            if !self.edits.is_empty() {
                fs::rename(&backup, reg).with_context(|| format!("the journal could not be written and the old register could not be restored: it is in {}", backup.display()))?;
                sync_dir(dir)?;
            }
            return Err(e.context(format!(
                "cannot append to the journal {}; nothing was changed",
                self.journal.display()
            )));
        }
        if !self.edits.is_empty() {
            let _ = fs::remove_file(&backup);
        }
        Ok(())
    }

    /// Writes the new register beside the old one in `dir` and syncs it,
    /// when there are edits; the file to put in its place.
    fn stage(&mut self, dir: &Path) -> Result<Option<tempfile::NamedTempFile>> {
        let reg = self.register;
        let mut staged = None;
        if !self.edits.is_empty() {
            let tmp = tempfile::Builder::new()
                .prefix(".pipe-")
                .suffix(".tmp")
                .tempfile_in(dir)
                .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
            let src = File::open(reg).with_context(|| format!("cannot read {}", reg.display()))?;
            let len = src.metadata().map_or(0, |m| m.len());
            // On a large register the disk works while the copy goes on.
            let step = (len > SYNC_STEP && crate::par::worth_it(len)).then_some(SYNC_STEP);
            let perms = fs::metadata(reg)?.permissions();
            fs::set_permissions(tmp.path(), perms)?;
            write_synced(tmp.as_file(), step, |mut out| {
                splice(src, &mut out, &mut self.edits)
            })
            .with_context(|| format!("cannot write the new {} to disk", reg.display()))?;
            staged = Some(tmp);
        }
        Ok(staged)
    }
}

/// How much of a large new register is written between two syncs on the
/// second thread ([`write_synced`]).
const SYNC_STEP: u64 = 8 << 20;

/// Writes `file` with `fill` (through a buffer) and syncs it to the disk.
///
/// With a `step`, a second thread syncs what is written so far each time
/// another `step` bytes are written (once it is done with the sync before),
/// while `fill` goes on: the disk then works while this thread copies, and
/// the last sync has little left to write. A failed sync on either thread
/// fails the write, so that an error the kernel reports only once is never
/// lost. Returns how many syncs the second thread made.
fn write_synced(
    file: &File,
    step: Option<u64>,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<u32> {
    let fill_all = |w: &mut dyn Write| -> io::Result<()> {
        let mut out = BufWriter::with_capacity(256 * 1024, w);
        fill(&mut out)?;
        out.flush()
    };
    let Some(step) = step else {
        fill_all(&mut &*file)?;
        file.sync_all()?;
        return Ok(0);
    };
    std::thread::scope(|s| {
        // One request may wait while the helper syncs; more are not taken.
        let (ask, asked) = std::sync::mpsc::sync_channel::<()>(1);
        let helper = std::thread::Builder::new()
            .name("pipe-sync".into())
            .spawn_scoped(s, move || {
                let mut synced = 0;
                for () in asked {
                    file.sync_data()?;
                    synced += 1;
                }
                Ok::<u32, io::Error>(synced)
            });
        let mut behind = SyncBehind {
            file,
            step,
            since: 0,
            // Without a second thread, the last sync does all the work.
            ask: helper.is_ok().then_some(ask),
        };
        let filled = fill_all(&mut behind);
        drop(behind);
        let synced = match helper {
            Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
            Err(_) => Ok(0),
        };
        filled?;
        let synced = synced?;
        file.sync_all()?;
        Ok(synced)
    })
}

/// A file that asks for what was written to be synced every `step` bytes.
struct SyncBehind<'f> {
    file: &'f File,
    step: u64,
    since: u64,
    ask: Option<std::sync::mpsc::SyncSender<()>>,
}

impl Write for SyncBehind<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = (&mut &*self.file).write(buf)?;
        self.since += n as u64;
        if self.since >= self.step && self.ask.as_ref().is_some_and(|a| a.try_send(()).is_ok()) {
            self.since = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// An append-only CSV file (the journal, the activity log): UTF-8, `,`, LF.
/// New lines go in one write that is synced before the command reports
/// success; a failed append is cut back, so a log holds whole commands only.
pub struct AppendLog<'a> {
    pub path: &'a Path,
    /// Written first when the file is new or empty.
    pub header: &'a [&'a str],
}

impl AppendLog<'_> {
    /// Checks that the log can take new lines (its last line is complete);
    /// returns its length, or `None` when it does not exist yet.
    pub fn prepare(&self) -> Result<Option<u64>> {
        match fs::metadata(self.path) {
            Ok(m) => {
                if !journal::ends_with_newline(self.path)? {
                    return Err(conflict(format!(
                        "the last line of {} is incomplete (an interrupted write?); nothing was written\n  hint: run `pipe check` to see it, then finish or remove that line",
                        self.path.display()
                    )));
                }
                Ok(Some(m.len()))
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => {
                Err(anyhow::Error::new(e).context(format!("cannot read {}", self.path.display())))
            }
        }
    }

    /// Appends the records in one write and syncs them (and the folder, for a new file).
    pub fn append(&self, existing: Option<u64>, records: &[Vec<String>]) -> Result<()> {
        let body = AppendLog::render(|w| records.iter().try_for_each(|r| w.write_record(r)))?;
        self.append_body(existing, &body)
    }

    /// The records `write` writes, as they are appended (without the header).
    pub fn render(
        write: impl FnOnce(&mut csv::Writer<Vec<u8>>) -> csv::Result<()>,
    ) -> Result<Vec<u8>> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        write(&mut w)?;
        w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
    }

    /// Appends records written by [`AppendLog::render`] (nothing when there are none).
    pub fn append_body(&self, existing: Option<u64>, body: &[u8]) -> Result<()> {
        if body.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::with_capacity(body.len() + 128);
        if existing.is_none_or(|l| l == 0) {
            let mut h = csv::WriterBuilder::new()
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(&mut bytes);
            h.write_record(self.header)?;
            h.flush()?;
        }
        bytes.extend_from_slice(body);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path)?;
        f.write_all(&bytes)?;
        f.sync_all()?;
        if existing.is_none() {
            sync_dir(
                self.path
                    .parent()
                    .filter(|d| !d.as_os_str().is_empty())
                    .unwrap_or(Path::new(".")),
            )?;
        }
        Ok(())
    }

    /// Takes back a failed append: cuts the file to its former length, or removes it if the append created it.
    pub fn rollback(&self, existing: Option<u64>) {
        match existing {
            Some(len) => {
                if let Ok(f) = OpenOptions::new().write(true).open(self.path) {
                    let _ = f.set_len(len);
                    let _ = f.sync_all();
                }
            }
            None => {
                let _ = fs::remove_file(self.path);
            }
        }
    }

    /// Appends the records, all or none: the whole change for a command that writes only this log.
    pub fn append_all(&self, records: &[Vec<String>]) -> Result<()> {
        let existing = self.prepare()?;
        if let Err(e) = self.append(existing, records) {
            self.rollback(existing);
            return Err(e.context(format!(
                "cannot append to {}; nothing was written",
                self.path.display()
            )));
        }
        Ok(())
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot sync {}", dir.display()))?;
    let _ = dir;
    Ok(())
}

/// Replaces a whole file atomically (temporary file, sync, rename), for
/// reports and state files, with the bytes written by `fill` as they come
/// (through a buffer): a long report never has to be held whole. When `fill`
/// fails, the temporary file is removed and `path` is untouched.
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".pipe-").suffix(".tmp");
    // A new file gets the permissions any program's would (0666 less the umask),
    // not the owner-only ones a temporary file is created with.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 16, tmp);
    fill(&mut w)?;
    let tmp = w.into_inner().map_err(|e| e.into_error())?;
    if let Ok(m) = fs::metadata(path) {
        fs::set_permissions(tmp.path(), m.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(src: &[u8], mut edits: Vec<Edit>) -> String {
        let mut out = Vec::new();
        splice(src, &mut out, &mut edits).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_register_changed_after_reading_is_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let reg = dir.path().join("r.csv");
        let journal = dir.path().join("j.csv");
        fs::write(&reg, "id,stage\nP-1,a\n").unwrap();
        let read = stamp(&reg).unwrap();
        // Someone saves the file from a spreadsheet meanwhile.
        fs::write(&reg, "id,stage\nP-1,a\nP-2,b\n").unwrap();
        let commit = Commit {
            register: &reg,
            stamp: read,
            edits: vec![Edit::Replace {
                offset: 9,
                len: 5,
                bytes: b"P-1,z".to_vec(),
            }],
            journal: &journal,
            entries: Vec::new(),
        };
        let err = commit.run().unwrap_err();
        assert_eq!(crate::error::exit_of(&err), crate::error::Exit::Conflict);
        assert_eq!(
            fs::read_to_string(&reg).unwrap(),
            "id,stage\nP-1,a\nP-2,b\n"
        );
        assert!(!journal.exists());
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_file_written_atomically_is_not_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.html");
        write_atomic_with(&path, |w| Ok(w.write_all(b"x")?)).unwrap();
        // The same permissions as a file any program creates there (0666 less the umask).
        let plain = dir.path().join("plain");
        fs::File::create(&plain).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain));
    }

    #[test]
    fn a_write_that_fails_halfway_leaves_the_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("alerts.txt");
        fs::write(&path, "yesterday\n").unwrap();
        let err = write_atomic_with(&path, |out| {
            out.write_all(&[b'x'; 1 << 20])?;
            anyhow::bail!("the report failed")
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "the report failed");
        assert_eq!(fs::read_to_string(&path).unwrap(), "yesterday\n");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["alerts.txt"], "no temporary file is left");
        write_atomic_with(&path, |out| Ok(out.write_all(&[b'y'; 1 << 20])?)).unwrap();
        assert_eq!(fs::read(&path).unwrap(), vec![b'y'; 1 << 20]);
    }

    #[test]
    fn an_append_after_the_last_record_ends_its_line_once() {
        let append = || Edit::Append {
            bytes: b"z,0".to_vec(),
            terminator: b"\n",
        };
        // The file's last byte decides, whatever wrote it: the source, a
        // replacement, or nothing at all.
        assert_eq!(run(b"h\na,1\n", vec![append()]), "h\na,1\nz,0\n");
        assert_eq!(run(b"h\na,1", vec![append()]), "h\na,1\nz,0\n");
        assert_eq!(run(b"", vec![append()]), "z,0\n");
        let replace_last = Edit::Replace {
            offset: 2,
            len: 3,
            bytes: b"a,2".to_vec(),
        };
        assert_eq!(
            run(b"h\na,1", vec![replace_last.clone(), append()]),
            "h\na,2\nz,0\n"
        );
        let delete_last = Edit::Delete { offset: 2, len: 3 };
        assert_eq!(run(b"h\na,1", vec![delete_last, append()]), "h\nz,0\n");
        assert_eq!(
            run(b"h\na,1", vec![append(), append()]),
            "h\na,1\nz,0\nz,0\n"
        );
    }

    #[test]
    fn a_file_synced_as_it_is_written_gets_every_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        let line: Vec<u8> = (0..=250u8).chain(*b"\n").collect();
        for step in [None, Some(4096)] {
            let file = File::create(&path).unwrap();
            let synced = write_synced(&file, step, |out| {
                for _ in 0..400 {
                    out.write_all(&line)?;
                }
                Ok(())
            })
            .unwrap();
            drop(file);
            assert_eq!(fs::read(&path).unwrap(), line.repeat(400));
            match step {
                None => assert_eq!(synced, 0),
                // 100 KB in steps of 4 KB: the first request is always taken.
                Some(_) => assert!(synced >= 1, "{synced} syncs"),
            }
        }
    }

    #[test]
    fn a_fill_that_fails_fails_the_write_with_or_without_syncs() {
        let dir = tempfile::tempdir().unwrap();
        for step in [None, Some(1)] {
            let file = File::create(dir.path().join("out.csv")).unwrap();
            let err = write_synced(&file, step, |out| {
                out.write_all(&[b'x'; 100_000])?;
                Err(io::Error::other("the source went away"))
            })
            .unwrap_err();
            assert_eq!(err.to_string(), "the source went away");
        }
    }

    #[test]
    fn splices_between_files_as_between_buffers() {
        // A file in and a file out, with edits far apart: the same bytes as from memory.
        let dir = tempfile::tempdir().unwrap();
        let mut src = String::from("id;stage\r\n");
        let mut expected = src.clone();
        let mut edits = Vec::new();
        for i in 0..20_000 {
            let offset = src.len() as u64;
            let row = format!("P-{i:05};\"note, with\r\nbreak\";{}", "x".repeat(i % 50));
            if i % 997 == 3 {
                edits.push(Edit::Replace {
                    offset,
                    len: row.len() as u64,
                    bytes: format!("P-{i:05};moved").into_bytes(),
                });
                expected.push_str(&format!("P-{i:05};moved\r\n"));
            } else if i % 1409 == 5 {
                edits.push(Edit::Delete {
                    offset,
                    len: row.len() as u64,
                });
            } else {
                expected.push_str(&row);
                expected.push_str("\r\n");
            }
            src.push_str(&row);
            src.push_str("\r\n");
        }
        src.pop();
        src.pop();
        edits.push(Edit::Append {
            bytes: b"P-new;added".to_vec(),
            terminator: b"\r\n",
        });
        let path = dir.path().join("src.csv");
        fs::write(&path, &src).unwrap();
        let out_path = dir.path().join("out.csv");
        {
            let mut out = BufWriter::new(File::create(&out_path).unwrap());
            splice(File::open(&path).unwrap(), &mut out, &mut edits.clone()).unwrap();
            out.flush().unwrap();
        }
        // The last row had no terminator: the append ends its line first.
        expected.push_str("P-new;added\r\n");
        assert_eq!(run(src.as_bytes(), edits), expected);
        assert_eq!(fs::read_to_string(&out_path).unwrap(), expected);
    }

    #[test]
    fn splices_replace_delete_and_append() {
        let src = b"h\r\na,1\r\nb,2\r\nc,3";
        let edits = vec![
            Edit::Append {
                bytes: b"d,4".to_vec(),
                terminator: b"\r\n",
            },
            Edit::Replace {
                offset: 3,
                len: 3,
                bytes: b"a,9".to_vec(),
            },
            Edit::Delete { offset: 8, len: 3 },
        ];
        assert_eq!(run(src, edits), "h\r\na,9\r\nc,3\r\nd,4\r\n");
    }
}
