//! Providers: one folder per cloud API (`provider/<kind>/`) with everything about it — its
//! config keys, client, wire types, decoder, status table and demo renderer — and what they
//! share: the HTTP client (`http.rs`), paging and its stop rules (`pager.rs`), per-record
//! decoding (`records.rs`), the poll budget (`budget.rs`), bearer tokens (`token.rs`) and
//! Huawei's signing, endpoints and IAM tokens (`huawei/`).
//!
//! A provider does I/O and translation only: auth, paging, filters and time formats in,
//! normalized [`Task`](crate::model::Task)s out. It holds no scheduler, accounting or
//! metrics handles (those belong to `scheduler` and `metrics`).
//!
//! Every provider is one line of the registry below; `registry.rs` says what a provider's
//! folder must give, and `docs/adding-a-provider.md` walks through adding one.

mod budget;
mod error;
pub mod http;
pub mod huawei;
mod pager;
mod records;
mod registry;
mod token;

use std::future::Future;
use std::time::Duration;

use jiff::Timestamp;

pub(crate) use budget::PollBudget;
pub use error::{ProviderError, Reason};
pub use pager::{KnownTerminal, Pager, Window};
pub use records::Records;
pub(crate) use registry::{Keys, Registered};

use crate::config::{Resources, Target};
use crate::memo::Recall;
use crate::model::Listing;
use http::{Http, RequestCounts};

registry::registry! {
    /// Yandex Cloud Backup `ListTasks`.
    YandexBackup => yandex_backup,
    /// Huawei VBS backup-policy tasks.
    HuaweiVbs => huawei_vbs,
    /// Huawei CBR operation logs.
    HuaweiCbr => huawei_cbr,
    /// Huawei CCE cluster snapshot tasks.
    HuaweiCce => huawei_cce,
    /// Huawei DMS instance background tasks.
    HuaweiDms => huawei_dms,
}

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
    /// [`AnyProvider`], every error names the unit (`instance 'fhm…': …`).
    fn list_tasks(
        &self,
        unit: &str,
        ctx: &PollContext,
    ) -> impl Future<Output = Result<Listing, ProviderError>> + Send;
}

/// The provider of one target, whichever it is (a closed set: see the registry).
#[derive(Debug)]
pub struct AnyProvider {
    kind: ProviderKind,
    inner: Any,
}

impl AnyProvider {
    /// Builds the provider for a validated target: its keys are parsed already, so this
    /// cannot fail. `counts` receives a count of every HTTP attempt by status code.
    pub fn build(
        target: &Target,
        client: reqwest::Client,
        counts: std::sync::Arc<RequestCounts>,
    ) -> AnyProvider {
        let http = Http::new(client, &target.settings, counts);
        AnyProvider {
            kind: target.provider(),
            inner: Any::new(target, http),
        }
    }

    /// The provider id.
    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// Task types known in advance, for zero-valued series.
    pub(crate) fn known_types(&self) -> &'static [&'static str] {
        self.kind.known_types()
    }
}

impl Provider for AnyProvider {
    fn units(&self) -> Units {
        self.inner.units()
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        self.inner.discover().await
    }

    /// Lists one unit; any error, wherever it arose (a token that could not be obtained as
    /// much as a page that failed), names the unit.
    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let listed = self.inner.list_tasks(unit, ctx).await;
        listed.map_err(|e| e.in_unit(&unit_label(self.kind.unit_noun(), unit)))
    }
}
