//! Two cores for one scan: a second thread reads and parses, this one consumes.
//!
//! The scans of the register and the journal are a parse (bytes to fields,
//! dates, amounts, stages) followed by work that needs everything seen so far
//! (a report's sums, a history keyed by id). [`pipelined`] runs the parse on a
//! second thread that fills batches and hands them over a bounded channel; the
//! calling thread takes them in file order, so the result is the one a single
//! thread gives, row for row. Emptied batches travel back to be refilled, so
//! their allocations are reused: memory stays a few batches whatever the file.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

/// How many full batches may wait for the consumer: enough to absorb jitter, few enough to bound memory.
const QUEUED: usize = 4;

/// The producer's end: hands a full batch over and gets an empty one back.
pub struct Feed<B> {
    full: mpsc::SyncSender<B>,
    empty: mpsc::Receiver<B>,
    /// Batches handed over that the consumer has not taken yet.
    waiting: Arc<AtomicUsize>,
    /// Batches handed over so far.
    passed: u64,
    /// Share work every other batch instead of as the consumer keeps up.
    alternate: bool,
}

/// A batch that can be emptied to be filled again, keeping its allocations.
pub trait Batch: Default + Send {
    fn clear(&mut self);
}

impl<B: Batch> Feed<B> {
    /// Hands `batch` to the consumer and puts an empty one in its place (a
    /// recycled one when the consumer has given one back); false when the
    /// consumer has stopped, and the producer should stop too.
    pub fn pass(&mut self, batch: &mut B) -> bool {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        self.passed += 1;
        if self.full.send(std::mem::take(batch)).is_err() {
            return false;
        }
        if let Ok(mut recycled) = self.empty.try_recv() {
            recycled.clear();
            *batch = recycled;
        }
        true
    }

    /// Whether to leave some of the next batch's work to the consumer: when
    /// it keeps up (at most one batch waits for it), so that neither thread
    /// waits for the other whatever each one's share of the work; under
    /// `PIPE_THREADS=2` (the tests' setting), every other batch, so that both
    /// ways are taken whatever the timing. What a batch holds must not depend
    /// on the choice, only which thread does the work.
    pub fn share(&self) -> bool {
        if self.alternate {
            self.passed % 2 == 1
        } else {
            self.waiting.load(Ordering::Relaxed) <= 1
        }
    }
}

/// Values filled in place, batch after batch: a recycled batch's values are
/// overwritten, so that their strings and lists are reused.
pub struct Reused<T> {
    items: Vec<T>,
    len: usize,
}

impl<T> Default for Reused<T> {
    fn default() -> Reused<T> {
        Reused {
            items: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Default + Send> Batch for Reused<T> {
    fn clear(&mut self) {
        self.len = 0;
    }
}

impl<T: Default> Reused<T> {
    /// The next value to fill; [`Reused::keep`] counts it in.
    pub fn slot(&mut self) -> &mut T {
        if self.len == self.items.len() {
            self.items.push(T::default());
        }
        &mut self.items[self.len]
    }

    pub fn keep(&mut self) {
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// The values kept.
    pub fn items(&mut self) -> &mut [T] {
        &mut self.items[..self.len]
    }
}

/// Runs `produce` on a second thread and `consume` on this one, on each batch
/// in the order it was sent; the consumer may take from a batch (drain it),
/// and the producer empties a recycled batch before refilling it. Returns
/// what `produce` returns, or an error when no thread can be started. A panic
/// on either side is carried to the caller.
pub fn pipelined<B, T>(
    produce: impl FnOnce(&mut Feed<B>) -> anyhow::Result<T> + Send,
    mut consume: impl FnMut(&mut B),
) -> anyhow::Result<T>
where
    B: Batch,
    T: Send,
{
    let (full_tx, full_rx) = mpsc::sync_channel::<B>(QUEUED);
    let (empty_tx, empty_rx) = mpsc::channel::<B>();
    let waiting = Arc::new(AtomicUsize::new(0));
    let alternate = std::env::var("PIPE_THREADS").as_deref() == Ok("2");
    let taken = Arc::clone(&waiting);
    std::thread::scope(|s| {
        let producer = std::thread::Builder::new()
            .name("pipe-reader".into())
            .spawn_scoped(s, move || {
                let mut feed = Feed {
                    full: full_tx,
                    empty: empty_rx,
                    waiting,
                    passed: 0,
                    alternate,
                };
                produce(&mut feed)
            })
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot start a second thread to read the file: {e}\n  hint: set PIPE_THREADS=1 to read on one thread"
                )
            })?;
        for mut batch in full_rx.iter() {
            taken.fetch_sub(1, Ordering::Relaxed);
            consume(&mut batch);
            // The producer may be done already: the batch is simply dropped then.
            let _ = empty_tx.send(batch);
        }
        match producer.join() {
            Ok(t) => t,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// Whether to parse a file of `len` bytes on a second thread. `PIPE_THREADS`
/// decides when set: `1` keeps every scan on one thread, `2` uses a second
/// one whatever the size (the tests compare the two). Otherwise a second
/// thread is used when the machine has two cores and the file is large
/// enough (1 MiB) for it to save more than it costs to start.
pub fn worth_it(len: u64) -> bool {
    const SMALL: u64 = 1 << 20;
    match std::env::var("PIPE_THREADS").as_deref() {
        Ok("1") => false,
        Ok("2") => true,
        _ => len >= SMALL && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1),
    }
}

/// Runs `main` on this thread and, when `worth` it, `aside` (freeing,
/// formatting: work that need not wait) on a second one meanwhile, named
/// `name`; otherwise, or without a second thread (`PIPE_THREADS=1`, one
/// core, none to be had), `aside` after `main` on this one. Gives both
/// results; a panic on either side is carried to the caller.
pub fn beside<A: Send, M>(
    worth: bool,
    name: &str,
    aside: impl FnOnce() -> A + Send,
    main: impl FnOnce() -> M,
) -> (A, M) {
    if !worth || !worth_it(u64::MAX) {
        let m = main();
        return (aside(), m);
    }
    // Where the second thread takes the work from, or this one if none starts.
    let work = std::sync::Mutex::new(Some(aside));
    let take = || work.lock().ok().and_then(|mut w| w.take());
    std::thread::scope(|s| {
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn_scoped(s, || take().map(|f| f()));
        let m = main();
        let a = match thread.map(|t| t.join()) {
            Ok(Ok(Some(a))) => a,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Ok(Ok(None)) | Err(_) => take().expect("the work not yet done")(),
        };
        (a, m)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_aside_gives_both_results() {
        for worth in [false, true] {
            let (a, m) = beside(worth, "pipe-test", || (1..=10).sum::<u32>(), || "main");
            assert_eq!((a, m), (55, "main"));
        }
        // Not worth a thread: the work aside comes after the main work.
        let order = std::sync::Mutex::new(Vec::new());
        beside(
            false,
            "pipe-test",
            || order.lock().unwrap().push("aside"),
            || order.lock().unwrap().push("main"),
        );
        assert_eq!(*order.lock().unwrap(), ["main", "aside"]);
    }

    #[test]
    fn batches_arrive_in_order_and_are_recycled() {
        let mut seen = Vec::new();
        pipelined(
            |feed: &mut Feed<Reused<Vec<u32>>>| {
                let mut batch: Reused<Vec<u32>> = Reused::default();
                for n in 0..10_000u32 {
                    let v = batch.slot();
                    v.clear();
                    v.push(n);
                    batch.keep();
                    if batch.len() == 64 && !feed.pass(&mut batch) {
                        break;
                    }
                }
                feed.pass(&mut batch);
                Ok(())
            },
            |b| {
                for v in b.items() {
                    seen.extend_from_slice(v);
                }
            },
        )
        .unwrap();
        assert_eq!(seen, (0..10_000).collect::<Vec<_>>());
    }

    #[test]
    fn recycled_batches_keep_their_values_allocations() {
        let mut fresh = 0;
        pipelined(
            |feed: &mut Feed<Reused<String>>| {
                let mut batch: Reused<String> = Reused::default();
                for _ in 0..200 {
                    for _ in 0..16 {
                        let s = batch.slot();
                        if s.capacity() == 0 {
                            fresh += 1;
                        }
                        s.clear();
                        s.push_str("a value long enough to allocate");
                        batch.keep();
                    }
                    if !feed.pass(&mut batch) {
                        break;
                    }
                }
                Ok(())
            },
            |_| {},
        )
        .unwrap();
        // 200 batches of 16 strings, and no more strings than a few batches hold.
        assert!(fresh <= 16 * (QUEUED + 3), "{fresh} strings allocated");
    }

    /// Work is left to a consumer that keeps up, not to one that lags.
    #[test]
    fn work_is_shared_with_a_consumer_that_keeps_up() {
        let run = |lag: bool| {
            let mut shared = 0;
            pipelined(
                |feed: &mut Feed<Reused<u8>>| {
                    feed.alternate = false;
                    let mut batch: Reused<u8> = Reused::default();
                    for _ in 0..40 {
                        *batch.slot() = 1;
                        batch.keep();
                        if !feed.pass(&mut batch) {
                            break;
                        }
                        if !lag {
                            // Give an idle consumer time to take the batch.
                            std::thread::sleep(std::time::Duration::from_millis(5));
                        }
                        shared += u32::from(feed.share());
                    }
                    Ok(())
                },
                |_| {
                    if lag {
                        std::thread::sleep(std::time::Duration::from_millis(5));
                    }
                },
            )
            .unwrap();
            shared
        };
        assert!(run(false) >= 30, "an idle consumer is given work");
        assert!(run(true) <= 5, "a lagging consumer is not");
    }

    #[test]
    fn a_panic_in_the_producer_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            pipelined(
                |_: &mut Feed<Reused<u8>>| -> anyhow::Result<u8> { panic!("boom") },
                |_| {},
            )
        });
        assert!(r.is_err());
    }
}
