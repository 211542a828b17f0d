//! Random bodies into every provider's decoder, over real HTTP: random bytes (invalid UTF-8
//! included) and random JSON built from the field names the APIs use (each fixture's own
//! among them), in wrong shapes. A
//! poll may succeed (a body can happen to be a valid list, its records read or skipped as
//! invalid) or fail with `reason="decode"`; it never panics and never reports another
//! reason. And random records among good ones, in a real list, never fail the poll at all:
//! a record that cannot be read is an invalid task, not a failed unit.
//!
//! A panic in a decoder is a bug the properties must catch: the scheduler reports it with
//! `reason="internal"` (or, before it did, as a decode error whose message says the listing
//! task panicked), and both forms fail them.

use proptest::prelude::*;
use serde_json::{Map, Value};

use cloud_task_exporter::provider::ProviderError;
use cloud_task_exporter::sim::{Fault, FaultRule, RecordEdit};

use crate::faults::Rig;
use crate::providers::fixtures;

/// Field names of the task-list responses and their tasks that the fixtures do not name
/// (paging, progress, nested objects); [`keys`] adds each fixture's list, status, creation
/// time and required fields, so that a provider added to the fixtures is fuzzed with its own
/// names.
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
    "NextToken",
    "PercentDone",
    "MessageCategory",
    "StatusMessage",
    "CreatedBy",
    "BackupPlanId",
    "CompletionDate",
    "StartBy",
];

/// [`KEYS`] and every fixture's own field names.
fn keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = KEYS.to_vec();
    for f in fixtures() {
        keys.extend([f.list_key(), f.status_field(), f.created_field()]);
        keys.extend(f.required().iter().map(|r| r.field));
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

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
            prop::collection::vec((prop::sample::select(keys()), inner), 0..8).prop_map(|kv| {
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
    let lists: Vec<&'static str> = fixtures().iter().map(|f| f.list_key()).collect();
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        json().prop_map(|v| v.to_string().into_bytes()),
        // A valid-looking envelope (any provider's list name) around random items.
        (prop::sample::select(lists), json())
            .prop_map(|(k, v)| serde_json::json!({ k: [v] }).to_string().into_bytes()),
    ]
}

/// Fails the property when the poll error says a decoder panicked.
fn not_a_panic(e: &ProviderError) -> Result<(), TestCaseError> {
    prop_assert_ne!(e.reason(), "internal", "a decoder panicked: {}", e);
    prop_assert!(!e.message.contains("panicked"), "a decoder panicked: {}", e);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_bodies_never_panic_and_fail_as_decode(which in 0..fixtures().len(), body in body()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let err = rt.block_on(async {
            let s = fixtures()[which];
            let mut rig = Rig::start(s, 1).await;
            rig.sim().inject(FaultRule::service(s.service(), Fault::RawBody(body.into())));
            rig.runner.poll_once().await.err()
        });
        if let Some(e) = err {
            not_a_panic(&e)?;
            prop_assert_eq!(e.reason(), "decode", "{}", e);
        }
    }

    #[test]
    fn random_records_among_good_ones_never_fail_the_poll(
        which in 0..fixtures().len(),
        records in prop::collection::vec((0usize..6, json()), 1..4),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let err = rt.block_on(async {
            let s = fixtures()[which];
            let mut rig = Rig::start(s, 3).await;
            for (index, record) in records {
                rig.sim().edit_records(s.service(), None, RecordEdit::Insert { index, record });
            }
            rig.runner.poll_once().await.err()
        });
        if let Some(e) = err {
            not_a_panic(&e)?;
            prop_assert!(false, "an odd record failed the poll: {}", e);
        }
    }
}
