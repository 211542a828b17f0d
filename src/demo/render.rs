//! The demo world written into each simulated service in that service's own shapes.

use std::collections::BTreeMap;

use crate::config::{
    DmsEngine, HuaweiAuth, HuaweiCbrTarget, HuaweiCommon, HuaweiDmsTarget, HuaweiTarget,
    ProviderKind, Resources, Secret, Settings, Target, TargetSpec, YandexAuth, YandexTarget,
};
use jiff::Timestamp;

use crate::sim::huawei::wire::{cbr_time, cce_time, dms_time, vbs_time};
use crate::sim::huawei::{CbrLog, CceTask, DmsTask, VbsPolicy, VbsTask};
use crate::sim::yandex::SimTask;
use crate::sim::{Sim, lock};

use super::{DemoTask, Phase, Service, World};

/// Huawei demo credentials (the simulator's own, never a real account's).
const HW_AK: &str = "DEMOACCESSKEY00000001";
const HW_SK: &str = "demo-secret-key-not-a-real-one";
const HW_PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const HW_REGION: &str = "ap-southeast-1";
const HW_DOMAIN: &str = "demo-account";
const HW_USER: &str = "demo-user";
const HW_PASSWORD: &str = "demo-password-not-a-real-one";
const VBS_POLICY: &str = "policy-demo-daily";

/// The resources of each provider.
pub(super) fn services() -> Vec<Service> {
    let svc = |kind, resources: &[&str]| Service {
        kind,
        resources: resources.iter().map(|r| r.to_string()).collect(),
        tasks: Vec::new(),
    };
    vec![
        svc(
            ProviderKind::YandexBackup,
            &["fhm1demoweb01", "fhm2demodb001", "fhm3demoapp01"],
        ),
        svc(ProviderKind::HuaweiVbs, &["vol-demo-0001", "vol-demo-0002"]),
        svc(ProviderKind::HuaweiCbr, &["ecs-demo-0001", "ecs-demo-0002"]),
        svc(ProviderKind::HuaweiCce, &["cce-demo-prod"]),
        svc(ProviderKind::HuaweiDms, &["kafka-demo-01"]),
    ]
}

/// Task kinds per provider, as the API names them; the first is the common one.
pub(super) fn kinds(kind: ProviderKind) -> &'static [&'static str] {
    match kind {
        ProviderKind::YandexBackup => &["BACKUP", "RETENTION", "APPLY_POLICY"],
        ProviderKind::HuaweiVbs => &["backup"],
        ProviderKind::HuaweiCbr => &["backup", "restore", "replication"],
        ProviderKind::HuaweiCce => &["backup"],
        ProviderKind::HuaweiDms => &["createTopic", "bindInstancePublicIp", "restart"],
    }
}

fn ak_sk() -> HuaweiAuth {
    HuaweiAuth::AkSk {
        access_key: Secret::new(HW_AK),
        secret_key: Secret::new(HW_SK),
        security_token: None,
    }
}

fn common(auth: HuaweiAuth) -> HuaweiCommon {
    HuaweiCommon {
        region: HW_REGION.to_string(),
        project_id: HW_PROJECT.to_string(),
        auth,
    }
}

/// One target per provider, every endpoint at the simulator.
pub(super) fn targets(sim_url: &str, settings: &Settings) -> Vec<Target> {
    let target = |name: &str, spec| Target {
        name: name.to_string(),
        endpoint: Some(sim_url.to_string()),
        labels: BTreeMap::from([("env".to_string(), "demo".to_string())]),
        settings: settings.clone(),
        spec,
    };
    let ids = |kind| {
        let all = services();
        let s = all.iter().find(|s| s.kind == kind);
        Resources::Ids(s.map(|s| s.resources.clone()).unwrap_or_default())
    };
    vec![
        target(
            "yc-demo",
            TargetSpec::YandexBackup(YandexTarget {
                auth: YandexAuth::ServiceAccountKey {
                    origin: "<demo>".to_string(),
                    json: Secret::new(crate::sim::yandex::test_authorized_key_json()),
                },
                iam_endpoint: Some(sim_url.to_string()),
                resources: ids(ProviderKind::YandexBackup),
            }),
        ),
        target(
            "hw-vbs-demo",
            TargetSpec::HuaweiVbs(HuaweiTarget {
                common: common(ak_sk()),
                resources: Resources::Ids(vec![VBS_POLICY.to_string()]),
            }),
        ),
        target(
            "hw-cbr-demo",
            TargetSpec::HuaweiCbr(HuaweiCbrTarget {
                common: common(ak_sk()),
                filters: BTreeMap::new(),
            }),
        ),
        target(
            "hw-cce-demo",
            TargetSpec::HuaweiCce(HuaweiTarget {
                common: common(ak_sk()),
                resources: ids(ProviderKind::HuaweiCce),
            }),
        ),
        target(
            "hw-kafka-demo",
            TargetSpec::HuaweiDms(HuaweiDmsTarget {
                common: common(HuaweiAuth::Iam {
                    endpoint: Some(sim_url.to_string()),
                    domain: HW_DOMAIN.to_string(),
                    user: HW_USER.to_string(),
                    password: Secret::new(HW_PASSWORD),
                }),
                engine: DmsEngine::Kafka,
                resources: ids(ProviderKind::HuaweiDms),
            }),
        ),
    ]
}

/// Registers the demo's credentials and resources with the simulator.
pub(super) fn credentials(sim: &Sim) {
    let all = services();
    let resources = |kind| {
        all.iter()
            .filter(move |s| s.kind == kind)
            .flat_map(|s| s.resources.iter())
    };
    {
        let mut y = lock(&sim.yandex);
        y.register_test_sa_key();
        for r in resources(ProviderKind::YandexBackup) {
            y.add_instance(r);
        }
    }
    let mut h = lock(&sim.huawei);
    h.add_aksk(HW_AK, HW_SK);
    h.add_user(HW_DOMAIN, HW_USER, HW_PASSWORD);
    h.vbs_policies.push(VbsPolicy {
        id: VBS_POLICY.to_string(),
        name: "daily-volume-backup".to_string(),
    });
    h.vbs_tasks.entry(VBS_POLICY.to_string()).or_default();
    for r in resources(ProviderKind::HuaweiCce) {
        h.add_cce_cluster(r, "prod-cluster");
        h.cce_tasks.entry(r.clone()).or_default();
    }
    for r in resources(ProviderKind::HuaweiDms) {
        h.add_dms_instance(r, "orders-kafka", "kafka");
        h.dms_tasks.entry(r.clone()).or_default();
    }
}

/// Writes every task of the world into its service; removes the dropped ones.
pub(super) fn write_all(sim: &Sim, world: &World, dropped: &[(usize, DemoTask)]) {
    for (s, t) in dropped {
        let kind = world.services[*s].kind;
        remove(sim, kind, t);
    }
    for service in &world.services {
        for t in &service.tasks {
            write(sim, service.kind, t);
        }
    }
}

fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

/// A UUID-shaped id from the demo's numeric id (Huawei ids are UUIDs or 32 hex digits).
fn uuid(id: &str) -> String {
    let n: u64 = id.parse().unwrap_or(0);
    format!(
        "{:08x}-d3e0-4c1a-9e5b-{n:012x}",
        n.wrapping_mul(2_654_435_761) & 0xffff_ffff
    )
}

fn huawei_error(t: &DemoTask) -> Option<(String, String)> {
    match t.phase {
        Phase::Failed => Some((
            "BackupService.6302".to_string(),
            "Backup failed: the agent on the server is offline".to_string(),
        )),
        Phase::TimedOut => Some((
            "BackupService.6318".to_string(),
            "The task timed out".to_string(),
        )),
        _ => None,
    }
}

fn write(sim: &Sim, kind: ProviderKind, t: &DemoTask) {
    let ty = kinds(kind).get(t.kind).copied().unwrap_or("backup");
    match kind {
        ProviderKind::YandexBackup => {
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
            let started = t.started.map(rfc3339);
            let finished = t.finished.map(rfc3339);
            let mut task = SimTask::new(&t.id, ty, status).times(
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
        ProviderKind::HuaweiVbs => {
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
                error: huawei_error(t),
            };
            let mut h = lock(&sim.huawei);
            let list = h.vbs_tasks.entry(VBS_POLICY.to_string()).or_default();
            upsert(list, task, |a, b| a.job_id == b.job_id);
        }
        ProviderKind::HuaweiCbr => {
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
                operation_type: ty.to_string(),
                created_at: cbr_time(t.created),
                started_at: cbr_time(t.started.unwrap_or(t.created)),
                updated_at: cbr_time(updated),
                ended_at: t.finished.map(cbr_time),
                progress: Some(u32::from(t.progress)),
                resource_id: t.resource.clone(),
                resource_name: format!("web-server-{n}"),
                resource_type: "OS::Nova::Server".to_string(),
                vault_id: "vault-demo-0001".to_string(),
                error: huawei_error(t),
            });
        }
        ProviderKind::HuaweiCce => {
            let phase = match t.phase {
                Phase::Queued => "Queuing",
                Phase::Running => "Running",
                Phase::Succeeded => "Success",
                Phase::Failed | Phase::Cancelled => "Failed",
                Phase::TimedOut => "Error",
            };
            let updated = t.finished.or(t.started).unwrap_or(t.created);
            let task = CceTask {
                uid: uuid(&t.id),
                phase: phase.to_string(),
                progress: Some(t.progress.to_string()),
                created: cce_time(t.created),
                updated: cce_time(updated),
                completion: t.finished.map(cce_time),
                items: vec![(
                    "EtcdSnapshot".to_string(),
                    phase.to_string(),
                    huawei_error(t).map(|e| e.1).unwrap_or_default(),
                )],
            };
            let mut h = lock(&sim.huawei);
            let list = h.cce_tasks.entry(t.resource.clone()).or_default();
            upsert(list, task, |a, b| a.uid == b.uid);
        }
        ProviderKind::HuaweiDms => {
            let status = match t.phase {
                Phase::Queued => "CREATED",
                Phase::Running => "EXECUTING",
                Phase::Succeeded => "SUCCESS",
                Phase::Failed | Phase::TimedOut => "FAILED",
                Phase::Cancelled => "CANCELLED",
            };
            let updated = t.finished.or(t.started).unwrap_or(t.created);
            let task = DmsTask {
                id: uuid(&t.id).replace('-', ""),
                name: ty.to_string(),
                status: status.to_string(),
                created_at: dms_time(t.created),
                updated_at: dms_time(updated),
                progress: Some(u32::from(t.progress)),
            };
            let mut h = lock(&sim.huawei);
            let list = h.dms_tasks.entry(t.resource.clone()).or_default();
            upsert(list, task, |a, b| a.id == b.id);
        }
    }
}

/// Replaces the item `same` as `new` in place, or puts `new` at the head (newest first).
fn upsert<T>(list: &mut Vec<T>, new: T, same: impl Fn(&T, &T) -> bool) {
    match list.iter_mut().find(|t| same(t, &new)) {
        Some(t) => *t = new,
        None => list.insert(0, new),
    }
}

fn remove(sim: &Sim, kind: ProviderKind, t: &DemoTask) {
    let id = uuid(&t.id);
    match kind {
        ProviderKind::YandexBackup => {
            lock(&sim.yandex).remove_task(&t.resource, &t.id);
        }
        ProviderKind::HuaweiVbs => {
            for list in lock(&sim.huawei).vbs_tasks.values_mut() {
                list.retain(|x| x.job_id != id);
            }
        }
        ProviderKind::HuaweiCbr => lock(&sim.huawei).cbr_logs.retain(|x| x.id != id),
        ProviderKind::HuaweiCce => {
            for list in lock(&sim.huawei).cce_tasks.values_mut() {
                list.retain(|x| x.uid != id);
            }
        }
        ProviderKind::HuaweiDms => {
            let id = id.replace('-', "");
            for list in lock(&sim.huawei).dms_tasks.values_mut() {
                list.retain(|x| x.id != id);
            }
        }
    }
}
