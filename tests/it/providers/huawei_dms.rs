//! Huawei DMS (Distributed Message Service): the background tasks of one Kafka instance,
//! with an IAM user's token.

use cloud_task_exporter::sim::huawei::DmsTask;
use cloud_task_exporter::sim::huawei::wire::dms_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{Auth, HuaweiFixture, at, id_and_status};
use super::{Required, next_id};
use crate::support;

const INSTANCE: &str = "instance-faults";

pub(crate) struct HuaweiDms;

impl HuaweiFixture for HuaweiDms {
    const KIND: &'static str = "huawei_dms";
    const UNIT: &'static str = INSTANCE;
    const UNIT_NOUN: &'static str = "instance";
    const AUTH: Auth = Auth::Iam;

    const LIST_KEY: &'static str = "tasks";
    const NATIVE_FORM: TimeForm = TimeForm::RfcZ(3);
    const REQUIRED: &'static [Required] = &id_and_status("id");
    const MODEL_FIELDS: &'static [&'static [&'static str]] = &[variants::DMS_OPTIONAL];

    fn keys(units: &[&str]) -> Option<String> {
        Some(format!("engine: kafka\n{}", support::ids("instance_ids", units)))
    }
    fn resources(sim: &Sim) {
        lock(&sim.huawei).add_dms_instance(INSTANCE, "kafka-1", "kafka");
    }
    fn add_done(sim: &Sim, created: Timestamp, ok: bool) {
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
    fn add_success(sim: &Sim, id: &str, created: &str, finished: &str) {
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
