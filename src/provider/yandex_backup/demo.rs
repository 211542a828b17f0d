//! How the demo shows Yandex Cloud Backup: three instances backed up, cleaned up and
//! re-policied, read with a service-account key signed into a JWT. A daily policy applies to
//! the first two; the third, whose runs stopped (the demo's overdue resource), has none.

use jiff::Timestamp;

use super::Client;
use crate::demo::service::{Demo, DemoTask, Phase, kept_slot};
use crate::sim::yandex::{SimBackupSet, SimBackupTime, SimPolicy, SimTask};
use crate::sim::{Sim, lock};

/// The demo's backup policy, and the folder it is in.
const POLICY: &str = "cdgdemopolicy01";
const FOLDER: &str = "b1gdemofolder01";

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

    fn seed(sim: &Sim, start: Timestamp) {
        let mut y = lock(&sim.yandex);
        y.register_test_sa_key();
        for r in Self::RESOURCES {
            y.add_instance(r);
        }
        let (hour, minute) = kept_slot(start);
        let daily = SimBackupTime::daily(&[(i64::from(hour), i64::from(minute))]);
        y.add_policy(SimPolicy::new(
            POLICY,
            "nightly-instances",
            FOLDER,
            vec![SimBackupSet::time(daily)],
        ));
        for r in &Self::RESOURCES[..2] {
            y.apply_policy(POLICY, r, true);
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
