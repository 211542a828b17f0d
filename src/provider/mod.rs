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
mod field;
pub mod http;
pub mod huawei;
mod pager;
mod plugin;
mod records;
mod registry;
mod token;

pub(crate) use budget::PollBudget;
pub use error::{ProviderError, Reason};
pub use pager::Pager;
pub use plugin::{KnownTerminal, PollContext, Provider, Units, Window};
pub use records::Records;

use crate::config::settings::Settings;
use crate::config::value::BaseUrl;
use crate::model::Listing;
use http::{Http, RequestCounts};
use plugin::unit_label;

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
    /// AWS Backup backup, copy and restore jobs.
    AwsBackup => aws_backup,
}

/// The provider of one target, whichever it is (a closed set: see the registry).
#[derive(Debug)]
pub struct AnyProvider {
    kind: ProviderKind,
    inner: Any,
}

impl AnyProvider {
    /// Builds the provider of a validated target (its keys `spec`, its polling `settings`
    /// and `endpoint` override): the keys are parsed already, so this cannot fail. `counts`
    /// receives a count of every HTTP attempt by status code.
    pub fn build(
        spec: &TargetSpec,
        settings: &Settings,
        endpoint: Option<&BaseUrl>,
        client: reqwest::Client,
        counts: std::sync::Arc<RequestCounts>,
    ) -> AnyProvider {
        let http = Http::new(client, settings, counts);
        AnyProvider {
            kind: spec.kind(),
            inner: Any::new(spec, settings, endpoint, http),
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

    async fn schedules(&self) -> Option<Result<crate::schedule::Policies, ProviderError>> {
        self.inner.schedules().await
    }

    fn schedules_pending(&self) -> bool {
        self.inner.schedules_pending()
    }
}
