//! Bench binary (no criterion, to keep `cargo test` builds lean): accounting and exposition
//! costs at scale. Run: `cargo bench --bench pipeline`. Results go in BENCHMARKS.md.

#![allow(clippy::disallowed_types, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use std::sync::Arc;

use cloud_task_exporter::accounting::{Account, HistogramData, PollResult, Rules};
use cloud_task_exporter::config::{Config, Settings, Shard};
use cloud_task_exporter::hub::{Hub, PollStatus, TargetSnapshot};
use cloud_task_exporter::metrics::{POLL_BUCKETS, exposition};
use cloud_task_exporter::model::{Listing, Mapped, Task, TaskState};
use cloud_task_exporter::provider::http::{RequestCounts, client};
use cloud_task_exporter::provider::huawei::sign;
use cloud_task_exporter::provider::{AnyProvider, ProviderKind};
use cloud_task_exporter::scheduler::TargetRunner;
use cloud_task_exporter::sim::yandex::SimTask;
use cloud_task_exporter::sim::{FakeCloud, Sim, lock};

const BUCKETS: [f64; 11] = [
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
];

fn tasks(resources: usize, per: usize, terminal: bool) -> Vec<Task> {
    let mut v = Vec::with_capacity(resources * per);
    for r in 0..resources {
        for i in 0..per {
            let st = if terminal {
                TaskState::RESULTS[i % 6]
            } else {
                TaskState::Running
            };
            let mut t = Task::new(
                format!("{r}-{i}"),
                format!("vm{r}"),
                ["backup", "retention"][i % 2],
                "x",
                Mapped::known(st),
            );
            t.started = Some("2024-05-01T10:00:00Z".parse().unwrap());
            if terminal {
                t.finished = Some("2024-05-01T10:10:00Z".parse().unwrap());
            }
            v.push(t);
        }
    }
    v
}

fn time<F: FnMut()>(name: &str, iters: u32, mut f: F) -> Duration {
    f();
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let per = start.elapsed() / iters;
    println!("{name:<48} {:>12.3} ms/iter", per.as_secs_f64() * 1e3);
    per
}

fn main() {
    let resources = 1000;
    let per = 10;
    let now: jiff::Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
    let units: Vec<String> = (0..resources).map(|r| format!("vm{r}")).collect();
    let all = tasks(resources, per, true);
    let mut by_unit: HashMap<String, Vec<Task>> = HashMap::new();
    for t in &all {
        by_unit
            .entry(t.resource.clone())
            .or_default()
            .push(t.clone());
    }
    let poll = PollResult {
        listed: units
            .iter()
            .map(|u| {
                (
                    u.clone(),
                    Listing::of(by_unit.remove(u).unwrap_or_default()),
                )
            })
            .collect(),
        failed: Vec::new(),
    };

    let apply_first = time(
        &format!("apply: first poll, {} tasks", all.len()),
        20,
        || {
            let mut a = Account::new(&["backup", "retention"], &units);
            black_box(a.apply(
                &poll,
                now,
                &Rules {
                    lookback: Duration::from_secs(7 * 86400),
                    buckets: &BUCKETS,
                    max_task_types: 32,
                },
            ));
        },
    );
    let mut steady = Account::new(&["backup", "retention"], &units);
    steady.apply(
        &poll,
        now,
        &Rules {
            lookback: Duration::from_secs(7 * 86400),
            buckets: &BUCKETS,
            max_task_types: 32,
        },
    );
    let apply_again = time(
        &format!("apply: repeat poll, {} tasks (all seen)", all.len()),
        20,
        || {
            black_box(steady.apply(
                &poll,
                now,
                &Rules {
                    lookback: Duration::from_secs(7 * 86400),
                    buckets: &BUCKETS,
                    max_task_types: 32,
                },
            ));
        },
    );

    let hub = Hub::new();
    hub.set_targets(&["t".to_string()]);
    let snap = TargetSnapshot {
        name: "t".into(),
        provider: ProviderKind::YandexBackup,
        labels: BTreeMap::new(),
        tracked: steady.tracked(),
        tallies: steady.tallies.clone(),
        status: PollStatus {
            polled: true,
            up: true,
            durations: HistogramData::new(&POLL_BUCKETS),
            ..PollStatus::default()
        },
        requests: BTreeMap::new(),
        expect: Default::default(),
        schedules: Default::default(),
        schedule_skips: None,
    };
    hub.publish(snap.clone());
    let bytes = exposition(&hub, &BUCKETS).len();
    println!("exposition size: {bytes} bytes for {resources} resources x 2 types");
    let rebuild = time("scrape after a poll (cache rebuilt)", 20, || {
        hub.publish(snap.clone());
        black_box(exposition(&hub, &BUCKETS));
    });
    let cached = time("scrape with nothing new (cache hit)", 200, || {
        black_box(exposition(&hub, &BUCKETS));
    });
    println!(
        "ratio rebuild/cached: {:.1}x",
        rebuild.as_secs_f64() / cached.as_secs_f64()
    );
    println!(
        "ratio first-poll/repeat-poll apply: {:.2}x",
        apply_first.as_secs_f64() / apply_again.as_secs_f64()
    );

    println!();
    signing();
    println!();
    whole_poll();
}

/// Huawei `SDK-HMAC-SHA256`: one signature per request attempt.
fn signing() {
    let query = vec![
        ("limit".to_string(), "100".to_string()),
        ("offset".to_string(), "200".to_string()),
        ("start_time".to_string(), "2024-05-01T00:00:00Z".to_string()),
    ];
    let headers = vec![(
        "X-Project-Id".to_string(),
        "0123456789abcdef0123456789abcdef".to_string(),
    )];
    let req = sign::SignRequest {
        method: "GET",
        path: "/v3/0123456789abcdef0123456789abcdef/operation-logs",
        query: &query,
        headers: &headers,
        host: Some("cbr.ap-southeast-1.myhuaweicloud.com"),
        body: b"",
    };
    time("huawei: sign one request", 20_000, || {
        black_box(sign::sign(&req, "AKEXAMPLE", "secret", "20240501T120000Z"));
    });
}

/// A whole poll over loopback HTTP against the simulator: paging, JSON decoding, status and
/// time mapping, de-duplication and accounting, for 1 000 tasks in pages of 100.
fn whole_poll() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cloud = FakeCloud::start(Sim::new()).await.unwrap();
        {
            let mut y = lock(&cloud.sim().yandex);
            y.register_iam_token("bench-token");
            for i in 0..1000 {
                y.upsert_task(
                    "fhmbench00000001",
                    SimTask::new(i.to_string(), "BACKUP", "COMPLETED")
                        .times(
                            "2024-05-01T10:00:00.123456Z",
                            Some("2024-05-01T10:00:01.5Z"),
                            Some("2024-05-01T10:12:30.987654321Z"),
                        )
                        .result(["OK", "ERROR"][i % 2], None),
                );
            }
        }
        let settings = Settings {
            page_size: 100,
            lookback: Duration::from_secs(100 * 365 * 86_400),
            requests_per_second: 10_000.0,
            ..Settings::default()
        };
        let yaml = format!(
            "targets:\n  - {{ name: bench, provider: yandex_backup, endpoint: '{}', auth: {{ iam_token: bench-token }}, compute_instance_ids: [fhmbench00000001] }}\n",
            cloud.url()
        );
        let mut target = Config::from_str(&yaml, std::path::Path::new("bench.yaml"))
            .unwrap()
            .targets
            .remove(0);
        target.settings = settings;
        let counts = Arc::new(RequestCounts::default());
        let provider = AnyProvider::build(&target.spec, &target.settings, target.endpoint.as_ref(), client(), Arc::clone(&counts));
        let mut runner =
            TargetRunner::new(target, provider, counts, BUCKETS.to_vec(), Shard::default());
        runner.poll_once().await.unwrap();
        let iters = 20;
        let start = Instant::now();
        for _ in 0..iters {
            runner.poll_once().await.unwrap();
        }
        let per = start.elapsed() / iters;
        println!(
            "{:<48} {:>12.3} ms/iter",
            "poll: 1000 tasks, 10 pages, loopback HTTP",
            per.as_secs_f64() * 1e3
        );
    });
}
