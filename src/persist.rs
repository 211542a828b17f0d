//! Keeping the state file current without slowing polls (`docs/design.md` "The state file").
//!
//! [`Store`] knows every target whose state belongs in the file: the running ones (their live
//! accounts, shared with their poll loops) and the retired ones (removed from the
//! configuration, kept for `lookback` so that re-adding them neither resets nor doubles a
//! counter). [`run_writer`] writes the file after polls publish: writes are coalesced (at most
//! one in flight; the latest state wins; at least [`MIN_GAP`] and nine times the last write's
//! duration apart, so writing takes at most about a tenth of a core), and run on a blocking
//! thread, never on the async runtime's threads.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::accounting::{SharedAccount, lock};
use crate::hub::Hub;
use crate::provider::ProviderKind;
use crate::provider::Reason;
use crate::provider::http::RequestCounts;
use crate::state::{StateFile, TargetState, VERSION};
use crate::timefmt::wall_now;

/// Shortest time between two writes of the state file.
pub(crate) const MIN_GAP: Duration = Duration::from_secs(1);

/// One target's state as the file keeps it.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// Its provider.
    pub provider: ProviderKind,
    /// Its live account.
    pub account: SharedAccount,
    /// Its HTTP attempt counts.
    pub counts: Arc<RequestCounts>,
    /// Failed polls by reason, for a retired target (running ones read the hub).
    pub poll_errors: BTreeMap<Reason, u64>,
    /// When it was removed from the configuration; `None` while it runs.
    pub(crate) retired_at: Option<f64>,
    /// How long a retired target's state is kept.
    pub keep: Duration,
}

#[derive(Debug, Default)]
struct Inner {
    path: Option<PathBuf>,
    buckets: Vec<f64>,
    entries: BTreeMap<String, Entry>,
}

/// The targets whose state the file keeps, and where it goes.
#[derive(Debug, Default)]
pub(crate) struct Store {
    inner: Mutex<Inner>,
}

impl Store {
    /// An empty store.
    pub(crate) fn new() -> Arc<Store> {
        Arc::new(Store::default())
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets the file (none: nothing is written) and the duration buckets histograms use.
    pub(crate) fn configure(&self, path: Option<PathBuf>, buckets: &[f64]) {
        let mut i = self.inner();
        i.path = path;
        i.buckets = buckets.to_vec();
    }

    /// The configured file.
    pub(crate) fn path(&self) -> Option<PathBuf> {
        self.inner().path.clone()
    }

    /// Records a running target's live state.
    pub(crate) fn run(&self, name: &str, entry: Entry) {
        self.inner().entries.insert(name.to_string(), entry);
    }

    /// Marks a target removed from the configuration; its state stays for `entry.keep`.
    pub(crate) fn retire(&self, name: &str, poll_errors: BTreeMap<Reason, u64>, now: f64) {
        if let Some(e) = self.inner().entries.get_mut(name) {
            e.retired_at = Some(now);
            e.poll_errors = poll_errors;
        }
    }

    /// Takes a retired target's state back, for the runner of a re-added target.
    pub(crate) fn take_retired(&self, name: &str) -> Option<Entry> {
        let mut i = self.inner();
        match i.entries.get(name) {
            Some(e) if e.retired_at.is_some() => i.entries.remove(name),
            _ => None,
        }
    }

    /// Forgets retired targets whose state is older than they keep it.
    pub(crate) fn prune(&self, now: f64) {
        self.inner().entries.retain(|name, e| {
            let keep = e
                .retired_at
                .is_none_or(|at| now - at < e.keep.as_secs_f64());
            if !keep {
                tracing::info!(target = %name, "Forgot the state of a target removed from the configuration.");
            }
            keep
        });
    }

    /// The whole file as of now. Locks each account in turn, briefly; call it off the
    /// async runtime's threads.
    pub(crate) fn state(&self, hub: &Hub) -> StateFile {
        let (entries, buckets) = {
            let i = self.inner();
            (i.entries.clone(), i.buckets.clone())
        };
        let targets = entries
            .into_iter()
            .filter_map(|(name, e)| {
                let account = lock(&e.account);
                // A target that has not polled yet (and restored nothing) has nothing to keep.
                if account.baselined.is_empty() && account.seen.is_empty() {
                    return None;
                }
                let poll_errors = match e.retired_at {
                    Some(_) => e.poll_errors.clone(),
                    None => hub
                        .snapshot(&name)
                        .map(|s| s.status.errors.clone())
                        .unwrap_or_default(),
                };
                let mut t = TargetState::from_account(
                    e.provider,
                    &account,
                    e.counts.snapshot(),
                    &poll_errors,
                    &buckets,
                );
                t.retired_at = e.retired_at;
                Some((name, t))
            })
            .collect();
        StateFile {
            version: VERSION,
            targets,
        }
    }
}

/// Writes the state file once, on a blocking thread; records the outcome in the hub.
/// Returns whether it was written (nothing is written without a configured file).
pub(crate) async fn write_once(store: &Arc<Store>, hub: &Arc<Hub>) -> bool {
    let Some(path) = store.path() else {
        return false;
    };
    let (store2, hub2) = (Arc::clone(store), Arc::clone(hub));
    let result = tokio::task::spawn_blocking(move || {
        store2.prune(wall_now());
        let state = store2.state(&hub2);
        crate::state::save(&path, &state).map_err(|e| format!("{}: {e}", path.display()))
    })
    .await;
    let ok = match result {
        Ok(Ok(())) => {
            tracing::debug!("State file written.");
            true
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "Cannot write the state file.");
            hub.set_state_write_error(&e);
            false
        }
        Err(e) => {
            tracing::error!(error = %e, "State file writer failed.");
            hub.set_state_write_error(&e.to_string());
            false
        }
    };
    hub.record_state_write(ok, wall_now());
    ok
}

/// Writes the state file after polls publish, coalesced, until `stop` fires. The final
/// write at shutdown is the caller's, after the poll loops have stopped.
pub(crate) async fn run_writer(store: Arc<Store>, hub: Arc<Hub>, stop: CancellationToken) {
    let mut next = Instant::now();
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = hub.published() => {}
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep_until(next) => {}
        }
        let started = Instant::now();
        write_once(&store, &hub).await;
        next = Instant::now() + MIN_GAP.max(started.elapsed() * 9);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::{Account, HistogramData, Tallies};
    use crate::hub::{PollStatus, TargetSnapshot};

    fn snapshot() -> TargetSnapshot {
        TargetSnapshot {
            name: "t".into(),
            provider: ProviderKind::YandexBackup,
            labels: BTreeMap::new(),
            tallies: Tallies::default(),
            tracked: 0,
            status: PollStatus {
                durations: HistogramData::new(&crate::accounting::histogram::POLL_BUCKETS),
                ..PollStatus::default()
            },
            requests: BTreeMap::new(),
            expect: Default::default(),
            schedules: Default::default(),
            schedule_skips: None,
        }
    }

    /// Fifty polls in half a second cause at most two writes; the latest state is the one
    /// written; shutdown leaves no write in flight.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn writes_are_coalesced_and_the_latest_state_wins() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = Store::new();
        store.configure(Some(path.clone()), &[]);
        let mut account = Account::default();
        account.baselined.insert("u".into());
        let account = Arc::new(Mutex::new(account));
        store.run(
            "t",
            Entry {
                provider: ProviderKind::YandexBackup,
                account: Arc::clone(&account),
                counts: Arc::new(RequestCounts::default()),
                poll_errors: BTreeMap::new(),
                retired_at: None,
                keep: Duration::from_secs(3600),
            },
        );
        let hub = Hub::new();
        hub.set_targets(&["t".to_string()]);
        hub.set_state_file(true);
        let stop = CancellationToken::new();
        let writer = tokio::spawn(run_writer(
            Arc::clone(&store),
            Arc::clone(&hub),
            stop.clone(),
        ));
        for i in 0..50 {
            lock(&account).baselined.insert(format!("u{i}"));
            hub.publish(snapshot());
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let writes = hub.state_writes().unwrap().writes;
        assert!((1..=2).contains(&writes), "{writes} writes");
        tokio::time::sleep(MIN_GAP * 2).await;
        let writes = hub.state_writes().unwrap().writes;
        assert!(writes <= 3, "{writes} writes");
        let saved = crate::state::load(&path);
        assert_eq!(saved.targets["t"].baselined.len(), 51, "the latest state");
        stop.cancel();
        writer.await.unwrap();
    }
}
