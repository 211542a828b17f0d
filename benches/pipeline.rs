//! Bench binary (no criterion, to keep `cargo test` builds lean): accounting and exposition
//! costs at scale. Run: `cargo bench --bench pipeline`. Results go in BENCHMARKS.md.

#![allow(clippy::disallowed_types, clippy::unwrap_used)]

use std::collections::{BTreeMap, HashMap};
use std::hint::black_box;
use std::time::{Duration, Instant};

use cloud_task_exporter::accounting::{Account, HistogramData};
use cloud_task_exporter::config::ProviderKind;
use cloud_task_exporter::hub::{Hub, PollStatus, TargetSnapshot};
use cloud_task_exporter::metrics::{POLL_BUCKETS, exposition};
use cloud_task_exporter::model::{Mapped, Task, TaskState};

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
    let unit_of: HashMap<String, String> = all
        .iter()
        .map(|t| (t.id.clone(), t.resource.clone()))
        .collect();

    let apply_first = time(
        &format!("apply: first poll, {} tasks", all.len()),
        20,
        || {
            let mut a = Account::new(&["backup", "retention"], &units);
            black_box(a.apply(
                &units,
                &all,
                &unit_of,
                now,
                Duration::from_secs(7 * 86400),
                &BUCKETS,
            ));
        },
    );
    let mut steady = Account::new(&["backup", "retention"], &units);
    steady.apply(
        &units,
        &all,
        &unit_of,
        now,
        Duration::from_secs(7 * 86400),
        &BUCKETS,
    );
    let apply_again = time(
        &format!("apply: repeat poll, {} tasks (all seen)", all.len()),
        20,
        || {
            black_box(steady.apply(
                &units,
                &all,
                &unit_of,
                now,
                Duration::from_secs(7 * 86400),
                &BUCKETS,
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
        account: steady.clone(),
        status: PollStatus {
            polled: true,
            up: true,
            durations: HistogramData::new(&POLL_BUCKETS),
            ..PollStatus::default()
        },
        requests: BTreeMap::new(),
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
}
