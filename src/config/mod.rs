//! Configuration: the validated types the rest of the exporter reads (SPEC §5).
//!
//! Two stages (ripgrep's lowargs/hiargs): `file.rs` reads the YAML into a tree of located nodes
//! and is the only user of the YAML crate; `load.rs` and `target.rs` turn it into the types
//! below, expanding `${VAR}`, reading `*_file` secrets, and collecting every error with the
//! file, line, target and key. `check.rs` holds the pure checks (URLs, label names, ids).
//! `web.rs` reads the separate `--web.config.file` (TLS, basic auth) the same strict way.
//! Nothing outside this module re-checks what these types promise.

mod check;
mod duration;
mod file;
mod load;
mod secret;
mod target;
pub mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use check::RESERVED_LABELS;
pub use duration::{format_duration, parse_duration};
pub use load::{ConfigError, ConfigErrors, load_str_with_env};
pub use secret::Secret;

/// The default `reconcile_interval`: a full pass over each list's whole `lookback` window at
/// least this often (raised to `interval`, lowered to `lookback` when those require it).
pub const DEFAULT_RECONCILE_INTERVAL: Duration = Duration::from_secs(3600);

/// The default `duration_buckets` (seconds): 30s to 1d.
pub const DEFAULT_DURATION_BUCKETS: [f64; 11] = [
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
];

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from (for messages).
    pub source: PathBuf,
    /// Resolved defaults (after applying the file's `defaults:` over the built-in ones).
    pub defaults: Settings,
    /// Where accounting state is persisted, if anywhere.
    pub state_file: Option<PathBuf>,
    /// Buckets of `cloud_task_duration_seconds`, strictly increasing.
    pub duration_buckets: Vec<f64>,
    /// Which share of the resources this replica polls.
    pub shard: Shard,
    /// The targets, in file order; names are unique; never empty for a loaded file.
    pub targets: Vec<Target>,
    /// Doubts that did not stop the file from loading (a Huawei region this version does not
    /// know, say): `--check-config` prints them, startup and reload log them.
    pub warnings: Vec<ConfigError>,
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        load::load_file(path)
    }

    /// Parses and validates config text; `source` names it in messages.
    pub fn from_str(text: &str, source: &Path) -> Result<Config, ConfigErrors> {
        load::load_str(text, source)
    }
}

/// `shard: { index, total }`: this replica polls resources whose stable hash % total == index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index of this replica.
    pub index: u32,
    /// Number of replicas (≥ 1).
    pub total: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, total: 1 }
    }
}

/// Per-target polling settings; every key can be set under `defaults:` and per target.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Poll interval.
    pub interval: Duration,
    /// Timeout of one HTTP request.
    pub timeout: Duration,
    /// Tasks whose latest timestamp is older than this are ignored.
    pub lookback: Duration,
    /// Page size asked of the API.
    pub page_size: u32,
    /// Safety bound on pages per resource and poll.
    pub max_pages: u32,
    /// Retries per request (429, 5xx, timeouts, connection errors).
    pub retries: u32,
    /// First retry delay; doubles each retry, with jitter.
    pub retry_backoff: Duration,
    /// Request rate cap per target.
    pub requests_per_second: f64,
    /// Requests in flight per target.
    pub concurrency: u32,
    /// Largest response body accepted, in bytes.
    pub max_response_bytes: u64,
    /// Response bytes one poll of the target may read, across pages and units.
    pub max_poll_bytes: u64,
    /// Task records one poll of the target may hold, across pages and units.
    pub max_poll_tasks: u64,
    /// Distinct task types per target; more fold into [`crate::accounting::OTHER_TYPE`].
    pub max_task_types: u32,
    /// `reconcile_interval`: how often each list is read over its whole `lookback` window
    /// (a full pass); between full passes a poll reads only what can have changed. `None`
    /// when not configured: see [`Settings::reconcile_every`].
    pub reconcile_interval: Option<Duration>,
    /// What the target's tasks are expected to do: `expected_interval`, `expected_intervals`,
    /// `max_active_duration` (default: learned from history).
    pub expect: Expect,
}

/// Configured expectations of a target's tasks, overriding what the exporter learns from their
/// history (see `rhythm.rs` and the README's "Alerts").
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// `expected_interval`: the gap between successful backups of every resource of the target.
    pub interval: Option<Duration>,
    /// `expected_intervals` (per target only): resource id → gap; wins over `interval`.
    pub intervals: BTreeMap<String, Duration>,
    /// `max_active_duration`: an active task is stuck past this whatever it usually takes.
    pub max_active: Option<Duration>,
    /// `types:` (per target only): task types whose zero-valued series exist for every known
    /// resource from the first scrape, before any task of the type occurred.
    pub types: Vec<String>,
}

impl Default for Settings {
    /// The built-in defaults (SPEC §5).
    fn default() -> Self {
        Settings {
            interval: Duration::from_secs(300),
            timeout: Duration::from_secs(30),
            lookback: Duration::from_secs(7 * 86_400),
            page_size: 100,
            max_pages: 200,
            retries: 3,
            retry_backoff: Duration::from_secs(1),
            requests_per_second: 10.0,
            concurrency: 4,
            max_response_bytes: 32 * 1024 * 1024,
            max_poll_bytes: 256 * 1024 * 1024,
            max_poll_tasks: 500_000,
            max_task_types: 32,
            reconcile_interval: None,
            expect: Expect::default(),
        }
    }
}

impl Settings {
    /// The effective `reconcile_interval`: as configured (validated to lie between `interval`
    /// and `lookback`), else [`DEFAULT_RECONCILE_INTERVAL`] raised to `interval` and lowered
    /// to `lookback`. Never longer than `lookback` unless `interval` is: the seen-set forgets
    /// a task without timestamps `lookback` after a listing last showed it, so a full pass
    /// must come sooner or that task would be counted again.
    pub fn reconcile_every(&self) -> Duration {
        self.reconcile_interval.unwrap_or_else(|| {
            DEFAULT_RECONCILE_INTERVAL
                .min(self.lookback)
                .max(self.interval)
        })
    }
}

/// Which API a target polls. `as_str` is the `provider` label and the config value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProviderKind {
    /// Yandex Cloud Backup ListTasks.
    YandexBackup,
    /// Huawei VBS backup-policy tasks.
    HuaweiVbs,
    /// Huawei CBR operation logs.
    HuaweiCbr,
    /// Huawei CCE cluster snapshot tasks.
    HuaweiCce,
    /// Huawei DMS background tasks.
    HuaweiDms,
}

impl ProviderKind {
    /// Every provider.
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::YandexBackup,
        ProviderKind::HuaweiVbs,
        ProviderKind::HuaweiCbr,
        ProviderKind::HuaweiCce,
        ProviderKind::HuaweiDms,
    ];

    /// The provider id (`provider` label and config value).
    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderKind::YandexBackup => "yandex_backup",
            ProviderKind::HuaweiVbs => "huawei_vbs",
            ProviderKind::HuaweiCbr => "huawei_cbr",
            ProviderKind::HuaweiCce => "huawei_cce",
            ProviderKind::HuaweiDms => "huawei_dms",
        }
    }

    /// Parses a provider id.
    pub fn parse(s: &str) -> Option<ProviderKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One polled account + service.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Unique name; the `target` label.
    pub name: String,
    /// Base URL override (`scheme://host[:port]`), without a trailing slash.
    pub endpoint: Option<String>,
    /// Static labels added to every series of this target, sorted by name.
    pub labels: BTreeMap<String, String>,
    /// Effective settings (defaults overridden per target).
    pub settings: Settings,
    /// Provider-specific part.
    pub spec: TargetSpec,
}

impl Target {
    /// The provider this target polls.
    pub fn provider(&self) -> ProviderKind {
        match &self.spec {
            TargetSpec::YandexBackup(_) => ProviderKind::YandexBackup,
            TargetSpec::HuaweiVbs(_) => ProviderKind::HuaweiVbs,
            TargetSpec::HuaweiCbr(_) => ProviderKind::HuaweiCbr,
            TargetSpec::HuaweiCce(_) => ProviderKind::HuaweiCce,
            TargetSpec::HuaweiDms(_) => ProviderKind::HuaweiDms,
        }
    }
}

/// The provider-specific part of a target.
#[derive(Debug, Clone, PartialEq)]
pub enum TargetSpec {
    /// `provider: yandex_backup`.
    YandexBackup(YandexTarget),
    /// `provider: huawei_vbs` (ids are policy ids).
    HuaweiVbs(HuaweiTarget),
    /// `provider: huawei_cbr` (no ids: the log is project-wide).
    HuaweiCbr(HuaweiCbrTarget),
    /// `provider: huawei_cce` (ids are cluster ids).
    HuaweiCce(HuaweiTarget),
    /// `provider: huawei_dms` (ids are instance ids).
    HuaweiDms(HuaweiDmsTarget),
}

/// Resources listed by id, or discovered from the cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum Resources {
    /// A fixed list of ids.
    Ids(Vec<String>),
    /// Ask the cloud, refreshed every `interval`.
    Discover(Discover),
}

/// `discover:` settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Discover {
    /// Yandex folder whose backup-enabled instances are polled; `None` for Huawei.
    pub folder_id: Option<String>,
    /// How often the resource list is refreshed (default 1h).
    pub interval: Duration,
}

/// A Yandex Cloud Backup target.
#[derive(Debug, Clone, PartialEq)]
pub struct YandexTarget {
    /// How an IAM token is obtained.
    pub auth: YandexAuth,
    /// IAM API base URL (default `https://iam.api.cloud.yandex.net`).
    pub iam_endpoint: Option<String>,
    /// `compute_instance_ids` or `discover`.
    pub resources: Resources,
}

/// The four Yandex token sources; exactly one is configured.
#[derive(Debug, Clone, PartialEq)]
pub enum YandexAuth {
    /// `iam_token` / `iam_token_file`: used as is.
    IamToken(Secret),
    /// `oauth_token` / `oauth_token_file`: exchanged at the IAM endpoint (legacy).
    OAuthToken(Secret),
    /// `service_account_key_file` (or inline `service_account_key`): the authorized key JSON.
    ServiceAccountKey {
        /// Where it came from, for messages (`<inline>` when inline).
        origin: String,
        /// The key file's JSON text.
        json: Secret,
    },
    /// `metadata: true`: the VM metadata service.
    Metadata {
        /// Base URL (default `http://169.254.169.254`).
        url: Option<String>,
    },
}

/// Fields every Huawei target has.
#[derive(Debug, Clone, PartialEq)]
pub struct HuaweiCommon {
    /// Region id, e.g. `ap-southeast-1`; endpoints derive from it.
    pub region: String,
    /// Project id.
    pub project_id: String,
    /// AK/SK or IAM user token.
    pub auth: HuaweiAuth,
}

/// Huawei credentials; exactly one method is configured.
#[derive(Debug, Clone, PartialEq)]
pub enum HuaweiAuth {
    /// AK/SK signing (`SDK-HMAC-SHA256`), optionally with a security token.
    AkSk {
        /// Access key id.
        access_key: Secret,
        /// Secret access key.
        secret_key: Secret,
        /// Temporary credentials' security token.
        security_token: Option<Secret>,
    },
    /// IAM user token from `POST /v3/auth/tokens`.
    Iam {
        /// IAM base URL (default derived from the region).
        endpoint: Option<String>,
        /// Account (domain) name.
        domain: String,
        /// IAM user name.
        user: String,
        /// The user's password.
        password: Secret,
    },
}

/// A VBS or CCE target.
#[derive(Debug, Clone, PartialEq)]
pub struct HuaweiTarget {
    /// Region, project, auth.
    pub common: HuaweiCommon,
    /// `policy_ids` / `cluster_ids`, or `discover`.
    pub resources: Resources,
}

/// A CBR target.
#[derive(Debug, Clone, PartialEq)]
pub struct HuaweiCbrTarget {
    /// Region, project, auth.
    pub common: HuaweiCommon,
    /// Passed to the API as query parameters, sorted by key.
    pub filters: BTreeMap<String, String>,
}

/// DMS engine: which instances' tasks are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmsEngine {
    /// Kafka.
    Kafka,
    /// RabbitMQ.
    Rabbitmq,
    /// RocketMQ.
    Rocketmq,
}

impl DmsEngine {
    /// The API's engine name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DmsEngine::Kafka => "kafka",
            DmsEngine::Rabbitmq => "rabbitmq",
            DmsEngine::Rocketmq => "rocketmq",
        }
    }
}

/// A DMS target.
#[derive(Debug, Clone, PartialEq)]
pub struct HuaweiDmsTarget {
    /// Region, project, auth.
    pub common: HuaweiCommon,
    /// The engine of the instances.
    pub engine: DmsEngine,
    /// `instance_ids`, or `discover`.
    pub resources: Resources,
}
