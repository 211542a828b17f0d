//! How the demo shows CCE: master snapshots of one production cluster.

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::CceTask;
use crate::sim::huawei::wire::cce_time;
use crate::sim::{Sim, lock};

impl Demo for Client {
    const NAME: &'static str = "hw-cce-demo";
    const RESOURCES: &'static [&'static str] = &["cce-demo-prod"];
    const TASK_KINDS: &'static [&'static str] = &["backup"];

    fn keys(_sim_url: &str) -> String {
        let ids = Self::RESOURCES.join(", ");
        hw::keys(super::KIND, &format!("cluster_ids: [{ids}]"))
    }

    fn seed(sim: &Sim, _start: jiff::Timestamp) {
        hw::account(sim);
        let mut h = lock(&sim.huawei);
        for r in Self::RESOURCES {
            h.add_cce_cluster(r, "prod-cluster");
            h.cce_tasks.entry(r.to_string()).or_default();
        }
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let phase = match t.phase {
            Phase::Queued => "Queuing",
            Phase::Running => "Running",
            Phase::Succeeded => "Success",
            Phase::Failed | Phase::Cancelled => "Failed",
            Phase::TimedOut => "Error",
        };
        let updated = t.finished.or(t.started).unwrap_or(t.created);
        let task = CceTask {
            uid: uuid(&t.id),
            phase: phase.to_string(),
            progress: Some(t.progress.to_string()),
            created: cce_time(t.created),
            updated: cce_time(updated),
            completion: t.finished.map(cce_time),
            items: vec![(
                "EtcdSnapshot".to_string(),
                phase.to_string(),
                hw::error(t).map(|e| e.1).unwrap_or_default(),
            )],
        };
        let mut h = lock(&sim.huawei);
        let list = h.cce_tasks.entry(t.resource.clone()).or_default();
        hw::upsert(list, task, |a, b| a.uid == b.uid);
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        let id = uuid(&t.id);
        for list in lock(&sim.huawei).cce_tasks.values_mut() {
            list.retain(|x| x.uid != id);
        }
    }
}
