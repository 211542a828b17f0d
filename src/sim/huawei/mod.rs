//! Huawei Cloud: IAM tokens, AK/SK signature checks, and the VBS, CBR, CCE and DMS task
//! APIs (`docs/providers.md`, Huawei sections), written from the providers' docs.
//!
//! Seed it through [`crate::sim::lock`]`(&sim.huawei)`: register credentials
//! ([`HuaweiState::add_aksk`], [`HuaweiState::add_user`], ID tokens for OIDC federation:
//! [`HuaweiState::accept_id_token`]; for STS OIDC: [`HuaweiState::add_oidc_agency`],
//! [`HuaweiState::accept_sts_id_token`]), then tasks per service with the
//! plain structs below (times are strings in each API's own format); backup policies and
//! vaults through the `policies` module's types and seeding methods
//! ([`HuaweiState::add_vbs_policy`], [`HuaweiState::add_cbr_policy`],
//! [`HuaweiState::add_cbr_vault`], [`HuaweiState::deny`]).

mod apis;
mod example;
mod federation;
mod gateway;
mod metadata;
mod pod_identity;
mod policies;
mod sts;
pub mod verify;
pub mod wire;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use tokio::time::Instant;

pub use example::{EXAMPLE_CLUSTER, EXAMPLE_INSTANCE, EXAMPLE_POLICY};
pub use federation::{DOMAIN_ID, DOMAIN_NAME};
pub use pod_identity::PATH as POD_IDENTITY_PATH;
pub use policies::{
    CBR_POLICIES, CBR_VAULTS, CbrAssociatedVault, CbrPolicy, CbrVault, CbrVaultResource,
    VBS_POLICIES, VbsScheduledPolicy,
};

pub(crate) use gateway::gateway_error;
use gateway::{authenticate, issue_token};

use super::{Sim, SimRequest, SimResponse, lock};

/// A registered access key.
#[derive(Debug, Clone)]
pub struct AkSk {
    /// Secret key.
    pub secret: String,
    /// Security token that must accompany temporary credentials.
    pub security_token: Option<String>,
    /// When temporary credentials stop being accepted.
    pub expires: Option<Instant>,
}

/// A registered IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamUser {
    /// Account (domain) name.
    pub domain: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
}

#[derive(Debug, Clone)]
struct IssuedToken {
    project_id: String,
    expires: Instant,
}

#[derive(Debug, Default, Clone)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// A VBS backup policy (discovery).
#[derive(Debug, Clone, Default)]
pub struct VbsPolicy {
    /// `backup_policy_id`.
    pub id: String,
    /// `backup_policy_name`.
    pub name: String,
}

/// A VBS backup job. Times are naive UTC `2016-12-02T09:06:46.706`.
#[derive(Debug, Clone, Default)]
pub struct VbsTask {
    /// `job_id`.
    pub job_id: String,
    /// `WAITING`, `RUNNING`, `EXECUTE_SUCCESS`, `EXECUTE_FAIL`, `EXECUTE_TIMEOUT`, `SKIP`.
    pub status: String,
    /// `created_at`.
    pub created_at: String,
    /// `finished_at` (absent while running).
    pub finished_at: Option<String>,
    /// `backup_name`.
    pub backup_name: String,
    /// `resource_id` (the volume).
    pub resource_id: String,
    /// `resource_type`, e.g. `volume`.
    pub resource_type: String,
    /// `code` and `message` of a failure.
    pub error: Option<(String, String)>,
}

/// A CBR operation log. Times are RFC3339, e.g. `2019-05-23T14:35:23.584+00:00`.
#[derive(Debug, Clone, Default)]
pub struct CbrLog {
    /// `id`.
    pub id: String,
    /// `success`, `skipped`, `failed`, `running`, `timeout`, `waiting`.
    pub status: String,
    /// `backup`, `restore`, `delete`, …
    pub operation_type: String,
    /// `created_at`.
    pub created_at: String,
    /// `started_at`.
    pub started_at: String,
    /// `updated_at`.
    pub updated_at: String,
    /// `ended_at`.
    pub ended_at: Option<String>,
    /// `extra_info.common.progress` (0–100).
    pub progress: Option<u32>,
    /// `extra_info.resource.id`.
    pub resource_id: String,
    /// `extra_info.resource.name`.
    pub resource_name: String,
    /// `extra_info.resource.type`, e.g. `OS::Nova::Server`.
    pub resource_type: String,
    /// `vault_id`.
    pub vault_id: String,
    /// `error_info.code` / `error_info.message` (empty strings on success).
    pub error: Option<(String, String)>,
}

/// A CCE cluster (discovery).
#[derive(Debug, Clone, Default)]
pub struct CceCluster {
    /// `metadata.uid`.
    pub id: String,
    /// `metadata.name`.
    pub name: String,
    /// `status.phase`, e.g. `Available`.
    pub phase: String,
}

/// A CCE snapshot task. Times are Go `time.String()`: `2023-11-25 17:03:46.739012 +0800 CST`.
#[derive(Debug, Clone, Default)]
pub struct CceTask {
    /// `metadata.uid`.
    pub uid: String,
    /// `status.phase`.
    pub phase: String,
    /// `status.progress` (a string).
    pub progress: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: String,
    /// `metadata.updateTimestamp`.
    pub updated: String,
    /// `status.completionTime`.
    pub completion: Option<String>,
    /// `spec.items[]`: (type, status, message).
    pub items: Vec<(String, String, String)>,
}

/// A DMS instance (discovery).
#[derive(Debug, Clone, Default)]
pub struct DmsInstance {
    /// `instance_id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `kafka`, `rabbitmq` or `rocketmq`.
    pub engine: String,
}

/// A DMS background task. Times are `2020-05-15T03:19:51.046Z`.
#[derive(Debug, Clone, Default)]
pub struct DmsTask {
    /// `id` (32 hex).
    pub id: String,
    /// `name`, e.g. `bindInstancePublicIp`.
    pub name: String,
    /// `CREATED`, `EXECUTING`, `SUCCESS`, `FAILED`, `DELETED`, `CANCELLED`.
    pub status: String,
    /// `created_at` ("start time").
    pub created_at: String,
    /// `updated_at` ("end time").
    pub updated_at: String,
    /// `progress_percentage` of `GET …/tasks/{id}/progress` (Kafka and RocketMQ only).
    pub progress: Option<u32>,
}

/// All Huawei state.
#[derive(Debug)]
pub struct HuaweiState {
    aksk: HashMap<String, AkSk>,
    users: Vec<IamUser>,
    tokens: HashMap<String, IssuedToken>,
    failures: HashMap<String, Failures>,
    tokens_issued: u64,
    metadata_tokens: Vec<String>,
    metadata_issued: u64,
    /// Whether the ECS has an agency: without one the metadata service has no credentials.
    pub agency: bool,
    /// Lifetime of the agency credentials the metadata service issues.
    pub metadata_ttl: Duration,
    pod_identity_tokens: Vec<String>,
    pod_identity_issued: u64,
    /// Lifetime of the credentials the pod identity endpoint issues.
    pub pod_identity_ttl: Duration,
    /// Identity providers of the account (OIDC federation).
    identity_providers: Vec<String>,
    /// ID tokens the identity providers issued.
    id_tokens: Vec<federation::IdToken>,
    /// Federated tokens `POST /v3.0/OS-AUTH/id-token/tokens` issued, with their expiry.
    federated_tokens: HashMap<String, Instant>,
    id_token_exchanges: u64,
    federated_issued: u64,
    /// Agencies that trust an OIDC provider (STS OIDC): (provider URN, agency URN).
    oidc_agencies: Vec<(String, String)>,
    /// ID tokens STS accepts, by provider URN (in `idp_id`).
    sts_id_tokens: Vec<federation::IdToken>,
    sts_issued: u64,
    /// The account's projects, for IAM `GET /v3/projects?name=`: (name, id).
    pub projects: Vec<(String, String)>,
    /// Lifetime of issued IAM tokens (24 h).
    pub token_ttl: Duration,
    /// Largest accepted `X-Sdk-Date` skew (15 min).
    pub max_skew: Duration,
    /// Failed signatures in a row that lock an AK (5).
    pub lockout_after: u32,
    /// How long a locked AK stays locked (5 min).
    pub lockout: Duration,
    /// VBS policies.
    pub vbs_policies: Vec<VbsPolicy>,
    /// VBS jobs per policy id.
    pub vbs_tasks: BTreeMap<String, Vec<VbsTask>>,
    /// VBS `scheduled_policy` and `policy_resource_count` per policy id (see
    /// [`HuaweiState::add_vbs_policy`]).
    pub vbs_schedules: BTreeMap<String, (VbsScheduledPolicy, u32)>,
    /// CBR policies of the project.
    pub cbr_policies: Vec<CbrPolicy>,
    /// CBR vaults of the project.
    pub cbr_vaults: Vec<CbrVault>,
    /// Policy APIs the caller has no rights on ([`HuaweiState::deny`]).
    denied: BTreeSet<String>,
    /// CBR operation logs of the project.
    pub cbr_logs: Vec<CbrLog>,
    /// CCE clusters.
    pub cce_clusters: Vec<CceCluster>,
    /// CCE tasks per cluster id.
    pub cce_tasks: BTreeMap<String, Vec<CceTask>>,
    /// DMS instances.
    pub dms_instances: Vec<DmsInstance>,
    /// DMS tasks per instance id.
    pub dms_tasks: BTreeMap<String, Vec<DmsTask>>,
}

impl Default for HuaweiState {
    fn default() -> Self {
        HuaweiState {
            aksk: HashMap::new(),
            users: Vec::new(),
            tokens: HashMap::new(),
            failures: HashMap::new(),
            tokens_issued: 0,
            metadata_tokens: Vec::new(),
            metadata_issued: 0,
            agency: true,
            metadata_ttl: metadata::DEFAULT_TTL,
            pod_identity_tokens: Vec::new(),
            pod_identity_issued: 0,
            pod_identity_ttl: metadata::DEFAULT_TTL,
            identity_providers: Vec::new(),
            id_tokens: Vec::new(),
            federated_tokens: HashMap::new(),
            id_token_exchanges: 0,
            federated_issued: 0,
            oidc_agencies: Vec::new(),
            sts_id_tokens: Vec::new(),
            sts_issued: 0,
            projects: Vec::new(),
            token_ttl: Duration::from_secs(24 * 3600),
            max_skew: Duration::from_secs(15 * 60),
            lockout_after: 5,
            lockout: Duration::from_secs(5 * 60),
            vbs_policies: Vec::new(),
            vbs_tasks: BTreeMap::new(),
            vbs_schedules: BTreeMap::new(),
            cbr_policies: Vec::new(),
            cbr_vaults: Vec::new(),
            denied: BTreeSet::new(),
            cbr_logs: Vec::new(),
            cce_clusters: Vec::new(),
            cce_tasks: BTreeMap::new(),
            dms_instances: Vec::new(),
            dms_tasks: BTreeMap::new(),
        }
    }
}

impl HuaweiState {
    /// Registers a permanent AK/SK.
    pub fn add_aksk(&mut self, ak: &str, sk: &str) {
        self.aksk.insert(
            ak.to_string(),
            AkSk {
                secret: sk.to_string(),
                security_token: None,
                expires: None,
            },
        );
    }

    /// Registers temporary credentials: requests must carry and sign `X-Security-Token`.
    pub fn add_temporary_aksk(&mut self, ak: &str, sk: &str, security_token: &str) {
        self.aksk.insert(
            ak.to_string(),
            AkSk {
                secret: sk.to_string(),
                security_token: Some(security_token.to_string()),
                expires: None,
            },
        );
    }

    /// Registers an IAM user that can obtain tokens.
    pub fn add_user(&mut self, domain: &str, user: &str, password: &str) {
        self.users.push(IamUser {
            domain: domain.to_string(),
            user: user.to_string(),
            password: password.to_string(),
        });
    }

    /// Invalidates every issued token (as a password change does).
    pub fn expire_tokens(&mut self) {
        self.tokens.clear();
    }

    /// How many credentials the metadata service's `securitykey` has issued.
    pub fn metadata_issued(&self) -> u64 {
        self.metadata_issued
    }

    /// Accepts `token` as a pod's authorization token at the pod identity endpoint.
    pub fn accept_pod_identity_token(&mut self, token: &str) {
        self.pod_identity_tokens.push(token.to_string());
    }

    /// Stops accepting every pod identity token (as a rotated or revoked token).
    pub fn revoke_pod_identity_tokens(&mut self) {
        self.pod_identity_tokens.clear();
    }

    /// How many credentials the pod identity endpoint has issued.
    pub fn pod_identity_issued(&self) -> u64 {
        self.pod_identity_issued
    }

    /// Registers an identity provider of the account (OIDC federation), by its id.
    pub fn add_identity_provider(&mut self, idp_id: &str) {
        if !self.identity_providers.iter().any(|i| i == idp_id) {
            self.identity_providers.push(idp_id.to_string());
        }
    }

    /// Accepts `token` as an ID token of the identity provider `idp_id` for `valid_for` (its
    /// `exp`), registering the provider.
    pub fn accept_id_token(&mut self, idp_id: &str, token: &str, valid_for: Duration) {
        self.add_identity_provider(idp_id);
        self.id_tokens.push(federation::IdToken {
            token: token.to_string(),
            idp_id: idp_id.to_string(),
            expires: Instant::now() + valid_for,
        });
    }

    /// Stops accepting every ID token.
    pub fn revoke_id_tokens(&mut self) {
        self.id_tokens.clear();
    }

    /// Makes the agency `agency_urn` trust the OIDC provider `provider_urn` (STS OIDC).
    pub fn add_oidc_agency(&mut self, provider_urn: &str, agency_urn: &str) {
        let pair = (provider_urn.to_string(), agency_urn.to_string());
        if !self.oidc_agencies.contains(&pair) {
            self.oidc_agencies.push(pair);
        }
    }

    /// Accepts `token` at STS `assume-with-oidc` as an ID token of the provider
    /// `provider_urn` for `valid_for` (its `exp`).
    pub fn accept_sts_id_token(&mut self, provider_urn: &str, token: &str, valid_for: Duration) {
        self.sts_id_tokens.push(federation::IdToken {
            token: token.to_string(),
            idp_id: provider_urn.to_string(),
            expires: Instant::now() + valid_for,
        });
    }

    /// Stops accepting every ID token at STS.
    pub fn revoke_sts_id_tokens(&mut self) {
        self.sts_id_tokens.clear();
    }

    /// How many temporary credentials STS `assume-with-oidc` has issued.
    pub fn oidc_sts_issued(&self) -> u64 {
        self.sts_issued
    }

    /// How many federated tokens the ID token exchange has issued.
    pub fn id_token_exchanges(&self) -> u64 {
        self.id_token_exchanges
    }

    /// How many temporary credentials `securitytokens` has issued for federated tokens.
    pub fn federated_issued(&self) -> u64 {
        self.federated_issued
    }

    /// The federated tokens issued so far (for tests that look for them where they must not
    /// be).
    pub fn federated_tokens(&self) -> Vec<String> {
        self.federated_tokens.keys().cloned().collect()
    }

    /// The secret keys and security tokens of the temporary credentials issued so far (for
    /// tests that look for them where they must not be).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.aksk
            .values()
            .filter(|c| c.expires.is_some())
            .flat_map(|c| [Some(c.secret.clone()), c.security_token.clone()])
            .flatten()
            .collect()
    }

    /// How many tokens `POST /v3/auth/tokens` has issued.
    pub fn tokens_issued(&self) -> u64 {
        self.tokens_issued
    }

    /// Whether an AK is locked out now.
    pub fn is_locked(&self, ak: &str) -> bool {
        self.failures
            .get(ak)
            .and_then(|f| f.locked_until)
            .is_some_and(|t| Instant::now() < t)
    }

    /// Adds a VBS job to a policy (registering the policy for discovery if new).
    pub fn add_vbs_task(&mut self, policy_id: &str, task: VbsTask) {
        if !self.vbs_policies.iter().any(|p| p.id == policy_id) {
            self.vbs_policies.push(VbsPolicy {
                id: policy_id.to_string(),
                name: format!("policy-{policy_id}"),
            });
        }
        self.vbs_tasks
            .entry(policy_id.to_string())
            .or_default()
            .push(task);
    }

    /// Adds (or replaces, by id) a CBR operation log.
    pub fn add_cbr_log(&mut self, log: CbrLog) {
        self.cbr_logs.retain(|l| l.id != log.id);
        self.cbr_logs.push(log);
    }

    /// Adds a CCE cluster for discovery.
    pub fn add_cce_cluster(&mut self, id: &str, name: &str) {
        if !self.cce_clusters.iter().any(|c| c.id == id) {
            self.cce_clusters.push(CceCluster {
                id: id.to_string(),
                name: name.to_string(),
                phase: "Available".to_string(),
            });
        }
    }

    /// Adds a CCE task to a cluster (registering the cluster if new).
    pub fn add_cce_task(&mut self, cluster_id: &str, task: CceTask) {
        self.add_cce_cluster(cluster_id, cluster_id);
        let list = self.cce_tasks.entry(cluster_id.to_string()).or_default();
        list.retain(|t| t.uid != task.uid);
        list.push(task);
    }

    /// Adds a DMS instance for discovery.
    pub fn add_dms_instance(&mut self, id: &str, name: &str, engine: &str) {
        if !self.dms_instances.iter().any(|i| i.id == id) {
            self.dms_instances.push(DmsInstance {
                id: id.to_string(),
                name: name.to_string(),
                engine: engine.to_string(),
            });
        }
    }

    /// Adds a DMS task to an instance (registering it as a Kafka instance if new).
    pub fn add_dms_task(&mut self, instance_id: &str, task: DmsTask) {
        self.add_dms_instance(instance_id, instance_id, "kafka");
        let list = self.dms_tasks.entry(instance_id.to_string()).or_default();
        list.retain(|t| t.id != task.id);
        list.push(task);
    }
}

/// Which Huawei service owns this path, if any.
pub fn service_of(req: &SimRequest) -> Option<&'static str> {
    let p = req.path.as_str();
    if p.starts_with("/v3/auth/tokens") {
        Some("huawei_iam")
    } else if p == "/v3/projects" {
        Some("huawei_iam_projects")
    } else if p == "/openstack/latest/securitykey" || p == "/meta-data/latest/api/token" {
        Some("huawei_metadata")
    } else if p == pod_identity::PATH {
        Some("huawei_pod_identity")
    } else if p == federation::ID_TOKEN_PATH {
        Some("huawei_iam_id_token")
    } else if p == federation::SECURITY_TOKENS_PATH {
        Some("huawei_iam_securitytokens")
    } else if p == sts::PATH {
        Some("huawei_sts_oidc")
    } else if p.starts_with("/api/v3/projects/") || p.starts_with("/api/v3.1/projects/") {
        Some("huawei_cce")
    } else if p.starts_with("/v3/") && p.contains("/operation-logs") {
        Some("huawei_cbr")
    } else if p.starts_with("/v3/") && p.contains("/policies") {
        Some(CBR_POLICIES)
    } else if p.starts_with("/v3/") && p.contains("/vaults") {
        Some(CBR_VAULTS)
    } else if p.starts_with("/v2/") && p.contains("/backuppolicy") {
        Some("huawei_vbs")
    } else if p.starts_with("/v2/") && p.contains("/instances") {
        Some("huawei_dms")
    } else {
        None
    }
}

/// Answers a Huawei request, or `None` when the path is not Huawei's.
pub fn route(sim: &Sim, req: &SimRequest) -> Option<SimResponse> {
    let service = service_of(req)?;
    if service == "huawei_iam" {
        return Some(issue_token(sim, req));
    }
    if service == "huawei_metadata" {
        return Some(metadata::answer(sim, req));
    }
    if service == "huawei_pod_identity" {
        return Some(pod_identity::answer(sim, req));
    }
    if service == "huawei_iam_id_token" {
        return Some(federation::id_token(sim, req));
    }
    if service == "huawei_iam_securitytokens" {
        return Some(federation::security_tokens(sim, req));
    }
    if service == "huawei_sts_oidc" {
        return Some(sts::assume(sim, req));
    }
    if service == "huawei_iam_projects" {
        let mut st = lock(&sim.huawei);
        if let Err(resp) = authenticate(&mut st, req, "") {
            return Some(resp);
        }
        return Some(gateway::list_projects(&st, req));
    }
    let records = sim.record_rules(service);
    let mut st = lock(&sim.huawei);
    let segs = req.segments();
    let project = match service {
        "huawei_cce" => segs.get(3),
        _ => segs.get(1),
    }
    .cloned()
    .unwrap_or_default();
    if let Err(resp) = authenticate(&mut st, req, &project) {
        return Some(resp);
    }
    Some(apis::answer(sim, &st, service, req, &segs, &records))
}
