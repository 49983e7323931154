//! Finding a few prospects' entries in a large journal without parsing all of it.
//!
//! A move needs to know whether its prospects have stage entries in the
//! journal, and `pipe show` needs one prospect's entries. Instead of parsing
//! every entry, the journal is read in blocks cut after a line break; the
//! ids' bytes are searched (a few ids) or each line's id cell looked up (a
//! batch), and every quote is walked by a quote-state machine, so that only a
//! match on a line that starts a record counts. Irregular quoting, or an
//! entry longer than a block allows, sends the caller back to the full parse.

use anyhow::{Context as _, Result};
use std::collections::HashSet;
use std::path::Path;

/// The ids among `wanted` that have stage entries in the journal (none when there is no journal).
pub fn stage_history(path: &Path, wanted: &[String]) -> Result<HashSet<String>> {
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

/// Up to this many ids, the journal is searched for each id's bytes; beyond,
/// every line's id is looked up instead.
const FEW_IDS: usize = 8;

/// The wanted ids with a stage entry in the journal, parsing every entry (the reference).
pub fn history_by_parse(file: impl std::io::Read, wanted: &[String]) -> Result<HashSet<String>> {
    let wanted: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut scanner = crate::csvscan::Scanner::new(std::io::BufReader::new(file), b',', b'\n');
    let mut found = HashSet::new();
    while let Some(rec) = scanner.next_record()? {
        if rec.field(4) == Some(b"stage".as_slice())
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
    if &line[cuts[3] + 1..cuts[4]] != b"stage" {
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
    mut file: impl std::io::Read,
    wanted: &[String],
) -> std::io::Result<Option<(HashSet<String>, bool)>> {
    const BLOCK: usize = 1 << 20;
    let finders: Vec<memchr::memmem::Finder> = wanted
        .iter()
        .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
        .collect();
    let many = wanted.len() > FEW_IDS;
    let set: HashSet<&str, foldhash::fast::RandomState> =
        wanted.iter().map(String::as_str).collect();
    let mut found = HashSet::new();
    let mut buf: Vec<u8> = Vec::with_capacity(2 * BLOCK);
    let mut in_quotes = false;
    // The byte before the block (a line break, or nothing at the file's start).
    let mut prev = b'\n';
    let mut eof = false;
    let mut hits: Vec<usize> = Vec::new();
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
        // A batch's common case: a block without a quote, every line an entry.
        if many && !in_quotes && memchr::memchr(b'"', block).is_none() {
            let mut st = 0;
            while st < cut {
                let end = memchr::memchr(b'\n', &block[st..]).map_or(cut, |i| st + i);
                if let Plain::Stage(id) = plain_entry(&block[st..end])
                    && set.contains(id)
                {
                    found.insert(id.to_string());
                }
                st = end + 1;
            }
            prev = buf[cut - 1];
            buf.drain(..cut);
            if eof && buf.is_empty() {
                break;
            }
            continue;
        }
        // Quote-state at each match's line start, walking every quote once.
        hits.clear();
        let mut starts: Vec<usize> = if many {
            // Every line start before the cut.
            std::iter::once(0)
                .chain(memchr::memchr_iter(b'\n', block).map(|i| i + 1))
                .filter(|&i| i < cut)
                .collect()
        } else {
            for f in &finders {
                hits.extend(f.find_iter(block));
            }
            hits.sort_unstable();
            hits.iter()
                .map(|&h| memchr::memrchr(b'\n', &block[..h]).map_or(0, |i| i + 1))
                .collect()
        };
        starts.dedup();
        let mut next_start = starts.iter().peekable();
        let mut quotes = memchr::memchr_iter(b'"', block).peekable();
        let mut q_in = in_quotes;
        let mut checked_to = 0usize;
        let mut start_states: Vec<(usize, bool)> = Vec::with_capacity(starts.len());
        loop {
            let q = quotes.peek().copied();
            let s = next_start.peek().copied().copied();
            match (q, s) {
                (_, Some(st)) if q.is_none_or(|q| st <= q) => {
                    start_states.push((st, q_in));
                    next_start.next();
                }
                (Some(qpos), _) => {
                    quotes.next();
                    if qpos < checked_to {
                        continue;
                    }
                    let before = if qpos == 0 { prev } else { block[qpos - 1] };
                    let after = block.get(qpos + 1).copied();
                    if !q_in {
                        if !matches!(before, b',' | b'\n') {
                            return Ok(None);
                        }
                        q_in = true;
                    } else if after == Some(b'"') {
                        // An escaped quote: skip its pair.
                        checked_to = qpos + 2;
                    } else {
                        if !matches!(after, Some(b',' | b'\r' | b'\n') | None) {
                            return Ok(None);
                        }
                        q_in = false;
                    }
                }
                (None, None) => break,
                _ => unreachable!(),
            }
        }
        for (st, quoted) in start_states {
            if quoted {
                continue;
            }
            // The common entry: no quote before the sixth cell, on one line.
            match plain_entry(&block[st..]) {
                Plain::Stage(id) => {
                    if set.contains(id) {
                        found.insert(id.to_string());
                    }
                    continue;
                }
                Plain::Other => continue,
                Plain::Unsure => {}
            }
            let mut scanner = crate::csvscan::Scanner::new(&block[st..], b',', b'\n');
            let Some(rec) = scanner.next_record()? else {
                continue;
            };
            if st + rec.raw.len() >= cut && !eof {
                return Ok(None);
            }
            if rec.field(4) == Some(b"stage".as_slice())
                && let Some(id) = rec.field(2).and_then(|b| std::str::from_utf8(b).ok())
                && set.contains(id.trim())
            {
                found.insert(id.trim().to_string());
            }
        }
        in_quotes = q_in;
        prev = if cut > 0 { buf[cut - 1] } else { prev };
        buf.drain(..cut);
        if eof && buf.is_empty() {
            break;
        }
    }
    Ok(Some((found, in_quotes)))
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
        // Matches inside notes (also at a line start inside quotes), in other
        // fields, in longer ids, and `set` entries that are not stage history.
        j.push_str("t,d,P-1,set,amount,1,2,Ann,,\"P-2 moved\nP-3,x,P-3,move,stage,a,b\"\n");
        j.push_str("t,d,P-10,move,stage,a,b,Ann,,\"say \"\"hi\"\", P-4\"\r\n");
        j.push_str("t,d, P-4 ,move,stage,a,b,Ann,,\n");
        j.push_str("t,d,P-5,set,owner,P-1,P-2,Ann,,\n");
        let wanted = ["P-1", "P-2", "P-3", "P-4", "P-5", "P-9"];
        let (parse, search) = both(j.as_bytes(), &wanted);
        assert_eq!(parse, vec!["P-4".to_string()]);
        assert_eq!(search, Some(parse));
        // Many blocks, with quoted line breaks across the block cuts.
        let mut big = String::from(head);
        let mut n = 0;
        while big.len() < 5 << 20 {
            n += 1;
            big.push_str(&format!(
                "t,d,P-{},move,stage,a,b,Ann,,\"line\nP-{},t,P-7,move,stage\n{}\"\n",
                n % 1000,
                n % 7,
                "x".repeat(n % 300)
            ));
        }
        for wanted in [["P-7", "P-999"], ["P-1000", "P-3"], ["P-6", "P-0"]] {
            let (parse, search) = both(big.as_bytes(), &wanted);
            assert_eq!(search, Some(parse), "{wanted:?}");
        }
        // A batch: every line is checked instead of searched.
        let many: Vec<String> = (0..40).map(|i| format!("P-{}", i * 37)).collect();
        let mut many: Vec<&str> = many.iter().map(String::as_str).collect();
        many.extend(["P-7", "P-3", "P-1000"]);
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
}
