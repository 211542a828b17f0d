//! AWS Backup: `ListBackupJobs` (`GET /backup-jobs/`), `ListCopyJobs` (`GET /copy-jobs/`),
//! `ListRestoreJobs` (`GET /restore-jobs/`) and `GetBackupPlan`
//! (`GET /backup/plans/{backupPlanId}/`), with the query members of the botocore model.
//!
//! Lists: the jobs of the last 30 days
//! ([`AwsState::horizon`](super::AwsState::horizon)) of the caller's account (`accountId`:
//! another account, or `*` for all, from an Organizations management account only; otherwise
//! `AccessDeniedException`), newest `CreationDate` first, filtered by `state` (`status` for
//! restore jobs), `createdAfter`, `createdBefore`, `completeAfter`, `completeBefore` (ISO 8601
//! in the query, the model's default `timestampFormat` for REST-JSON query strings; bounds
//! exclusive; a job without `CompletionDate` never passes a completion bound),
//! `resourceType`, `resourceArn`, `backupVaultName`, `messageCategory` (`ANY`,
//! `AGGREGATE_ALL` and `*` match all), `parentJobId`, `destinationVaultArn`,
//! `sourceRecoveryPointArn`, `restoreTestingPlanArn`; unknown query members are ignored.
//! Pages of `maxResults` (1..=1000, default 1000) with an opaque `NextToken` tied to the
//! filters (another filter with it: `InvalidParameterValueException`); the token holds an
//! offset, so a job created between two page requests shifts the later pages by one (a record
//! repeats, none is skipped).
//!
//! Errors: a member outside the model's constraints (`maxResults`, the state enums, the
//! `accountId`, `backupVaultName` and `resourceType` patterns,
//! `MaxScheduledRunsPreview` 0..=10) is a `ValidationException` worded like AWS's front end; a
//! value that does not parse as its type (a number of seconds for a timestamp, a word for
//! `maxResults`) a `SerializationException`; an unknown plan or version a
//! `ResourceNotFoundException`. The newest-first order and the wording of the
//! `SerializationException`, `InvalidParameterValueException` and `AccessDeniedException`
//! messages are the simulator's: the API reference documents neither.

use base64::Engine;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};

use super::wire::{self, ListJobsOutput, ScheduledRun};
use super::{AWS_BACKUP, AwsState, CronSchedule, JobList, authenticate};
use crate::sim::faults::ListEdits;
use crate::sim::{Sim, SimRequest, SimResponse};

const BACKUP_STATES: &[&str] = &[
    "CREATED",
    "PENDING",
    "RUNNING",
    "ABORTING",
    "ABORTED",
    "COMPLETED",
    "FAILED",
    "EXPIRED",
    "PARTIAL",
];
const COPY_STATES: &[&str] = &["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"];
const RESTORE_STATES: &[&str] = &["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"];

/// Answers an AWS Backup request.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let st = sim.aws();
    let region = st.region.clone();
    let caller = match authenticate(&st, req, "backup", &[region.as_str()]) {
        Ok(c) => c.arn,
        Err(f) => return f.json(),
    };
    let segs = req.segments();
    let op = match (req.method.as_str(), segs.as_slice()) {
        ("GET", [one]) if one == "backup-jobs" => Op::List(JobList::Backup),
        ("GET", [one]) if one == "copy-jobs" => Op::List(JobList::Copy),
        ("GET", [one]) if one == "restore-jobs" => Op::List(JobList::Restore),
        ("GET", [b, p, id]) if b == "backup" && p == "plans" => Op::Plan(id.clone()),
        _ => {
            return wire::error(
                404,
                "UnknownOperationException",
                &format!("no operation for {} {}", req.method, req.path),
            );
        }
    };
    let action = match &op {
        Op::List(JobList::Backup) => "backup:ListBackupJobs",
        Op::List(JobList::Copy) => "backup:ListCopyJobs",
        Op::List(JobList::Restore) => "backup:ListRestoreJobs",
        Op::Plan(_) => "backup:GetBackupPlan",
    };
    if st.denied.contains(action) {
        return wire::error(
            403,
            "AccessDeniedException",
            &format!(
                "User: {caller} is not authorized to perform: {action} because no identity-based policy allows the {action} action"
            ),
        );
    }
    match op {
        Op::List(list) => {
            let rules = sim.record_rules(AWS_BACKUP);
            let edits = ListEdits::for_unit(&rules, list.unit());
            list_jobs(&st, req, list, &edits)
        }
        Op::Plan(id) => get_plan(&st, req, &id),
    }
}

enum Op {
    List(JobList),
    Plan(String),
}

/// A parsed, validated list request.
struct Filters {
    max: usize,
    offset: usize,
    /// Identifies the filters in page tokens.
    digest: String,
}

fn parse_time(
    q: &std::collections::BTreeMap<String, String>,
    name: &str,
) -> Result<Option<f64>, SimResponse> {
    let Some(v) = q.get(name) else {
        return Ok(None);
    };
    match v.parse::<Timestamp>() {
        #[allow(clippy::cast_precision_loss)]
        Ok(t) => Ok(Some(t.as_millisecond() as f64 / 1000.0)),
        Err(_) => Err(wire::error(
            400,
            "SerializationException",
            &format!("Unable to parse '{name}': '{v}' is not an ISO 8601 date-time"),
        )),
    }
}

fn str_of<'a>(job: &'a serde_json::Value, field: &str) -> Option<&'a str> {
    job.get(field).and_then(|v| v.as_str())
}

fn list_jobs(st: &AwsState, req: &SimRequest, list: JobList, edits: &ListEdits) -> SimResponse {
    let q = req.query_map();
    let filters = match validate(st, &q, list) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let account = q.get("accountId").map(String::as_str);
    if let Some(a) = account
        && a != st.account_id
        && !st.organization_management
    {
        return wire::error(
            403,
            "AccessDeniedException",
            "Only the management account of an organization can list the jobs of other accounts.",
        );
    }
    let times = match (
        parse_time(&q, "createdAfter"),
        parse_time(&q, "createdBefore"),
        parse_time(&q, "completeAfter"),
        parse_time(&q, "completeBefore"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => [a, b, c, d],
        (Err(r), ..) | (_, Err(r), ..) | (_, _, Err(r), _) | (_, _, _, Err(r)) => return r,
    };
    let [
        created_after,
        created_before,
        complete_after,
        complete_before,
    ] = times;
    #[allow(clippy::cast_precision_loss)]
    let horizon =
        (Timestamp::now().as_second() - i64::try_from(st.horizon.as_secs()).unwrap_or(0)) as f64;
    let (state_param, state_field) = match list {
        JobList::Restore => ("status", "Status"),
        _ => ("state", "State"),
    };
    let eq = |job: &serde_json::Value, param: &str, field: &str| {
        q.get(param)
            .is_none_or(|want| str_of(job, field) == Some(want.as_str()))
    };
    let category_ok = |job: &serde_json::Value| match q.get("messageCategory").map(String::as_str) {
        None | Some("ANY" | "AGGREGATE_ALL" | "*") => true,
        Some(want) => str_of(job, "MessageCategory") == Some(want),
    };
    let mut jobs: Vec<(f64, &serde_json::Value)> = st
        .list(list)
        .iter()
        .filter_map(|job| {
            let created = job.get("CreationDate").and_then(wire::read_epoch);
            let completed = job.get("CompletionDate").and_then(wire::read_epoch);
            let account_ok = match account {
                Some("*") => true,
                Some(a) => str_of(job, "AccountId") == Some(a),
                None => str_of(job, "AccountId") == Some(st.account_id.as_str()),
            };
            let created_ok = created.is_none_or(|c| c >= horizon)
                && created_after.is_none_or(|a| created.is_some_and(|c| c > a))
                && created_before.is_none_or(|b| created.is_some_and(|c| c < b));
            let complete_ok = complete_after.is_none_or(|a| completed.is_some_and(|c| c > a))
                && complete_before.is_none_or(|b| completed.is_some_and(|c| c < b));
            let ok = account_ok
                && created_ok
                && complete_ok
                && eq(job, state_param, state_field)
                && eq(job, "resourceType", "ResourceType")
                && eq(job, "parentJobId", "ParentJobId")
                && match list {
                    JobList::Backup => {
                        eq(job, "resourceArn", "ResourceArn")
                            && eq(job, "backupVaultName", "BackupVaultName")
                            && category_ok(job)
                    }
                    JobList::Copy => {
                        eq(job, "resourceArn", "ResourceArn")
                            && eq(job, "destinationVaultArn", "DestinationBackupVaultArn")
                            && eq(job, "sourceRecoveryPointArn", "SourceRecoveryPointArn")
                            && category_ok(job)
                    }
                    JobList::Restore => q.get("restoreTestingPlanArn").is_none_or(|want| {
                        job.get("CreatedBy")
                            .and_then(|c| c.get("RestoreTestingPlanArn"))
                            .and_then(|v| v.as_str())
                            == Some(want.as_str())
                    }),
                };
            ok.then_some((created.unwrap_or(f64::MAX), job))
        })
        .collect();
    jobs.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| str_of(a.1, list.id_field()).cmp(&str_of(b.1, list.id_field())))
    });
    let mut records: Vec<serde_json::Value> = jobs.into_iter().map(|(_, j)| j.clone()).collect();
    edits.apply(&mut records, list.id_field(), &|_, _| None);
    let start = filters.offset.min(records.len());
    let end = start.saturating_add(filters.max).min(records.len());
    let next_token = (end < records.len()).then(|| token(end, &filters.digest));
    let page = records[start..end].to_vec();
    let out = ListJobsOutput {
        list_name: match list {
            JobList::Backup => "BackupJobs",
            JobList::Copy => "CopyJobs",
            JobList::Restore => "RestoreJobs",
        },
        jobs: (!edits.null_list()).then_some(page),
        next_token,
    };
    SimResponse::json(200, &out.to_json()).with_header("x-amzn-requestid", &wire::request_id())
}

fn token(offset: usize, digest: &str) -> String {
    let raw = serde_json::json!({"o": offset, "f": digest, "n": format!("{:08x}", rand::random::<u32>())});
    base64::engine::general_purpose::STANDARD.encode(raw.to_string())
}

fn read_token(t: &str, digest: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD.decode(t).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    (v.get("f")?.as_str()? == digest)
        .then(|| v.get("o")?.as_u64())
        .flatten()
        .and_then(|o| usize::try_from(o).ok())
}

fn matches_pattern(s: &str, min: usize, max: usize, extra: &[char]) -> bool {
    (min..=max).contains(&s.chars().count())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

fn validate(
    st: &AwsState,
    q: &std::collections::BTreeMap<String, String>,
    list: JobList,
) -> Result<Filters, SimResponse> {
    let max = match q.get("maxResults") {
        None => st.default_max_results,
        Some(v) => {
            let n: i64 = v.parse().map_err(|_| {
                wire::error(
                    400,
                    "SerializationException",
                    &format!("Unable to parse 'maxResults': '{v}' is not an integer"),
                )
            })?;
            if n < 1 {
                return Err(wire::validation(
                    v,
                    "maxResults",
                    "Member must have value greater than or equal to 1",
                ));
            }
            if n > 1000 {
                return Err(wire::validation(
                    v,
                    "maxResults",
                    "Member must have value less than or equal to 1000",
                ));
            }
            usize::try_from(n).unwrap_or(1000)
        }
    };
    let (state_param, states, member) = match list {
        JobList::Backup => ("state", BACKUP_STATES, "byState"),
        JobList::Copy => ("state", COPY_STATES, "byState"),
        JobList::Restore => ("status", RESTORE_STATES, "byStatus"),
    };
    if let Some(s) = q.get(state_param)
        && !states.contains(&s.as_str())
    {
        return Err(wire::validation(
            s,
            member,
            &format!(
                "Member must satisfy enum value set: [{}]",
                states.join(", ")
            ),
        ));
    }
    if let Some(a) = q.get("accountId")
        && a != "*"
        && !(a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(wire::validation(
            a,
            "byAccountId",
            "Member must satisfy regular expression pattern: ^[0-9]{12}$",
        ));
    }
    if let Some(v) = q.get("backupVaultName")
        && list == JobList::Backup
        && !matches_pattern(v, 2, 50, &['-', '_'])
    {
        return Err(wire::validation(
            v,
            "byBackupVaultName",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-\\_]{2,50}$",
        ));
    }
    if let Some(v) = q.get("resourceType")
        && !matches_pattern(v, 1, 50, &['-', '_', '.'])
    {
        return Err(wire::validation(
            v,
            "byResourceType",
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-\\_\\.]{1,50}$",
        ));
    }
    let mut h = Sha256::new();
    h.update(list.unit());
    for (k, v) in q
        .iter()
        .filter(|(k, _)| *k != "nextToken" && *k != "maxResults")
    {
        h.update(format!("\n{k}={v}"));
    }
    let digest = hex::encode(&h.finalize()[..8]);
    let offset = match q.get("nextToken") {
        None => 0,
        Some(t) => read_token(t, &digest).ok_or_else(|| {
            wire::backup_error(
                400,
                "InvalidParameterValueException",
                "The next token is not valid for this request.",
                "nextToken",
            )
        })?,
    };
    Ok(Filters {
        max,
        offset,
        digest,
    })
}

fn get_plan(st: &AwsState, req: &SimRequest, id: &str) -> SimResponse {
    let q = req.query_map();
    let preview = match q.get("MaxScheduledRunsPreview") {
        None => 0,
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (0..=10).contains(&n) => usize::try_from(n).unwrap_or(0),
            Ok(n) => {
                return wire::validation(
                    v,
                    "maxScheduledRunsPreview",
                    if n < 0 {
                        "Member must have value greater than or equal to 0"
                    } else {
                        "Member must have value less than or equal to 10"
                    },
                );
            }
            Err(_) => {
                return wire::error(
                    400,
                    "SerializationException",
                    &format!("Unable to parse 'MaxScheduledRunsPreview': '{v}' is not an integer"),
                );
            }
        },
    };
    let not_found = || {
        wire::backup_error(
            404,
            "ResourceNotFoundException",
            &format!("Failed reading Backup plan with provided version: {id}"),
            id,
        )
    };
    let Some(plan) = st.plans.get(id) else {
        return not_found();
    };
    if let Some(v) = q.get("versionId")
        && plan.get("VersionId").and_then(|x| x.as_str()) != Some(v.as_str())
    {
        return not_found();
    }
    let mut out = plan.clone();
    if preview > 0 {
        let runs = match preview_runs(plan, Timestamp::now(), preview) {
            Ok(r) => r,
            Err(m) => {
                return wire::backup_error(400, "InvalidParameterValueException", &m, id);
            }
        };
        if let Some(o) = out.as_object_mut() {
            o.insert(
                "ScheduledRunsPreview".into(),
                serde_json::to_value(runs).unwrap_or_default(),
            );
        }
    }
    SimResponse::json(200, &out).with_header("x-amzn-requestid", &wire::request_id())
}

/// The next `n` runs of every scheduled rule of `plan`, merged in time order.
fn preview_runs(
    plan: &serde_json::Value,
    now: Timestamp,
    n: usize,
) -> Result<Vec<ScheduledRun>, String> {
    let rules = plan
        .get("BackupPlan")
        .and_then(|p| p.get("Rules"))
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default();
    let mut runs: Vec<(Timestamp, ScheduledRun)> = Vec::new();
    for rule in &rules {
        let Some(expr) = rule.get("ScheduleExpression").and_then(|v| v.as_str()) else {
            continue;
        };
        let cron = CronSchedule::parse(expr).map_err(|e| e.0)?;
        let tz = match rule
            .get("ScheduleExpressionTimezone")
            .and_then(|v| v.as_str())
        {
            None | Some("") | Some("Etc/UTC") | Some("UTC") => TimeZone::UTC,
            Some(name) => TimeZone::get(name).map_err(|_| format!("unknown time zone '{name}'"))?,
        };
        let continuous = rule
            .get("EnableContinuousBackup")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        let rule_id = rule
            .get("RuleId")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        for t in cron.next_runs(now, &tz, n) {
            runs.push((
                t,
                ScheduledRun {
                    execution_time: wire::epoch(t),
                    rule_id: rule_id.clone(),
                    rule_execution_type: if continuous {
                        "CONTINUOUS_AND_SNAPSHOTS"
                    } else {
                        "SNAPSHOTS"
                    },
                },
            ));
        }
    }
    runs.sort_by_key(|(t, _)| *t);
    runs.truncate(n);
    Ok(runs.into_iter().map(|(_, r)| r).collect())
}
