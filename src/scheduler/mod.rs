//! The scheduler: one poll loop per target, on its own interval (first poll at once, later
//! ones with a random phase), never at scrape time. A poll lists every unit (with the target's concurrency and
//! rate limits applied by its HTTP client); each unit's listing applies whole or not at all
//! (`docs/design.md` "Exactly-once accounting", rule 3): a unit that fails or panics keeps its last values
//! while the others count. Each poll ends by publishing a snapshot to the [`Hub`].
//!
//! Each unit's listing is a full pass over the `lookback` window or, between full passes, a
//! windowed one that reads only what can have changed (`window.rs`).

mod window;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::accounting::histogram::POLL_BUCKETS;
use crate::accounting::{Account, ApplyReport, HistogramData, Rules, SharedAccount, Tallies, lock};
use crate::config::{Shard, Target};
use crate::history::PairHistory;
use crate::hub::{Hub, PollStatus, TargetSnapshot};
use crate::memo::{Layouts, Recall};
use crate::model::Listing;
use crate::provider::http::RequestCounts;
use crate::provider::{AnyProvider, KnownTerminal, PollContext, Provider, ProviderError, Units};
use crate::provider::{PollBudget, ProviderKind};
use crate::schedule::{Due, Policies, SkipReason};
use crate::timefmt::unix_seconds;
pub use crate::timefmt::wall_now;
use window::{PollStart, Windows};

/// What a runner hands to its successor when a reload changes its target.
#[derive(Debug)]
pub struct Handover {
    /// The live account.
    pub account: SharedAccount,
    /// The poll status (error counters, poll-duration histogram, unit health).
    pub status: PollStatus,
    /// HTTP attempts by code.
    pub requests: BTreeMap<String, u64>,
    /// The provider the state belongs to.
    pub provider: ProviderKind,
}

/// What one poll fetched: units listed in full and units that failed, in unit order.
#[derive(Debug)]
struct Fetched {
    units: Vec<String>,
    /// Units listed in full, already applied to the account, in the order they arrived.
    listed: Vec<String>,
    failed: Vec<(String, ProviderError)>,
    /// What applying them reported.
    report: ApplyReport,
    /// Tasks they listed.
    tasks: usize,
    /// Windowed listings that stopped early.
    caught_up: usize,
    /// Units read with a full pass (the others had a window).
    full: foldhash::HashSet<String>,
    /// When the poll began.
    start: PollStart,
    /// Its `now − lookback`.
    since: Timestamp,
}

/// The state a poll loop owns for its target.
#[derive(Debug)]
pub struct TargetRunner {
    target: Target,
    provider: Arc<AnyProvider>,
    account: SharedAccount,
    status: PollStatus,
    counts: Arc<RequestCounts>,
    buckets: Vec<f64>,
    shard: Shard,
    discovered: Option<(Vec<String>, Instant)>,
    expect: Arc<crate::rhythm::Expectations>,
    windows: Windows,
    /// The backup policies last read, and when (`None`: never, or a provider without them).
    policies: Option<(Arc<Policies>, Instant)>,
    /// When the policies were last asked for, read or not.
    policies_asked: Option<Instant>,
    /// Schedules passed over, by reason; `None` for a provider without schedules.
    schedule_skips: Option<BTreeMap<SkipReason, u64>>,
    /// Where each unit's records stood at its last listing, and the polls made so far.
    layouts: (Arc<Layouts>, u64),
}

impl TargetRunner {
    /// A runner for `target` with a built provider.
    pub fn new(
        target: Target,
        provider: AnyProvider,
        counts: Arc<RequestCounts>,
        buckets: Vec<f64>,
        shard: Shard,
    ) -> TargetRunner {
        let fixed = fixed_resources(&target, &provider, shard);
        let account = Account::new(provider.known_types(), &fixed);
        let expect = Arc::new(crate::rhythm::Expectations::for_target(
            &target.settings.expect,
            provider.known_types(),
            &fixed,
            shard.total > 1,
        ));
        TargetRunner {
            target,
            provider: Arc::new(provider),
            account: Arc::new(Mutex::new(account)),
            status: PollStatus {
                durations: HistogramData::new(&POLL_BUCKETS),
                ..PollStatus::default()
            },
            counts,
            buckets,
            shard,
            discovered: None,
            expect,
            windows: Windows::default(),
            policies: None,
            policies_asked: None,
            schedule_skips: None,
            layouts: Default::default(),
        }
    }

    /// Restores counters, histograms, the seen-set and `last_*` values saved earlier.
    pub fn restore(&mut self, saved: &crate::state::TargetState) {
        if !saved.is_for(self.target.provider()) {
            tracing::warn!(target = %self.target.name, saved = %saved.provider, "Saved state is of another provider; not restored.");
            return;
        }
        match saved.to_account(self.provider.known_types(), &self.buckets) {
            Ok(mut a) => {
                let mut live = lock(&self.account);
                a.tallies
                    .resources
                    .extend(live.tallies.resources.iter().cloned());
                *live = a;
                self.counts.restore(saved.requests.clone());
                self.status.errors = saved.poll_errors();
                tracing::info!(target = %self.target.name, tracked = live.tracked(), "Restored saved state.");
            }
            Err(e) => {
                tracing::error!(target = %self.target.name, error = %e, "Saved state of the target is unusable; starting it fresh.")
            }
        }
    }

    /// Continues from the live state of the target's previous runner (a reload changed the
    /// target): the same account, not a copy. Histograms recorded in other buckets start
    /// over; state of another provider is not taken.
    pub fn resume(&mut self, prev: Handover, old_buckets: &[f64]) {
        if prev.provider != self.target.provider() {
            tracing::warn!(target = %self.target.name, previous = prev.provider.as_str(), "The target changed provider; starting it fresh.");
            return;
        }
        {
            let mut a = lock(&prev.account);
            if old_buckets != self.buckets.as_slice() {
                a.tallies.durations.clear();
            }
            // The new configuration may read the same bytes as another task (a status
            // mapping, a type cap): active records are decoded again.
            a.memo.forget_all_active();
            let fresh = lock(&self.account);
            let tallies = &mut a.tallies;
            tallies
                .resources
                .extend(fresh.tallies.resources.iter().cloned());
            tallies.types.extend(fresh.tallies.types.iter().cloned());
        }
        self.account = prev.account;
        self.counts.restore(prev.requests);
        self.status = prev.status;
    }

    /// What the next runner of this target continues from.
    pub(crate) fn handover(self) -> Handover {
        Handover {
            provider: self.target.provider(),
            account: self.account,
            status: self.status,
            requests: self.counts.snapshot(),
        }
    }

    /// The live account (for the state-file writer).
    pub fn account(&self) -> SharedAccount {
        Arc::clone(&self.account)
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.target.name
    }

    /// Builds the snapshot of the current state; the seen-set is not copied.
    pub fn snapshot(&self) -> TargetSnapshot {
        let a = lock(&self.account);
        TargetSnapshot {
            name: self.target.name.clone(),
            provider: self.target.provider(),
            labels: self.target.labels.clone(),
            tallies: a.tallies.clone(),
            tracked: a.tracked(),
            status: self.status.clone(),
            requests: self.counts.snapshot(),
            expect: Arc::clone(&self.expect),
            schedules: Arc::new(self.schedule_view(&a.tallies, Timestamp::now())),
            schedule_skips: self.schedule_skips.clone(),
        }
    }

    /// What the policies say of each resource expected to be backed up (configured, with a
    /// backup history) or that a policy names: empty before the policies were read.
    fn schedule_view(&self, a: &Tallies, now: Timestamp) -> BTreeMap<String, Due> {
        let Some((p, _)) = &self.policies else {
            return BTreeMap::new();
        };
        let rhythm = crate::rhythm::RHYTHM_TYPE;
        let mut units: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
        for (u, rs) in &a.unit_resources {
            for r in rs {
                units.entry(r).or_default().insert(u.clone());
            }
        }
        // The policies name every resource they cover, also those another replica polls: a
        // sharded target shows only its own (a resource is a unit of this shard, or one this
        // shard's listings reported).
        let shard = self.shard;
        let unit_is_resource = self.target.provider().unit_is_resource();
        let mine = |r: &str| {
            shard.total <= 1
                || if unit_is_resource {
                    in_shard(&self.target.name, r, shard)
                } else {
                    units.contains_key(r)
                }
        };
        let mut resources: BTreeSet<&str> = p
            .resources()
            .map(String::as_str)
            .filter(|r| mine(r))
            .collect();
        resources.extend(
            units
                .keys()
                .copied()
                .filter(|r| units[r].iter().any(|u| p.by_unit.contains_key(u))),
        );
        match &self.expect.resources {
            Some(configured) => resources.extend(
                configured
                    .iter()
                    .map(String::as_str)
                    .filter(|r| !unit_is_resource || mine(r)),
            ),
            None => resources.extend(
                a.history
                    .pairs
                    .keys()
                    .filter(|(_, t)| t == rhythm)
                    .map(|(r, _)| r.as_str()),
            ),
        }
        // A VBS policy every N days counts them from the day of its latest run seen: the
        // latest start of a success of the volumes its tasks name (`docs/providers.md`).
        let latest_run = |policy: &str| {
            (p.by_unit.iter())
                .filter(|(_, id)| id.as_str() == policy)
                .filter_map(|(u, _)| a.unit_resources.get(u))
                .flatten()
                .filter_map(|r| a.history.pairs.get(&(r.clone(), rhythm.to_string())))
                .filter_map(PairHistory::latest_success_start)
                .max_by(f64::total_cmp)
                .and_then(|s| Timestamp::from_second(s.floor() as i64).ok())
        };
        let none = BTreeSet::new();
        let runs = p.runs(now, latest_run);
        resources
            .into_iter()
            .filter_map(|r| {
                let due = p.due_with(r, units.get(r).unwrap_or(&none), &runs)?;
                Some((r.to_string(), due))
            })
            .collect()
    }

    /// Reads the backup policies at the first poll and then once per `reconcile_interval`,
    /// and at each poll between while the provider spreads its reads over polls
    /// ([`Provider::schedules_pending`]); a failed read keeps the last good ones and is
    /// counted and logged, never a failed poll.
    async fn refresh_policies(&mut self) {
        let every = self.target.settings.reconcile_every();
        if self.policies_asked.is_some_and(|t| t.elapsed() < every) {
            if !self.provider.schedules_pending() {
                return;
            }
        } else {
            self.policies_asked = Some(Instant::now());
        }
        let Some(read) = self.provider.schedules().await else {
            return;
        };
        let name = &self.target.name;
        let provider = self.target.provider().as_str();
        let skips = self.schedule_skips.get_or_insert_with(BTreeMap::new);
        match read {
            Ok(p) => {
                for s in &p.skipped {
                    *skips.entry(s.reason).or_insert(0) += 1;
                    tracing::warn!(target = %name, provider, policy = %s.policy, reason = s.reason.as_str(), problem = %s.message, "Backup schedule not read; the learned rhythm stays the expectation of the resources it covers.");
                }
                let enabled = p.policies.iter().filter(|x| x.enabled).count();
                tracing::info!(target = %name, provider, policies = p.policies.len(), enabled, skipped = p.skipped.len(), "Read the backup policies.");
                self.policies = Some((Arc::new(p), Instant::now()));
            }
            Err(e) => {
                let reason = if e.status == Some(403) {
                    SkipReason::Forbidden
                } else {
                    SkipReason::Error
                };
                *skips.entry(reason).or_insert(0) += 1;
                let kept = if self.policies.is_some() {
                    "the last ones read stay in use"
                } else {
                    "the learned rhythm stays the expectation"
                };
                tracing::warn!(target = %name, provider, reason = reason.as_str(), error = %e, "Backup policies not read; {kept}.", kept = kept);
            }
        }
    }

    /// Runs one poll and updates the state. Returns an error when the target could not be
    /// polled at all (a target-level call failed, or every unit failed); a poll in which
    /// some units failed succeeds, and those units keep their last values.
    pub async fn poll_once(&mut self) -> Result<(), ProviderError> {
        let started = Instant::now();
        let result = self.fetch().await;
        self.refresh_policies().await;
        let elapsed = started.elapsed().as_secs_f64();
        let now = Timestamp::now();
        let now_s = unix_seconds(now);
        self.status.polled = true;
        self.status.last_attempt = Some(now_s);
        self.status.durations.observe(&POLL_BUCKETS, elapsed);
        let outcome = match result {
            Ok(fetched) => self.account_for(fetched, now),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => {
                self.status.up = true;
                self.status.last_success = Some(now_s);
                self.status.last_error = None;
                Ok(())
            }
            Err(e) => {
                let never = self.status.last_success.is_none() && !self.restored_data();
                if never {
                    tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), reason = e.reason(), error = %e, "Poll failed; no data yet.");
                } else {
                    tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), reason = e.reason(), error = %e, "Poll failed; serving the last good data.");
                }
                self.status.up = false;
                *self.status.errors.entry(e.reason).or_insert(0) += 1;
                self.status.last_error = Some(e.clone());
                Err(e)
            }
        }
    }

    /// True when the account holds data from earlier runs (restored or handed over).
    fn restored_data(&self) -> bool {
        !lock(&self.account).baselined.is_empty()
    }

    /// Ends a poll whose listed units were applied as they arrived: forgets what `lookback`
    /// lets go, updates each unit's health, logs what the poll reported; fails when units
    /// were polled and every one of them failed.
    fn account_for(&mut self, fetched: Fetched, now: Timestamp) -> Result<(), ProviderError> {
        let now_s = unix_seconds(now);
        {
            let mut a = lock(&self.account);
            a.end_poll(now, &self.rules());
            if fetched.failed.is_empty() && a.rebuild.is_some() {
                let pairs = a.finish_rebuild();
                if !pairs.is_empty() {
                    let shown: Vec<String> = pairs
                        .iter()
                        .take(10)
                        .map(|(r, t)| format!("{r}/{t}"))
                        .collect();
                    tracing::info!(target = %self.target.name, pairs = pairs.len(), first = %shown.join(", "), "Rebuilt the history (rhythm, usual duration) of pairs the state file lacked from the listing; nothing was counted again.");
                }
            }
            self.status.resources = if self.target.provider().unit_is_resource() {
                fetched.units.len()
            } else {
                a.tallies.resources.len()
            };
        }
        self.log_report(&fetched);
        // The units of this poll, updated in place (a unit not polled any more goes).
        let polled: foldhash::HashSet<&str> = (fetched.listed.iter())
            .map(String::as_str)
            .chain(fetched.failed.iter().map(|(u, _)| u.as_str()))
            .collect();
        let units = &mut self.status.units;
        units.retain(|u, _| polled.contains(u.as_str()));
        for unit in &fetched.listed {
            let h = match units.get_mut(unit) {
                Some(h) => h,
                None => units.entry(unit.clone()).or_default(),
            };
            if !h.up && h.last_error.is_some() {
                tracing::info!(target = %self.target.name, resource = %unit, "Resource polled again after failures.");
            }
            h.up = true;
            h.last_success = Some(now_s);
            h.last_error = None;
        }
        for (unit, e) in &fetched.failed {
            let h = match units.get_mut(unit) {
                Some(h) => h,
                None => units.entry(unit.clone()).or_default(),
            };
            let changed = h.up || h.last_error.as_ref() != Some(e) || h.errors.is_empty();
            // A unit never listed (since start, nor restored from the state file) has no values to keep.
            let never = h.last_success.is_none() && !lock(&self.account).baselined.contains(unit);
            if changed && never {
                tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), resource = %unit, reason = e.reason(), error = %e, "Resource poll failed; no data yet for it.");
            } else if changed {
                tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), resource = %unit, reason = e.reason(), error = %e, "Resource poll failed; keeping its last values.");
            } else {
                tracing::debug!(target = %self.target.name, resource = %unit, reason = e.reason(), error = %e, "Resource poll failed again.");
            }
            h.up = false;
            *h.errors.entry(e.reason).or_insert(0) += 1;
            h.last_error = Some(e.clone());
        }
        let failed = fetched.failed.len();
        match fetched.failed.into_iter().next() {
            Some((_, first)) if fetched.listed.is_empty() => Err(if failed == 1 {
                first
            } else {
                ProviderError {
                    message: format!("all {failed} resources failed; first: {}", first.message),
                    ..first
                }
            }),
            _ => Ok(()),
        }
    }

    /// The accounting rules of the target's settings.
    fn rules(&self) -> Rules<'_> {
        let settings = &self.target.settings;
        Rules {
            lookback: settings.lookback,
            buckets: &self.buckets,
            max_task_types: settings.max_task_types as usize,
        }
    }

    fn log_report(&self, fetched: &Fetched) {
        let report = &fetched.report;
        let name = &self.target.name;
        let provider = self.target.provider().as_str();
        for t in &report.transitions {
            t.log(name, provider);
        }
        for status in &report.new_unknown_statuses {
            tracing::warn!(target = %name, provider, status = %status, "Task status not in the mapping; counted as unknown.");
        }
        if report.truncated > 0 {
            tracing::warn!(target = %name, provider, tasks = report.truncated, max_bytes = crate::accounting::MAX_LABEL_BYTES, "Label values longer than the limit were cut (a hash suffix keeps them distinct).");
        }
        if report.folded > 0 {
            tracing::warn!(target = %name, provider, tasks = report.folded, max_task_types = self.target.settings.max_task_types, fold = crate::accounting::OTHER_TYPE, "More task types than max_task_types; the rest are counted under one type.");
        }
        for inv in &report.new_invalid {
            tracing::warn!(target = %name, provider, resource = %inv.unit, task_id = inv.task.id.as_deref().unwrap_or("-"), field = inv.task.field, detail = %inv.task.detail, "Task record not understood; skipped and counted as invalid.");
        }
        let listed = fetched.listed.len();
        let full_passes = fetched
            .listed
            .iter()
            .filter(|u| fetched.full.contains(*u))
            .count();
        tracing::debug!(target = %name, units = listed, failed_units = fetched.failed.len(), full_passes, windowed_passes = listed - full_passes, caught_up = fetched.caught_up, tasks = fetched.tasks, counted = report.counted, baselined = report.baselined, "Poll applied.");
    }

    async fn units(&mut self) -> Result<Vec<String>, ProviderError> {
        let all = match self.provider.units() {
            Units::Fixed(ids) => ids,
            Units::Discover(every) => {
                let fresh = self
                    .discovered
                    .as_ref()
                    .is_some_and(|(_, at)| at.elapsed() < every);
                if !fresh {
                    match self.discover().await {
                        Ok(ids) => {
                            tracing::info!(target = %self.target.name, resources = ids.len(), "Discovered resources.");
                            self.discovered = Some((ids, Instant::now()));
                        }
                        Err(e) if self.discovered.is_none() => return Err(e),
                        Err(e) => {
                            tracing::warn!(target = %self.target.name, reason = e.reason(), error = %e, "Discovery failed; keeping the previous resource list.");
                        }
                    }
                }
                self.discovered
                    .as_ref()
                    .map(|(ids, _)| ids.clone())
                    .unwrap_or_default()
            }
        };
        let name = self.target.name.clone();
        let shard = self.shard;
        let mut units: Vec<String> = all
            .into_iter()
            .filter(|u| in_shard(&name, u, shard))
            .collect();
        units.sort();
        units.dedup();
        Ok(units)
    }

    /// Discovery in its own task, so that a panic in it is reported, not fatal to the loop.
    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        let p = Arc::clone(&self.provider);
        let mut set = JoinSet::new();
        set.spawn(async move { p.discover().await });
        match set.join_next().await {
            Some(Ok(r)) => r,
            Some(Err(e)) => Err(self.internal("discovery", e)),
            None => Err(ProviderError::internal("discovery: task vanished")),
        }
    }

    fn internal(&self, what: &str, e: tokio::task::JoinError) -> ProviderError {
        internal(&self.target.name, what, e)
    }

    /// Lists every unit concurrently (the HTTP client applies the target's limits). A unit
    /// that fails, or panics, does not stop the others.
    async fn fetch(&mut self) -> Result<Fetched, ProviderError> {
        let units = self.units().await?;
        let start = PollStart::now();
        let now = start.wall;
        let settings = &self.target.settings;
        let lookback =
            jiff::SignedDuration::try_from(settings.lookback).unwrap_or(jiff::SignedDuration::MAX);
        let since = now.checked_sub(lookback).unwrap_or(Timestamp::MIN);
        let recall = {
            let account = Arc::clone(&self.account);
            let now_s = unix_seconds(now);
            let (layouts, polls) = &mut self.layouts;
            *polls += 1;
            layouts.retain(&units);
            Recall::new(move |keys| lock(&account).memo.recall(keys, now_s))
                .with_layouts(Arc::clone(layouts), *polls)
        };
        let base = PollContext {
            now,
            since,
            page_size: settings.page_size,
            max_pages: settings.max_pages,
            window: None,
            recall: Some(recall),
        };
        self.windows.retain(&units);
        let account = Arc::clone(&self.account);
        let known: KnownTerminal = Arc::new(move |id: &str| lock(&account).known_terminal(id));
        let mut full = foldhash::HashSet::default();
        let mut plans = foldhash::HashMap::default();
        for unit in &units {
            let window = self.windows.plan(unit, start, settings, since, &known);
            if window.is_none() {
                full.insert(unit.clone());
            }
            let ctx = PollContext {
                window,
                ..base.clone()
            };
            plans.insert(unit.clone(), ctx);
        }
        let plans = Arc::new(plans);
        let provider = Arc::clone(&self.provider);
        let budget = PollBudget::new(settings.max_poll_bytes, settings.max_poll_tasks);
        let mut fetched = Fetched {
            units: Vec::new(),
            listed: Vec::new(),
            failed: Vec::new(),
            report: ApplyReport::default(),
            tasks: 0,
            caught_up: 0,
            full,
            start,
            since,
        };
        lock(&self.account).begin_poll();
        let target = self.target.name.clone();
        let list = move |unit: String| {
            let p = Arc::clone(&provider);
            let ctx = plans.get(&unit).cloned().unwrap_or_else(|| base.clone());
            let budget = Arc::clone(&budget);
            async move { budget.run(p.list_tasks(&unit, &ctx)).await }
        };
        // Each unit's listing is applied as it arrives and then dropped: a poll of 10,000
        // units never holds every listing at once.
        list_all(&target, &units, list, |unit, result| match result {
            Ok(listing) => {
                let full = fetched.full.contains(unit);
                self.windows
                    .record(unit, &listing, full, fetched.start, fetched.since);
                fetched.tasks += listing.tasks.len() + listing.known;
                fetched.caught_up += usize::from(listing.paging.caught_up);
                let now = Timestamp::now();
                lock(&self.account).apply_unit(
                    unit,
                    &listing,
                    now,
                    &self.rules(),
                    &mut fetched.report,
                );
                fetched.listed.push(unit.to_string());
            }
            Err(mut e) => {
                // Every error names the resource it came from.
                if !e.message.contains(unit) {
                    e.message = format!("{unit}: {}", e.message);
                }
                fetched.failed.push((unit.to_string(), e));
            }
        })
        .await;
        fetched.units = units;
        Ok(fetched)
    }

    /// Polls forever on the target's interval until `stop` fires; publishes after each poll.
    pub async fn run(mut self, hub: Arc<Hub>, stop: CancellationToken) -> TargetRunner {
        let interval = self
            .target
            .settings
            .interval
            .max(Duration::from_millis(100));
        // The first poll starts at once: readiness waits for the cloud, not for a timer, and
        // the target's rate limit spreads its requests. Then a random phase (up to 10 % of
        // the interval, at most 30 s) keeps targets started together from polling in step.
        tokio::select! {
            _ = stop.cancelled() => return self,
            _ = self.poll_once() => {}
        }
        hub.publish(self.snapshot());
        let phase = interval
            .min(Duration::from_secs(300))
            .mul_f64(0.1 * rand::random::<f64>());
        let mut tick = tokio::time::interval_at(Instant::now() + interval + phase, interval);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return self,
                _ = tick.tick() => {}
            }
            tokio::select! {
                _ = stop.cancelled() => return self,
                _ = self.poll_once() => {}
            }
            hub.publish(self.snapshot());
        }
    }
}

/// Runs `list` for every unit concurrently, in tasks of their own, and hands each unit's
/// result to `done` as it arrives: a unit that fails or panics does not stop the others. A
/// panic is reason `internal`; a unit whose task vanished is one too.
async fn list_all<F, Fut>(
    target: &str,
    units: &[String],
    list: F,
    mut done: impl FnMut(&str, Result<Listing, ProviderError>),
) where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Result<Listing, ProviderError>> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut index = foldhash::HashMap::default();
    for (i, unit) in units.iter().enumerate() {
        let handle = set.spawn(list(unit.clone()));
        index.insert(handle.id(), i);
    }
    let mut finished = vec![false; units.len()];
    while let Some(joined) = set.join_next_with_id().await {
        let (i, result) = match joined {
            Ok((id, r)) => (index.get(&id).copied(), r),
            Err(e) => {
                let i = index.get(&e.id()).copied();
                let what = format!("{}: listing", i.map_or("?", |i| units[i].as_str()));
                (i, Err(internal(target, &what, e)))
            }
        };
        if let Some(i) = i {
            finished[i] = true;
            done(&units[i], result);
        }
    }
    for (unit, _) in units.iter().zip(finished).filter(|(_, f)| !f) {
        done(
            unit,
            Err(ProviderError::internal(format!(
                "{unit}: listing did not finish"
            ))),
        );
    }
}

/// A panic (or a cancelled task) while polling: a bug, logged at error with its message.
fn internal(target: &str, what: &str, e: tokio::task::JoinError) -> ProviderError {
    let message = if e.is_panic() {
        let payload = e.into_panic();
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-text panic payload".to_string());
        format!("{what}: panic: {text}")
    } else {
        format!("{what}: task cancelled")
    };
    tracing::error!(target = %target, error = %message, "Bug while polling; please report it. Serving the last good data.");
    ProviderError::internal(message)
}

/// The configured units of `target` that are resources themselves (zero-valued series).
fn fixed_resources(target: &Target, provider: &AnyProvider, shard: Shard) -> Vec<String> {
    match (provider.units(), target.provider().unit_is_resource()) {
        (Units::Fixed(ids), true) => ids
            .into_iter()
            .filter(|u| in_shard(&target.name, u, shard))
            .collect(),
        _ => Vec::new(),
    }
}

/// Stable FNV-1a hash of `target/unit`, so shards do not move between versions or replicas.
pub(crate) fn in_shard(target: &str, unit: &str, shard: Shard) -> bool {
    if shard.total <= 1 {
        return true;
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in target
        .bytes()
        .chain(std::iter::once(b'/'))
        .chain(unit.bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h % u64::from(shard.total) == u64::from(shard.index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_unit_is_an_internal_error_and_the_others_list() {
        let units: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let mut out: Vec<Option<Result<Listing, ProviderError>>> = vec![None, None, None];
        list_all(
            "t",
            &units,
            |unit| async move {
                if unit == "b" {
                    panic!("decoder bug on {unit}");
                }
                Ok(Listing::default())
            },
            |unit, r| {
                let i = units.iter().position(|u| u == unit).unwrap();
                out[i] = Some(r);
            },
        )
        .await;
        assert!(matches!(out[0], Some(Ok(_))));
        assert!(matches!(out[2], Some(Ok(_))));
        let Some(Err(e)) = &out[1] else {
            panic!("{:?}", out[1]);
        };
        assert_eq!(e.reason(), "internal");
        assert!(e.message.contains("decoder bug on b"), "{e}");
    }

    #[test]
    fn shards_partition_units() {
        let units: Vec<String> = (0..100).map(|i| format!("vm{i}")).collect();
        let mut total = 0;
        for index in 0..3 {
            let shard = Shard { index, total: 3 };
            let n = units.iter().filter(|u| in_shard("t", u, shard)).count();
            assert!(n > 10, "shard {index} got {n}");
            total += n;
        }
        assert_eq!(total, 100);
    }
}
