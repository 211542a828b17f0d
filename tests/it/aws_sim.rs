//! The AWS simulator against botocore: `.ci/aws_sim_check.py` signs, pages and parses every
//! answer with botocore (pinned in `.ci/run`) and walks each body against the service model.
//! Outside CI the test is ignored, with the reason, when `python3` cannot import botocore
//! (`cfg(missing_botocore)`, set by build.rs); with `CI=true` it runs and fails instead.

use cloud_task_exporter::sim::aws::epoch;
use cloud_task_exporter::sim::{FakeCloud, Sim};
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::111122223333:role/aws-sim-check";

#[tokio::test]
#[cfg_attr(
    missing_botocore,
    ignore = "python3 cannot import botocore (pip install botocore==1.44.18; .ci/run installs it)"
)]
async fn botocore_signs_pages_and_parses_every_answer() {
    let sim = Sim::new();
    let now = jiff::Timestamp::now();
    let ago = |mins: i64| epoch(now - jiff::SignedDuration::from_mins(mins));
    {
        let mut aws = sim.aws();
        aws.add_credentials(
            "AKIDAWSSIMCHECK00001",
            "aws-sim-check/secret+key/0123456789",
            None,
        );
        aws.add_role(ROLE, Some("aws-sim-check-external"));
        aws.set_web_identity("eyJhbGciOiJSUzI1NiJ9.aws-sim-check.sig", ROLE);
        aws.set_instance_role(Some("aws-sim-check-instance"));
        aws.associate_pod_identity("monitoring", "aws-sim-check", "aws-sim-check-pod");
        for i in 0..23i64 {
            aws.add_backup_job(json!({
                "AccountId": "123456789012",
                "BackupJobId": format!("4a1c7d2e-0000-4000-8000-{i:012}"),
                "BackupVaultName": "prod-vault",
                "BackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:prod-vault",
                "RecoveryPointArn": format!("arn:aws:ec2:eu-west-1::snapshot/snap-{i:017x}"),
                "ResourceArn": format!("arn:aws:ec2:eu-west-1:123456789012:volume/vol-{i:017x}"),
                "ResourceName": format!("data-{i}"),
                "ResourceType": "EBS",
                "CreationDate": ago(30 + i * 7),
                "StartBy": ago(30 + i * 7 - 60),
                "CompletionDate": if i % 4 == 1 { Value::Null } else { ago(20 + i * 7) },
                "State": match i % 4 { 0 => "COMPLETED", 1 => "RUNNING", 2 => "FAILED", _ => "EXPIRED" },
                "StatusMessage": if i % 4 == 2 { "Insufficient privileges to perform this action." } else { "" },
                "PercentDone": "100.0",
                "BackupSizeInBytes": 1_073_741_824i64,
                "IamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole",
                "CreatedBy": {"BackupPlanId": "plan-check", "BackupRuleId": "rule-daily", "BackupRuleName": "daily",
                              "BackupRuleCron": "cron(0 5 ? * * *)", "BackupRuleTimezone": "Europe/Berlin"},
                "BackupType": "", "IsParent": false, "MessageCategory": "SUCCESS",
                "InitiationDate": ago(30 + i * 7),
            }));
        }
        // Drop the nulls the JSON above holds: absent, as the API sends them.
        for i in (1..23i64).step_by(4) {
            aws.set_job(
                &format!("4a1c7d2e-0000-4000-8000-{i:012}"),
                json!({"CompletionDate": null}),
            );
        }
        for i in 0..5i64 {
            aws.add_copy_job(json!({
                "AccountId": "123456789012", "CopyJobId": format!("copy-{i}"),
                "SourceBackupVaultArn": "arn:aws:backup:eu-west-1:123456789012:backup-vault:prod-vault",
                "DestinationBackupVaultArn": "arn:aws:backup:eu-central-1:123456789012:backup-vault:dr-vault",
                "ResourceArn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1",
                "CreationDate": ago(10 + i), "CompletionDate": ago(5 + i),
                "State": if i == 0 { "PARTIAL" } else { "COMPLETED" }, "BackupSizeInBytes": 42,
                "ResourceType": "EBS", "IsParent": false, "NumberOfChildJobs": 0, "MessageCategory": "SUCCESS",
            }));
        }
        for (i, status) in ["COMPLETED", "ABORTED", "PENDING"].into_iter().enumerate() {
            let i = i as i64;
            aws.add_restore_job(json!({
                "AccountId": "123456789012", "RestoreJobId": format!("restore-{i}"),
                "RecoveryPointArn": "arn:aws:ec2:eu-west-1::snapshot/snap-1",
                "CreationDate": ago(50 + i), "Status": status,
                "PercentDone": "0.00%", "ExpectedCompletionTimeMinutes": 10, "ResourceType": "EBS",
                "CreatedBy": {"RestoreTestingPlanArn": "arn:aws:backup:eu-west-1:123456789012:restore-testing-plan:t"},
            }));
        }
        aws.add_plan(json!({
            "BackupPlanId": "plan-check",
            "BackupPlan": {"BackupPlanName": "check", "Rules": [
                {"RuleName": "daily", "TargetBackupVaultName": "prod-vault", "RuleId": "rule-daily",
                 "ScheduleExpression": "cron(0 5 ? * * *)", "ScheduleExpressionTimezone": "Europe/Berlin",
                 "StartWindowMinutes": 60, "CompletionWindowMinutes": 180,
                 "Lifecycle": {"DeleteAfterDays": 35}},
                {"RuleName": "weekly", "TargetBackupVaultName": "prod-vault",
                 "ScheduleExpression": "cron(0 3 ? * SUN *)", "EnableContinuousBackup": true},
            ]},
        }));
    }
    let pod_token = sim
        .aws()
        .pod_identity_token("monitoring", "aws-sim-check", 3600);
    let cloud = FakeCloud::start(std::sync::Arc::clone(&sim)).await.unwrap();
    let config = json!({
        "access_key_id": "AKIDAWSSIMCHECK00001",
        "secret_access_key": "aws-sim-check/secret+key/0123456789",
        "region": "eu-west-1", "page_size": 5, "plan_id": "plan-check",
        "role_arn": ROLE, "external_id": "aws-sim-check-external",
        "web_identity_token": "eyJhbGciOiJSUzI1NiJ9.aws-sim-check.sig",
        "instance_role": "aws-sim-check-instance",
        "pod_identity_token": pod_token,
    });
    let out = tokio::process::Command::new("python3")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/aws_sim_check.py"))
        .arg(cloud.url())
        .arg(config.to_string())
        .output()
        .await
        .expect("python3 runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let summary: Value = serde_json::from_slice(&out.stdout).expect("a JSON summary");
    assert_eq!(
        summary["BackupJobs"],
        json!({"jobs": 23, "pages": 5}),
        "{summary}"
    );
    assert_eq!(summary["CopyJobs"], json!({"jobs": 5, "pages": 1}));
    assert_eq!(summary["RestoreJobs"], json!({"jobs": 3, "pages": 1}));
    assert_eq!(summary["failed"], 6);
    // Created 30, 37, …, 58 minutes ago.
    assert_eq!(summary["created_last_hour"], 5);
    assert_eq!(summary["preview"], 10);
    assert_eq!(summary["rules"], json!(["daily", "weekly"]));
    assert_eq!(summary["wrong_secret"][0], 403);
    assert_eq!(summary["wrong_secret"][1], "InvalidSignatureException");
    assert_eq!(
        summary["temporary"],
        json!([
            "AssumeRole",
            "AssumeRoleWithWebIdentity",
            "InstanceMetadata",
            "PodIdentity"
        ])
    );
    // Every request was signed by botocore and answered by the simulator's services.
    assert!(sim.request_count("aws_backup") >= 12);
    assert_eq!(sim.request_count("aws_sts"), 2);
    assert!(sim.request_count("aws_imds") >= 3);
    assert_eq!(sim.request_count("aws_pod_identity"), 1);
    assert_eq!(sim.request_count("unknown"), 0);
    cloud.shutdown().await;
}
