//! Yandex Cloud Backup: one Compute instance, polled with a service-account key.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{Sim, lock};

use super::{ProviderFixture, Required, ago, next_id};
use crate::support;

const INSTANCE: &str = "fhmfaultmatrix01";

fn done(id: u64, result: &str) -> SimTask {
    SimTask::new(id.to_string(), "BACKUP", "COMPLETED")
        .times(&ago(900), Some(&ago(890)), Some(&ago(10)))
        .result(result, None)
}

pub(crate) struct YandexBackup;

impl ProviderFixture for YandexBackup {
    fn kind(&self) -> &'static str {
        "yandex_backup"
    }
    fn unit(&self) -> &'static str {
        INSTANCE
    }
    fn unit_noun(&self) -> &'static str {
        "instance"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        let mut y = lock(&sim.yandex);
        y.register_test_sa_key();
        y.add_instance(INSTANCE);
        for i in 0..n {
            y.upsert_task(INSTANCE, done(next_id(), ["OK", "ERROR"][i % 2]));
        }
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        let units = support::ids("compute_instance_ids", units);
        let keys = support::yandex(&support::yandex_sa_key(), url, &units);
        Some(support::target("yc-faults", url, &keys, settings))
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        // The simulator lists newest first: new tasks go to the head and shift every
        // older one down a place.
        let mut y = lock(&sim.yandex);
        for i in 0..n {
            y.upsert_task(INSTANCE, done(next_id(), ["OK", "TIMEDOUT"][i % 2]));
        }
    }
    fn expire_tokens(&self, sim: &Sim) -> bool {
        lock(&sim.yandex).expire_all_tokens();
        true
    }
    fn token_service(&self) -> Option<&'static str> {
        Some("yandex_iam")
    }

    fn list_key(&self) -> &'static str {
        "tasks"
    }
    fn status_field(&self) -> &'static str {
        "status"
    }
    fn created_field(&self) -> &'static str {
        "enqueuedAt"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::RfcZ(3)
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        TimeForm::rfc3339()
    }
    fn required(&self) -> &'static [Required] {
        // Proto3 JSON reads an absent or null status as STATUS_UNSPECIFIED: a task with an
        // unknown status, not an invalid one.
        &[Required {
            field: "id",
            names: "id",
            carries_id: true,
        }]
    }
    fn model_fields(&self) -> Vec<&'static str> {
        variants::YANDEX_OPTIONAL.to_vec()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        lock(&sim.yandex).upsert_task(
            INSTANCE,
            SimTask::new(id, "BACKUP", "COMPLETED")
                .times(created, Some(created), Some(finished))
                .result("OK", None)
                .progress(5, 20),
        );
    }
}
