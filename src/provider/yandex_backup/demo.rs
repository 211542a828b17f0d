//! How the demo shows Yandex Cloud Backup: three instances backed up, cleaned up and
//! re-policied, read with a service-account key signed into a JWT.

use jiff::Timestamp;

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase};
use crate::sim::yandex::SimTask;
use crate::sim::{Sim, lock};

impl Demo for Client {
    const NAME: &'static str = "yc-demo";
    const RESOURCES: &'static [&'static str] = &["fhm1demoweb01", "fhm2demodb001", "fhm3demoapp01"];
    const TASK_KINDS: &'static [&'static str] = &["BACKUP", "RETENTION", "APPLY_POLICY"];

    fn keys(sim_url: &str) -> String {
        // The simulator's own key: its JSON has no quote YAML would need doubled.
        let key = crate::sim::yandex::test_authorized_key_json();
        let ids = Self::RESOURCES.join(", ");
        format!(
            "provider: yandex_backup\nauth: {{ service_account_key: '{key}', iam_endpoint: '{sim_url}' }}\ncompute_instance_ids: [{ids}]"
        )
    }

    fn seed(sim: &Sim) {
        let mut y = lock(&sim.yandex);
        y.register_test_sa_key();
        for r in Self::RESOURCES {
            y.add_instance(r);
        }
    }

    fn write(sim: &Sim, t: &DemoTask) {
        let (status, result) = match t.phase {
            Phase::Queued => ("ENQUEUED", None),
            Phase::Running => ("STARTED", None),
            Phase::Succeeded => ("COMPLETED", Some(("OK", None))),
            Phase::Failed => (
                "COMPLETED",
                Some((
                    "ERROR",
                    Some("Backup failed: the agent lost the connection"),
                )),
            ),
            Phase::TimedOut => (
                "COMPLETED",
                Some(("TIMEDOUT", Some("The task exceeded its time limit"))),
            ),
            Phase::Cancelled => ("COMPLETED", Some(("CANCELLED", None))),
        };
        let rfc3339 = |t: Timestamp| t.to_string();
        let started = t.started.map(rfc3339);
        let finished = t.finished.map(rfc3339);
        let kind = Self::TASK_KINDS.get(t.kind).copied().unwrap_or("BACKUP");
        let mut task = SimTask::new(&t.id, kind, status).times(
            &rfc3339(t.created),
            started.as_deref(),
            finished.as_deref(),
        );
        if let Some((code, err)) = result {
            task = task.result(code, err);
        }
        if t.phase == Phase::Running {
            task = task.progress(i64::from(t.progress), 100);
        }
        lock(&sim.yandex).upsert_task(&t.resource, task);
    }

    fn remove(sim: &Sim, t: &DemoTask) {
        lock(&sim.yandex).remove_task(&t.resource, &t.id);
    }
}
