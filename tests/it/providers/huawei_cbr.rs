//! Huawei CBR (Cloud Backup and Recovery): the operation logs of one project, with an IAM
//! user's token.

use cloud_task_exporter::sim::huawei::CbrLog;
use cloud_task_exporter::sim::huawei::wire::cbr_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::{SignedDuration, Timestamp};

use super::huawei::{Auth, HuaweiFixture, PROJECT, at, id_and_status, uuid};
use super::{Required, next_id};

pub(crate) struct HuaweiCbr;

impl HuaweiFixture for HuaweiCbr {
    const KIND: &'static str = "huawei_cbr";
    const UNIT: &'static str = PROJECT;
    const UNIT_NOUN: &'static str = "project";
    const AUTH: Auth = Auth::Iam;

    const LIST_KEY: &'static str = "operation_logs";
    const NATIVE_FORM: TimeForm = TimeForm::RfcOffset(3, 0);
    const REQUIRED: &'static [Required] = &id_and_status("id");
    const MODEL_FIELDS: &'static [&'static [&'static str]] =
        &[variants::CBR_OPTIONAL, variants::CBR_REQUIRED];

    /// CBR polls its one project: no other unit.
    fn keys(units: &[&str]) -> Option<String> {
        (units == [PROJECT]).then(String::new)
    }
    fn add_done(sim: &Sim, created: Timestamp, ok: bool) {
        let id = next_id();
        lock(&sim.huawei).add_cbr_log(CbrLog {
            id: uuid(id),
            status: if ok { "success" } else { "timeout" }.into(),
            operation_type: "backup".into(),
            created_at: cbr_time(created),
            started_at: cbr_time(created - SignedDuration::from_secs(1)),
            updated_at: cbr_time(at(5)),
            ended_at: Some(cbr_time(at(5))),
            progress: Some(100),
            resource_id: "ecs-faults-1".into(),
            resource_name: "web-1".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        });
    }
    fn add_success(sim: &Sim, id: &str, created: &str, finished: &str) {
        lock(&sim.huawei).add_cbr_log(CbrLog {
            id: id.into(),
            status: "success".into(),
            operation_type: "backup".into(),
            created_at: created.into(),
            started_at: created.into(),
            updated_at: finished.into(),
            ended_at: Some(finished.into()),
            progress: Some(100),
            resource_id: "ecs-1".into(),
            resource_name: "web-1".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        });
    }
}
