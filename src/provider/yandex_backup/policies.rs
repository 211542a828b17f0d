//! The backup policies of a Yandex target, read into [`Policies`] (`docs/providers.md`
//! "Backup policies"): which policies apply to the target's instances, whether each is on
//! for each instance, and the schedule of its backup sets. The client (`mod.rs`) makes the
//! requests and hands each decoded body to a [`Reading`]; nothing here does I/O.
//!
//! A policy that cannot be used is a [`Skipped`] of that policy, never a failed read: a
//! policy of another shape, a backup set that is not a calendar, an unknown enum, an
//! applications call that failed. Where such a policy may be what covers an instance, the
//! instance gets no answer (the policy stays named for it, without a schedule), so that no
//! resource is called unscheduled on a guess.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use jiff::tz::TimeZone;
use serde_json::Value;

use super::api::{ApiApplication, ApiBackupSet, ApiBackupTime, ApiPolicy, ApiTimeOfDay};
use super::state::enum_name;
use crate::provider::error::ProviderError;
use crate::provider::field::Text;
use crate::schedule::yandex::{Yandex, YandexTime};
use crate::schedule::{Policies, Policy, Schedule, ScheduleError, SkipReason, Skipped};

/// The zone of a policy's wall times (`repeatAt`, `timeFrom`, `timeTo`). The policy names
/// none, and the agent runs on each VM's own clock, which the API does not publish; UTC is
/// the reading `docs/providers.md` "Backup schedules" states.
pub(crate) const POLICY_TIME_ZONE: TimeZone = TimeZone::UTC;

/// `PolicySettings.RepeatePeriod` (sic), by number.
const PERIOD_NAMES: [&str; 5] = [
    "REPEATE_PERIOD_UNSPECIFIED",
    "HOURLY",
    "DAILY",
    "WEEKLY",
    "MONTHLY",
];

/// `PolicySettings.Day`, by number.
const DAY_NAMES: [&str; 8] = [
    "DAY_UNSPECIFIED",
    "MONDAY",
    "TUESDAY",
    "WEDNESDAY",
    "THURSDAY",
    "FRIDAY",
    "SATURDAY",
    "SUNDAY",
];

/// `PolicySettings.Interval.Type`, by number.
const INTERVAL_NAMES: [&str; 7] = [
    "TYPE_UNSPECIFIED",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "WEEKS",
    "MONTHS",
];

/// `PolicyApplication.Status`, by number.
const APPLICATION_STATUS_NAMES: [&str; 4] = ["STATUS_UNSPECIFIED", "OK", "RUNNING", "DISABLED"];

/// The policies of one read, as the listings and applications arrive.
#[derive(Debug)]
pub(crate) struct Reading {
    out: Policies,
    /// The target's instances (configured or discovered), when known: only they get
    /// entries, and one that no application names is known to be unscheduled.
    instances: Option<BTreeSet<String>>,
    /// Policy id → the instances whose `?computeInstanceId=` listing named it.
    listed_for: BTreeMap<String, BTreeSet<String>>,
    /// Enabled policies whose applications could not be read.
    unknown: BTreeSet<String>,
}

impl Reading {
    /// A read for a target whose instances are `instances`, when known.
    pub(crate) fn new(instances: Option<BTreeSet<String>>) -> Reading {
        Reading {
            out: Policies::default(),
            instances,
            listed_for: BTreeMap::new(),
            unknown: BTreeSet::new(),
        }
    }

    /// Takes in one `ListPolicies` answer: the folder's (`instance` `None`) or one
    /// instance's. A policy listed before (by another instance) is kept once.
    pub(crate) fn listed(&mut self, instance: Option<&str>, policies: Vec<Value>) {
        for v in policies {
            let Some(policy) = self.policy(v) else {
                continue;
            };
            if let Some(i) = instance {
                self.listed_for
                    .entry(policy.id.clone())
                    .or_default()
                    .insert(i.to_string());
            }
            if !self.out.policies.iter().any(|p| p.id == policy.id) {
                self.out.policies.push(policy);
            }
        }
    }

    /// The ids of the policies read, whose applications to ask for.
    pub(crate) fn policy_ids(&self) -> Vec<String> {
        self.out.policies.iter().map(|p| p.id.clone()).collect()
    }

    /// Takes in the `ListApplications` answer of `policy`, or its failure.
    pub(crate) fn applications(
        &mut self,
        policy: &str,
        read: Result<Vec<ApiApplication>, ProviderError>,
    ) {
        let Some(p) = self.out.policies.iter_mut().find(|p| p.id == policy) else {
            return;
        };
        let apps = match read {
            Ok(apps) => apps,
            Err(e) => {
                let reason = if e.status == Some(403) {
                    SkipReason::Forbidden
                } else {
                    SkipReason::Error
                };
                p.schedule = None;
                if p.enabled {
                    self.unknown.insert(p.id.clone());
                }
                self.out.skipped.push(Skipped {
                    policy: policy.to_string(),
                    reason,
                    message: e.to_string(),
                });
                return;
            }
        };
        let enabled = p.enabled;
        for a in apps {
            let Some(instance) = a.compute_instance_id.filter(|i| !i.is_empty()) else {
                continue;
            };
            if self.instances.as_ref().is_some_and(|k| !k.contains(&instance)) {
                continue;
            }
            let status = a
                .status
                .map(|Text(s)| enum_name(s, &APPLICATION_STATUS_NAMES))
                .unwrap_or_default();
            let on = a.enabled.unwrap_or(false) && !status.trim().eq_ignore_ascii_case("DISABLED");
            let side = if enabled && on {
                &mut self.out.by_resource
            } else {
                &mut self.out.disabled_for
            };
            side.entry(instance).or_default().insert(policy.to_string());
        }
    }

    /// The policies read. An instance of the target that no application names is known to
    /// be unscheduled (an empty `disabled_for` entry); an instance that an enabled policy
    /// whose applications were not read may cover, and that nothing else covers, is named
    /// by that policy, which has no schedule: no answer rather than a guess.
    pub(crate) fn finish(mut self) -> Policies {
        for policy in std::mem::take(&mut self.unknown) {
            let maybe: BTreeSet<String> = match self.listed_for.get(&policy) {
                Some(listed) => listed.clone(),
                None => self
                    .instances
                    .iter()
                    .flatten()
                    .chain(self.out.resources())
                    .cloned()
                    .collect(),
            };
            for i in maybe {
                let covered = self.out.by_resource.get(&i).is_some_and(|s| !s.is_empty());
                if !covered {
                    self.out
                        .by_resource
                        .entry(i)
                        .or_default()
                        .insert(policy.clone());
                }
            }
        }
        for i in self.instances.iter().flatten() {
            if !self.out.by_resource.contains_key(i) && !self.out.disabled_for.contains_key(i) {
                self.out.disabled_for.insert(i.clone(), BTreeSet::new());
            }
        }
        self.out
    }

    /// One listed policy, its schedule read when it is enabled; `None` without an id.
    fn policy(&mut self, v: Value) -> Option<Policy> {
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let p: ApiPolicy = match serde_json::from_value(v.clone()) {
            Ok(p) => p,
            Err(e) => {
                self.out.skipped.push(Skipped {
                    policy: id.clone().unwrap_or_default(),
                    reason: SkipReason::Unreadable,
                    message: format!("policy of another shape: {e}"),
                });
                // Its applications still say which instances it may cover: enabled (as far
                // as its own `enabled` says), it has no schedule, so they get no guess.
                return id.map(|id| Policy {
                    name: v
                        .get("name")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    id,
                    enabled: v.get("enabled") == Some(&Value::Bool(true)),
                    schedule: None,
                    start_window: None,
                });
            }
        };
        let Some(id) = id else {
            self.out.skipped.push(Skipped {
                policy: String::new(),
                reason: SkipReason::Unreadable,
                message: "a policy without an id".to_string(),
            });
            return None;
        };
        let scheduling = p.settings.and_then(|s| s.scheduling).unwrap_or_default();
        let enabled = p.enabled.unwrap_or(false) && scheduling.enabled.unwrap_or(false);
        let mut schedule = None;
        if enabled {
            match schedule_of(scheduling.backup_sets.as_deref().unwrap_or_default()) {
                Ok(s) => schedule = Some(s),
                Err((reason, message)) => self.out.skipped.push(Skipped {
                    policy: id.clone(),
                    reason,
                    message,
                }),
            }
        }
        Some(Policy {
            id,
            name: p.name.unwrap_or_default(),
            enabled,
            schedule,
            start_window: None,
        })
    }
}

/// The schedule of a policy's backup sets: a run of any set is a run of the policy. Every
/// set must be read; one that cannot be makes the whole schedule unknown.
fn schedule_of(sets: &[ApiBackupSet]) -> Result<Schedule, (SkipReason, String)> {
    if sets.is_empty() {
        return Err((
            SkipReason::Unreadable,
            "settings.scheduling.backupSets is empty: the policy names no run".to_string(),
        ));
    }
    let mut parts = Vec::with_capacity(sets.len());
    for (i, set) in sets.iter().enumerate() {
        match (&set.time, &set.since_last_exec_time) {
            (Some(t), _) => match time(t) {
                Ok(y) => parts.push(Schedule::Yandex(y)),
                Err(e) => {
                    let reason = match e {
                        ScheduleError::Unsupported { .. } => SkipReason::Unsupported,
                        _ => SkipReason::Unreadable,
                    };
                    return Err((reason, format!("backupSets[{i}].time: {e}")));
                }
            },
            (None, Some(_)) => {
                return Err((
                    SkipReason::Unsupported,
                    format!(
                        "backupSets[{i}]: sinceLastExecTime runs a delay after the previous run ended, which no calendar holds"
                    ),
                ));
            }
            (None, None) => {
                return Err((
                    SkipReason::Unreadable,
                    format!("backupSets[{i}] has neither time nor sinceLastExecTime"),
                ));
            }
        }
    }
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        Schedule::Any(parts)
    })
}

/// A backup set's `time`, read in [`POLICY_TIME_ZONE`].
fn time(t: &ApiBackupTime) -> Result<Yandex, ScheduleError> {
    let kind = enum_name(text(t.period.as_ref(), "REPEATE_PERIOD_UNSPECIFIED"), &PERIOD_NAMES);
    let weekdays: Vec<String> = t
        .weekdays
        .iter()
        .flatten()
        .map(|d| enum_name(d.0.clone(), &DAY_NAMES))
        .collect();
    let weekdays: Vec<&str> = weekdays.iter().map(String::as_str).collect();
    let repeat_at = t
        .repeat_at
        .iter()
        .flatten()
        .map(|hm| time_of_day("repeatAt", hm))
        .collect::<Result<Vec<_>, _>>()?;
    let repeat_every = match &t.repeat_every {
        Some(r) => Some((
            enum_name(text(r.unit.as_ref(), "TYPE_UNSPECIFIED"), &INTERVAL_NAMES),
            int64("repeatEvery.count", r.count.as_ref())?,
        )),
        None => None,
    };
    let ints = |field, v: &Option<Vec<Text>>| -> Result<Vec<i64>, ScheduleError> {
        v.iter().flatten().map(|n| int64(field, Some(n))).collect()
    };
    let monthdays = ints("monthdays", &t.monthdays)?;
    let months = ints("months", &t.months)?;
    Yandex::parse(
        &YandexTime {
            kind: &kind,
            repeat_at: &repeat_at,
            repeat_every: repeat_every.as_ref().map(|(k, c)| (k.as_str(), *c)),
            time_from: t.time_from.as_ref().map(|hm| time_of_day("timeFrom", hm)).transpose()?,
            time_to: t.time_to.as_ref().map(|hm| time_of_day("timeTo", hm)).transpose()?,
            weekdays: &weekdays,
            monthdays: &monthdays,
            include_last_day_of_month: t.include_last_day_of_month.unwrap_or(false),
            months: &months,
        },
        POLICY_TIME_ZONE,
    )
}

/// An enum's text, `default` when absent (proto3 leaves the zero value out).
fn text(v: Option<&Text>, default: &str) -> String {
    v.map_or_else(|| default.to_string(), |Text(s)| s.clone())
}

/// A `TimeOfDay`: an absent hour or minute is 0.
fn time_of_day(field: &'static str, hm: &ApiTimeOfDay) -> Result<(i64, i64), ScheduleError> {
    Ok((
        int64(field, hm.hour.as_ref())?,
        int64(field, hm.minute.as_ref())?,
    ))
}

/// An int64 (a JSON string or number); absent is 0.
fn int64(field: &'static str, v: Option<&Text>) -> Result<i64, ScheduleError> {
    let Some(Text(s)) = v else {
        return Ok(0);
    };
    s.trim().parse().map_err(|_| ScheduleError::Invalid {
        field,
        value: s.chars().take(64).collect(),
        expected: "an integer",
    })
}

/// Below this many listed instances, each refresh reads them all (one `ListPolicies` each);
/// above it, a refresh reads at most max(this, instances × interval / reconcile interval).
pub(crate) const SPREAD_AT_LEAST: usize = 500;

/// The policy reads of a target with listed instances (one `ListPolicies` call each),
/// spread over the polls of a reconcile interval (`docs/providers.md` "Backup policies"):
/// each refresh reads at most max(500, instances × interval / reconcile interval) instances, the ones read longest ago
/// first, and the policies are built from every instance's latest answer. A round begins
/// at each reconcile and lasts until every instance has been read once; while it lasts, the
/// scheduler asks for a refresh every poll.
#[derive(Debug)]
pub(crate) struct Spread {
    /// The configured instances, in their order.
    ids: Vec<String>,
    /// The instances, the one read longest ago (or never) first.
    queue: VecDeque<String>,
    /// How many instances of the front of `queue` the round has still to read.
    remaining: usize,
    /// At most this many instances are read per refresh.
    per_read: usize,
    /// Instance → the policies of its latest `ListPolicies` answer, still JSON.
    listed: BTreeMap<String, Vec<Value>>,
    /// Policy → its latest `ListApplications` answer, or how it failed.
    applications: BTreeMap<String, Result<Vec<ApiApplication>, ProviderError>>,
    /// The policies whose listing or applications were read in the current refresh: only
    /// their skipped schedules are reported, once per read as before.
    touched: BTreeSet<String>,
}

impl Spread {
    /// The reads of `ids`, polled every `interval`, each read once per `reconcile`.
    pub(crate) fn new(ids: &[String], interval: Duration, reconcile: Duration) -> Spread {
        let n = ids.len();
        let share = if reconcile.is_zero() {
            n
        } else {
            let exact = n as f64 * interval.as_secs_f64() / reconcile.as_secs_f64();
            exact.ceil().min(n as f64) as usize
        };
        Spread {
            ids: ids.to_vec(),
            queue: ids.iter().cloned().collect(),
            remaining: 0,
            per_read: share.max(SPREAD_AT_LEAST).max(1),
            listed: BTreeMap::new(),
            applications: BTreeMap::new(),
            touched: BTreeSet::new(),
        }
    }

    /// Whether the round has instances left to read: the next poll should refresh.
    pub(crate) fn pending(&self) -> bool {
        self.remaining > 0
    }

    /// The instances to read now, the ones read longest ago first; a refresh outside a round
    /// begins one.
    pub(crate) fn batch(&mut self) -> Vec<String> {
        if self.remaining == 0 {
            self.remaining = self.queue.len();
        }
        let k = self.per_read.min(self.remaining);
        self.queue.iter().take(k).cloned().collect()
    }

    /// A `ListPolicies` call of the batch failed: the round ends (the next begins at the
    /// next reconcile, as a failed read is retried today), the kept answers stay, and the
    /// unread instances stay first in line.
    pub(crate) fn failed(&mut self) {
        self.remaining = 0;
    }

    /// Keeps the batch's answers; the instances read go to the back of the line. Returns
    /// the policies whose applications to read: those the batch listed, and those any kept
    /// answer names whose applications are not known (never read, or the call failed).
    pub(crate) fn listed(&mut self, answers: Vec<(String, Vec<Value>)>) -> Vec<String> {
        let k = answers.len();
        self.remaining = self.remaining.saturating_sub(k);
        let mut fresh = Reading::new(None);
        for (id, policies) in answers {
            fresh.listed(None, policies.clone());
            self.listed.insert(id, policies);
        }
        for _ in 0..k {
            if let Some(id) = self.queue.pop_front() {
                self.queue.push_back(id);
            }
        }
        let mut ids = fresh.policy_ids();
        self.touched = ids.iter().cloned().collect();
        if !fresh.out.skipped.is_empty() || !self.touched.is_empty() {
            // A policy without an id is reported under no id.
            self.touched.insert(String::new());
        }
        for p in self.all().policy_ids() {
            let known = matches!(self.applications.get(&p), Some(Ok(_)));
            if !known && self.touched.insert(p.clone()) {
                ids.push(p);
            }
        }
        ids
    }

    /// Keeps `policy`'s applications answer, or its failure.
    pub(crate) fn applications(
        &mut self,
        policy: &str,
        read: Result<Vec<ApiApplication>, ProviderError>,
    ) {
        self.applications.insert(policy.to_string(), read);
    }

    /// The policies from every instance's latest answer. An instance not read yet gets no
    /// answer ([`Policies::partial`]) rather than "not covered".
    pub(crate) fn policies(&mut self) -> Policies {
        let mut read = self.all();
        let ids = read.policy_ids();
        self.applications.retain(|p, _| ids.contains(p));
        for p in &ids {
            if let Some(apps) = self.applications.get(p) {
                read.applications(p, apps.clone());
            }
        }
        let mut out = read.finish();
        out.partial = self.listed.len() < self.ids.len();
        out.skipped.retain(|s| self.touched.contains(&s.policy));
        out
    }

    /// A reading of every kept answer, in the configured order of the instances.
    fn all(&self) -> Reading {
        let read_ones = self.listed.keys().cloned().collect();
        let mut read = Reading::new(Some(read_ones));
        for id in &self.ids {
            if let Some(policies) = self.listed.get(id) {
                read.listed(Some(id), policies.clone());
            }
        }
        read
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::error::Reason;
    use crate::provider::http::decode_json;
    use jiff::Timestamp;

    use super::super::api::{ListApplicationsResponse, ListPoliciesResponse};

    #[test]
    fn spread_reads_a_bounded_share_oldest_first_and_a_failure_ends_the_round() {
        let ids: Vec<String> = (0..1200).map(|i| format!("vm{i:04}")).collect();
        let hour = Duration::from_secs(3600);
        let mut s = Spread::new(&ids, Duration::from_secs(300), hour);
        let first = s.batch();
        assert_eq!(first, ids[..500]);
        s.listed(first.into_iter().map(|i| (i, Vec::new())).collect());
        assert!(s.pending());
        let p = s.policies();
        assert!(p.partial, "700 not read yet");
        assert_eq!(p.disabled_for.len(), 500, "only the read ones are known");
        // The second batch fails: the round ends, the first answers stay, and the unread
        // ones come first at the next round.
        assert_eq!(s.batch(), ids[500..1000]);
        s.failed();
        assert!(!s.pending());
        assert_eq!(s.policies().disabled_for.len(), 500);
        let next = s.batch();
        assert_eq!(next, ids[500..1000]);
        s.listed(next.into_iter().map(|i| (i, Vec::new())).collect());
        let last = s.batch();
        assert_eq!(last, ids[1000..].iter().chain(&ids[..300]).cloned().collect::<Vec<_>>());
        s.listed(last.into_iter().map(|i| (i, Vec::new())).collect());
        // A new round reads each instance once: 200 left.
        assert!(s.pending());
        let rest = s.batch();
        assert_eq!(rest, ids[300..500]);
        s.listed(rest.into_iter().map(|i| (i, Vec::new())).collect());
        assert!(!s.pending());
        let p = s.policies();
        assert!(!p.partial);
        assert_eq!(p.disabled_for.len(), 1200);
        // Up to 500 instances, a refresh reads them all.
        let mut few = Spread::new(&ids[..500], Duration::from_secs(300), hour);
        assert_eq!(few.batch().len(), 500);
        // A share above 500: 1,200 × 300 s / 600 s.
        let mut many = Spread::new(&ids, Duration::from_secs(300), hour / 6);
        assert_eq!(many.batch().len(), 600);
    }

    /// A `ListPolicies` body in the reference's shape (`policy.proto`): int64 as strings,
    /// defaults left out (the second policy has no `enabled`; `repeatAt` `{}` is 00:00),
    /// enums by name or number, settings the schedule does not read.
    const POLICIES: &str = r#"{"policies": [
      {"id": "cbr-daily", "name": "nightly", "createdAt": "2024-05-01T10:00:00Z",
       "enabled": true, "folderId": "b1g",
       "settings": {"compression": "NORMAL", "retention": {"rules": [{"maxCount": "7"}]},
         "scheduling": {"enabled": true, "scheme": "ALWAYS_INCREMENTAL",
           "randMaxDelay": {"type": "MINUTES", "count": "30"},
           "backupSets": [{"type": "TYPE_AUTO",
             "time": {"type": "DAILY", "repeatAt": [{"hour": "2"}]}}]}}},
      {"id": "off", "name": "switched off",
       "settings": {"scheduling": {"enabled": true,
         "backupSets": [{"time": {"type": "DAILY", "repeatAt": [{}]}}]}}},
      {"id": "two-sets", "name": "two", "enabled": true,
       "settings": {"scheduling": {"enabled": true, "backupSets": [
         {"time": {"type": 2, "repeatAt": [{"hour": 1, "minute": "30"}]}},
         {"time": {"type": "WEEKLY", "weekdays": ["SUNDAY", 1], "repeatAt": [{"hour": "22"}]}}]}}},
      {"id": "delay", "name": "after the last", "enabled": true,
       "settings": {"scheduling": {"enabled": true, "backupSets": [
         {"sinceLastExecTime": {"delay": {"type": "HOURS", "count": "6"}}}]}}},
      {"id": "empty", "enabled": true, "settings": {"scheduling": {"enabled": true}}},
      {"id": "yearly", "enabled": true, "settings": {"scheduling": {"enabled": true,
         "backupSets": [{"time": {"type": "YEARLY", "repeatAt": [{"hour": "3"}]}}]}}},
      {"id": "odd", "enabled": true, "settings": {"scheduling": "on"}},
      {"name": "no id", "enabled": true}
    ]}"#;

    fn apps(json: &str) -> Result<Vec<ApiApplication>, ProviderError> {
        let r: ListApplicationsResponse = decode_json(json.as_bytes(), "ListApplications")?;
        Ok(r.applications.unwrap_or_default())
    }

    fn listed(r: &mut Reading, instance: Option<&str>, json: &str) {
        let page: ListPoliciesResponse = decode_json(json.as_bytes(), "ListPolicies").unwrap();
        r.listed(instance, page.policies.unwrap_or_default());
    }

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn policies_decode_with_proto3_omissions_and_each_bad_one_is_a_skip() {
        let mut r = Reading::new(None);
        listed(&mut r, None, POLICIES);
        let ids = r.policy_ids();
        assert_eq!(
            ids,
            ["cbr-daily", "off", "two-sets", "delay", "empty", "yearly", "odd"]
        );
        let p = r.finish();
        let by = |id: &str| p.policies.iter().find(|x| x.id == id).unwrap();
        let daily = by("cbr-daily");
        assert!(daily.enabled);
        assert_eq!(daily.name, "nightly");
        let s = daily.schedule.as_ref().unwrap();
        assert_eq!(
            s.next_after(at("2026-12-07T03:00:00Z")),
            Some(at("2026-12-08T02:00:00Z"))
        );
        // No `enabled`: false; a disabled policy has no schedule and no skip.
        assert!(!by("off").enabled && by("off").schedule.is_none());
        // 2026-12-06 is a Sunday: DAILY 01:30 and WEEKLY Sunday and Monday (`1`) 22:00.
        let two = by("two-sets").schedule.as_ref().unwrap();
        assert!(matches!(two, Schedule::Any(v) if v.len() == 2));
        assert_eq!(
            two.next_after(at("2026-12-06T02:00:00Z")),
            Some(at("2026-12-06T22:00:00Z"))
        );
        assert_eq!(
            two.latest_at_or_before(at("2026-12-07T23:00:00Z")),
            Some(at("2026-12-07T22:00:00Z"))
        );
        for id in ["delay", "empty", "yearly", "odd"] {
            assert!(by(id).schedule.is_none(), "{id}");
        }
        // `scheduling` of another shape: its own `enabled` is kept, so the instances it
        // applies to get no answer rather than "unscheduled".
        assert!(by("odd").enabled);
        let skips: Vec<(&str, SkipReason, &str)> = p
            .skipped
            .iter()
            .map(|s| (s.policy.as_str(), s.reason, s.message.as_str()))
            .collect();
        assert_eq!(skips.len(), 5, "{skips:#?}");
        assert_eq!(skips[0].0, "delay");
        assert_eq!(skips[0].1, SkipReason::Unsupported);
        assert!(skips[0].2.starts_with("backupSets[0]: sinceLastExecTime"));
        assert_eq!(
            skips[1],
            (
                "empty",
                SkipReason::Unreadable,
                "settings.scheduling.backupSets is empty: the policy names no run"
            )
        );
        assert_eq!(
            skips[2],
            (
                "yearly",
                SkipReason::Unreadable,
                "backupSets[0].time: type: \"YEARLY\" is not HOURLY, DAILY, WEEKLY or MONTHLY"
            )
        );
        assert_eq!((skips[3].0, skips[3].1), ("odd", SkipReason::Unreadable));
        assert_eq!(skips[4], ("", SkipReason::Unreadable, "a policy without an id"));
    }

    #[test]
    fn an_unreadable_int64_or_a_past_midnight_window_is_named() {
        let mut r = Reading::new(None);
        listed(
            &mut r,
            None,
            r#"{"policies": [
              {"id": "a", "enabled": true, "settings": {"scheduling": {"enabled": true,
                "backupSets": [{"time": {"type": "DAILY", "repeatAt": [{"hour": "two"}]}}]}}},
              {"id": "b", "enabled": true, "settings": {"scheduling": {"enabled": true,
                "backupSets": [{"time": {"type": "HOURLY", "repeatEvery": {"type": "HOURS", "count": "1"},
                  "timeFrom": {"hour": "20"}, "timeTo": {"hour": "4"}}}]}}}
            ]}"#,
        );
        let p = r.finish();
        assert_eq!(
            p.skipped[0].message,
            "backupSets[0].time: repeatAt: \"two\" is not an integer"
        );
        assert_eq!(
            (p.skipped[1].reason, p.skipped[0].reason),
            (SkipReason::Unsupported, SkipReason::Unreadable)
        );
    }

    #[test]
    fn applications_decide_coverage_per_instance() {
        let known: BTreeSet<String> = ["vm-on", "vm-off", "vm-none", "vm-status"]
            .map(String::from)
            .into();
        let mut r = Reading::new(Some(known));
        listed(&mut r, None, POLICIES);
        r.applications(
            "cbr-daily",
            apps(
                r#"{"applications": [
              {"policyId": "cbr-daily", "computeInstanceId": "vm-on", "enabled": true, "status": "OK"},
              {"policyId": "cbr-daily", "computeInstanceId": "vm-off", "status": "DISABLED"},
              {"policyId": "cbr-daily", "computeInstanceId": "vm-status", "enabled": true, "status": 3},
              {"policyId": "cbr-daily", "computeInstanceId": "other-folder", "enabled": true}
            ]}"#,
            ),
        );
        r.applications(
            "off",
            apps(r#"{"applications": [{"computeInstanceId": "vm-on", "enabled": true, "status": "RUNNING"}]}"#),
        );
        r.applications("two-sets", apps(r#"{"applications": null}"#));
        r.applications("delay", apps("{}"));
        let p = r.finish();
        assert_eq!(p.by_resource.len(), 1);
        assert_eq!(p.by_resource["vm-on"], ["cbr-daily".to_string()].into());
        assert_eq!(p.disabled_for["vm-on"], ["off".to_string()].into());
        assert_eq!(p.disabled_for["vm-off"], ["cbr-daily".to_string()].into());
        assert_eq!(p.disabled_for["vm-status"], ["cbr-daily".to_string()].into());
        assert_eq!(p.disabled_for["vm-none"], BTreeSet::new());
        assert!(!p.disabled_for.contains_key("other-folder"));
        let now = at("2026-12-07T03:00:00Z");
        let none = BTreeSet::new();
        let on = p.due("vm-on", &none, now).unwrap();
        assert!(on.covered);
        assert_eq!(on.last_due, Some(at("2026-12-07T02:00:00Z")));
        assert!(!p.due("vm-none", &none, now).unwrap().covered);
    }

    #[test]
    fn a_failed_applications_call_skips_the_policy_and_guesses_no_coverage() {
        let known: BTreeSet<String> = ["vm-a", "vm-b", "vm-c"].map(String::from).into();
        let mut r = Reading::new(Some(known));
        let one = r#"{"policies": [{"id": "p1", "name": "n", "enabled": true, "settings":
            {"scheduling": {"enabled": true, "backupSets": [{"time": {"type": "DAILY", "repeatAt": [{"hour": "2"}]}}]}}}]}"#;
        let two = r#"{"policies": [{"id": "p2", "enabled": true, "settings":
            {"scheduling": {"enabled": true, "backupSets": [{"time": {"type": "DAILY", "repeatAt": [{}]}}]}}}]}"#;
        listed(&mut r, Some("vm-a"), one);
        listed(&mut r, Some("vm-b"), one);
        listed(&mut r, Some("vm-b"), two);
        assert_eq!(r.policy_ids(), ["p1", "p2"], "listed twice, kept once");
        let denied = ProviderError {
            reason: Reason::Auth,
            status: Some(403),
            message: "policy 'p1': ListApplications: HTTP 403: 7: Permission denied".into(),
        };
        r.applications("p1", Err(denied));
        r.applications(
            "p2",
            apps(r#"{"applications": [{"computeInstanceId": "vm-b", "enabled": true, "status": "OK"}]}"#),
        );
        let p = r.finish();
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].policy, "p1");
        assert_eq!(p.skipped[0].reason, SkipReason::Forbidden);
        assert!(p.policies[0].schedule.is_none(), "its schedule is not used");
        let now = at("2026-12-07T03:00:00Z");
        let none = BTreeSet::new();
        // vm-a may be covered by p1 alone: no answer. vm-b is covered by p2 whatever p1 does.
        assert_eq!(p.due("vm-a", &none, now), None);
        let b = p.due("vm-b", &none, now).unwrap();
        assert!(b.covered);
        assert_eq!(b.policies, [("p2".to_string(), String::new())]);
        // vm-c listed no policy: known, unscheduled.
        assert!(!p.due("vm-c", &none, now).unwrap().covered);
    }
}
