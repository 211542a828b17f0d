//! Helpers shared by the integration tests: targets, providers and runners against the
//! simulator, accounting scenarios, metric matchers, promtool, golden files, servers.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cloud_task_exporter::accounting::{Account, HistogramData, PollResult, Rules};
use cloud_task_exporter::config::{self, Settings, Target};
use cloud_task_exporter::hub::{Hub, PollStatus, TargetSnapshot};
use cloud_task_exporter::metrics::{POLL_BUCKETS, exposition};
use cloud_task_exporter::model::{Listing, Mapped, Task, TaskState};
use cloud_task_exporter::provider::http::{RequestCounts, client};
use cloud_task_exporter::provider::{AnyProvider, PollContext, ProviderKind};
use cloud_task_exporter::scheduler::TargetRunner;
use jiff::{SignedDuration, Timestamp};

/// The default `duration_buckets`.
pub(crate) const BUCKETS: [f64; 11] = [
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
];

// === Targets, providers and runners against the simulator ===

/// A target named `name` with the provider keys `keys` (YAML, one key per line; see
/// [`yandex`] and [`huawei`]), its `endpoint` at the simulator's `url` (none when empty), and
/// `settings` in place of the defaults. The keys go through the config loader, as a user's
/// would.
pub(crate) fn target(name: &str, url: &str, keys: &str, settings: Settings) -> Target {
    let mut yaml = format!("targets:\n  - name: {name}\n");
    if !url.is_empty() {
        yaml.push_str(&format!("    endpoint: '{url}'\n"));
    }
    for line in keys.lines() {
        yaml.push_str(&format!("    {line}\n"));
    }
    let config = config::load_str_with_env(&yaml, Path::new("test.yaml"), &|_| None)
        .unwrap_or_else(|e| panic!("{yaml}{e}"));
    let mut t = config.targets.into_iter().next().expect("one target");
    t.settings = Settings {
        expect: t.settings.expect,
        ..settings
    };
    t
}

/// The keys of a Yandex Cloud Backup target: `auth` (the inside of `auth: { }`, e.g.
/// `iam_token: t1.x`) with its IAM endpoint at `url` (the default host when empty), and
/// `units` (`compute_instance_ids: [...]` or `discover: {...}`).
pub(crate) fn yandex(auth: &str, url: &str, units: &str) -> String {
    let iam = if url.is_empty() {
        String::new()
    } else {
        format!(", iam_endpoint: '{url}'")
    };
    format!("provider: yandex_backup\nauth: {{ {auth}{iam} }}\n{units}")
}

/// `auth` keys with the simulator's service-account key ([`test_authorized_key_json`]) inline.
///
/// [`test_authorized_key_json`]: cloud_task_exporter::sim::yandex::test_authorized_key_json
pub(crate) fn yandex_sa_key() -> String {
    let json = cloud_task_exporter::sim::yandex::test_authorized_key_json();
    format!("service_account_key: '{}'", json.replace('\'', "''"))
}

/// The keys of a Huawei target of `provider` in project `project` (region
/// `ap-southeast-1`) with `auth` (a YAML mapping, see [`aksk`] and [`iam`]) and `rest`
/// (the provider's own keys, one per line).
pub(crate) fn huawei(provider: &str, project: &str, auth: &str, rest: &str) -> String {
    format!(
        "provider: {provider}\nregion: ap-southeast-1\nproject_id: '{project}'\nauth: {auth}\n{rest}"
    )
}

/// Huawei AK/SK `auth`.
pub(crate) fn aksk(ak: &str, sk: &str) -> String {
    format!("{{ access_key: '{ak}', secret_key: '{sk}' }}")
}

/// Huawei IAM user `auth`, the IAM endpoint at `url`.
pub(crate) fn iam(url: &str, domain: &str, user: &str, password: &str) -> String {
    format!(
        "{{ iam: {{ endpoint: '{url}', domain: '{domain}', user: '{user}', password: '{password}' }} }}"
    )
}

/// `key: [a, b]`: an id list.
pub(crate) fn ids(key: &str, ids: &[&str]) -> String {
    format!("{key}: [{}]", ids.join(", "))
}

/// Settings for tests against the simulator: pages of `page_size`, no retries, no rate
/// limit, a 10 s timeout.
pub(crate) fn settings(page_size: u32) -> Settings {
    Settings {
        page_size,
        retries: 0,
        retry_backoff: Duration::from_millis(10),
        requests_per_second: 0.0,
        timeout: Duration::from_secs(10),
        ..Settings::default()
    }
}

/// The provider of `t`, with request counts of its own.
pub(crate) fn provider(t: &Target) -> AnyProvider {
    AnyProvider::build(
        &t.spec,
        &t.settings,
        t.endpoint.as_ref(),
        client(),
        Arc::new(RequestCounts::default()),
    )
}

/// A poll loop's runner for `t` (not started), duration buckets `buckets`, no sharding.
pub(crate) fn runner(t: &Target, buckets: &[f64]) -> TargetRunner {
    let counts = Arc::new(RequestCounts::default());
    let p = AnyProvider::build(
        &t.spec,
        &t.settings,
        t.endpoint.as_ref(),
        client(),
        Arc::clone(&counts),
    );
    TargetRunner::new(t.clone(), p, counts, buckets.to_vec(), Default::default())
}

/// The exposition of one target's snapshot.
pub(crate) fn exposition_of(snapshot: TargetSnapshot, buckets: &[f64]) -> String {
    let hub = Hub::new();
    hub.set_targets(std::slice::from_ref(&snapshot.name));
    hub.publish(snapshot);
    String::from_utf8(exposition(&hub, buckets).to_vec()).expect("UTF-8")
}

/// A full pass over the last week in pages of `page_size`.
pub(crate) fn full_pass(page_size: u32) -> PollContext {
    let now = Timestamp::now();
    PollContext {
        now,
        since: now - SignedDuration::from_hours(7 * 24),
        page_size,
        max_pages: 100,
        window: None,
        recall: None,
    }
}

// === Accounting scenarios ===

/// Parses an RFC3339 timestamp.
pub(crate) fn ts(s: &str) -> jiff::Timestamp {
    s.parse().expect("timestamp")
}

/// A task on `resource` with `state`, started at 10:00 and finished `secs` later if terminal.
pub(crate) fn task(id: &str, resource: &str, state: TaskState, secs: Option<i64>) -> Task {
    let mapped = if state == TaskState::Unknown {
        Mapped::terminal_unknown()
    } else {
        Mapped::known(state)
    };
    let mut t = Task::new(
        id,
        resource,
        "backup",
        state.as_label().to_uppercase(),
        mapped,
    );
    t.created = Some(ts("2024-05-01T09:59:00Z"));
    t.started = Some(ts("2024-05-01T10:00:00Z"));
    t.finished = secs.map(|s| {
        ts("2024-05-01T10:00:00Z")
            .checked_add(jiff::SignedDuration::from_secs(s))
            .expect("add")
    });
    t
}

/// Applies a poll of one unit to an account at a fixed time.
pub(crate) fn apply(a: &mut Account, unit: &str, tasks: &[Task], now: &str) {
    apply_report(a, unit, tasks, now);
}

/// [`apply`] at a given time, returning what the poll reported.
pub(crate) fn apply_report(
    a: &mut Account,
    unit: &str,
    tasks: &[Task],
    now: &str,
) -> cloud_task_exporter::accounting::ApplyReport {
    apply_at(a, unit, tasks, ts(now))
}

/// Applies a poll of one unit (lookback 7 days, the default buckets) at `now`.
pub(crate) fn apply_at(
    a: &mut Account,
    unit: &str,
    tasks: &[Task],
    now: jiff::Timestamp,
) -> cloud_task_exporter::accounting::ApplyReport {
    let poll = PollResult {
        listed: vec![(unit.to_string(), Listing::of(tasks.to_vec()))],
        failed: vec![],
    };
    a.apply(
        &poll,
        now,
        &Rules {
            lookback: Duration::from_secs(7 * 86400),
            buckets: &BUCKETS,
            max_task_types: 32,
        },
    )
}

/// A snapshot with fixed poll status around an account.
pub(crate) fn snapshot(
    name: &str,
    provider: ProviderKind,
    account: Account,
    up: bool,
) -> TargetSnapshot {
    let mut durations = HistogramData::new(&POLL_BUCKETS);
    durations.observe(&POLL_BUCKETS, 0.2);
    let mut errors = BTreeMap::new();
    if !up {
        errors.insert(cloud_task_exporter::provider::Reason::Server, 1);
    }
    let tracked = account.seen.len();
    TargetSnapshot {
        name: name.to_string(),
        provider,
        labels: BTreeMap::from([("env".to_string(), "test".to_string())]),
        tracked,
        status: PollStatus {
            polled: true,
            up,
            last_attempt: Some(1_714_560_000.0),
            last_success: Some(1_714_560_000.0),
            last_error: None,
            errors,
            durations,
            resources: account.tallies.resources.len(),
            units: BTreeMap::new(),
        },
        tallies: account.tallies,
        requests: BTreeMap::from([("200".to_string(), 3), ("500".to_string(), 1)]),
        expect: Default::default(),
        schedules: Default::default(),
        schedule_skips: None,
    }
}

/// The value of the sample with exactly these labels (in any order), if present.
pub(crate) fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    for line in text.lines() {
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ')?;
        let (n, rest) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        if n != name {
            continue;
        }
        let got: Vec<(String, String)> = split_labels(rest);
        if got.len() == labels.len()
            && labels
                .iter()
                .all(|(k, v)| got.iter().any(|(gk, gv)| gk == k && gv == v))
        {
            return value.parse().ok();
        }
    }
    None
}

fn split_labels(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some((k, after)) = rest.split_once("=\"") {
        let mut val = String::new();
        let mut chars = after.char_indices();
        let mut end = after.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, n)) = chars.next() {
                        val.push(n);
                    }
                }
                '"' => {
                    end = i + 1;
                    break;
                }
                c => val.push(c),
            }
        }
        out.push((k.trim_start_matches(',').to_string(), val));
        rest = &after[end..];
    }
    out
}

/// Runs `promtool check metrics` on `text` if promtool is installed; returns its complaint.
/// In CI (`CI` set) a missing promtool is a failure.
pub(crate) fn promtool_check(text: &str) -> Result<(), String> {
    use std::io::Write;
    let child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    // A test that lints is compiled as ignored where promtool is missing (build.rs), so
    // reaching here without it is a failure, never a silent pass.
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Err(format!("promtool not available: {e}")),
    };
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "promtool exit {:?}:\n{}{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Drops families whose values change between runs (times, process metrics), and keeps the
/// build info with its label values (version, git revision, build date) replaced by their names.
pub(crate) fn stable(text: &str) -> String {
    const VOLATILE: [&str; 4] = [
        "process_",
        "cloud_task_target_poll_duration_seconds",
        "_timestamp_seconds",
        "cloud_task_active_start",
    ];
    const BUILD_INFO: &str = "cloud_task_exporter_build_info{";
    text.lines()
        .filter(|l| {
            let name = l
                .trim_start_matches("# HELP ")
                .trim_start_matches("# TYPE ");
            let name = name.split(['{', ' ']).next().unwrap_or("");
            !VOLATILE.iter().any(|v| name.contains(v))
        })
        .map(|l| match l.strip_prefix(BUILD_INFO) {
            Some(rest) => {
                let (labels, value) = rest.split_once('}').unwrap_or((rest, ""));
                let names: Vec<String> = labels
                    .split(',')
                    .filter_map(|kv| kv.split_once('=').map(|(k, _)| format!("{k}=\"<{k}>\"")))
                    .collect();
                format!("{BUILD_INFO}{}}}{value}\n", names.join(","))
            }
            None => format!("{l}\n"),
        })
        .collect()
}

/// Compares `actual` with `tests/golden/<name>.prom`; `UPDATE_GOLDEN=1` rewrites the file.
pub(crate) fn assert_golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.prom"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).expect("write golden");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if expected != actual {
        let rule = "=".repeat(72);
        panic!(
            "{} differs from the output (UPDATE_GOLDEN=1 rewrites it)\n{rule}\nexpected:\n{expected}{rule}\nactual:\n{actual}{rule}",
            path.display()
        );
    }
}

/// The exporter's HTTP server on `127.0.0.1:0` over an empty hub.
pub(crate) struct TestServer {
    /// The bound address.
    pub(crate) addr: std::net::SocketAddr,
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// With `web` (TLS, basic auth) and the default connection limits.
    pub(crate) async fn start(web: cloud_task_exporter::web::Web) -> TestServer {
        TestServer::start_with(web, cloud_task_exporter::server::Limits::default(), None).await
    }

    /// With `web`, these limits and, for `POST /-/reload`, where reload requests go.
    pub(crate) async fn start_with(
        web: cloud_task_exporter::web::Web,
        limits: cloud_task_exporter::server::Limits,
        reload: Option<tokio::sync::mpsc::Sender<cloud_task_exporter::server::ReloadRequest>>,
    ) -> TestServer {
        use cloud_task_exporter::server::{AppState, serve_with_limits};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let st = AppState {
            hub: cloud_task_exporter::hub::Hub::new(),
            telemetry_path: "/metrics".to_string(),
            buckets: std::sync::Arc::new(std::sync::RwLock::new(BUCKETS.to_vec())),
            reload,
        };
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(serve_with_limits(listener, st, web, limits, stop.clone()));
        TestServer { addr, stop, task }
    }

    /// `scheme://addr/path`.
    pub(crate) fn url(&self, scheme: &str, path: &str) -> String {
        format!("{scheme}://{}{path}", self.addr)
    }

    /// A raw TCP connection to the server.
    pub(crate) async fn connect(&self) -> tokio::net::TcpStream {
        tokio::net::TcpStream::connect(self.addr).await.unwrap()
    }

    /// Stops the server and waits for it.
    pub(crate) async fn shutdown(self) {
        self.stop.cancel();
        self.task.await.unwrap();
    }
}

/// A real Prometheus server (Debian's `prometheus`) scraping one exporter every second as job
/// `cloud-task-exporter`, optionally evaluating a rules file every second; killed on drop.
pub(crate) struct Prometheus {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts it; a missing `prometheus` is a failure (a test that needs it is compiled as
    /// ignored where it is missing: see build.rs).
    pub(crate) fn start(
        exporter: std::net::SocketAddr,
        rules: Option<&std::path::Path>,
    ) -> Prometheus {
        match std::process::Command::new("prometheus")
            .arg("--version")
            .output()
        {
            Ok(out) if out.status.success() => {}
            // The test is compiled as ignored where prometheus is missing (build.rs).
            r => panic!("prometheus not available: {r:?}"),
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("prometheus.yml");
        let rule_files = rules
            .map(|r| format!("rule_files: ['{}']\n", r.display()))
            .unwrap_or_default();
        std::fs::write(
            &cfg,
            format!(
                "global: {{ scrape_interval: 1s, evaluation_interval: 1s }}\n{rule_files}scrape_configs:\n  - job_name: cloud-task-exporter\n    static_configs:\n      - targets: ['{exporter}']\n"
            ),
        )
        .expect("write prometheus.yml");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log = dir.path().join("prometheus.log");
        let out = std::fs::File::create(&log).expect("log file");
        let child = std::process::Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(out.try_clone().expect("log file"))
            .stderr(out)
            .spawn()
            .expect("start prometheus");
        Prometheus {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    /// What it logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The latest 02:00 UTC at or before `t` and the first after it, as Unix seconds: the runs
/// of the daily policies the schedule tests seed.
pub(crate) fn two_am_around(t: Timestamp) -> (f64, f64) {
    let day = t.as_second().div_euclid(86_400) * 86_400;
    let today = day + 2 * 3600;
    let last = if today <= t.as_second() {
        today
    } else {
        today - 86_400
    };
    (last as f64, (last + 86_400) as f64)
}
