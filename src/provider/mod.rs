//! Providers: one module per cloud API. A provider does I/O and translation only: auth,
//! paging, filters and time formats in, normalized [`Task`](crate::model::Task)s out. It
//! holds no scheduler, accounting or metrics handles (those belong to `scheduler` and
//! `metrics`).
//!
//! Adding a cloud = a new module + a new [`AnyProvider`] variant + one `match` arm in
//! [`AnyProvider::build`]; the compiler checks the dispatch is exhaustive.

pub mod budget;
mod error;
pub mod http;
pub mod huawei;
pub mod huawei_cbr;
pub mod huawei_cce;
pub mod huawei_dms;
pub mod huawei_vbs;
mod pager;
mod records;
mod token;
pub mod yandex_backup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

pub use error::{ProviderError, Reason};
pub use pager::{KnownTerminal, Pager, Window};
pub use records::Records;

use crate::config::{ProviderKind, Resources, Target, TargetSpec};
use crate::model::Listing;
use http::{Http, RequestCounts};

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
    /// what can have changed since the unit's last listing ([`Pager::for_poll`] applies it;
    /// time filters start at [`PollContext::filter_since`]).
    pub window: Option<Window>,
}

impl PollContext {
    /// Where a server-side time filter starts: `since` on a full pass, the window's
    /// watermark (never earlier than `since`) on a windowed one.
    pub fn filter_since(&self) -> Timestamp {
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
    pub fn from_resources(r: &Resources) -> Units {
        match r {
            Resources::Ids(ids) => Units::Fixed(ids.clone()),
            Resources::Discover(d) => Units::Discover(d.interval),
        }
    }
}

/// What every cloud integration provides.
pub trait Provider: Send + Sync {
    /// The provider id.
    fn kind(&self) -> ProviderKind;
    /// Task types known in advance, for zero-valued series.
    fn known_types(&self) -> &'static [&'static str];
    /// The units this target polls, or that they are discovered.
    fn units(&self) -> Units;
    /// Asks the cloud for the units to poll.
    fn discover(&self) -> impl Future<Output = Result<Vec<String>, ProviderError>> + Send;
    /// What one unit is, for messages: `instance`, `policy`, `project`, `cluster`.
    fn unit_noun(&self) -> &'static str;
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

/// The closed set of providers.
#[derive(Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per target, built once and never moved in a hot path"
)]
pub enum AnyProvider {
    /// Yandex Cloud Backup.
    YandexBackup(yandex_backup::Client),
    /// Huawei VBS backup-policy tasks.
    HuaweiVbs(huawei_vbs::Client),
    /// Huawei CBR operation logs.
    HuaweiCbr(huawei_cbr::Client),
    /// Huawei CCE cluster snapshot tasks.
    HuaweiCce(huawei_cce::Client),
    /// Huawei DMS instance background tasks.
    HuaweiDms(huawei_dms::Client),
}

/// A target's provider could not be built (unreadable key, unsupported provider).
#[derive(Debug, thiserror::Error)]
#[error("target '{target}': {message}")]
pub struct BuildError {
    /// Target name.
    pub target: String,
    /// What is wrong.
    pub message: String,
}

impl AnyProvider {
    /// Builds the provider for a validated target.
    pub fn build(
        target: &Target,
        client: reqwest::Client,
        counts: Arc<RequestCounts>,
    ) -> Result<AnyProvider, BuildError> {
        let http = Http::new(client, &target.settings, counts);
        let fail = |message: String| BuildError {
            target: target.name.clone(),
            message,
        };
        match &target.spec {
            TargetSpec::YandexBackup(y) => yandex_backup::Client::new(target, y, http)
                .map(AnyProvider::YandexBackup)
                .map_err(fail),
            TargetSpec::HuaweiVbs(t) => huawei_vbs::Client::new(target, t, http)
                .map(AnyProvider::HuaweiVbs)
                .map_err(fail),
            TargetSpec::HuaweiCbr(t) => huawei_cbr::Client::new(target, t, http)
                .map(AnyProvider::HuaweiCbr)
                .map_err(fail),
            TargetSpec::HuaweiCce(t) => huawei_cce::Client::new(target, t, http)
                .map(AnyProvider::HuaweiCce)
                .map_err(fail),
            TargetSpec::HuaweiDms(t) => huawei_dms::Client::new(target, t, http)
                .map(AnyProvider::HuaweiDms)
                .map_err(fail),
        }
    }
}

impl Provider for AnyProvider {
    fn kind(&self) -> ProviderKind {
        match self {
            AnyProvider::YandexBackup(p) => p.kind(),
            AnyProvider::HuaweiVbs(p) => p.kind(),
            AnyProvider::HuaweiCbr(p) => p.kind(),
            AnyProvider::HuaweiCce(p) => p.kind(),
            AnyProvider::HuaweiDms(p) => p.kind(),
        }
    }

    fn known_types(&self) -> &'static [&'static str] {
        match self {
            AnyProvider::YandexBackup(p) => p.known_types(),
            AnyProvider::HuaweiVbs(p) => p.known_types(),
            AnyProvider::HuaweiCbr(p) => p.known_types(),
            AnyProvider::HuaweiCce(p) => p.known_types(),
            AnyProvider::HuaweiDms(p) => p.known_types(),
        }
    }

    fn units(&self) -> Units {
        match self {
            AnyProvider::YandexBackup(p) => p.units(),
            AnyProvider::HuaweiVbs(p) => p.units(),
            AnyProvider::HuaweiCbr(p) => p.units(),
            AnyProvider::HuaweiCce(p) => p.units(),
            AnyProvider::HuaweiDms(p) => p.units(),
        }
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        match self {
            AnyProvider::YandexBackup(p) => p.discover().await,
            AnyProvider::HuaweiVbs(p) => p.discover().await,
            AnyProvider::HuaweiCbr(p) => p.discover().await,
            AnyProvider::HuaweiCce(p) => p.discover().await,
            AnyProvider::HuaweiDms(p) => p.discover().await,
        }
    }

    fn unit_noun(&self) -> &'static str {
        match self {
            AnyProvider::YandexBackup(p) => p.unit_noun(),
            AnyProvider::HuaweiVbs(p) => p.unit_noun(),
            AnyProvider::HuaweiCbr(p) => p.unit_noun(),
            AnyProvider::HuaweiCce(p) => p.unit_noun(),
            AnyProvider::HuaweiDms(p) => p.unit_noun(),
        }
    }

    /// Lists one unit; any error, wherever it arose (a token that could not be obtained as
    /// much as a page that failed), names the unit.
    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Listing, ProviderError> {
        let listed = match self {
            AnyProvider::YandexBackup(p) => p.list_tasks(unit, ctx).await,
            AnyProvider::HuaweiVbs(p) => p.list_tasks(unit, ctx).await,
            AnyProvider::HuaweiCbr(p) => p.list_tasks(unit, ctx).await,
            AnyProvider::HuaweiCce(p) => p.list_tasks(unit, ctx).await,
            AnyProvider::HuaweiDms(p) => p.list_tasks(unit, ctx).await,
        };
        listed.map_err(|e| e.in_unit(&unit_label(self.unit_noun(), unit)))
    }
}
