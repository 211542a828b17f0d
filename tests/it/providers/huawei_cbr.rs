//! Huawei CBR (Cloud Backup and Recovery): the operation logs of one project, with an IAM
//! user's token.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::huawei::CbrLog;
use cloud_task_exporter::sim::huawei::wire::cbr_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::{SignedDuration, Timestamp};

use super::huawei::{self, Auth, PROJECT, at, uuid};
use super::{ProviderFixture, Required, next_id};

/// A finished task created at `created`, finished a few seconds ago.
fn add(sim: &Sim, created: Timestamp, ok: bool) {
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

pub(crate) struct HuaweiCbr;

impl ProviderFixture for HuaweiCbr {
    fn kind(&self) -> &'static str {
        "huawei_cbr"
    }
    fn unit(&self) -> &'static str {
        PROJECT
    }
    fn unit_noun(&self) -> &'static str {
        "project"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        huawei::register(sim);
        huawei::seed_done(sim, n, add);
    }
    /// CBR polls its one project: no other unit.
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        (units == [PROJECT]).then(|| {
            huawei::target(self.kind(), "hw-cbr-faults", url, settings, Auth::Iam, "")
        })
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        huawei::add_newest(sim, n, add);
    }
    fn expire_tokens(&self, sim: &Sim) -> bool {
        lock(&sim.huawei).expire_tokens();
        true
    }
    fn token_service(&self) -> Option<&'static str> {
        Some("huawei_iam")
    }

    fn list_key(&self) -> &'static str {
        "operation_logs"
    }
    fn status_field(&self) -> &'static str {
        "status"
    }
    fn created_field(&self) -> &'static str {
        "created_at"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::RfcOffset(3, 0)
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        TimeForm::huawei()
    }
    fn required(&self) -> &'static [Required] {
        &[
            Required {
                field: "id",
                names: "id",
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
        [variants::CBR_OPTIONAL, variants::CBR_REQUIRED].concat()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
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
