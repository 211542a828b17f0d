//! A ready-made Huawei data set for `--demo` and smoke tests: every service has queued,
//! running, succeeded and failed tasks with times relative to `now`.

use jiff::{SignedDuration, Timestamp};

use super::wire::{cbr_time, cce_time, dms_time, vbs_time};
use super::{CbrLog, CceTask, DmsTask, HuaweiState, VbsTask};

/// The VBS policy the example seeds.
pub const EXAMPLE_POLICY: &str = "policy-demo";
/// The CCE cluster the example seeds.
pub const EXAMPLE_CLUSTER: &str = "cluster-demo";
/// The Kafka instance the example seeds.
pub const EXAMPLE_INSTANCE: &str = "kafka-demo";

fn ago(now: Timestamp, mins: i64) -> Timestamp {
    now.checked_sub(SignedDuration::from_mins(mins))
        .unwrap_or(now)
}

impl HuaweiState {
    /// Seeds every service with a small, realistic task history ending at `now`:
    /// (minutes ago started, minutes ago ended or `None` while active, status).
    pub fn seed_example(&mut self, now: Timestamp) {
        let vbs = [
            (300, Some(280), "EXECUTE_SUCCESS"),
            (200, Some(150), "EXECUTE_FAIL"),
            (90, Some(30), "EXECUTE_TIMEOUT"),
            (20, None, "RUNNING"),
            (5, None, "WAITING"),
        ];
        for (i, (start, end, status)) in vbs.into_iter().enumerate() {
            self.add_vbs_task(
                EXAMPLE_POLICY,
                VbsTask {
                    job_id: format!("vbs-job-{i}"),
                    status: status.into(),
                    created_at: vbs_time(ago(now, start)),
                    finished_at: end.map(|e| vbs_time(ago(now, e))),
                    backup_name: format!("autobk_{i}"),
                    resource_id: format!("volume-{}", i % 2),
                    resource_type: "volume".into(),
                    error: (status == "EXECUTE_FAIL")
                        .then(|| ("VBS.1001".into(), "Snapshot creation failed.".into())),
                },
            );
        }
        let cbr = [
            (400, Some(380), "success", "backup", Some(100)),
            (250, Some(240), "failed", "backup", Some(35)),
            (120, Some(100), "success", "restore", Some(100)),
            (60, Some(1), "timeout", "replication", Some(80)),
            (15, None, "running", "backup", Some(45)),
            (2, None, "waiting", "backup", Some(0)),
        ];
        for (i, (start, end, status, op, progress)) in cbr.into_iter().enumerate() {
            let started = ago(now, start);
            self.add_cbr_log(CbrLog {
                id: format!("cbr-log-{i}"),
                status: status.into(),
                operation_type: op.into(),
                created_at: cbr_time(started),
                started_at: cbr_time(started),
                updated_at: cbr_time(end.map_or(now, |e| ago(now, e))),
                ended_at: end.map(|e| cbr_time(ago(now, e))),
                progress,
                resource_id: format!("ecs-{}", i % 3),
                resource_name: format!("ECS-000{}", i % 3),
                resource_type: "OS::Nova::Server".into(),
                vault_id: "vault-demo".into(),
                error: (status == "failed")
                    .then(|| ("BackupService.6018".into(), "The disk is busy.".into())),
            });
        }
        let cce = [
            (600, Some(590), "Success", "100"),
            (300, Some(295), "Failed", "60"),
            (10, None, "Running", "40"),
        ];
        for (i, (start, end, phase, progress)) in cce.into_iter().enumerate() {
            self.add_cce_task(
                EXAMPLE_CLUSTER,
                CceTask {
                    uid: format!("cce-snap-{i}"),
                    phase: phase.into(),
                    progress: Some(progress.into()),
                    created: cce_time(ago(now, start)),
                    updated: cce_time(ago(now, end.unwrap_or(0))),
                    completion: end.map(|e| cce_time(ago(now, e))),
                    items: vec![(
                        "master-backup".into(),
                        phase.into(),
                        if phase == "Failed" {
                            "EVS snapshot quota exceeded".into()
                        } else {
                            String::new()
                        },
                    )],
                },
            );
        }
        self.add_dms_instance(EXAMPLE_INSTANCE, "kafka-demo", "kafka");
        let dms = [
            (500, Some(499), "SUCCESS", "bindInstancePublicIp"),
            (200, Some(190), "FAILED", "changeRetentionPolicy"),
            (100, Some(100), "CANCELLED", "restartInstance"),
            (8, None, "EXECUTING", "modifyAutoTopic"),
            (1, None, "CREATED", "extendInstance"),
        ];
        for (i, (start, end, status, name)) in dms.into_iter().enumerate() {
            self.add_dms_task(
                EXAMPLE_INSTANCE,
                DmsTask {
                    id: format!("8abfa7b372160bfd01721658640640{i:02}"),
                    name: name.into(),
                    status: status.into(),
                    created_at: dms_time(ago(now, start)),
                    updated_at: dms_time(ago(now, end.unwrap_or(0))),
                    progress: (status == "EXECUTING").then_some(30),
                },
            );
        }
    }
}
