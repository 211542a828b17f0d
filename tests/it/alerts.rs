//! The shipped alerting rules (`deploy/prometheus/alerts.yml`) in a real Prometheus, scraping
//! the real binary that polls the simulator: the failure and missed-backup rules fire, and
//! clear once a later backup succeeds. The log names the failed task and the API's message.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use crate::binary::Exporter;
use crate::lifecycle::{VM, cloud, stop, write_config, yc_done, yc_static};
use crate::support::Prometheus;

/// The active alerts (pending or firing) named `name` for resource [`VM`], by state.
async fn alert_states(client: &reqwest::Client, prom: &Prometheus, name: &str) -> Vec<String> {
    states_of(client, prom, name, VM).await
}

/// Waits until `cond` holds for the states of both alerts, or fails with both logs.
async fn wait_alerts(
    client: &reqwest::Client,
    prom: &Prometheus,
    exp: &Exporter,
    what: &str,
    cond: impl Fn(&[String], &[String]) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let failed = alert_states(client, prom, "CloudTaskFailed").await;
        let missing = alert_states(client, prom, "CloudBackupMissing").await;
        if cond(&failed, &missing) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: CloudTaskFailed {failed:?}, CloudBackupMissing {missing:?}\nprometheus log:\n{}\nexporter log:\n{}",
            prom.log(),
            exp.log()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn firing(states: &[String]) -> bool {
    states.iter().any(|s| s == "firing")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_prometheus,
    ignore = "needs the Prometheus server (apt-get install prometheus); CI installs it and runs this"
)]
async fn failure_and_missed_backup_rules_fire_then_clear_on_a_later_success() {
    let cloud = cloud().await;
    let sim = cloud.sim();
    // Backups every 10 minutes until 80 minutes ago (the learned rhythm is 10m and its grace the
    // 1h floor, so more than 70m without a success is missing), and the latest run, 70 minutes
    // ago, failed.
    yc_done(sim, "s1", "OK", 100);
    yc_done(sim, "s2", "OK", 90);
    yc_done(sim, "s3", "OK", 80);
    yc_done(sim, "f1", "ERROR", 70);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(&cfg, "", &[yc_static("yc", &cloud.url())]);
    let exp = Exporter::with_config(&cfg, &[]);
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/alerts.yml");
    let prom = Prometheus::start(exp.addr, Some(&rules));
    let client = cloud_task_exporter::provider::http::client();

    wait_alerts(&client, &prom, &exp, "both rules fire", |f, m| {
        firing(f) && firing(m)
    })
    .await;

    // Another failure after the baseline: one WARN line names the task and the API's message.
    yc_done(sim, "f2", "ERROR", 5);
    exp.wait_log(Duration::from_secs(30), |log| {
        log.lines().any(|l| {
            l.contains("Task ended badly.")
                && l.contains("task_id=f2")
                && l.contains(&format!("resource={VM}"))
                && l.contains("to=failed")
                && l.contains("it went wrong")
        })
    })
    .await;

    // A backup succeeds now: the latest result is a success and the last success is fresh.
    yc_done(sim, "s4", "OK", 0);
    wait_alerts(&client, &prom, &exp, "both rules clear", |f, m| {
        f.is_empty() && m.is_empty()
    })
    .await;
    for quiet in ["CloudTaskFailureRetried", "CloudBackupNeverSucceeded"] {
        assert_eq!(
            alert_states(&client, &prom, quiet).await,
            Vec::<String>::new(),
            "{quiet}"
        );
    }
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}

/// The active alerts named `name` for `resource`, by state.
async fn states_of(
    client: &reqwest::Client,
    prom: &Prometheus,
    name: &str,
    resource: &str,
) -> Vec<String> {
    let Ok(r) = client
        .get(format!("{}/api/v1/alerts", prom.url))
        .send()
        .await
    else {
        return Vec::new();
    };
    let Ok(v) = r.json::<Value>().await else {
        return Vec::new();
    };
    v["data"]["alerts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["labels"]["alertname"] == name && a["labels"]["resource"] == resource)
        .filter_map(|a| a["state"].as_str().map(str::to_string))
        .collect()
}

/// A CBR resource whose nightly policy ran two to three hours ago (at the top of an hour)
/// with no success since pages as CloudBackupScheduledRunMissed; a success after the slot
/// clears it. The policy is read from the simulator's policy API by the binary.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_prometheus,
    ignore = "needs the Prometheus server (apt-get install prometheus); CI installs it and runs this"
)]
async fn a_missed_scheduled_run_pages_and_a_later_success_clears_it() {
    use crate::lifecycle::{CBR_RESOURCE, HW_AK, HW_SK, cbr_done, cbr_target};
    use cloud_task_exporter::sim::huawei::{CbrPolicy, CbrVault};
    use cloud_task_exporter::sim::lock;
    let cloud = cloud().await;
    let sim = cloud.sim();
    let hour = (jiff::Timestamp::now().as_second().rem_euclid(86_400) / 3600 + 22) % 24;
    let pattern = format!("FREQ=DAILY;INTERVAL=1;BYHOUR={hour};BYMINUTE=0");
    {
        let mut h = lock(&sim.huawei);
        h.add_cbr_policy(CbrPolicy::backup("p-nightly", "nightly", &[&pattern]).vault("vault-1"));
        h.add_cbr_vault(CbrVault::new("vault-1", "one").resource(
            CBR_RESOURCE,
            "web-1",
            "OS::Nova::Server",
        ));
    }
    // The last success, a day before the missed slot.
    cbr_done(sim, "s1", 27 * 60);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(
        &cfg,
        "",
        &[cbr_target("cbr", &cloud.url(), HW_AK, HW_SK, "")],
    );
    let exp = Exporter::with_config(&cfg, &[]);
    let rules = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/prometheus/alerts.yml");
    let prom = Prometheus::start(exp.addr, Some(&rules));
    let client = cloud_task_exporter::provider::http::client();
    let missed = "CloudBackupScheduledRunMissed";
    let wait = |want: bool, what: &'static str| {
        let (client, prom, exp) = (&client, &prom, &exp);
        async move {
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let s = states_of(client, prom, missed, CBR_RESOURCE).await;
                if firing(&s) == want && (want || s.is_empty()) {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "{what}: {missed} {s:?}\nprometheus log:\n{}\nexporter log:\n{}",
                    prom.log(),
                    exp.log()
                );
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
    };
    wait(true, "the missed run pages").await;
    // The rhythm's rule stays quiet where a schedule covers the resource.
    assert_eq!(
        states_of(&client, &prom, "CloudBackupMissing", CBR_RESOURCE).await,
        Vec::<String>::new()
    );
    // A backup succeeds now, after the slot: the page clears.
    cbr_done(sim, "s2", 0);
    wait(false, "a later success clears it").await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}
