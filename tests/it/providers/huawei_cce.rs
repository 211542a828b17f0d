//! Huawei CCE (Cloud Container Engine): the jobs of one cluster, signed with AK/SK. Its list
//! does not page.

use cloud_task_exporter::sim::huawei::CceTask;
use cloud_task_exporter::sim::huawei::wire::cce_time;
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::Timestamp;

use super::huawei::{Auth, HuaweiFixture, at, uuid};
use super::{Required, next_id};
use crate::support;

const CLUSTER: &str = "cluster-faults";

pub(crate) struct HuaweiCce;

impl HuaweiFixture for HuaweiCce {
    const KIND: &'static str = "huawei_cce";
    const UNIT: &'static str = CLUSTER;
    const UNIT_NOUN: &'static str = "cluster";
    const AUTH: Auth = Auth::AkSk;
    const PAGES: bool = false;

    const LIST_KEY: &'static str = "items";
    const STATUS_FIELD: &'static str = "status.phase";
    const CREATED_FIELD: &'static str = "metadata.creationTimestamp";
    const NATIVE_FORM: TimeForm = TimeForm::Go {
        digits: 6,
        offset: 480,
        zone: "CST",
        monotonic: false,
    };
    const REQUIRED: &'static [Required] = &[
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
    ];
    const MODEL_FIELDS: &'static [&'static [&'static str]] = &[variants::CCE_OPTIONAL];
    const SUCCESS_PROGRESS: Option<f64> = Some(0.67);

    fn keys(units: &[&str]) -> Option<String> {
        Some(support::ids("cluster_ids", units))
    }
    fn add_done(sim: &Sim, created: Timestamp, ok: bool) {
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
    fn add_success(sim: &Sim, id: &str, created: &str, finished: &str) {
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
}
