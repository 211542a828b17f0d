//! How the demo shows DMS: background tasks of one Kafka instance, read with an IAM user
//! token instead of AK/SK.

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::DmsTask;
use crate::sim::huawei::wire::dms_time;
use crate::sim::{Sim, lock};

/// The demo's IAM user (the simulator's own, never a real account's).
const DOMAIN: &str = "demo-account";
const USER: &str = "demo-user";
const PASSWORD: &str = "demo-password-not-a-real-one";

impl Demo for Client {
    const NAME: &'static str = "hw-kafka-demo";
    const RESOURCES: &'static [&'static str] = &["kafka-demo-01"];
    const TASK_KINDS: &'static [&'static str] =
        &["createTopic", "bindInstancePublicIp", "restart"];

    fn keys(sim_url: &str) -> String {
        let ids = Self::RESOURCES.join(", ");
        format!(
            "provider: {}\nengine: kafka\nregion: ap-southeast-1\nproject_id: '{}'\nauth: {{ iam: {{ endpoint: '{sim_url}', domain: {DOMAIN}, user: {USER}, password: {PASSWORD} }} }}\ninstance_ids: [{ids}]",
            super::KIND,
            hw::PROJECT,
        )
    }

    fn seed(sim: &Sim, _start: jiff::Timestamp) {
        hw::account(sim);
        let mut h = lock(&sim.huawei);
        h.add_user(DOMAIN, USER, PASSWORD);
        for r in Self::RESOURCES {
            h.add_dms_instance(r, "orders-kafka", "kafka");
            h.dms_tasks.entry(r.to_string()).or_default();
        }
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let status = match t.phase {
            Phase::Queued => "CREATED",
            Phase::Running => "EXECUTING",
            Phase::Succeeded => "SUCCESS",
            Phase::Failed | Phase::TimedOut => "FAILED",
            Phase::Cancelled => "CANCELLED",
        };
        let updated = t.finished.or(t.started).unwrap_or(t.created);
        let task = DmsTask {
            id: uuid(&t.id).replace('-', ""),
            name: Self::TASK_KINDS
                .get(t.kind)
                .copied()
                .unwrap_or("backup")
                .to_string(),
            status: status.to_string(),
            created_at: dms_time(t.created),
            updated_at: dms_time(updated),
            progress: Some(u32::from(t.progress)),
        };
        let mut h = lock(&sim.huawei);
        let list = h.dms_tasks.entry(t.resource.clone()).or_default();
        hw::upsert(list, task, |a, b| a.id == b.id);
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        let id = uuid(&t.id).replace('-', "");
        for list in lock(&sim.huawei).dms_tasks.values_mut() {
            list.retain(|x| x.id != id);
        }
    }
}
