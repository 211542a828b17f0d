//! How the demo shows CBR: the project's operation log, backups and restores of two servers.

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::CbrLog;
use crate::sim::huawei::wire::cbr_time;
use crate::sim::{Sim, lock};

impl Demo for Client {
    const NAME: &'static str = "hw-cbr-demo";
    const RESOURCES: &'static [&'static str] = &["ecs-demo-0001", "ecs-demo-0002"];
    const TASK_KINDS: &'static [&'static str] = &["backup", "restore", "replication"];

    fn keys(_sim_url: &str) -> String {
        hw::keys(super::KIND, "")
    }

    fn seed(sim: &Sim) {
        hw::account(sim);
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let status = match t.phase {
            Phase::Queued => "waiting",
            Phase::Running => "running",
            Phase::Succeeded => "success",
            Phase::Failed => "failed",
            Phase::TimedOut => "timeout",
            Phase::Cancelled => "skipped",
        };
        let n = t.resource.chars().last().unwrap_or('1');
        let updated = t.finished.or(t.started).unwrap_or(t.created);
        lock(&sim.huawei).add_cbr_log(CbrLog {
            id: uuid(&t.id),
            status: status.to_string(),
            operation_type: Self::TASK_KINDS
                .get(t.kind)
                .copied()
                .unwrap_or("backup")
                .to_string(),
            created_at: cbr_time(t.created),
            started_at: cbr_time(t.started.unwrap_or(t.created)),
            updated_at: cbr_time(updated),
            ended_at: t.finished.map(cbr_time),
            progress: Some(u32::from(t.progress)),
            resource_id: t.resource.clone(),
            resource_name: format!("web-server-{n}"),
            resource_type: "OS::Nova::Server".to_string(),
            vault_id: "vault-demo-0001".to_string(),
            error: hw::error(t),
        });
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        let id = uuid(&t.id);
        lock(&sim.huawei).cbr_logs.retain(|x| x.id != id);
    }
}
