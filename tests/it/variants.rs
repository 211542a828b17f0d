//! Task records the way the SDK models and API docs allow them, through the simulator, for
//! every provider: `null` and absent fields, the other JSON type of
//! a field, every time format to the exact instant, unreadable records among good ones, a
//! `null` list; and every unit error naming its unit. The variants come from the simulator
//! (`sim::variants`, `RecordEdit`), written from the SDK models, not from the decoders.
//!
//! Each test runs every provider through its [`ProviderFixture`] (the fault matrix's targets,
//! credentials and small pages), seeding tasks with ids and times of its own.

use cloud_task_exporter::config::Target;
use cloud_task_exporter::model::{InvalidTask, Listing, Task, TaskState};
use cloud_task_exporter::provider::{Provider, ProviderError, Reason};
use cloud_task_exporter::sim::variants::{self, TimeForm};
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, RecordEdit, Sim, lock};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::faults::{Rig, completions, settings};
use crate::providers::{ProviderFixture, by_kind, fixtures};
use crate::support;

/// One provider's simulator, target and unit.
struct Case {
    s: &'static dyn ProviderFixture,
    cloud: FakeCloud,
    target: Target,
    unit: String,
}

/// How error messages name `unit` of the provider of `f`.
fn unit_label(f: &dyn ProviderFixture, unit: &str) -> String {
    format!("{} '{unit}'", f.unit_noun())
}

/// Seeds a successful task `id` of the unit of `f`, created at `created` and finished at
/// `finished`, with every time written in `form`. The provider reads them back as
/// `Task::created` and `Task::finished`.
fn seed(
    f: &dyn ProviderFixture,
    sim: &Sim,
    id: &str,
    created: Timestamp,
    finished: Timestamp,
    form: TimeForm,
) {
    f.add_success(sim, id, &form.format(created), &form.format(finished));
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
    async fn start(s: &'static dyn ProviderFixture) -> Case {
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
        self.s.kind()
    }

    /// Seeds task `id` (index `i` picks its times) in the provider's own time format.
    fn seed(&self, id: &str, i: usize) {
        self.seed_in(id, i, self.s.native_form());
    }

    fn seed_in(&self, id: &str, i: usize, form: TimeForm) {
        seed(self.s, self.sim(), id, created(i), finished(i), form);
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
    for s in fixtures() {
        let c = Case::start(s).await;
        let forms = s.time_forms();
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absent_and_null_fields_are_read_as_the_sdk_models_allow() {
    for s in fixtures() {
        let c = Case::start(s).await;
        c.seed("100", 0);
        let fields = s.model_fields();
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
        let needed = s.required();
        for (id, field, null) in &cases {
            let ctx = format!(
                "{}: {field} {}",
                c.kind(),
                if *null { "null" } else { "absent" }
            );
            match needed.iter().find(|r| r.field == *field) {
                Some(r) => {
                    let reason = r.names;
                    let want = (!r.carries_id).then_some(id.as_str());
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
    for s in fixtures() {
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
        if let Some(progress) = s.success_progress() {
            assert_eq!(control.progress, Some(progress));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_unreadable_record_among_good_ones_leaves_the_rest_on_every_page() {
    for s in fixtures() {
        let c = Case::start(s).await;
        let kind = c.kind();
        for i in 1..=6 {
            c.seed(&i.to_string(), i);
        }
        let (status, created_at) = (s.status_field(), s.created_field());
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
            let form = s.native_form();
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
            .filter(|b| b.id.is_none() && b.field == s.list_key())
            .collect();
        assert_eq!(not_records.len(), 2, "{kind}: {:?}", l.invalid);
        assert_eq!(l.invalid.len(), 4, "{kind}: {:?}", l.invalid);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_null_list_is_empty_and_a_list_of_the_wrong_type_fails_the_unit() {
    for s in fixtures() {
        let c = Case::start(s).await;
        let kind = c.kind();
        c.seed("1", 1);
        c.edit(RecordEdit::NullList);
        let l = c.listing().await;
        assert!(l.tasks.is_empty() && l.invalid.is_empty(), "{kind}: {l:?}");
        c.sim().clear_faults();
        c.sim().inject(FaultRule::service(
            s.service(),
            Fault::Garbage(json!({ s.list_key(): "not a list" }).to_string()),
        ));
        let e = c.list().await.expect_err(kind);
        assert_eq!(e.reason, Reason::Decode, "{kind}: {e}");
        assert!(
            e.message.starts_with(&unit_label(s, &c.unit)),
            "{kind}: {e}"
        );
    }
}

/// The variants, one by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_7_variants_named_in_the_issue() {
    // CBR: `"status": null` is an invalid task, `"operation_type": null` a task of type
    // `unspecified`, `"operation_logs": null` an empty list.
    let c = Case::start(by_kind("huawei_cbr")).await;
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
    let c = Case::start(by_kind("huawei_vbs")).await;
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
    let c = Case::start(by_kind("huawei_cce")).await;
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
    let c = Case::start(by_kind("huawei_dms")).await;
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
    for s in fixtures() {
        let kind = s.kind();
        let mut rig = Rig::start(s, 3).await;
        let unit = s.unit().to_string();
        rig.runner
            .poll_once()
            .await
            .unwrap_or_else(|e| panic!("{kind}: baseline: {e}"));
        s.add_terminal(rig.sim(), 3);
        seed(
            s,
            rig.sim(),
            "9000001",
            created(1),
            finished(1),
            s.native_form(),
        );
        let edit = |e| rig.sim().edit_records(s.service(), Some(&unit), e);
        edit(RecordEdit::set("9000001", s.created_field(), json!("n/a")));
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
    for s in fixtures() {
        let c = Case::start(s).await;
        let kind = c.kind();
        c.seed("1", 1);
        let label = unit_label(s, &c.unit);
        c.sim()
            .inject(FaultRule::service(s.service(), Fault::status(404)));
        let e = c.list().await.expect_err(kind);
        assert_eq!(e.reason, Reason::Client, "{kind}: {e}");
        assert!(e.message.starts_with(&format!("{label}: ")), "{kind}: {e}");
        assert_eq!(e.message.matches(&label).count(), 1, "{kind}: {e}");
        c.sim().clear_faults();
        // Credentials that cannot be obtained fail the unit too, and say which one. A Huawei
        // IAM user's token is the process's (shared by the targets of the user and project),
        // so the cached one is revoked first: the 401 asks for a new one.
        let Some(token_service) = s.token_service() else {
            continue;
        };
        lock(&c.sim().huawei).expire_tokens();
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
    let s = by_kind("huawei_dms");
    let mut rig = Rig::start(s, 2).await;
    let unit = s.unit().to_string();
    rig.runner.poll_once().await.unwrap();
    let last_before = rig.snap().tallies.last.clone();
    seed(
        s,
        rig.sim(),
        "9000077",
        created(1),
        finished(1),
        s.native_form(),
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
