//! The scheduler: one poll loop per target, on its own interval, started after a random
//! delay, never at scrape time. A poll lists every unit (with the target's concurrency and
//! rate limits applied by its HTTP client); it either applies whole or is discarded
//! (SPEC §3 rule 5). Each poll ends by publishing a snapshot to the [`Hub`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use crate::accounting::{Account, HistogramData};
use crate::config::{ProviderKind, Shard, Target};
use crate::hub::{Hub, PollStatus, TargetSnapshot};
use crate::metrics::POLL_BUCKETS;
use crate::model::Task;
use crate::provider::http::RequestCounts;
use crate::provider::{AnyProvider, PollContext, Provider, ProviderError, Units};
use crate::timefmt::unix_seconds;

/// The state a poll loop owns for its target.
#[derive(Debug)]
pub struct TargetRunner {
    target: Target,
    provider: Arc<AnyProvider>,
    account: Account,
    status: PollStatus,
    counts: Arc<RequestCounts>,
    buckets: Vec<f64>,
    shard: Shard,
    discovered: Option<(Vec<String>, Instant)>,
    expect: Arc<crate::rhythm::Expectations>,
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
        let fixed_resources = match (provider.units(), unit_is_resource(target.provider())) {
            (Units::Fixed(ids), true) => ids
                .into_iter()
                .filter(|u| in_shard(&target.name, u, shard))
                .collect(),
            _ => Vec::new(),
        };
        let account = Account::new(provider.known_types(), &fixed_resources);
        let expect = Arc::new(crate::rhythm::Expectations::for_target(
            &target,
            provider.known_types(),
            &fixed_resources,
            shard.total > 1,
        ));
        TargetRunner {
            target,
            provider: Arc::new(provider),
            account,
            status: PollStatus {
                durations: HistogramData::new(&POLL_BUCKETS),
                ..PollStatus::default()
            },
            counts,
            buckets,
            shard,
            discovered: None,
            expect,
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
                a.resources.extend(self.account.resources.iter().cloned());
                self.account = a;
                self.counts.restore(saved.requests.clone());
                self.status.errors = saved.poll_errors();
                tracing::info!(target = %self.target.name, tracked = self.account.tracked(), "Restored saved state.");
            }
            Err(e) => {
                tracing::error!(target = %self.target.name, error = %e, "Saved state of the target is unusable; starting it fresh.")
            }
        }
    }

    /// The target's name.
    pub fn name(&self) -> &str {
        &self.target.name
    }

    /// Builds the snapshot of the current state.
    pub fn snapshot(&self) -> TargetSnapshot {
        let account = self.account.clone();
        TargetSnapshot {
            name: self.target.name.clone(),
            provider: self.target.provider(),
            labels: self.target.labels.clone(),
            account,
            tracked: self.account.tracked(),
            status: self.status.clone(),
            requests: self.counts.snapshot(),
            expect: Arc::clone(&self.expect),
        }
    }

    /// Runs one poll and updates the state; returns the error if it failed.
    pub async fn poll_once(&mut self) -> Result<(), ProviderError> {
        let started = Instant::now();
        let result = self.fetch().await;
        let elapsed = started.elapsed().as_secs_f64();
        let now = Timestamp::now();
        self.status.polled = true;
        self.status.last_attempt = Some(unix_seconds(now));
        self.status.durations.observe(&POLL_BUCKETS, elapsed);
        match result {
            Ok((units, tasks, unit_of)) => {
                let report = self.account.apply(
                    &units,
                    &tasks,
                    &unit_of,
                    now,
                    self.target.settings.lookback,
                    &self.buckets,
                );
                for t in &report.transitions {
                    t.log(&self.target.name, self.target.provider().as_str());
                }
                for status in &report.new_unknown_statuses {
                    tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), status = %status, "Task status not in the mapping; counted as unknown.");
                }
                tracing::debug!(target = %self.target.name, units = units.len(), tasks = tasks.len(), counted = report.counted, baselined = report.baselined, "Poll applied.");
                self.status.up = true;
                self.status.last_success = Some(unix_seconds(now));
                self.status.last_error = None;
                self.status.resources = if unit_is_resource(self.target.provider()) {
                    units.len()
                } else {
                    self.account.resources.len()
                };
                Ok(())
            }
            Err(e) => {
                tracing::warn!(target = %self.target.name, provider = self.target.provider().as_str(), reason = e.reason(), error = %e, "Poll failed; serving the last good data.");
                self.status.up = false;
                *self.status.errors.entry(e.reason).or_insert(0) += 1;
                self.status.last_error = Some(e.clone());
                Err(e)
            }
        }
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
                    match self.provider.discover().await {
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

    #[allow(clippy::type_complexity)]
    async fn fetch(
        &mut self,
    ) -> Result<(Vec<String>, Vec<Task>, HashMap<String, String>), ProviderError> {
        let units = self.units().await?;
        let now = Timestamp::now();
        let lookback = jiff::SignedDuration::try_from(self.target.settings.lookback)
            .unwrap_or(jiff::SignedDuration::MAX);
        let ctx = PollContext {
            now,
            since: now.checked_sub(lookback).unwrap_or(Timestamp::MIN),
            page_size: self.target.settings.page_size,
            max_pages: self.target.settings.max_pages,
        };
        let mut set = JoinSet::new();
        for (i, unit) in units.iter().enumerate() {
            let p = Arc::clone(&self.provider);
            let unit = unit.clone();
            let ctx = ctx.clone();
            set.spawn(async move { (i, p.list_tasks(&unit, &ctx).await) });
        }
        let mut per_unit: Vec<Option<Vec<Task>>> = vec![None; units.len()];
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, Ok(tasks))) => per_unit[i] = Some(tasks),
                Ok((_, Err(e))) => {
                    set.abort_all();
                    return Err(e);
                }
                Err(e) => {
                    set.abort_all();
                    return Err(ProviderError::decode(format!("listing task failed: {e}")));
                }
            }
        }
        let mut tasks = Vec::new();
        let mut unit_of = HashMap::new();
        for (unit, list) in units.iter().zip(per_unit) {
            for t in list.unwrap_or_default() {
                if unit_of.contains_key(&t.id) {
                    continue;
                }
                unit_of.insert(t.id.clone(), unit.clone());
                tasks.push(t);
            }
        }
        Ok((units, tasks, unit_of))
    }

    /// Polls forever on the target's interval until `stop` fires; publishes after each poll.
    pub async fn run(mut self, hub: Arc<Hub>, stop: CancellationToken) -> TargetRunner {
        let interval = self
            .target
            .settings
            .interval
            .max(Duration::from_millis(100));
        let jitter = interval
            .min(Duration::from_secs(300))
            .mul_f64(0.1 * rand::random::<f64>());
        tokio::select! {
            _ = stop.cancelled() => return self,
            _ = tokio::time::sleep(jitter) => {}
        }
        let mut tick = tokio::time::interval(interval);
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

/// For these providers a polled unit is itself the resource (so it gets zero series).
fn unit_is_resource(kind: ProviderKind) -> bool {
    matches!(
        kind,
        ProviderKind::YandexBackup | ProviderKind::HuaweiCce | ProviderKind::HuaweiDms
    )
}

/// Stable FNV-1a hash of `target/unit`, so shards do not move between versions or replicas.
pub fn in_shard(target: &str, unit: &str, shard: Shard) -> bool {
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

/// Unix seconds now, from the wall clock (only for `*_timestamp_seconds`).
pub fn wall_now() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
