//! The four task APIs as their docs describe them: paths, query parameters, paging,
//! response fields and error bodies.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::policies::{self, CBR_POLICIES, CBR_VAULTS, VBS_POLICIES};
use super::{HuaweiState, gateway_error};
use crate::sim::faults::ListEdits;
use crate::sim::{RecordRule, Sim, SimRequest, SimResponse};

pub(super) fn answer(
    sim: &Sim,
    st: &HuaweiState,
    service: &str,
    req: &SimRequest,
    segs: &[String],
    records: &[RecordRule],
) -> SimResponse {
    if req.method != "GET" {
        return gateway_error(405, "APIGW.0202", "Method not allowed.");
    }
    let q = req.query_map();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    let edits = |unit: &str| ListEdits::for_unit(records, unit);
    let list_edits = |list: &str, unit: &str| ListEdits::for_unit(&sim.record_rules(list), unit);
    match (service, s.as_slice()) {
        ("huawei_vbs", ["v2", project, "backuppolicy"]) => policies::denied(st, VBS_POLICIES)
            .unwrap_or_else(|| policies::vbs_policies(st, &list_edits(VBS_POLICIES, project))),
        (CBR_POLICIES, ["v3", project, "policies"]) => policies::denied(st, CBR_POLICIES)
            .unwrap_or_else(|| policies::cbr_policies(st, &q, &list_edits(CBR_POLICIES, project))),
        (CBR_VAULTS, ["v3", project, "vaults"]) => {
            policies::denied(st, CBR_VAULTS).unwrap_or_else(|| {
                policies::cbr_vaults(st, project, &q, &list_edits(CBR_VAULTS, project))
            })
        }
        ("huawei_vbs", ["v2", _, "backuppolicy", id, "backuptasks"]) => {
            vbs_tasks(st, id, &q, &edits(id))
        }
        ("huawei_cbr", ["v3", project, "operation-logs"]) => cbr_logs(st, &q, &edits(project)),
        ("huawei_cce", ["api", "v3", "projects", _, "clusters"]) => cce_clusters(st),
        (
            "huawei_cce",
            [
                "api",
                "v3.1",
                "projects",
                _,
                "clusters",
                id,
                "operation",
                "snapshot",
                "tasks",
            ],
        ) => cce_tasks(st, id, &edits(id)),
        ("huawei_dms", ["v2", _, "instances"]) => dms_instances(st, &q),
        ("huawei_dms", ["v2", _, "instances", id, "tasks"]) => dms_tasks(st, id, &q, &edits(id)),
        ("huawei_dms", ["v2", _, "instances", id, "tasks", task, "progress"]) => {
            dms_progress(st, id, task)
        }
        _ => gateway_error(
            404,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        ),
    }
}

fn int(q: &BTreeMap<String, String>, key: &str, default: u64) -> Result<u64, String> {
    match q.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse::<u64>()
            .map_err(|_| format!("invalid {key}: {v:?}")),
    }
}

fn ts(s: &str) -> Option<jiff::Timestamp> {
    s.parse::<jiff::Timestamp>().ok()
}

/// Huawei task lists have no enum numbers.
fn no_enums(_: &str, _: &str) -> Option<u64> {
    None
}

/// One page of the whole list (after the record edits), or `null` when the edits say so.
fn page_of(all: Vec<Value>, offset: u64, limit: u64, edits: &ListEdits) -> Value {
    if edits.null_list() {
        return Value::Null;
    }
    Value::Array(
        all.into_iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect(),
    )
}

fn vbs_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(status, &json!({"error": {"message": msg, "code": code}}))
}

fn vbs_tasks(
    st: &HuaweiState,
    id: &str,
    q: &BTreeMap<String, String>,
    edits: &ListEdits,
) -> SimResponse {
    if !st.vbs_policies.iter().any(|p| p.id == id) {
        return vbs_error(404, "VBS.0026", "The backup policy does not exist.");
    }
    let (limit, offset) = match (int(q, "limit", 20), int(q, "offset", 0)) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return vbs_error(400, "VBS.0001", &e),
    };
    if let Some(k) = q.get("sort_key")
        && k != "created_at"
    {
        return vbs_error(400, "VBS.0001", "sort_key must be created_at");
    }
    let mut tasks: Vec<_> = st
        .vbs_tasks
        .get(id)
        .into_iter()
        .flatten()
        .filter(|t| q.get("status").is_none_or(|s| *s == t.status))
        .filter(|t| q.get("job_id").is_none_or(|j| *j == t.job_id))
        .collect();
    tasks.sort_by(|a, b| a.created_at.cmp(&b.created_at));
    if q.get("sort_dir").is_none_or(|d| d == "desc") {
        tasks.reverse();
    }
    let mut all: Vec<Value> = tasks
        .into_iter()
        .map(|t| {
            let mut v = json!({
                "status": t.status, "job_id": t.job_id, "created_at": t.created_at,
                "backup_name": t.backup_name, "resource_id": t.resource_id,
                "resource_type": t.resource_type,
            });
            if let Some(f) = &t.finished_at {
                v["finished_at"] = json!(f);
            }
            if let Some((code, msg)) = &t.error {
                v["code"] = json!(code);
                v["message"] = json!(msg);
            }
            v
        })
        .collect();
    edits.apply(&mut all, "job_id", &no_enums);
    let count = all.len();
    // `marker`: the job id after which the listing continues (OpenStack style).
    if let Some(m) = q.get("marker") {
        match all
            .iter()
            .position(|t| t.get("job_id").and_then(Value::as_str) == Some(m.as_str()))
        {
            Some(i) => {
                all.drain(..=i);
            }
            None => return vbs_error(400, "VBS.0001", "marker is not a job id of the policy"),
        }
    }
    SimResponse::json(
        200,
        &json!({"tasks": page_of(all, offset, limit, edits), "count": edits.count(count, false)}),
    )
}

fn cbr_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(status, &json!({"error_code": code, "error_msg": msg}))
}

fn cbr_logs(st: &HuaweiState, q: &BTreeMap<String, String>, edits: &ListEdits) -> SimResponse {
    let (limit, offset) = match (int(q, "limit", 1000), int(q, "offset", 0)) {
        (Ok(l), Ok(o)) => (l, o),
        (Err(e), _) | (_, Err(e)) => return cbr_error(400, "BackupService.0001", &e),
    };
    if !(1..=1000).contains(&limit) {
        return cbr_error(400, "BackupService.0001", "limit must be 1-1000");
    }
    let window = |k: &str| -> Result<Option<jiff::Timestamp>, SimResponse> {
        match q.get(k) {
            None => Ok(None),
            Some(v) => ts(v).map(Some).ok_or_else(|| {
                cbr_error(400, "BackupService.0001", &format!("invalid {k}: {v:?}"))
            }),
        }
    };
    let (start, end) = match (window("start_time"), window("end_time")) {
        (Ok(s), Ok(e)) => (s, e),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    // `start_time`/`end_time` are documented as "Start time of a task" and "End time of a
    // task"; `docs/providers.md` "Huawei CBR" guesses both compare the task's start time, so here
    // they bound `started_at` (a log without one is kept). Logs come newest first by
    // `created_at` (undocumented; `docs/providers.md` guesses newest first).
    let mut logs: Vec<_> = st
        .cbr_logs
        .iter()
        .filter(|l| q.get("status").is_none_or(|s| *s == l.status))
        .filter(|l| {
            q.get("operation_type")
                .is_none_or(|s| *s == l.operation_type)
        })
        .filter(|l| q.get("resource_id").is_none_or(|s| *s == l.resource_id))
        .filter(|l| q.get("resource_name").is_none_or(|s| *s == l.resource_name))
        .filter(|l| q.get("vault_id").is_none_or(|s| *s == l.vault_id))
        .filter(|l| {
            let started = ts(&l.started_at);
            start.is_none_or(|s| started.is_none_or(|t| t >= s))
                && end.is_none_or(|e| started.is_none_or(|t| t <= e))
        })
        .collect();
    logs.sort_by_cached_key(|l| std::cmp::Reverse(ts(&l.created_at)));
    let mut all: Vec<Value> = logs
        .into_iter()
        .map(|l| {
            let (code, msg) = l.error.clone().unwrap_or_default();
            let mut common = json!({"request_id": format!("req-{}", l.id)});
            if let Some(p) = l.progress {
                common["progress"] = json!(p);
            }
            let mut v = json!({
                "id": l.id, "status": l.status, "operation_type": l.operation_type,
                "created_at": l.created_at, "started_at": l.started_at, "updated_at": l.updated_at,
                "provider_id": "0daac4c5-6707-4851-97ba-169e36266b66",
                "project_id": "sim", "vault_id": l.vault_id, "vault_name": format!("vault-{}", l.vault_id),
                "error_info": {"code": code, "message": msg},
                "extra_info": {
                    "common": common,
                    "resource": {"id": l.resource_id, "name": l.resource_name, "type": l.resource_type},
                },
            });
            if let Some(e) = &l.ended_at {
                v["ended_at"] = json!(e);
            }
            v
        })
        .collect();
    edits.apply(&mut all, "id", &no_enums);
    let count = all.len();
    SimResponse::json(
        200,
        &json!({"operation_logs": page_of(all, offset, limit, edits),
            "count": edits.count(count, false), "limit": limit, "offset": offset}),
    )
}

fn cce_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(status, &json!({"errorCode": code, "errorMessage": msg}))
}

fn cce_clusters(st: &HuaweiState) -> SimResponse {
    let items: Vec<Value> = st
        .cce_clusters
        .iter()
        .map(|c| {
            json!({"kind": "Cluster", "apiVersion": "v3",
                "metadata": {"uid": c.id, "name": c.name},
                "status": {"phase": c.phase}})
        })
        .collect();
    SimResponse::json(
        200,
        &json!({"kind": "Cluster", "apiVersion": "v3", "items": items}),
    )
}

fn cce_tasks(st: &HuaweiState, id: &str, edits: &ListEdits) -> SimResponse {
    if !st.cce_clusters.iter().any(|c| c.id == id) {
        return cce_error(
            404,
            "CCE.01404001",
            "The resource could not be found: cluster not found.",
        );
    }
    let mut items: Vec<Value> = st
        .cce_tasks
        .get(id)
        .into_iter()
        .flatten()
        .map(|t| {
            let spec_items: Vec<Value> = t
                .items
                .iter()
                .enumerate()
                .map(|(i, (kind, status, msg))| {
                    json!({"id": format!("{}-{i}", t.uid), "type": kind, "status": status,
                        "creationTimestamp": t.created, "updateTimestamp": t.updated, "message": msg})
                })
                .collect();
            let mut status = json!({"phase": t.phase});
            if let Some(p) = &t.progress {
                status["progress"] = json!(p);
            }
            if let Some(c) = &t.completion {
                status["completionTime"] = json!(c);
            }
            json!({"kind": "SnapshotTask", "apiVersion": "v3.1",
                "metadata": {"uid": t.uid, "creationTimestamp": t.created, "updateTimestamp": t.updated},
                "spec": {"items": spec_items},
                "status": status})
        })
        .collect();
    edits.apply(&mut items, "metadata.uid", &no_enums);
    let latest = st
        .cce_tasks
        .get(id)
        .and_then(|l| l.iter().filter_map(|t| t.completion.clone()).max());
    SimResponse::json(
        200,
        &json!({"kind": "List", "apiVersion": "v3.1", "metadata": {},
            "items": page_of(items, 0, u64::MAX, edits),
            "status": {"latestBackupTime": latest.unwrap_or_default()}}),
    )
}

fn dms_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(status, &json!({"error_code": code, "error_msg": msg}))
}

fn dms_instances(st: &HuaweiState, q: &BTreeMap<String, String>) -> SimResponse {
    let Some(engine) = q.get("engine") else {
        return dms_error(400, "DMS.00400002", "The engine parameter is required.");
    };
    let (limit, offset) = match (int(q, "limit", 10), int(q, "offset", 0)) {
        (Ok(l), Ok(o)) if (1..=50).contains(&l) => (l, o),
        _ => return dms_error(400, "DMS.00400002", "limit must be 1-50."),
    };
    let list: Vec<_> = st
        .dms_instances
        .iter()
        .filter(|i| i.engine == *engine || (engine == "reliability" && i.engine == "rocketmq"))
        .collect();
    let total = list.len();
    let page: Vec<Value> = list
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|i| json!({"instance_id": i.id, "name": i.name, "engine": i.engine, "status": "RUNNING"}))
        .collect();
    SimResponse::json(200, &json!({"instances": page, "instance_num": total}))
}

fn compact(s: &str) -> Option<jiff::Timestamp> {
    let p = jiff::fmt::strtime::parse("%Y%m%d%H%M%S", s).ok()?;
    jiff::tz::TimeZone::UTC
        .to_timestamp(p.to_datetime().ok()?)
        .ok()
}

fn dms_tasks(
    st: &HuaweiState,
    id: &str,
    q: &BTreeMap<String, String>,
    edits: &ListEdits,
) -> SimResponse {
    if !st.dms_instances.iter().any(|i| i.id == id) {
        return dms_error(404, "DMS.00404022", "The instance does not exist.");
    }
    let (start, limit) = match (int(q, "start", 0), int(q, "limit", 10)) {
        (Ok(s), Ok(l)) => (s, l),
        _ => return dms_error(400, "DMS.00400002", "Invalid start or limit."),
    };
    let mut bounds = [None, None];
    for (i, k) in ["begin_time", "end_time"].iter().enumerate() {
        if let Some(v) = q.get(*k) {
            match compact(v) {
                Some(t) => bounds[i] = Some(t),
                None => {
                    return dms_error(400, "DMS.00400002", &format!("{k} must be YYYYMMDDHHmmss"));
                }
            }
        }
    }
    let mut tasks: Vec<_> = st
        .dms_tasks
        .get(id)
        .into_iter()
        .flatten()
        .filter(|t| {
            let c = ts(&t.created_at);
            bounds[0].is_none_or(|b| c.is_none_or(|c| c >= b))
                && bounds[1].is_none_or(|b| c.is_none_or(|c| c <= b))
        })
        .collect();
    // `begin_time`/`end_time` bound "the time of the task" (Huawei DMS), whose only documented
    // "start time" is `created_at`; tasks come newest first by it (undocumented).
    tasks.sort_by_cached_key(|t| std::cmp::Reverse(ts(&t.created_at)));
    let mut all: Vec<Value> = tasks
        .into_iter()
        .map(|t| {
            json!({"id": t.id, "name": t.name, "user_name": "paas_dms",
                "user_id": "3df5f1a2b3c44d5e8f9a0b1c2d3e4f5a", "params": "{}",
                "status": t.status, "created_at": t.created_at, "updated_at": t.updated_at})
        })
        .collect();
    edits.apply(&mut all, "id", &no_enums);
    let total = all.len();
    SimResponse::json(
        200,
        &json!({"task_count": edits.count(total, true), "tasks": page_of(all, start, limit, edits)}),
    )
}

fn dms_progress(st: &HuaweiState, id: &str, task: &str) -> SimResponse {
    let Some(inst) = st.dms_instances.iter().find(|i| i.id == id) else {
        return dms_error(404, "DMS.00404022", "The instance does not exist.");
    };
    if inst.engine == "rabbitmq" {
        return gateway_error(
            404,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment.",
        );
    }
    let Some(t) = st
        .dms_tasks
        .get(id)
        .into_iter()
        .flatten()
        .find(|t| t.id == task)
    else {
        return dms_error(404, "DMS.00404044", "The task does not exist.");
    };
    let pct = t.progress.unwrap_or(match t.status.as_str() {
        "SUCCESS" => 100,
        _ => 0,
    });
    let step = |name: &str, statue: &str| json!({"name": name, "statue": statue, "start_time": 0, "end_time": 0});
    SimResponse::json(
        200,
        &json!({"progress_percentage": pct, "remain_time": (100 - pct.min(100)) * 6,
            "step_list": [step("prepare", "COMPLETED"), step("execute", if pct >= 100 { "COMPLETED" } else { "IN_PROGRESS" })]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::huawei::{DmsTask, VbsTask};

    fn q(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn none() -> ListEdits {
        ListEdits::default()
    }

    fn body(r: &SimResponse) -> Value {
        serde_json::from_slice(&r.body).unwrap_or_default()
    }

    #[test]
    fn vbs_pages_by_offset_or_marker_newest_first() {
        let mut st = HuaweiState::default();
        for i in 0..5 {
            st.add_vbs_task(
                "p",
                VbsTask {
                    job_id: format!("j{i}"),
                    status: "EXECUTE_SUCCESS".into(),
                    created_at: format!("2024-05-01T10:0{i}:00.000"),
                    ..VbsTask::default()
                },
            );
        }
        let r = body(&vbs_tasks(
            &st,
            "p",
            &q(&[("limit", "2"), ("offset", "2")]),
            &none(),
        ));
        assert_eq!(r["count"], 5);
        assert_eq!(r["tasks"][0]["job_id"], "j2");
        assert!(r["tasks"][0].get("finished_at").is_none());
        let r = body(&vbs_tasks(
            &st,
            "p",
            &q(&[("limit", "2"), ("marker", "j3")]),
            &none(),
        ));
        assert_eq!(r["tasks"][0]["job_id"], "j2");
        assert_eq!(r["tasks"][1]["job_id"], "j1");
        assert_eq!(vbs_tasks(&st, "nope", &q(&[]), &none()).status, 404);
        let e = body(&vbs_tasks(&st, "p", &q(&[("limit", "x")]), &none()));
        assert!(e["error"]["code"].is_string());
    }

    #[test]
    fn dms_task_count_is_a_string_and_windows_apply() {
        let mut st = HuaweiState::default();
        for i in 0..3 {
            st.add_dms_task(
                "k",
                DmsTask {
                    id: format!("t{i}"),
                    status: "SUCCESS".into(),
                    created_at: format!("2024-05-0{}T00:00:00.000Z", i + 1),
                    ..DmsTask::default()
                },
            );
        }
        let r = body(&dms_tasks(
            &st,
            "k",
            &q(&[("begin_time", "20240502000000")]),
            &none(),
        ));
        assert_eq!(r["task_count"], "2");
        assert_eq!(r["tasks"][0]["id"], "t2");
        assert_eq!(
            dms_tasks(&st, "k", &q(&[("begin_time", "2024-05-02")]), &none()).status,
            400
        );
        assert_eq!(
            dms_instances(&st, &q(&[])).status,
            400,
            "engine is required"
        );
        let r = body(&dms_instances(&st, &q(&[("engine", "kafka")])));
        assert_eq!(r["instance_num"], 1);
    }

    #[test]
    fn cbr_start_time_bounds_the_start_time_newest_created_first() {
        let mut st = HuaweiState::default();
        // (id, created, started): "b" was created before "a" but started after it.
        for (id, created, started) in [
            (
                "a",
                "2024-05-01T10:00:00.000+00:00",
                "2024-05-01T10:00:01.000+00:00",
            ),
            (
                "b",
                "2024-05-01T09:00:00.000+00:00",
                "2024-05-01T11:00:00.000+00:00",
            ),
            (
                "c",
                "2024-05-01T08:00:00.000+00:00",
                "2024-05-01T08:00:01.000+00:00",
            ),
        ] {
            st.add_cbr_log(crate::sim::huawei::CbrLog {
                id: id.into(),
                status: "success".into(),
                created_at: created.into(),
                started_at: started.into(),
                ..Default::default()
            });
        }
        let ids = |q: &BTreeMap<String, String>| -> Vec<String> {
            body(&cbr_logs(&st, q, &none()))["operation_logs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["id"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(ids(&q(&[])), ["a", "b", "c"]);
        assert_eq!(
            ids(&q(&[("start_time", "2024-05-01T10:00:00Z")])),
            ["a", "b"]
        );
        assert_eq!(ids(&q(&[("end_time", "2024-05-01T10:30:00Z")])), ["a", "c"]);
    }

    #[test]
    fn cbr_limit_is_bounded() {
        let st = HuaweiState::default();
        assert_eq!(cbr_logs(&st, &q(&[("limit", "0")]), &none()).status, 400);
        assert_eq!(cbr_logs(&st, &q(&[("limit", "1001")]), &none()).status, 400);
        let r = body(&cbr_logs(&st, &q(&[]), &none()));
        assert_eq!(r["count"], 0);
        assert_eq!(r["limit"], 1000);
    }
}
