//! The backup-policy APIs through [`Sim::dispatch`]: auth, paging, 403 for a role without
//! rights, record edits, and the recorded sample responses in `tests/fixtures/sim-policies/`
//! that `.ci/sim_policies_check.py` parses with the official SDK models (rewrite them with
//! `UPDATE_GOLDEN=1`).

use bytes::Bytes;
use serde_json::{Value, json};

use super::huawei::{
    CBR_POLICIES, CBR_VAULTS, CbrPolicy, CbrVault, VBS_POLICIES, VbsScheduledPolicy, verify,
};
use super::yandex::{
    SimApplication, SimBackupSet, SimBackupTime, SimInterval, SimPolicy, SimResource,
    YC_APPLICATIONS, YC_POLICIES, YC_RESOURCES,
};
use super::{Fault, FaultRule, RecordEdit, Sim, SimRequest, lock};

const AK: &str = "HPUAPOLICYAK00000001";
const SK: &str = "policy-secret";
const PROJECT: &str = "0a1b2c3d4e5f";
const TOKEN: &str = "t1.policy-test-token";

fn request(path: &str, headers: Vec<(String, String)>) -> SimRequest {
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    SimRequest {
        method: "GET".into(),
        path: path.into(),
        query: query.into(),
        headers,
        body: Bytes::new(),
    }
}

/// A GET signed with AK/SK the way the SDK signs it (host and `X-Sdk-Date`).
fn signed(path: &str) -> SimRequest {
    let date = jiff::Timestamp::now()
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string();
    let mut headers = vec![
        ("host".to_string(), "sim.example".to_string()),
        ("x-sdk-date".to_string(), date.clone()),
    ];
    let mut req = request(path, headers.clone());
    let names = ["host".to_string(), "x-sdk-date".to_string()];
    let canonical = verify::canonical_request("GET", &req.path, &req.query, &headers, &names, b"");
    let sig = verify::expected_signature(SK, &date, &canonical);
    headers.push((
        "authorization".into(),
        format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=host;x-sdk-date, Signature={sig}"),
    ));
    req.headers = headers;
    req
}

fn bearer(path: &str) -> SimRequest {
    request(
        path,
        vec![("authorization".into(), format!("Bearer {TOKEN}"))],
    )
}

fn get(sim: &Sim, req: &SimRequest) -> (u16, Value) {
    let r = sim.dispatch(req);
    (
        r.status,
        serde_json::from_slice(&r.body).unwrap_or(Value::Null),
    )
}

/// The world the samples are recorded from: every endpoint with something to say.
fn world() -> std::sync::Arc<Sim> {
    let sim = Sim::new();
    {
        let mut h = lock(&sim.huawei);
        h.add_aksk(AK, SK);
        h.add_vbs_policy(
            "vbs-daily",
            "daily-volumes",
            VbsScheduledPolicy::every_days("02:00,14:00", 1),
            2,
        );
        let mut weekly = VbsScheduledPolicy::weekly("22:00", &["SUN", "WED"]).off();
        weekly.retention_num = None;
        weekly.retention_day = Some(30);
        weekly.time_zone = Some("UTC+02:00".into());
        h.add_vbs_policy("vbs-weekly", "weekly-off", weekly, 0);
        h.add_cbr_policy(
            CbrPolicy::backup(
                "cbr-nightly",
                "nightly",
                &["FREQ=DAILY;INTERVAL=1;BYHOUR=1;BYMINUTE=30"],
            )
            .vault("vault-servers"),
        );
        h.add_cbr_policy(
            CbrPolicy::backup(
                "cbr-weekdays",
                "weekdays-off",
                &["FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=14;BYMINUTE=00"],
            )
            .vault("vault-disks")
            .enabled(false),
        );
        let mut repl =
            CbrPolicy::backup("cbr-repl", "replicate", &["FREQ=DAILY;BYHOUR=3;BYMINUTE=0"]);
        repl.operation_type = "replication".into();
        h.add_cbr_policy(repl);
        h.add_cbr_vault(
            CbrVault::new("vault-servers", "servers")
                .resource("ecs-1", "web-1", "OS::Nova::Server")
                .resource("ecs-2", "web-2", "OS::Nova::Server"),
        );
        let mut disks =
            CbrVault::new("vault-disks", "disks").resource("evs-1", "data-1", "OS::Cinder::Volume");
        disks.object_type = "disk".into();
        h.add_cbr_vault(disks);
        h.add_cbr_vault(CbrVault::new("vault-empty", "no-policy"));
    }
    {
        let mut y = lock(&sim.yandex);
        y.register_iam_token(TOKEN);
        y.add_policy(SimPolicy::new(
            "cdgpolicydaily",
            "daily",
            "b1gfolder",
            vec![SimBackupSet::time(SimBackupTime::daily(&[(2, 30)]))],
        ));
        y.add_policy(
            SimPolicy::new(
                "cdgpolicyweekly",
                "weekly-off",
                "b1gfolder",
                vec![SimBackupSet::time(SimBackupTime::weekly(
                    &["MONDAY", "THURSDAY"],
                    &[(0, 0), (12, 15)],
                ))],
            )
            .enabled(false, false),
        );
        let mut monthly = SimBackupTime::monthly(&[1, 15], &[(3, 0)]);
        monthly.include_last_day_of_month = true;
        monthly.months = vec![1, 4, 7, 10];
        let mut hourly_policy = SimPolicy::new(
            "cdgpolicymixed",
            "hourly-and-monthly",
            "b1gother",
            vec![
                SimBackupSet::time(SimBackupTime::hourly(
                    SimInterval::new("HOURS", 4),
                    (6, 0),
                    (22, 0),
                )),
                SimBackupSet::time(monthly),
            ],
        );
        hourly_policy.scheduling.max_parallel_backups = 2;
        y.add_policy(hourly_policy);
        y.apply_policy("cdgpolicydaily", "fhmvm1", true);
        y.apply_policy("cdgpolicydaily", "fhmvm2", false);
        y.set_application(SimApplication {
            policy_id: "cdgpolicyweekly".into(),
            compute_instance_id: "fhmvm2".into(),
            enabled: true,
            status: "RUNNING".into(),
            created_at: "2024-05-02T08:00:00Z".into(),
            is_processing: true,
        });
        let mut r1 = SimResource::enabled("fhmvm1")
            .backup_times(Some("2024-05-03T02:31:10.5Z"), Some("2024-05-04T02:30:00Z"));
        r1.created_at = Some("2024-05-01T10:00:00Z".into());
        r1.updated_at = Some("2024-05-03T02:40:00Z".into());
        r1.resource_id = "bd1resource1".into();
        r1.status_progress = Some(0);
        let mut r2 = SimResource::enabled("fhmvm2");
        r2.enabled = false;
        r2.status = "OTHER".into();
        r2.status_details = "policy is disabled".into();
        y.set_resource_list("b1gfolder", vec![r1, r2]);
    }
    sim
}

#[test]
fn vbs_policies_are_signed_carry_their_schedule_and_can_be_denied() {
    let sim = world();
    let path = format!("/v2/{PROJECT}/backuppolicy");
    assert_eq!(get(&sim, &request(&path, vec![])).0, 401, "unsigned");
    let (status, body) = get(&sim, &signed(&path));
    assert_eq!(status, 200);
    let p = &body["backup_policies"][0];
    assert_eq!(p["backup_policy_id"], "vbs-daily");
    assert_eq!(p["scheduled_policy"]["start_time"], "02:00,14:00");
    assert_eq!(p["scheduled_policy"]["frequency"], 1);
    assert_eq!(p["scheduled_policy"]["rentention_num"], 10);
    assert_eq!(p["policy_resource_count"], 2);
    let w = &body["backup_policies"][1]["scheduled_policy"];
    assert_eq!(w["status"], "OFF");
    assert_eq!(w["week_frequency"], json!(["SUN", "WED"]));
    assert!(w.get("frequency").is_none() && w.get("rentention_num").is_none());
    // The policies' task lists still answer.
    let tasks = format!("/v2/{PROJECT}/backuppolicy/vbs-daily/backuptasks");
    assert_eq!(get(&sim, &signed(&tasks)).0, 200);

    sim.edit_records(
        VBS_POLICIES,
        None,
        RecordEdit::set("vbs-daily", "scheduled_policy.start_time", json!("25:00")),
    );
    let (_, body) = get(&sim, &signed(&path));
    assert_eq!(
        body["backup_policies"][0]["scheduled_policy"]["start_time"],
        "25:00"
    );
    sim.edit_records(VBS_POLICIES, Some(PROJECT), RecordEdit::NullList);
    assert_eq!(get(&sim, &signed(&path)).1["backup_policies"], Value::Null);
    sim.clear_faults();

    lock(&sim.huawei).deny(VBS_POLICIES);
    let (status, body) = get(&sim, &signed(&path));
    assert_eq!(status, 403);
    assert!(body["error"]["code"].is_string());
    assert_eq!(
        get(&sim, &signed(&tasks)).0,
        200,
        "only the listing is denied"
    );
    lock(&sim.huawei).allow_all();
    assert_eq!(get(&sim, &signed(&path)).0, 200);
}

#[test]
fn cbr_policies_filter_by_type_and_vault_and_can_be_denied() {
    let sim = world();
    let base = format!("/v3/{PROJECT}/policies");
    assert_eq!(Sim::service_of(&request(&base, vec![])), CBR_POLICIES);
    assert_eq!(get(&sim, &request(&base, vec![])).0, 401);
    let ids = |q: &str| -> Vec<String> {
        let (s, b) = get(&sim, &signed(&format!("{base}{q}")));
        assert_eq!(s, 200, "{q}: {b}");
        assert_eq!(b["count"], b["policies"].as_array().map_or(0, Vec::len));
        b["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(""), ["cbr-nightly", "cbr-weekdays", "cbr-repl"]);
    assert_eq!(
        ids("?operation_type=backup"),
        ["cbr-nightly", "cbr-weekdays"]
    );
    assert_eq!(
        ids("?operation_type=backup&vault_id=vault-disks"),
        ["cbr-weekdays"]
    );
    assert_eq!(
        get(&sim, &signed(&format!("{base}?operation_type=x"))).0,
        400
    );
    let (_, b) = get(&sim, &signed(&format!("{base}?operation_type=backup")));
    let p = &b["policies"][0];
    assert_eq!(p["enabled"], true);
    assert_eq!(p["trigger"]["type"], "time");
    assert_eq!(
        p["trigger"]["properties"]["pattern"][0],
        "FREQ=DAILY;INTERVAL=1;BYHOUR=1;BYMINUTE=30"
    );
    assert_eq!(p["associated_vaults"][0]["vault_id"], "vault-servers");
    assert_eq!(b["policies"][1]["enabled"], false);

    sim.edit_records(CBR_POLICIES, None, RecordEdit::RetypeCount);
    let (_, b) = get(&sim, &signed(&base));
    assert_eq!(b["count"], "3");
    sim.clear_faults();

    lock(&sim.huawei).deny(CBR_POLICIES);
    let (s, b) = get(&sim, &signed(&base));
    assert_eq!((s, b["error_code"].is_string()), (403, true));
    let logs = format!("/v3/{PROJECT}/operation-logs");
    assert_eq!(
        get(&sim, &signed(&logs)).0,
        200,
        "the task list still answers"
    );
    assert_eq!(get(&sim, &signed(&format!("/v3/{PROJECT}/vaults"))).0, 200);
}

#[test]
fn cbr_vaults_page_by_limit_and_offset() {
    let sim = world();
    let base = format!("/v3/{PROJECT}/vaults");
    assert_eq!(Sim::service_of(&request(&base, vec![])), CBR_VAULTS);
    assert_eq!(get(&sim, &request(&base, vec![])).0, 401);
    let (s, b) = get(&sim, &signed(&format!("{base}?limit=2&offset=0")));
    assert_eq!(s, 200);
    assert_eq!(
        (b["count"].clone(), b["limit"].clone(), b["offset"].clone()),
        (json!(3), json!(2), json!(0))
    );
    assert_eq!(b["vaults"].as_array().unwrap().len(), 2);
    assert_eq!(b["vaults"][0]["resources"][1]["id"], "ecs-2");
    assert_eq!(b["vaults"][0]["resources"][1]["type"], "OS::Nova::Server");
    assert_eq!(
        b["vaults"][0]["resources"][1]["protect_status"],
        "available"
    );
    let (_, b) = get(&sim, &signed(&format!("{base}?limit=2&offset=2")));
    assert_eq!(b["vaults"][0]["id"], "vault-empty");
    assert_eq!(b["vaults"].as_array().unwrap().len(), 1);
    let (_, b) = get(&sim, &signed(&format!("{base}?offset=9")));
    assert_eq!(
        (b["count"].clone(), b["vaults"].clone()),
        (json!(3), json!([]))
    );
    for bad in ["limit=0", "limit=1001", "offset=-1", "limit=x"] {
        assert_eq!(get(&sim, &signed(&format!("{base}?{bad}"))).0, 400, "{bad}");
    }
    let (_, b) = get(&sim, &signed(&format!("{base}?policy_id=cbr-weekdays")));
    assert_eq!(b["vaults"][0]["id"], "vault-disks");
    assert_eq!(b["count"], 1);
    lock(&sim.huawei).deny(CBR_VAULTS);
    assert_eq!(get(&sim, &signed(&base)).0, 403);
    assert_eq!(
        get(&sim, &signed(&format!("/v3/{PROJECT}/policies"))).0,
        200
    );
}

#[test]
fn yandex_policies_by_folder_or_instance_with_bearer_auth() {
    let sim = world();
    let base = "/backup/v1/policies";
    assert_eq!(Sim::service_of(&request(base, vec![])), YC_POLICIES);
    assert_eq!(
        get(
            &sim,
            &request(&format!("{base}?folderId=b1gfolder"), vec![])
        )
        .0,
        401
    );
    let bad = request(
        &format!("{base}?folderId=b1gfolder"),
        vec![("authorization".into(), "Bearer nope".into())],
    );
    assert_eq!(get(&sim, &bad).0, 401);
    assert_eq!(
        get(&sim, &bearer(base)).0,
        400,
        "folderId or computeInstanceId"
    );
    let (s, b) = get(
        &sim,
        &bearer(&format!("{base}?folderId={}", "x".repeat(51))),
    );
    assert_eq!((s, b["code"].clone()), (400, json!(3)));
    let ids = |q: &str| -> Vec<String> {
        let (s, b) = get(&sim, &bearer(&format!("{base}?{q}")));
        assert_eq!(s, 200, "{q}: {b}");
        assert!(b.get("nextPageToken").is_none(), "not paged");
        b["policies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids("folderId=b1gfolder"),
        ["cdgpolicydaily", "cdgpolicyweekly"]
    );
    assert_eq!(ids("folderId=b1gother"), ["cdgpolicymixed"]);
    assert_eq!(
        ids("computeInstanceId=fhmvm2"),
        ["cdgpolicydaily", "cdgpolicyweekly"]
    );
    assert!(ids("computeInstanceId=fhmnone").is_empty());
    let (_, b) = get(&sim, &bearer(&format!("{base}?folderId=b1gfolder")));
    let daily = &b["policies"][0];
    assert_eq!(daily["enabled"], true);
    let sched = &daily["settings"]["scheduling"];
    assert_eq!(sched["enabled"], true);
    let time = &sched["backupSets"][0]["time"];
    assert_eq!(time["type"], "DAILY");
    assert_eq!(time["repeatAt"], json!([{"hour": "2", "minute": "30"}]));
    // proto3 JSON leaves defaults out: a disabled policy has no `enabled`.
    let weekly = &b["policies"][1];
    assert!(weekly.get("enabled").is_none());
    assert!(weekly["settings"]["scheduling"].get("enabled").is_none());
    assert_eq!(
        weekly["settings"]["scheduling"]["backupSets"][0]["time"]["repeatAt"],
        json!([{}, {"hour": "12", "minute": "15"}])
    );

    sim.edit_records(
        YC_POLICIES,
        Some("b1gfolder"),
        RecordEdit::retype("cdgpolicydaily", "settings.scheduling.maxParallelBackups"),
    );
    sim.edit_records(
        YC_POLICIES,
        Some("b1gfolder"),
        RecordEdit::set(
            "cdgpolicydaily",
            "settings.scheduling.backupSets",
            json!([]),
        ),
    );
    let (_, b) = get(&sim, &bearer(&format!("{base}?folderId=b1gfolder")));
    assert_eq!(
        b["policies"][0]["settings"]["scheduling"]["backupSets"],
        json!([])
    );
    sim.clear_faults();

    lock(&sim.yandex).deny(YC_POLICIES);
    let (s, b) = get(&sim, &bearer(&format!("{base}?folderId=b1gfolder")));
    assert_eq!((s, b["code"].clone()), (403, json!(7)));
    assert_eq!(
        get(&sim, &bearer("/backup/v1/resources?folderId=b1gfolder")).0,
        200
    );
    assert_eq!(
        get(
            &sim,
            &bearer(&format!("{base}/cdgpolicydaily/applications"))
        )
        .0,
        200
    );
}

#[test]
fn yandex_applications_and_resources_with_backup_times() {
    let sim = world();
    let (s, b) = get(
        &sim,
        &bearer("/backup/v1/policies/cdgpolicydaily/applications"),
    );
    assert_eq!(s, 200);
    let apps = b["applications"].as_array().unwrap();
    assert_eq!(apps.len(), 2);
    assert_eq!(apps[0]["computeInstanceId"], "fhmvm1");
    assert_eq!(
        (apps[0]["enabled"].clone(), apps[0]["status"].clone()),
        (json!(true), json!("OK"))
    );
    assert!(apps[1].get("enabled").is_none());
    assert_eq!(apps[1]["status"], "DISABLED");
    assert_eq!(
        get(&sim, &bearer("/backup/v1/policies/nope/applications")).0,
        404
    );
    assert_eq!(
        get(
            &sim,
            &request("/backup/v1/policies/cdgpolicydaily/applications", vec![])
        )
        .0,
        401
    );
    lock(&sim.yandex).deny(YC_APPLICATIONS);
    assert_eq!(
        get(
            &sim,
            &bearer("/backup/v1/policies/cdgpolicydaily/applications")
        )
        .0,
        403
    );
    lock(&sim.yandex).allow_all();

    let (_, b) = get(
        &sim,
        &bearer("/backup/v1/resources?folderId=b1gfolder&pageSize=1"),
    );
    let r = &b["resources"][0];
    assert_eq!(r["lastBackupTime"], "2024-05-03T02:31:10.5Z");
    assert_eq!(r["nextBackupTime"], "2024-05-04T02:30:00Z");
    assert_eq!(r["statusProgress"], "0");
    let token = b["nextPageToken"].as_str().unwrap().to_string();
    let (_, b) = get(
        &sim,
        &bearer(&format!(
            "/backup/v1/resources?folderId=b1gfolder&pageSize=1&pageToken={token}"
        )),
    );
    assert_eq!(b["resources"][0]["computeInstanceId"], "fhmvm2");
    assert!(b["resources"][0].get("nextBackupTime").is_none());
    assert!(b.get("nextPageToken").is_none());

    assert!(lock(&sim.yandex).set_backup_times("fhmvm2", None, Some("2024-05-05T00:00:00Z")));
    assert!(!lock(&sim.yandex).set_backup_times("fhmnone", None, None));
    let (s, b) = get(&sim, &bearer("/backup/v1/resources/fhmvm2"));
    assert_eq!(
        (s, b["resource"]["nextBackupTime"].clone()),
        (200, json!("2024-05-05T00:00:00Z"))
    );
    assert_eq!(get(&sim, &bearer("/backup/v1/resources/fhmnone")).0, 404);

    sim.edit_records(
        YC_RESOURCES,
        Some("b1gfolder"),
        RecordEdit::null("fhmvm1", "nextBackupTime"),
    );
    let (_, b) = get(&sim, &bearer("/backup/v1/resources?folderId=b1gfolder"));
    assert_eq!(b["resources"][0]["nextBackupTime"], Value::Null);
    lock(&sim.yandex).deny(YC_RESOURCES);
    let (s, b) = get(&sim, &bearer("/backup/v1/resources?folderId=b1gfolder"));
    assert_eq!((s, b["code"].clone()), (403, json!(7)));
}

#[test]
fn fault_rules_reach_the_policy_apis() {
    // The listener applies fault rules by the service a path belongs to (`Sim::take_fault`).
    let sim = world();
    sim.inject(FaultRule::service(CBR_POLICIES, Fault::status(403)).times(1));
    sim.inject(
        FaultRule::service(YC_POLICIES, Fault::Garbage("<html>".into())).path("/applications"),
    );
    let cbr = signed(&format!("/v3/{PROJECT}/policies"));
    assert_eq!(sim.take_fault(CBR_POLICIES, &cbr), Some(Fault::status(403)));
    assert_eq!(sim.take_fault(CBR_POLICIES, &cbr), None, "used up");
    let apps = bearer("/backup/v1/policies/p/applications");
    assert_eq!(Sim::service_of(&apps), YC_POLICIES);
    assert!(sim.take_fault(YC_POLICIES, &apps).is_some());
    assert!(
        sim.take_fault(YC_POLICIES, &bearer("/backup/v1/policies?folderId=f"))
            .is_none()
    );
    let vbs = signed(&format!("/v2/{PROJECT}/backuppolicy"));
    assert_eq!(Sim::service_of(&vbs), "huawei_vbs");
}

/// The sample responses `.ci/sim_policies_check.py` parses with the SDK models.
#[test]
fn sample_responses_match_the_recorded_fixtures() {
    let sim = world();
    let samples: Vec<(&str, SimRequest)> = vec![
        (
            "vbs_backuppolicy.json",
            signed(&format!("/v2/{PROJECT}/backuppolicy")),
        ),
        (
            "cbr_policies.json",
            signed(&format!("/v3/{PROJECT}/policies")),
        ),
        (
            "cbr_vaults.json",
            signed(&format!("/v3/{PROJECT}/vaults?limit=1000&offset=0")),
        ),
        (
            "yandex_policies.json",
            bearer("/backup/v1/policies?folderId=b1gfolder"),
        ),
        (
            "yandex_policies_other.json",
            bearer("/backup/v1/policies?folderId=b1gother"),
        ),
        (
            "yandex_applications.json",
            bearer("/backup/v1/policies/cdgpolicydaily/applications"),
        ),
        (
            "yandex_applications_weekly.json",
            bearer("/backup/v1/policies/cdgpolicyweekly/applications"),
        ),
        (
            "yandex_resources.json",
            bearer("/backup/v1/resources?folderId=b1gfolder"),
        ),
        (
            "yandex_resource.json",
            bearer("/backup/v1/resources/fhmvm1"),
        ),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sim-policies");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    for (name, req) in samples {
        let (status, body) = get(&sim, &req);
        assert_eq!(status, 200, "{name}: {body}");
        let text = serde_json::to_string_pretty(&body).unwrap() + "\n";
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &text).unwrap();
        } else {
            let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("{}: {e} (record it with UPDATE_GOLDEN=1)", path.display())
            });
            assert_eq!(
                text, want,
                "{name} changed: rerun with UPDATE_GOLDEN=1 and .ci/sim_policies_check.py"
            );
        }
    }
}
