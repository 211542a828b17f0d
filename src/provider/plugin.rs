//! The plug-in interface of a provider: what every provider's folder implements
//! ([`Provider`] at run time, [`Registered`] and [`Keys`] for the registry) and what a poll
//! asks of it ([`PollContext`]). The registry (`provider/mod.rs`) builds on it; no provider
//! folder names the registry.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;

use super::error::ProviderError;
use super::http::Http;
use crate::config::keys::{Resources, TargetCx};
use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::demo::service::Demo;
use crate::memo::Recall;
use crate::model::Listing;
use crate::schedule::Policies;

/// How messages and logs name a polled unit: `instance 'fhm…'`, `policy '…'`.
pub(crate) fn unit_label(noun: &str, unit: &str) -> String {
    format!("{noun} '{unit}'")
}

/// What one poll of one unit asks for.
#[derive(Debug, Clone)]
pub struct PollContext {
    /// Now, for windows.
    pub now: Timestamp,
    /// `now − lookback`: tasks older than this are not wanted.
    pub since: Timestamp,
    /// Page size to ask for.
    pub page_size: u32,
    /// Stop after this many pages.
    pub max_pages: u32,
    /// `None`: a full pass over the whole `lookback` window. Else a windowed pass: read only
    /// what can have changed since the unit's last listing (`Pager::for_poll` applies it;
    /// time filters start at `PollContext::filter_since`).
    pub window: Option<Window>,
    /// The target's memo of records already accounted as finished ([`crate::memo`]), which
    /// a listing passes over; `None` decodes every record.
    pub recall: Option<Recall>,
}

impl PollContext {
    /// The memo to ask for `unit`'s records, if any (`records::decode_page`).
    pub(crate) fn recall<'a>(&'a self, unit: &'a str) -> Option<(&'a str, &'a Recall)> {
        self.recall.as_ref().map(|r| (unit, r))
    }

    /// Where a server-side time filter starts: `since` on a full pass, the window's
    /// watermark (never earlier than `since`) on a windowed one.
    pub(crate) fn filter_since(&self) -> Timestamp {
        self.window
            .as_ref()
            .map_or(self.since, |w| w.watermark.max(self.since))
    }
}

/// Which units (instances, policies, clusters, …) a target polls.
#[derive(Debug, Clone, PartialEq)]
pub enum Units {
    /// Configured ids (for CBR, the project).
    Fixed(Vec<String>),
    /// Ask [`Provider::discover`], refreshed every interval.
    Discover(Duration),
}

impl Units {
    /// From a target's `*_ids` / `discover:` setting.
    pub(crate) fn from_resources(r: &Resources) -> Units {
        match r {
            Resources::Ids(ids) => Units::Fixed(ids.clone()),
            Resources::Discover(d) => Units::Discover(d.interval),
        }
    }
}

/// What every cloud integration does at run time; the static facts are in `Registered`.
pub trait Provider: Send + Sync {
    /// The units this target polls, or that they are discovered.
    fn units(&self) -> Units;
    /// Asks the cloud for the units to poll.
    fn discover(&self) -> impl Future<Output = Result<Vec<String>, ProviderError>> + Send;
    /// Lists the tasks of one unit, following pagination to the end, de-duplicated by id.
    /// Records that cannot be understood are returned in [`Listing::invalid`]; only a body
    /// that is not JSON or has the wrong top-level shape fails the unit. Through
    /// [`AnyProvider`](super::AnyProvider), every error names the unit (`instance 'fhm…': …`).
    fn list_tasks(
        &self,
        unit: &str,
        ctx: &PollContext,
    ) -> impl Future<Output = Result<Listing, ProviderError>> + Send;
    /// The target's backup policies and their schedules (`docs/providers.md`, "Backup
    /// schedules"), read at start and once per `reconcile_interval`: `None` for a provider
    /// that publishes none. A schedule that cannot be read is skipped (in
    /// [`Policies::skipped`]), never a failed read; an error is the policy API failing.
    fn schedules(&self) -> impl Future<Output = Option<Result<Policies, ProviderError>>> + Send {
        std::future::ready(None)
    }
    /// Whether the provider has policy reads left before the reconcile interval is up: it
    /// spreads its reads over polls (Yandex's per-instance calls beyond a few hundred
    /// instances), and the scheduler asks for [`Provider::schedules`] again at the next poll.
    fn schedules_pending(&self) -> bool {
        false
    }
}

/// What a provider's folder gives the registry; `provider/<kind>/mod.rs` implements it for
/// its `Client`. The names are spelled once, here and in the folder.
pub(crate) trait Registered: Provider + Demo + Sized {
    /// The provider id: the `provider:` value of its targets and the `provider` label.
    const KIND: &'static str;
    /// What one polled unit is, for messages: `instance`, `policy`, `project`, `cluster`.
    const UNIT: &'static str;
    /// The target key listing the units, when they are listed (`compute_instance_ids`).
    const IDS_KEY: Option<&'static str>;
    /// Whether a polled unit is itself a resource (then configured units get zero-valued
    /// series from the first poll, and count as the target's resources).
    const UNIT_IS_RESOURCE: bool;
    /// Task types known in advance, for zero-valued series.
    const KNOWN_TYPES: &'static [&'static str];
    /// The provider's own target keys as written (`provider/<kind>/config.rs`).
    type File: Keys<Config = Self::Config>;
    /// The provider's target keys, validated: credentials and endpoints parsed.
    type Config: std::fmt::Debug + Clone + PartialEq;
    /// The client of a target whose keys are `config`, with the target's polling settings
    /// and `endpoint` override (else the provider's own endpoint).
    fn new(
        config: &Self::Config,
        settings: &Settings,
        endpoint: Option<&BaseUrl>,
        http: Http,
    ) -> Self;
}

/// A provider's own target keys as written: a `#[serde(deny_unknown_fields)]` struct, and
/// what is checked across them.
pub(crate) trait Keys: for<'de> Deserialize<'de> {
    /// The validated keys.
    type Config;
    /// Checks what depends on several keys (exactly one auth method, ids or discovery)
    /// and builds the validated keys; problems go to `cx`.
    fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<Self::Config>;
    /// The keys of the provider's `auth:` block: written beside a target's other keys they
    /// are reported as credentials that belong under `auth:`.
    fn credentials() -> &'static [&'static str] {
        &[]
    }
    /// Keys read beside this struct through one a family of providers shares (every Huawei
    /// target's `region`, `project_id` and `auth`).
    fn shared() -> &'static [&'static str] {
        &[]
    }
    /// Why `key` is not a key of the struct serde names `structure` (one of the nested
    /// mappings, such as `auth:`), when a hint says more than "unknown key".
    fn hint(structure: &str, key: &str) -> Option<String> {
        let _ = (structure, key);
        None
    }
}

/// Whether a task id is already known as finished (counted or baselined). Backed by the
/// target's seen-set, locked for each question, never copied.
pub type KnownTerminal = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// What a windowed pass of one unit knows from the unit's earlier listings. A poll without
/// one ([`PollContext::window`] `None`) is a full pass over the whole `lookback` window.
#[derive(Clone)]
pub struct Window {
    /// Where a server-side time filter starts (CBR `start_time`, DMS `begin_time`) instead of
    /// `now − lookback`: at or before the earliest time of each task that was active at the
    /// unit's last listing, and a margin before that listing began.
    pub watermark: Timestamp,
    /// Ids of the unit's tasks that were active at its last listing: the listing reads on
    /// until it has seen each of them again, so that the unit's active set stays complete.
    pub active: Arc<foldhash::HashSet<String>>,
    /// Whether an id is already known as finished.
    pub(crate) known_terminal: KnownTerminal,
    /// The unit's list came newest first on its latest full pass (and every listing since):
    /// only then may the listing stop early.
    pub(crate) newest_first: bool,
}

impl std::fmt::Debug for Window {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Window")
            .field("watermark", &self.watermark)
            .field("active", &self.active.len())
            .field("newest_first", &self.newest_first)
            .finish_non_exhaustive()
    }
}
