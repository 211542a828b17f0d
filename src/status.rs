//! What `/` and `/api/v1/targets` show, built once from the hub so the page and the JSON carry
//! the same facts: a headline that counts what needs attention by kind, then the problems
//! (targets and resources that cannot be polled, a rejected reload, a failing state file, and
//! every red or amber (resource, type)), each with its next step (the alert, the log line, the
//! runbook section); then every target and, per (resource, type), its state, the last result
//! with the API's message, since when it fails or is overdue, the time since the last success
//! against the expected rhythm, or, where a backup schedule covers the resource, against its
//! latest due run, with the next run and the policy; active tasks against their limit, and the
//! 14-day strip. The HTML is `status_page.rs`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::Serialize;

use crate::accounting::{ActiveTask, LastCompletion, Tallies};
use crate::history::{Day, PairHistory, TASK_ID_MAX, cut, day_of};
use crate::hub::{Hub, TargetSnapshot, UnitHealth};
use crate::rhythm::{Expected, PairExpectation, RHYTHM_TYPE};
use crate::schedule::Due;

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

/// What kind of thing needs attention; the headline counts problems by kind, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// A run of an enabled schedule became due and no success ended since, past its allowance.
    MissedRun,
    /// No enabled schedule covers a resource the exporter expects to be backed up.
    NotScheduled,
    /// The latest completed run of a (resource, type) failed or timed out.
    Failed,
    /// A target cannot be polled.
    TargetDown,
    /// One polled unit (resource) of a target cannot be listed.
    ResourceDown,
    /// An expected backup has no success within the lookback.
    NeverSucceeded,
    /// The last success is older than the expected interval plus its grace: the alert fires.
    Overdue,
    /// A task has been active longer than its limit.
    Stuck,
    /// The last success is older than the expected interval, still within the grace.
    Late,
    /// The latest configuration reload was rejected.
    Config,
    /// State-file writes fail, or failed since start.
    StateFile,
}

impl Kind {
    /// Every kind, in headline order.
    pub(crate) const ALL: [Kind; 11] = [
        Kind::MissedRun,
        Kind::NotScheduled,
        Kind::Failed,
        Kind::TargetDown,
        Kind::ResourceDown,
        Kind::NeverSucceeded,
        Kind::Overdue,
        Kind::Stuck,
        Kind::Late,
        Kind::Config,
        Kind::StateFile,
    ];

    /// How the headline counts it: `1 failed`, `2 targets down`.
    fn counted(self, n: usize) -> String {
        let (one, many) = match self {
            Kind::MissedRun => ("missed scheduled run", "missed scheduled runs"),
            Kind::NotScheduled => ("not scheduled", "not scheduled"),
            Kind::Failed => ("failed", "failed"),
            Kind::TargetDown => ("target down", "targets down"),
            Kind::ResourceDown => ("resource down", "resources down"),
            Kind::NeverSucceeded => ("never succeeded", "never succeeded"),
            Kind::Overdue => ("overdue", "overdue"),
            Kind::Stuck => ("stuck", "stuck"),
            Kind::Late => ("late", "late"),
            Kind::Config => ("rejected reload", "rejected reloads"),
            Kind::StateFile => ("state-file problem", "state-file problems"),
        };
        format!("{n} {}", if n == 1 { one } else { many })
    }

    /// The section of `docs/alerts.md` about it.
    pub(crate) const fn anchor(self) -> &'static str {
        self.alert_and_doc().1
    }

    /// The alert of `deploy/prometheus/alerts.yml` that fires (or will) for it, and the
    /// section of `docs/alerts.md` that says what to do.
    const fn alert_and_doc(self) -> (Option<&'static str>, &'static str) {
        match self {
            Kind::MissedRun => (
                Some("CloudBackupScheduledRunMissed"),
                "cloudbackupscheduledrunmissed",
            ),
            Kind::NotScheduled => (Some("CloudBackupNotScheduled"), "cloudbackupnotscheduled"),
            Kind::Failed => (Some("CloudTaskFailed"), "cloudtaskfailed"),
            Kind::TargetDown => (Some("CloudTaskTargetDown"), "cloudtasktargetdown"),
            Kind::ResourceDown => (Some("CloudTaskResourceDown"), "cloudtaskresourcedown"),
            Kind::NeverSucceeded => (
                Some("CloudBackupNeverSucceeded"),
                "cloudbackupneversucceeded",
            ),
            Kind::Overdue | Kind::Late => (Some("CloudBackupMissing"), "cloudbackupmissing"),
            Kind::Stuck => (Some("CloudTaskStuck"), "cloudtaskstuck"),
            Kind::Config => (None, "a-rejected-configuration-reload"),
            Kind::StateFile => (Some("CloudTaskStateNotSaved"), "cloudtaskstatenotsaved"),
        }
    }
}

/// What to do about a problem: the alert, the log line to grep, the runbook section.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct NextStep {
    /// The alert that fires for it (`deploy/prometheus/alerts.yml`); `None`: no rule covers it.
    pub alert: Option<&'static str>,
    /// When that alert fires (`CloudBackupMissing` of a late backup), unix seconds.
    pub alert_at: Option<f64>,
    /// The command that finds its log lines.
    pub log: String,
    /// The runbook section: `docs/alerts.md#<anchor>`, served at `/docs/alerts#<anchor>`.
    pub doc: String,
}

impl NextStep {
    fn of(kind: Kind, log: String) -> NextStep {
        let (alert, anchor) = kind.alert_and_doc();
        NextStep {
            alert,
            alert_at: None,
            log,
            doc: format!("docs/alerts.md#{anchor}"),
        }
    }
}

/// A problem shown at the top of the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Problem {
    /// `bad` or `warn`.
    pub health: Health,
    /// What kind of problem.
    pub kind: Kind,
    /// What is wrong, for people.
    pub text: String,
    /// The target, unless it concerns the exporter itself.
    pub target: Option<String>,
    /// The resource (or polled unit).
    pub resource: Option<String>,
    /// The task type.
    #[serde(rename = "type")]
    pub task_type: Option<String>,
    /// The task it is about (a failed or stuck one).
    pub task_id: Option<String>,
    /// Since when it lasts (unix seconds); `None`: since before anything the exporter saw.
    pub since: Option<f64>,
    /// What to do.
    pub next: NextStep,
}

/// The headline: how many problems need attention, by kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Attention {
    /// Problems in all; 0 is the only green headline.
    pub count: usize,
    /// By kind, only kinds with problems.
    pub by_kind: BTreeMap<Kind, usize>,
    /// `3 need attention: 1 failed, 2 overdue`, or that nothing does.
    pub text: String,
}

/// What state a (resource, type) is in, worst first; also the row's label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PairState {
    /// Its polled unit cannot be listed: what is shown is frozen.
    ResourceDown,
    /// The latest completed run failed or timed out.
    Failed,
    /// A scheduled run became due and no success ended since, past the run's allowance.
    MissedRun,
    /// Expected, and no success within the lookback.
    NeverSucceeded,
    /// The last success is past the grace of the rhythm.
    Overdue,
    /// An active task is past its limit.
    Stuck,
    /// The last success is past the rhythm, within the grace.
    Late,
    /// No enabled schedule covers the resource (and nothing worse is wrong).
    NotScheduled,
    /// Late or overdue by the clock (the rhythm's or the schedule's), but a run is active
    /// within its limit.
    InProgress,
    /// Fine.
    Ok,
    /// Nothing to judge.
    None,
}

impl PairState {
    /// The words on the row.
    pub(crate) const fn label(self) -> &'static str {
        match self {
            PairState::ResourceDown => "cannot be listed",
            PairState::Failed => "failed",
            PairState::MissedRun => "missed its scheduled run",
            PairState::NeverSucceeded => "never succeeded",
            PairState::Overdue => "overdue",
            PairState::Stuck => "stuck",
            PairState::Late => "late",
            PairState::NotScheduled => "not scheduled",
            PairState::InProgress => "in progress",
            PairState::Ok => "ok",
            PairState::None => "no rhythm",
        }
    }

    /// The CSS class.
    pub(crate) const fn class(self) -> &'static str {
        match self {
            PairState::InProgress => "run",
            _ => self.health().as_str(),
        }
    }

    /// Rows are ordered by this, then by how long the problem has lasted: failed, down and
    /// missed scheduled runs first, then overdue, then stuck and amber (late, not scheduled),
    /// then the rest.
    const fn rank(self) -> u8 {
        match self {
            PairState::ResourceDown | PairState::Failed | PairState::MissedRun => 0,
            PairState::NeverSucceeded | PairState::Overdue => 1,
            PairState::Stuck | PairState::Late | PairState::NotScheduled => 2,
            PairState::InProgress => 3,
            PairState::Ok => 4,
            PairState::None => 5,
        }
    }

    const fn health(self) -> Health {
        match self {
            PairState::ResourceDown
            | PairState::Failed
            | PairState::MissedRun
            | PairState::NeverSucceeded
            | PairState::Overdue
            | PairState::Stuck => Health::Bad,
            PairState::Late | PairState::NotScheduled => Health::Warn,
            PairState::Ok => Health::Ok,
            PairState::InProgress | PairState::None => Health::None,
        }
    }
}

/// The latest error of the polled unit a pair's resource is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct UnitError {
    /// The error's reason label.
    pub reason: &'static str,
    /// The error.
    pub message: String,
    /// End of the unit's latest good listing since start.
    pub last_listed: Option<f64>,
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

/// A backup policy naming a resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PolicyRef {
    /// The policy's id.
    pub id: String,
    /// The policy's name.
    pub name: String,
}

/// One (resource, type) of a target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct PairView {
    pub resource: String,
    /// Human-readable resource name, where the API gives it.
    pub resource_name: Option<String>,
    #[serde(rename = "type")]
    pub task_type: String,
    /// The worst of the cells below, except that a run in progress within its limit is not
    /// judged late or overdue (`none`).
    pub health: Health,
    /// What state it is in (`failed`, `overdue`, `in_progress`, ...).
    pub state: PairState,
    /// Since when its problem lasts (unix seconds); `None` without a problem, or when it
    /// started before anything the exporter kept (a never-succeeded backup).
    pub problem_since: Option<f64>,
    /// End of the first failure since the latest success, while the latest result failed.
    pub failing_since: Option<f64>,
    /// Failures and timeouts in a row since the latest success, as the history kept them;
    /// `None` when it was not kept (a state file from an earlier version).
    pub failures_in_row: Option<u32>,
    /// When the last success became older than the expected interval.
    pub overdue_since: Option<f64>,
    /// How far past the expected interval the last success is (seconds).
    pub overdue_seconds: Option<f64>,
    /// The error of its polled unit (when the resource is one), while it cannot be listed.
    pub unit_error: Option<UnitError>,
    /// What the strip says that the last result does not (`failed earlier, succeeded since`).
    pub note: Option<String>,
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
    /// The grace after it before a missing backup pages (`CloudBackupMissing`).
    pub expected_grace_seconds: Option<f64>,
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
    /// Whether an enabled schedule covers the resource; `None` where no schedule was read
    /// for it (a provider without schedules, policies not read, another task type): the
    /// rhythm is then its expectation. Where it is `true`, the schedule decides, not the
    /// rhythm.
    pub covered: Option<bool>,
    /// The next run of the schedules covering it (unix seconds).
    pub next_run: Option<f64>,
    /// The latest run of those schedules that became due (unix seconds).
    pub last_due: Option<f64>,
    /// How long after `last_due` a success may still end before the run counts as missed:
    /// max(2 × the usual duration, 1h), as `CloudBackupScheduledRunMissed` allows.
    pub run_allowance_seconds: Option<f64>,
    /// The policies naming the resource, enabled or not.
    pub policies: Vec<PolicyRef>,
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
    /// The headline: the problems counted by kind.
    pub attention: Attention,
    /// Problems, worst first, then the longest-lasting first.
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
        problems.push(exporter_problem(
            Health::Bad,
            Kind::Config,
            format!(
                "The last configuration reload was rejected; the previous configuration keeps running. {why}"
            ),
            None,
            "grep 'Configuration reload failed'",
        ));
    }
    if let Some(w) = hub.state_writes().filter(|w| w.errors > 0) {
        let failing = w.last_failure > w.last_success;
        let since = match w.last_success {
            Some(t) => format!("last successful write {}", at(now, t)),
            None => "no successful write since start".to_string(),
        };
        let why = w.last_error.unwrap_or_default();
        let mut p = exporter_problem(
            if failing { Health::Bad } else { Health::Warn },
            Kind::StateFile,
            if failing {
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
            w.last_success,
            "grep 'Cannot write the state file.'",
        );
        if !failing {
            p.since = w.last_failure;
        }
        problems.push(p);
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
            let served = match s.status.last_success {
                Some(t) => format!("Its last good data, from {}, is served.", at(now, t)),
                None if s.tallies.last.is_empty() && s.tallies.history.pairs.is_empty() => {
                    "The first poll has not succeeded yet: there is no data for it.".to_string()
                }
                None => "The data restored from the state file is served.".to_string(),
            };
            problems.push(Problem {
                health: Health::Bad,
                kind: Kind::TargetDown,
                text: format!(
                    "Target {} cannot be polled ({reason}): {message}. {served}",
                    s.name
                ),
                target: Some(s.name.clone()),
                resource: None,
                task_type: None,
                task_id: None,
                since: s.status.last_success,
                next: NextStep::of(
                    Kind::TargetDown,
                    format!("grep 'Poll failed' | grep 'target={}'", s.name),
                ),
            });
        } else {
            // Resources that fail while the rest of the target polls fine (`docs/metrics.md` "Up, down, and half down").
            for (unit, h) in s.status.units.iter().filter(|(_, h)| !h.up) {
                let Some(e) = &h.last_error else { continue };
                let (since, kept) = match h.last_success {
                    Some(t) => (
                        format!("last listed {}", at(now, t)),
                        "Its last values are kept",
                    ),
                    None => (
                        "not listed since the exporter started".to_string(),
                        "Nothing new is known of it",
                    ),
                };
                problems.push(Problem {
                    health: Health::Bad,
                    kind: Kind::ResourceDown,
                    text: format!(
                        "Resource {unit} of target {} cannot be polled ({}, {since}): {}. {kept}; the target's other resources are polled as usual.",
                        s.name,
                        e.reason(),
                        e.message
                    ),
                    target: Some(s.name.clone()),
                    resource: Some(unit.clone()),
                    task_type: None,
                    task_id: None,
                    since: h.last_success,
                    next: NextStep::of(
                        Kind::ResourceDown,
                        format!("grep 'Resource poll failed' | grep 'resource={unit}'"),
                    ),
                });
            }
        }
        let pairs = pairs(s, now);
        problems.extend(pairs.iter().flat_map(|p| pair_problems(&s.name, p, now)));
        targets.push(TargetView {
            name: s.name.clone(),
            provider: Some(s.provider.as_str()),
            polled: s.status.polled,
            up: s.status.up,
            last_poll: s.status.last_attempt,
            last_success: s.status.last_success,
            error,
            pairs,
        });
    }
    // Worst first, then the longest-lasting first (an unknown start counts as longest).
    problems.sort_by(|a, b| {
        (a.health, a.kind)
            .cmp(&(b.health, b.kind))
            .then_with(|| earliest_first(a.since, b.since))
    });
    StatusView {
        now,
        attention: attention(&problems),
        problems,
        targets,
    }
}

/// `None` (since before anything kept) first, then the earliest.
fn earliest_first(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(a), Some(b)) => a.total_cmp(&b),
    }
}

/// The order of the rows: by state (failed and down first, then overdue, then stuck and
/// late, then the rest), then the longest-lasting problem first, then by name.
pub(crate) fn row_order(a: (&str, &PairView), b: (&str, &PairView)) -> Ordering {
    let (ta, pa) = a;
    let (tb, pb) = b;
    pa.state
        .rank()
        .cmp(&pb.state.rank())
        .then_with(|| earliest_first(pa.problem_since, pb.problem_since))
        .then_with(|| pa.state.cmp(&pb.state))
        .then_with(|| (ta, &pa.resource, &pa.task_type).cmp(&(tb, &pb.resource, &pb.task_type)))
}

fn exporter_problem(
    health: Health,
    kind: Kind,
    text: String,
    since: Option<f64>,
    log: &str,
) -> Problem {
    Problem {
        health,
        kind,
        text,
        target: None,
        resource: None,
        task_type: None,
        task_id: None,
        since,
        next: NextStep::of(kind, log.to_string()),
    }
}

fn attention(problems: &[Problem]) -> Attention {
    let mut by_kind = BTreeMap::new();
    for p in problems {
        *by_kind.entry(p.kind).or_insert(0) += 1;
    }
    let count = problems.len();
    let text = if count == 0 {
        "Nothing needs attention: every target polls, and every backup's latest run succeeded on time."
            .to_string()
    } else {
        let kinds: Vec<String> = Kind::ALL
            .iter()
            .filter_map(|k| by_kind.get(k).map(|n| k.counted(*n)))
            .collect();
        format!(
            "{count} {} attention: {}",
            if count == 1 { "needs" } else { "need" },
            kinds.join(", ")
        )
    };
    Attention {
        count,
        by_kind,
        text,
    }
}

/// The problems of a row: the one its state stands for, and "not scheduled" besides when a
/// worse state hides it (both alerts fire).
fn pair_problems(target: &str, p: &PairView, now: f64) -> Vec<Problem> {
    let mut out: Vec<Problem> = pair_problem(target, p, now).into_iter().collect();
    if p.covered == Some(false) && p.state != PairState::NotScheduled {
        out.push(not_scheduled(target, p));
    }
    out
}

/// What `CloudBackupNotScheduled` says of a row.
fn not_scheduled(target: &str, p: &PairView) -> Problem {
    let what = format!("{} of {} ({target})", p.task_type, p.resource);
    let why = match p.policies.as_slice() {
        [] => "no backup policy names it".to_string(),
        [one] => format!("its policy {} ({}) is off for it", one.name, one.id),
        ps => {
            let names: Vec<String> = ps
                .iter()
                .map(|x| format!("{} ({})", x.name, x.id))
                .collect();
            format!("its policies {} are off for it", names.join(", "))
        }
    };
    Problem {
        health: Health::Warn,
        kind: Kind::NotScheduled,
        text: format!(
            "No enabled backup schedule covers the {what}: {why}. Nothing will back it up."
        ),
        target: Some(target.to_string()),
        resource: Some(p.resource.clone()),
        task_type: Some(p.task_type.clone()),
        task_id: None,
        since: None,
        next: NextStep::of(
            Kind::NotScheduled,
            format!("grep 'Read the backup policies' | grep 'target={target}'"),
        ),
    }
}

/// The problem a red or amber row stands for; a row whose unit cannot be listed is covered by
/// the unit's (or the target's) problem.
fn pair_problem(target: &str, p: &PairView, now: f64) -> Option<Problem> {
    let what = format!("{} of {} ({target})", p.task_type, p.resource);
    let every = p
        .expected_interval_seconds
        .map(|i| format!("expected every {}", human(i as u64)))
        .unwrap_or_default();
    let (kind, text, task_id, log) = match p.state {
        PairState::NotScheduled => return Some(not_scheduled(target, p)),
        PairState::MissedRun => {
            let due = p.last_due?;
            let last = match p.last_success {
                Some(t) => format!("last success {}", at(now, t)),
                None => "no success kept at all".to_string(),
            };
            let policy = match p.policies.as_slice() {
                [] => String::new(),
                ps => {
                    let names: Vec<String> = ps
                        .iter()
                        .map(|x| format!("{} ({})", x.name, x.id))
                        .collect();
                    format!(" of {}", names.join(", "))
                }
            };
            let next = p
                .next_run
                .map(|t| format!(" Next scheduled run {}.", at(now, t)))
                .unwrap_or_default();
            (
                Kind::MissedRun,
                format!(
                    "The {what} missed its scheduled run{policy} due {}: no success has ended since ({last}; allowed {} after the slot).{next}",
                    at(now, due),
                    human(p.run_allowance_seconds.unwrap_or(3600.0) as u64),
                ),
                None,
                format!("grep 'Task ' | grep 'resource={}'", p.resource),
            )
        }
        PairState::Failed => {
            let l = p.last.as_ref()?;
            let since = p.failing_since.unwrap_or(l.at);
            let row = match p.failures_in_row {
                Some(n) => format!(
                    "{n} {} in a row",
                    if n == 1 { "failure" } else { "failures" }
                ),
                None => "failures before it not counted".to_string(),
            };
            let msg = l
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            (
                Kind::Failed,
                format!(
                    "The latest {what} {}: failing since {} ({row}); task {}{msg}",
                    l.result,
                    at(now, since),
                    l.task_id
                ),
                Some(l.task_id.clone()),
                format!("grep 'Task ended badly' | grep 'task_id={}'", l.task_id),
            )
        }
        PairState::NeverSucceeded => (
            Kind::NeverSucceeded,
            format!("No successful {what} within the lookback ({every})."),
            None,
            format!("grep 'Task ' | grep 'resource={}'", p.resource),
        ),
        PairState::Overdue | PairState::Late => {
            let since = p.overdue_since?;
            let last = p.last_success?;
            let by = human(p.overdue_seconds.unwrap_or(0.0) as u64);
            let kind = if p.state == PairState::Overdue {
                Kind::Overdue
            } else {
                Kind::Late
            };
            let alert = match (kind, p.expected_interval_seconds, p.expected_grace_seconds) {
                (Kind::Late, Some(i), Some(g)) => format!(
                    " CloudBackupMissing fires at {} unless a run succeeds first.",
                    at(now, last + i + g)
                ),
                _ => String::new(),
            };
            (
                kind,
                format!(
                    "The {what} is {} since {} (by {by}): last success {}, {every}.{alert}",
                    if kind == Kind::Overdue {
                        "overdue"
                    } else {
                        "late"
                    },
                    at(now, since),
                    at(now, last),
                ),
                p.last.as_ref().map(|l| l.task_id.clone()),
                format!("grep 'Task ' | grep 'resource={}'", p.resource),
            )
        }
        PairState::Stuck => {
            let a = p.active.iter().find(|a| a.stuck)?;
            let limit = p
                .active_limit_seconds
                .map(|l| human(l as u64))
                .unwrap_or_default();
            (
                Kind::Stuck,
                format!(
                    "Task {} of the {what} has been {} for {}, past its limit of {limit}.",
                    a.task_id,
                    a.state,
                    human(a.age_seconds.unwrap_or(0.0) as u64)
                ),
                Some(a.task_id.clone()),
                format!("grep 'Task is active' | grep 'task_id={}'", a.task_id),
            )
        }
        PairState::ResourceDown | PairState::InProgress | PairState::Ok | PairState::None => {
            return None;
        }
    };
    let mut next = NextStep::of(kind, log);
    if kind == Kind::Late {
        next.alert_at = p
            .last_success
            .zip(p.expected_interval_seconds)
            .zip(p.expected_grace_seconds)
            .map(|((l, i), g)| l + i + g);
    }
    Some(Problem {
        health: p.health,
        kind,
        text,
        target: Some(target.to_string()),
        resource: Some(p.resource.clone()),
        task_type: Some(p.task_type.clone()),
        task_id,
        since: p.problem_since,
        next,
    })
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
    // A resource a policy names is a row even before its first task: the schedule alerts
    // speak of it.
    keys.extend(s.schedules.keys().map(|r| (r.as_str(), RHYTHM_TYPE)));
    let today = day_of(now);
    // Each pair's expectation and active tasks, looked up once (a page of 10,000 resources
    // must not scan every pair's list for each pair).
    let by_pair: BTreeMap<(&str, &str), &PairExpectation> = expected
        .iter()
        .map(|e| ((e.resource.as_str(), e.task_type.as_str()), e))
        .collect();
    let mut active: BTreeMap<(&str, &str), Vec<&ActiveTask>> = BTreeMap::new();
    for x in &a.active {
        active
            .entry((x.resource.as_str(), x.task_type.as_str()))
            .or_default()
            .push(x);
    }
    let none = Vec::new();
    let mut out: Vec<PairView> = keys
        .into_iter()
        .map(|(r, t)| {
            let e = by_pair.get(&(r, t)).copied();
            let due = s.schedules.get(r).filter(|_| t == RHYTHM_TYPE);
            let unit = s.status.units.get(r);
            let running = active.get(&(r, t)).unwrap_or(&none);
            pair(
                a,
                (r, t),
                (e, running),
                due,
                (unit, s.status.up),
                now,
                today,
            )
        })
        .collect();
    out.sort_by(|x, y| row_order(("", x), ("", y)));
    out
}

/// One row: `due` is what the schedules say of it, `polled` its unit's health and whether its
/// target is up.
fn pair(
    a: &Tallies,
    (r, t): (&str, &str),
    (e, running): (Option<&PairExpectation>, &[&ActiveTask]),
    due: Option<&Due>,
    (unit, target_up): (Option<&UnitHealth>, bool),
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
    let grace = e.and_then(|e| e.grace).unwrap_or(0.0);
    let limit = e.and_then(|e| e.active_limit);
    let active: Vec<ActiveView> = running
        .iter()
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
    let stuck = active
        .iter()
        .filter(|x| x.stuck)
        .filter_map(|x| x.start)
        .reduce(f64::min);
    let any_stuck = active.iter().any(|x| x.stuck);
    let running = !active.is_empty() && !any_stuck;
    // The schedule, where one covers the pair, decides instead of the rhythm, by the rule of
    // `CloudBackupScheduledRunMissed`: the latest due run is answered by a success that ended
    // after it; past max(2 × the usual duration, 1h) without one, the run was missed, unless a
    // run that started after the due time is still within that allowance of its start.
    let secs = |t: jiff::Timestamp| t.as_second() as f64;
    let covered = due.map(|d| d.covered);
    let scheduled = covered == Some(true);
    let last_due = due.and_then(|d| d.last_due).map(secs);
    let usual = e.and_then(|e| e.usual_duration);
    let allowance = due.map_or(3600.0, |d| d.allowance(usual));
    let unanswered = last_due.filter(|d| last_success.is_none_or(|s| s < *d));
    let run_after_due = unanswered.is_some_and(|d| {
        active
            .iter()
            .any(|x| x.start.is_some_and(|s| s >= d && now - s <= allowance))
    });
    let past_allowance = scheduled && unanswered.is_some_and(|d| now - d > allowance);
    // Not while the target cannot be polled: what it shows is frozen (`CloudTaskTargetDown`).
    let missed = past_allowance && target_up;
    let age_health = match (interval, age) {
        (_, Some(_)) if past_allowance => Health::Bad,
        (_, Some(_)) if scheduled => Health::Ok,
        (None, _) => Health::None,
        (Some(_), None) => Health::Bad,
        (Some(i), Some(age)) if age <= i.secs => Health::Ok,
        (Some(i), Some(age)) if age <= i.secs + grace => Health::Warn,
        (Some(_), Some(_)) => Health::Bad,
    };
    let unit_error = unit.filter(|u| !u.up).and_then(|u| {
        u.last_error.as_ref().map(|e| UnitError {
            reason: e.reason(),
            message: e.message.clone(),
            last_listed: u.last_success,
        })
    });
    // Failing, as `CloudTaskFailed` says: the latest failure is newer than the latest success
    // (a cancelled or skipped run after it does not end it).
    let failed = last.is_some_and(|l| {
        l.last_failure
            .is_some_and(|f| l.last_success.is_none_or(|s| f > s))
    });
    let (failures_in_row, failing_since) = match (failed, history) {
        (true, Some(h)) if h.failures_in_row > 0 => (Some(h.failures_in_row), h.failing_since),
        (true, _) => (None, last.and_then(|l| l.last_failure)),
        (false, _) => (None, None),
    };
    let overdue_since = interval.zip(last_success).map(|(i, l)| l + i.secs);
    let overdue_seconds = overdue_since.map(|o| now - o).filter(|o| *o > 0.0);
    let state = if unit_error.is_some() {
        PairState::ResourceDown
    } else if failed {
        PairState::Failed
    } else if missed && !run_after_due {
        PairState::MissedRun
    } else if (missed || matches!(age_health, Health::Bad | Health::Warn)) && running {
        PairState::InProgress
    } else if age_health == Health::Bad && last_success.is_none() {
        PairState::NeverSucceeded
    } else if age_health == Health::Bad && !scheduled {
        PairState::Overdue
    } else if any_stuck {
        PairState::Stuck
    } else if age_health == Health::Warn {
        PairState::Late
    } else if covered == Some(false) {
        PairState::NotScheduled
    } else if age_health == Health::Ok || last_health == Health::Ok {
        PairState::Ok
    } else {
        PairState::None
    };
    let problem_since = match state {
        PairState::ResourceDown => unit_error.as_ref().and_then(|u| u.last_listed),
        PairState::Failed => failing_since,
        PairState::MissedRun => last_due,
        PairState::Overdue | PairState::Late => overdue_since,
        PairState::Stuck => stuck.zip(limit).map(|(s, l)| s + l.secs),
        _ => None,
    };
    let days = history.map(|h| h.strip(today)).unwrap_or_default();
    PairView {
        resource: r.to_string(),
        resource_name: a.resource_info.get(r).map(|(n, _)| n.clone()),
        task_type: t.to_string(),
        health: state.health(),
        state,
        problem_since,
        failing_since,
        failures_in_row,
        overdue_since: overdue_since.filter(|_| overdue_seconds.is_some()),
        overdue_seconds,
        unit_error,
        note: note(last_health, history, &days, now),
        last: last_view,
        last_health,
        last_success,
        last_success_age_seconds: age,
        age_health,
        expected_interval_seconds: interval.map(|i| i.secs),
        expected_grace_seconds: interval.and(e.and_then(|e| e.grace)),
        expected_interval_source: interval.map(|i| i.source.as_str()),
        expected_duration_seconds: e.and_then(|e| e.usual_duration),
        active_limit_seconds: limit.map(|l| l.secs),
        active,
        days,
        covered,
        next_run: due.and_then(|d| d.next).map(secs),
        last_due,
        run_allowance_seconds: scheduled.then_some(allowance),
        policies: due
            .map(|d| {
                d.policies
                    .iter()
                    .map(|(id, name)| PolicyRef {
                        id: id.clone(),
                        name: name.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// A red day on the strip of a pair whose latest result succeeded.
fn note(last: Health, history: Option<&PairHistory>, days: &[Day], now: f64) -> Option<String> {
    if last != Health::Ok || !days.iter().any(|d| d.bad > 0) {
        return None;
    }
    let when = history
        .and_then(|h| h.failure.as_ref())
        .map(|f| format!(" (last failure {})", at(now, f.at)))
        .unwrap_or_default();
    Some(format!("failed earlier, succeeded since{when}"))
}

/// `2026-12-07 03:12 UTC (9m 24s ago)`, or `(in 5m)` for a time to come.
pub(crate) fn at(now: f64, t: f64) -> String {
    let utc = jiff::Timestamp::from_second(t.floor() as i64)
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default();
    if t > now + 0.5 {
        format!("{utc} (in {})", human((t - now) as u64))
    } else {
        format!("{utc} ({})", ago(now, t))
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
            let mut running: BTreeMap<&str, usize> = BTreeMap::new();
            for a in &s.tallies.active {
                *running.entry(a.resource.as_str()).or_insert(0) += 1;
            }
            for r in &s.tallies.resources {
                let last_success = latest(&s.tallies, r, |l| l.last_success);
                resources.insert(
                    r.clone(),
                    serde_json::json!({
                        "last_success": last_success,
                        "last_success_age_seconds": last_success.map(|t| (now - t).max(0.0)),
                        "last_failure": latest(&s.tallies, r, |l| l.last_failure),
                        "active_tasks": running.get(r.as_str()).copied().unwrap_or(0),
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
    serde_json::json!({ "now": now, "attention": v.attention, "problems": v.problems, "targets": targets })
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
