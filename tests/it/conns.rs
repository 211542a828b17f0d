//! The HTTP server against hostile clients, on a real socket: connections that never
//! send a request, send half of one, or sit idle between requests are closed within the
//! documented timeouts; long requests are not cut; the connection cap holds new clients in the
//! backlog; and the real binary, under a low open-files limit and flooded with idle
//! connections, neither spins nor floods its log, and answers again once the flood ends.

use std::time::Duration;

use cloud_task_exporter::server::{Limits, ReloadRequest};
use cloud_task_exporter::web::Web;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::support::TestServer;

/// The server over an empty hub with these limits.
async fn server(limits: Limits, reload: Option<mpsc::Sender<ReloadRequest>>) -> TestServer {
    TestServer::start_with(Web::default(), limits, reload).await
}

fn limits(header: u64, idle: u64) -> Limits {
    Limits {
        header_read_timeout: Duration::from_millis(header),
        idle_timeout: Duration::from_millis(idle),
        ..Limits::default()
    }
}

/// Sends `METHOD path` on a keep-alive connection and reads one whole response (headers and a
/// `Content-Length` body); returns its status line and body.
async fn request(s: &mut TcpStream, method: &str, path: &str) -> (String, String) {
    s.write_all(
        format!("{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk))
            .await
            .expect("response in time")
            .unwrap();
        assert!(n > 0, "closed before a response");
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("content-length");
    while buf.len() < head_end + len {
        let mut chunk = [0u8; 4096];
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "closed mid-body");
        buf.extend_from_slice(&chunk[..n]);
    }
    let status = head.lines().next().unwrap_or_default().to_string();
    (
        status,
        String::from_utf8_lossy(&buf[head_end..head_end + len]).to_string(),
    )
}

/// Waits (at most `within`) for the server to close `s`; returns how long that took from
/// `since`. Any data from the server is a failure.
async fn closed_after(s: &mut TcpStream, since: Instant, within: Duration) -> Duration {
    let mut chunk = [0u8; 1024];
    match tokio::time::timeout(within, s.read(&mut chunk)).await {
        Err(_) => panic!("still open after {within:?}"),
        Ok(Ok(0)) | Ok(Err(_)) => since.elapsed(),
        Ok(Ok(n)) => panic!(
            "unexpected data: {:?}",
            String::from_utf8_lossy(&chunk[..n])
        ),
    }
}

#[tokio::test]
async fn issue_10_a_connection_that_never_sends_a_request_is_closed_at_the_header_timeout() {
    let srv = server(limits(400, 60_000), None).await;
    let t0 = Instant::now();
    let mut s = srv.connect().await;
    let took = closed_after(&mut s, t0, Duration::from_secs(20)).await;
    // Not before the timeout: the server's clock starts after the client's.
    assert!(took >= Duration::from_millis(400), "closed after {took:?}");
    srv.shutdown().await;
}

#[tokio::test]
async fn issue_10_half_sent_headers_are_closed_at_the_header_timeout_however_slowly_they_drip() {
    let srv = server(limits(500, 60_000), None).await;
    // Headers that never end.
    let t0 = Instant::now();
    let mut s = srv.connect().await;
    s.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: test\r\n")
        .await
        .unwrap();
    closed_after(&mut s, t0, Duration::from_secs(20)).await;

    // A byte every 100 ms keeps the socket busy but does not extend the deadline.
    let t0 = Instant::now();
    let mut s = srv.connect().await;
    let drip = async {
        for b in b"GET /-/healthy HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 1000].iter())
        {
            if s.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), drip).await;
    let mut rest = [0u8; 64];
    assert!(
        matches!(s.read(&mut rest).await, Ok(0) | Err(_)),
        "the slow client still has its connection"
    );
    let took = t0.elapsed();
    // The drip would take 103 s; the header timeout ended it long before.
    assert!(took < Duration::from_secs(30), "closed only after {took:?}");

    // On a kept-alive connection, the second request's headers get the same limit, counted
    // from its first byte, not the idle timeout.
    let mut s = srv.connect().await;
    let (status, body) = request(&mut s, "GET", "/-/healthy").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "Healthy.\n");
    let t0 = Instant::now();
    s.write_all(b"GET /-/healthy HTTP/1.1\r\n").await.unwrap();
    let took = closed_after(&mut s, t0, Duration::from_secs(20)).await;
    assert!(took < Duration::from_secs(20), "{took:?}");
    srv.shutdown().await;
}

#[tokio::test]
async fn issue_10_an_idle_keep_alive_connection_lives_past_the_header_timeout_and_closes_at_the_idle_timeout()
 {
    // Idle (3 s) longer than the header timeout (300 ms), as in production (5 min, 10 s).
    let srv = server(limits(300, 3_000), None).await;
    let mut s = srv.connect().await;
    let (status, _) = request(&mut s, "GET", "/-/healthy").await;
    assert!(status.contains(" 200 "), "{status}");
    // Three header timeouts later, the idle connection still serves the next request.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let (status, _) = request(&mut s, "GET", "/nope").await;
    assert!(status.contains(" 404 "), "{status}");
    let t0 = Instant::now();
    closed_after(&mut s, t0, Duration::from_secs(30)).await;
    srv.shutdown().await;
}

#[tokio::test]
async fn issue_10_a_request_being_handled_is_not_cut_by_the_idle_timeout() {
    let (tx, mut rx) = mpsc::channel::<ReloadRequest>(1);
    let srv = server(limits(300, 500), Some(tx)).await;
    let mut s = srv.connect().await;
    let answer = tokio::spawn(async move {
        // The reload takes four idle timeouts.
        let reply = rx.recv().await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        reply.send(Ok(())).unwrap();
    });
    let (status, body) = request(&mut s, "POST", "/-/reload").await;
    assert!(status.contains(" 200 "), "{status}");
    assert_eq!(body, "config reloaded\n");
    answer.await.unwrap();
    srv.shutdown().await;
}

#[tokio::test]
async fn issue_10_beyond_the_connection_cap_new_clients_wait_for_a_free_slot() {
    let srv = server(
        Limits {
            max_connections: 2,
            ..limits(60_000, 60_000)
        },
        None,
    )
    .await;
    let mut a = srv.connect().await;
    let (status, _) = request(&mut a, "GET", "/-/healthy").await;
    assert!(status.contains(" 200 "), "{status}");
    let b = srv.connect().await;
    // The third completes its TCP handshake in the backlog, but is not served...
    let mut c = srv.connect().await;
    c.write_all(b"GET /-/healthy HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut chunk = [0u8; 256];
    assert!(
        tokio::time::timeout(Duration::from_millis(500), c.read(&mut chunk))
            .await
            .is_err(),
        "served beyond the cap"
    );
    // ...until a slot frees.
    drop(b);
    let n = tokio::time::timeout(Duration::from_secs(20), c.read(&mut chunk))
        .await
        .expect("served once a slot is free")
        .unwrap();
    assert!(String::from_utf8_lossy(&chunk[..n]).starts_with("HTTP/1.1 200"));
    drop(a);
    srv.shutdown().await;
}

/// CPU time (user + system) of a process so far, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name in parentheses; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    let hz = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok()?.trim().parse::<f64>().ok())
        .unwrap_or(100.0);
    ticks / hz
}

/// With 64 open files allowed, 150 idle connections exhaust the file table. The
/// accept loop backs off instead of spinning (a few percent of a core over the flood, where
/// it used to take a whole one), logs a handful of lines instead of hundreds of megabytes,
/// and once the clients go away `/metrics` answers again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_a_full_file_table_neither_spins_nor_floods_the_log_and_recovers() {
    use crate::binary::Exporter;
    use crate::lifecycle::{cloud, stop, up, write_config, yc_static};

    let cloud = cloud().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    write_config(&cfg, "", &[yc_static("yc", &cloud.url())]);
    // `ulimit -n` in a shell that then becomes the exporter: no unsafe `pre_exec` needed.
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        .arg(env!("CARGO_BIN_EXE_cloud-task-exporter"))
        .arg(format!("--config.file={}", cfg.display()))
        .arg("--web.listen-address=127.0.0.1:0");
    let exp =
        tokio::task::block_in_place(|| Exporter::spawn(cmd).listening(Duration::from_secs(60)));
    let pid = exp.pid();
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    assert!(
        limits
            .lines()
            .any(|l| l.starts_with("Max open files") && l.contains(" 64 ")),
        "{limits}"
    );
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0)
    })
    .await;

    // The flood: 150 connections that never send a byte, about 50 accepted until the file
    // table is full, the rest waiting in the listen backlog (128 deep).
    let mut flood = Vec::new();
    for _ in 0..150 {
        if let Ok(Ok(s)) =
            tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(exp.addr)).await
        {
            flood.push(s);
        }
    }
    assert!(flood.len() > 100, "only {} connections", flood.len());
    exp.wait_log(Duration::from_secs(30), |l| l.contains("Accept failed"))
        .await;
    let log_before = exp.log().len();
    let cpu_before = cpu_seconds(pid);
    let window = Duration::from_secs(4);
    tokio::time::sleep(window).await;
    let cpu = cpu_seconds(pid) - cpu_before;
    let log = exp.log();
    let logged = &log[log_before..];
    // A spinning loop burns the whole window; backing off, the exporter is nearly idle.
    assert!(
        cpu < 0.25 * window.as_secs_f64(),
        "{cpu:.2} s of CPU in {window:?} with a full file table"
    );
    let accept_lines = logged.matches("Accept failed").count();
    assert!(
        accept_lines <= 2 && logged.len() < 20_000,
        "{accept_lines} accept-failure lines, {} bytes of log in {window:?}:\n{logged}",
        logged.len()
    );

    // The flood ends: the exporter serves again.
    drop(flood);
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0)
    })
    .await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(log.contains("Accepting connections again."), "log:\n{log}");
}
