//! Signals that arrive while the real binary starts. The exporter is made to block
//! at a known point (its config file or its state file is a FIFO the test feeds), so each
//! signal lands exactly there, however loaded the machine is; "5 ms after spawn" is the same
//! moment made deterministic.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use tokio::time::Instant;

use crate::binary::{Exporter, Starting};
use crate::lifecycle::{VM, cloud, reload_ok, stop, up, write_config, yc_static};
use crate::support::sample;

/// `O_NONBLOCK` on Linux: opening a FIFO for writing with it fails (ENXIO) until a reader has
/// it open, which is how the test learns that the exporter is inside its `open` of the file.
const O_NONBLOCK: i32 = 0o4000;

fn mkfifo(path: &Path) {
    let st = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// Waits until the exporter has `fifo` open for reading (it is blocked in `open` or `read`),
/// then returns a blocking writer to it.
fn wait_for_reader(exp: &mut Starting, fifo: &Path) -> std::fs::File {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(fifo)
        {
            // A reader is there now: a blocking open returns at once.
            Ok(_probe) => return std::fs::OpenOptions::new().write(true).open(fifo).unwrap(),
            Err(e) if e.raw_os_error() == Some(6) => {} // ENXIO: no reader yet
            Err(e) => panic!("{}: {e}", fifo.display()),
        }
        exp.assert_running();
        assert!(
            Instant::now() < deadline,
            "the exporter never opened {}",
            fifo.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Starts the exporter on `cfg` and waits until it blocks reading `fifo`; returns it and a
/// writer to the FIFO.
fn start_blocked_on(cfg: &Path, fifo: &Path) -> (Starting, std::fs::File) {
    let mut starting = Exporter::spawn(Exporter::command(&[&format!(
        "--config.file={}",
        cfg.display()
    )]));
    let writer = wait_for_reader(&mut starting, fifo);
    (starting, writer)
}

/// The caught-signal mask of a process (`SigCgt` in `/proc/PID/status`).
fn caught_signals(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .expect("SigCgt");
    u64::from_str_radix(line.trim(), 16).unwrap()
}

fn signal(pid: u32, name: &str) {
    let st = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(st.success(), "kill -{name} {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_sighup_before_the_config_is_read_is_queued_not_fatal() {
    let cloud = cloud().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let real = dir.path().join("config.real");
    write_config(&real, "", &[yc_static("yc", &cloud.url())]);
    let text = std::fs::read(&real).unwrap();
    mkfifo(&cfg);
    let (starting, mut writer) = tokio::task::block_in_place(|| start_blocked_on(&cfg, &cfg));
    let pid = starting.pid();
    // The exporter is now inside its first read of the config file: SIGHUP (bit 0), SIGINT
    // (bit 1) and SIGTERM (bit 14) already have handlers.
    let mask = caught_signals(pid);
    assert_eq!(
        mask & (1 << 0 | 1 << 1 | 1 << 14),
        1 << 0 | 1 << 1 | 1 << 14,
        "handlers missing while the config is read: SigCgt {mask:x}"
    );
    // The reload the queued SIGHUP causes reads a regular file with the same text.
    std::fs::rename(&real, &cfg).unwrap();
    signal(pid, "HUP");
    writer.write_all(&text).unwrap();
    drop(writer);

    let exp = tokio::task::block_in_place(|| starting.listening(Duration::from_secs(60)));
    exp.wait_metrics(Duration::from_secs(30), |m| {
        up(m, "yc", "yandex_backup") == Some(1.0) && reload_ok(m) == Some(1.0)
    })
    .await;
    exp.wait_log(Duration::from_secs(30), |l| {
        l.contains("Configuration reloaded.")
    })
    .await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
}

/// A state file of `seen` task ids for target `yc`, with 7 succeeded backups counted.
fn big_state(seen: usize) -> Vec<u8> {
    let now = jiff::Timestamp::now().as_second() as f64;
    let seen: Vec<serde_json::Value> = (0..seen)
        .map(
            |i| serde_json::json!({"id": format!("task-{i:09}"), "terminal": true, "last_ts": now}),
        )
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "version": 1,
        "targets": {"yc": {
            "provider": "yandex_backup",
            "baselined": [VM],
            "seen": seen,
            "completions": [{"resource": VM, "type": "backup", "result": "succeeded", "count": 7}],
            "durations": [],
            "buckets": [],
            "last": [],
            "unknown_status": {},
            "resources": [VM],
            "types": ["backup"],
            "resource_info": {},
            "requests": {},
            "poll_errors": {},
        }},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_10_sighup_while_a_large_state_file_loads_is_queued_not_fatal() {
    let cloud = cloud().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let state = dir.path().join("state.json");
    write_config(
        &cfg,
        &format!("state_file: {}\n", state.display()),
        &[yc_static("yc", &cloud.url())],
    );
    let body = big_state(100_000);
    mkfifo(&state);
    let (starting, mut writer) = tokio::task::block_in_place(|| start_blocked_on(&cfg, &state));
    let pid = starting.pid();
    let half = body.len() / 2;
    tokio::task::block_in_place(|| writer.write_all(&body[..half])).unwrap();
    // Half the file is read (the pipe holds at most 64 KiB of it): SIGHUP now.
    signal(pid, "HUP");
    tokio::task::block_in_place(|| writer.write_all(&body[half..])).unwrap_or_else(|e| {
        panic!("the exporter stopped reading its state file after SIGHUP: {e}")
    });
    drop(writer);

    let exp = tokio::task::block_in_place(|| starting.listening(Duration::from_secs(120)));
    let m = exp
        .wait_metrics(Duration::from_secs(60), |m| {
            up(m, "yc", "yandex_backup") == Some(1.0)
        })
        .await;
    // The state was restored: the counter continues from the file.
    assert_eq!(
        sample(
            &m,
            "cloud_task_completions_total",
            &[
                ("provider", "yandex_backup"),
                ("target", "yc"),
                ("resource", VM),
                ("type", "backup"),
                ("result", "succeeded"),
            ],
        ),
        Some(7.0)
    );
    exp.wait_log(Duration::from_secs(30), |l| {
        l.contains("Configuration reloaded.")
    })
    .await;
    let (code, _, log) = stop(exp, "TERM").await;
    assert_eq!(code, Some(0), "log:\n{log}");
    assert!(log.contains("Restored saved state."), "log:\n{log}");
}
