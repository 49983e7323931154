//! Two cores for one scan: a second thread reads and parses, this one consumes.
//!
//! The scans of the register and the journal are a parse (bytes to fields,
//! dates, amounts, stages) followed by work that needs everything seen so far
//! (a report's sums, a history keyed by id). [`pipelined`] runs the parse on a
//! second thread that fills batches and hands them over a bounded channel; the
//! calling thread takes them in file order, so the result is the one a single
//! thread gives, row for row. Emptied batches travel back to be refilled, so
//! their allocations are reused: memory stays a few batches whatever the file.

use std::sync::mpsc;

/// How many full batches may wait for the consumer: enough to absorb jitter, few enough to bound memory.
const QUEUED: usize = 4;

/// The producer's end: hands a full batch over and gets an empty one back.
pub struct Feed<B> {
    full: mpsc::SyncSender<B>,
    empty: mpsc::Receiver<B>,
}

impl<B: Default> Feed<B> {
    /// Sends `batch` to the consumer; returns a batch to fill next (a recycled
    /// one when the consumer has given one back), or `None` when the consumer
    /// has stopped and the producer should stop too.
    pub fn send(&mut self, batch: B) -> Option<B> {
        self.full.send(batch).ok()?;
        Some(self.empty.try_recv().unwrap_or_default())
    }
}

/// Runs `produce` on a second thread and `consume` on this one, on each batch
/// in the order it was sent; the consumer may take from a batch (drain it),
/// and the producer empties a recycled batch before refilling it. Returns
/// what `produce` returns. A panic on either side is carried to the caller.
pub fn pipelined<B, T>(
    produce: impl FnOnce(&mut Feed<B>) -> T + Send,
    mut consume: impl FnMut(&mut B),
) -> T
where
    B: Default + Send,
    T: Send,
{
    let (full_tx, full_rx) = mpsc::sync_channel::<B>(QUEUED);
    let (empty_tx, empty_rx) = mpsc::channel::<B>();
    std::thread::scope(|s| {
        let producer = s.spawn(move || {
            let mut feed = Feed {
                full: full_tx,
                empty: empty_rx,
            };
            produce(&mut feed)
        });
        for mut batch in full_rx.iter() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_arrive_in_order_and_are_recycled() {
        let mut seen = Vec::new();
        let made = pipelined(
            |feed: &mut Feed<Vec<u32>>| {
                let mut batch = Vec::new();
                let mut fresh = 0;
                for n in 0..10_000u32 {
                    batch.push(n);
                    if batch.len() == 64 {
                        let Some(mut next) = feed.send(batch) else {
                            return fresh;
                        };
                        if next.capacity() == 0 {
                            fresh += 1;
                        }
                        next.clear();
                        batch = next;
                    }
                }
                feed.send(batch);
                fresh
            },
            |b| seen.extend_from_slice(b),
        );
        assert_eq!(seen, (0..10_000).collect::<Vec<_>>());
        // At most the queue, the one in hand and the one being read were ever allocated.
        assert!(made <= QUEUED + 2, "{made} batches allocated");
    }

    #[test]
    fn a_panic_in_the_producer_reaches_the_caller() {
        let r = std::panic::catch_unwind(|| {
            pipelined(|_: &mut Feed<Vec<u8>>| -> u8 { panic!("boom") }, |_| {})
        });
        assert!(r.is_err());
    }
}
