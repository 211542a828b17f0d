//! Providers: one module per cloud API. A provider does I/O and translation only: auth,
//! paging, filters and time formats in, normalized [`Task`]s out. It holds no scheduler,
//! accounting or metrics handles (those belong to `scheduler` and `metrics`).
//!
//! Adding a cloud = a new module + a new [`AnyProvider`] variant + one `match` arm in
//! [`AnyProvider::build`]; the compiler checks the dispatch is exhaustive.

mod error;
pub mod http;
pub mod huawei;
mod pager;
pub mod yandex_backup;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

pub use error::{ProviderError, Reason};
pub use pager::Pager;

use crate::config::{ProviderKind, Resources, Target, TargetSpec};
use crate::model::Task;
use http::{Http, RequestCounts};

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
    /// Lists the tasks of one unit, following pagination to the end, de-duplicated by id.
    fn list_tasks(
        &self,
        unit: &str,
        ctx: &PollContext,
    ) -> impl Future<Output = Result<Vec<Task>, ProviderError>> + Send;
}

/// The closed set of providers.
#[derive(Debug)]
pub enum AnyProvider {
    /// Yandex Cloud Backup.
    YandexBackup(yandex_backup::Client),
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
            other => Err(fail(format!(
                "provider {} is not supported yet",
                target_kind(other).as_str()
            ))),
        }
    }
}

fn target_kind(spec: &TargetSpec) -> ProviderKind {
    match spec {
        TargetSpec::YandexBackup(_) => ProviderKind::YandexBackup,
        TargetSpec::HuaweiVbs(_) => ProviderKind::HuaweiVbs,
        TargetSpec::HuaweiCbr(_) => ProviderKind::HuaweiCbr,
        TargetSpec::HuaweiCce(_) => ProviderKind::HuaweiCce,
        TargetSpec::HuaweiDms(_) => ProviderKind::HuaweiDms,
    }
}

impl Provider for AnyProvider {
    fn kind(&self) -> ProviderKind {
        match self {
            AnyProvider::YandexBackup(p) => p.kind(),
        }
    }

    fn known_types(&self) -> &'static [&'static str] {
        match self {
            AnyProvider::YandexBackup(p) => p.known_types(),
        }
    }

    fn units(&self) -> Units {
        match self {
            AnyProvider::YandexBackup(p) => p.units(),
        }
    }

    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        match self {
            AnyProvider::YandexBackup(p) => p.discover().await,
        }
    }

    async fn list_tasks(&self, unit: &str, ctx: &PollContext) -> Result<Vec<Task>, ProviderError> {
        match self {
            AnyProvider::YandexBackup(p) => p.list_tasks(unit, ctx).await,
        }
    }
}
