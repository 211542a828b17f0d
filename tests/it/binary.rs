//! The real binary, as a user runs it: `--demo` serves metrics of every provider, passes
//! promtool, logs no secret, and exits 0 on SIGTERM within 5 seconds.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cloud_task_exporter::provider::ProviderKind;
use tokio::time::Instant;

use crate::support::{promtool_check, sample};

/// A running exporter process whose stderr (the log) is collected.
pub(crate) struct Exporter {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    log: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// The address of the "Listening." line, in logfmt or JSON.
fn listening_address(line: &str) -> Option<SocketAddr> {
    if line.contains("msg=Listening.") {
        return line
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix("address="))
            .and_then(|a| a.parse().ok());
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    if v["message"] == "Listening." || v["msg"] == "Listening." {
        return v["address"].as_str()?.parse().ok();
    }
    None
}

/// An exporter process that has been spawned but has not said "Listening." yet.
pub(crate) struct Starting {
    child: Child,
    log: Arc<Mutex<String>>,
    reader: std::thread::JoinHandle<()>,
    listening: std::sync::mpsc::Receiver<SocketAddr>,
}

impl Starting {
    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics (after killing the process) unless it still runs.
    pub(crate) fn assert_running(&mut self) {
        if let Some(st) = self.child.try_wait().expect("wait") {
            panic!(
                "the exporter exited ({st}); log:\n{}",
                self.log.lock().unwrap()
            );
        }
    }

    /// Waits (at most `within`) for the "Listening." line that gives the port.
    pub(crate) fn listening(mut self, within: Duration) -> Exporter {
        let Ok(addr) = self.listening.recv_timeout(within) else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            panic!("no 'Listening.' line; log:\n{}", self.log.lock().unwrap())
        };
        Exporter {
            child: self.child,
            addr,
            log: self.log,
            reader: Some(self.reader),
        }
    }
}

impl Exporter {
    /// The binary with `args` plus `--web.listen-address=127.0.0.1:0`.
    pub(crate) fn command(args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloud-task-exporter"));
        cmd.args(args).arg("--web.listen-address=127.0.0.1:0");
        cmd
    }

    /// Spawns `cmd` (from [`Exporter::command`]) with its log collected; does not wait.
    pub(crate) fn spawn(mut cmd: Command) -> Starting {
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the exporter");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(addr) = listening_address(&line) {
                        let _ = tx.send(addr);
                    }
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            })
        };
        Starting {
            child,
            log,
            reader,
            listening: rx,
        }
    }

    /// Starts the binary with `args` plus `--web.listen-address=127.0.0.1:0`, and waits for
    /// the "Listening." line that gives the port.
    pub(crate) fn start(args: &[&str]) -> Exporter {
        Exporter::spawn(Exporter::command(args)).listening(Duration::from_secs(60))
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything logged so far.
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// `GET path`: status and body.
    pub(crate) async fn get(&self, path: &str) -> (u16, String) {
        let r = reqwest::get(format!("http://{}{path}", self.addr))
            .await
            .expect("GET");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Polls `cond` on `/metrics` until it holds or `within` passes.
    pub(crate) async fn wait_metrics(
        &self,
        within: Duration,
        cond: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + within;
        loop {
            let (_, text) = self.get("/metrics").await;
            if cond(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "condition not met within {within:?}; metrics:\n{text}\nlog:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Starts the binary on `config` with extra `args` (e.g. `--log.level=debug`).
    pub(crate) fn with_config(config: &std::path::Path, args: &[&str]) -> Exporter {
        let flag = format!("--config.file={}", config.display());
        let mut all = vec![flag.as_str()];
        all.extend_from_slice(args);
        Exporter::start(&all)
    }

    /// Sends a signal by name (`TERM`, `INT`, `HUP`, ...).
    pub(crate) fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -{name}");
    }

    /// `POST path` with an empty body: status and body.
    pub(crate) async fn post(&self, path: &str) -> (u16, String) {
        let r = cloud_task_exporter::provider::http::client()
            .post(format!("http://{}{path}", self.addr))
            .send()
            .await
            .expect("POST");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// Polls `cond` on the log until it holds or `within` passes; returns the log.
    pub(crate) async fn wait_log(&self, within: Duration, cond: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let log = self.log();
            if cond(&log) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "log condition not met within {within:?}; log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit code and how long it took.
    pub(crate) fn terminate(self) -> (Option<i32>, Duration, String) {
        self.stop_with("TERM")
    }

    /// Sends `signal` and waits (at most 10 s) for the exit; returns the exit code, how long
    /// it took and the whole log.
    pub(crate) fn stop_with(mut self, signal: &str) -> (Option<i32>, Duration, String) {
        let t0 = Instant::now();
        self.signal(signal);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = self.child.try_wait().expect("wait") {
                // The log pipe closes with the process: read it to the end.
                if let Some(r) = self.reader.take() {
                    let _ = r.join();
                }
                return (st.code(), t0.elapsed(), self.log());
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("no exit within 10 s of SIG{signal}; log:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every registered provider's id: the demo has a target of each.
fn providers() -> Vec<&'static str> {
    ProviderKind::ALL.iter().map(|k| k.as_str()).collect()
}

fn all_up_with_success(text: &str) -> bool {
    providers().iter().all(|p| {
        text.lines().any(|l| {
            l.starts_with("cloud_task_target_up{")
                && l.contains(&format!("provider=\"{p}\""))
                && l.ends_with(" 1")
        }) && text.lines().any(|l| {
            l.starts_with("cloud_task_last_success_timestamp_seconds{")
                && l.contains(&format!("provider=\"{p}\""))
                && !l.ends_with(" 0")
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    missing_promtool,
    ignore = "needs promtool (apt-get install prometheus); CI installs it and runs this"
)]
async fn demo_serves_every_provider_then_exits_cleanly_on_sigterm() {
    let exp = Exporter::start(&["--demo", "--log.level=debug"]);
    let t0 = Instant::now();

    let text = exp
        .wait_metrics(Duration::from_secs(60), all_up_with_success)
        .await;
    let (ready, _) = exp.get("/-/ready").await;
    assert_eq!(ready, 200);
    eprintln!(
        "every provider up with a last success after {:?}",
        t0.elapsed()
    );
    promtool_check(&text).unwrap();
    // The demo's story shows at once: runs that ended after the start are counted, one a
    // failure, and one runs on.
    let counted = |text: &str, result: &str| {
        text.lines().any(|l| {
            l.starts_with("cloud_task_completions_total{")
                && l.contains(&format!("result=\"{result}\""))
                && !l.ends_with(" 0")
        })
    };
    let text = exp
        .wait_metrics(Duration::from_secs(60), |t| {
            counted(t, "succeeded") && counted(t, "failed")
        })
        .await;
    eprintln!("a counted success and failure after {:?}", t0.elapsed());
    assert!(
        text.lines()
            .any(|l| l.starts_with("cloud_task_active_tasks{") && l.contains("state=\"running\""))
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_exporter_config_last_reload_successful",
            &[]
        ),
        Some(1.0)
    );
    for path in ["/", "/api/v1/targets", "/-/healthy"] {
        let (status, body) = exp.get(path).await;
        assert_eq!(status, 200, "{path}");
        for p in providers() {
            if path != "/-/healthy" {
                assert!(body.contains(p), "{path} lists {p}");
            }
        }
    }

    let (code, took, log) = exp.terminate();
    assert_eq!(code, Some(0), "exit code; log:\n{log}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    // The demo's own credentials never reach the log, even at debug level.
    for secret in [
        "demo-secret-key-not-a-real-one",
        "demo-password-not-a-real-one",
        "BEGIN PRIVATE KEY",
        "PLEASE DO NOT REMOVE",
    ] {
        assert!(!log.contains(secret), "log leaks {secret:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_per_line_without_secrets() {
    let exp = Exporter::start(&["--demo", "--log.level=debug", "--log.format=json"]);
    exp.wait_metrics(Duration::from_secs(60), all_up_with_success)
        .await;
    let (code, _, log) = exp.terminate();
    assert_eq!(code, Some(0));
    let mut lines = 0;
    for line in log.lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
        lines += 1;
    }
    assert!(lines > 5, "{log}");
    for secret in [
        "demo-secret-key-not-a-real-one",
        "demo-password-not-a-real-one",
        "BEGIN PRIVATE KEY",
        "PLEASE DO NOT REMOVE",
    ] {
        assert!(!log.contains(secret), "log leaks {secret:?}");
    }
}
