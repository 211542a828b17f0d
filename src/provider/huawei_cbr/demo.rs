//! How the demo shows CBR: the project's operation log, backups and restores of two servers,
//! each in its own vault: the first vault's backup policy is switched off (not scheduled), the
//! second's runs daily.

use jiff::Timestamp;

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase, kept_slot};
use crate::provider::huawei::demo::{self as hw, uuid};
use crate::sim::huawei::{CbrLog, CbrPolicy, CbrVault};
use crate::sim::huawei::wire::cbr_time;
use crate::sim::{Sim, lock};

impl Demo for Client {
    const NAME: &'static str = "hw-cbr-demo";
    const RESOURCES: &'static [&'static str] = &["ecs-demo-0001", "ecs-demo-0002"];
    const TASK_KINDS: &'static [&'static str] = &["backup", "restore", "replication"];

    fn keys(_sim_url: &str) -> String {
        hw::keys(super::KIND, "")
    }

    fn seed(sim: &Sim, start: Timestamp) {
        hw::account(sim);
        let (hour, minute) = kept_slot(start);
        let daily = format!("FREQ=DAILY;INTERVAL=1;BYHOUR={hour};BYMINUTE={minute}");
        let mut h = lock(&sim.huawei);
        for (i, r) in Self::RESOURCES.iter().enumerate() {
            let n = i + 1;
            let vault = format!("vault-demo-{n:04}");
            h.add_cbr_vault(
                CbrVault::new(&vault, &format!("vault-web-{n}")).resource(
                    r,
                    &format!("web-server-{n}"),
                    "OS::Nova::Server",
                ),
            );
            h.add_cbr_policy(
                CbrPolicy::backup(
                    &format!("policy-demo-{n:04}"),
                    &format!("nightly-web-{n}"),
                    &[&daily],
                )
                .vault(&vault)
                .enabled(i != 0),
            );
        }
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
            vault_id: format!("vault-demo-000{n}"),
            error: hw::error(t),
        });
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        let id = uuid(&t.id);
        lock(&sim.huawei).cbr_logs.retain(|x| x.id != id);
    }
}
