//! The four Huawei providers through the fault matrix of `faults.rs`: CBR with an IAM
//! user token (so the expired-token case applies), VBS, CCE and DMS with AK/SK signing.

use cloud_task_exporter::config::{
    DmsEngine, HuaweiAuth, HuaweiCbrTarget, HuaweiCommon, HuaweiDmsTarget, HuaweiTarget, Resources,
    Secret, Settings, Target, TargetSpec,
};
use cloud_task_exporter::sim::huawei::{CbrLog, CceTask, DmsTask, VbsTask};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

use crate::faults::{Scenario, matrix, next_id};

const AK: &str = "HPUAFAULTMATRIX00001";
const SK: &str = "FaultMatrixSecretKey0123456789abcdefghij";
const PROJECT: &str = "fa0179a7f1c74b5c9d0e1f2a3b4c5d6e";

fn at(secs_ago: i64, hours: i8, pattern: &str) -> String {
    (Timestamp::now() - SignedDuration::from_secs(secs_ago))
        .to_zoned(TimeZone::fixed(Offset::constant(hours)))
        .strftime(pattern)
        .to_string()
}

fn target(name: &str, url: &str, settings: Settings, spec: TargetSpec) -> Target {
    Target {
        name: name.into(),
        endpoint: Some(url.to_string()),
        labels: Default::default(),
        settings,
        spec,
    }
}

fn common(auth: HuaweiAuth) -> HuaweiCommon {
    HuaweiCommon {
        region: "ap-southeast-1".into(),
        project_id: PROJECT.into(),
        auth,
    }
}

fn aksk(sim: &Sim) -> HuaweiAuth {
    lock(&sim.huawei).add_aksk(AK, SK);
    HuaweiAuth::AkSk {
        access_key: Secret::new(AK),
        secret_key: Secret::new(SK),
        security_token: None,
    }
}

struct Cbr;

impl Cbr {
    fn log(id: u64, status: &str) -> CbrLog {
        let rfc = "%Y-%m-%dT%H:%M:%S%.3f%:z";
        // Newer ids are created later, so they sort to the head of the list.
        let created = 900 - i64::try_from(id % 800).unwrap_or(0);
        CbrLog {
            id: format!("cbr-{id}"),
            status: status.into(),
            operation_type: "backup".into(),
            created_at: at(created, 0, rfc),
            started_at: at(created, 8, rfc),
            updated_at: at(5, 0, rfc),
            ended_at: Some(at(5, 0, rfc)),
            progress: Some(100),
            resource_id: "ecs-1".into(),
            resource_name: "ECS-0001".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        }
    }
}

impl Scenario for Cbr {
    fn provider(&self) -> &'static str {
        "huawei_cbr"
    }
    fn service(&self) -> &'static str {
        "huawei_cbr"
    }
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        let mut st = lock(&sim.huawei);
        st.add_user("acme", "exporter", "matrix-pw");
        for i in 0..n {
            st.add_cbr_log(Self::log(next_id(), ["success", "failed"][i % 2]));
        }
        target(
            "hw-cbr-faults",
            url,
            settings,
            TargetSpec::HuaweiCbr(HuaweiCbrTarget {
                common: common(HuaweiAuth::Iam {
                    endpoint: Some(url.to_string()),
                    domain: "acme".into(),
                    user: "exporter".into(),
                    password: Secret::new("matrix-pw"),
                }),
                filters: Default::default(),
            }),
        )
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_cbr_log(Self::log(next_id(), ["success", "timeout"][i % 2]));
        }
    }
    fn expire_tokens(&self, sim: &Sim) -> bool {
        lock(&sim.huawei).expire_tokens();
        true
    }
}

struct Vbs;

const POLICY: &str = "policy-faults";

fn vbs_task(id: u64, status: &str) -> VbsTask {
    let naive = "%Y-%m-%dT%H:%M:%S%.3f";
    let created = 900 - i64::try_from(id % 800).unwrap_or(0);
    VbsTask {
        job_id: format!("vbs-{id}"),
        status: status.into(),
        created_at: at(created, 0, naive),
        finished_at: Some(at(5, 0, naive)),
        backup_name: format!("autobk_{id}"),
        resource_id: "vol-1".into(),
        resource_type: "volume".into(),
        error: None,
    }
}

impl Scenario for Vbs {
    fn provider(&self) -> &'static str {
        "huawei_vbs"
    }
    fn service(&self) -> &'static str {
        "huawei_vbs"
    }
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        let auth = aksk(sim);
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_vbs_task(
                POLICY,
                vbs_task(next_id(), ["EXECUTE_SUCCESS", "EXECUTE_FAIL"][i % 2]),
            );
        }
        target(
            "hw-vbs-faults",
            url,
            settings,
            TargetSpec::HuaweiVbs(HuaweiTarget {
                common: common(auth),
                resources: Resources::Ids(vec![POLICY.into()]),
            }),
        )
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_vbs_task(
                POLICY,
                vbs_task(next_id(), ["EXECUTE_SUCCESS", "EXECUTE_TIMEOUT"][i % 2]),
            );
        }
    }
    fn expire_tokens(&self, _sim: &Sim) -> bool {
        false
    }
}

struct Cce;

const CLUSTER: &str = "cluster-faults";

fn cce_task(id: u64, phase: &str) -> CceTask {
    let go = "%Y-%m-%d %H:%M:%S%.6f +0800 CST";
    CceTask {
        uid: format!("cce-{id}"),
        phase: phase.into(),
        progress: Some("100".into()),
        created: at(900, 8, go),
        updated: at(5, 8, go),
        completion: Some(at(6, 8, go)),
        items: vec![("master-backup".into(), phase.into(), String::new())],
    }
}

impl Scenario for Cce {
    fn provider(&self) -> &'static str {
        "huawei_cce"
    }
    fn service(&self) -> &'static str {
        "huawei_cce"
    }
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        let auth = aksk(sim);
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_cce_task(CLUSTER, cce_task(next_id(), ["Success", "Failed"][i % 2]));
        }
        target(
            "hw-cce-faults",
            url,
            settings,
            TargetSpec::HuaweiCce(HuaweiTarget {
                common: common(auth),
                resources: Resources::Ids(vec![CLUSTER.into()]),
            }),
        )
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_cce_task(CLUSTER, cce_task(next_id(), ["Success", "Error"][i % 2]));
        }
    }
    fn expire_tokens(&self, _sim: &Sim) -> bool {
        false
    }
    fn pages(&self) -> bool {
        false
    }
}

struct Dms;

const INSTANCE: &str = "kafka-faults";

fn dms_task(id: u64, status: &str) -> DmsTask {
    let iso = "%Y-%m-%dT%H:%M:%S%.3fZ";
    let created = 900 - i64::try_from(id % 800).unwrap_or(0);
    DmsTask {
        id: format!("{id:032x}"),
        name: "changeRetentionPolicy".into(),
        status: status.into(),
        created_at: at(created, 0, iso),
        updated_at: at(5, 0, iso),
        progress: None,
    }
}

impl Scenario for Dms {
    fn provider(&self) -> &'static str {
        "huawei_dms"
    }
    fn service(&self) -> &'static str {
        "huawei_dms"
    }
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        let auth = aksk(sim);
        let mut st = lock(&sim.huawei);
        st.add_dms_instance(INSTANCE, "kafka", "kafka");
        for i in 0..n {
            st.add_dms_task(INSTANCE, dms_task(next_id(), ["SUCCESS", "FAILED"][i % 2]));
        }
        target(
            "hw-dms-faults",
            url,
            settings,
            TargetSpec::HuaweiDms(HuaweiDmsTarget {
                common: common(auth),
                engine: DmsEngine::Kafka,
                resources: Resources::Ids(vec![INSTANCE.into()]),
            }),
        )
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        let mut st = lock(&sim.huawei);
        for i in 0..n {
            st.add_dms_task(
                INSTANCE,
                dms_task(next_id(), ["SUCCESS", "CANCELLED"][i % 2]),
            );
        }
    }
    fn expire_tokens(&self, _sim: &Sim) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_cbr_under_every_fault() {
    matrix(&Cbr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_vbs_under_every_fault() {
    matrix(&Vbs).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_cce_under_every_fault() {
    matrix(&Cce).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huawei_dms_under_every_fault() {
    matrix(&Dms).await;
}
