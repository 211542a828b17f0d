//! What `/` and `/api/v1/targets` show, built once from the hub so the page and the JSON carry
//! the same facts: problems first (targets that cannot be polled, a rejected reload, a failing
//! state file), then every target and, per (resource, type), the last result with the API's
//! message, the time since the last success against the expected rhythm, active tasks against
//! their limit, and the 14-day strip. The HTML is `status_page.rs`.

use serde::Serialize;

use crate::accounting::{LastCompletion, Tallies};
use crate::history::{Day, TASK_ID_MAX, cut, day_of};
use crate::hub::{Hub, TargetSnapshot};
use crate::rhythm::{Expected, GRACE_FACTOR, PairExpectation};

/// How a row, a cell or a problem looks: also its CSS class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Health {
    /// Something is wrong now (red).
    Bad,
    /// Late but within the grace, or a past problem (amber).
    Warn,
    /// Fine (green).
    Ok,
    /// Nothing to judge (grey).
    None,
}

impl Health {
    /// The CSS class.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            Health::Bad => "bad",
            Health::Warn => "warn",
            Health::Ok => "ok",
            Health::None => "none",
        }
    }
}

/// A problem shown at the top of the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Problem {
    /// `bad` or `warn`.
    pub health: Health,
    /// What is wrong, for people.
    pub text: String,
}

/// The latest completion of a pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct LastView {
    pub result: &'static str,
    /// End time (unix seconds).
    pub at: f64,
    pub task_id: String,
    /// Duration, when known.
    pub duration_seconds: Option<f64>,
    /// The API's error message, for a failure.
    pub message: Option<String>,
}

/// An active task.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ActiveView {
    pub task_id: String,
    /// `queued`, `running` or `paused`.
    pub state: &'static str,
    /// Start (or enqueue) time.
    pub start: Option<f64>,
    /// Seconds since `start`.
    pub(crate) age_seconds: Option<f64>,
    /// Progress 0–1.
    pub progress: Option<f64>,
    /// Past its active limit.
    pub stuck: bool,
}

/// One (resource, type) of a target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PairView {
    pub resource: String,
    /// Human-readable resource name, where the API gives it.
    pub resource_name: Option<String>,
    #[serde(rename = "type")]
    pub task_type: String,
    /// The worst of the cells below.
    pub health: Health,
    /// The latest completion.
    pub last: Option<LastView>,
    /// How the last result looks (`bad` for `failed`/`timed_out`).
    pub(crate) last_health: Health,
    /// End time of the latest success.
    pub last_success: Option<f64>,
    /// Seconds since then.
    pub(crate) last_success_age_seconds: Option<f64>,
    /// The age against the expected interval: ok within it, warn within the grace, bad after.
    pub age_health: Health,
    /// Expected gap between successes, and where it comes from.
    pub expected_interval_seconds: Option<f64>,
    /// `configured`, `learned` or `default`.
    pub expected_interval_source: Option<&'static str>,
    /// Usual duration of a success.
    pub expected_duration_seconds: Option<f64>,
    /// Active-task limit, and where it comes from.
    pub(crate) active_limit_seconds: Option<f64>,
    /// Active tasks now.
    pub active: Vec<ActiveView>,
    /// Completions of the last 14 days (UTC), oldest first.
    pub days: Vec<Day>,
}

/// One target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct TargetView {
    /// Name.
    pub name: String,
    /// Provider, once polled.
    pub provider: Option<&'static str>,
    /// A poll has finished.
    pub polled: bool,
    /// The latest poll succeeded.
    pub up: bool,
    /// End of the latest poll.
    pub(crate) last_poll: Option<f64>,
    /// End of the latest successful poll.
    pub last_success: Option<f64>,
    /// Reason and message of the latest poll's error.
    pub error: Option<(&'static str, String)>,
    /// Its (resource, type) pairs, problems first.
    pub pairs: Vec<PairView>,
}

/// Everything the status page and the targets API show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct StatusView {
    /// When it was built (unix seconds).
    pub now: f64,
    /// Problems, worst first.
    pub problems: Vec<Problem>,
    /// Targets in config order.
    pub targets: Vec<TargetView>,
}

/// Builds the view at `now` (unix seconds).
pub(crate) fn view(hub: &Hub, now: f64) -> StatusView {
    let snaps = hub.snapshots();
    let mut problems = Vec::new();
    if !hub.reload_status().0 {
        let why = hub.reload_error().unwrap_or_default();
        problems.push(Problem {
            health: Health::Bad,
            text: format!(
                "The last configuration reload was rejected; the previous configuration keeps running. {why}"
            ),
        });
    }
    if let Some(w) = hub.state_writes().filter(|w| w.errors > 0) {
        let failing = w.last_failure > w.last_success;
        let since = match w.last_success {
            Some(t) => format!("last successful write {}", ago(now, t)),
            None => "no successful write since start".to_string(),
        };
        let why = w.last_error.unwrap_or_default();
        problems.push(Problem {
            health: if failing { Health::Bad } else { Health::Warn },
            text: if failing {
                format!(
                    "The state file cannot be written ({} failed writes, {since}): a restart would lose or re-count completions. {why}",
                    w.errors
                )
            } else {
                format!(
                    "{} state-file writes failed since start; the latest write succeeded. Last error: {why}",
                    w.errors
                )
            },
        });
    }
    let mut targets = Vec::new();
    for name in hub.target_names() {
        let Some(s) = snaps.iter().find(|s| s.name == name) else {
            targets.push(TargetView {
                name,
                provider: None,
                polled: false,
                up: false,
                last_poll: None,
                last_success: None,
                error: None,
                pairs: Vec::new(),
            });
            continue;
        };
        let error = s
            .status
            .last_error
            .as_ref()
            .map(|e| (e.reason(), e.message.clone()));
        if let (false, true, Some((reason, message))) = (s.status.up, s.status.polled, &error) {
            problems.push(Problem {
                health: Health::Bad,
                text: format!(
                    "Target {} cannot be polled ({reason}): {message}. Its last good data is served.",
                    s.name
                ),
            });
        } else {
            // Resources that fail while the rest of the target polls fine (`docs/metrics.md` "Up, down, and half down").
            for (unit, h) in s.status.units.iter().filter(|(_, h)| !h.up) {
                let Some(e) = &h.last_error else { continue };
                let since = match h.last_success {
                    Some(t) => format!("last listed {}", ago(now, t)),
                    None => "never listed".to_string(),
                };
                problems.push(Problem {
                    health: Health::Bad,
                    text: format!(
                        "Resource {unit} of target {} cannot be polled ({}, {since}): {}. Its last values are kept; the target's other resources are polled as usual.",
                        s.name,
                        e.reason(),
                        e.message
                    ),
                });
            }
        }
        targets.push(TargetView {
            name: s.name.clone(),
            provider: Some(s.provider.as_str()),
            polled: s.status.polled,
            up: s.status.up,
            last_poll: s.status.last_attempt,
            last_success: s.status.last_success,
            error,
            pairs: pairs(s, now),
        });
    }
    problems.sort_by_key(|p| p.health);
    StatusView {
        now,
        problems,
        targets,
    }
}

fn pairs(s: &TargetSnapshot, now: f64) -> Vec<PairView> {
    let a = &s.tallies;
    let expected = s.expect.of(a);
    let mut keys: std::collections::BTreeSet<(&str, &str)> = a
        .last
        .keys()
        .chain(a.history.pairs.keys())
        .map(|(r, t)| (r.as_str(), t.as_str()))
        .collect();
    keys.extend(
        expected
            .iter()
            .map(|e| (e.resource.as_str(), e.task_type.as_str())),
    );
    let today = day_of(now);
    let mut out: Vec<PairView> = keys
        .into_iter()
        .map(|(r, t)| {
            let e = expected
                .iter()
                .find(|e| e.resource == r && e.task_type == t);
            pair(a, r, t, e, now, today)
        })
        .collect();
    out.sort_by(|x, y| {
        (x.health, &x.resource, &x.task_type).cmp(&(y.health, &y.resource, &y.task_type))
    });
    out
}

fn pair(
    a: &Tallies,
    r: &str,
    t: &str,
    e: Option<&PairExpectation>,
    now: f64,
    today: i32,
) -> PairView {
    let key = (r.to_string(), t.to_string());
    let last = a.last.get(&key);
    let history = a.history.pairs.get(&key);
    let last_view = last.map(|l: &LastCompletion| LastView {
        result: l.result.as_label(),
        at: l.at,
        task_id: l.task_id.clone(),
        duration_seconds: l.duration,
        message: history
            .and_then(|h| h.failure.as_ref())
            .filter(|f| l.result.is_failure() && f.task_id == cut(&l.task_id, TASK_ID_MAX))
            .and_then(|f| f.message.clone()),
    });
    let last_health = match last {
        Some(l) if l.result.is_failure() => Health::Bad,
        Some(l) if l.result.is_success() => Health::Ok,
        _ => Health::None,
    };
    let last_success = last
        .and_then(|l| l.last_success)
        .or_else(|| history.and_then(|h| h.last_success()));
    let age = last_success.map(|t| (now - t).max(0.0));
    let interval = e.and_then(|e| e.interval);
    let age_health = match (interval, age) {
        (None, _) => Health::None,
        (Some(_), None) => Health::Bad,
        (Some(i), Some(age)) if age <= i.secs => Health::Ok,
        (Some(i), Some(age)) if age <= GRACE_FACTOR * i.secs => Health::Warn,
        (Some(_), Some(_)) => Health::Bad,
    };
    let limit = e.and_then(|e| e.active_limit);
    let active: Vec<ActiveView> = a
        .active
        .iter()
        .filter(|x| x.resource == r && x.task_type == t)
        .map(|x| {
            let age = x.start.map(|s| (now - s).max(0.0));
            ActiveView {
                task_id: x.id.clone(),
                state: x.state.as_label(),
                start: x.start,
                age_seconds: age,
                progress: x.progress,
                stuck: matches!((age, limit), (Some(age), Some(Expected { secs, .. })) if age > secs),
            }
        })
        .collect();
    let stuck = if active.iter().any(|x| x.stuck) {
        Health::Bad
    } else {
        Health::None
    };
    PairView {
        resource: r.to_string(),
        resource_name: a.resource_info.get(r).map(|(n, _)| n.clone()),
        task_type: t.to_string(),
        health: [last_health, age_health, stuck]
            .into_iter()
            .min()
            .unwrap_or(Health::None),
        last: last_view,
        last_health,
        last_success,
        last_success_age_seconds: age,
        age_health,
        expected_interval_seconds: interval.map(|i| i.secs),
        expected_interval_source: interval.map(|i| i.source.as_str()),
        expected_duration_seconds: e.and_then(|e| e.usual_duration),
        active_limit_seconds: limit.map(|l| l.secs),
        active,
        days: history.map(|h| h.strip(today)).unwrap_or_default(),
    }
}

/// `3m 20s ago`.
pub fn ago(now: f64, t: f64) -> String {
    format!("{} ago", human((now - t).max(0.0) as u64))
}

/// `42s`, `36m 20s`, `2h 5m`, `3d 4h`: the two largest units, for people.
pub(crate) fn human(secs: u64) -> String {
    let units = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    let Some(i) = units.iter().position(|(n, _)| secs >= *n) else {
        return "0s".to_string();
    };
    let (big, b) = units[i];
    let mut out = format!("{}{b}", secs / big);
    if let Some((small, s)) = units.get(i + 1) {
        let rest = secs % big / small;
        if rest > 0 {
            out.push_str(&format!(" {rest}{s}"));
        }
    }
    out
}

/// `/api/v1/targets`: the view as JSON, plus the per-resource summary earlier versions served
/// (`resources`: last success and failure over every type, active task count).
pub fn targets_json(hub: &Hub, now: f64) -> serde_json::Value {
    let v = view(hub, now);
    let snaps = hub.snapshots();
    let targets: Vec<serde_json::Value> = v
        .targets
        .iter()
        .map(|t| {
            let Some(s) = snaps.iter().find(|s| s.name == t.name) else {
                return serde_json::json!({"name": t.name, "polled": false});
            };
            let mut resources = serde_json::Map::new();
            for r in &s.tallies.resources {
                let last_success = latest(&s.tallies, r, |l| l.last_success);
                resources.insert(
                    r.clone(),
                    serde_json::json!({
                        "last_success": last_success,
                        "last_success_age_seconds": last_success.map(|t| (now - t).max(0.0)),
                        "last_failure": latest(&s.tallies, r, |l| l.last_failure),
                        "active_tasks": s.tallies.active.iter().filter(|a| &a.resource == r).count(),
                    }),
                );
            }
            let units: serde_json::Map<String, serde_json::Value> = s
                .status
                .units
                .iter()
                .map(|(u, h)| {
                    (
                        u.clone(),
                        serde_json::json!({
                            "up": h.up,
                            "last_success": h.last_success,
                            "error": h.last_error.as_ref().map(|e| serde_json::json!({"reason": e.reason(), "message": e.message})),
                        }),
                    )
                })
                .collect();
            serde_json::json!({
                "name": s.name,
                "provider": s.provider.as_str(),
                "labels": s.labels,
                "polled": t.polled,
                "up": t.up,
                "last_poll": t.last_poll,
                "last_success": t.last_success,
                "error": t.error.as_ref().map(|(reason, message)| serde_json::json!({"reason": reason, "message": message})),
                "resources_polled": s.status.resources,
                "units": units,
                "tracked_tasks": s.tracked,
                "resources": resources,
                "pairs": t.pairs,
            })
        })
        .collect();
    serde_json::json!({ "now": now, "problems": v.problems, "targets": targets })
}

/// The latest of a `last_*` time over every task type of one resource.
fn latest(
    account: &Tallies,
    resource: &str,
    pick: impl Fn(&LastCompletion) -> Option<f64>,
) -> Option<f64> {
    account
        .last
        .iter()
        .filter(|((res, _), _)| res == resource)
        .filter_map(|(_, l)| pick(l))
        .reduce(f64::max)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ages_read_like_people_write_them() {
        assert_eq!(super::human(0), "0s");
        assert_eq!(super::human(42), "42s");
        assert_eq!(super::human(2180), "36m 20s");
        assert_eq!(super::human(7500), "2h 5m");
        assert_eq!(super::human(3 * 86_400 + 4 * 3600 + 59), "3d 4h");
        assert_eq!(super::human(86_400), "1d");
    }
}
