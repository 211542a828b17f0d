//! What the exporter expects of each (resource, type): how often a successful backup should
//! happen (`cloud_task_expected_interval_seconds`), how long a task usually takes
//! (`cloud_task_expected_duration_seconds`) and how long an active task may stay active before
//! it counts as stuck (`cloud_task_active_limit_seconds`). It combines the target's
//! configuration ([`Expectations`]) with the learned [`History`]; the metrics, the status page
//! and `/api/v1/targets` all read these numbers from here, so they never disagree.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::accounting::Tallies;
use crate::config::settings::Expect;
use crate::history::History;

/// The task type the rhythm (missed-backup) rule covers.
pub(crate) const RHYTHM_TYPE: &str = "backup";
/// The rhythm assumed while a pair has fewer than `history::MIN_SUCCESSES` successes and no
/// configured `expected_interval`.
pub(crate) const DEFAULT_EXPECTED_INTERVAL: Duration = Duration::from_secs(86_400);
/// The active limit while a pair has no learned usual duration and no `max_active_duration`.
pub(crate) const DEFAULT_ACTIVE_LIMIT: Duration = Duration::from_secs(6 * 3600);
/// A learned active limit is this many usual durations ...
pub(crate) const ACTIVE_LIMIT_FACTOR: f64 = 3.0;
/// ... and at least the usual duration plus this margin (queueing, slow days).
pub(crate) const ACTIVE_LIMIT_MARGIN: Duration = Duration::from_secs(3600);
/// Where no schedule is readable, a missing backup pages once the time since the last
/// success exceeds the expected interval plus a grace: this share of the interval, ...
pub(crate) const GRACE_SHARE: f64 = 0.1;
/// ... at least this long, and at least the jitter the kept history shows
/// (`cloud_task_expected_grace_seconds`); the status page colours ages the same way.
pub(crate) const GRACE_MIN: Duration = Duration::from_secs(3600);

/// The grace after an expected `interval` before a missing backup pages, given the `jitter`
/// of the pair's kept history: a daily backup pages 25 hours after its last success.
pub(crate) fn grace(interval: f64, jitter: Option<f64>) -> f64 {
    (GRACE_SHARE * interval)
        .max(GRACE_MIN.as_secs_f64())
        .max(jitter.unwrap_or(0.0))
}

/// The configured part, per target: the provider's rhythm type, the configured resources and
/// the `expected_interval`, `expected_intervals` and `max_active_duration` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectations {
    /// The type whose rhythm is expected; `None` for providers without backups (DMS).
    pub rhythm_type: Option<String>,
    /// Resources whose backups are expected whatever the history holds: the configured ids of
    /// a target whose polled units are its resources (this replica's share of them). `None`:
    /// every resource with a backup history (discovered resources, or units that are not
    /// resources), and the resources named in `expected_intervals` unless `sharded`.
    pub resources: Option<BTreeSet<String>>,
    /// This replica polls a share of the target (`shard.total > 1`): a resource named in
    /// `expected_intervals` without history here belongs to another replica.
    pub sharded: bool,
    /// The settings; a configured interval wins over a learned one.
    pub config: Expect,
}

impl Default for Expectations {
    /// Backups expected of every resource with a backup history; nothing configured.
    fn default() -> Self {
        Expectations {
            rhythm_type: Some(RHYTHM_TYPE.to_string()),
            resources: None,
            sharded: false,
            config: Expect::default(),
        }
    }
}

/// Where an expected value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// From the configuration.
    Configured,
    /// Learned from the pair's history.
    Learned,
    /// The built-in default (too little history).
    Default,
}

impl Source {
    /// `configured`, `learned` or `default`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Source::Configured => "configured",
            Source::Learned => "learned",
            Source::Default => "default",
        }
    }
}

/// A value in seconds and where it comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Expected {
    /// The value, in seconds.
    pub secs: f64,
    /// Whether it was configured, learned from history, or is the default.
    pub source: Source,
}

/// What is expected of one (resource, type).
#[derive(Debug, Clone, PartialEq)]
pub struct PairExpectation {
    /// The resource of the pair.
    pub resource: String,
    /// The task type of the pair (the `type` label).
    pub task_type: String,
    /// Expected gap between successes; only for the rhythm type of expected resources.
    pub interval: Option<Expected>,
    /// The grace after `interval` before a missing backup pages (`rhythm::grace`), with it.
    pub grace: Option<f64>,
    /// Learned usual (median) duration of a success.
    pub(crate) usual_duration: Option<f64>,
    /// How long an active task may stay active; only for pairs with an active task now.
    pub(crate) active_limit: Option<Expected>,
}

impl Expectations {
    /// The expectations of a target whose settings say `config` (its `expected_interval`,
    /// `expected_intervals`, `types` and `max_active_duration`), whose provider knows
    /// `known_types` and whose configured ids polled by this replica are its resources
    /// (`configured`; empty when they are not, or are discovered), on a replica that polls a
    /// share of it (`sharded`) or all of it.
    pub(crate) fn for_target(
        config: &Expect,
        known_types: &[&str],
        configured: &[String],
        sharded: bool,
    ) -> Expectations {
        Expectations {
            rhythm_type: known_types
                .contains(&RHYTHM_TYPE)
                .then(|| RHYTHM_TYPE.to_string()),
            resources: (!configured.is_empty()).then(|| configured.iter().cloned().collect()),
            sharded,
            config: config.clone(),
        }
    }

    fn interval_of(&self, resource: &str, history: &History, t: &str) -> Expected {
        let c = &self.config;
        let configured = c.intervals.get(resource).or(c.interval.as_ref());
        if let Some(d) = configured {
            return Expected {
                secs: d.as_secs_f64(),
                source: Source::Configured,
            };
        }
        match history.get(resource, t).and_then(|h| h.learned_interval()) {
            Some(secs) => Expected {
                secs,
                source: Source::Learned,
            },
            None => Expected {
                secs: DEFAULT_EXPECTED_INTERVAL.as_secs_f64(),
                source: Source::Default,
            },
        }
    }

    fn active_limit(&self, usual: Option<f64>) -> Expected {
        let learned =
            usual.map(|u| (ACTIVE_LIMIT_FACTOR * u).max(u + ACTIVE_LIMIT_MARGIN.as_secs_f64()));
        match (learned, self.config.max_active) {
            (Some(l), Some(m)) if m.as_secs_f64() < l => Expected {
                secs: m.as_secs_f64(),
                source: Source::Configured,
            },
            (Some(l), _) => Expected {
                secs: l,
                source: Source::Learned,
            },
            (None, Some(m)) => Expected {
                secs: m.as_secs_f64(),
                source: Source::Configured,
            },
            (None, None) => Expected {
                secs: DEFAULT_ACTIVE_LIMIT.as_secs_f64(),
                source: Source::Default,
            },
        }
    }

    /// Every pair with something expected, sorted by (resource, type): the rhythm type of
    /// every expected resource, pairs with a learned usual duration, pairs with an active task.
    /// A resource's first backup still running is not yet an expected resource (unless
    /// configured): otherwise it would page as never having succeeded while it runs.
    pub fn of(&self, account: &Tallies) -> Vec<PairExpectation> {
        let history = &account.history;
        let mut rhythm: BTreeSet<(&str, &str)> = BTreeSet::new();
        if let Some(t) = self.rhythm_type.as_deref() {
            match &self.resources {
                Some(configured) => rhythm.extend(configured.iter().map(|r| (r.as_str(), t))),
                None => {
                    rhythm.extend(
                        history
                            .pairs
                            .keys()
                            .filter(|(_, ty)| ty == t)
                            .map(|(r, ty)| (r.as_str(), ty.as_str())),
                    );
                    if !self.sharded {
                        rhythm.extend(self.config.intervals.keys().map(|r| (r.as_str(), t)));
                    }
                }
            }
        }
        let mut pairs = rhythm.clone();
        let usual = |r: &str, t: &str| history.get(r, t).and_then(|h| h.usual_duration());
        pairs.extend(
            history
                .pairs
                .iter()
                .filter(|(_, h)| h.usual_duration().is_some())
                .map(|((r, t), _)| (r.as_str(), t.as_str())),
        );
        let active: BTreeSet<(&str, &str)> = account
            .active
            .iter()
            .map(|a| (a.resource.as_str(), a.task_type.as_str()))
            .collect();
        pairs.extend(active.iter().copied());
        pairs
            .into_iter()
            .map(|(r, t)| {
                let u = usual(r, t);
                let interval = rhythm
                    .contains(&(r, t))
                    .then(|| self.interval_of(r, history, t));
                let jitter = history.get(r, t).and_then(|h| h.jitter());
                PairExpectation {
                    resource: r.to_string(),
                    task_type: t.to_string(),
                    interval,
                    grace: interval.map(|i| grace(i.secs, jitter)),
                    usual_duration: u,
                    active_limit: active.contains(&(r, t)).then(|| self.active_limit(u)),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The grace is a tenth of the interval, at least an hour, at least the history's jitter:
    /// a daily backup pages after 26.4 h, an hourly one after 2 h.
    #[test]
    fn the_grace_is_a_tenth_an_hour_or_the_jitter() {
        assert_eq!(grace(86_400.0, None), 8_640.0);
        assert_eq!(grace(3_600.0, None), 3_600.0);
        assert_eq!(grace(86_400.0, Some(10_000.0)), 10_000.0);
        assert_eq!(grace(86_400.0, Some(60.0)), 8_640.0);
    }
    use crate::accounting::ActiveTask;
    use crate::history::Completion;
    use crate::model::TaskState;

    const H: f64 = 3600.0;

    fn successes(a: &mut Tallies, r: &str, t: &str, every: f64, n: u32, secs: f64) {
        for i in 0..n {
            let c = Completion {
                task_id: "x",
                result: TaskState::Succeeded,
                end: 1e9 - f64::from(i) * every,
                secs: Some(secs),
                message: None,
            };
            a.history.record(r, t, &c, 1e9);
        }
    }

    fn find<'a>(v: &'a [PairExpectation], r: &str, t: &str) -> &'a PairExpectation {
        v.iter()
            .find(|p| p.resource == r && p.task_type == t)
            .unwrap_or_else(|| panic!("no {r}/{t} in {v:?}"))
    }

    #[test]
    fn learned_configured_and_default_rhythms() {
        let mut a = Tallies::default();
        successes(&mut a, "hourly", "backup", H, 5, 60.0);
        successes(&mut a, "weekly", "backup", 7.0 * 24.0 * H, 3, 600.0);
        successes(&mut a, "young", "backup", H, 2, 60.0);
        successes(&mut a, "vm", "retention", H, 5, 5.0);
        let mut e = Expectations::default();
        let v = e.of(&a);
        let iv = |r: &str| find(&v, r, "backup").interval.unwrap();
        assert_eq!(
            iv("hourly"),
            Expected {
                secs: H,
                source: Source::Learned
            }
        );
        assert_eq!(iv("weekly").secs, 7.0 * 24.0 * H);
        assert_eq!(iv("young").source, Source::Default);
        assert_eq!(iv("young").secs, 86_400.0);
        let retention = find(&v, "vm", "retention");
        assert_eq!(retention.interval, None, "only backups have a rhythm");
        assert_eq!(retention.usual_duration, Some(5.0));

        e.config.interval = Some(Duration::from_secs(7200));
        let per_resource = &mut e.config.intervals;
        per_resource.insert("weekly".into(), Duration::from_secs(8 * 86_400));
        per_resource.insert("never-seen".into(), Duration::from_secs(86_400));
        let v = e.of(&a);
        let iv = |r: &str| find(&v, r, "backup").interval.unwrap();
        assert_eq!(
            iv("hourly"),
            Expected {
                secs: 7200.0,
                source: Source::Configured
            }
        );
        assert_eq!(iv("weekly").secs, 8.0 * 86_400.0);
        assert_eq!(iv("never-seen").source, Source::Configured);
    }

    #[test]
    fn configured_resources_are_expected_and_only_they() {
        let mut a = Tallies::default();
        successes(&mut a, "removed", "backup", H, 5, 60.0);
        let e = Expectations {
            resources: Some(BTreeSet::from(["vm1".to_string()])),
            ..Expectations::default()
        };
        let v = e.of(&a);
        assert_eq!(
            find(&v, "vm1", "backup").interval.unwrap().source,
            Source::Default
        );
        assert_eq!(find(&v, "removed", "backup").interval, None);
        let dms = Expectations {
            rhythm_type: None,
            resources: Some(BTreeSet::from(["kafka-1".to_string()])),
            ..Expectations::default()
        };
        assert!(dms.of(&Tallies::default()).is_empty());
    }

    #[test]
    fn first_running_backup_and_other_shards_resources_are_not_expected() {
        let mut a = Tallies::default();
        a.active.push(ActiveTask {
            record: None,
            unit: "u".to_string(),
            id: "t".into(),
            resource: "new-volume".into(),
            task_type: "backup".into(),
            state: TaskState::Running,
            start: Some(1e9),
            progress: None,
        });
        let mut e = Expectations::default();
        e.config
            .intervals
            .insert("named".into(), Duration::from_secs(86_400));
        let v = e.of(&a);
        assert_eq!(find(&v, "new-volume", "backup").interval, None);
        assert!(find(&v, "new-volume", "backup").active_limit.is_some());
        assert!(find(&v, "named", "backup").interval.is_some());
        e.sharded = true;
        assert!(e.of(&a).iter().all(|p| p.resource != "named"));
    }

    #[test]
    fn active_limit_learned_capped_or_default() {
        let mut a = Tallies::default();
        successes(&mut a, "fast", "backup", H, 5, 120.0);
        successes(&mut a, "slow", "backup", H, 5, 4.0 * H);
        for r in ["fast", "slow", "new"] {
            a.active.push(ActiveTask {
                record: None,
                unit: "u".to_string(),
                id: format!("{r}-t"),
                resource: r.into(),
                task_type: "backup".into(),
                state: TaskState::Queued,
                start: Some(1e9),
                progress: None,
            });
        }
        let mut e = Expectations::default();
        let v = e.of(&a);
        let lim = |v: &[PairExpectation], r: &str| find(v, r, "backup").active_limit.unwrap();
        assert_eq!(
            lim(&v, "fast"),
            Expected {
                secs: 120.0 + H,
                source: Source::Learned
            }
        );
        assert_eq!(lim(&v, "slow").secs, 12.0 * H);
        assert_eq!(
            lim(&v, "new"),
            Expected {
                secs: 6.0 * H,
                source: Source::Default
            }
        );
        e.config.max_active = Some(Duration::from_secs(8 * 3600));
        let v = e.of(&a);
        assert_eq!(
            lim(&v, "fast").source,
            Source::Learned,
            "a maximum does not loosen"
        );
        assert_eq!(
            lim(&v, "slow"),
            Expected {
                secs: 8.0 * H,
                source: Source::Configured
            }
        );
        assert_eq!(lim(&v, "new").secs, 8.0 * H);
    }
}
