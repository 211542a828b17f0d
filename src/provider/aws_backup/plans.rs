//! The backup plans of an AWS Backup target, read into [`Policies`] (`docs/providers.md`
//! "AWS Backup schedules"). Nothing here does I/O: the client (`mod.rs`) notes where each
//! backup job came from ([`Origins`]), asks for the plans they name and hands each answer
//! over.
//!
//! No API lists which resources a plan backs up (its selections name tags, conditions and
//! wildcards), so the jobs say it: a resource belongs to the plan that created its latest
//! scheduled backup job (`CreatedBy.BackupPlanId`), and is covered by every rule of that
//! plan (a plan's resource assignments belong to the plan, and each of its rules backs up
//! all of them). Each rule is a [`Policy`]: its id is the `RuleId` the jobs name in
//! `CreatedBy.BackupRuleId`. A resource whose jobs were all started on demand, or that no
//! listing has shown yet, gets no answer ([`Policies::partial`]); one whose latest scheduled
//! job is older than the history keeps a pair ([`Origins::forget_before`]) leaves its plan.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;

use super::api::{Plan, Rule};
use crate::provider::error::ProviderError;
use crate::schedule::aws::{Aws, zone};
use crate::schedule::{Policies, Policy, Schedule, ScheduleError, SkipReason, Skipped};
use crate::timefmt;

/// Where one resource's latest scheduled backup job came from.
#[derive(Debug, Clone, PartialEq)]
struct Origin {
    /// `CreatedBy.BackupPlanId`.
    plan: String,
    /// The `CreationDate` of the latest job of the resource that the plan created.
    latest: Timestamp,
}

/// The plan of each resource, as the backup jobs listed so far tell it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Origins(BTreeMap<String, Origin>);

impl Origins {
    /// Takes in a backup job of `resource` created at `created` by `plan`: the resource
    /// belongs to the plan of its latest such job.
    pub(super) fn saw(&mut self, resource: &str, plan: &str, created: Timestamp) {
        match self.0.get_mut(resource) {
            Some(o) if o.plan == plan => o.latest = o.latest.max(created),
            Some(o) if o.latest >= created => {}
            _ => {
                self.0.insert(
                    resource.to_string(),
                    Origin {
                        plan: plan.to_string(),
                        latest: created,
                    },
                );
            }
        }
    }

    /// Forgets the resources whose latest scheduled job was created before `horizon`. No API
    /// says that a resource was deleted or taken out of its plan (only the jobs that stop
    /// say it), so a resource leaves its plan when its pair's history lets the pair go, and
    /// a plan no resource belongs to any more is no longer read.
    pub(super) fn forget_before(&mut self, horizon: Timestamp) {
        self.0.retain(|_, o| o.latest >= horizon);
    }

    /// The plans the resources belong to.
    pub(super) fn plans(&self) -> BTreeSet<String> {
        self.0.values().map(|o| o.plan.clone()).collect()
    }
}

/// The policies of the plans read: each plan's `GetBackupPlan` answer, or the error of one
/// that is gone (404) or forbidden (403), which is skipped. Each run AWS previews must be a
/// run of its rule's schedule as read here, else the rule is skipped as `unsupported`: never
/// a wrong schedule.
pub(super) fn policies(
    origins: &Origins,
    read: Vec<(String, Result<Plan, ProviderError>)>,
) -> Policies {
    let mut out = Policies {
        partial: true,
        ..Policies::default()
    };
    for (plan_id, answer) in read {
        let plan = match answer {
            Ok(p) if p.deletion_date.is_none() => p,
            Ok(_) => {
                out.skipped.push(Skipped {
                    policy: plan_id,
                    reason: SkipReason::Error,
                    message: "GetBackupPlan: the plan is deleted (DeletionDate)".to_string(),
                });
                continue;
            }
            Err(e) => {
                let reason = if e.status == Some(403) {
                    SkipReason::Forbidden
                } else {
                    SkipReason::Error
                };
                out.skipped.push(Skipped {
                    policy: plan_id,
                    reason,
                    message: e.to_string(),
                });
                continue;
            }
        };
        let body = plan.backup_plan.unwrap_or_default();
        let plan_name = body.backup_plan_name.unwrap_or_default();
        let mut rules = Vec::new();
        for (i, v) in body.rules.unwrap_or_default().into_iter().enumerate() {
            let Ok(rule) = serde_json::from_value::<Rule>(v) else {
                out.skipped.push(Skipped {
                    policy: plan_id.clone(),
                    reason: SkipReason::Unreadable,
                    message: format!("Rules[{i}] is not a BackupRule"),
                });
                continue;
            };
            let Some(id) = rule.rule_id.clone().filter(|r| !r.trim().is_empty()) else {
                out.skipped.push(Skipped {
                    policy: plan_id.clone(),
                    reason: SkipReason::Unreadable,
                    message: format!("Rules[{i}] has no RuleId"),
                });
                continue;
            };
            let name = format!(
                "{plan_name}/{}",
                rule.rule_name.as_deref().unwrap_or_default()
            );
            let schedule = match schedule(&rule) {
                Ok(s) => Some(s),
                Err(e) => {
                    let reason = match e {
                        ScheduleError::Unsupported { .. } => SkipReason::Unsupported,
                        _ => SkipReason::Unreadable,
                    };
                    out.skipped.push(Skipped {
                        policy: id.clone(),
                        reason,
                        message: e.to_string(),
                    });
                    None
                }
            };
            rules.push(Policy {
                id,
                name,
                enabled: true,
                schedule,
                start_window: Some(start_window(&rule)),
            });
        }
        for run in plan.scheduled_runs_preview.unwrap_or_default() {
            let (Some(rule), Some(at)) = (run.rule_id, run.execution_time) else {
                continue;
            };
            let Ok(Some(at)) = timefmt::epoch_seconds(&at.0) else {
                continue;
            };
            // Runs fall on whole minutes; the preview is "accurate to milliseconds".
            let Ok(at) = Timestamp::from_second(at.as_second().div_euclid(60) * 60) else {
                continue;
            };
            let Some(p) = rules.iter_mut().find(|p| p.id == rule) else {
                continue;
            };
            let Some(s) = &p.schedule else { continue };
            if s.latest_at_or_before(at) != Some(at) {
                out.skipped.push(Skipped {
                    policy: p.id.clone(),
                    reason: SkipReason::Unsupported,
                    message: format!(
                        "ScheduledRunsPreview: AWS runs the rule at {at}, which its ScheduleExpression as read here does not"
                    ),
                });
                p.schedule = None;
            }
        }
        let ids: BTreeSet<String> = rules.iter().map(|p| p.id.clone()).collect();
        for (resource, o) in &origins.0 {
            if o.plan == plan_id && !ids.is_empty() {
                out.by_resource.insert(resource.clone(), ids.clone());
            }
        }
        out.policies.extend(rules);
    }
    out
}

/// A rule's schedule: its expression (AWS Backup's default when absent) in its zone.
fn schedule(rule: &Rule) -> Result<Schedule, ScheduleError> {
    let tz = zone(rule.schedule_expression_timezone.as_deref())?;
    Ok(Schedule::Aws(Aws::parse(
        rule.schedule_expression.as_deref(),
        tz,
    )?))
}

/// AWS Backup's start window when a rule gives none: 8 hours
/// (<https://docs.aws.amazon.com/aws-backup/latest/devguide/creating-a-backup-plan.html>).
const DEFAULT_START_WINDOW_MINUTES: f64 = 480.0;

/// How long after its slot a job of `rule` may still start: `StartWindowMinutes`, or the
/// default when it is absent or not a positive number.
fn start_window(rule: &Rule) -> std::time::Duration {
    let minutes = rule
        .start_window_minutes
        .as_ref()
        .and_then(serde_json::Value::as_f64)
        .filter(|m| m.is_finite() && *m > 0.0)
        .map_or(DEFAULT_START_WINDOW_MINUTES, |m| m.min(1e7));
    std::time::Duration::from_secs_f64(minutes * 60.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::error::Reason;
    use crate::provider::http::decode_json;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn plan(json: &str) -> Result<Plan, ProviderError> {
        decode_json(json.as_bytes(), "GetBackupPlan")
    }

    /// The latest scheduled job names the plan; an older job of another plan does not move
    /// the resource back.
    #[test]
    fn a_resource_belongs_to_the_plan_of_its_latest_job() {
        let mut o = Origins::default();
        o.saw("vol-1", "p1", at("2026-12-05T05:00:00Z"));
        o.saw("vol-1", "p2", at("2026-12-06T05:00:00Z"));
        o.saw("vol-1", "p1", at("2026-12-04T05:00:00Z"));
        o.saw("vol-2", "p1", at("2026-12-06T05:00:00Z"));
        assert_eq!(o.0["vol-1"].plan, "p2");
        assert_eq!(o.plans(), ["p1".to_string(), "p2".to_string()].into());
    }

    /// A resource leaves its plan when its latest scheduled job is older than the horizon;
    /// a later job of the plan keeps it.
    #[test]
    fn a_resource_leaves_its_plan_when_its_latest_job_is_past_the_horizon() {
        let mut o = Origins::default();
        o.saw("vol-1", "p1", at("2026-10-01T05:00:00Z"));
        o.saw("vol-1", "p1", at("2026-11-10T05:00:00Z"));
        o.saw("vol-2", "p2", at("2026-11-01T05:00:00Z"));
        o.forget_before(at("2026-11-01T05:00:00Z"));
        assert_eq!(o.plans(), ["p1".to_string(), "p2".to_string()].into());
        o.forget_before(at("2026-11-01T05:00:01Z"));
        assert_eq!(o.plans(), ["p1".to_string()].into());
        assert!(!o.0.contains_key("vol-2"));
    }

    #[test]
    fn rules_become_policies_and_bad_ones_are_skipped() {
        let mut o = Origins::default();
        o.saw("vol-1", "p1", at("2026-12-06T05:00:00Z"));
        o.saw("db-1", "gone", at("2026-12-06T05:00:00Z"));
        o.saw("db-2", "denied", at("2026-12-06T05:00:00Z"));
        let p1 = plan(
            r#"{"BackupPlanId": "p1", "BackupPlan": {"BackupPlanName": "nightly", "Rules": [
              {"RuleName": "daily", "RuleId": "r-daily", "TargetBackupVaultName": "v",
               "ScheduleExpression": "cron(0 5 ? * * *)", "StartWindowMinutes": 60},
              {"RuleName": "default", "RuleId": "r-default", "TargetBackupVaultName": "v"},
              {"RuleName": "berlin", "RuleId": "r-berlin", "TargetBackupVaultName": "v",
               "ScheduleExpression": "cron(0 1 ? * MON *)", "ScheduleExpressionTimezone": "Europe/Berlin"},
              {"RuleName": "rate", "RuleId": "r-rate", "ScheduleExpression": "rate(1 day)"},
              {"RuleName": "no id", "ScheduleExpression": "cron(0 5 ? * * *)"},
              "odd"
            ]}, "ScheduledRunsPreview": [
              {"ExecutionTime": 1765170000.0, "RuleId": "r-daily", "RuleExecutionType": "SNAPSHOTS"},
              {"ExecutionTime": 1765170060, "RuleId": "r-default"}
            ]}"#,
        );
        let gone = Err(ProviderError {
            reason: Reason::Client,
            status: Some(404),
            message: "plan 'gone': GetBackupPlan: HTTP 404: ResourceNotFoundException".into(),
        });
        let denied = Err(ProviderError {
            reason: Reason::Auth,
            status: Some(403),
            message: "plan 'denied': GetBackupPlan: HTTP 403: AccessDeniedException".into(),
        });
        let p = policies(
            &o,
            vec![
                ("p1".into(), p1),
                ("gone".into(), gone),
                ("denied".into(), denied),
            ],
        );
        let ids: Vec<&str> = p.policies.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["r-daily", "r-default", "r-berlin", "r-rate"]);
        assert_eq!(p.policies[0].name, "nightly/daily");
        let skips: Vec<(&str, SkipReason)> = p
            .skipped
            .iter()
            .map(|s| (s.policy.as_str(), s.reason))
            .collect();
        assert_eq!(
            skips,
            [
                ("r-rate", SkipReason::Unsupported),
                ("p1", SkipReason::Unreadable),
                ("p1", SkipReason::Unreadable),
                // 1765170060 is 05:01Z: not a run of the default 05:00.
                ("r-default", SkipReason::Unsupported),
                ("gone", SkipReason::Error),
                ("denied", SkipReason::Forbidden),
            ]
        );
        assert!(p.policies[1].schedule.is_none());
        assert_eq!(p.by_resource["vol-1"].len(), 4);
        let now = at("2026-12-07T06:00:00Z");
        let none = BTreeSet::new();
        let d = p.due("vol-1", &none, now).unwrap();
        assert!(d.covered);
        assert_eq!(d.last_due, Some(at("2026-12-07T05:00:00Z")));
        // 2026-12-07 is a Monday: 01:00 in Berlin (CET) is 00:00Z, before the daily 05:00.
        assert_eq!(d.next, Some(at("2026-12-08T05:00:00Z")));
        assert_eq!(
            p.due("vol-1", &none, at("2026-12-07T04:00:00Z"))
                .unwrap()
                .last_due,
            Some(at("2026-12-07T00:00:00Z"))
        );
        assert_eq!(p.due("db-1", &none, now), None, "a gone plan: no answer");
        assert_eq!(p.due("db-2", &none, now), None, "a forbidden plan: no answer");
        assert_eq!(p.due("unseen", &none, now), None, "not seen: no answer");
    }

    #[test]
    fn a_deleted_plan_is_skipped() {
        let mut o = Origins::default();
        o.saw("vol-1", "p1", at("2026-12-06T05:00:00Z"));
        let p1 = plan(r#"{"BackupPlan": {"Rules": []}, "DeletionDate": 1765170000}"#);
        let p = policies(&o, vec![("p1".into(), p1)]);
        assert_eq!(p.skipped.len(), 1);
        assert_eq!(p.skipped[0].reason, SkipReason::Error);
        assert!(p.by_resource.is_empty());
    }

    #[test]
    fn the_start_window_is_the_rules_or_the_default() {
        let rule = |v: serde_json::Value| serde_json::from_value::<Rule>(v).unwrap();
        let minutes = |r: &Rule| start_window(r).as_secs() / 60;
        assert_eq!(minutes(&rule(serde_json::json!({"StartWindowMinutes": 60}))), 60);
        assert_eq!(minutes(&rule(serde_json::json!({}))), 480);
        for odd in [serde_json::json!("60"), serde_json::json!(0), serde_json::json!(-5)] {
            assert_eq!(minutes(&rule(serde_json::json!({"StartWindowMinutes": odd}))), 480);
        }
    }
}
