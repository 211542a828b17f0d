//! The per-poll budget: how many response bytes a target's poll may read and how many task
//! records it may hold, across every page of every unit (`max_poll_bytes`, `max_poll_tasks`).
//! `max_response_bytes` bounds one body and `max_pages` one unit; only this bounds a poll
//! against a cloud that answers page after page of new ids.
//!
//! The scheduler runs each unit's listing inside [`PollBudget::run`]; the shared HTTP client
//! ([`spend_bytes`]) and the pager ([`spend_tasks`]) draw from the budget of the unit they
//! work for, found in a task-local like a deadline, so that no provider has to pass it along.
//! A unit that crosses the budget fails with reason `decode` and a message naming the key;
//! units listed before it count as usual.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::error::ProviderError;

tokio::task_local! {
    static UNIT: Arc<UnitBudget>;
}

/// The budget of one poll of one target.
#[derive(Debug)]
pub(crate) struct PollBudget {
    max_bytes: u64,
    max_tasks: u64,
    bytes: AtomicU64,
    tasks: AtomicU64,
}

/// The budget as one unit's listing sees it: the poll's, plus what went over it.
#[derive(Debug)]
struct UnitBudget {
    poll: Arc<PollBudget>,
    exceeded: Mutex<Option<ProviderError>>,
}

impl PollBudget {
    /// A budget of `max_bytes` response bytes and `max_tasks` task records.
    pub(crate) fn new(max_bytes: u64, max_tasks: u64) -> Arc<PollBudget> {
        Arc::new(PollBudget {
            max_bytes,
            max_tasks,
            bytes: AtomicU64::new(0),
            tasks: AtomicU64::new(0),
        })
    }

    /// Runs one unit's listing against this budget; a listing that went over it fails.
    pub(crate) async fn run<T, F>(self: &Arc<Self>, listing: F) -> Result<T, ProviderError>
    where
        F: Future<Output = Result<T, ProviderError>>,
    {
        let unit = Arc::new(UnitBudget {
            poll: Arc::clone(self),
            exceeded: Mutex::new(None),
        });
        let result = UNIT.scope(Arc::clone(&unit), listing).await;
        let exceeded = unit
            .exceeded
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match exceeded {
            Some(e) => Err(e),
            None => result,
        }
    }
}

/// Draws `n` response bytes; an error once the poll has read more than `max_poll_bytes`.
/// Outside a poll (discovery, tests) nothing is counted.
pub(crate) fn spend_bytes(what: &str, n: u64) -> Result<(), ProviderError> {
    UNIT.try_with(|u| {
        let total = u.poll.bytes.fetch_add(n, Ordering::Relaxed) + n;
        if total > u.poll.max_bytes {
            let e = ProviderError::decode(format!(
                "{what}: this poll read more than {} bytes (max_poll_bytes)",
                u.poll.max_bytes
            ));
            *u.exceeded.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.clone());
            Err(e)
        } else {
            Ok(())
        }
    })
    .unwrap_or(Ok(()))
}

/// Draws `n` task records; false (and the unit fails) once the poll holds more than
/// `max_poll_tasks`. Outside a poll, always true.
pub(crate) fn spend_tasks(what: &str, n: u64) -> bool {
    UNIT.try_with(|u| {
        let total = u.poll.tasks.fetch_add(n, Ordering::Relaxed) + n;
        if total > u.poll.max_tasks {
            let mut ex = u.exceeded.lock().unwrap_or_else(|e| e.into_inner());
            ex.get_or_insert_with(|| {
                ProviderError::decode(format!(
                    "{what}: this poll listed more than {} tasks (max_poll_tasks)",
                    u.poll.max_tasks
                ))
            });
            false
        } else {
            true
        }
    })
    .unwrap_or(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn units_share_the_poll_budget_and_fail_when_they_cross_it() {
        let b = PollBudget::new(100, 10);
        let first = b
            .run(async {
                spend_bytes("a", 60)?;
                assert!(spend_tasks("a", 6));
                Ok(())
            })
            .await;
        assert!(first.is_ok());
        let second = b
            .run(async {
                assert!(!spend_tasks("b", 6));
                Ok::<_, ProviderError>(())
            })
            .await;
        let e = second.unwrap_err();
        assert!(e.message.contains("max_poll_tasks"), "{e}");
        let third = b.run(async { spend_bytes("c", 41) }).await;
        assert!(third.unwrap_err().message.contains("max_poll_bytes"));
        // Outside a poll nothing is limited.
        assert!(spend_bytes("x", u64::MAX / 2).is_ok() && spend_tasks("x", u64::MAX / 2));
    }
}
