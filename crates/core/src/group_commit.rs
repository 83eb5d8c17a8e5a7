//! Group commit: writes that arrive while the store is busy with earlier ones are written
//! together, in one transaction, when it is free. One request alone is written at once (no
//! timer holds it back); under load a batch grows to what queued up meanwhile, so the cost
//! of a transaction (the hand-offs to the database driver, SQLite's WAL append, PostgreSQL's
//! round trips) is paid once per batch instead of once per request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Semaphore};

/// Writes a batch; the answer for each item, in order.
pub(crate) type WriteBatch<T, R> = Arc<dyn Fn(Vec<T>) -> Pin<Box<dyn Future<Output = Vec<R>> + Send>> + Send + Sync>;

enum Entry<T, R> {
    Item(T, Option<oneshot::Sender<R>>),
    /// Answered once everything queued before it is written.
    Flush(oneshot::Sender<()>),
}

/// The queue in front of one kind of write, and the task that empties it.
pub(crate) struct GroupCommit<T, R> {
    queue: mpsc::Sender<Entry<T, R>>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        Self { queue: self.queue.clone() }
    }
}

/// The queue is closed: the process is shutting down.
#[derive(Debug)]
pub(crate) struct Closed;

impl<T: Send + 'static, R: Send + 'static> GroupCommit<T, R> {
    /// `capacity` bounds what waits; `max_batch` what one transaction writes; `in_flight`
    /// how many batches are written at once (1 for a store with one writer).
    pub(crate) fn spawn(capacity: usize, max_batch: usize, in_flight: usize, write: WriteBatch<T, R>) -> Self {
        let (queue, receiver) = mpsc::channel(capacity);
        tokio::spawn(run(receiver, max_batch, in_flight, write));
        Self { queue }
    }

    /// Queues `item` and waits for its batch to be written.
    pub(crate) async fn submit(&self, item: T) -> Result<R, Closed> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Entry::Item(item, Some(reply))).await.map_err(|_| Closed)?;
        answer.await.map_err(|_| Closed)
    }

    /// Queues `item` without waiting for it; `false` when the queue is full and it was
    /// dropped.
    pub(crate) fn offer(&self, item: T) -> bool {
        self.queue.try_send(Entry::Item(item, None)).is_ok()
    }

    /// Waits until everything queued before this call is written.
    pub(crate) async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.queue.send(Entry::Flush(done)).await.is_ok() {
            let _ = written.await;
        }
    }
}

async fn run<T: Send + 'static, R: Send + 'static>(
    mut receiver: mpsc::Receiver<Entry<T, R>>,
    max_batch: usize,
    in_flight: usize,
    write: WriteBatch<T, R>,
) {
    let slots = Arc::new(Semaphore::new(in_flight));
    let all_slots = u32::try_from(in_flight).unwrap_or(u32::MAX);
    let mut entries = Vec::with_capacity(max_batch);
    while receiver.recv_many(&mut entries, max_batch).await > 0 {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        let mut items = Vec::with_capacity(entries.len());
        let mut replies = Vec::with_capacity(entries.len());
        let mut flushes = Vec::new();
        for entry in entries.drain(..) {
            match entry {
                Entry::Item(item, reply) => {
                    items.push(item);
                    replies.push(reply);
                }
                Entry::Flush(done) => flushes.push(done),
            }
        }
        let write = write.clone();
        let waited_for = !flushes.is_empty();
        let batch = async move {
            let answers = if items.is_empty() { Vec::new() } else { write(items).await };
            for (reply, answer) in replies.into_iter().zip(answers) {
                if let Some(reply) = reply {
                    // The caller may have gone; what it asked for is written all the same.
                    let _ = reply.send(answer);
                }
            }
            drop(slot);
            flushes
        };
        if !waited_for {
            tokio::spawn(batch);
        } else {
            // A flush answers after every earlier batch: wait for the ones still in flight.
            let flushes = batch.await;
            let _all = slots.acquire_many(all_slots).await;
            for done in flushes {
                let _ = done.send(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;

    /// A writer that takes 20 ms per batch and records each batch.
    fn recording(written: Arc<Mutex<Vec<Vec<u32>>>>) -> WriteBatch<u32, u32> {
        Arc::new(move |batch: Vec<u32>| {
            let written = written.clone();
            Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                let answers = batch.iter().map(|n| n * 10).collect();
                written.lock().unwrap().push(batch);
                answers
            })
        })
    }

    #[tokio::test]
    async fn what_queues_during_a_write_is_written_together_next() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let queue = GroupCommit::spawn(100, 64, 1, recording(written.clone()));
        let first = tokio::spawn({
            let queue = queue.clone();
            async move { queue.submit(0).await.unwrap() }
        });
        tokio::time::sleep(Duration::from_millis(5)).await;
        let rest: Vec<_> = (1..=9)
            .map(|n| {
                let queue = queue.clone();
                tokio::spawn(async move { queue.submit(n).await.unwrap() })
            })
            .collect();
        assert_eq!(first.await.unwrap(), 0);
        for (n, answer) in (1..=9).zip(rest) {
            assert_eq!(answer.await.unwrap(), n * 10, "each gets its own answer");
        }
        assert_eq!(*written.lock().unwrap(), [vec![0], (1..=9).collect::<Vec<_>>()]);
    }

    #[tokio::test]
    async fn a_flush_waits_for_everything_queued_before_it() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let queue = GroupCommit::spawn(100, 4, 2, recording(written.clone()));
        for n in 0..10 {
            assert!(queue.offer(n));
        }
        queue.flush().await;
        let mut all: Vec<u32> = written.lock().unwrap().iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_full_queue_refuses_what_it_cannot_hold() {
        let written = Arc::new(Mutex::new(Vec::new()));
        let queue = GroupCommit::spawn(2, 1, 1, recording(written.clone()));
        let offered: Vec<bool> = (0..10).map(|n| queue.offer(n)).collect();
        assert!(offered.iter().filter(|ok| !**ok).count() >= 7, "{offered:?}");
        queue.flush().await;
        let kept = written.lock().unwrap().iter().flatten().count();
        assert_eq!(kept, offered.iter().filter(|ok| **ok).count(), "what was accepted is written");
    }
}
