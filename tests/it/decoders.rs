//! Random bodies into every provider's decoder, over real HTTP: random bytes (invalid UTF-8
//! included) and random JSON built from the field names the APIs use, in wrong shapes. A
//! poll may succeed (a body can happen to be a valid empty list) or fail with
//! `reason="decode"`; it never panics and never reports another reason.

use proptest::prelude::*;
use serde_json::{Map, Value};

use cloud_task_exporter::sim::{Fault, FaultRule};

use crate::faults::{Rig, Scenario};

/// Field names of the five task-list responses and their tasks.
const KEYS: &[&str] = &[
    "tasks",
    "nextPageToken",
    "id",
    "type",
    "status",
    "resultCode",
    "progress",
    "current",
    "total",
    "enqueuedAt",
    "startedAt",
    "completedAt",
    "computeInstanceId",
    "operation_logs",
    "count",
    "created_at",
    "started_at",
    "ended_at",
    "updated_at",
    "extra_info",
    "resource",
    "common",
    "error_info",
    "operation_type",
    "jobs",
    "job_id",
    "finished_at",
    "resource_id",
    "items",
    "metadata",
    "uid",
    "creationTimestamp",
    "phase",
    "task_count",
    "name",
];

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("COMPLETED"),
            Just("success"),
            Just("2024-05-01T10:00:00.123Z"),
            Just("2023-11-25 17:03:46.739012 +0800 CST"),
            Just("20240501100000"),
            Just("99999999999999999999"),
            Just("-1"),
            Just("NaN"),
        ]
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        json().prop_map(|v| v.to_string().into_bytes()),
        // A valid-looking envelope around random items.
        (
            prop::sample::select(&["tasks", "operation_logs", "jobs", "items"][..]),
            json()
        )
            .prop_map(|(k, v)| serde_json::json!({ k: [v] }).to_string().into_bytes()),
    ]
}

fn scenarios() -> [&'static dyn Scenario; 5] {
    crate::faults::all_scenarios()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bodies_never_panic_and_fail_as_decode(which in 0usize..5, body in body()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let reason = rt.block_on(async {
            let s = scenarios()[which];
            let mut rig = Rig::start(s, 1).await;
            rig.sim().inject(FaultRule::service(s.service(), Fault::RawBody(body.into())));
            let r = rig.runner.poll_once().await;
            r.err().map(|e| e.reason())
        });
        prop_assert!(reason.is_none() || reason == Some("decode"), "reason {:?}", reason);
    }
}
