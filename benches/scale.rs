//! Scale bench: the real exporter binary, as a child process, against the in-repo simulator
//! served by this process on `127.0.0.1:0`, with a generated config file. It reads the child's
//! CPU (`utime + stime` of `/proc/PID/stat`) and memory (`VmRSS`, `VmHWM` of
//! `/proc/PID/status`) and scrapes its `/metrics`. Every scenario runs several times on fresh
//! processes and the table shows the median, next to references measured in the same run.
//!
//! ```sh
//! cargo bench --bench scale                  # every scenario, 3 runs each (a few minutes)
//! cargo bench --bench scale -- a --runs 1    # one scenario (a, bc or r), one run
//! cargo bench --bench scale -- --serve a --instances 100   # a world to profile by hand
//! ```
//!
//! Scenarios (the scale marks, BENCHMARKS.md):
//! - **A**: 1,000 Yandex instances × 25 tasks, `interval: 10s`, 1,000 requests/s. After
//!   readiness, N polls with no scrape: whole-process CPU per task polled, against
//!   `serde_json` parsing exactly the bytes the simulator served for one poll; then RSS,
//!   exposition size, one rebuild, 16 concurrent scrapers (plain and gzip) against a static
//!   server of the same bytes, readiness.
//! - **BC**: 10,000 instances × 25 tasks (250,000 tracked tasks) at a 5-minute interval within
//!   50 requests/s, with time scaled down 10×: `interval: 30s` and 500 requests/s (the ratio
//!   cycle/interval is what counts). B: RSS per tracked task. C: the cycle, the exposition,
//!   16 concurrent scrapers, RSS and CPU.
//! - **R**: 200 instances × 250 tasks inside `lookback` (three pages of 100 each): requests
//!   per polled list per poll, first and steady state (once; the count is not noisy).
//!
//! Poll boundaries are found without touching the exporter (a scrape would add a rebuild to
//! the measured CPU): a poll has ended when the simulator's request count and the exporter's
//! CPU time have both been still for 300 ms. The exporter's own poll count is checked against
//! the bench's afterwards; any mismatch, poll error, missing task or warn/error log line
//! prints a `WARNING` line.
//!
//! The simulator runs in this process on the same cores; its CPU (this process's
//! `/proc/self/stat`) is shown next to the exporter's.

#![allow(
    clippy::disallowed_types,
    clippy::unwrap_used,
    reason = "a bench binary: wall-clock std::time::Instant, and a failed setup should stop it"
)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Sim, SimRequest, lock};
use http_body_util::Full;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

const EXPORTER: &str = env!("CARGO_BIN_EXE_cloud-task-exporter");

/// The binary to run: `SCALE_EXPORTER` when set (another build, to compare two in
/// alternation with the same bench), else the one this bench was built with.
fn exporter() -> String {
    std::env::var("SCALE_EXPORTER").unwrap_or_else(|_| EXPORTER.to_string())
}
const TOKEN: &str = "t1.scale-bench-static-iam-token-0123456789abcdef";
const SERVICE: &str = "yandex_backup";
/// The simulator's name for the policy calls (`ListPolicies`, `ListApplications`).
const POLICIES: &str = "yandex_backup_policies";
const TARGET: &str = "scale";
const TASKS_PER_INSTANCE: usize = 25;
const PAGE_SIZE: usize = 100;
const SCRAPERS: usize = 16;

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// One scenario's world and exporter settings.
#[derive(Debug, Clone, Copy)]
struct Scenario {
    key: &'static str,
    instances: usize,
    /// Tasks per instance, all inside `lookback`.
    tasks: usize,
    interval_s: u64,
    timeout_s: u64,
    rps: u32,
    /// Scrapes per scraper, plain and gzip.
    scrapes: (usize, usize),
    /// Which instances have a backup running now.
    running: Running,
    /// Behind the slow front (`--slow`): each response held a seeded random 5–20 ms.
    slow: bool,
}

/// Which instances of the world have a backup running now (its newest task).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Running {
    /// None: every task finished.
    None,
    /// Every tenth instance.
    Tenth,
    /// Every instance.
    All,
}

/// The slow front's delay per response: 5–20 ms, drawn from a seeded sequence.
const SLOW_MIN_US: u64 = 5_000;
const SLOW_MAX_US: u64 = 20_000;
const SLOW_SEED: u64 = 0x5eed_2026_1207;
/// `concurrency` behind the slow front: 1,000 requests/s × 20 ms = 20 in flight at most, so
/// the rate limit, not the concurrency, bounds a poll (the default 4 would allow 4 / 12.5 ms
/// = 320 requests/s).
const SLOW_CONCURRENCY: u32 = 32;

const A: Scenario = Scenario {
    key: "A",
    instances: 1_000,
    tasks: TASKS_PER_INSTANCE,
    interval_s: 10,
    timeout_s: 5,
    rps: 1_000,
    scrapes: (8, 4),
    running: Running::Tenth,
    slow: false,
};

/// 10,000 resources at 5 min within 50 rps (200 s cycle, 0.67 of the interval), scaled 10×.
const BC: Scenario = Scenario {
    key: "BC",
    instances: 10_000,
    tasks: TASKS_PER_INSTANCE,
    interval_s: 30,
    timeout_s: 10,
    rps: 500,
    scrapes: (2, 2),
    running: Running::Tenth,
    slow: false,
};

/// BC's estate idle (no task running) and with a backup running on every instance, measured
/// in alternation: CPU per request and the cycle should not depend on the active tasks.
const BC_IDLE: Scenario = Scenario {
    key: "BC-idle",
    running: Running::None,
    scrapes: (0, 0),
    ..BC
};
const BC_RUNNING: Scenario = Scenario {
    key: "BC-running",
    running: Running::All,
    scrapes: (0, 0),
    ..BC
};

/// Long histories: 250 tasks per instance inside `lookback`, three pages of 100, for
/// `cloud_task_api_requests_total` per polled list (item 2 should bring it near 1).
const R: Scenario = Scenario {
    key: "R",
    instances: 200,
    tasks: 250,
    interval_s: 10,
    timeout_s: 5,
    rps: 1_000,
    scrapes: (0, 0),
    running: Running::Tenth,
    slow: false,
};

/// Polls measured in R (one run: the request count does not depend on the machine).
const R_POLLS: usize = 3;

/// The real-world settings BC stands for.
const BC_REAL_RPS: u32 = 50;
const BC_REAL_INTERVAL_S: u64 = 300;

#[derive(Debug)]
struct Options {
    scenarios: Vec<Scenario>,
    runs: usize,
    polls: usize,
    instances: Option<usize>,
    serve: bool,
    /// `--slow`: every scenario behind the slow front; `--both`: each scenario twice, fast
    /// and slow, in alternation.
    slow: bool,
    both: bool,
}

fn options() -> Options {
    let mut o = Options {
        scenarios: Vec::new(),
        runs: 3,
        polls: 5,
        instances: None,
        serve: false,
        slow: false,
        both: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut num = |name: &str| -> usize {
            args.next()
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| usage(&format!("{name} needs a number")))
        };
        match a.as_str() {
            "--bench" => {} // cargo bench passes it
            "--runs" => o.runs = num("--runs").max(1),
            "--polls" => o.polls = num("--polls").max(1),
            "--instances" => o.instances = Some(num("--instances").max(1)),
            "--serve" => o.serve = true,
            "--slow" => o.slow = true,
            "--both" => o.both = true,
            "a" | "A" => o.scenarios.push(A),
            "bc-running" | "bcr" | "BCR" => o.scenarios.extend([BC_IDLE, BC_RUNNING]),
            // One of the two, for `--serve`.
            "bc-idle" => o.scenarios.push(BC_IDLE),
            "bc-all-running" => o.scenarios.push(BC_RUNNING),
            "b" | "c" | "bc" | "B" | "C" | "BC" => o.scenarios.push(BC),
            "r" | "R" => o.scenarios.push(R),
            other => usage(&format!("unknown argument {other:?}")),
        }
    }
    if o.scenarios.is_empty() {
        o.scenarios = vec![A, BC, R];
    }
    o.scenarios.dedup_by_key(|s| s.key);
    if let Some(n) = o.instances {
        for s in &mut o.scenarios {
            s.instances = n;
        }
    }
    if o.slow || o.both {
        let slow: Vec<Scenario> = o
            .scenarios
            .iter()
            .map(|s| Scenario {
                key: slow_key(s.key),
                slow: true,
                ..*s
            })
            .collect();
        o.scenarios = if o.both {
            o.scenarios.into_iter().chain(slow).collect()
        } else {
            slow
        };
    }
    o
}

/// The key of a scenario behind the slow front.
fn slow_key(key: &str) -> &'static str {
    match key {
        "A" => "A-slow",
        "BC" => "BC-slow",
        "BC-idle" => "BC-idle-slow",
        "BC-running" => "BC-running-slow",
        _ => "R-slow",
    }
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "scale bench: {problem}\nusage: cargo bench --bench scale -- [a] [bc] [bc-running] [bc-idle] [bc-all-running] [r] [--slow | --both] [--runs N] [--polls N] [--instances N] [--serve]"
    );
    std::process::exit(2)
}

fn main() {
    if cfg!(debug_assertions) {
        // `cargo test --benches` / `cargo clippy` build this without optimizations; the
        // figures would be meaningless, and the run too slow for a test suite.
        println!("scale bench: not an optimized build; run it with `cargo bench --bench scale`.");
        return;
    }
    let opts = options();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if opts.serve {
        serve(&rt, opts.scenarios[0]);
    }
    let machine = machine();
    println!("# scale bench, {machine}");
    println!("# exporter: {}", exporter());
    println!(
        "# {} run(s) per scenario, {} polls measured in A; figures are medians over runs\n",
        opts.runs, opts.polls
    );
    let baseline = rt.block_on(idle_exporter());
    println!(
        "reference: an exporter polling one instance without tasks: VmRSS {:.1} MiB\n",
        baseline.rss_kib / 1024.0
    );

    let mut table = Table {
        baseline_rss_kib: baseline.rss_kib,
        ..Table::default()
    };
    // Scenarios alternate run by run, so that the machine's load moves them alike.
    for run in 1..=opts.runs {
        for s in &opts.scenarios {
            let runs = if s.key.starts_with('R') { 1 } else { opts.runs };
            if run > runs {
                continue;
            }
            println!(
                "--- scenario {} ({} instances × {} tasks{}), run {run}/{runs}",
                s.key,
                s.instances,
                s.tasks,
                if s.slow { ", slow server" } else { "" }
            );
            let started = Instant::now();
            let figures = match s.key.split('-').next() {
                Some("A") => rt.block_on(scenario_a(*s, opts.polls)),
                Some("BC") if s.key.starts_with("BC-idle") || s.key.starts_with("BC-running") => {
                    rt.block_on(scenario_bc_running(*s))
                }
                Some("BC") => rt.block_on(scenario_bc(*s)),
                _ => rt.block_on(scenario_r(*s)),
            };
            for (k, v) in &figures {
                println!("  {k:<34} {v:>14.3}");
            }
            println!("  (run took {:.0} s)", started.elapsed().as_secs_f64());
            table.add(s, figures);
        }
    }
    println!();
    table.print(&opts, &machine);
}

/// Figures of one run, by name (see [`Table::print`] for their meaning).
type Figures = BTreeMap<&'static str, f64>;

// ---------------------------------------------------------------------------------------------
// The simulated world
// ---------------------------------------------------------------------------------------------

fn instance_id(i: usize) -> String {
    format!("fhm{i:017}")
}

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// `tasks` tasks per instance over the last 6 days (inside the default 7-day
/// lookback), newest first, all backups (one task type: the case the exposition mark
/// is stated for): 3 in 50 failed, 1 in 50 with a warning, the rest OK, and on every tenth
/// instance a backup running now (`running`: none, every tenth, every instance).
async fn world(instances: usize, tasks: usize, running: Running) -> FakeCloud {
    let cloud = FakeCloud::start(Sim::new()).await.unwrap();
    let now = Timestamp::now();
    let span = 6 * 86_400 / tasks.max(1) as i64;
    let mut y = lock(&cloud.sim().yandex);
    y.register_iam_token(TOKEN);
    for i in 0..instances {
        let vm = instance_id(i);
        y.add_instance(&vm);
        // Oldest first: each upsert goes to the head of the list.
        for j in (0..tasks).rev() {
            let end = now - SignedDuration::from_secs(span * j as i64 + 60 + (i % 600) as i64);
            let start = end - SignedDuration::from_secs(300 + (i * 7 + j * 13) as i64 % 900);
            let enqueued = start - SignedDuration::from_millis(1_500);
            let id = (1_000_000_000_000_000_000u64 + (i * 1_000 + j) as u64).to_string();
            let runs = match running {
                Running::None => false,
                Running::Tenth => i % 10 == 0,
                Running::All => true,
            };
            let mut task = if j == 0 && runs {
                SimTask::new(id, "BACKUP", "STARTED")
                    .times(&rfc3339(enqueued), Some(&rfc3339(start)), None)
                    .progress(40, 100)
            } else {
                let (code, error) = match (i + j) % 50 {
                    0 | 20 | 40 => ("ERROR", Some("Backup failed: the agent did not respond")),
                    7 => ("WARNING", None),
                    _ => ("OK", None),
                };
                SimTask::new(id, "BACKUP", "COMPLETED")
                    .times(
                        &rfc3339(enqueued),
                        Some(&rfc3339(start)),
                        Some(&rfc3339(end)),
                    )
                    .result(code, error)
            };
            task.policy_id = Some("cdg0example0policy0001".to_string());
            y.upsert_task(&vm, task);
        }
    }
    drop(y);
    cloud
}

/// The bodies the simulator serves for one poll of every instance (the exporter's page size,
/// following `nextPageToken`), asked directly of its dispatcher: the exact bytes, no HTTP.
fn one_poll_bodies(sim: &Sim, instances: usize) -> Vec<Bytes> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Next {
        next_page_token: Option<String>,
    }
    let mut out = Vec::new();
    for i in 0..instances {
        let mut token: Option<String> = None;
        loop {
            let mut query = format!("pageSize={PAGE_SIZE}");
            if let Some(t) = &token {
                query.push_str(&format!("&pageToken={t}"));
            }
            let resp = sim.dispatch(&SimRequest {
                method: "GET".into(),
                path: format!("/backup/v1/resources/{}/tasks", instance_id(i)),
                query,
                headers: vec![("authorization".into(), format!("Bearer {TOKEN}"))],
                body: Bytes::new(),
            });
            assert_eq!(resp.status, 200, "{}", String::from_utf8_lossy(&resp.body));
            token = serde_json::from_slice::<Next>(&resp.body)
                .unwrap()
                .next_page_token;
            out.push(resp.body);
            if token.is_none() {
                break;
            }
        }
    }
    out
}

/// A typed `ListTasksResponse` with the fields the simulator sends: the parse an exporter
/// could not go below.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed, never read: the parse is what is timed")]
struct TypedPage {
    #[serde(default)]
    tasks: Vec<TypedTask>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(dead_code, reason = "parsed, never read: the parse is what is timed")]
struct TypedTask {
    id: String,
    #[serde(default)]
    cancellable: bool,
    policy_id: Option<String>,
    #[serde(rename = "type")]
    task_type: Option<String>,
    progress: Option<TypedProgress>,
    status: Option<String>,
    enqueued_at: Option<String>,
    started_at: Option<String>,
    updated_at: Option<String>,
    completed_at: Option<String>,
    compute_instance_id: Option<String>,
    result_code: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code, reason = "parsed, never read: the parse is what is timed")]
struct TypedProgress {
    current: String,
    total: String,
}

/// Seconds `parse` takes over every body: the fastest of 7 passes (after one warm-up).
fn parse_time(bodies: &[Bytes], parse: impl Fn(&[u8])) -> f64 {
    let mut best = f64::MAX;
    for pass in 0..8 {
        let t = Instant::now();
        for b in bodies {
            parse(b);
        }
        if pass > 0 {
            best = best.min(t.elapsed().as_secs_f64());
        }
    }
    best
}

// ---------------------------------------------------------------------------------------------
// The exporter process
// ---------------------------------------------------------------------------------------------

fn config(s: &Scenario, url: &str) -> String {
    let concurrency = if s.slow {
        format!(", concurrency: {SLOW_CONCURRENCY}")
    } else {
        String::new()
    };
    let mut c = format!(
        "defaults: {{ interval: {}s, timeout: {}s, requests_per_second: {}, page_size: {PAGE_SIZE}{concurrency} }}\n\
         targets:\n  - name: {TARGET}\n    provider: yandex_backup\n    endpoint: {url}\n    \
         auth: {{ iam_token: {TOKEN} }}\n    compute_instance_ids:\n",
        s.interval_s, s.timeout_s, s.rps
    );
    for i in 0..s.instances {
        c.push_str(&format!("      - {}\n", instance_id(i)));
    }
    c
}

/// A running exporter; killed when dropped.
struct Exporter {
    child: std::process::Child,
    pid: u32,
    addr: SocketAddr,
    spawned: Instant,
    listening: Instant,
    log: Arc<Mutex<Vec<String>>>,
    _dir: tempfile::TempDir,
    /// The slow front it talks to, if any (stops with it).
    front: Option<SlowFront>,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    /// Writes `config` to a fresh directory, starts the binary at `--log.level=info`, and
    /// waits for its `Listening.` line.
    fn start(config: &str) -> Exporter {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, config).unwrap();
        let spawned = Instant::now();
        let mut child = Command::new(exporter())
            .arg(format!("--config.file={}", path.display()))
            .args(["--web.listen-address=127.0.0.1:0", "--log.level=info"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exporter()));
        let pid = child.id();
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.contains("msg=Listening.")
                        && let Some(a) = line
                            .split_whitespace()
                            .find_map(|kv| kv.strip_prefix("address="))
                            .and_then(|a| a.parse::<SocketAddr>().ok())
                    {
                        let _ = tx.send((a, Instant::now()));
                    }
                    log.lock().unwrap().push(line);
                }
            });
        }
        let mut exp = Exporter {
            child,
            pid,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            spawned,
            listening: spawned,
            log,
            _dir: dir,
            front: None,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok((addr, at)) => {
                exp.addr = addr;
                exp.listening = at;
            }
            Err(_) => panic!(
                "the exporter never said Listening.; log:\n{}",
                exp.log_text()
            ),
        }
        exp
    }

    fn log_text(&self) -> String {
        self.log.lock().unwrap().join("\n")
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Panics with the log unless the process still runs.
    fn assert_alive(&mut self) {
        if let Ok(Some(st)) = self.child.try_wait() {
            panic!("the exporter exited ({st}); log:\n{}", self.log_text());
        }
    }

    fn cpu(&self) -> f64 {
        cpu_seconds(&self.pid.to_string())
    }

    /// `VmRSS` and `VmHWM` in KiB.
    fn memory(&self) -> (f64, f64) {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap();
        let kib = |key: &str| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
        };
        (kib("VmRSS:"), kib("VmHWM:"))
    }

    /// Log lines at warn or error (nothing should go wrong in these runs).
    fn complaints(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("level=warn") || l.contains("level=error"))
            .cloned()
            .collect()
    }

    /// Waits for `/-/ready` to answer 200; returns when it did.
    async fn ready(&mut self, http: &reqwest::Client, within: Duration) -> Instant {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(r) = http.get(self.url("/-/ready")).send().await
                && r.status().is_success()
            {
                return Instant::now();
            }
            self.assert_alive();
            assert!(
                Instant::now() < deadline,
                "not ready within {within:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the next poll to start (a request arrives) and to finish; returns the
    /// simulator's request count then.
    async fn next_poll(&mut self, sim: &Sim, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let r = sim.request_count(SERVICE);
        while sim.request_count(SERVICE) == r {
            self.assert_alive();
            assert!(
                Instant::now() < deadline,
                "no poll started within {within:?}; log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.quiet(sim, r + 1, within).await
    }

    /// Waits until the simulator has answered at least `min_requests` `ListTasks` (the
    /// count returned) and neither its count of every request (the policies' included: a
    /// poll ends with them, and a cheap exporter's CPU can stay on one 10 ms tick for 300 ms
    /// while it reads them) nor the exporter's CPU time moved for 300 ms: no poll is in
    /// flight.
    async fn quiet(&mut self, sim: &Sim, min_requests: usize, within: Duration) -> usize {
        let deadline = Instant::now() + within;
        let all = |sim: &Sim| sim.request_count(SERVICE) + sim.request_count(POLICIES);
        let mut last = (all(sim), self.cpu());
        let mut since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            self.assert_alive();
            let now = (all(sim), self.cpu());
            if now != last {
                last = now;
                since = Instant::now();
            } else if sim.request_count(SERVICE) >= min_requests
                && since.elapsed() >= Duration::from_millis(300)
            {
                return sim.request_count(SERVICE);
            }
            assert!(
                Instant::now() < deadline,
                "no quiet moment after {min_requests} requests within {within:?} (at {}); log:\n{}",
                now.0,
                self.log_text()
            );
        }
    }
}

/// `utime + stime` of `/proc/{pid}/stat` (`pid` may be `self`), in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = &s[s.rfind(')').unwrap() + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    static TCK: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TCK.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// A client that neither asks for nor undoes gzip (the gzip scrapes ask explicitly, and
/// time the compressed bytes as the server sends them).
fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .pool_max_idle_per_host(2 * SCRAPERS)
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

struct Baseline {
    rss_kib: f64,
}

/// An exporter polling one instance that has no tasks: what the process costs before it
/// tracks anything (a config without targets is not accepted everywhere).
async fn idle_exporter() -> Baseline {
    let s = Scenario {
        key: "idle",
        instances: 1,
        tasks: 0,
        ..A
    };
    let cloud = world(s.instances, s.tasks, s.running).await;
    let mut exp = Exporter::start(&config(&s, &cloud.url()));
    exp.ready(&http_client(), Duration::from_secs(60)).await;
    let rss_kib = exp.memory().0;
    drop(exp);
    cloud.shutdown().await;
    Baseline { rss_kib }
}

// ---------------------------------------------------------------------------------------------
// Scraping
// ---------------------------------------------------------------------------------------------

/// One `GET`: the time until the last byte arrived, and the body.
async fn scrape(http: &reqwest::Client, url: &str, gzip: bool) -> (f64, Bytes) {
    let mut req = http.get(url);
    if gzip {
        req = req.header("accept-encoding", "gzip");
    }
    let t = Instant::now();
    let r = req.send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    let body = r.bytes().await.unwrap();
    (t.elapsed().as_secs_f64(), body)
}

/// `SCRAPERS` concurrent scrapers, `each` scrapes apiece: the latencies (seconds) and the
/// size of the last body.
async fn scrape_storm(url: &str, gzip: bool, each: usize) -> (Vec<f64>, usize) {
    let http = http_client();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..SCRAPERS {
        let (http, url) = (http.clone(), url.to_string());
        set.spawn(async move {
            let mut out = Vec::with_capacity(each);
            let mut size = 0;
            for _ in 0..each {
                let (t, body) = scrape(&http, &url, gzip).await;
                out.push(t);
                size = body.len();
            }
            (out, size)
        });
    }
    let mut all = Vec::new();
    let mut size = 0;
    while let Some(r) = set.join_next().await {
        let (t, s) = r.unwrap();
        all.extend(t);
        size = s;
    }
    (all, size)
}

/// A static HTTP server of these bytes (`gz` when the client accepts gzip): the floor for
/// serving an exposition of this size over loopback.
async fn static_server(plain: Bytes, gz: Bytes) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (plain, gz) = (plain.clone(), gz.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let gzip = req
                        .headers()
                        .get("accept-encoding")
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.contains("gzip"));
                    let mut r = hyper::Response::builder()
                        .header("content-type", "text/plain; version=0.0.4; charset=utf-8");
                    if gzip {
                        r = r.header("content-encoding", "gzip");
                    }
                    let body = Full::new(if gzip { gz.clone() } else { plain.clone() });
                    async move { Ok::<_, Infallible>(r.body(body).unwrap()) }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = http1::Builder::new().serve_connection(io, svc).await;
            });
        }
    });
    (addr, task)
}

fn gzip_fast(b: &[u8]) -> Bytes {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b).unwrap();
    Bytes::from(enc.finish().unwrap())
}

/// Nearest-rank percentile of seconds, in milliseconds.
fn pct_ms(v: &[f64], p: f64) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil().max(1.0) as usize;
    s[rank.min(s.len()) - 1] * 1e3
}

/// What one `/metrics` body says about the run.
#[derive(Debug, Default)]
struct Expo {
    bytes: usize,
    series: usize,
    nonzero: usize,
    tracked: f64,
    api_requests: f64,
    polls: f64,
    poll_seconds: f64,
    poll_errors: f64,
    resources_up: f64,
    up: f64,
}

fn read_expo(body: &[u8]) -> Expo {
    let text = std::str::from_utf8(body).unwrap();
    let mut e = Expo {
        bytes: body.len(),
        ..Expo::default()
    };
    let mine = format!("target=\"{TARGET}\"");
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let Some((series, value)) = line.rsplit_once(' ') else {
            continue;
        };
        let v: f64 = value.parse().unwrap_or(f64::NAN);
        e.series += 1;
        if v != 0.0 {
            e.nonzero += 1;
        }
        if !series.contains(&mine) {
            continue;
        }
        let name = series.split('{').next().unwrap_or(series);
        match name {
            "cloud_task_tracked_tasks" => e.tracked += v,
            "cloud_task_api_requests_total" => e.api_requests += v,
            "cloud_task_target_poll_duration_seconds_count" => e.polls += v,
            "cloud_task_target_poll_duration_seconds_sum" => e.poll_seconds += v,
            "cloud_task_target_poll_errors_total" => e.poll_errors += v,
            "cloud_task_resource_up" => e.resources_up += v,
            "cloud_task_target_up" => e.up += v,
            _ => {}
        }
    }
    e
}

/// Warns (in the output, not by failing) when the exporter did not see the world whole.
fn sanity(e: &Expo, s: &Scenario, polls: usize, exp: &Exporter) {
    let instances = s.instances;
    let expected = (instances * s.tasks) as f64;
    let mut bad = Vec::new();
    if e.polls != polls as f64 {
        bad.push(format!(
            "the exporter counted {} polls, the bench {polls}: the windows may be wrong",
            e.polls
        ));
    }
    if e.up != 1.0 {
        bad.push(format!("target_up = {}", e.up));
    }
    if e.tracked != expected {
        bad.push(format!("tracked {} of {expected} tasks", e.tracked));
    }
    if e.resources_up != instances as f64 {
        bad.push(format!("{} of {instances} resources up", e.resources_up));
    }
    if e.poll_errors != 0.0 {
        bad.push(format!("{} poll errors", e.poll_errors));
    }
    let complaints = exp.complaints();
    if !complaints.is_empty() {
        bad.push(format!(
            "{} warn/error log lines, first: {}",
            complaints.len(),
            complaints[0]
        ));
    }
    for b in bad {
        println!("  WARNING: {b}");
    }
}

// ---------------------------------------------------------------------------------------------
// Scenario runs
// ---------------------------------------------------------------------------------------------

/// Exposition, one rebuild, and the scrape storms (exporter and static reference).
async fn scrapes(s: &Scenario, exp: &mut Exporter, f: &mut Figures) -> Expo {
    let http = http_client();
    let url = exp.url("/metrics");
    // One scrape after the poll: the cache is rebuilt (its CPU), then the body is read.
    let cpu0 = exp.cpu();
    let (rebuild_s, body) = scrape(&http, &url, false).await;
    f.insert("rebuild_cpu_ms", (exp.cpu() - cpu0) * 1e3);
    f.insert("rebuild_wall_ms", rebuild_s * 1e3);
    let e = read_expo(&body);
    f.insert("expo_mb", e.bytes as f64 / 1e6);
    f.insert("expo_series", e.series as f64);
    f.insert("expo_nonzero", e.nonzero as f64);
    f.insert("tracked", e.tracked);
    let (rss, _) = exp.memory();
    f.insert("rss_after_scrape_mib", rss / 1024.0);

    let cpu0 = exp.cpu();
    let (plain, _) = scrape_storm(&url, false, s.scrapes.0).await;
    let (gz, gz_size) = scrape_storm(&url, true, s.scrapes.1).await;
    f.insert("storm_cpu_s", exp.cpu() - cpu0);
    f.insert("scrape_p50_ms", pct_ms(&plain, 50.0));
    f.insert("scrape_p99_ms", pct_ms(&plain, 99.0));
    f.insert("gzip_p50_ms", pct_ms(&gz, 50.0));
    f.insert("gzip_p99_ms", pct_ms(&gz, 99.0));
    f.insert("gzip_mb", gz_size as f64 / 1e6);
    let (_, hwm) = exp.memory();
    f.insert("hwm_after_storm_mib", hwm / 1024.0);

    // The same bytes (and the same gzip level) from a static server in this process.
    let (addr, server) = static_server(body.clone(), gzip_fast(&body)).await;
    let surl = format!("http://{addr}/metrics");
    let (plain, _) = scrape_storm(&surl, false, s.scrapes.0).await;
    let (gz, _) = scrape_storm(&surl, true, s.scrapes.1).await;
    server.abort();
    f.insert("static_p50_ms", pct_ms(&plain, 50.0));
    f.insert("static_p99_ms", pct_ms(&plain, 99.0));
    f.insert("static_gzip_p50_ms", pct_ms(&gz, 50.0));
    f.insert("static_gzip_p99_ms", pct_ms(&gz, 99.0));
    e
}

/// `--slow`: an HTTP server in front of the simulator that holds each request a seeded
/// random 5–20 ms (the `n`th request to arrive draws the `n`th delay of the sequence) before
/// passing it on, without holding up any other: each request waits in a task of its own, so
/// requests overlap the way they do against a real cloud. Its CPU counts as the simulator's.
struct SlowFront {
    url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SlowFront {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// SplitMix64: the `n`th number of the sequence seeded with `seed`.
fn splitmix(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `n`th delay of the slow front.
fn slow_delay(n: u64) -> Duration {
    Duration::from_micros(SLOW_MIN_US + splitmix(SLOW_SEED, n) % (SLOW_MAX_US - SLOW_MIN_US + 1))
}

async fn slow_front(upstream: String) -> SlowFront {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use std::sync::atomic::{AtomicU64, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = reqwest::Client::builder()
        .no_gzip()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap();
    let n = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (client, upstream, n) = (client.clone(), upstream.clone(), Arc::clone(&n));
            tokio::spawn(async move {
                let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let delay = slow_delay(n.fetch_add(1, Ordering::Relaxed));
                    let (client, upstream) = (client.clone(), upstream.clone());
                    async move {
                        tokio::time::sleep(delay).await;
                        let path = req.uri().path_and_query().map_or("/", |p| p.as_str());
                        let mut headers = req.headers().clone();
                        headers.remove(hyper::header::HOST);
                        let up = client
                            .request(req.method().clone(), format!("{upstream}{path}"))
                            .headers(headers)
                            .send()
                            .await;
                        let resp = match up {
                            Ok(r) => {
                                let mut b = hyper::Response::builder().status(r.status());
                                for (k, v) in r.headers() {
                                    b = b.header(k, v);
                                }
                                b.body(Full::new(r.bytes().await.unwrap_or_default()))
                                    .unwrap()
                            }
                            Err(_) => hyper::Response::builder()
                                .status(502)
                                .body(Full::new(Bytes::new()))
                                .unwrap(),
                        };
                        Ok::<_, Infallible>(resp)
                    }
                });
                let io = hyper_util::rt::TokioIo::new(stream);
                let _ = http1::Builder::new().serve_connection(io, svc).await;
            });
        }
    });
    SlowFront {
        url: format!("http://{addr}"),
        task,
    }
}

/// The endpoint the exporter of `s` talks to: the simulator, or the slow front before it.
async fn endpoint(s: &Scenario, cloud: &FakeCloud) -> (String, Option<SlowFront>) {
    if s.slow {
        let front = slow_front(cloud.url()).await;
        (front.url.clone(), Some(front))
    } else {
        (cloud.url(), None)
    }
}

/// Readiness and the first request, relative to the spawn.
async fn start(s: &Scenario, cloud: &FakeCloud, f: &mut Figures) -> Exporter {
    let first = Arc::new(Mutex::new(None::<Instant>));
    {
        let first = Arc::clone(&first);
        cloud.sim().on_request(SERVICE, 1, move |_| {
            *first.lock().unwrap() = Some(Instant::now());
        });
    }
    f.insert("rps", f64::from(s.rps));
    let (url, front) = endpoint(s, cloud).await;
    let mut exp = Exporter::start(&config(s, &url));
    exp.front = front;
    let ready = exp
        .ready(&http_client(), Duration::from_secs(s.interval_s * 3 + 60))
        .await;
    let first = first.lock().unwrap().unwrap_or(ready);
    let since = |t: Instant| t.duration_since(exp.spawned).as_secs_f64();
    f.insert("listening_s", since(exp.listening));
    f.insert("first_request_s", since(first));
    f.insert("ready_s", since(ready));
    // Every request of the first poll (its task lists and the schedules: one ListPolicies
    // per configured instance) has been answered once ready, and the second poll is an
    // interval away.
    let requests = cloud.sim().request_count(SERVICE) + cloud.sim().request_count(POLICIES);
    f.insert("first_poll_requests", requests as f64);
    // The simulator sees the first request after the slow front held it (its first delay).
    let sent = since(first)
        - if s.slow {
            slow_delay(0).as_secs_f64()
        } else {
            0.0
        };
    let floor = sent + readiness_floor(s, requests);
    f.insert("ready_floor_s", floor);
    f.insert("ready_ratio", since(ready) / floor);
    exp
}

/// The least time the first poll can take after its first request was sent, with `requests`
/// requests: the scheduler starts every unit's listing at once, the rate limit hands out
/// one slot every `1/rps` (the first at once), at most `concurrency` are in flight, and
/// each takes the server's latency `L` (the slow front's mean, 12.5 ms; taken as 0 for
/// the simulator, which answers in well under a slot). So the last request cannot start
/// before `(requests − 1)/rps`, nor before `requests · L / concurrency` (every in-flight
/// place kept busy), and ends `L` later.
fn readiness_floor(s: &Scenario, requests: usize) -> f64 {
    let n = requests.max(1) as f64;
    let latency = if s.slow {
        (SLOW_MIN_US + SLOW_MAX_US) as f64 / 2.0 / 1e6
    } else {
        0.0
    };
    let concurrency = f64::from(if s.slow { SLOW_CONCURRENCY } else { 4 });
    ((n - 1.0) / f64::from(s.rps)).max(n * latency / concurrency) + latency
}

async fn scenario_a(s: Scenario, polls: usize) -> Figures {
    let mut f = Figures::new();
    let cloud = world(s.instances, s.tasks, s.running).await;
    let sim = Arc::clone(cloud.sim());
    let tasks = (s.instances * s.tasks) as f64;
    f.insert("instances", s.instances as f64);

    // The reference, in this run: serde_json over exactly the bytes of one poll.
    let bodies = one_poll_bodies(&sim, s.instances);
    let poll_bytes: usize = bodies.iter().map(Bytes::len).sum();
    f.insert("poll_mb", poll_bytes as f64 / 1e6);
    let value_s = parse_time(&bodies, |b| {
        black_box(serde_json::from_slice::<serde_json::Value>(b).unwrap());
    });
    let typed_s = parse_time(&bodies, |b| {
        black_box(serde_json::from_slice::<TypedPage>(b).unwrap());
    });
    f.insert("serde_value_us_per_task", value_s / tasks * 1e6);
    f.insert("serde_typed_us_per_task", typed_s / tasks * 1e6);

    let mut exp = start(&s, &cloud, &mut f).await;
    let units = s.instances;
    let window = Duration::from_secs(s.interval_s * 2 + 60);
    // No scrape until the polls are measured: the window holds polls and nothing else.
    let r0 = exp.quiet(&sim, units, window).await;
    let (rss_first, _) = exp.memory();
    f.insert("rss_after_first_poll_mib", rss_first / 1024.0);
    let (cpu0, self0, t0) = (exp.cpu(), cpu_seconds("self"), Instant::now());
    let mut r = r0;
    for _ in 0..polls {
        r = exp.next_poll(&sim, window).await;
    }
    let (cpu1, self1, t1) = (exp.cpu(), cpu_seconds("self"), Instant::now());
    let (rss, hwm) = exp.memory();
    let n = polls as f64;
    f.insert("polls", n);
    f.insert("cpu_us_per_task", (cpu1 - cpu0) / (tasks * n) * 1e6);
    f.insert("sim_cpu_us_per_task", (self1 - self0) / (tasks * n) * 1e6);
    f.insert("cpu_ms_per_poll", (cpu1 - cpu0) / n * 1e3);
    f.insert("exporter_cores", (cpu1 - cpu0) / (t1 - t0).as_secs_f64());
    f.insert("ratio_to_serde_value", (cpu1 - cpu0) / n / value_s);
    f.insert("ratio_to_serde_typed", (cpu1 - cpu0) / n / typed_s);
    f.insert("rss_mib", rss / 1024.0);
    f.insert("hwm_mib", hwm / 1024.0);
    f.insert("rss_b_per_task", rss * 1024.0 / tasks);
    f.insert(
        "steady_requests_per_list",
        (r - r0) as f64 / n / units as f64,
    );

    // The first scrape after the last poll rebuilds the exposition.
    let e = scrapes(&s, &mut exp, &mut f).await;
    f.insert(
        "requests_per_list_poll",
        e.api_requests / e.polls / units as f64,
    );
    f.insert("poll_s", e.poll_seconds / e.polls);
    // A poll plus one exposition rebuild: a Prometheus scraping about once per poll.
    f.insert(
        "cpu_with_rebuild_us_per_task",
        f["cpu_us_per_task"] + f["rebuild_cpu_ms"] / 1e3 / tasks * 1e6,
    );
    sanity(&e, &s, polls + 1, &exp);
    drop(exp);
    cloud.shutdown().await;
    f
}

async fn scenario_bc(s: Scenario) -> Figures {
    let mut f = Figures::new();
    let cloud = world(s.instances, s.tasks, s.running).await;
    let sim = Arc::clone(cloud.sim());
    let tasks = (s.instances * s.tasks) as f64;
    f.insert("instances", s.instances as f64);
    let units = s.instances;
    let mut exp = start(&s, &cloud, &mut f).await;
    let window = Duration::from_secs(s.interval_s * 2 + 60);
    let r1 = exp.quiet(&sim, units, window).await;
    let (cpu0, self0) = (exp.cpu(), cpu_seconds("self"));
    // The second poll: every task already seen, the steady state.
    let r2 = exp.next_poll(&sim, window).await;
    let (cpu1, self1) = (exp.cpu(), cpu_seconds("self"));
    f.insert("steady_requests_per_list", (r2 - r1) as f64 / units as f64);
    let (rss, hwm) = exp.memory();
    f.insert("cpu_s_per_poll", cpu1 - cpu0);
    f.insert("cpu_us_per_task", (cpu1 - cpu0) / tasks * 1e6);
    f.insert("sim_cpu_us_per_task", (self1 - self0) / tasks * 1e6);
    f.insert("rss_mib", rss / 1024.0);
    f.insert("hwm_mib", hwm / 1024.0);
    f.insert("rss_b_per_task", rss * 1024.0 / tasks);
    let e = scrapes(&s, &mut exp, &mut f).await;
    f.insert(
        "rss_after_scrape_b_per_task",
        f["rss_after_scrape_mib"] * 1024.0 * 1024.0 / tasks,
    );
    let cycle = e.poll_seconds / e.polls;
    f.insert("poll_s", cycle);
    f.insert("cycle_ratio", cycle / s.interval_s as f64);
    f.insert("polls", e.polls);
    f.insert(
        "requests_per_list_poll",
        e.api_requests / e.polls / units as f64,
    );
    f.insert("exporter_cores_in_poll", (cpu1 - cpu0) / cycle);
    sanity(&e, &s, 2, &exp);
    drop(exp);
    cloud.shutdown().await;
    f
}

/// BC's estate idle or with every instance running a backup: readiness, and the CPU and
/// the cycle of the steady-state polls (no scrape: the exposition is not what is compared).
async fn scenario_bc_running(s: Scenario) -> Figures {
    let mut f = Figures::new();
    let cloud = world(s.instances, s.tasks, s.running).await;
    let sim = Arc::clone(cloud.sim());
    let units = s.instances;
    f.insert("instances", units as f64);
    let mut exp = start(&s, &cloud, &mut f).await;
    let window = Duration::from_secs(s.interval_s * 2 + 60);
    let r1 = exp.quiet(&sim, units, window).await;
    // The first poll's duration (it also read the schedules: a `ListPolicies` per instance),
    // read before the steady-state poll's CPU is measured.
    let metrics = exp.url("/metrics");
    let first = read_expo(&scrape(&http_client(), &metrics, false).await.1);
    f.insert("first_poll_s", first.poll_seconds);
    let (cpu0, self0) = (exp.cpu(), cpu_seconds("self"));
    let r2 = exp.next_poll(&sim, window).await;
    let (cpu1, self1) = (exp.cpu(), cpu_seconds("self"));
    let requests = (r2 - r1) as f64;
    f.insert("steady_requests_per_list", requests / units as f64);
    f.insert("cpu_s_per_poll", cpu1 - cpu0);
    f.insert("cpu_us_per_request", (cpu1 - cpu0) / requests * 1e6);
    f.insert("sim_cpu_us_per_request", (self1 - self0) / requests * 1e6);
    let e = read_expo(&scrape(&http_client(), &metrics, false).await.1);
    // The steady-state poll alone: the second one's duration.
    let cycle = e.poll_seconds - first.poll_seconds;
    f.insert("poll_s", cycle);
    f.insert("cycle_ratio", cycle / s.interval_s as f64);
    f.insert(
        "first_cycle_ratio",
        first.poll_seconds / s.interval_s as f64,
    );
    f.insert("tracked", e.tracked);
    sanity(&e, &s, 2, &exp);
    drop(exp);
    cloud.shutdown().await;
    f
}

/// Long histories: requests per polled list on the first poll and in the steady state.
async fn scenario_r(s: Scenario) -> Figures {
    let mut f = Figures::new();
    let cloud = world(s.instances, s.tasks, s.running).await;
    let sim = Arc::clone(cloud.sim());
    let units = s.instances;
    f.insert("instances", units as f64);
    let mut exp = start(&s, &cloud, &mut f).await;
    let window = Duration::from_secs(s.interval_s * 2 + 60);
    let r0 = exp.quiet(&sim, units, window).await;
    let cpu0 = exp.cpu();
    let mut r = r0;
    for _ in 0..R_POLLS {
        r = exp.next_poll(&sim, window).await;
    }
    let cpu1 = exp.cpu();
    f.insert("first_requests_per_list", r0 as f64 / units as f64);
    f.insert(
        "steady_requests_per_list",
        (r - r0) as f64 / R_POLLS as f64 / units as f64,
    );
    f.insert("cpu_ms_per_poll", (cpu1 - cpu0) / R_POLLS as f64 * 1e3);
    let e = read_expo(&scrape(&http_client(), &exp.url("/metrics"), false).await.1);
    f.insert(
        "requests_per_list_poll",
        e.api_requests / e.polls / units as f64,
    );
    f.insert("tracked", e.tracked);
    sanity(&e, &s, R_POLLS + 1, &exp);
    drop(exp);
    cloud.shutdown().await;
    f
}

/// `--serve`: the scenario's world and config, then wait; for profiling the exporter by hand.
fn serve(rt: &tokio::runtime::Runtime, s: Scenario) -> ! {
    let cloud = rt.block_on(world(s.instances, s.tasks, s.running));
    let (url, _front) = rt.block_on(endpoint(&s, &cloud));
    let dir = tempfile::tempdir().unwrap().keep();
    let path = dir.join("config.yaml");
    std::fs::write(&path, config(&s, &url)).unwrap();
    println!(
        "simulator on {url} with {} instances × {} tasks; config: {}",
        s.instances,
        s.tasks,
        path.display()
    );
    println!("run: {} --config.file={}", exporter(), path.display());
    println!("(Ctrl-C to stop)");
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

// ---------------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------------

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines().find_map(|l| {
                Some(
                    l.strip_prefix("model name")?
                        .split_once(':')?
                        .1
                        .trim()
                        .to_string(),
                )
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map_or_else(|| "rustc ?".into(), |s| s.trim().to_string());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    let date = Timestamp::now().strftime("%Y-%m-%d").to_string();
    format!("{date}, nproc {cores}, {cpu}, {rustc}, load average at start {load}")
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

#[derive(Default)]
struct Table {
    runs: BTreeMap<&'static str, Vec<Figures>>,
    baseline_rss_kib: f64,
}

impl Table {
    fn add(&mut self, s: &Scenario, f: Figures) {
        self.runs.entry(s.key).or_default().push(f);
    }

    /// Median of a figure over the runs of a scenario, and every run's value.
    fn get(&self, key: &str, name: &str) -> (f64, String) {
        let v: Vec<f64> = self.runs[key]
            .iter()
            .filter_map(|f| f.get(name).copied())
            .collect();
        if v.is_empty() {
            return (f64::NAN, String::new());
        }
        let runs = v.iter().map(|x| fmt(*x)).collect::<Vec<_>>().join(" / ");
        (median(&v), runs)
    }

    fn print(&self, opts: &Options, machine: &str) {
        println!("Machine: {machine}.");
        println!(
            "Command: `cargo bench --bench scale` ({} runs per scenario; medians; each run's value in the third column).\n",
            opts.runs
        );
        println!("| scenario | figure | median | runs | reference, same run | scale mark |");
        println!("| --- | --- | --- | --- | --- | --- |");
        for key in ["A", "A-slow"] {
            if self.runs.contains_key(key) {
                self.print_a(key, opts);
            }
        }
        if self.runs.contains_key("A") && self.runs.contains_key("A-slow") {
            let (fast, slow) = (
                self.get("A", "cpu_us_per_task").0,
                self.get("A-slow", "cpu_us_per_task").0,
            );
            let ratio = fast.max(slow) / fast.min(slow);
            println!(
                "| A / A-slow | CPU per task polled, the simulator against the slow front (each response 5–20 ms) | {}× | {} / {} µs | the same bench invocation, in alternation | ≤ 1.2×: {} |",
                fmt(ratio),
                fmt(fast),
                fmt(slow),
                verdict(ratio, 1.2)
            );
        }
        for key in ["BC", "BC-slow"] {
            if self.runs.contains_key(key) {
                self.print_bc(key);
            }
        }
        for (idle, running) in [
            ("BC-idle", "BC-running"),
            ("BC-idle-slow", "BC-running-slow"),
        ] {
            if self.runs.contains_key(idle) && self.runs.contains_key(running) {
                self.print_bc_running(idle, running);
            }
        }
        for key in ["R", "R-slow"] {
            if self.runs.contains_key(key) {
                self.print_r(key);
            }
        }
    }

    /// The estate idle against every instance running a backup.
    fn print_bc_running(&self, idle: &str, running: &str) {
        for key in [idle, running] {
            let m = |n: &str| self.get(key, n).0;
            self.row(
                key,
                &format!(
                    "CPU per request in the steady-state (second) poll; {} instances, {}",
                    fmt(m("instances")),
                    if key.starts_with("BC-idle") {
                        "no task running"
                    } else {
                        "a backup running on every instance"
                    }
                ),
                "cpu_us_per_request",
                "µs",
                &format!(
                    "{} s CPU per poll; steady-state cycle {} s of {} s ({}); the first poll, which also read the schedules, {} s ({}); simulator {} µs/request",
                    fmt(m("cpu_s_per_poll")),
                    fmt(m("poll_s")),
                    BC.interval_s,
                    fmt(m("cycle_ratio")),
                    fmt(m("first_poll_s")),
                    fmt(m("first_cycle_ratio")),
                    fmt(m("sim_cpu_us_per_request")),
                ),
                &format!(
                    "steady-state cycle < 1: {}; first poll < 1: {}",
                    verdict(m("cycle_ratio"), 1.0),
                    verdict(m("first_cycle_ratio"), 1.0)
                ),
            );
            self.readiness_rows(key);
        }
        let (a, b) = (
            self.get(idle, "cpu_us_per_request").0,
            self.get(running, "cpu_us_per_request").0,
        );
        println!(
            "| {running} / {idle} | CPU per request, every instance running a backup against none | {}× | {} / {} µs | the same bench invocation, in alternation | ≤ 1.1×: {} |",
            fmt(b / a),
            fmt(b),
            fmt(a),
            verdict(b / a, 1.1)
        );
    }

    fn row(&self, key: &str, label: &str, name: &str, unit: &str, reference: &str, mark: &str) {
        let (m, runs) = self.get(key, name);
        println!(
            "| {key} | {label} | {} | {runs} | {reference} | {mark} |",
            format!("{} {unit}", fmt(m)).trim_end()
        );
    }

    fn print_a(&self, a: &str, opts: &Options) {
        let inst = self.get(a, "instances").0;
        let m = |n: &str| self.get(a, n).0;
        let cpu = m("cpu_us_per_task");
        let value = m("serde_value_us_per_task");
        let typed = m("serde_typed_us_per_task");
        self.row(
            a,
            &format!(
                "exporter CPU per task polled (whole process, HTTP included; {} polls after readiness, no scrape; {} instances × {TASKS_PER_INSTANCE} tasks, interval 10 s, 1,000 req/s)",
                opts.polls, fmt(inst)
            ),
            "cpu_us_per_task",
            "µs",
            &format!(
                "`serde_json::Value` over the same bytes ({} MB per poll): {} µs/task → **{}×**; typed struct: {} µs/task → {}×; previous figure 19 µs; Python peer 87 µs",
                fmt(m("poll_mb")),
                fmt(value),
                fmt(m("ratio_to_serde_value")),
                fmt(typed),
                fmt(m("ratio_to_serde_typed")),
            ),
            &format!(
                "≤ 5 µs: {}; ≤ 9 µs (the earlier mark): {}; ≤ 3× serde: {}",
                verdict(cpu, 5.0),
                verdict(cpu, 9.0),
                verdict(m("ratio_to_serde_value"), 3.0)
            ),
        );
        self.row(
            a,
            "the same plus one exposition rebuild per poll (a Prometheus scraping about once per poll)",
            "cpu_with_rebuild_us_per_task",
            "µs",
            &format!(
                "rebuild CPU {} ms per scrape after a poll = {} µs/task",
                fmt(m("rebuild_cpu_ms")),
                fmt(m("rebuild_cpu_ms") / 1e3 / (inst * TASKS_PER_INSTANCE as f64) * 1e6)
            ),
            &format!("≤ 9 µs: {}", verdict(m("cpu_with_rebuild_us_per_task"), 9.0)),
        );
        self.row(
            a,
            "simulator CPU per task in the same polls (this process: serving the pages)",
            "sim_cpu_us_per_task",
            "µs",
            &format!(
                "exporter CPU per poll {} ms, {} cores busy over the window",
                fmt(m("cpu_ms_per_poll")),
                fmt(m("exporter_cores"))
            ),
            "",
        );
        self.row(
            a,
            "RSS per tracked task (VmRSS / tracked tasks, after the polls, before any scrape)",
            "rss_b_per_task",
            "B",
            &format!(
                "VmRSS {} MiB, VmHWM {} MiB; an idle exporter (one instance, no tasks): {} MiB",
                fmt(m("rss_mib")),
                fmt(m("hwm_mib")),
                fmt(self.baseline_rss_kib / 1024.0)
            ),
            "≤ 1 KiB at 250,000 tasks: see B",
        );
        self.expo_rows(
            a,
            "previous figure 8.0 MB at 1,000 instances; Python peer 2.5 MB",
            // The mark is for 1,000 instances with one task type (`--instances` changes it).
            inst == 1_000.0,
        );
        self.readiness_rows(a);
        self.row(
            a,
            "`cloud_task_api_requests_total` / polls / polled lists (every poll so far)",
            "requests_per_list_poll",
            "",
            &format!(
                "the measured polls, as the simulator counted them: {}; 25 tasks fit one page of 100",
                fmt(m("steady_requests_per_list"))
            ),
            "≤ 1.1 (steady state, long histories; item 2)",
        );
    }

    fn print_r(&self, k: &str) {
        let m = |n: &str| self.get(k, n).0;
        self.row(
            k,
            &format!(
                "requests per polled list, steady state ({R_POLLS} polls; {} instances × {} tasks inside `lookback`, pages of {PAGE_SIZE}; one run)",
                fmt(m("instances")),
                R.tasks
            ),
            "steady_requests_per_list",
            "",
            &format!(
                "first poll: {}; `cloud_task_api_requests_total` / polls / lists, every poll: {}; exporter CPU per steady poll {} ms",
                fmt(m("first_requests_per_list")),
                fmt(m("requests_per_list_poll")),
                fmt(m("cpu_ms_per_poll"))
            ),
            &format!(
                "≤ 1.1 (item 2): {}",
                verdict(m("steady_requests_per_list"), 1.1)
            ),
        );
    }

    /// When the first poll started and when the exporter became ready.
    fn readiness_rows(&self, key: &str) {
        let m = |n: &str| self.get(key, n).0;
        self.row(
            key,
            "first ListTasks request after process start (the first poll begins)",
            "first_request_s",
            "s",
            &format!("`Listening.` at {} s", fmt(m("listening_s"))),
            &format!(
                "within 1 s: {} (polls start at once, paced by the rate limit)",
                verdict(m("first_request_s"), 1.0)
            ),
        );
        self.row(
            key,
            "readiness: process start → `/-/ready` 200",
            "ready_s",
            "s",
            &format!(
                "a whole poll takes {} s (`poll_duration_seconds` sum/count)",
                fmt(m("poll_s"))
            ),
            "bounded by the API: first request + one poll",
        );
        self.row(
            key,
            "readiness against its floor: `/-/ready` / (first request + what the rate limit, the concurrency and the server's latency allow for the first poll's requests)",
            "ready_ratio",
            "",
            &format!(
                "ready at {} s; floor {} s for {} requests (every instance's `ListTasks` and `ListPolicies`) at {} req/s{}",
                fmt(m("ready_s")),
                fmt(m("ready_floor_s")),
                fmt(m("first_poll_requests")),
                fmt(m("rps")),
                if key.ends_with("slow") {
                    ", 12.5 ms mean latency, concurrency 32"
                } else {
                    ", latency taken as 0"
                }
            ),
            &format!("≤ 1.2: {}", verdict(m("ready_ratio"), 1.2)),
        );
    }

    /// Exposition size, rebuild and the scrape storms of scenario `key`.
    fn expo_rows(&self, key: &str, previous: &str, with_mark: bool) {
        let m = |n: &str| self.get(key, n).0;
        self.row(
            key,
            "`/metrics` size",
            "expo_mb",
            "MB",
            &format!(
                "{} series ({} per instance), {} non-zero; gzip {} MB; {previous}",
                fmt(m("expo_series")),
                fmt(m("expo_series") / m("instances")),
                fmt(m("expo_nonzero")),
                fmt(m("gzip_mb")),
            ),
            &if with_mark {
                format!(
                    "≤ 1.8 MB at 1,000 instances: {}",
                    verdict(m("expo_mb"), 1.8)
                )
            } else {
                String::new()
            },
        );
        self.row(
            key,
            "exposition rebuild: CPU of the first scrape after a poll",
            "rebuild_cpu_ms",
            "ms",
            &format!("its wall time {} ms", fmt(m("rebuild_wall_ms"))),
            "",
        );
        self.row(
            key,
            &format!("scrape p50, {SCRAPERS} concurrent scrapers (cache hits)"),
            "scrape_p50_ms",
            "ms",
            &format!(
                "p99 {} ms; static server of the same bytes: p50 {} / p99 {} ms",
                fmt(m("scrape_p99_ms")),
                fmt(m("static_p50_ms")),
                fmt(m("static_p99_ms"))
            ),
            "",
        );
        self.row(
            key,
            &format!("scrape p50 with gzip, {SCRAPERS} concurrent scrapers"),
            "gzip_p50_ms",
            "ms",
            &format!(
                "p99 {} ms; static pre-gzipped bytes: p50 {} / p99 {} ms; exporter CPU for all the storm's scrapes {} s; VmHWM after {} MiB",
                fmt(m("gzip_p99_ms")),
                fmt(m("static_gzip_p50_ms")),
                fmt(m("static_gzip_p99_ms")),
                fmt(m("storm_cpu_s")),
                fmt(m("hwm_after_storm_mib")),
            ),
            "",
        );
    }

    fn print_bc(&self, k: &str) {
        let m = |n: &str| self.get(k, n).0;
        let inst = self.get(k, "instances").0;
        self.row(
            k,
            &format!(
                "B: RSS per tracked task, {} tracked ({} instances × {TASKS_PER_INSTANCE}), after the second poll, before any scrape",
                fmt(m("tracked")),
                fmt(inst)
            ),
            "rss_b_per_task",
            "B",
            &format!(
                "VmRSS {} MiB, VmHWM {} MiB; an idle exporter (one instance, no tasks): {} MiB",
                fmt(m("rss_mib")),
                fmt(m("hwm_mib")),
                fmt(self.baseline_rss_kib / 1024.0)
            ),
            &format!("≤ 1 KiB: {}", verdict(m("rss_b_per_task"), 1024.0)),
        );
        self.row(
            k,
            "B: RSS per tracked task after one scrape (the exposition cache held)",
            "rss_after_scrape_b_per_task",
            "B",
            &format!("VmRSS {} MiB", fmt(m("rss_after_scrape_mib"))),
            &format!(
                "≤ 1 KiB: {}",
                verdict(m("rss_after_scrape_b_per_task"), 1024.0)
            ),
        );
        self.row(
            k,
            &format!(
                "C: poll cycle / interval (`poll_duration_seconds` sum/count; {BC_REAL_RPS} req/s at {} min scaled 10×: {} req/s, interval {} s)",
                BC_REAL_INTERVAL_S / 60,
                BC.rps,
                BC.interval_s
            ),
            "cycle_ratio",
            "",
            &format!(
                "cycle {} s of {} s; the rate limit alone: {} s ({}); real time: {} s of {} s",
                fmt(m("poll_s")),
                BC.interval_s,
                fmt(inst / f64::from(BC.rps)),
                fmt(inst / f64::from(BC.rps) / BC.interval_s as f64),
                fmt(m("cycle_ratio") * BC_REAL_INTERVAL_S as f64),
                BC_REAL_INTERVAL_S
            ),
            &format!("< 1 (finishes inside the interval): {}", verdict(m("cycle_ratio"), 1.0)),
        );
        self.row(
            k,
            "C: exporter CPU per task in the steady-state poll",
            "cpu_us_per_task",
            "µs",
            &format!(
                "{} s CPU per poll = {} cores while polling at {} req/s ({} at {BC_REAL_RPS} req/s); simulator {} µs/task",
                fmt(m("cpu_s_per_poll")),
                fmt(m("exporter_cores_in_poll")),
                BC.rps,
                fmt(m("exporter_cores_in_poll") * f64::from(BC_REAL_RPS) / f64::from(BC.rps)),
                fmt(m("sim_cpu_us_per_task")),
            ),
            "",
        );
        self.expo_rows(k, "previous figure: 8 KB per resource", false);
        self.readiness_rows(k);
        self.row(
            k,
            "requests per polled list in the steady-state (second) poll, as the simulator counted them",
            "steady_requests_per_list",
            "",
            &format!(
                "`cloud_task_api_requests_total` / polls / lists over both polls: {}",
                fmt(m("requests_per_list_poll"))
            ),
            "≤ 1.1 (steady state, long histories; item 2)",
        );
    }
}

/// "meets" or "misses by N×" against an upper bound.
fn verdict(v: f64, mark: f64) -> String {
    if v.is_nan() {
        "n/a".into()
    } else if v <= mark {
        format!("meets ({} of the mark)", fmt(v / mark))
    } else {
        format!("**misses by {}×**", fmt(v / mark))
    }
}

/// Three significant digits, thousands separated.
fn fmt(v: f64) -> String {
    if v.is_nan() {
        return "n/a".into();
    }
    let a = v.abs();
    let decimals = if a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a >= 0.1 {
        3
    } else {
        4
    };
    let s = format!("{v:.decimals$}");
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(i, f)| (i, f));
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}
