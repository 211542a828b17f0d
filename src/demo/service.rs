//! How a provider shows the demo's tasks: the [`Demo`] trait each provider's folder
//! implements (`provider/<kind>/demo.rs`), and the provider-neutral [`DemoTask`] it renders
//! into the simulator in its API's own shapes. The demo world that moves the tasks, and
//! `--demo` itself, are in the parent module, above the providers.

use jiff::{SignedDuration, Timestamp};

use crate::sim::Sim;

/// How the demo shows one provider's API; `provider/<kind>/demo.rs` implements it for the
/// provider's client (the registry requires it).
pub(crate) trait Demo {
    /// The demo target's name.
    const NAME: &'static str;
    /// The resources the demo's tasks run on.
    const RESOURCES: &'static [&'static str];
    /// Task kinds as the API names them; the first is the common one.
    const TASK_KINDS: &'static [&'static str];
    /// The demo target's provider keys (YAML, one key per line), its APIs at `sim_url`.
    fn keys(sim_url: &str) -> String;
    /// The resource whose latest scheduled run the demo misses: its runs stopped before the
    /// slot [`MISSED_SLOT_AGO`] before the start, which the provider's seeded policy has.
    const MISSED: Option<&'static str> = None;
    /// Registers the demo's credentials, resources and backup policies with the simulator;
    /// schedules are placed relative to `start`.
    fn seed(sim: &Sim, start: Timestamp);
    /// Writes a task into the simulated service in its shapes, replacing an earlier version.
    fn write(sim: &Sim, t: &DemoTask);
    /// Removes a task from the simulated service.
    fn remove(sim: &Sim, t: &DemoTask);
}

/// One provider's [`Demo`], as the demo drives it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DemoService {
    pub(super) name: &'static str,
    pub(super) resources: &'static [&'static str],
    pub(super) task_kinds: &'static [&'static str],
    pub(super) keys: fn(&str) -> String,
    pub(super) missed: Option<&'static str>,
    pub(super) seed: fn(&Sim, Timestamp),
    pub(super) write: fn(&Sim, &DemoTask),
    pub(super) remove: fn(&Sim, &DemoTask),
}

impl DemoService {
    /// The demo side of a provider, implemented by `D`.
    pub(crate) fn of<D: Demo>() -> DemoService {
        DemoService {
            name: D::NAME,
            resources: D::RESOURCES,
            task_kinds: D::TASK_KINDS,
            keys: D::keys,
            missed: D::MISSED,
            seed: D::seed,
            write: D::write,
            remove: D::remove,
        }
    }
}

/// How long before the demo's start the slot of its missed scheduled run is: past the hour
/// `CloudBackupScheduledRunMissed` allows a run, so the page shows it from the first poll,
/// and within the two hours finished tasks stay listed, so the success before it is seen.
pub(crate) const MISSED_SLOT_AGO: SignedDuration = SignedDuration::from_mins(75);

/// The slot of the missed run, `HH:MM` in UTC: [`MISSED_SLOT_AGO`] before `start`, at or
/// before it to the minute.
pub(crate) fn missed_slot(start: Timestamp) -> String {
    (start - MISSED_SLOT_AGO).strftime("%H:%M").to_string()
}

/// The slot of the demo's schedules that are kept, `(hour, minute)` in UTC: three hours
/// before `start`, before any of the demo's history, so every run since answers it.
pub(crate) fn kept_slot(start: Timestamp) -> (i8, i8) {
    let t = (start - SignedDuration::from_hours(3)).to_zoned(jiff::tz::TimeZone::UTC);
    (t.hour(), t.minute())
}

/// Where a demo task is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Waiting to start.
    Queued,
    /// Working; `progress` grows.
    Running,
    /// Finished well.
    Succeeded,
    /// Finished with an error.
    Failed,
    /// Ran out of time.
    TimedOut,
    /// Stopped by a user.
    Cancelled,
}

impl Phase {
    /// Whether the task has ended.
    pub(crate) fn is_terminal(self) -> bool {
        !matches!(self, Phase::Queued | Phase::Running)
    }
}

/// One task of the demo world, in provider-neutral terms.
#[derive(Debug, Clone)]
pub(crate) struct DemoTask {
    /// Unique id (each renderer formats it the way its API does).
    pub id: String,
    /// The resource it works on (instance, volume, cluster, …).
    pub resource: String,
    /// Where it is.
    pub phase: Phase,
    /// When it was queued.
    pub created: Timestamp,
    /// When it started running.
    pub started: Option<Timestamp>,
    /// When it ended.
    pub finished: Option<Timestamp>,
    /// 0–100.
    pub progress: u8,
    /// Index into the provider's task kinds (rendered as the API's type/name).
    pub kind: usize,
    /// How long it will run.
    pub(super) planned: SignedDuration,
    /// How it will end.
    pub(super) outcome: Phase,
}
