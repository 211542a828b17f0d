//! AWS: AWS Backup's job lists and backup plans, STS and the EC2 instance metadata service
//! (IMDSv2), written from the AWS API references and the botocore service models
//! (`botocore/data/backup/2018-11-15/service-2.json`, `botocore/data/sts/2011-06-15/service-2.json`):
//! - <https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupJobs.html> (and
//!   `API_ListCopyJobs`, `API_ListRestoreJobs`, `API_GetBackupPlan`);
//! - <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>,
//!   <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html>;
//! - <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html>;
//! - SigV4: <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>.
//!
//! # Layout
//! - this file: [`AwsState`] and its seeding API, routing by path (and for STS by `Action`);
//! - `backup.rs`: `GET /backup-jobs/`, `/copy-jobs/`, `/restore-jobs/`, `/backup/plans/{id}/`;
//! - `cron.rs`: AWS cron expressions, for `GetBackupPlan`'s `ScheduledRunsPreview`;
//! - `sts.rs`: `POST /` `Action=AssumeRole` (signed, service `sts`) and
//!   `Action=AssumeRoleWithWebIdentity` (unsigned);
//! - `imds.rs`: `PUT /latest/api/token`, `GET /latest/meta-data/iam/security-credentials/…`;
//! - `pod_identity.rs`: the EKS Pod Identity Agent, `GET /v1/credentials`, with EKS Auth's
//!   checks of the service account token;
//! - `auth.rs`: the checks every signed request passes, and their errors;
//! - `sigv4.rs`: the service side of SigV4; `wire.rs`: the wire types.
//!
//! Service names (faults, the request log): [`AWS_BACKUP`], [`AWS_STS`], [`AWS_IMDS`],
//! [`AWS_POD_IDENTITY`].
//!
//! # Seeding
//! Through [`Sim::aws`] (a lock on [`AwsState`]):
//! ```no_run
//! # use cloud_task_exporter::sim::{Sim, aws::epoch};
//! # use serde_json::json;
//! let sim = Sim::new();
//! let mut aws = sim.aws();
//! aws.add_credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None);
//! let now = jiff::Timestamp::now();
//! aws.add_backup_job(json!({
//!     "BackupJobId": "job-1", "State": "COMPLETED", "MessageCategory": "SUCCESS",
//!     "CreationDate": epoch(now), "ResourceArn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1",
//!     "ResourceType": "EBS", "BackupVaultName": "prod-vault",
//! }));
//! aws.set_job("job-1", json!({"State": "FAILED", "StatusMessage": "Access denied"}));
//! ```
//! The seeding API, all on [`AwsState`]:
//! - keys: [`add_credentials`](AwsState::add_credentials) (permanent, or temporary with a
//!   session token), [`remove_credentials`](AwsState::remove_credentials),
//!   [`expire_temporary_credentials`](AwsState::expire_temporary_credentials),
//!   [`issued_secrets`](AwsState::issued_secrets); [`region`](AwsState::region),
//!   [`account_id`](AwsState::account_id),
//!   [`organization_management`](AwsState::organization_management),
//!   [`max_skew`](AwsState::max_skew), [`deny`](AwsState::deny);
//! - jobs: [`add_backup_job`](AwsState::add_backup_job),
//!   [`add_copy_job`](AwsState::add_copy_job), [`add_restore_job`](AwsState::add_restore_job),
//!   [`set_job`](AwsState::set_job), [`clear_jobs`](AwsState::clear_jobs),
//!   [`horizon`](AwsState::horizon), [`default_max_results`](AwsState::default_max_results);
//!   plans: [`add_plan`](AwsState::add_plan), [`plan`](AwsState::plan);
//! - STS: [`add_role`](AwsState::add_role),
//!   [`set_role_max_session`](AwsState::set_role_max_session),
//!   [`set_web_identity`](AwsState::set_web_identity),
//!   [`expire_web_identity`](AwsState::expire_web_identity),
//!   [`revoke_web_identities`](AwsState::revoke_web_identities),
//!   [`sts_issued`](AwsState::sts_issued);
//! - IMDS: [`set_instance_role`](AwsState::set_instance_role),
//!   [`imds_credentials_ttl`](AwsState::imds_credentials_ttl),
//!   [`imds_issued`](AwsState::imds_issued);
//! - EKS Pod Identity: [`associate_pod_identity`](AwsState::associate_pod_identity),
//!   [`pod_identity_token`](AwsState::pod_identity_token),
//!   [`pod_identity_credentials_ttl`](AwsState::pod_identity_credentials_ttl),
//!   [`pod_identity_issued`](AwsState::pod_identity_issued).
//!
//! Jobs are the API's JSON objects, kept as given (the simulator fills in only `AccountId`
//! when absent, with [`AwsState::account_id`]); plans are `GetBackupPlan` answers
//! ([`AwsState::add_plan`]). Record edits ([`Sim::edit_records`] with service [`AWS_BACKUP`])
//! take the list as their unit: `backup`, `copy` or `restore`; records are found by
//! `BackupJobId`, `CopyJobId` or `RestoreJobId`.
//!
//! # Authentication
//! Every AWS Backup request must carry a valid SigV4 `Authorization` header (presigned query
//! strings are not supported) for the credential scope `YYYYMMDD/{region}/backup/aws4_request`
//! where region is [`AwsState::region`] (`eu-west-1` unless changed), with `host` and
//! `x-amz-date` signed and `x-amz-date` within 15 minutes of the wall clock. Keys are those
//! registered with [`AwsState::add_credentials`] and the temporary ones STS and IMDS issued;
//! a temporary key needs its `X-Amz-Security-Token` and stops working at its expiration (the
//! tokio clock, so paused-time tests can run past it) or at
//! [`AwsState::expire_temporary_credentials`]. The errors are AWS's:
//! `MissingAuthenticationTokenException`, `IncompleteSignatureException`,
//! `InvalidSignatureException` (mismatch, wrong scope, `Signature expired: …`),
//! `UnrecognizedClientException` (unknown key, missing or wrong token),
//! `ExpiredTokenException`, `AccessDeniedException` ([`AwsState::deny`]).
//!
//! Throttling comes from the fault matrix: [`throttling`] (`ThrottlingException`, 400) and
//! [`too_many_requests`] (`TooManyRequestsException`, 429).
//!
//! Not simulated: SigV4A, presigned URLs, chunked (streaming) payload signatures, the `Date`
//! header in place of `x-amz-date`, any other Backup operation.

mod auth;
mod backup;
mod cron;
mod imds;
mod pod_identity;
pub mod sigv4;
mod sts;
#[cfg(test)]
mod tests;
pub mod wire;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::MutexGuard;
use std::time::Duration;

use tokio::time::Instant;

pub(crate) use auth::authenticate;
pub use cron::{CronError, CronSchedule};
pub use wire::epoch;

use super::{Fault, Sim, SimRequest, SimResponse, lock};

/// Service name of AWS Backup (faults, the request log).
pub const AWS_BACKUP: &str = "aws_backup";
/// Service name of STS.
pub const AWS_STS: &str = "aws_sts";
/// Service name of the instance metadata service.
pub const AWS_IMDS: &str = "aws_imds";
/// Service name of the EKS Pod Identity Agent.
pub const AWS_POD_IDENTITY: &str = "aws_pod_identity";

/// The account the simulator's callers belong to unless changed.
pub const DEFAULT_ACCOUNT_ID: &str = "123456789012";

/// The region the simulated endpoints serve unless changed.
pub const DEFAULT_REGION: &str = "eu-west-1";

/// A key the simulator accepts.
#[derive(Debug, Clone)]
struct Key {
    secret: String,
    session_token: Option<String>,
    /// When temporary credentials stop being accepted (tokio clock).
    expires: Option<Instant>,
    /// The caller's ARN (for `AccessDenied` messages).
    arn: String,
}

/// A role STS lets callers assume.
#[derive(Debug, Clone)]
struct Role {
    external_id: Option<String>,
    max_session: Duration,
}

/// Who signed a request.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The caller's ARN.
    pub(crate) arn: String,
}

/// All AWS state: keys, jobs, plans, roles, the instance role.
#[derive(Debug)]
pub struct AwsState {
    keys: HashMap<String, Key>,
    /// The region the endpoints serve: a credential scope with another one is refused.
    pub region: String,
    /// The account of every caller; jobs without `AccountId` get it.
    pub account_id: String,
    /// Whether the account is an Organizations management account: only then does
    /// `accountId=*` (or another account's id) list jobs of other accounts.
    pub organization_management: bool,
    /// Largest accepted distance between `x-amz-date` and the wall clock (15 minutes).
    pub max_skew: Duration,
    /// How far back the job lists reach (30 days).
    pub horizon: Duration,
    /// Page size when the request has no `maxResults` (1000).
    pub default_max_results: usize,
    backup_jobs: Vec<serde_json::Value>,
    copy_jobs: Vec<serde_json::Value>,
    restore_jobs: Vec<serde_json::Value>,
    plans: BTreeMap<String, serde_json::Value>,
    denied: BTreeSet<String>,
    roles: BTreeMap<String, Role>,
    /// Web identity token → (role ARN, expired).
    web_identity: BTreeMap<String, (String, bool)>,
    instance_role: Option<String>,
    /// Lifetime of the credentials the instance metadata service hands out (6 hours).
    pub imds_credentials_ttl: Duration,
    imds_tokens: Vec<(String, Instant)>,
    imds_current: Option<(String, wire::IssuedCredentials, jiff::Timestamp, Instant)>,
    sts_issued: u64,
    imds_issued: u64,
    /// Service account (`system:serviceaccount:{namespace}:{name}`) → role name.
    pod_identities: BTreeMap<String, String>,
    /// The key the simulated cluster signs its service account tokens with.
    pod_identity_key: String,
    /// Lifetime of the credentials the Pod Identity Agent hands out (6 hours).
    pub pod_identity_credentials_ttl: Duration,
    pod_identity_issued: u64,
}

impl Default for AwsState {
    fn default() -> Self {
        AwsState {
            keys: HashMap::new(),
            region: DEFAULT_REGION.to_string(),
            account_id: DEFAULT_ACCOUNT_ID.to_string(),
            organization_management: true,
            max_skew: Duration::from_secs(15 * 60),
            horizon: Duration::from_secs(30 * 86_400),
            default_max_results: 1000,
            backup_jobs: Vec::new(),
            copy_jobs: Vec::new(),
            restore_jobs: Vec::new(),
            plans: BTreeMap::new(),
            denied: BTreeSet::new(),
            roles: BTreeMap::new(),
            web_identity: BTreeMap::new(),
            instance_role: None,
            imds_credentials_ttl: Duration::from_secs(6 * 3600),
            imds_tokens: Vec::new(),
            imds_current: None,
            sts_issued: 0,
            imds_issued: 0,
            pod_identities: BTreeMap::new(),
            pod_identity_key: format!("sim-cluster-key-{:032x}", rand::random::<u128>()),
            pod_identity_credentials_ttl: Duration::from_secs(6 * 3600),
            pod_identity_issued: 0,
        }
    }
}

/// Which of the three job lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JobList {
    Backup,
    Copy,
    Restore,
}

impl JobList {
    /// The id member of a job.
    pub(crate) fn id_field(self) -> &'static str {
        match self {
            JobList::Backup => "BackupJobId",
            JobList::Copy => "CopyJobId",
            JobList::Restore => "RestoreJobId",
        }
    }

    /// The record-edit unit.
    pub(crate) fn unit(self) -> &'static str {
        match self {
            JobList::Backup => "backup",
            JobList::Copy => "copy",
            JobList::Restore => "restore",
        }
    }
}

impl AwsState {
    /// Accepts a key: permanent without `session_token`, temporary (requests must carry
    /// `X-Amz-Security-Token`) with one.
    pub fn add_credentials(
        &mut self,
        access_key_id: &str,
        secret_access_key: &str,
        session_token: Option<&str>,
    ) {
        let arn = format!("arn:aws:iam::{}:user/sim-{access_key_id}", self.account_id);
        self.keys.insert(
            access_key_id.to_string(),
            Key {
                secret: secret_access_key.to_string(),
                session_token: session_token.map(str::to_string),
                expires: None,
                arn,
            },
        );
    }

    /// Stops accepting a key.
    pub fn remove_credentials(&mut self, access_key_id: &str) {
        self.keys.remove(access_key_id);
    }

    /// Makes every temporary credential issued so far by STS or IMDS expire now.
    pub fn expire_temporary_credentials(&mut self) {
        let now = Instant::now();
        for k in self.keys.values_mut() {
            if k.expires.is_some() {
                k.expires = Some(now);
            }
        }
        self.imds_current = None;
    }

    /// The secret keys and session tokens of the temporary credentials issued so far (for
    /// tests that look for them where they must not be).
    pub fn issued_secrets(&self) -> Vec<String> {
        self.keys
            .values()
            .filter(|k| k.expires.is_some())
            .flat_map(|k| [Some(k.secret.clone()), k.session_token.clone()])
            .flatten()
            .collect()
    }

    /// How many credentials STS has issued.
    pub fn sts_issued(&self) -> u64 {
        self.sts_issued
    }

    /// How many credentials the instance metadata service has issued.
    pub fn imds_issued(&self) -> u64 {
        self.imds_issued
    }

    /// Refuses `action` (`backup:ListCopyJobs`, `backup:GetBackupPlan`, `sts:AssumeRole`)
    /// to every caller with `AccessDeniedException`.
    pub fn deny(&mut self, action: &str) {
        self.denied.insert(action.to_string());
    }

    /// Adds a backup job (the `BackupJob` object of the API; `BackupJobId` is generated when
    /// absent); a job with the id of an existing one replaces it. Returns the id.
    pub fn add_backup_job(&mut self, job: serde_json::Value) -> String {
        self.add_job(JobList::Backup, job)
    }

    /// Adds a copy job (the `CopyJob` object of the API). Returns the `CopyJobId`.
    pub fn add_copy_job(&mut self, job: serde_json::Value) -> String {
        self.add_job(JobList::Copy, job)
    }

    /// Adds a restore job (the `RestoreJobsListMember` object of the API). Returns the
    /// `RestoreJobId`.
    pub fn add_restore_job(&mut self, job: serde_json::Value) -> String {
        self.add_job(JobList::Restore, job)
    }

    fn list_mut(&mut self, list: JobList) -> &mut Vec<serde_json::Value> {
        match list {
            JobList::Backup => &mut self.backup_jobs,
            JobList::Copy => &mut self.copy_jobs,
            JobList::Restore => &mut self.restore_jobs,
        }
    }

    pub(crate) fn list(&self, list: JobList) -> &[serde_json::Value] {
        match list {
            JobList::Backup => &self.backup_jobs,
            JobList::Copy => &self.copy_jobs,
            JobList::Restore => &self.restore_jobs,
        }
    }

    fn add_job(&mut self, list: JobList, job: serde_json::Value) -> String {
        let mut job = match job {
            serde_json::Value::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        let field = list.id_field();
        let id = match job.get(field).and_then(|v| v.as_str()) {
            Some(id) => id.to_string(),
            None => {
                let id = wire::uuid();
                job.insert(field.to_string(), id.clone().into());
                id
            }
        };
        job.entry("AccountId")
            .or_insert_with(|| self.account_id.clone().into());
        let jobs = self.list_mut(list);
        jobs.retain(|j| j.get(field).and_then(|v| v.as_str()) != Some(id.as_str()));
        jobs.push(serde_json::Value::Object(job));
        id
    }

    /// Merges `patch` (an object; a `null` member removes the field) into the job with this
    /// id, in whichever list it is. Whether a job was found.
    pub fn set_job(&mut self, id: &str, patch: serde_json::Value) -> bool {
        for list in [JobList::Backup, JobList::Copy, JobList::Restore] {
            let field = list.id_field();
            if let Some(job) = self
                .list_mut(list)
                .iter_mut()
                .find(|j| j.get(field).and_then(|v| v.as_str()) == Some(id))
            {
                if let (Some(o), Some(p)) = (job.as_object_mut(), patch.as_object()) {
                    for (k, v) in p {
                        if v.is_null() {
                            o.remove(k);
                        } else {
                            o.insert(k.clone(), v.clone());
                        }
                    }
                }
                return true;
            }
        }
        false
    }

    /// Removes every job of the three lists.
    pub fn clear_jobs(&mut self) {
        self.backup_jobs.clear();
        self.copy_jobs.clear();
        self.restore_jobs.clear();
    }

    /// Adds a backup plan as `GetBackupPlan` returns it: `{"BackupPlanId", "BackupPlan":
    /// {"BackupPlanName", "Rules": [{"RuleName", "TargetBackupVaultName",
    /// "ScheduleExpression", "ScheduleExpressionTimezone", "StartWindowMinutes",
    /// "CompletionWindowMinutes", …}]}, …}`. The simulator fills in what is absent:
    /// `BackupPlanId`, `BackupPlanArn`, `VersionId`, `CreationDate` and each rule's `RuleId`.
    /// Returns the plan id.
    pub fn add_plan(&mut self, plan: serde_json::Value) -> String {
        let mut plan = match plan {
            serde_json::Value::Object(o) => o,
            _ => serde_json::Map::new(),
        };
        let id = match plan.get("BackupPlanId").and_then(|v| v.as_str()) {
            Some(id) => id.to_string(),
            None => {
                let id = wire::uuid();
                plan.insert("BackupPlanId".into(), id.clone().into());
                id
            }
        };
        let arn = format!(
            "arn:aws:backup:{}:{}:backup-plan:{id}",
            self.region, self.account_id
        );
        plan.entry("BackupPlanArn").or_insert_with(|| arn.into());
        plan.entry("VersionId").or_insert_with(|| {
            format!("{:032x}", rand::random::<u128>())[..32]
                .to_string()
                .into()
        });
        plan.entry("CreationDate")
            .or_insert_with(|| epoch(jiff::Timestamp::now()));
        if let Some(rules) = plan
            .get_mut("BackupPlan")
            .and_then(|p| p.get_mut("Rules"))
            .and_then(|r| r.as_array_mut())
        {
            for r in rules.iter_mut().filter_map(|r| r.as_object_mut()) {
                r.entry("RuleId").or_insert_with(|| wire::uuid().into());
            }
        }
        self.plans
            .insert(id.clone(), serde_json::Value::Object(plan));
        id
    }

    /// The stored plan (as `GetBackupPlan` answers it, without the preview).
    pub fn plan(&self, id: &str) -> Option<&serde_json::Value> {
        self.plans.get(id)
    }

    /// Lets STS callers assume `role_arn` (with `ExternalId` required when given); sessions
    /// last at most an hour (the role's default `MaxSessionDuration`).
    pub fn add_role(&mut self, role_arn: &str, external_id: Option<&str>) {
        self.roles.insert(
            role_arn.to_string(),
            Role {
                external_id: external_id.map(str::to_string),
                max_session: Duration::from_secs(3600),
            },
        );
    }

    /// Sets the `MaxSessionDuration` of a role added with [`AwsState::add_role`].
    pub fn set_role_max_session(&mut self, role_arn: &str, max: Duration) {
        if let Some(r) = self.roles.get_mut(role_arn) {
            r.max_session = max;
        }
    }

    /// Accepts `token` as a web identity token (an OIDC JWT, opaque here) for
    /// `AssumeRoleWithWebIdentity` of `role_arn` (which is added as a role).
    pub fn set_web_identity(&mut self, token: &str, role_arn: &str) {
        if !self.roles.contains_key(role_arn) {
            self.add_role(role_arn, None);
        }
        self.web_identity
            .insert(token.to_string(), (role_arn.to_string(), false));
    }

    /// Makes a registered web identity token expired: STS answers `ExpiredTokenException`
    /// (a projected token the kubelet has not rotated yet).
    pub fn expire_web_identity(&mut self, token: &str) {
        if let Some(t) = self.web_identity.get_mut(token) {
            t.1 = true;
        }
    }

    /// Stops accepting every web identity token (a rotated projected token).
    pub fn revoke_web_identities(&mut self) {
        self.web_identity.clear();
    }

    /// The instance profile's role name the metadata service lists (`None`: an instance
    /// without one, whose credential paths answer 404).
    pub fn set_instance_role(&mut self, role: Option<&str>) {
        self.instance_role = role.map(str::to_string);
        self.imds_current = None;
    }

    /// Associates the service account `namespace`/`service_account` with the role `role`
    /// (a name in this account), as `CreatePodIdentityAssociation` does.
    pub fn associate_pod_identity(&mut self, namespace: &str, service_account: &str, role: &str) {
        self.pod_identities.insert(
            format!("system:serviceaccount:{namespace}:{service_account}"),
            role.to_string(),
        );
    }

    /// How many credentials the Pod Identity Agent has handed out.
    pub fn pod_identity_issued(&self) -> u64 {
        self.pod_identity_issued
    }

    /// Registers temporary credentials issued by STS, IMDS or EKS Auth for `ttl`.
    fn issue(&mut self, arn: &str, ttl: Duration) -> wire::IssuedCredentials {
        let access_key_id = format!(
            "ASIASIM{}",
            &format!("{:016X}", rand::random::<u64>())[..13]
        );
        let secret_access_key = format!("simsecret/{:030x}", rand::random::<u128>());
        let session_token = format!(
            "IQoJb3JpZ2luX2VjEsim{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let secs = i64::try_from(ttl.as_secs()).unwrap_or(3600);
        let now = jiff::Timestamp::now();
        let expiration = now
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(now);
        self.keys.insert(
            access_key_id.clone(),
            Key {
                secret: secret_access_key.clone(),
                session_token: Some(session_token.clone()),
                expires: Some(Instant::now() + ttl),
                arn: arn.to_string(),
            },
        );
        wire::IssuedCredentials {
            access_key_id,
            secret_access_key,
            session_token,
            expiration,
        }
    }
}

impl Sim {
    /// The AWS state, locked: the seeding API of AWS Backup, STS and IMDS.
    pub fn aws(&self) -> MutexGuard<'_, AwsState> {
        lock(&self.aws)
    }
}

/// `ThrottlingException` (400, "Rate exceeded"), for [`crate::sim::FaultRule`]s.
pub fn throttling() -> Fault {
    Fault::Status {
        status: 400,
        body: r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        retry_after: None,
    }
}

/// `TooManyRequestsException` (429), for [`crate::sim::FaultRule`]s.
pub fn too_many_requests() -> Fault {
    Fault::Status {
        status: 429,
        body: r#"{"__type":"TooManyRequestsException","message":"Too Many Requests"}"#.to_string(),
        retry_after: None,
    }
}

/// `ServiceUnavailableException` (503) as AWS Backup models it, for [`crate::sim::FaultRule`]s.
pub fn service_unavailable() -> Fault {
    Fault::Status {
        status: 503,
        body: r#"{"__type":"ServiceUnavailableException","Code":"ServiceUnavailableException","Message":"The service is unavailable. Please try again later.","Type":"Server"}"#
            .to_string(),
        retry_after: None,
    }
}

/// Whether a request is an STS query-protocol call (`Action=` in the form body or query).
fn is_sts(req: &SimRequest) -> bool {
    if req.path != "/" {
        return false;
    }
    let in_query = req.query.split('&').any(|p| p.starts_with("Action="));
    let in_body = req.method == "POST"
        && std::str::from_utf8(&req.body)
            .is_ok_and(|b| b.split('&').any(|p| p.starts_with("Action=")));
    in_query || in_body
}

/// Which AWS service owns this request, if any.
pub fn service_of(req: &SimRequest) -> Option<&'static str> {
    let p = req.path.as_str();
    if p.starts_with("/backup-jobs")
        || p.starts_with("/copy-jobs")
        || p.starts_with("/restore-jobs")
        || p.starts_with("/backup/plans/")
    {
        Some(AWS_BACKUP)
    } else if p.starts_with("/latest/api/token") || p.starts_with("/latest/meta-data/") {
        Some(AWS_IMDS)
    } else if p == pod_identity::PATH {
        Some(AWS_POD_IDENTITY)
    } else if is_sts(req) {
        Some(AWS_STS)
    } else {
        None
    }
}

/// Answers an AWS request, or `None` when it is not AWS's.
pub fn route(sim: &Sim, req: &SimRequest) -> Option<SimResponse> {
    match service_of(req)? {
        AWS_BACKUP => Some(backup::answer(sim, req)),
        AWS_IMDS => Some(imds::answer(sim, req)),
        AWS_POD_IDENTITY => Some(pod_identity::answer(sim, req)),
        _ => Some(sts::answer(sim, req)),
    }
}
