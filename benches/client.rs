//! Client bench: what one listing GET costs the thread that sends it, with the exporter's
//! reqwest client (`provider::http::client()`) and with hyper-util's client underneath it
//! used directly, against the same keep-alive HTTP/1.1 server on `127.0.0.1:0` (a thread of
//! its own) serving the same 25-record page. The two run in alternation, several rounds, and
//! the table shows each round's CPU per request (the client thread's run time from
//! `/proc/thread-self/schedstat`, kernel included) and the medians' ratio.
//!
//! ```sh
//! cargo bench --bench client                          # both, alternated, 5 rounds
//! cargo bench --bench client -- --concurrency 8       # 8 requests in flight at a time
//! cargo bench --bench client -- reqwest --requests 2000   # one client only (for callgrind)
//! ```
//!
//! Instructions per request: run one client under
//! `valgrind --tool=callgrind --separate-threads=yes` with two request counts and divide the
//! difference of the main thread's totals by the difference of the counts (BENCHMARKS.md).

#![allow(
    clippy::disallowed_types,
    clippy::unwrap_used,
    reason = "a bench binary: a failed setup should stop it"
)]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// A page of 25 Yandex Cloud Backup records, about the size the simulator serves.
fn page() -> Bytes {
    let records: Vec<String> = (0..25)
        .map(|i| {
            format!(
                r#"{{"id":"{i:020}","computeInstanceId":"fhm00000000000000990","type":"FULL","createdAt":"2026-12-07T01:{m:02}:00Z","lastSeenAt":"2026-12-07T01:{m:02}:00Z","size":"1073741824","deduplicatedSize":"1073741824","backedUpDataSize":"1073741824","originalDataSize":"1073741824","vaultId":"vault-1","archiveId":"archive-1","policyId":"policy-1","resourceId":"resource-1"}}"#,
                m = i % 60
            )
        })
        .collect();
    Bytes::from(format!(
        r#"{{"backups":[{}],"nextPageToken":""}}"#,
        records.join(",")
    ))
}

/// A keep-alive HTTP/1.1 server of `body` on a thread (and runtime) of its own.
fn serve(body: Bytes) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(l.local_addr().unwrap()).unwrap();
            loop {
                let Ok((s, _)) = l.accept().await else {
                    continue;
                };
                let body = body.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |_req| {
                        let b = body.clone();
                        async move {
                            Ok::<_, Infallible>(
                                hyper::Response::builder()
                                    .header("content-type", "application/json")
                                    .body(Full::new(b))
                                    .unwrap(),
                            )
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(s), svc)
                        .await;
                });
            }
        });
    });
    rx.recv().unwrap()
}

/// This thread's CPU time so far (kernel included), in nanoseconds.
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Reqwest,
    Hyper,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Reqwest => "reqwest (the exporter's client)",
            Which::Hyper => "hyper-util client",
        }
    }
}

struct Clients {
    url: String,
    reqwest: reqwest::Client,
    hyper: HyperClient<HttpConnector, Empty<Bytes>>,
    expected: usize,
}

const USER_AGENT: &str = concat!("cloud-task-exporter/", env!("CARGO_PKG_VERSION"));

impl Clients {
    /// One GET and its whole body, as the exporter's `Http::attempt` does it (a timeout
    /// around both; the same request headers for the two clients).
    async fn get(&self, which: Which) {
        let len = tokio::time::timeout(Duration::from_secs(30), async {
            match which {
                Which::Reqwest => {
                    let r = self
                        .reqwest
                        .get(&self.url)
                        .header("authorization", "Bearer t1.bench")
                        .header("accept", "application/json")
                        .send()
                        .await
                        .unwrap();
                    r.bytes().await.unwrap().len()
                }
                Which::Hyper => {
                    let req = hyper::Request::get(self.url.as_str())
                        .header("user-agent", USER_AGENT)
                        .header("authorization", "Bearer t1.bench")
                        .header("accept", "application/json")
                        .header("accept-encoding", "gzip")
                        .body(Empty::new())
                        .unwrap();
                    let r = self.hyper.request(req).await.unwrap();
                    r.into_body().collect().await.unwrap().to_bytes().len()
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(len, self.expected);
    }

    /// `n` requests, `concurrency` at a time; the thread's CPU per request in µs.
    async fn round(self: &std::sync::Arc<Self>, which: Which, n: usize, concurrency: usize) -> f64 {
        let start = thread_cpu_ns();
        let mut set = tokio::task::JoinSet::new();
        for w in 0..concurrency {
            let me = std::sync::Arc::clone(self);
            let share = n / concurrency + usize::from(w < n % concurrency);
            set.spawn_local(async move {
                for _ in 0..share {
                    me.get(which).await;
                }
            });
        }
        while set.join_next().await.is_some() {}
        (thread_cpu_ns() - start) as f64 / 1000.0 / n as f64
    }
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut only = None;
    let mut requests = 5_000usize;
    let mut rounds = 5usize;
    let mut concurrency = 1usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "reqwest" => only = Some(Which::Reqwest),
            "hyper" => only = Some(Which::Hyper),
            "--requests" => requests = args.next().unwrap().parse().unwrap(),
            "--rounds" => rounds = args.next().unwrap().parse().unwrap(),
            "--concurrency" => concurrency = args.next().unwrap().parse().unwrap(),
            "--bench" => {}
            other => panic!(
                "client bench: unknown argument '{other}'\nusage: cargo bench --bench client -- [reqwest | hyper] [--requests N] [--rounds N] [--concurrency N]"
            ),
        }
    }
    let body = page();
    let addr = serve(body.clone());
    let clients = std::sync::Arc::new(Clients {
        url: format!(
            "http://{addr}/backup/v1/backups?computeInstanceId=fhm00000000000000990&pageSize=25"
        ),
        reqwest: cloud_task_exporter::provider::http::client(),
        hyper: HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build_http(),
        expected: body.len(),
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let sides: Vec<Which> = match only {
            Some(w) => vec![w],
            None => vec![Which::Reqwest, Which::Hyper],
        };
        // Connections opened and code paths warmed before anything is measured.
        for &w in &sides {
            clients.round(w, 500, concurrency).await;
        }
        if only.is_some() {
            let us = clients.round(sides[0], requests, concurrency).await;
            println!("{}: {us:.2} µs CPU per request", sides[0].name());
            return;
        }
        println!(
            "{requests} GETs of a {} byte page per round, {concurrency} in flight, alternated",
            body.len()
        );
        let mut figures = [Vec::new(), Vec::new()];
        for r in 1..=rounds {
            let mut line = format!("round {r}:");
            for (i, &w) in sides.iter().enumerate() {
                let us = clients.round(w, requests, concurrency).await;
                figures[i].push(us);
                line += &format!("  {} {us:.1} µs", w.name());
            }
            println!("{line}");
        }
        let a = median(&mut figures[0]);
        let b = median(&mut figures[1]);
        println!(
            "medians: {} {a:.1} µs, {} {b:.1} µs per request; reqwest / hyper-util {:.2}×",
            Which::Reqwest.name(),
            Which::Hyper.name(),
            a / b
        );
    });
}
