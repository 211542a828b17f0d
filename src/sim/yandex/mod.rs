//! Yandex Cloud Backup, IAM token and VM metadata services (`docs/providers.md` "Yandex Cloud Backup").
//!
//! # Layout
//! - this file: [`YandexState`] and its seeding API, routing, the error body;
//! - `backup.rs`: `ListTasks`, `ListResources` and `GetResource` with opaque page tokens;
//! - `policies.rs`: `PolicyService.List` and `ListApplications`, and their seeding API;
//! - `iam.rs`: `POST /iam/v1/tokens` (PS256 JWT or OAuth) and the metadata token.
//!
//! Tests and the demo seed it through `sim::lock(&sim.yandex)`.

mod backup;
mod iam;
mod policies;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::{Sim, SimRequest, SimResponse};

pub use policies::{
    SimApplication, SimBackupSet, SimBackupTime, SimInterval, SimPolicy, SimScheduling,
    SimTimeOfDay, SinceLastExecTime, YC_APPLICATIONS, YC_POLICIES, YC_RESOURCES,
};

/// The built-in service-account private key (PKCS#8 PEM, RSA 2048). For tests and the demo only.
pub const TEST_PRIVATE_KEY_PEM: &str = include_str!("../keys/test_sa_key.pem");

/// The public half of [`TEST_PRIVATE_KEY_PEM`].
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("../keys/test_sa_key.pub.pem");

/// Key id of the built-in key.
pub const TEST_KEY_ID: &str = "ajeq0examplekey00001";

/// Service account of the built-in key.
pub const TEST_SERVICE_ACCOUNT_ID: &str = "ajes0exampleaccount01";

/// The `aud` the simulated IAM API accepts in a JWT (`docs/providers.md` "The service-account JWT").
pub const JWT_AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/// Default lifetime of issued IAM tokens: 12 hours (`docs/providers.md` "Yandex IAM tokens").
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// The authorized key JSON of the built-in key, as `yc iam key create` writes it, with the
/// `PLEASE DO NOT REMOVE THIS LINE!` line before the PEM.
pub fn test_authorized_key_json() -> String {
    serde_json::json!({
        "id": TEST_KEY_ID,
        "service_account_id": TEST_SERVICE_ACCOUNT_ID,
        "created_at": "2024-05-01T10:00:00.123456Z",
        "key_algorithm": "RSA_2048",
        "public_key": TEST_PUBLIC_KEY_PEM,
        "private_key": format!(
            "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <{TEST_KEY_ID}>\n{TEST_PRIVATE_KEY_PEM}"
        ),
    })
    .to_string()
}

/// `Task.progress` on the wire: int64 values as strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimProgress {
    /// Done so far.
    pub current: String,
    /// Total.
    pub total: String,
}

/// One task as `ListTasks` returns it. `None` fields are omitted (proto3 JSON), times are
/// sent exactly as given so tests control the fraction digits. `computeInstanceId` is filled
/// in from the instance the task is stored under.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimTask {
    /// Task id (an int64 in decimal).
    pub id: String,
    /// Omitted when false.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cancellable: bool,
    /// Policy id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// `BACKUP`, `RETENTION`, `RECOVERY`, `APPLY_POLICY`, `REVOKE_POLICY`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub task_type: Option<String>,
    /// Progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<SimProgress>,
    /// `ENQUEUED`, `ASSIGNED`, `STARTED`, `PAUSED`, `COMPLETED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// RFC3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enqueued_at: Option<String>,
    /// RFC3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// RFC3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// RFC3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    /// Set by the simulator.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compute_instance_id: Option<String>,
    /// `OK`, `ERROR`, `WARNING`, `CANCELLED`, `ABANDONED`, `TIMEDOUT`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_code: Option<String>,
    /// Error message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl SimTask {
    /// A task with an id, a type and a status, every other field omitted.
    pub fn new(id: impl Into<String>, task_type: &str, status: &str) -> SimTask {
        SimTask {
            id: id.into(),
            task_type: Some(task_type.to_string()),
            status: Some(status.to_string()),
            ..SimTask::default()
        }
    }

    /// Sets `enqueuedAt`, `startedAt`, `completedAt` (RFC3339 strings, sent as given).
    pub fn times(mut self, enqueued: &str, started: Option<&str>, completed: Option<&str>) -> Self {
        self.enqueued_at = Some(enqueued.to_string());
        self.started_at = started.map(str::to_string);
        self.completed_at = completed.map(str::to_string);
        self.updated_at = completed.or(started).map(str::to_string);
        self
    }

    /// Sets `resultCode` (and `error` for results other than `OK`).
    pub fn result(mut self, code: &str, error: Option<&str>) -> Self {
        self.result_code = Some(code.to_string());
        self.error = error.map(str::to_string);
        self
    }

    /// Sets `progress {current, total}`.
    pub fn progress(mut self, current: i64, total: i64) -> Self {
        self.progress = Some(SimProgress {
            current: current.to_string(),
            total: total.to_string(),
        });
        self
    }
}

/// One `Resource` of `ListResources` and `GetResource`. `None` and default fields are left
/// out (proto3 JSON); times are sent as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimResource {
    /// Compute instance id.
    pub compute_instance_id: String,
    /// `createdAt` (RFC3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// `updatedAt` (RFC3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
    /// Agent online.
    pub online: bool,
    /// Backup enabled.
    pub enabled: bool,
    /// `IDLE`, `BACKUPING`, `RECOVERING`, `FAILED`, `OTHER`.
    pub status: String,
    /// `statusDetails`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_details: String,
    /// `statusProgress` (int64, a string on the wire).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "opt_int64")]
    pub status_progress: Option<i64>,
    /// `lastBackupTime` (RFC3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_backup_time: Option<String>,
    /// `nextBackupTime` (RFC3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_backup_time: Option<String>,
    /// `resourceId` (the Cloud Backup resource id).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub resource_id: String,
    /// `isActive`.
    pub is_active: bool,
    /// `REGISTERING`, `REGISTRED`, `FAILED_REGISTRATION`, `DELETED`.
    pub init_status: String,
    /// `metadata` (a JSON string).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub metadata: String,
    /// `COMPUTE`, `BMS`, `EXTERNAL_VM`, `EXTERNAL_SERVER`.
    #[serde(rename = "type")]
    pub resource_type: String,
}

fn opt_int64<S: serde::Serializer>(n: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.serialize_str(&n.to_string()),
        None => s.serialize_none(),
    }
}

impl SimResource {
    /// An online, backup-enabled, registered Compute instance.
    pub fn enabled(instance: &str) -> SimResource {
        SimResource {
            compute_instance_id: instance.to_string(),
            created_at: None,
            updated_at: None,
            enabled: true,
            online: true,
            status: "IDLE".to_string(),
            status_details: String::new(),
            status_progress: None,
            last_backup_time: None,
            next_backup_time: None,
            resource_id: String::new(),
            is_active: true,
            init_status: "REGISTRED".to_string(),
            metadata: String::new(),
            resource_type: "COMPUTE".to_string(),
        }
    }

    /// Sets `lastBackupTime` and `nextBackupTime` (RFC3339, sent as given).
    pub fn backup_times(mut self, last: Option<&str>, next: Option<&str>) -> SimResource {
        self.last_backup_time = last.map(str::to_string);
        self.next_backup_time = next.map(str::to_string);
        self
    }
}

#[derive(Debug, Clone)]
struct SaKey {
    service_account_id: String,
    public_pem: String,
}

/// Yandex state: tasks per instance, resources per folder, tokens, keys.
#[derive(Debug)]
pub struct YandexState {
    tasks: BTreeMap<String, Vec<SimTask>>,
    resources: BTreeMap<String, Vec<SimResource>>,
    policies: Vec<SimPolicy>,
    applications: Vec<SimApplication>,
    denied: HashSet<String>,
    /// IAM token → expiry (`None`: never).
    iam_tokens: HashMap<String, Option<Timestamp>>,
    oauth_tokens: HashSet<String>,
    sa_keys: HashMap<String, SaKey>,
    token_lifetime: Duration,
    issued: u64,
}

impl Default for YandexState {
    fn default() -> Self {
        YandexState {
            tasks: BTreeMap::new(),
            resources: BTreeMap::new(),
            policies: Vec::new(),
            applications: Vec::new(),
            denied: HashSet::new(),
            iam_tokens: HashMap::new(),
            oauth_tokens: HashSet::new(),
            sa_keys: HashMap::new(),
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            issued: 0,
        }
    }
}

impl YandexState {
    /// Accepts `token` as an IAM token that never expires (until [`Self::expire_all_tokens`]).
    pub fn register_iam_token(&mut self, token: &str) {
        self.iam_tokens.insert(token.to_string(), None);
    }

    /// Accepts `token` as a Yandex passport OAuth token at the IAM exchange.
    pub fn register_oauth_token(&mut self, token: &str) {
        self.oauth_tokens.insert(token.to_string());
    }

    /// Registers a service-account key: JWTs with header `kid = key_id` must be signed by the
    /// private half of `public_pem` and carry `iss = service_account_id`.
    pub fn register_sa_key(&mut self, key_id: &str, service_account_id: &str, public_pem: &str) {
        self.sa_keys.insert(
            key_id.to_string(),
            SaKey {
                service_account_id: service_account_id.to_string(),
                public_pem: public_pem.to_string(),
            },
        );
    }

    /// Registers the built-in key ([`test_authorized_key_json`]).
    pub fn register_test_sa_key(&mut self) {
        self.register_sa_key(TEST_KEY_ID, TEST_SERVICE_ACCOUNT_ID, TEST_PUBLIC_KEY_PEM);
    }

    /// Lifetime of tokens issued from now on by the IAM exchange and the metadata service.
    pub fn set_iam_token_lifetime(&mut self, lifetime: Duration) {
        self.token_lifetime = lifetime;
    }

    /// Makes every token known so far expired: the Backup API answers 401 to them.
    pub fn expire_all_tokens(&mut self) {
        let past = Timestamp::UNIX_EPOCH;
        for exp in self.iam_tokens.values_mut() {
            *exp = Some(past);
        }
    }

    /// How many tokens the IAM exchange and the metadata service have issued.
    pub fn issued_tokens(&self) -> u64 {
        self.issued
    }

    /// Makes `instance` known (an empty task list instead of 404).
    pub fn add_instance(&mut self, instance: &str) {
        self.tasks.entry(instance.to_string()).or_default();
    }

    /// Replaces the task with the same id in place, or adds a new one at the head of the list
    /// (listings are newest first, so a task added mid-poll shifts the later pages).
    pub fn upsert_task(&mut self, instance: &str, mut task: SimTask) {
        task.compute_instance_id = Some(instance.to_string());
        let list = self.tasks.entry(instance.to_string()).or_default();
        match list.iter_mut().find(|t| t.id == task.id) {
            Some(t) => *t = task,
            None => list.insert(0, task),
        }
    }

    /// Removes a task; true when it existed.
    pub fn remove_task(&mut self, instance: &str, id: &str) -> bool {
        let Some(list) = self.tasks.get_mut(instance) else {
            return false;
        };
        let before = list.len();
        list.retain(|t| t.id != id);
        list.len() != before
    }

    /// The tasks of `instance`, in listing order.
    pub fn tasks(&self, instance: &str) -> Vec<SimTask> {
        self.tasks.get(instance).cloned().unwrap_or_default()
    }

    /// Sets the resources of `folder` to these backup-enabled instances (and makes them known).
    pub fn set_resources(&mut self, folder: &str, instances: &[&str]) {
        let list = instances.iter().map(|i| SimResource::enabled(i)).collect();
        self.set_resource_list(folder, list);
    }

    /// Sets the resources of `folder` as given (and makes their instances known).
    pub fn set_resource_list(&mut self, folder: &str, resources: Vec<SimResource>) {
        for r in &resources {
            self.add_instance(&r.compute_instance_id);
        }
        self.resources.insert(folder.to_string(), resources);
    }

    fn issue_token(&mut self) -> (String, Timestamp) {
        self.issued += 1;
        let token = format!(
            "t1.sim{:06}.{}",
            self.issued,
            random_suffix().chars().take(86).collect::<String>()
        );
        let lifetime = jiff::SignedDuration::try_from(self.token_lifetime)
            .unwrap_or(jiff::SignedDuration::MAX);
        let now = Timestamp::now();
        let exp = now.checked_add(lifetime).unwrap_or(Timestamp::MAX);
        self.iam_tokens.insert(token.clone(), Some(exp));
        (token, exp)
    }

    fn token_valid(&self, token: &str) -> bool {
        match self.iam_tokens.get(token) {
            Some(None) => true,
            Some(Some(exp)) => Timestamp::now() < *exp,
            None => false,
        }
    }
}

fn random_suffix() -> String {
    use base64::Engine;
    let bytes: [u8; 66] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A `google.rpc.Status` error body with its HTTP status (`docs/providers.md` "Errors and limits").
pub(crate) fn error(code: i32, message: &str) -> SimResponse {
    let http = match code {
        3 => 400,
        4 => 504,
        5 => 404,
        7 => 403,
        8 => 429,
        12 => 501,
        14 => 503,
        16 => 401,
        _ => 500,
    };
    let request_id = format!("{:032x}", rand::random::<u128>());
    SimResponse::json(
        http,
        &serde_json::json!({
            "code": code,
            "message": message,
            "details": [{
                "@type": "type.googleapis.com/google.rpc.RequestInfo",
                "requestId": request_id,
            }],
        }),
    )
}

/// Which Yandex service owns this path, if any.
pub fn service_of(req: &SimRequest) -> Option<&'static str> {
    if req.path.starts_with("/backup/v1/policies") {
        Some(YC_POLICIES)
    } else if req.path.starts_with("/backup/v1/") {
        Some("yandex_backup")
    } else if req.path == "/iam/v1/tokens" {
        Some("yandex_iam")
    } else if req.path.starts_with("/computeMetadata/v1/") {
        Some("metadata")
    } else {
        None
    }
}

/// Answers a Yandex request, or `None` when the path is not Yandex's.
pub fn route(sim: &Sim, req: &SimRequest) -> Option<SimResponse> {
    match service_of(req)? {
        "yandex_backup" | YC_POLICIES => Some(backup::route(sim, req)),
        "yandex_iam" => Some(iam::exchange(sim, req)),
        _ => Some(iam::metadata(sim, req)),
    }
}
