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
    /// Registers the demo's credentials and resources with the simulator.
    fn seed(sim: &Sim);
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
    pub(super) seed: fn(&Sim),
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
            seed: D::seed,
            write: D::write,
            remove: D::remove,
        }
    }
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
