//! Task records the way the SDK models and API docs allow them, through the simulator, for
//! all five providers (issue 7, items 1–3): `null` and absent fields, the other JSON type of
//! a field, every time format to the exact instant, unreadable records among good ones, a
//! `null` list; and every unit error naming its unit. The variants come from the simulator
//! (`sim::variants`, `RecordEdit`), written from the SDK models, not from the decoders.
//!
//! Each test runs every provider through the fault matrix's [`Scenario`]s (same targets,
//! credentials and small pages), seeding tasks with ids and times of its own.

use cloud_task_exporter::config::Target;
use cloud_task_exporter::model::{InvalidTask, Listing, Task, TaskState};
use cloud_task_exporter::provider::{Provider, ProviderError, Reason};
use cloud_task_exporter::sim::huawei::{CbrLog, CceTask, DmsTask, VbsTask};
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, RecordEdit, Sim, lock};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::faults::{Rig, Scenario, all_scenarios, completions, settings};
use crate::support;

/// One provider's simulator, target and unit.
struct Case {
    s: &'static dyn Scenario,
    cloud: FakeCloud,
    target: Target,
    unit: String,
}

/// How error messages name the unit of each provider.
fn unit_label(provider: &str, unit: &str) -> String {
    let noun = match provider {
        "yandex_backup" | "huawei_dms" => "instance",
        "huawei_vbs" => "policy",
        "huawei_cbr" => "project",
        "huawei_cce" => "cluster",
        other => panic!("{other}"),
    };
    format!("{noun} '{unit}'")
}

/// The time format each API documents (PROVIDERS.md §7).
fn native_form(provider: &str) -> TimeForm {
    match provider {
        "huawei_vbs" => TimeForm::NaiveT(3),
        "huawei_cbr" => TimeForm::RfcOffset(3, 0),
        "huawei_cce" => TimeForm::Go {
            digits: 6,
            offset: 480,
            zone: "CST",
            monotonic: false,
        },
        _ => TimeForm::RfcZ(3),
    }
}

/// The API's name of the task list.
fn list_field(provider: &str) -> &'static str {
    match provider {
        "huawei_cbr" => "operation_logs",
        "huawei_cce" => "items",
        _ => "tasks",
    }
}

/// The API's name of the task status and of the time the provider reads as `created`.
fn status_and_created_fields(provider: &str) -> (&'static str, &'static str) {
    match provider {
        "yandex_backup" => ("status", "enqueuedAt"),
        "huawei_cce" => ("status.phase", "metadata.creationTimestamp"),
        _ => ("status", "created_at"),
    }
}

/// Seeds a successful task `id` of `unit`, created at `created` and finished at `finished`,
/// with every time written in `form`. The provider reads them back as `Task::created` and
/// `Task::finished`.
fn seed(
    provider: &str,
    sim: &Sim,
    unit: &str,
    id: &str,
    created: Timestamp,
    finished: Timestamp,
    form: TimeForm,
) {
    let (c, f) = (form.format(created), form.format(finished));
    match provider {
        "yandex_backup" => lock(&sim.yandex).upsert_task(
            unit,
            SimTask::new(id, "BACKUP", "COMPLETED")
                .times(&c, Some(&c), Some(&f))
                .result("OK", None)
                .progress(5, 20),
        ),
        "huawei_vbs" => lock(&sim.huawei).add_vbs_task(
            unit,
            VbsTask {
                job_id: id.into(),
                status: "EXECUTE_SUCCESS".into(),
                created_at: c,
                finished_at: Some(f),
                backup_name: format!("autobk_{id}"),
                resource_id: "vol-1".into(),
                resource_type: "volume".into(),
                error: None,
            },
        ),
        "huawei_cbr" => lock(&sim.huawei).add_cbr_log(CbrLog {
            id: id.into(),
            status: "success".into(),
            operation_type: "backup".into(),
            created_at: c.clone(),
            started_at: c,
            updated_at: f.clone(),
            ended_at: Some(f),
            progress: Some(100),
            resource_id: "ecs-1".into(),
            resource_name: "web-1".into(),
            resource_type: "OS::Nova::Server".into(),
            vault_id: "vault-1".into(),
            error: None,
        }),
        "huawei_cce" => lock(&sim.huawei).add_cce_task(
            unit,
            CceTask {
                uid: id.into(),
                phase: "Success".into(),
                progress: Some("67".into()),
                created: c,
                updated: f.clone(),
                completion: Some(f),
                items: vec![("master-backup".into(), "Success".into(), String::new())],
            },
        ),
        "huawei_dms" => lock(&sim.huawei).add_dms_task(
            unit,
            DmsTask {
                id: id.into(),
                name: "bindInstancePublicIp".into(),
                status: "SUCCESS".into(),
                created_at: c,
                updated_at: f,
                progress: None,
            },
        ),
        other => panic!("{other}"),
    }
}

/// Two hours ago plus `i` minutes and 123456789 ns: every fraction digit is set.
fn created(i: usize) -> Timestamp {
    let now = Timestamp::now().as_second();
    Timestamp::new(now - now % 60 - 7200 + i as i64 * 60, 123_456_789).unwrap()
}

/// A minute and 987654321 ns after [`created`].
fn finished(i: usize) -> Timestamp {
    created(i) + SignedDuration::new(61, 987_654_321)
}

impl Case {
    async fn start(s: &'static dyn Scenario) -> Case {
        let cloud = FakeCloud::start(Sim::new()).await.unwrap();
        let target = s.setup(cloud.sim(), &cloud.url(), settings(), 0);
        let unit = s.unit().to_string();
        Case {
            s,
            cloud,
            target,
            unit,
        }
    }

    fn sim(&self) -> &Sim {
        self.cloud.sim()
    }

    fn kind(&self) -> &'static str {
        self.s.provider()
    }

    /// Seeds task `id` (index `i` picks its times) in the provider's own time format.
    fn seed(&self, id: &str, i: usize) {
        self.seed_in(id, i, native_form(self.kind()));
    }

    fn seed_in(&self, id: &str, i: usize, form: TimeForm) {
        seed(
            self.kind(),
            self.sim(),
            &self.unit,
            id,
            created(i),
            finished(i),
            form,
        );
    }

    fn edit(&self, e: RecordEdit) {
        self.sim()
            .edit_records(self.s.service(), Some(&self.unit), e);
    }

    async fn list(&self) -> Result<Listing, ProviderError> {
        let p = support::provider(&self.target);
        p.list_tasks(&self.unit, &support::full_pass(2)).await
    }

    async fn listing(&self) -> Listing {
        self.list()
            .await
            .unwrap_or_else(|e| panic!("{}: the unit must list: {e}", self.kind()))
    }
}

fn find<'a>(l: &'a Listing, id: &str) -> Option<&'a Task> {
    l.tasks.iter().find(|t| t.id == id)
}

fn task<'a>(ctx: &str, l: &'a Listing, id: &str) -> &'a Task {
    find(l, id).unwrap_or_else(|| panic!("{ctx}: task {id} missing; invalid: {:?}", l.invalid))
}

fn invalid<'a>(l: &'a Listing, id: Option<&str>, field: &str) -> Option<&'a InvalidTask> {
    l.invalid
        .iter()
        .find(|b| b.id.as_deref() == id && b.field == field)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_time_format_reads_to_the_exact_instant_in_every_provider() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        let forms = if c.kind() == "yandex_backup" {
            TimeForm::rfc3339()
        } else {
            TimeForm::huawei()
        };
        for (i, form) in forms.iter().enumerate() {
            c.seed_in(&(1000 + i).to_string(), i, *form);
        }
        let l = c.listing().await;
        assert!(l.invalid.is_empty(), "{}: {:?}", c.kind(), l.invalid);
        assert_eq!(l.tasks.len(), forms.len(), "{}", c.kind());
        for (i, form) in forms.iter().enumerate() {
            let ctx = format!("{} {form:?} {:?}", c.kind(), form.format(created(i)));
            let t = task(&ctx, &l, &(1000 + i).to_string());
            assert_eq!(t.created, Some(form.truncate(created(i))), "{ctx}");
            assert_eq!(t.finished, Some(form.truncate(finished(i))), "{ctx}");
            assert!(t.terminal && t.state == TaskState::Succeeded, "{ctx}");
        }
    }
}

/// Fields a usable task needs, by provider: (field made absent or null, field the invalid
/// task names). Every other field of the SDK model may be absent or null.
fn needed(provider: &str) -> &'static [(&'static str, &'static str)] {
    match provider {
        // Proto3 JSON reads an absent or null status as STATUS_UNSPECIFIED: a task with an
        // unknown status, not an invalid one.
        "yandex_backup" => &[("id", "id")],
        "huawei_vbs" => &[("job_id", "job_id"), ("status", "status")],
        "huawei_cbr" => &[("id", "id"), ("status", "status")],
        "huawei_cce" => &[
            ("metadata", "metadata.uid"),
            ("metadata.uid", "metadata.uid"),
            ("status", "status.phase"),
            ("status.phase", "status.phase"),
        ],
        "huawei_dms" => &[("id", "id"), ("status", "status")],
        other => panic!("{other}"),
    }
}

/// Every field of the SDK model (optional ones, and for CBR and VBS the required ones too).
fn model_fields(provider: &str) -> Vec<&'static str> {
    match provider {
        "yandex_backup" => variants::YANDEX_OPTIONAL.to_vec(),
        "huawei_vbs" => [variants::VBS_OPTIONAL, &["job_id", "status", "created_at"]].concat(),
        "huawei_cbr" => [variants::CBR_OPTIONAL, variants::CBR_REQUIRED].concat(),
        "huawei_cce" => variants::CCE_OPTIONAL.to_vec(),
        "huawei_dms" => variants::DMS_OPTIONAL.to_vec(),
        other => panic!("{other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_and_null_fields_are_read_as_the_sdk_models_allow() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        c.seed("100", 0);
        let fields = model_fields(c.kind());
        let mut cases = Vec::new();
        for (i, field) in fields.iter().enumerate() {
            for (j, null) in [false, true].into_iter().enumerate() {
                let id = (2000 + i * 2 + j).to_string();
                c.seed(&id, i + 1);
                c.edit(if null {
                    RecordEdit::null(&id, field)
                } else {
                    RecordEdit::remove(&id, field)
                });
                cases.push((id, *field, null));
            }
        }
        let l = c.listing().await;
        task(c.kind(), &l, "100");
        let needed = needed(c.kind());
        for (id, field, null) in &cases {
            let ctx = format!(
                "{}: {field} {}",
                c.kind(),
                if *null { "null" } else { "absent" }
            );
            match needed.iter().find(|(f, _)| f == field) {
                Some((_, reason)) => {
                    let id_gone = matches!(*field, "id" | "job_id" | "metadata" | "metadata.uid");
                    let want = (!id_gone).then_some(id.as_str());
                    let bad = invalid(&l, want, reason).unwrap_or_else(|| {
                        panic!("{ctx}: want invalid {reason}; got {:?}", l.invalid)
                    });
                    assert!(!bad.detail.is_empty(), "{ctx}");
                    assert!(find(&l, id).is_none(), "{ctx}: not a task");
                }
                None => {
                    task(&ctx, &l, id);
                }
            }
        }
        assert_eq!(
            l.invalid.len(),
            needed.len() * 2,
            "{}: {:?}",
            c.kind(),
            l.invalid
        );
        assert_eq!(
            l.tasks.len(),
            1 + cases.len() - needed.len() * 2,
            "{}",
            c.kind()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_json_type_of_a_field_reads_the_same() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        // Same times for all, so a retyped task must equal the control task but for its id.
        c.seed("100", 0);
        let fields: Vec<&str> = variants::RETYPEABLE
            .iter()
            .filter(|(svc, _)| *svc == c.s.service())
            .map(|(_, f)| *f)
            .collect();
        for (i, field) in fields.iter().enumerate() {
            let id = (3000 + i).to_string();
            c.seed(&id, 0);
            c.edit(RecordEdit::retype(&id, field));
        }
        // The total count with its other type: paging over three pages still reads all.
        for i in 0..4 {
            c.seed(&(4000 + i).to_string(), 0);
        }
        c.edit(RecordEdit::RetypeCount);
        let l = c.listing().await;
        assert!(l.invalid.is_empty(), "{}: {:?}", c.kind(), l.invalid);
        let control = task(c.kind(), &l, "100").clone();
        assert_eq!(l.tasks.len(), 1 + fields.len() + 4, "{}", c.kind());
        for t in &l.tasks {
            let same = Task {
                id: control.id.clone(),
                ..t.clone()
            };
            assert_eq!(same, control, "{}: task {}", c.kind(), t.id);
        }
        if c.kind() == "huawei_cce" {
            assert_eq!(control.progress, Some(0.67));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_record_among_good_ones_leaves_the_rest_on_every_page() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        let kind = c.kind();
        for i in 1..=6 {
            c.seed(&i.to_string(), i);
        }
        let (status, created_at) = status_and_created_fields(kind);
        c.seed("7", 7);
        c.edit(RecordEdit::set("7", status, json!({"phase": "Success"})));
        c.seed("8", 8);
        c.edit(RecordEdit::set("8", created_at, json!("yesterday at noon")));
        // Two records that are not task objects fill a page of their own (page size 2).
        c.edit(RecordEdit::Insert {
            index: 2,
            record: json!("garbage"),
        });
        c.edit(RecordEdit::Insert {
            index: 3,
            record: json!(42),
        });
        let l = c.listing().await;
        for i in 1..=6 {
            let t = task(kind, &l, &i.to_string());
            let form = native_form(kind);
            assert_eq!(t.created, Some(form.truncate(created(i))), "{kind}");
            assert_eq!(t.finished, Some(form.truncate(finished(i))), "{kind}");
        }
        assert_eq!(l.tasks.len(), 6, "{kind}: {:?}", l.tasks);
        let bad_status =
            invalid(&l, Some("7"), status).unwrap_or_else(|| panic!("{kind}: {:?}", l.invalid));
        assert!(
            bad_status.detail.contains("Success"),
            "{kind}: {bad_status:?}"
        );
        let bad_time =
            invalid(&l, Some("8"), created_at).unwrap_or_else(|| panic!("{kind}: {:?}", l.invalid));
        assert!(
            bad_time
                .detail
                .starts_with(r#""yesterday at noon" is not a "#),
            "{kind}: {bad_time:?}"
        );
        let not_records: Vec<&InvalidTask> = l
            .invalid
            .iter()
            .filter(|b| b.id.is_none() && b.field == list_field(kind))
            .collect();
        assert_eq!(not_records.len(), 2, "{kind}: {:?}", l.invalid);
        assert_eq!(l.invalid.len(), 4, "{kind}: {:?}", l.invalid);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_list_is_empty_and_a_list_of_the_wrong_type_fails_the_unit() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        let kind = c.kind();
        c.seed("1", 1);
        c.edit(RecordEdit::NullList);
        let l = c.listing().await;
        assert!(l.tasks.is_empty() && l.invalid.is_empty(), "{kind}: {l:?}");
        c.sim().clear_faults();
        c.sim().inject(FaultRule::service(
            s.service(),
            Fault::Garbage(json!({ list_field(kind): "not a list" }).to_string()),
        ));
        let e = c.list().await.expect_err(kind);
        assert_eq!(e.reason, Reason::Decode, "{kind}: {e}");
        assert!(
            e.message.starts_with(&unit_label(kind, &c.unit)),
            "{kind}: {e}"
        );
    }
}

/// The variants issue 7 names, one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_7_variants_named_in_the_issue() {
    let by = |name: &str| {
        all_scenarios()
            .into_iter()
            .find(|s| s.provider() == name)
            .unwrap()
    };

    // CBR: `"status": null` is an invalid task, `"operation_type": null` a task of type
    // `unspecified`, `"operation_logs": null` an empty list.
    let c = Case::start(by("huawei_cbr")).await;
    for i in 1..=3 {
        c.seed(&i.to_string(), i);
    }
    c.edit(RecordEdit::null("1", "status"));
    c.edit(RecordEdit::null("2", "operation_type"));
    let l = c.listing().await;
    assert_eq!(invalid(&l, Some("1"), "status").unwrap().detail, "null");
    assert_eq!(task("cbr", &l, "2").task_type, "unspecified");
    assert_eq!(task("cbr", &l, "3").task_type, "backup");
    c.edit(RecordEdit::NullList);
    let l = c.listing().await;
    assert!(l.tasks.is_empty() && l.invalid.is_empty(), "{l:?}");

    // VBS: `"status": null` is an invalid task; a time ending in `Z` reads exactly.
    let c = Case::start(by("huawei_vbs")).await;
    c.seed("1", 1);
    c.edit(RecordEdit::null("1", "status"));
    c.seed_in("2", 2, TimeForm::RfcZ(3));
    let l = c.listing().await;
    assert_eq!(invalid(&l, Some("1"), "status").unwrap().detail, "null");
    let t = task("vbs", &l, "2");
    assert_eq!(t.created, Some(TimeForm::RfcZ(3).truncate(created(2))));
    assert_eq!(t.finished, Some(TimeForm::RfcZ(3).truncate(finished(2))));

    // CCE: `"metadata": null` is an invalid task, a numeric `progress` reads, a time in
    // RFC 3339 reads exactly.
    let c = Case::start(by("huawei_cce")).await;
    for i in 1..=2 {
        c.seed(&i.to_string(), i);
    }
    c.edit(RecordEdit::null("1", "metadata"));
    c.edit(RecordEdit::set("2", "status.progress", json!(67)));
    c.seed_in("3", 3, TimeForm::RfcOffset(6, 480));
    let l = c.listing().await;
    assert_eq!(
        invalid(&l, None, "metadata.uid").unwrap().detail,
        "metadata null"
    );
    assert_eq!(task("cce", &l, "2").progress, Some(0.67));
    let t = task("cce", &l, "3");
    assert_eq!(
        t.created,
        Some(TimeForm::RfcOffset(6, 480).truncate(created(3)))
    );
    assert_eq!(
        t.finished,
        Some(TimeForm::RfcOffset(6, 480).truncate(finished(3)))
    );

    // DMS: `"name": null` is a task of type `unspecified`; a time without offset reads as
    // UTC; a terminal task with `created_at` and `updated_at` null is returned with no time
    // at all (nothing to invent one from).
    let c = Case::start(by("huawei_dms")).await;
    c.seed("1", 1);
    c.edit(RecordEdit::null("1", "name"));
    c.seed_in("2", 2, TimeForm::NaiveT(3));
    c.seed("3", 3);
    c.edit(RecordEdit::null("3", "created_at"));
    c.edit(RecordEdit::null("3", "updated_at"));
    let l = c.listing().await;
    assert!(l.invalid.is_empty(), "{:?}", l.invalid);
    assert_eq!(task("dms", &l, "1").task_type, "unspecified");
    let t = task("dms", &l, "2");
    assert_eq!(t.created, Some(TimeForm::NaiveT(3).truncate(created(2))));
    assert_eq!(t.finished, Some(TimeForm::NaiveT(3).truncate(finished(2))));
    let t = task("dms", &l, "3");
    assert!(t.terminal && t.state == TaskState::Succeeded);
    assert_eq!(
        (t.created, t.started, t.updated, t.finished),
        (None, None, None, None)
    );
}

/// Through the scheduler: a poll that meets unreadable records still succeeds, the target
/// stays up, and the good tasks count exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_7_an_unreadable_record_leaves_the_target_up_and_the_good_tasks_counted() {
    for s in all_scenarios() {
        let kind = s.provider();
        let mut rig = Rig::start(s, 3).await;
        let unit = s.unit().to_string();
        rig.runner
            .poll_once()
            .await
            .unwrap_or_else(|e| panic!("{kind}: baseline: {e}"));
        s.add_terminal(rig.sim(), 3);
        let (_, created_at) = status_and_created_fields(kind);
        seed(
            kind,
            rig.sim(),
            &unit,
            "9000001",
            created(1),
            finished(1),
            native_form(kind),
        );
        let edit = |e| rig.sim().edit_records(s.service(), Some(&unit), e);
        edit(RecordEdit::set("9000001", created_at, json!("n/a")));
        edit(RecordEdit::Insert {
            index: 1,
            record: json!(["not", "a", "task"]),
        });
        for poll in ["after", "repeat"] {
            rig.runner
                .poll_once()
                .await
                .unwrap_or_else(|e| panic!("{kind}: {poll} poll: {e}"));
            let snap = rig.snap();
            assert!(snap.status.up, "{kind}: {poll}");
            assert_eq!(completions(&snap), 3, "{kind}: {poll}: counted once");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_unit_error_names_its_unit() {
    for s in all_scenarios() {
        let c = Case::start(s).await;
        let kind = c.kind();
        c.seed("1", 1);
        let label = unit_label(kind, &c.unit);
        c.sim()
            .inject(FaultRule::service(s.service(), Fault::status(404)));
        let e = c.list().await.expect_err(kind);
        assert_eq!(e.reason, Reason::Client, "{kind}: {e}");
        assert!(e.message.starts_with(&format!("{label}: ")), "{kind}: {e}");
        assert_eq!(e.message.matches(&label).count(), 1, "{kind}: {e}");
        c.sim().clear_faults();
        // Credentials that cannot be obtained fail the unit too, and say which one.
        let token_service = match kind {
            "yandex_backup" => "yandex_iam",
            "huawei_cbr" | "huawei_dms" => "huawei_iam",
            _ => continue,
        };
        c.sim()
            .inject(FaultRule::service(token_service, Fault::status(403)));
        let e = c.list().await.expect_err(kind);
        assert_eq!(e.reason, Reason::Auth, "{kind}: {e}");
        assert!(e.message.starts_with(&format!("{label}: ")), "{kind}: {e}");
    }
}

/// Through the scheduler: a DMS task that finished successfully but carries no timestamp
/// (`created_at` and `updated_at` null) counts once and never sets the last success to the
/// time of a poll: a resource is not made to look freshly backed up by a task that cannot be
/// placed in time. The simulator lists a task without times last, past where a windowed
/// pass stops, so the polls here are full passes (paused time moves past
/// `reconcile_interval` before each).
#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn issue_7_a_success_without_timestamps_counts_once_and_invents_no_time() {
    let s = all_scenarios()
        .into_iter()
        .find(|s| s.provider() == "huawei_dms")
        .unwrap();
    let mut rig = Rig::start(s, 2).await;
    let unit = s.unit().to_string();
    rig.runner.poll_once().await.unwrap();
    let last_before = rig.snap().tallies.last.clone();
    seed(
        "huawei_dms",
        rig.sim(),
        &unit,
        "9000077",
        created(1),
        finished(1),
        native_form("huawei_dms"),
    );
    let edit = |e| rig.sim().edit_records(s.service(), Some(&unit), e);
    edit(RecordEdit::null("9000077", "created_at"));
    edit(RecordEdit::null("9000077", "updated_at"));
    for _ in 0..3 {
        tokio::time::advance(rig.target.settings.reconcile_every()).await;
        rig.runner.poll_once().await.unwrap();
        let snap = rig.snap();
        assert_eq!(completions(&snap), 1, "counted exactly once");
        assert_eq!(
            snap.tallies.last, last_before,
            "no last_* moved to a poll's time"
        );
    }
}
