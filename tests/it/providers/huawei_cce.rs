//! Huawei CCE (Cloud Container Engine): the jobs of one cluster, signed with AK/SK. Its list
//! does not page.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::huawei::CceTask;
use cloud_task_exporter::sim::huawei::wire::cce_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{self, Auth, at, uuid};
use super::{ProviderFixture, Required, next_id};
use crate::support;

const CLUSTER: &str = "cluster-faults";

/// A finished task created at `created`, finished a few seconds ago.
fn add(sim: &Sim, created: Timestamp, ok: bool) {
    let id = next_id();
    let task = CceTask {
        uid: uuid(id),
        phase: if ok { "Success" } else { "Failed" }.into(),
        progress: Some("100".into()),
        created: cce_time(created),
        updated: cce_time(at(5)),
        completion: Some(cce_time(at(5))),
        items: vec![],
    };
    lock(&sim.huawei).add_cce_task(CLUSTER, task);
}

pub(crate) struct HuaweiCce;

impl ProviderFixture for HuaweiCce {
    fn kind(&self) -> &'static str {
        "huawei_cce"
    }
    fn unit(&self) -> &'static str {
        CLUSTER
    }
    fn unit_noun(&self) -> &'static str {
        "cluster"
    }

    fn seed(&self, sim: &Sim, n: usize) {
        huawei::register(sim);
        huawei::seed_done(sim, n, add);
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        let rest = support::ids("cluster_ids", units);
        Some(huawei::target(
            self.kind(),
            "hw-cce-faults",
            url,
            settings,
            Auth::AkSk,
            &rest,
        ))
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        huawei::add_newest(sim, n, add);
    }
    fn expire_tokens(&self, _: &Sim) -> bool {
        false
    }
    fn token_service(&self) -> Option<&'static str> {
        None
    }
    fn pages(&self) -> bool {
        false
    }

    fn list_key(&self) -> &'static str {
        "items"
    }
    fn status_field(&self) -> &'static str {
        "status.phase"
    }
    fn created_field(&self) -> &'static str {
        "metadata.creationTimestamp"
    }
    fn native_form(&self) -> TimeForm {
        TimeForm::Go {
            digits: 6,
            offset: 480,
            zone: "CST",
            monotonic: false,
        }
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        TimeForm::huawei()
    }
    fn required(&self) -> &'static [Required] {
        &[
            Required {
                field: "metadata",
                names: "metadata.uid",
                carries_id: true,
            },
            Required {
                field: "metadata.uid",
                names: "metadata.uid",
                carries_id: true,
            },
            Required {
                field: "status",
                names: "status.phase",
                carries_id: false,
            },
            Required {
                field: "status.phase",
                names: "status.phase",
                carries_id: false,
            },
        ]
    }
    fn model_fields(&self) -> Vec<&'static str> {
        variants::CCE_OPTIONAL.to_vec()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        lock(&sim.huawei).add_cce_task(
            CLUSTER,
            CceTask {
                uid: id.into(),
                phase: "Success".into(),
                progress: Some("67".into()),
                created: created.into(),
                updated: finished.into(),
                completion: Some(finished.into()),
                items: vec![("master-backup".into(), "Success".into(), String::new())],
            },
        );
    }
    fn success_progress(&self) -> Option<f64> {
        Some(0.67)
    }
}
