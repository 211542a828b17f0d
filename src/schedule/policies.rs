//! A target's backup policies as its provider read them, and what they say of each resource:
//! whether an enabled schedule covers it, when its next run is and when its latest run became
//! due (`docs/metrics.md`, "Schedules").
//!
//! A provider says which policy covers which resource in one of two ways: by resource (CBR's
//! vaults, Yandex's applications), or by polled unit (VBS: no API lists a policy's volumes,
//! which are the resources its backup tasks name, so the unit the tasks were listed under is
//! the policy).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;

use super::Schedule;

/// One backup policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Its id: the `policy_id` label.
    pub id: String,
    /// Its name: the `policy_name` label.
    pub name: String,
    /// Whether the policy and its scheduling are switched on.
    pub enabled: bool,
    /// Its schedule, when it could be read (`None` for a skipped one: see [`Skipped`]).
    pub(crate) schedule: Option<Schedule>,
    /// How long after its slot a run may still start, where the cloud says so (AWS Backup's
    /// `StartWindowMinutes`): a run waiting that long to start is not yet missed.
    pub start_window: Option<Duration>,
}

/// Why a schedule was passed over; the learned rhythm stays the resource's expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SkipReason {
    /// The credentials have no rights on the policy API (403).
    Forbidden,
    /// A schedule whose fields cannot be read: an unknown enum, a malformed pattern, an empty
    /// list, a `start_time` of `25:00`.
    Unreadable,
    /// A form the API allows that this version does not compute.
    Unsupported,
    /// The policy API failed otherwise (a network error, a 5xx, a body that is not JSON).
    Error,
}

impl SkipReason {
    /// Every reason, in exposition order.
    pub const ALL: [SkipReason; 4] = [
        SkipReason::Forbidden,
        SkipReason::Unreadable,
        SkipReason::Unsupported,
        SkipReason::Error,
    ];

    /// The `reason` label of `cloud_task_schedule_skipped_total`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Forbidden => "forbidden",
            SkipReason::Unreadable => "unreadable",
            SkipReason::Unsupported => "unsupported",
            SkipReason::Error => "error",
        }
    }
}

/// A schedule passed over, for the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The policy it belongs to (empty when the whole read failed).
    pub policy: String,
    /// Why.
    pub reason: SkipReason,
    /// What was wrong, naming the field and value.
    pub message: String,
}

/// What a provider's policies say, as read at one time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policies {
    /// Every policy read, enabled or not.
    pub policies: Vec<Policy>,
    /// Resource → the policies that apply to it and are enabled for it (a disabled
    /// application leaves a resource out).
    pub by_resource: BTreeMap<String, BTreeSet<String>>,
    /// Resource → policies that name it but are disabled for it; a resource the provider
    /// knows that no policy names at all (in a CBR vault without a policy) has an empty set.
    pub disabled_for: BTreeMap<String, BTreeSet<String>>,
    /// Polled unit → the policy it is (VBS).
    pub by_unit: BTreeMap<String, String>,
    /// Schedules passed over while reading.
    pub skipped: Vec<Skipped>,
    /// The policies name only the resources the provider has seen them cover (AWS Backup:
    /// the resources of scheduled jobs): a resource they do not name gets no answer rather
    /// than "not covered".
    pub partial: bool,
}

/// Each readable policy's next and latest due run at one instant, by policy id.
#[derive(Debug, Clone, Default)]
pub struct Runs(BTreeMap<String, (Option<Timestamp>, Option<Timestamp>)>);

/// What the schedules say of one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    /// Whether an enabled, readable schedule covers it.
    pub covered: bool,
    /// The next run of any of its schedules after now.
    pub next: Option<Timestamp>,
    /// The latest run of any of its schedules that became due at or before now.
    pub last_due: Option<Timestamp>,
    /// The policies naming it, enabled or not: (id, name).
    pub policies: Vec<(String, String)>,
    /// The longest start window of the enabled policies covering it, where they give one.
    pub start_window: Option<Duration>,
}

impl Due {
    /// The duration `CloudBackupScheduledRunMissed` allows twice over a run (at least an
    /// hour in all): the usual duration, and at least half the start window, so that a run
    /// still waiting within its start window is not missed (`docs/metrics.md`, "Schedules").
    pub fn allowance_duration(&self, usual: Option<f64>) -> Option<f64> {
        let half_window = self.start_window.map(|w| w.as_secs_f64() / 2.0);
        match (usual, half_window) {
            (Some(u), Some(w)) => Some(u.max(w)),
            (u, w) => u.or(w),
        }
    }

    /// The run's allowance in seconds: max(2 × [`Due::allowance_duration`], 1 h).
    pub fn allowance(&self, usual: Option<f64>) -> f64 {
        self.allowance_duration(usual)
            .map_or(3600.0, |d| (2.0 * d).max(3600.0))
    }
}

impl Policies {
    /// What the policies say of `resource`, listed under `units` (its tasks' units), at `now`:
    /// not covered when no enabled policy names it; `None` when the only enabled ones could
    /// not be read (no guess: the learned rhythm is then its expectation).
    pub fn due(&self, resource: &str, units: &BTreeSet<String>, now: Timestamp) -> Option<Due> {
        self.due_with(resource, units, &self.runs(now, |_| None))
    }

    /// Each readable policy's next run after `now` and latest run at or before it, computed
    /// once for all the resources a policy covers ([`Policies::due_with`]). A schedule that
    /// counts its days from a run (a VBS `frequency` above 1: the API publishes no first
    /// day) counts them from `latest_run(policy id)`, the start of the latest run of the
    /// policy seen; before one is seen it has no runs, and its resources no answer.
    pub fn runs(&self, now: Timestamp, latest_run: impl Fn(&str) -> Option<Timestamp>) -> Runs {
        Runs(
            self.policies
                .iter()
                .filter_map(|p| {
                    let s = p.schedule.as_ref()?;
                    let anchored;
                    let s = if s.needs_anchor() {
                        anchored = s.anchored(latest_run(&p.id)?);
                        &anchored
                    } else {
                        s
                    };
                    Some((
                        p.id.clone(),
                        (s.next_after(now), s.latest_at_or_before(now)),
                    ))
                })
                .collect(),
        )
    }

    /// [`Policies::due`] with the policies' runs computed already.
    pub fn due_with(&self, resource: &str, units: &BTreeSet<String>, runs: &Runs) -> Option<Due> {
        let mut ids: BTreeSet<&str> = BTreeSet::new();
        if let Some(p) = self.by_resource.get(resource) {
            ids.extend(p.iter().map(String::as_str));
        }
        for u in units {
            if let Some(p) = self.by_unit.get(u) {
                ids.insert(p);
            }
        }
        let disabled: BTreeSet<&str> = self
            .disabled_for
            .get(resource)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if self.partial && ids.is_empty() && disabled.is_empty() {
            return None;
        }
        let mut due = Due {
            covered: false,
            next: None,
            last_due: None,
            policies: Vec::new(),
            start_window: None,
        };
        // An enabled policy whose schedule could not be read: no guess either way.
        let mut unreadable = false;
        for p in &self.policies {
            let named = ids.contains(p.id.as_str());
            if !named && !disabled.contains(p.id.as_str()) {
                continue;
            }
            due.policies.push((p.id.clone(), p.name.clone()));
            if !named || !p.enabled {
                continue;
            }
            let Some((next, last)) = runs.0.get(&p.id) else {
                unreadable = true;
                continue;
            };
            due.covered = true;
            if let Some(w) = p.start_window {
                due.start_window = Some(due.start_window.map_or(w, |m| m.max(w)));
            }
            if let Some(n) = *next {
                due.next = Some(due.next.map_or(n, |m| m.min(n)));
            }
            if let Some(l) = *last {
                due.last_due = Some(due.last_due.map_or(l, |m| m.max(l)));
            }
        }
        if !due.covered && unreadable {
            return None;
        }
        Some(due)
    }

    /// The resources the policies name or know (not those reached through a unit).
    pub fn resources(&self) -> impl Iterator<Item = &String> {
        self.by_resource.keys().chain(self.disabled_for.keys())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::cbr::Cbr;

    fn daily_at_2() -> Schedule {
        Schedule::Cbr(Cbr::parse(&["FREQ=DAILY;INTERVAL=1;BYHOUR=2;BYMINUTE=0"], None).unwrap())
    }

    fn policy(id: &str, enabled: bool, schedule: Option<Schedule>) -> Policy {
        Policy {
            id: id.into(),
            name: format!("{id}-name"),
            enabled,
            schedule,
            start_window: None,
        }
    }

    /// A resource is covered by an enabled, readable policy (by resource or through its
    /// unit), not covered when only disabled ones (or none) name it, and gets no answer when
    /// its only enabled policy could not be read.
    #[test]
    fn coverage_by_resource_by_unit_disabled_and_unreadable() {
        let now: Timestamp = "2026-12-07T03:00:00Z".parse().unwrap();
        let p = Policies {
            policies: vec![
                policy("on", true, Some(daily_at_2())),
                policy("off", false, Some(daily_at_2())),
                policy("bad", true, None),
                policy("vbs", true, Some(daily_at_2())),
            ],
            by_resource: [
                ("r-on".into(), ["on".into()].into()),
                ("r-bad".into(), ["bad".into()].into()),
                ("r-both".into(), ["bad".into(), "on".into()].into()),
            ]
            .into(),
            disabled_for: [
                ("r-off".into(), ["off".into()].into()),
                ("r-none".into(), BTreeSet::new()),
            ]
            .into(),
            by_unit: [("u1".into(), "vbs".into())].into(),
            skipped: vec![],
            partial: false,
        };
        let none = BTreeSet::new();
        let on = p.due("r-on", &none, now).unwrap();
        assert!(on.covered);
        assert_eq!(on.last_due, Some("2026-12-07T02:00:00Z".parse().unwrap()));
        assert_eq!(on.next, Some("2026-12-08T02:00:00Z".parse().unwrap()));
        assert_eq!(on.policies, [("on".to_string(), "on-name".to_string())]);
        let off = p.due("r-off", &none, now).unwrap();
        assert!(!off.covered && off.next.is_none() && off.last_due.is_none());
        assert_eq!(off.policies.len(), 1);
        assert!(!p.due("r-none", &none, now).unwrap().covered);
        assert!(!p.due("unknown", &none, now).unwrap().covered);
        assert_eq!(p.due("r-bad", &none, now), None, "no guess");
        assert!(p.due("r-both", &none, now).unwrap().covered);
        let vol = p.due("vol-1", &["u1".to_string()].into(), now).unwrap();
        assert!(vol.covered);
        assert_eq!(vol.policies, [("vbs".to_string(), "vbs-name".to_string())]);
    }

    /// A VBS policy every 3 days has no runs before one of its runs is seen (its volume gets
    /// no answer, never a guess); once seen, its days count from that run's day.
    #[test]
    fn every_n_days_counts_from_the_latest_run_seen() {
        use crate::schedule::vbs::{Vbs, VbsPolicy};
        let every_3 = Vbs::parse(&VbsPolicy {
            start_time: "02:00",
            frequency: Some(3),
            week_frequency: &[],
            time_zone: None,
            anchor: None,
        })
        .unwrap();
        let p = Policies {
            policies: vec![policy("vp", true, Some(Schedule::Vbs(every_3)))],
            by_unit: [("vp".into(), "vp".into())].into(),
            ..Policies::default()
        };
        let at = |s: &str| -> Timestamp { s.parse().unwrap() };
        let now = at("2026-12-07T03:00:00Z");
        let units: BTreeSet<String> = ["vp".to_string()].into();
        assert_eq!(p.due("vol-1", &units, now), None, "no run seen: no answer");
        let seen = |id: &str| (id == "vp").then(|| at("2026-12-02T02:00:41Z"));
        let due = p.due_with("vol-1", &units, &p.runs(now, seen)).unwrap();
        assert!(due.covered);
        assert_eq!(due.last_due, Some(at("2026-12-05T02:00:00Z")));
        assert_eq!(due.next, Some(at("2026-12-08T02:00:00Z")));
    }

    #[test]
    fn the_allowance_covers_the_start_window() {
        let due = |w: Option<u64>| Due {
            covered: true,
            next: None,
            last_due: None,
            policies: Vec::new(),
            start_window: w.map(Duration::from_secs),
        };
        // Without a window: max(2 × the usual duration, 1 h).
        assert_eq!(due(None).allowance(None), 3600.0);
        assert_eq!(due(None).allowance(Some(600.0)), 3600.0);
        assert_eq!(due(None).allowance(Some(7200.0)), 14_400.0);
        assert_eq!(due(None).allowance_duration(Some(600.0)), Some(600.0));
        // AWS Backup's default 8-hour start window: a job may wait that long to start.
        let eight = Some(8 * 3600);
        assert_eq!(due(eight).allowance(None), 28_800.0);
        assert_eq!(due(eight).allowance(Some(600.0)), 28_800.0);
        assert_eq!(due(eight).allowance(Some(20_000.0)), 40_000.0);
        assert_eq!(due(eight).allowance_duration(None), Some(14_400.0));
    }
}
