//! Finding a few prospects' entries in a large journal without parsing all of it.
//!
//! A move needs to know whether its prospects have stage entries in the
//! journal, and `pipe show` needs one prospect's entries. Instead of parsing
//! every entry, the journal is read in blocks cut after a line break; the
//! ids' bytes are searched (a few ids) or each line's id cell looked up (a
//! batch), and every quote is walked by a quote-state machine, so that only a
//! match on a line that starts a record counts. Irregular quoting, or an
//! entry longer than a block allows, sends the caller back to the full parse.

use super::{Entry, Journal, Resume, Scan};
use crate::pipeline::Pipeline;
use anyhow::{Context as _, Result};
use std::collections::HashSet;
use std::io::{Read, Seek};
use std::path::Path;

/// The ids among `wanted` that have stage entries in the journal (none when there is no journal).
pub fn stage_history(path: &Path, p: &Pipeline, wanted: &[String]) -> Result<HashSet<String>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashSet::new()),
        Err(e) => {
            return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display())));
        }
    };
    // Search the ids' bytes (a few ids) or check each line's id and field
    // (a batch) instead of parsing every entry; a long search in two halves.
    let searchable = wanted.iter().all(|w| !w.is_empty());
    // A batch reads the journal's cache, when it has one, and searches only
    // what was appended since.
    if searchable
        && wanted.len() > FEW_IDS
        && let Some(found) = crate::digest::staged_among(path, p, wanted)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?
    {
        return Ok(found);
    }
    let len = file.metadata().map_or(0, |m| m.len());
    if searchable
        && wanted.len() > FEW_IDS
        && crate::par::worth_it(len)
        && let Some(found) = search_halves(path, len, wanted)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?
    {
        return Ok(found);
    }
    if searchable
        && let Some(found) = history_by_search(file, wanted)
            .map_err(|e| anyhow::Error::new(e).context(format!("cannot read {}", path.display())))?
    {
        return Ok(found);
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    history_by_parse(file, wanted)
}

/// The entries of prospect `id`, in journal order, as [`Journal::scan`]
/// reads them (an entry that cannot be read is left out, on its line): only
/// the records on lines holding the id's bytes are parsed. `None` when the
/// search cannot tell (no journal, a header the journal's scan refuses, or what
/// [`walk_region`] gives way on): the caller then parses every entry.
pub fn entries_of(path: &Path, p: &Pipeline, id: &str) -> Result<Option<Vec<Entry>>> {
    let Ok(mut file) = std::fs::File::open(path) else {
        return Ok(None);
    };
    let read = |e: std::io::Error| {
        anyhow::Error::new(e).context(format!("cannot read the journal {}", path.display()))
    };
    let mut head = Vec::new();
    (&mut file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(read)?;
    let Some(end) = memchr::memchr(b'\n', &head) else {
        return Ok(None);
    };
    // The header as the whole journal's scan reads it.
    let mut header = Scan::default();
    let head = Journal::scan_source(&head[..=end], None, p, &mut header, |_, _| {})?;
    if id.is_empty() || head.bad_header {
        return Ok(None);
    }
    file.rewind().map_err(read)?;
    let mut scan = Scan {
        file: path.display().to_string(),
        ..Scan::default()
    };
    let mut kept = Vec::new();
    let wanted = [id.to_string()];
    let walked = walk_region(file, &wanted, true, &mut |s| {
        if s.offset == 0 {
            // The header.
            return Ok(true);
        }
        let Some(whole) = s.whole()? else {
            return Ok(false);
        };
        let resume = Resume {
            offset: s.offset,
            line: s.line,
        };
        Journal::scan_source(whole, Some(resume), p, &mut scan, |e, _| {
            if e.id == id {
                kept.push(e.owned());
            }
        })
        .map_err(|e| std::io::Error::other(format!("{e:#}")))?;
        Ok(true)
    })
    .map_err(read)?;
    Ok(walked.map(|_| kept))
}

/// Up to this many ids, the journal is searched for each id's bytes; beyond,
/// every line's id is looked up instead.
const FEW_IDS: usize = 8;

/// The wanted ids with a stage entry in the journal, parsing every entry (the reference).
pub fn history_by_parse(file: impl std::io::Read, wanted: &[String]) -> Result<HashSet<String>> {
    let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut scanner = crate::csvscan::Scanner::new(std::io::BufReader::new(file), b',', b'\n');
    let mut found = HashSet::new();
    while let Some(rec) = scanner.next_record()? {
        if rec.field(4).is_some_and(is_stage_cell)
            && let Some(id) = rec.field(2).and_then(|b| std::str::from_utf8(b).ok())
            && wanted.contains(id.trim())
        {
            found.insert(id.trim().to_string());
        }
    }
    Ok(found)
}

/// As [`history_by_parse`], finding the ids' bytes with `memmem` and parsing only
/// the entries around a match. The journal is read in blocks cut after a line
/// break; every quote is walked by a quote-state machine, so a match is checked
/// only when its line starts outside quotes (a record start). `None` when the
/// quoting is irregular (a quote inside an unquoted cell) or an entry crosses a
/// block: the caller then parses every entry.
pub fn history_by_search(
    file: impl std::io::Read,
    wanted: &[String],
) -> std::io::Result<Option<HashSet<String>>> {
    Ok(search_region(file, wanted)?.map(|(found, _)| found))
}

/// [`history_by_search`] in two halves of the file at once, the second
/// starting at the first line after the middle. The second half is read as if
/// that line started an entry; the first half's walk then says whether it
/// did (no quote left open where it ends). `None` when it did not, or when
/// either half needs the full parse: the caller then reads the file whole.
fn search_halves(
    path: &std::path::Path,
    len: u64,
    wanted: &[String],
) -> std::io::Result<Option<HashSet<String>>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut probe = Vec::new();
    let mut f = std::fs::File::open(path)?;
    f.seek(SeekFrom::Start(len / 2))?;
    f.take(1 << 20).read_to_end(&mut probe)?;
    let Some(nl) = memchr::memchr(b'\n', &probe) else {
        return Ok(None);
    };
    let split = len / 2 + nl as u64 + 1;
    if split >= len {
        return Ok(None);
    }
    let first = std::fs::File::open(path)?.take(split);
    let mut second = std::fs::File::open(path)?;
    second.seek(SeekFrom::Start(split))?;
    let (a, b) = std::thread::scope(|s| {
        let b = std::thread::Builder::new()
            .name("pipe-journal-half".into())
            .spawn_scoped(s, || search_region(second, wanted));
        let a = search_region(first, wanted);
        match b.map(|b| b.join()) {
            Ok(Ok(b)) => (a, b),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            // No second thread: the caller reads the file whole.
            Err(_) => (a, Ok(None)),
        }
    });
    Ok(match (a?, b?) {
        (Some((mut found, false)), Some((rest, _))) => {
            found.extend(rest);
            Some(found)
        }
        _ => None,
    })
}

/// What the first five cells of a journal line say, read without a CSV parse.
enum Plain<'a> {
    /// A stage entry of this id (trimmed).
    Stage(&'a str),
    /// Another entry.
    Other,
    /// A quote, or fewer than five cells on the line: the CSV parser decides.
    Unsure,
}

/// Whether a journal's field cell names the stage, as the journal's scan
/// reads it (spaces around it aside).
fn is_stage_cell(cell: &[u8]) -> bool {
    cell == b"stage" || std::str::from_utf8(cell).is_ok_and(|c| crate::text::trim(c) == "stage")
}

/// Reads a line's first five cells (`at,date,id,kind,field`, about 60 bytes)
/// in one walk: shorter than `memchr`'s set-up for each of them.
fn plain_entry(line: &[u8]) -> Plain<'_> {
    let mut cuts = [0usize; 5];
    let mut n = 0;
    for (i, &b) in line.iter().enumerate() {
        match b {
            b',' => {
                cuts[n] = i;
                n += 1;
                if n == 5 {
                    break;
                }
            }
            b'\n' | b'"' => break,
            _ => {}
        }
    }
    if n < 5 {
        return Plain::Unsure;
    }
    if !is_stage_cell(&line[cuts[3] + 1..cuts[4]]) {
        return Plain::Other;
    }
    match std::str::from_utf8(&line[cuts[1] + 1..cuts[2]]) {
        Ok(id) => Plain::Stage(id.trim()),
        Err(_) => Plain::Other,
    }
}

/// [`history_by_search`] on a region that starts at a line start outside
/// quotes; also says whether a quote is left open where it ends.
fn search_region(
    file: impl std::io::Read,
    wanted: &[String],
) -> std::io::Result<Option<(HashSet<String>, bool)>> {
    let set: HashSet<&str, foldhash::fast::RandomState> =
        wanted.iter().map(String::as_str).collect();
    let mut found = HashSet::new();
    let open = walk_region(file, wanted, false, &mut |s| {
        // The common entry: no quote before the sixth cell, on one line.
        match plain_entry(s.rest) {
            Plain::Stage(id) => {
                if set.contains(id) {
                    found.insert(id.to_string());
                }
                return Ok(true);
            }
            Plain::Other => return Ok(true),
            Plain::Unsure => {}
        }
        let Some(whole) = s.whole()? else {
            return Ok(false);
        };
        let mut scanner = crate::csvscan::Scanner::new(whole, b',', b'\n');
        let Some(rec) = scanner.next_record()? else {
            return Ok(true);
        };
        if rec.field(4).is_some_and(is_stage_cell)
            && let Some(id) = rec.field(2).and_then(|b| std::str::from_utf8(b).ok())
            && set.contains(id.trim())
        {
            found.insert(id.trim().to_string());
        }
        Ok(true)
    })?;
    Ok(open.map(|open| (found, open)))
}

/// A line that starts a record, as [`walk_region`] finds it.
struct Start<'b> {
    /// From the record's first byte to the end of the block it is in.
    rest: &'b [u8],
    /// Where the record starts in the region, and on which of its lines
    /// (from 1; counted only when asked for, else 0).
    offset: u64,
    line: u64,
    /// Whether the block ends the region: a record that reaches its end is whole.
    last: bool,
}

impl<'b> Start<'b> {
    /// The record's bytes with its line break (its line, when that holds no
    /// quote); `None` when it runs past the block, which may cut it short.
    fn whole(&self) -> std::io::Result<Option<&'b [u8]>> {
        let rest = self.rest;
        let line_end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
        if memchr::memchr(b'"', &rest[..line_end]).is_none() {
            return Ok(Some(&rest[..line_end]));
        }
        let mut scanner = crate::csvscan::Scanner::new(rest, b',', b'\n');
        let len = scanner.next_record()?.map_or(0, |rec| rec.raw.len());
        if len >= rest.len() && !self.last {
            return Ok(None);
        }
        let end = memchr::memchr(b'\n', &rest[len..]).map_or(rest.len(), |i| len + i + 1);
        Ok(Some(&rest[..end]))
    }
}

/// Walks a region that starts at a line start outside quotes, in blocks cut
/// after a line break, and hands `visit` the record starts that may be of
/// `wanted`: each line holding one of their bytes (a few ids), or every line
/// (many). Every quote is walked by a quote-state machine, so a line counts
/// only when it starts outside quotes. `visit` returns false when a record
/// runs past its block. Returns whether a quote is left open at the end;
/// `None` when the quoting is irregular (a quote inside an unquoted cell), a
/// line is longer than 64 blocks, a record runs past its block, or (a few
/// ids) an id shows on a line inside a quoted cell, which may belong to a
/// record that starts on an earlier line: the caller then parses every
/// entry.
fn walk_region(
    mut file: impl std::io::Read,
    wanted: &[String],
    count_lines: bool,
    visit: &mut dyn FnMut(&Start<'_>) -> std::io::Result<bool>,
) -> std::io::Result<Option<bool>> {
    const BLOCK: usize = 1 << 20;
    let many = wanted.len() > FEW_IDS;
    // Many ids: every line is visited, and no id searched for.
    let finders: Vec<memchr::memmem::Finder> = wanted
        .iter()
        .filter(|_| !many)
        .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
        .collect();
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut in_quotes = false;
    // The byte before the block (a line break, or nothing at the file's start).
    let mut prev = b'\n';
    let mut eof = false;
    // Where the block starts in the region, and on which line.
    let (mut offset, mut line) = (0u64, 1u64);
    loop {
        while !eof && buf.len() < BLOCK {
            let n = buf.len();
            buf.resize(n + BLOCK, 0);
            let read = file.read(&mut buf[n..])?;
            buf.truncate(n + read);
            eof = read == 0;
        }
        if buf.is_empty() {
            break;
        }
        let cut = if eof {
            buf.len()
        } else {
            match memchr::memrchr(b'\n', &buf) {
                Some(i) => i + 1,
                None => {
                    // A single line longer than the buffer: read on.
                    if buf.len() >= 64 * BLOCK {
                        return Ok(None);
                    }
                    let n = buf.len();
                    buf.resize(n + BLOCK, 0);
                    let read = file.read(&mut buf[n..])?;
                    buf.truncate(n + read);
                    eof = read == 0;
                    continue;
                }
            }
        };
        let block = &buf[..cut];
        // The lines that may start a wanted record, in order.
        let mut starts: Vec<usize> = if many {
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', block).map(|i| i + 1))
                .filter(|&i| i < cut)
                .collect()
        } else {
            let mut hits: Vec<usize> = finders.iter().flat_map(|f| f.find_iter(block)).collect();
            hits.sort_unstable();
            hits.iter()
                .map(|&h| memchr::memrchr(b'\n', &block[..h]).map_or(0, |i| i + 1))
                .collect()
        };
        starts.dedup();
        // A block without a quote, outside quotes (a batch's common case):
        // every line starts a record.
        let (quoted, open) = if !in_quotes && memchr::memchr(b'"', block).is_none() {
            (vec![false; starts.len()], false)
        } else {
            match quote_states(block, &starts, prev, in_quotes) {
                Some(states) => states,
                None => return Ok(None),
            }
        };
        let (mut at, mut at_line) = (0usize, line);
        for (&st, &inside) in starts.iter().zip(&quoted) {
            if inside {
                if many {
                    continue;
                }
                return Ok(None);
            }
            if count_lines {
                at_line += memchr::memchr_iter(b'\n', &block[at..st]).count() as u64;
                at = st;
            }
            let start = Start {
                rest: &block[st..],
                offset: offset + st as u64,
                line: if count_lines { at_line } else { 0 },
                last: eof,
            };
            if !visit(&start)? {
                return Ok(None);
            }
        }
        in_quotes = open;
        if count_lines {
            line += memchr::memchr_iter(b'\n', block).count() as u64;
        }
        offset += cut as u64;
        prev = buf[cut - 1];
        buf.drain(..cut);
        if eof && buf.is_empty() {
            break;
        }
    }
    Ok(Some(in_quotes))
}

/// Walks a block's quotes, from inside quotes or not (`prev`: the byte
/// before the block): whether each of `starts` (ascending) lies inside
/// quotes, and whether a quote is left open at the block's end. `None` when
/// the quoting is irregular (a quote opening or closing inside a cell).
fn quote_states(
    block: &[u8],
    starts: &[usize],
    prev: u8,
    mut in_quotes: bool,
) -> Option<(Vec<bool>, bool)> {
    let mut next_start = starts.iter().copied().peekable();
    let mut quotes = memchr::memchr_iter(b'"', block).peekable();
    let mut checked_to = 0usize;
    let mut states = Vec::with_capacity(starts.len());
    loop {
        let q = quotes.peek().copied();
        match (q, next_start.peek().copied()) {
            (_, Some(st)) if q.is_none_or(|q| st <= q) => {
                states.push(in_quotes);
                next_start.next();
            }
            (Some(at), _) => {
                quotes.next();
                if at < checked_to {
                    continue;
                }
                let before = if at == 0 { prev } else { block[at - 1] };
                let after = block.get(at + 1).copied();
                if !in_quotes {
                    if !matches!(before, b',' | b'\n') {
                        return None;
                    }
                    in_quotes = true;
                } else if after == Some(b'"') {
                    // An escaped quote: skip its pair.
                    checked_to = at + 2;
                } else {
                    if !matches!(after, Some(b',' | b'\r' | b'\n') | None) {
                        return None;
                    }
                    in_quotes = false;
                }
            }
            (None, None) => break,
            _ => unreachable!(),
        }
    }
    Some((states, in_quotes))
}

#[cfg(test)]
mod tests {
    use super::{history_by_parse, history_by_search, search_halves};

    fn both(journal: &[u8], wanted: &[&str]) -> (Vec<String>, Option<Vec<String>>) {
        let wanted: Vec<String> = wanted.iter().map(|s| s.to_string()).collect();
        let sorted = |s: std::collections::HashSet<String>| {
            let mut v: Vec<String> = s.into_iter().collect();
            v.sort();
            v
        };
        (
            sorted(history_by_parse(journal, &wanted).unwrap()),
            history_by_search(journal, &wanted).unwrap().map(sorted),
        )
    }

    #[test]
    fn search_agrees_with_the_full_parse() {
        let head = "at,date,id,kind,field,from,to,by,reason,note\n";
        let mut j = String::from(head);
        // Matches inside notes, in other fields, in longer ids, and `set`
        // entries that are not stage history.
        j.push_str("t,d,P-1,set,amount,1,2,Ann,,\"P-2 moved\nQ-3,x,Q-3,move,stage,a,b\"\n");
        j.push_str("t,d,P-10,move,stage,a,b,Ann,,\"say \"\"hi\"\", P-4\"\r\n");
        j.push_str("t,d, P-4 ,move,stage,a,b,Ann,,\n");
        j.push_str("t,d,P-5,set,owner,P-1,P-2,Ann,,\n");
        let wanted = ["P-1", "P-2", "P-4", "P-5", "P-9"];
        let (parse, search) = both(j.as_bytes(), &wanted);
        assert_eq!(parse, vec!["P-4".to_string()]);
        assert_eq!(search, Some(parse));
        // An id on a line inside quotes may be a record's own id on its
        // second line (after a quoted line break in its first cells): the
        // search of a few ids gives way to the parse.
        let (parse, search) = both(j.as_bytes(), &["Q-3"]);
        assert_eq!((parse, search), (vec![], None));
        let second = format!("{head}\"t\nx\",d,P-3,move,stage,a,b,Ann,,\n");
        let (parse, search) = both(second.as_bytes(), &["P-3"]);
        assert_eq!((parse, search), (vec!["P-3".to_string()], None));
        // Many blocks, with quoted line breaks across the block cuts.
        let mut big = String::from(head);
        let mut n = 0;
        while big.len() < 5 << 20 {
            n += 1;
            big.push_str(&format!(
                "t,d,P-{},move,stage,a,b,Ann,,\"line\nQ-{},t,Q-7,move,stage\n{}\"\n",
                n % 1000,
                n % 7,
                "x".repeat(n % 300)
            ));
        }
        for wanted in [["P-7", "P-999"], ["P-1000", "P-3"], ["P-6", "P-0"]] {
            let (parse, search) = both(big.as_bytes(), &wanted);
            assert_eq!(search, Some(parse), "{wanted:?}");
        }
        assert_eq!(both(big.as_bytes(), &["Q-7"]).1, None);
        // A batch: every line is checked instead of searched.
        let many: Vec<String> = (0..40).map(|i| format!("P-{}", i * 37)).collect();
        let mut many: Vec<&str> = many.iter().map(String::as_str).collect();
        many.extend(["P-7", "P-3", "P-1000", "Q-7", "Q-3"]);
        let (parse, search) = both(big.as_bytes(), &many);
        assert_eq!(search, Some(parse));
        let (parse, search) = both(j.as_bytes(), &[&wanted[..], &many[..]].concat());
        assert_eq!(search, Some(parse));
        // Irregular quoting: the search gives way to the parse.
        let odd = format!("{head}t,d,P-1,set,note,a\"b,c,Ann,,\nt,d,P-1,move,stage,a,b,Ann,,\n");
        assert_eq!(both(odd.as_bytes(), &["P-1"]).1, None);
    }

    /// The search in two halves finds what the full parse finds, wherever the
    /// middle falls: in a quoted note holding line breaks and entry-like lines
    /// (then it gives way), or between entries.
    #[test]
    fn the_search_in_halves_agrees_with_the_full_parse() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        let wanted: Vec<String> = (0..30).map(|i| format!("P-{}", i * 7)).collect();
        let mut split = 0;
        for pad in 0..60 {
            let mut j = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
            for n in 0..400 {
                let note = if n % 50 == 25 {
                    format!(
                        "\"{}\nt,d,P-{},move,stage,a,b,x,,\n\"",
                        "y".repeat(pad),
                        n % 90
                    )
                } else {
                    "x".repeat((n * pad) % 40)
                };
                j.push_str(&format!("t,d,P-{},move,stage,a,b,Ann,,{note}\n", n % 90));
            }
            std::fs::write(&path, &j).unwrap();
            let mut parse: Vec<String> = history_by_parse(j.as_bytes(), &wanted)
                .unwrap()
                .into_iter()
                .collect();
            parse.sort();
            assert!(!parse.is_empty());
            if let Some(found) = search_halves(&path, j.len() as u64, &wanted).unwrap() {
                let mut found: Vec<String> = found.into_iter().collect();
                found.sort();
                assert_eq!(found, parse, "pad {pad}");
                split += 1;
            }
        }
        // Most middles fall between entries, where the halves are used.
        assert!(split > 40, "{split} of 60 searched in halves");
        // A middle inside a note that looks like entries of wanted ids: the
        // second half would count them, so the halves give way.
        let mut j = String::from("at,date,id,kind,field,from,to,by,reason,note\n");
        j.push_str("t,d,P-1,move,stage,a,b,Ann,,\"");
        for _ in 0..200 {
            j.push_str("\nt,d,P-7,move,stage,a,b,x,,");
        }
        j.push_str("\"\nt,d,P-14,move,stage,a,b,Ann,,\n");
        std::fs::write(&path, &j).unwrap();
        assert_eq!(search_halves(&path, j.len() as u64, &wanted).unwrap(), None);
    }

    fn entries_both_ways(text: &str, id: &str) -> (Vec<String>, Option<Vec<String>>) {
        let p = crate::pipeline::Pipeline::from_str(
            include_str!("../../pipeline.toml"),
            std::path::Path::new("pipeline.toml"),
        )
        .expect("the shipped pipeline");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.csv");
        std::fs::write(&path, text).unwrap();
        let mut parsed = Vec::new();
        crate::journal::Journal::scan(&path, &p, |e| {
            if e.id == id {
                parsed.push(format!("{:?}", e.owned()));
            }
        })
        .unwrap();
        let searched = super::entries_of(&path, &p, id)
            .unwrap()
            .map(|v| v.iter().map(|e| format!("{e:?}")).collect());
        (parsed, searched)
    }

    /// `pipe show`'s search gives the entries the full parse gives, on their
    /// lines: after quoted line breaks, across block cuts, with unreadable
    /// entries of the same id left out; and gives way where it cannot tell.
    #[test]
    fn entries_of_an_id_as_the_full_parse_reads_them() {
        let head = "at,date,id,kind,field,from,to,by,reason,note\n";
        let at = "2026-01-05T09:00:00+01:00";
        let mut j = String::from(head);
        let mut n = 0;
        while j.len() < 3 << 19 {
            n += 1;
            let id = format!("P-{:04}", n % 499);
            match n % 5 {
                0 => j.push_str(&format!(
                    "{at},2026-01-05,{id},move,stage,rendez_vous,devis_envoye,Ann,prix,\"voir P-7, puis\nP-8 \"\"vite\"\"\n{}\"\n",
                    "x".repeat(n % 200)
                )),
                1 => j.push_str(&format!("{at},2026-01-05,{id},set,amount,1,\"2,5\",Ann,,\r\n")),
                2 => j.push_str(&format!("{at},2026-13-05,{id},move,stage,a,b,Ann,,\n")),
                3 => j.push_str(&format!("{at},2026-02-05, {id} ,move,stage,,chaud,Ann,,\n")),
                _ if n % 7 == 0 => j.push_str(&format!(
                    "{at},2026-03-05,{id},move,stage,chaud,nulle part,Ann,,\n"
                )),
                _ => j.push_str(&format!("{at},2026-03-05,{id},move,stage,chaud,gagne,Ann,,\n")),
            }
        }
        for id in ["P-0001", "P-0000", "P-0498", "P-004", "P-1000"] {
            let (parsed, searched) = entries_both_ways(&j, id);
            assert_eq!(searched.as_ref(), Some(&parsed), "{id}");
            if !["P-004", "P-1000"].contains(&id) {
                assert!(!parsed.is_empty(), "{id}");
            }
        }
        let bom = format!("\u{feff}{j}");
        let (parsed, searched) = entries_both_ways(&bom, "P-0003");
        assert_eq!(searched, Some(parsed));
        // An id shown on a line inside a quoted note: the parse decides.
        let (parsed, searched) = entries_both_ways(&j, "P-8");
        assert_eq!(searched, None);
        assert!(parsed.iter().all(|e| e.contains("\"P-8\"")));
        // A header spaced otherwise reads as the journal's scan reads it; one
        // that is not the journal's gives way (and the scan reads no entry).
        let spaced = j.replacen("at,date", "at ,date", 1);
        let (parsed, searched) = entries_both_ways(&spaced, "P-0003");
        assert_eq!(searched, Some(parsed));
        let other = j.replacen("at,date", "at,day", 1);
        assert_eq!(entries_both_ways(&other, "P-0003"), (vec![], None));
        // Irregular quoting: the parse too.
        let odd = format!("{j}{at},2026-01-05,P-3,set,note,a\"b,c,Ann,,\n");
        let (parsed, searched) = entries_both_ways(&odd, "P-0003");
        assert_eq!(searched, None);
        assert!(!parsed.is_empty());
    }
}
