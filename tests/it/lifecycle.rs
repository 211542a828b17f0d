//! The real binary through its life, polling the simulator in this process over loopback:
//! reload by SIGHUP and `POST /-/reload` (good and bad configs), shutdown in the middle of a
//! poll, restart from the state file, no secret anywhere a user can read, and a real
//! Prometheus server scraping `--demo`.

use std::path::Path;
use std::time::Duration;

use cloud_task_exporter::sim::huawei::wire::{cbr_time, dms_time};
use cloud_task_exporter::sim::huawei::{CbrLog, DmsTask};
use cloud_task_exporter::sim::yandex::{SimTask, TEST_PRIVATE_KEY_PEM, test_authorized_key_json};
use cloud_task_exporter::sim::{FakeCloud, Fault, FaultRule, Sim, lock};
use jiff::{SignedDuration, Timestamp};
use tokio::time::Instant;

use crate::binary::Exporter;
use crate::support::{Prometheus, sample};

pub(crate) const VM: &str = "fhm0lifecycle00000vm1";
pub(crate) const YC_TOKEN: &str = "t1.lifecycle-static-iam-token-0123456789abcdef";
pub(crate) const YC_OAUTH: &str = "y0_lifecycle-oauth-token-0123456789abcdef";
pub(crate) const HW_AK: &str = "LIFECYCLEACCESSKEY001";
pub(crate) const HW_SK: &str = "lifecycle-secret-key-0123456789abcdef";
pub(crate) const HW_PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
pub(crate) const HW_DOMAIN: &str = "lifecycle-account";
pub(crate) const HW_USER: &str = "lifecycle-user";
pub(crate) const HW_PASSWORD: &str = "lifecycle-password-0123456789abcdef";
pub(crate) const DMS_INSTANCE: &str = "5e2b0c8e-0000-4000-8000-00000000lc01";
pub(crate) const CBR_RESOURCE: &str = "ecs-lifecycle-0001";

/// Fast polling for every target: the loader's rule is interval > timeout.
pub(crate) const DEFAULTS: &str = "defaults: { interval: 1s, timeout: 800ms, retries: 0, retry_backoff: 50ms, requests_per_second: 100 }\n";

/// A simulator that knows every credential the configs below use, with one instance, one
/// Kafka instance and empty task lists.
pub(crate) async fn cloud() -> FakeCloud {
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    {
        let mut y = lock(&cloud.sim().yandex);
        y.register_iam_token(YC_TOKEN);
        y.register_oauth_token(YC_OAUTH);
        y.register_test_sa_key();
        y.add_instance(VM);
    }
    {
        let mut h = lock(&cloud.sim().huawei);
        h.add_aksk(HW_AK, HW_SK);
        h.add_user(HW_DOMAIN, HW_USER, HW_PASSWORD);
        h.add_dms_instance(DMS_INSTANCE, "orders-kafka", "kafka");
        h.dms_tasks.entry(DMS_INSTANCE.to_string()).or_default();
    }
    cloud
}

/// `mins` minutes ago.
pub(crate) fn ago(mins: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_mins(mins)
}

pub(crate) fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// A Yandex backup of [`VM`] that ran 1 minute and ended `mins` ago with `code`.
pub(crate) fn yc_done(sim: &Sim, id: &str, code: &str, mins: i64) {
    let end = ago(mins);
    let start = end - SignedDuration::from_mins(1);
    let task = SimTask::new(id, "BACKUP", "COMPLETED")
        .times(&rfc3339(start), Some(&rfc3339(start)), Some(&rfc3339(end)))
        .result(code, (code != "OK").then_some("it went wrong"));
    lock(&sim.yandex).upsert_task(VM, task);
}

/// A successful CBR backup of [`CBR_RESOURCE`] that ended `mins` ago.
pub(crate) fn cbr_done(sim: &Sim, id: &str, mins: i64) {
    let end = ago(mins);
    lock(&sim.huawei).add_cbr_log(CbrLog {
        id: id.to_string(),
        status: "success".to_string(),
        operation_type: "backup".to_string(),
        created_at: cbr_time(end - SignedDuration::from_mins(2)),
        started_at: cbr_time(end - SignedDuration::from_mins(2)),
        updated_at: cbr_time(end),
        ended_at: Some(cbr_time(end)),
        progress: Some(100),
        resource_id: CBR_RESOURCE.to_string(),
        resource_name: "web-1".to_string(),
        resource_type: "OS::Nova::Server".to_string(),
        vault_id: "vault-1".to_string(),
        error: None,
    });
}

/// A successful DMS task of [`DMS_INSTANCE`] that ended `mins` ago.
fn dms_done(sim: &Sim, id: &str, mins: i64) {
    let end = ago(mins);
    lock(&sim.huawei).add_dms_task(
        DMS_INSTANCE,
        DmsTask {
            id: id.to_string(),
            name: "restart".to_string(),
            status: "SUCCESS".to_string(),
            created_at: dms_time(end - SignedDuration::from_mins(1)),
            updated_at: dms_time(end),
            progress: None,
        },
    );
}

pub(crate) fn yc_target(name: &str, url: &str, auth: &str) -> String {
    format!(
        "  - name: {name}\n    provider: yandex_backup\n    endpoint: {url}\n    auth: {auth}\n    compute_instance_ids: [{VM}]\n"
    )
}

pub(crate) fn yc_static(name: &str, url: &str) -> String {
    yc_target(name, url, &format!("{{ iam_token: {YC_TOKEN} }}"))
}

pub(crate) fn cbr_target(name: &str, url: &str, ak: &str, sk: &str, extra: &str) -> String {
    format!(
        "  - name: {name}\n    provider: huawei_cbr\n    endpoint: {url}\n    region: ap-southeast-1\n    project_id: {HW_PROJECT}\n    auth: {{ access_key: {ak}, secret_key: {sk} }}\n{extra}"
    )
}

pub(crate) fn dms_target(name: &str, url: &str, password: &str) -> String {
    format!(
        "  - name: {name}\n    provider: huawei_dms\n    engine: kafka\n    endpoint: {url}\n    region: ap-southeast-1\n    project_id: {HW_PROJECT}\n    auth: {{ iam: {{ endpoint: {url}, domain: {HW_DOMAIN}, user: {HW_USER}, password: {password} }} }}\n    instance_ids: [{DMS_INSTANCE}]\n"
    )
}

/// Writes a config of `DEFAULTS`, `top` (e.g. `state_file: ...`) and the targets.
pub(crate) fn write_config(path: &Path, top: &str, targets: &[String]) {
    let text = format!("{DEFAULTS}{top}targets:\n{}", targets.concat());
    std::fs::write(path, text).unwrap();
}

/// Sum of every sample of `metric` (the whole name) of `target`.
pub(crate) fn total(text: &str, metric: &str, target: &str) -> f64 {
    let label = format!("target=\"{target}\"");
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) && l.contains(&label))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// `cloud_task_target_up` of `target`, if the series exists.
pub(crate) fn up(text: &str, target: &str, provider: &str) -> Option<f64> {
    sample(
        text,
        "cloud_task_target_up",
        &[("provider", provider), ("target", target)],
    )
}

pub(crate) fn polls(text: &str, target: &str) -> f64 {
    total(
        text,
        "cloud_task_target_poll_duration_seconds_count",
        target,
    )
}

pub(crate) fn reload_ok(text: &str) -> Option<f64> {
    sample(
        text,
        "cloud_task_exporter_config_last_reload_successful",
        &[],
    )
}

/// Stops the exporter with `signal` off the runtime's threads (the simulator keeps serving).
pub(crate) async fn stop(exp: Exporter, signal: &'static str) -> (Option<i32>, Duration, String) {
    tokio::task::spawn_blocking(move || exp.stop_with(signal))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_keeps_unchanged_targets_starts_added_and_drops_removed() {
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    yc_done(sim, "1001", "OK", 30);
    cbr_done(sim, "cbr-1", 30);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(
        &cfg,
        "",
        &[
            yc_static("yc", &url),
            cbr_target("hw-cbr", &url, HW_AK, HW_SK, ""),
        ],
    );
    let exp = Exporter::with_config(&cfg, &[]);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0) && up(m, "hw-cbr", "huawei_cbr") == Some(1.0)
    })
    .await;
    // Without --web.enable-lifecycle the HTTP reload is refused.
    assert_eq!(exp.post("/-/reload").await.0, 403);

    yc_done(sim, "1002", "OK", 1);
    let before = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            total(m, "cloud_task_completions_total", "yc") == 1.0 && polls(m, "yc") >= 4.0
        })
        .await;
    let polls_before = polls(&before, "yc");

    write_config(
        &cfg,
        "",
        &[
            yc_static("yc", &url),
            dms_target("hw-kafka", &url, HW_PASSWORD),
        ],
    );
    exp.signal("HUP");
    let after = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            up(m, "hw-kafka", "huawei_dms") == Some(1.0) && !m.contains("target=\"hw-cbr\"")
        })
        .await;
    assert_eq!(reload_ok(&after), Some(1.0));
    // The unchanged target kept running: same counters, its poll count never went back.
    assert_eq!(total(&after, "cloud_task_completions_total", "yc"), 1.0);
    assert!(
        polls(&after, "yc") >= polls_before,
        "yc restarted: {} polls after the reload, {polls_before} before",
        polls(&after, "yc")
    );
    let (_, targets) = exp.get("/api/v1/targets").await;
    assert!(targets.contains("hw-kafka") && !targets.contains("hw-cbr"));
    let (_, page) = exp.get("/").await;
    assert!(!page.contains("hw-cbr"), "status page still lists hw-cbr");

    // Both targets count what happens next, once.
    yc_done(sim, "1003", "ERROR", 0);
    dms_done(sim, "d0000000000000000000000000000001", 0);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            total(m, "cloud_task_completions_total", "yc") == 2.0
                && total(m, "cloud_task_completions_total", "hw-kafka") == 1.0
        })
        .await;
    assert!(!m.contains("target=\"hw-cbr\""));
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(log.contains("Configuration reloaded."), "log:\n{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_reload_rejects_a_bad_config_and_the_old_one_keeps_running() {
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(&cfg, "", &[yc_static("yc", &url)]);
    let exp = Exporter::with_config(&cfg, &["--web.enable-lifecycle"]);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            up(m, "yc", "yandex_backup") == Some(1.0)
        })
        .await;
    assert_eq!(reload_ok(&m), Some(1.0));
    assert_eq!(exp.get("/-/reload").await.0, 405);

    // A typo: rejected with the file, the key and a hint; nothing changes.
    std::fs::write(
        &cfg,
        format!(
            "{DEFAULTS}targets:\n{}{}    intervall: 2s\n",
            yc_static("yc", &url),
            dms_target("hw-kafka", &url, HW_PASSWORD)
        ),
    )
    .unwrap();
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("intervall"), "{body}");
    let m = exp
        .wait_metrics(Duration::from_secs(10), |m| reload_ok(m) == Some(0.0))
        .await;
    assert!(!m.contains("hw-kafka"), "the rejected config was applied");
    // A config that parses but whose provider cannot be built is rejected too.
    let key = dir.path().join("sa-key.json");
    std::fs::write(&key, "{\"id\": \"not a key\"}").unwrap();
    write_config(
        &cfg,
        "",
        &[
            yc_static("yc", &url),
            yc_target(
                "yc-key",
                &url,
                &format!("{{ service_account_key_file: {} }}", key.display()),
            ),
        ],
    );
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 400, "{body}");
    exp.signal("HUP");
    // A config file that went away.
    std::fs::remove_file(&cfg).unwrap();
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 400, "{body}");
    exp.wait_log(Duration::from_secs(10), |l| {
        l.matches("Configuration reload failed").count() >= 4
    })
    .await;

    // The old config still polls and counts.
    let polls_now = polls(&exp.get("/metrics").await.1, "yc");
    yc_done(sim, "2001", "OK", 0);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            total(m, "cloud_task_completions_total", "yc") == 1.0 && polls(m, "yc") > polls_now
        })
        .await;
    assert_eq!(reload_ok(&m), Some(0.0));
    assert_eq!(up(&m, "yc", "yandex_backup"), Some(1.0));
    assert!(!m.contains("yc-key"));

    // A good config is applied and the gauge recovers.
    write_config(
        &cfg,
        "",
        &[
            yc_static("yc", &url),
            dms_target("hw-kafka", &url, HW_PASSWORD),
        ],
    );
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 200, "{body}");
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            reload_ok(m) == Some(1.0) && up(m, "hw-kafka", "huawei_dms") == Some(1.0)
        })
        .await;
    assert_eq!(total(&m, "cloud_task_completions_total", "yc"), 1.0);

    // A changed target (new static labels) restarts from its running state.
    let labelled = yc_static("yc", &url) + "    labels: { env: blue }\n";
    write_config(
        &cfg,
        "",
        &[labelled.clone(), dms_target("hw-kafka", &url, HW_PASSWORD)],
    );
    assert_eq!(exp.post("/-/reload").await.0, 200);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            m.contains(
                "cloud_task_target_up{provider=\"yandex_backup\",target=\"yc\",env=\"blue\"} 1",
            )
        })
        .await;
    assert_eq!(total(&m, "cloud_task_completions_total", "yc"), 1.0);
    assert!(
        !m.lines()
            .any(|l| l.contains("target=\"yc\"") && !l.contains("env=\"blue\"")),
        "series of yc without its new label:\n{m}"
    );
    yc_done(sim, "2002", "OK", 0);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        total(m, "cloud_task_completions_total", "yc") == 2.0
    })
    .await;

    // New duration buckets restart every target from its running state.
    write_config(
        &cfg,
        "duration_buckets: [100, 200, 3600]\n",
        &[labelled, dms_target("hw-kafka", &url, HW_PASSWORD)],
    );
    assert_eq!(exp.post("/-/reload").await.0, 200);
    let (_, right_after) = exp.get("/metrics").await;
    let polled = polls(&right_after, "yc");
    // Every backup took 60 s: at no time may a scrape show one above le=100.
    let consistent = |m: &str| {
        m.lines()
            .filter(|l| {
                l.starts_with("cloud_task_duration_seconds_bucket{")
                    && l.contains("target=\"yc\"")
                    && l.contains(",le=\"100\"}")
            })
            .all(|l| {
                let (series, v) = l.rsplit_once(' ').unwrap();
                let count = series
                    .replace("_bucket{", "_count{")
                    .replace(",le=\"100\"", "");
                m.lines().any(|x| x == format!("{count} {v}"))
            })
    };
    assert!(consistent(&right_after), "{right_after}");
    // Histograms appear on first use (`docs/metrics.md` "Series budget"): one more backup shows the new
    // buckets.
    yc_done(sim, "2003", "OK", 0);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            m.contains("cloud_task_duration_seconds_bucket{provider=\"yandex_backup\",target=\"yc\",env=\"blue\",type=\"backup\",result=\"succeeded\",le=\"200\"}")
                && polls(m, "yc") > polled
                && up(m, "hw-kafka", "huawei_dms") == Some(1.0)
        })
        .await;
    // Counters carry over; the histogram starts over in its new buckets.
    assert_eq!(total(&m, "cloud_task_completions_total", "yc"), 3.0);
    assert!(
        !m.lines().any(
            |l| l.starts_with("cloud_task_duration_seconds_bucket{") && l.contains("le=\"30\"")
        ),
        "old buckets still served"
    );
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}

/// A truncated ConfigMap or a half-saved file must not drop every target: an empty,
/// comments-only or `targets: []` file is refused by `POST /-/reload` (400) and by SIGHUP, the
/// reload gauge drops to 0, and the old targets keep polling and counting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_to_a_config_without_targets_is_refused() {
    let cloud = cloud().await;
    let url = cloud.url();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let good = || write_config(&cfg, "", &[yc_static("yc", &url)]);
    good();
    let exp = Exporter::with_config(&cfg, &["--web.enable-lifecycle"]);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0)
    })
    .await;
    for (i, text) in ["", "# nothing here yet\n", "targets: []\n", "targets:\n"]
        .iter()
        .enumerate()
    {
        std::fs::write(&cfg, text).unwrap();
        if i % 2 == 0 {
            let (status, body) = exp.post("/-/reload").await;
            assert_eq!(status, 400, "{text:?} was accepted: {body}");
            assert!(body.contains("at least one target"), "{body}");
        } else {
            exp.signal("HUP");
        }
        exp.wait_log(Duration::from_secs(10), |l| {
            l.matches("Configuration reload failed").count() > i
        })
        .await;
        let m = exp
            .wait_metrics(Duration::from_secs(10), |m| reload_ok(m) == Some(0.0))
            .await;
        assert_eq!(up(&m, "yc", "yandex_backup"), Some(1.0), "{text:?}");
        // Put the good config back so that the next bad one is a change again.
        good();
        assert_eq!(exp.post("/-/reload").await.0, 200);
    }
    // The old target kept polling through all of it.
    let polled = polls(&exp.get("/metrics").await.1, "yc");
    exp.wait_metrics(Duration::from_secs(30), |m| polls(m, "yc") > polled)
        .await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}

/// Starts a config whose `hw-cbr` target hangs in its first request, waits until that poll
/// is under way and the fast `yc` target has counted a completion, then stops with `signal`.
async fn stop_in_the_middle_of_a_poll(signal: &'static str) {
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    yc_done(sim, "3001", "OK", 30);
    sim.inject(FaultRule::service(
        "huawei_cbr",
        Fault::Delay(Duration::from_secs(120)),
    ));
    let (hung_tx, hung_rx) = std::sync::mpsc::channel();
    sim.on_request("huawei_cbr", 1, move |_| {
        let _ = hung_tx.send(());
    });
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let state = dir.path().join("state.json");
    write_config(
        &cfg,
        &format!("state_file: {}\n", state.display()),
        &[
            yc_static("yc", &url),
            cbr_target(
                "hw-cbr",
                &url,
                HW_AK,
                HW_SK,
                "    interval: 60s\n    timeout: 50s\n",
            ),
        ],
    );
    let exp = Exporter::with_config(&cfg, &[]);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0)
    })
    .await;
    yc_done(sim, "3002", "OK", 0);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        total(m, "cloud_task_completions_total", "yc") == 1.0
    })
    .await;
    let hung = tokio::task::spawn_blocking(move || hung_rx.recv_timeout(Duration::from_secs(30)))
        .await
        .unwrap();
    assert!(hung.is_ok(), "the CBR poll never started");
    let (_, m) = exp.get("/metrics").await;
    assert_eq!(
        up(&m, "hw-cbr", "huawei_cbr"),
        None,
        "the CBR poll finished"
    );

    let (code, took, log) = stop(exp, signal).await;
    assert_eq!(code, Some(0), "exit code; log:\n{log}");
    assert!(took < Duration::from_secs(5), "took {took:?}; log:\n{log}");
    let saved = cloud_task_exporter::state::load(&state);
    let yc = saved.targets.get("yc").expect("yc saved");
    let counted: u64 = yc.completions.iter().map(|c| c.count).sum();
    assert_eq!(counted, 1, "{yc:?}");
    assert!(yc.seen.iter().any(|s| s.id == "3002"), "{yc:?}");
    assert!(!saved.targets.contains_key("hw-cbr"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_in_the_middle_of_a_poll_flushes_state_and_exits_0_within_5s() {
    stop_in_the_middle_of_a_poll("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_in_the_middle_of_a_poll_flushes_state_and_exits_0_within_5s() {
    stop_in_the_middle_of_a_poll("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_state_file_counts_each_new_completion_once() {
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    yc_done(sim, "4001", "OK", 50);
    yc_done(sim, "4002", "ERROR", 40);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let state = dir.path().join("state.json");
    write_config(
        &cfg,
        &format!("state_file: {}\n", state.display()),
        &[yc_static("yc", &url)],
    );
    let result = |m: &str, r: &str| {
        sample(
            m,
            "cloud_task_completions_total",
            &[
                ("provider", "yandex_backup"),
                ("target", "yc"),
                ("resource", VM),
                ("type", "backup"),
                ("result", r),
            ],
        )
    };

    // First life: old tasks are baselined, a new one is counted.
    let exp = Exporter::with_config(&cfg, &[]);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            up(m, "yc", "yandex_backup") == Some(1.0)
        })
        .await;
    assert_eq!(total(&m, "cloud_task_completions_total", "yc"), 0.0);
    yc_done(sim, "4003", "OK", 5);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        total(m, "cloud_task_completions_total", "yc") == 1.0
    })
    .await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");

    // While it is down: two more completions.
    yc_done(sim, "4004", "OK", 2);
    yc_done(sim, "4005", "TIMEDOUT", 1);

    // Second life: the two are counted once, the three older ones never again.
    let exp = Exporter::with_config(&cfg, &[]);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            total(m, "cloud_task_completions_total", "yc") >= 3.0
        })
        .await;
    // Three more whole polls later, nothing more was counted.
    let polled = polls(&m, "yc");
    let m2 = exp
        .wait_metrics(Duration::from_secs(30), |m| polls(m, "yc") >= polled + 3.0)
        .await;
    for text in [&m, &m2] {
        assert_eq!(total(text, "cloud_task_completions_total", "yc"), 3.0);
        assert_eq!(result(text, "succeeded"), Some(2.0));
        assert_eq!(result(text, "timed_out"), Some(1.0));
        assert_eq!(result(text, "failed"), Some(0.0));
        assert_eq!(
            total(text, "cloud_task_duration_seconds_count", "yc"),
            3.0,
            "histogram"
        );
    }
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(log.contains("Restored saved state."), "log:\n{log}");
}

/// Secrets that must never be shown, plus a middle slice of each long one (a truncated or
/// partly masked secret is still a leak).
fn with_slices(secrets: Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for s in secrets {
        if s.len() >= 24 {
            let a = s.len() / 3;
            out.push(s[a..a + 12].to_string());
        }
        out.push(s);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_debug_logs_pages_or_metrics_even_when_auth_fails() {
    const BAD_TOKEN: &str = "t1.wrong-static-token-fedcba9876543210";
    const BAD_OAUTH: &str = "y0_wrong-oauth-token-fedcba9876543210";
    const AK2: &str = "LIFECYCLEACCESSKEY002";
    const SK2: &str = "second-secret-key-0123456789abcdef";
    const WRONG_SK: &str = "wrong-secret-key-fedcba9876543210";
    const WRONG_PASSWORD: &str = "wrong-password-fedcba9876543210";
    let cloud = cloud().await;
    let url = cloud.url();
    let sim = cloud.sim();
    lock(&sim.huawei).add_aksk(AK2, SK2);
    yc_done(sim, "5001", "OK", 10);
    cbr_done(sim, "cbr-5001", 10);
    dms_done(sim, "d0000000000000000000000000005001", 10);
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("sa-key.json");
    std::fs::write(&key, test_authorized_key_json()).unwrap();
    let sk_file = dir.path().join("sk");
    std::fs::write(&sk_file, format!("{HW_SK}\n")).unwrap();
    let cfg = dir.path().join("config.yaml");
    let good = [
        ("yc-token", "yandex_backup"),
        ("yc-key", "yandex_backup"),
        ("yc-oauth", "yandex_backup"),
        ("hw-cbr", "huawei_cbr"),
        ("hw-kafka", "huawei_dms"),
    ];
    let bad = [
        ("yc-bad-token", "yandex_backup"),
        ("yc-bad-oauth", "yandex_backup"),
        ("hw-cbr-bad-sk", "huawei_cbr"),
        ("hw-kafka-bad-password", "huawei_dms"),
    ];
    write_config(
        &cfg,
        "",
        &[
            yc_static("yc-token", &url),
            yc_target(
                "yc-key",
                &url,
                &format!(
                    "{{ service_account_key_file: {}, iam_endpoint: {url} }}",
                    key.display()
                ),
            ),
            yc_target(
                "yc-oauth",
                &url,
                &format!("{{ oauth_token: {YC_OAUTH}, iam_endpoint: {url} }}"),
            ),
            yc_target(
                "yc-bad-token",
                &url,
                &format!("{{ iam_token: {BAD_TOKEN} }}"),
            ),
            yc_target(
                "yc-bad-oauth",
                &url,
                &format!("{{ oauth_token: {BAD_OAUTH}, iam_endpoint: {url} }}"),
            ),
            format!(
                "  - name: hw-cbr\n    provider: huawei_cbr\n    endpoint: {url}\n    region: ap-southeast-1\n    project_id: {HW_PROJECT}\n    auth: {{ access_key: {HW_AK}, secret_key_file: {} }}\n",
                sk_file.display()
            ),
            cbr_target("hw-cbr-bad-sk", &url, AK2, WRONG_SK, ""),
            dms_target("hw-kafka", &url, HW_PASSWORD),
            dms_target("hw-kafka-bad-password", &url, WRONG_PASSWORD),
        ],
    );
    let exp = Exporter::with_config(&cfg, &["--log.level=debug"]);
    let auth_errors = |m: &str, t: &str| {
        m.lines()
            .filter(|l| {
                l.starts_with("cloud_task_target_poll_errors_total{")
                    && l.contains(&format!("target=\"{t}\""))
                    && l.contains("reason=\"auth\"")
            })
            .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
            .sum::<f64>()
    };
    let metrics = exp
        .wait_metrics(Duration::from_secs(45), |m| {
            good.iter()
                .all(|(t, p)| up(m, t, p) == Some(1.0) && polls(m, t) >= 2.0)
                && bad
                    .iter()
                    .all(|(t, p)| up(m, t, p) == Some(0.0) && auth_errors(m, t) >= 2.0)
        })
        .await;
    let (_, page) = exp.get("/").await;
    let (_, targets) = exp.get("/api/v1/targets").await;
    // The failing targets show why they fail.
    for (t, _) in bad {
        assert!(targets.contains(t), "{targets}");
    }
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(
        log.contains("level=debug"),
        "no debug lines were logged:\n{log}"
    );

    let mut secrets: Vec<String> = [
        YC_TOKEN,
        YC_OAUTH,
        BAD_TOKEN,
        BAD_OAUTH,
        HW_SK,
        SK2,
        WRONG_SK,
        HW_PASSWORD,
        WRONG_PASSWORD,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    // The private key: its PEM header and each of its base64 lines.
    secrets.push("PRIVATE KEY".to_string());
    secrets.extend(private_key_lines());
    // What the simulator issued or was sent: IAM tokens, Huawei tokens, signed JWTs.
    let mut issued = 0;
    for r in sim.requests() {
        for (k, v) in &r.request.headers {
            let token = match k.as_str() {
                "authorization" => v.strip_prefix("Bearer "),
                "x-auth-token" => Some(v.as_str()),
                _ => None,
            };
            if let Some(t) = token {
                issued += 1;
                secrets.push(t.to_string());
            }
        }
        if r.service == "yandex_iam"
            && let Ok(body) = serde_json::from_slice::<serde_json::Value>(&r.request.body)
        {
            for k in ["jwt", "yandexPassportOauthToken"] {
                if let Some(v) = body.get(k).and_then(|v| v.as_str()) {
                    secrets.push(v.to_string());
                }
            }
        }
    }
    assert!(issued > 0, "no token was used");
    assert!(lock(&sim.yandex).issued_tokens() > 0);
    assert!(lock(&sim.huawei).tokens_issued() > 0);
    assert_nowhere(
        secrets,
        &[
            ("log", &log),
            ("/metrics", &metrics),
            ("/", &page),
            ("/api/v1/targets", &targets),
        ],
    );
}

/// The base64 lines of the simulator's service-account private key.
pub(crate) fn private_key_lines() -> impl Iterator<Item = String> {
    TEST_PRIVATE_KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .map(str::to_string)
}

/// Fails, naming the place and quoting the lines, when any of `secrets` (or a middle slice of
/// a long one) occurs in any of the `(place, text)`s.
pub(crate) fn assert_nowhere(mut secrets: Vec<String>, places: &[(&str, &str)]) {
    secrets.sort();
    secrets.dedup();
    for secret in with_slices(secrets) {
        for (place, text) in places {
            assert!(
                !text.contains(&secret),
                "{place} shows the secret {secret:?}:\n{}",
                text.lines()
                    .filter(|l| l.contains(&secret))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_configs_never_quote_their_secrets() {
    let cloud = cloud().await;
    let url = cloud.url();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(&cfg, "", &[yc_static("yc", &url)]);
    let exp = Exporter::with_config(&cfg, &["--web.enable-lifecycle", "--log.level=debug"]);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0)
    })
    .await;
    let secret = |i: usize| format!("s3cr3t-value-{i}-0123456789abcdef");
    let head = |name: &str| {
        format!(
            "{DEFAULTS}targets:\n  - name: {name}\n    provider: yandex_backup\n    endpoint: {url}\n    compute_instance_ids: [{VM}]\n"
        )
    };
    let hw = |name: &str| {
        format!(
            "{DEFAULTS}targets:\n  - name: {name}\n    provider: huawei_cbr\n    endpoint: {url}\n    region: ap-southeast-1\n    project_id: {HW_PROJECT}\n"
        )
    };
    let bad = [
        // Two auth methods.
        format!(
            "{}    auth: {{ iam_token: {}, oauth_token: {} }}\n",
            head("a"),
            secret(1),
            secret(2)
        ),
        // A YAML syntax error on the secret's line.
        format!(
            "{}    auth: {{ iam_token: {} \n  - [\n",
            head("b"),
            secret(3)
        ),
        // An unknown key next to a secret, and a secret under an unknown key.
        format!(
            "{}    auth: {{ iam_token: {}, tokne: {} }}\n",
            head("c"),
            secret(4),
            secret(5)
        ),
        // A secret of the wrong type.
        format!(
            "{}    auth: {{ access_key: {HW_AK}, secret_key: [{}] }}\n",
            hw("d"),
            secret(6)
        ),
        format!(
            "{}    auth: {{ access_key: {HW_AK}, secret_key: {{ v: {} }} }}\n",
            hw("e"),
            secret(7)
        ),
        // A misspelt IAM key next to a password.
        format!(
            "{}    auth: {{ iam: {{ domain: d, user: u, password: {}, passwrd: {} }} }}\n",
            hw("f"),
            secret(8),
            secret(9)
        ),
        // A secret and its file form.
        format!(
            "{}    auth: {{ access_key: {HW_AK}, secret_key: {}, secret_key_file: /nonexistent }}\n",
            hw("g"),
            secret(10)
        ),
        // A bad indentation right after a secret.
        format!(
            "{}    auth:\n      iam_token: {}\n     oops: {}\n",
            head("h"),
            secret(11),
            secret(12)
        ),
        // A service-account key that is not one.
        format!(
            "{}    auth: {{ service_account_key: '{{\"id\": \"k\", \"private_key\": \"{}\"}}' }}\n",
            head("i"),
            secret(13)
        ),
        // A PEM key whose body is damaged.
        format!(
            "{}    auth: {{ service_account_key: '{{\"id\": \"k\", \"service_account_id\": \"sa\", \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n\"}}' }}\n",
            head("j"),
            secret(14)
        ),
    ];
    let mut shown = String::new();
    for (i, text) in bad.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        std::fs::copy(&path, &cfg).unwrap();
        let (status, body) = exp.post("/-/reload").await;
        assert_eq!(status, 400, "config {i} was accepted:\n{text}\n{body}");
        shown.push_str(&body);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cloud-task-exporter"))
            .arg(format!("--config.file={}", path.display()))
            .arg("--check-config")
            .output()
            .unwrap();
        assert!(!out.status.success(), "--check-config accepted config {i}");
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
        shown.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    shown.push_str(&log);
    for i in 1..=14 {
        let s = secret(i);
        assert!(
            !shown.contains(&s) && !shown.contains(&s[4..20]),
            "secret {i} is shown:\n{}",
            shown
                .lines()
                .filter(|l| l.contains(&s[4..20]))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_prometheus,
    ignore = "needs the Prometheus server (apt-get install prometheus); CI installs it and runs this"
)]
async fn real_prometheus_scrapes_the_demo_and_sees_every_target_up() {
    let exp = Exporter::start(&["--demo"]);
    let prom = Prometheus::start(exp.addr, None);
    let client = cloud_task_exporter::provider::http::client();
    let query = format!("{}/api/v1/query", prom.url);
    let deadline = Instant::now() + Duration::from_secs(45);
    let mut last = String::new();
    loop {
        if let Ok(r) = client
            .get(format!("{query}?query=cloud_task_target_up"))
            .send()
            .await
            && let Ok(v) = r.json::<serde_json::Value>().await
        {
            let series = v["data"]["result"].as_array().cloned().unwrap_or_default();
            let ones = series.iter().filter(|s| s["value"][1] == "1").count();
            let all = cloud_task_exporter::provider::ProviderKind::ALL;
            if ones == all.len() {
                let mut providers: Vec<&str> = series
                    .iter()
                    .filter_map(|s| s["metric"]["provider"].as_str())
                    .collect();
                providers.sort();
                let mut want: Vec<&str> = all.iter().map(|k| k.as_str()).collect();
                want.sort();
                assert_eq!(providers, want);
                break;
            }
            last = v.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never saw every target up; last answer: {last}\nprometheus log:\n{}\nexporter log:\n{}",
            prom.log(),
            exp.log()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The scrape itself is healthy (Prometheus parsed every sample).
    let v: serde_json::Value = client
        .get(format!(
            "{query}?query=up%7Bjob%3D%22cloud-task-exporter%22%7D"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["data"]["result"][0]["value"][1], "1", "{v}");
    // Prometheus holds a keep-alive connection open: shutdown is still prompt.
    let (code, took, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

/// A `--web.config.file` that fails to reload (here a broken certificate), by SIGHUP
/// or `POST /-/reload`, sets `cloud_task_exporter_config_last_reload_successful` to 0 like a bad
/// config file does; the next fully good reload sets it back to 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_a_failed_web_config_reload_shows_in_the_reload_gauge() {
    let cloud = cloud().await;
    let url = cloud.url();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(&cfg, "", &[yc_static("yc", &url)]);
    let web = dir.path().join("web.yml");
    let good = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n";
    std::fs::write(&web, good).unwrap();
    std::fs::write(
        dir.path().join("server.crt"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    // A good key beside a certificate whose body is not one.
    let key = rcgen::KeyPair::generate().unwrap().serialize_pem();
    std::fs::write(dir.path().join("server.key"), key).unwrap();
    let broken = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
    let web_flag = format!("--web.config.file={}", web.display());
    let exp = Exporter::with_config(&cfg, &["--web.enable-lifecycle", &web_flag]);
    let m = exp
        .wait_metrics(Duration::from_secs(30), |m| {
            up(m, "yc", "yandex_backup") == Some(1.0)
        })
        .await;
    assert_eq!(reload_ok(&m), Some(1.0));

    // SIGHUP with a broken certificate: the old (plain HTTP) setting stays, the gauge drops.
    std::fs::write(&web, broken).unwrap();
    exp.signal("HUP");
    exp.wait_metrics(Duration::from_secs(10), |m| reload_ok(m) == Some(0.0))
        .await;
    exp.wait_log(Duration::from_secs(10), |l| {
        l.contains("Web configuration reload failed")
    })
    .await;
    // Fixed: the next SIGHUP sets it back.
    std::fs::write(&web, good).unwrap();
    exp.signal("HUP");
    exp.wait_metrics(Duration::from_secs(10), |m| reload_ok(m) == Some(1.0))
        .await;

    // The same through POST /-/reload.
    std::fs::write(&web, broken).unwrap();
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("server.crt"), "{body}");
    let (_, m) = exp.get("/metrics").await;
    assert_eq!(reload_ok(&m), Some(0.0), "after a 400 reload");
    std::fs::write(&web, good).unwrap();
    let (status, body) = exp.post("/-/reload").await;
    assert_eq!(status, 200, "{body}");
    let (_, m) = exp.get("/metrics").await;
    assert_eq!(reload_ok(&m), Some(1.0), "after a 200 reload");
    assert_eq!(up(&m, "yc", "yandex_backup"), Some(1.0));
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}
