//! The status page in a real headless browser (Debian's `chromium`, driven by its
//! `chromedriver` over the W3C WebDriver protocol): from a known state, the rendered page shows
//! the failed resource in red, by computed colour, with the API's message as text, and where a
//! backup policy covers a resource its next scheduled run and policy, a missed scheduled run in
//! red at the top and a resource no policy covers in amber.
//!
//! Outside CI a missing browser skips the test with a loud message; with `CI=true` it fails.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::server::{AppState, serve};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::status::{
    FAILURE_MESSAGE, HEADLINE, NIGHTLY, OFF, PAGE_ORDER, PROBLEM_ORDER, UNIT_ERROR, known_state,
};
use crate::support::BUCKETS;

/// The flags chromium runs with: headless, no sandbox (containers), nothing that reaches out.
const CHROMIUM_FLAGS: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// A `chromedriver` process, killed on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn installed(bin: &str) -> bool {
    Command::new(bin)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Starts chromedriver on a free port (it prints the one it got). The test is compiled as
/// ignored where chromium or chromedriver is missing (build.rs), so a missing one fails here.
fn driver() -> Driver {
    assert!(
        installed("chromium") && installed("chromedriver"),
        "chromium and chromedriver must be installed (apt-get install chromium chromium-driver; .ci/run installs them)"
    );
    let mut child = Command::new("chromedriver")
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // "ChromeDriver was started successfully on port 42763."
            if let Some(p) = line.split("started successfully on port ").nth(1) {
                let _ = tx.send(p.trim_end_matches('.').to_string());
            }
        }
    });
    let port = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("chromedriver printed its port");
    Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Value,
) -> Value {
    let r = client
        .request(method, &url)
        .json(&body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = r.status();
    let v: Value = r.json().await.expect("WebDriver answers JSON");
    assert!(status.is_success(), "{url}: {status} {v:#}");
    v["value"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_chromium,
    ignore = "needs chromium and chromedriver (apt-get install chromium chromium-driver); CI installs them and runs this"
)]
async fn status_page_shows_the_failed_resource_in_red_in_chromium() {
    let driver = driver();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    let st = AppState {
        hub: known_state(),
        telemetry_path: "/metrics".to_string(),
        buckets: Arc::new(std::sync::RwLock::new(BUCKETS.to_vec())),
        reload: None,
    };
    let server = tokio::spawn(serve(listener, st, stop.clone()));

    let profile = tempfile::tempdir().unwrap();
    let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| f.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .no_proxy()
        .build()
        .unwrap();
    let session = call(
        &client,
        reqwest::Method::POST,
        format!("{}/session", driver.url),
        json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": args}
        }}}),
    )
    .await;
    let id = session["sessionId"]
        .as_str()
        .expect("a session id")
        .to_string();
    let base = format!("{}/session/{id}", driver.url);
    call(
        &client,
        reqwest::Method::POST,
        format!("{base}/url"),
        json!({"url": format!("http://{addr}/")}),
    )
    .await;
    // What a person sees: the row's result cell, its colour after CSS, its text.
    let seen = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/execute/sync"),
        json!({"args": [], "script": r#"
            const row = document.querySelector('tr[data-resource="vm-a"]');
            const cell = row.querySelector('td.result');
            const ok = document.querySelector('tr[data-resource="vm-b"] td.age');
            const problem = document.querySelector('#problems .problem[data-kind="config"]');
            const headline = document.querySelector('#headline');
            const running = document.querySelector('tr[data-resource="vm-f"]');
            return {
                color: getComputedStyle(cell).color,
                text: cell.innerText,
                okColor: getComputedStyle(ok).color,
                problem: problem.innerText,
                problemColor: getComputedStyle(problem).color,
                bold: cell.querySelectorAll('b').length,
                headline: headline.innerText,
                headlineColor: getComputedStyle(headline).color,
                order: [...document.querySelectorAll('#pairs tr.pair')].map(r => r.dataset.resource),
                failedState: row.querySelector('td.state').innerText,
                overdueState: document.querySelector('tr[data-resource="vm-d"] td.state').innerText,
                running: running.querySelector('td.state').innerText,
                runningColor: getComputedStyle(running.querySelector('td.state')).color,
                runningActive: running.querySelector('.active').innerText,
                unitRow: document.querySelector('tr[data-resource="vm-g"]').innerText,
                note: document.querySelector('tr[data-resource="vm-e"] .note').innerText,
                legend: document.querySelector('#legend').innerText,
                schedule: document.querySelector('tr[data-resource="srv-fine"] .schedule').innerText,
                missedState: document.querySelector('tr[data-resource="srv-missed"] td.state').innerText,
                missedColor: getComputedStyle(document.querySelector('tr[data-resource="srv-missed"] td.state')).color,
                offState: document.querySelector('tr[data-resource="srv-off"] td.state').innerText,
                offColor: getComputedStyle(document.querySelector('tr[data-resource="srv-off"] td.state')).color,
                offSchedule: document.querySelector('tr[data-resource="srv-off"] .schedule').innerText,
                firstProblemColor: getComputedStyle(document.querySelector('#problems .problem')).color,
                next: [...document.querySelectorAll('#problems .problem')].map(p => ({
                    kind: p.dataset.kind,
                    alert: p.querySelector('code.alert')?.innerText ?? null,
                    log: p.querySelector('code.log')?.innerText ?? null,
                    doc: p.querySelector('a.doc')?.getAttribute('href') ?? null,
                    text: p.innerText,
                })),
            };
        "#}),
    )
    .await;
    // At a phone's width nothing scrolls sideways.
    call(
        &client,
        reqwest::Method::POST,
        format!("{base}/window/rect"),
        json!({"width": 390, "height": 844}),
    )
    .await;
    let phone = call(
        &client,
        reqwest::Method::POST,
        format!("{base}/execute/sync"),
        json!({"args": [], "script": r#"
            return {
                inner: window.innerWidth,
                scroll: document.documentElement.scrollWidth,
                viewport: document.querySelector('meta[name=viewport]')?.content ?? null,
            };
        "#}),
    )
    .await;
    // The runbook the problems link to is served, with the anchors they name.
    let runbook = client
        .get(format!("http://{addr}/docs/alerts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let _ = client.delete(&base).send().await;
    stop.cancel();
    let _ = server.await;

    assert_eq!(
        seen["color"], "rgb(207, 34, 46)",
        "failed result is red: {seen:#}"
    );
    let text = seen["text"].as_str().unwrap();
    assert!(text.starts_with("failed"), "{text}");
    assert!(
        text.contains(FAILURE_MESSAGE),
        "the API's message, as text: {text}"
    );
    assert_eq!(seen["bold"], 0, "the message's markup is not rendered");
    assert_eq!(
        seen["okColor"], "rgb(26, 127, 55)",
        "vm-b's recent success is green"
    );
    assert_eq!(seen["problemColor"], "rgb(207, 34, 46)");
    assert!(
        seen["problem"]
            .as_str()
            .unwrap()
            .contains("reload was rejected"),
        "{seen:#}"
    );

    // The headline counts what needs attention, by kind, in red.
    assert_eq!(seen["headline"], HEADLINE, "{seen:#}");
    assert_eq!(seen["headlineColor"], "rgb(207, 34, 46)");
    // Rows by severity, then the longest-lasting problem first.
    assert_eq!(seen["order"], json!(PAGE_ORDER), "{seen:#}");
    // A covered row: its next scheduled run, absolute and relative, and its policy.
    let schedule = seen["schedule"].as_str().unwrap();
    assert!(schedule.starts_with("next scheduled run "), "{schedule}");
    assert!(has_utc(schedule, " (in 2"), "22h from now: {schedule}");
    assert!(
        schedule.contains(&format!("policy {} {}", NIGHTLY.0, NIGHTLY.1)),
        "{schedule}"
    );
    // The missed run in red, since its slot; the resource no policy covers in amber.
    let missed = seen["missedState"].as_str().unwrap();
    assert!(missed.starts_with("missed its scheduled run"), "{missed}");
    assert!(missed.contains("due ") && has_utc_ago(missed), "{missed}");
    assert!(missed.contains("no success since"), "{missed}");
    assert_eq!(seen["missedColor"], "rgb(207, 34, 46)");
    let off = seen["offState"].as_str().unwrap();
    assert!(off.starts_with("not scheduled"), "{off}");
    assert_eq!(seen["offColor"], "rgb(154, 103, 0)", "amber");
    let off_schedule = seen["offSchedule"].as_str().unwrap();
    assert!(
        off_schedule.starts_with("not scheduled")
            && off_schedule.contains(&format!("policy {} {}", OFF.0, OFF.1)),
        "{off_schedule}"
    );
    // Absolute UTC times beside the relative ones; since when, and how many in a row.
    let failed = seen["failedState"].as_str().unwrap();
    assert!(failed.contains("failing since "), "{failed}");
    assert!(has_utc_ago(failed), "{failed}");
    assert!(failed.contains("2 failures in a row"), "{failed}");
    assert!(has_utc_ago(text), "{text}");
    let overdue = seen["overdueState"].as_str().unwrap();
    assert!(
        overdue.contains("overdue since ") && overdue.contains("overdue by 2d"),
        "{overdue}"
    );
    assert!(has_utc_ago(overdue), "{overdue}");
    // A run within its limit is in progress, not overdue and not red.
    let running = seen["running"].as_str().unwrap();
    assert!(running.starts_with("in progress"), "{running}");
    assert_eq!(seen["runningColor"], "rgb(9, 105, 218)", "blue, not red");
    assert!(
        seen["runningActive"]
            .as_str()
            .unwrap()
            .starts_with("running 44% for 20m"),
        "{seen:#}"
    );
    // A unit's own error on its row, not "none seen" or "never".
    let unit = seen["unitRow"].as_str().unwrap();
    assert!(unit.contains(UNIT_ERROR), "{unit}");
    assert!(
        !unit.contains("none seen") && !unit.contains("never"),
        "{unit}"
    );
    // The strip explained.
    assert!(
        seen["note"]
            .as_str()
            .unwrap()
            .starts_with("failed earlier, succeeded since"),
        "{seen:#}"
    );
    assert!(
        seen["legend"]
            .as_str()
            .unwrap()
            .contains("a run failed or timed out")
    );
    // A next step for every kind of problem.
    let next = seen["next"].as_array().unwrap();
    let kinds: std::collections::BTreeSet<&str> =
        next.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 11, "one problem per kind: {next:#?}");
    let shown: Vec<&str> = next.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    assert_eq!(shown, PROBLEM_ORDER, "the missed run at the top");
    assert_eq!(seen["firstProblemColor"], "rgb(207, 34, 46)");
    for n in next {
        let kind = n["kind"].as_str().unwrap();
        if kind != "config" {
            assert!(
                n["alert"].as_str().is_some_and(|a| a.starts_with("Cloud")),
                "{n:#}"
            );
        }
        assert!(
            n["log"].as_str().is_some_and(|l| l.starts_with("grep '")),
            "{n:#}"
        );
        let doc = n["doc"].as_str().unwrap();
        let anchor = doc.strip_prefix("/docs/alerts#").expect("a runbook link");
        assert!(runbook.contains(&format!("id=\"{anchor}\"")), "{doc}");
    }
    let failed = next.iter().find(|n| n["kind"] == "failed").unwrap();
    assert_eq!(failed["alert"], "CloudTaskFailed");
    for (kind, alert, anchor) in [
        (
            "missed_run",
            "CloudBackupScheduledRunMissed",
            "cloudbackupscheduledrunmissed",
        ),
        (
            "not_scheduled",
            "CloudBackupNotScheduled",
            "cloudbackupnotscheduled",
        ),
    ] {
        let n = next.iter().find(|n| n["kind"] == kind).unwrap();
        assert_eq!(n["alert"], alert, "{n:#}");
        assert_eq!(n["doc"], format!("/docs/alerts#{anchor}"), "{n:#}");
        assert!(n["log"].as_str().unwrap().starts_with("grep '"), "{n:#}");
    }
    assert!(failed["log"].as_str().unwrap().contains("task_id=a-fail"));
    // Phone width: a viewport, and nothing wider than the screen.
    assert_eq!(phone["inner"], 390, "{phone:#}");
    assert!(
        phone["scroll"].as_u64() <= phone["inner"].as_u64(),
        "horizontal overflow at 390px: {phone:#}"
    );
    assert!(
        phone["viewport"]
            .as_str()
            .is_some_and(|v| v.contains("width=device-width"))
    );
}

/// `2026-12-07 03:12 UTC (9m 24s ago)` somewhere in `s`.
fn has_utc_ago(s: &str) -> bool {
    s.match_indices(" UTC (").any(|(i, _)| {
        utc_before(s, i)
            && s[i + 6..]
                .split(')')
                .next()
                .is_some_and(|r| r.ends_with(" ago"))
    })
}

/// An absolute UTC time followed by `then` (` (in 2`: a time to come).
fn has_utc(s: &str, then: &str) -> bool {
    s.match_indices(" UTC")
        .any(|(i, _)| utc_before(s, i) && s[i + 4..].starts_with(then))
}

/// `2026-12-07 03:12` ends at `i` in `s`.
fn utc_before(s: &str, i: usize) -> bool {
    let date = s.get(i.saturating_sub(16)..i).unwrap_or("");
    let b = date.as_bytes();
    b.len() == 16
        && [b[4], b[7], b[10], b[13]] == [b'-', b'-', b' ', b':']
        && date.chars().filter(char::is_ascii_digit).count() == 12
}
