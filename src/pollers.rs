//! The threads the poll loops run on (`docs/design.md` "Threads, memory and CPU").
//!
//! A poll is mostly waiting: for a slot of the rate limit, for a response, for the next
//! interval. On tokio's multi-threaded runtime each of those wake-ups can land on another
//! worker than the one that asked, and a sleeping worker is woken to take it: at 1,000
//! requests a second that cost more CPU than decoding the responses. So each target's poll
//! loop runs on one thread, a single-threaded runtime of its own, where its requests, their
//! connections and its timers stay: the same polls took 22–28 % less CPU than on the shared
//! two-worker runtime (`perf stat`, BENCHMARKS.md). There are as many such threads as cores,
//! and targets are dealt out to them in turn, so several busy targets still use every core.
//! The HTTP server keeps the multi-threaded runtime: a scrape never waits for a poll, nor a
//! poll for a scrape.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The poll threads; stopped when dropped.
#[derive(Debug)]
pub(crate) struct Pollers {
    threads: Vec<Poller>,
    next: AtomicUsize,
}

#[derive(Debug)]
struct Poller {
    handle: Handle,
    /// Dropping it ends the thread's runtime.
    _stop: oneshot::Sender<()>,
}

impl Pollers {
    /// One thread per core (at least one), each running a single-threaded runtime with IO
    /// and time.
    pub(crate) fn start() -> std::io::Result<Pollers> {
        let n = std::thread::available_parallelism().map_or(1, usize::from);
        let threads = (0..n).map(Poller::start).collect::<Result<_, _>>()?;
        Ok(Pollers {
            threads,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `fut` on the next thread in turn.
    pub(crate) fn spawn<F>(&self, fut: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        self.threads[i].handle.spawn(fut)
    }
}

impl Poller {
    fn start(i: usize) -> std::io::Result<Poller> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name(format!("poll-{i}"))
            .spawn(move || {
                // Runs every task spawned on `handle` until the sender is dropped.
                let _ = rt.block_on(stopped);
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
            })?;
        Ok(Poller {
            handle,
            _stop: stop,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn loops_run_on_threads_of_their_own_in_turn() {
        let p = Pollers::start().unwrap();
        let here = std::thread::current().id();
        let mut names = Vec::new();
        for _ in 0..p.threads.len() * 2 {
            let (id, name) = p
                .spawn(async {
                    // Timers and IO work there.
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                    let t = std::thread::current();
                    (t.id(), t.name().map(str::to_string))
                })
                .await
                .unwrap();
            assert_ne!(id, here);
            names.push(name.unwrap());
        }
        let n = p.threads.len();
        let expect: Vec<String> = (0..n * 2).map(|i| format!("poll-{}", i % n)).collect();
        assert_eq!(names, expect);
    }
}
