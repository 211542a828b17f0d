//! How the demo shows VBS: the jobs of one daily backup policy over two volumes, whose
//! nightly slot the second volume missed.

use jiff::Timestamp;

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase, missed_slot};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::wire::vbs_time;
use crate::sim::huawei::{VbsScheduledPolicy, VbsTask};
use crate::sim::{Sim, lock};

/// The demo's backup policy.
const POLICY: &str = "policy-demo-daily";

impl Demo for Client {
    const NAME: &'static str = "hw-vbs-demo";
    const RESOURCES: &'static [&'static str] = &["vol-demo-0001", "vol-demo-0002"];
    const TASK_KINDS: &'static [&'static str] = &["backup"];
    const MISSED: Option<&'static str> = Some("vol-demo-0002");

    fn keys(_sim_url: &str) -> String {
        hw::keys(super::KIND, &format!("policy_ids: [{POLICY}]"))
    }

    /// The policy runs daily at the missed slot: the first volume's runs since answer it,
    /// the second's stopped before it.
    fn seed(sim: &Sim, start: Timestamp) {
        hw::account(sim);
        lock(&sim.huawei).add_vbs_policy(
            POLICY,
            "daily-volume-backup",
            VbsScheduledPolicy::every_days(&missed_slot(start), 1),
            2,
        );
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
