//! Huawei VBS (Volume Backup Service): the jobs of one backup policy, signed with AK/SK.

use cloud_task_exporter::sim::huawei::VbsTask;
use cloud_task_exporter::sim::huawei::wire::vbs_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{Auth, HuaweiFixture, at, id_and_status, uuid};
use super::{Required, next_id};
use crate::support;

const POLICY: &str = "policy-faults";

pub(crate) struct HuaweiVbs;

impl HuaweiFixture for HuaweiVbs {
    const KIND: &'static str = "huawei_vbs";
    const UNIT: &'static str = POLICY;
    const UNIT_NOUN: &'static str = "policy";
    const AUTH: Auth = Auth::AkSk;

    const LIST_KEY: &'static str = "tasks";
    const NATIVE_FORM: TimeForm = TimeForm::NaiveT(3);
    const REQUIRED: &'static [Required] = &id_and_status("job_id");
    const MODEL_FIELDS: &'static [&'static [&'static str]] =
        &[variants::VBS_OPTIONAL, &["job_id", "status", "created_at"]];

    fn keys(units: &[&str]) -> Option<String> {
        Some(support::ids("policy_ids", units))
    }
    fn add_done(sim: &Sim, created: Timestamp, ok: bool) {
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
    fn add_success(sim: &Sim, id: &str, created: &str, finished: &str) {
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
