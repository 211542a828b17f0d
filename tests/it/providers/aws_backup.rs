//! AWS Backup: the backup job list of one account in `eu-west-1`, read with static keys.
//! Times are JSON numbers (epoch seconds); the forms of the generic tests are written as
//! numbers with as many fraction digits.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::Sim;
use cloud_task_exporter::sim::aws::epoch;
use cloud_task_exporter::sim::variants::TimeForm;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::{ProviderFixture, Required, next_id};
use crate::support;

/// The access key id the simulator accepts.
const ACCESS_KEY_ID: &str = "AKIAFIXTURE000000001";
/// Its secret.
const SECRET_ACCESS_KEY: &str = "fixture/secret/access/key/000000000000000";
/// The polled list.
const UNIT: &str = "backup";

/// A terminal backup job created 15 minutes ago and finished just now.
fn done(id: u64, ok: bool) -> Value {
    let now = Timestamp::now();
    let mut j = json!({
        "BackupJobId": id.to_string(),
        "State": if ok { "COMPLETED" } else { "FAILED" },
        "ResourceArn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-0fault",
        "ResourceType": "EBS",
        "CreationDate": epoch(now - SignedDuration::from_secs(900)),
        "CompletionDate": epoch(now - SignedDuration::from_secs(10)),
    });
    if ok {
        j["MessageCategory"] = json!("SUCCESS");
    } else {
        j["StatusMessage"] = json!("Access denied");
    }
    j
}

/// A time of the generic tests (RFC 3339) as the API sends it: epoch seconds, a JSON number
/// with the form's fraction digits.
fn as_epoch(t: &str) -> Value {
    let ts: Timestamp = t.parse().unwrap_or_else(|e| panic!("{t}: {e}"));
    let digits = t
        .split_once('.')
        .map_or(0, |(_, f)| f.bytes().take_while(u8::is_ascii_digit).count());
    let text = if digits == 0 {
        ts.as_second().to_string()
    } else {
        let frac = format!("{:09}", ts.subsec_nanosecond());
        format!("{}.{}", ts.as_second(), &frac[..digits.min(9)])
    };
    serde_json::from_str(&text).unwrap()
}

/// The keys of a target polling `lists` with the fixture's keys.
fn keys(lists: &[&str], extra: &str) -> String {
    format!(
        "provider: aws_backup\nregion: eu-west-1\njob_types: [{}]\nauth: {{ access_key_id: {ACCESS_KEY_ID}, secret_access_key: '{SECRET_ACCESS_KEY}' }}\n{extra}",
        lists.join(", ")
    )
}

pub(crate) struct AwsBackup;

impl ProviderFixture for AwsBackup {
    fn kind(&self) -> &'static str {
        "aws_backup"
    }
    fn unit(&self) -> &'static str {
        UNIT
    }
    fn unit_noun(&self) -> &'static str {
        "job list"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        let mut aws = sim.aws();
        aws.add_credentials(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None);
        for i in 0..n {
            aws.add_backup_job(done(next_id(), i % 2 == 0));
        }
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        // The units are the three job lists: no other can be polled.
        if !units.iter().all(|u| ["backup", "copy", "restore"].contains(u)) {
            return None;
        }
        Some(support::target("aws-faults", url, &keys(units, ""), settings))
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        let mut aws = sim.aws();
        for i in 0..n {
            aws.add_backup_job(done(next_id(), i % 2 == 1));
        }
    }
    fn expire_tokens(&self, _sim: &Sim) -> bool {
        false
    }
    fn token_service(&self) -> Option<&'static str> {
        None
    }

    fn list_key(&self) -> &'static str {
        "BackupJobs"
    }
    fn status_field(&self) -> &'static str {
        "State"
    }
    fn created_field(&self) -> &'static str {
        "CreationDate"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::RfcZ(3)
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        // A JSON number carries up to some 16 significant digits: microseconds at most.
        vec![
            TimeForm::RfcZ(0),
            TimeForm::RfcZ(1),
            TimeForm::RfcZ(3),
            TimeForm::RfcZ(6),
            TimeForm::RfcOffset(3, 120),
        ]
    }
    fn required(&self) -> &'static [Required] {
        &[
            Required {
                field: "BackupJobId",
                names: "BackupJobId",
                carries_id: true,
            },
            Required {
                field: "State",
                names: "State",
                carries_id: false,
            },
        ]
    }
    fn model_fields(&self) -> Vec<&'static str> {
        vec![
            "BackupJobId",
            "State",
            "AccountId",
            "BackupVaultName",
            "ResourceArn",
            "ResourceName",
            "ResourceType",
            "CreationDate",
            "InitiationDate",
            "CompletionDate",
            "StartBy",
            "StatusMessage",
            "MessageCategory",
            "PercentDone",
            "CreatedBy",
        ]
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        sim.aws().add_backup_job(json!({
            "BackupJobId": id,
            "State": "COMPLETED",
            "MessageCategory": "SUCCESS",
            "ResourceArn": "arn:aws:ec2:eu-west-1:123456789012:volume/vol-1",
            "ResourceName": "web-1",
            "ResourceType": "EBS",
            "BackupVaultName": "prod-vault",
            "CreationDate": as_epoch(created),
            "InitiationDate": as_epoch(created),
            "CompletionDate": as_epoch(finished),
            "PercentDone": "100.0",
            "StatusMessage": "",
            "CreatedBy": { "BackupPlanId": "plan-1" },
        }));
    }
    fn success_progress(&self) -> Option<f64> {
        Some(1.0)
    }
}
