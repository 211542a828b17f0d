//! Huawei DMS (Distributed Message Service): the background tasks of one Kafka instance,
//! with an IAM user's token.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::huawei::DmsTask;
use cloud_task_exporter::sim::huawei::wire::dms_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{self, Auth, at};
use super::{ProviderFixture, Required, next_id};
use crate::support;

const INSTANCE: &str = "instance-faults";

/// A finished task created at `created`, finished a few seconds ago.
fn add(sim: &Sim, created: Timestamp, ok: bool) {
    let id = next_id();
    let task = DmsTask {
        id: format!("{id:032x}"),
        name: "bindInstancePublicIp".into(),
        status: if ok { "SUCCESS" } else { "FAILED" }.into(),
        created_at: dms_time(created),
        updated_at: dms_time(at(5)),
        progress: None,
    };
    lock(&sim.huawei).add_dms_task(INSTANCE, task);
}

pub(crate) struct HuaweiDms;

impl ProviderFixture for HuaweiDms {
    fn kind(&self) -> &'static str {
        "huawei_dms"
    }
    fn unit(&self) -> &'static str {
        INSTANCE
    }
    fn unit_noun(&self) -> &'static str {
        "instance"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        huawei::register(sim);
        lock(&sim.huawei).add_dms_instance(INSTANCE, "kafka-1", "kafka");
        huawei::seed_done(sim, n, add);
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        let rest = format!("engine: kafka\n{}", support::ids("instance_ids", units));
        Some(huawei::target(
            self.kind(),
            "hw-dms-faults",
            url,
            settings,
            Auth::Iam,
            &rest,
        ))
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
        "tasks"
    }
    fn status_field(&self) -> &'static str {
        "status"
    }
    fn created_field(&self) -> &'static str {
        "created_at"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::RfcZ(3)
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
        variants::DMS_OPTIONAL.to_vec()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        lock(&sim.huawei).add_dms_task(
            INSTANCE,
            DmsTask {
                id: id.into(),
                name: "bindInstancePublicIp".into(),
                status: "SUCCESS".into(),
                created_at: created.into(),
                updated_at: finished.into(),
                progress: None,
            },
        );
    }
}
