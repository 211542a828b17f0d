//! Huawei VBS (Volume Backup Service): the jobs of one backup policy, signed with AK/SK.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::huawei::VbsTask;
use cloud_task_exporter::sim::huawei::wire::vbs_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{self, Auth, at, uuid};
use super::{ProviderFixture, Required, next_id};
use crate::support;

const POLICY: &str = "policy-faults";

/// A finished task created at `created`, finished a few seconds ago.
fn add(sim: &Sim, created: Timestamp, ok: bool) {
    let id = next_id();
    let task = VbsTask {
        job_id: uuid(id),
        status: if ok {
            "EXECUTE_SUCCESS"
        } else {
            "EXECUTE_FAIL"
        }
        .into(),
        created_at: vbs_time(created),
        finished_at: Some(vbs_time(at(5))),
        backup_name: format!("autobk_{id}"),
        resource_id: "vol-faults-1".into(),
        resource_type: "volume".into(),
        error: None,
    };
    lock(&sim.huawei).add_vbs_task(POLICY, task);
}

pub(crate) struct HuaweiVbs;

impl ProviderFixture for HuaweiVbs {
    fn kind(&self) -> &'static str {
        "huawei_vbs"
    }
    fn unit(&self) -> &'static str {
        POLICY
    }
    fn unit_noun(&self) -> &'static str {
        "policy"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        huawei::register(sim);
        huawei::seed_done(sim, n, add);
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        let rest = support::ids("policy_ids", units);
        Some(huawei::target(
            self.kind(),
            "hw-vbs-faults",
            url,
            settings,
            Auth::AkSk,
            &rest,
        ))
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        huawei::add_newest(sim, n, add);
    }
    fn expire_tokens(&self, _: &Sim) -> bool {
        false
    }
    fn token_service(&self) -> Option<&'static str> {
        None
    }

    fn list_key(&self) -> &'static str {
        "tasks"
    }
    fn status_field(&self) -> &'static str {
        "status"
    }
    fn created_field(&self) -> &'static str {
        "created_at"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::NaiveT(3)
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        TimeForm::huawei()
    }
    fn required(&self) -> &'static [Required] {
        &[
            Required {
                field: "job_id",
                names: "job_id",
                carries_id: true,
            },
            Required {
                field: "status",
                names: "status",
                carries_id: false,
            },
        ]
    }
    fn model_fields(&self) -> Vec<&'static str> {
        [variants::VBS_OPTIONAL, &["job_id", "status", "created_at"]].concat()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        lock(&sim.huawei).add_vbs_task(
            POLICY,
            VbsTask {
                job_id: id.into(),
                status: "EXECUTE_SUCCESS".into(),
                created_at: created.into(),
                finished_at: Some(finished.into()),
                backup_name: format!("autobk_{id}"),
                resource_id: "vol-1".into(),
                resource_type: "volume".into(),
                error: None,
            },
        );
    }
}
