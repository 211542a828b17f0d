//! The hub: the latest published [`TargetSnapshot`] of every target, and the cached
//! exposition built from them. Poll loops publish; HTTP handlers read. Nothing else is shared.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use bytes::Bytes;

use crate::accounting::{HistogramData, Tallies};
use crate::provider::ProviderKind;
use crate::provider::{ProviderError, Reason};

/// Poll status of a target, as of its latest poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollStatus {
    /// At least one poll finished (success or failure).
    pub polled: bool,
    /// The latest poll succeeded.
    pub up: bool,
    /// Unix seconds of the latest poll's end.
    pub last_attempt: Option<f64>,
    /// Unix seconds of the latest successful poll's end.
    pub last_success: Option<f64>,
    /// The latest poll's error, if it failed.
    pub last_error: Option<ProviderError>,
    /// Failed polls by reason.
    pub errors: BTreeMap<Reason, u64>,
    /// Wall time of whole polls.
    pub durations: HistogramData,
    /// Units (resources) polled by the latest poll.
    pub resources: usize,
    /// Health of each unit (instance, policy, cluster, DMS instance, CBR project) polled.
    pub units: BTreeMap<String, UnitHealth>,
}

/// Health of one polled unit (`docs/metrics.md` "Up, down, and half down").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitHealth {
    /// The unit's latest listing succeeded.
    pub up: bool,
    /// Unix seconds of its latest successful listing.
    pub last_success: Option<f64>,
    /// Its latest listing's error, while it fails.
    pub last_error: Option<ProviderError>,
    /// Failed listings by reason.
    pub errors: BTreeMap<Reason, u64>,
}

/// Everything the metrics and status pages need of one target, immutable once published.
#[derive(Debug, Clone)]
pub struct TargetSnapshot {
    /// The target's configured `name`: its `target` label.
    pub name: String,
    /// Its `provider` label.
    pub provider: ProviderKind,
    /// Static labels from the config.
    pub labels: BTreeMap<String, String>,
    /// What the metrics show of the accounting state (no seen-set).
    pub tallies: Tallies,
    /// Task ids held in memory.
    pub tracked: usize,
    /// How its polls went: up or not, errors by reason, poll durations, each unit's health.
    pub status: PollStatus,
    /// HTTP attempts by status code.
    pub requests: BTreeMap<String, u64>,
    /// What the target's tasks are expected to do (configured part of the rhythm).
    pub expect: Arc<crate::rhythm::Expectations>,
    /// What the backup schedules say of each resource, as of the snapshot; empty for a
    /// provider without schedules or before they were read.
    pub schedules: Arc<BTreeMap<String, crate::schedule::Due>>,
    /// Schedules passed over, by reason; `None` for a provider that publishes none.
    pub schedule_skips: Option<BTreeMap<crate::schedule::SkipReason, u64>>,
}

/// Shared store of snapshots plus the exposition cache.
#[derive(Debug, Default)]
pub struct Hub {
    targets: RwLock<BTreeMap<String, Arc<TargetSnapshot>>>,
    order: RwLock<Vec<String>>,
    generation: AtomicU64,
    cache: Mutex<Option<Cached>>,
    reload_ok: RwLock<(bool, Option<f64>)>,
    reload_error: RwLock<Option<String>>,
    state_writes: RwLock<Option<StateWrites>>,
    published: tokio::sync::Notify,
}

/// The exposition of one generation, and its gzip once a scraper asked for it.
#[derive(Debug)]
struct Cached {
    generation: u64,
    text: Bytes,
    gzip: Option<Bytes>,
}

/// Outcomes of state-file writes, when a state file is configured.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct StateWrites {
    /// Failed writes since start.
    pub errors: u64,
    /// Unix seconds of the latest successful write.
    pub last_success: Option<f64>,
    /// Successful writes since start.
    pub writes: u64,
    /// Unix seconds of the latest failed write.
    pub(crate) last_failure: Option<f64>,
    /// Why the latest failed write failed.
    pub last_error: Option<String>,
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Arc<Hub> {
        Arc::new(Hub::default())
    }

    /// Sets the configured targets (in config order); snapshots of other targets are dropped.
    pub fn set_targets(&self, names: &[String]) {
        let mut t = self.targets.write().unwrap_or_else(|e| e.into_inner());
        t.retain(|k, _| names.contains(k));
        *self.order.write().unwrap_or_else(|e| e.into_inner()) = names.to_vec();
        self.bump();
    }

    /// Publishes a target's new snapshot.
    pub fn publish(&self, snap: TargetSnapshot) {
        let name = snap.name.clone();
        self.targets
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(name, Arc::new(snap));
        self.bump();
        self.published.notify_one();
    }

    /// Waits until a snapshot is published (for the state-file writer).
    pub async fn published(&self) {
        self.published.notified().await;
    }

    /// The latest snapshot of one target.
    pub fn snapshot(&self, name: &str) -> Option<Arc<TargetSnapshot>> {
        self.targets
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Snapshots in config order (targets not yet published are absent).
    pub(crate) fn snapshots(&self) -> Vec<Arc<TargetSnapshot>> {
        let t = self.targets.read().unwrap_or_else(|e| e.into_inner());
        let order = self.order.read().unwrap_or_else(|e| e.into_inner());
        order.iter().filter_map(|n| t.get(n).cloned()).collect()
    }

    /// Configured target names in order.
    pub(crate) fn target_names(&self) -> Vec<String> {
        self.order.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// True once every configured target finished its first poll.
    pub fn ready(&self) -> bool {
        let t = self.targets.read().unwrap_or_else(|e| e.into_inner());
        self.order
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .all(|n| t.get(n).is_some_and(|s| s.status.polled))
    }

    /// Records the outcome of a config (re)load.
    pub fn set_reload(&self, ok: bool, at: f64) {
        let mut r = self.reload_ok.write().unwrap_or_else(|e| e.into_inner());
        r.0 = ok;
        if ok {
            r.1 = Some(at);
            *self.reload_error.write().unwrap_or_else(|e| e.into_inner()) = None;
        }
        drop(r);
        self.bump();
    }

    /// Records why the latest reload was rejected (shown on the status page until a good one).
    pub fn set_reload_error(&self, error: &str) {
        *self.reload_error.write().unwrap_or_else(|e| e.into_inner()) = Some(error.to_string());
    }

    /// Why the latest reload was rejected, while it is the latest.
    pub(crate) fn reload_error(&self) -> Option<String> {
        self.reload_error
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Says whether a state file is configured (its write metrics appear only then).
    pub fn set_state_file(&self, configured: bool) {
        let mut w = self.state_writes.write().unwrap_or_else(|e| e.into_inner());
        match (configured, w.is_some()) {
            (true, false) => *w = Some(StateWrites::default()),
            (false, true) => *w = None,
            _ => return,
        }
        drop(w);
        self.bump();
    }

    /// Records one state-file write.
    pub fn record_state_write(&self, ok: bool, at: f64) {
        let mut w = self.state_writes.write().unwrap_or_else(|e| e.into_inner());
        let s = w.get_or_insert_with(StateWrites::default);
        if ok {
            s.last_success = Some(at);
            s.writes += 1;
        } else {
            s.errors += 1;
            s.last_failure = Some(at);
        }
        drop(w);
        self.bump();
    }

    /// Records why the latest state-file write failed (for the status page).
    pub fn set_state_write_error(&self, error: &str) {
        let mut w = self.state_writes.write().unwrap_or_else(|e| e.into_inner());
        w.get_or_insert_with(StateWrites::default).last_error = Some(error.to_string());
    }

    /// State-file write outcomes; `None` without a state file.
    pub(crate) fn state_writes(&self) -> Option<StateWrites> {
        self.state_writes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// (last reload successful, time of last successful reload).
    pub(crate) fn reload_status(&self) -> (bool, Option<f64>) {
        *self.reload_ok.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached exposition, rebuilt with `render` when anything was published since.
    pub fn cached(&self, render: impl FnOnce(&Hub) -> Bytes) -> Bytes {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        self.current(&mut cache, render).text.clone()
    }

    /// The cached exposition gzipped (one gzip member), compressed once per generation.
    pub fn cached_gzip(&self, render: impl FnOnce(&Hub) -> Bytes) -> Bytes {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let c = self.current(&mut cache, render);
        c.gzip.get_or_insert_with(|| gzip(&c.text)).clone()
    }

    fn current<'c>(
        &self,
        cache: &'c mut Option<Cached>,
        render: impl FnOnce(&Hub) -> Bytes,
    ) -> &'c mut Cached {
        let generation = self.generation.load(Ordering::SeqCst);
        if cache.as_ref().is_none_or(|c| c.generation != generation) {
            *cache = Some(Cached {
                generation,
                text: render(self),
                gzip: None,
            });
        }
        cache.get_or_insert_with(|| Cached {
            generation,
            text: Bytes::new(),
            gzip: None,
        })
    }
}

/// `data` as one gzip member (fast compression: scrapes are frequent, bodies compress well).
pub fn gzip(data: &[u8]) -> Bytes {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(data.len() / 4),
        flate2::Compression::fast(),
    );
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(data);
    Bytes::from(enc.finish().unwrap_or_default())
}
