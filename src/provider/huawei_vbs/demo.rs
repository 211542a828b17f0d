//! How the demo shows VBS: the jobs of one daily backup policy over two volumes.

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::wire::vbs_time;
use crate::sim::huawei::{VbsPolicy, VbsTask};
use crate::sim::{Sim, lock};

/// The demo's backup policy.
const POLICY: &str = "policy-demo-daily";

impl Demo for Client {
    const NAME: &'static str = "hw-vbs-demo";
    const RESOURCES: &'static [&'static str] = &["vol-demo-0001", "vol-demo-0002"];
    const TASK_KINDS: &'static [&'static str] = &["backup"];

    fn keys(_sim_url: &str) -> String {
        hw::keys(super::KIND, &format!("policy_ids: [{POLICY}]"))
    }

    fn seed(sim: &Sim) {
        hw::account(sim);
        let mut h = lock(&sim.huawei);
        h.vbs_policies.push(VbsPolicy {
            id: POLICY.to_string(),
            name: "daily-volume-backup".to_string(),
        });
        h.vbs_tasks.entry(POLICY.to_string()).or_default();
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let status = match t.phase {
            Phase::Queued => "WAITING",
            Phase::Running => "RUNNING",
            Phase::Succeeded => "EXECUTE_SUCCESS",
            Phase::Failed => "EXECUTE_FAIL",
            Phase::TimedOut => "EXECUTE_TIMEOUT",
            Phase::Cancelled => "SKIP",
        };
        let task = VbsTask {
            job_id: uuid(&t.id),
            status: status.to_string(),
            created_at: vbs_time(t.created),
            finished_at: t.finished.map(vbs_time),
            backup_name: format!("autobk_{}", t.id),
            resource_id: t.resource.clone(),
            resource_type: "volume".to_string(),
            error: hw::error(t),
        };
        let mut h = lock(&sim.huawei);
        let list = h.vbs_tasks.entry(POLICY.to_string()).or_default();
        hw::upsert(list, task, |a, b| a.job_id == b.job_id);
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        let id = uuid(&t.id);
        for list in lock(&sim.huawei).vbs_tasks.values_mut() {
            list.retain(|x| x.job_id != id);
        }
    }
}
