//! The status page in a real headless browser (Debian's `chromium`, driven by its
//! `chromedriver` over the W3C WebDriver protocol): from a known state, the rendered page shows
//! the failed resource in red, by computed colour, with the API's message as text.
//!
//! Outside CI a missing browser skips the test with a loud message; with `CI=true` it fails.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::server::{AppState, serve};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::status::{FAILURE_MESSAGE, known_state};
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

/// Starts chromedriver on a free port (it prints the one it got), or `None` to skip.
fn driver() -> Option<Driver> {
    if !installed("chromium") || !installed("chromedriver") {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true");
        assert!(
            !ci,
            "chromium and chromedriver must be installed in CI (.ci/run installs them)"
        );
        eprintln!(
            "\n!!! SKIPPED browser test: chromium or chromedriver is not installed (apt-get install chromium chromium-driver) !!!\n"
        );
        return None;
    }
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
    Some(Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    })
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
async fn status_page_shows_the_failed_resource_in_red_in_chromium() {
    let Some(driver) = driver() else {
        return;
    };
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
            const problem = document.querySelector('#problems .problem');
            return {
                color: getComputedStyle(cell).color,
                text: cell.innerText,
                okColor: getComputedStyle(ok).color,
                problem: problem.innerText,
                problemColor: getComputedStyle(problem).color,
                bold: cell.querySelectorAll('b').length,
            };
        "#}),
    )
    .await;
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
}
