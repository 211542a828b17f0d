//! `kill -9` in the middle of state-file writes: the file left behind is always a complete,
//! loadable state (never half-read, never moved aside as corrupt), and the dead writer's temp
//! file is cleared on the next load.
//!
//! The writer is this same test binary, re-run with `--ignored` and `CTE_STATE_WRITER=<path>`
//! so that it runs [`writer_child`] as a loop of saves until it is killed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use cloud_task_exporter::state::{self, SeenEntry, StateFile, TargetState, VERSION};

const ENV: &str = "CTE_STATE_WRITER";

/// A state of `generation`, big enough (~1 MB) that a write takes a while.
fn state_of(generation: u64) -> StateFile {
    let seen = (0..10_000)
        .map(|i| SeenEntry {
            id: format!("task-{generation}-{i:05}"),
            terminal: i % 3 == 0,
            last_ts: 1_700_000_000.0 + i as f64,
            unknown: None,
        })
        .collect();
    let mut targets = BTreeMap::new();
    targets.insert(
        "t".to_string(),
        TargetState {
            provider: "yandex_backup".into(),
            seen,
            requests: BTreeMap::from([("200".to_string(), generation)]),
            ..TargetState::default()
        },
    );
    StateFile {
        version: VERSION,
        targets,
    }
}

/// Not a test on its own: the helper process of the test below, run explicitly by it with
/// `CTE_STATE_WRITER` set; it saves new generations forever.
#[test]
#[ignore = "helper process of kill_9_during_writes_never_leaves_a_half_file"]
fn writer_child() {
    let path = std::env::var(ENV).expect("CTE_STATE_WRITER names the state file");
    let path = Path::new(&path);
    for generation in 1.. {
        state::save(path, &state_of(generation)).unwrap();
    }
}

#[test]
fn kill_9_during_writes_never_leaves_a_half_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let exe = std::env::current_exe().unwrap();
    let mut complete = 0;
    for round in 0u64..25 {
        let mut child = Command::new(&exe)
            .args([
                "state_crash::writer_child",
                "--exact",
                "--ignored",
                "--nocapture",
            ])
            .env(ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Kill at a different point of the write cycle each round.
        std::thread::sleep(Duration::from_millis(40 + round * 7));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();

        let loaded = state::load(&path);
        if path.exists() {
            let t = &loaded.targets["t"];
            let generation = t.requests["200"];
            assert_eq!(
                loaded,
                state_of(generation),
                "round {round}: the file must hold one whole generation"
            );
            complete += 1;
        }
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".corrupt-"))
            .collect();
        assert!(aside.is_empty(), "round {round}: moved aside {aside:?}");
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert!(
            leftovers <= 1,
            "round {round}: load must clear the dead writer's temp file"
        );
    }
    assert!(complete > 0, "the writer never finished a single save");
}

/// A state file that cannot be written is counted in the metrics, not only logged; a good one
/// sets the last-write time.
#[tokio::test]
async fn state_write_outcomes_show_in_the_metrics() {
    use cloud_task_exporter::app::App;
    use cloud_task_exporter::config::load_str_with_env;
    use cloud_task_exporter::hub::Hub;
    use cloud_task_exporter::metrics::exposition;

    use crate::support::sample;

    let dir = tempfile::tempdir().unwrap();
    let config = |state: &Path| {
        let text = format!(
            "state_file: {}\ntargets:\n  - name: yc\n    provider: yandex_backup\n    \
             endpoint: http://127.0.0.1:9\n    auth: {{ iam_token: t }}\n    \
             compute_instance_ids: [fhm1]\n",
            state.display()
        );
        load_str_with_env(&text, Path::new("test.yaml"), &|_| None).unwrap()
    };

    // Into a directory that does not exist: the write fails.
    let hub = Hub::new();
    let app = App::start(
        config(&dir.path().join("missing/state.json")),
        std::sync::Arc::clone(&hub),
    )
    .await;
    app.save_state().await;
    let text = String::from_utf8(exposition(&hub, &[1.0]).to_vec()).unwrap();
    assert_eq!(
        sample(
            &text,
            "cloud_task_exporter_state_file_write_errors_total",
            &[]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "cloud_task_exporter_state_file_last_write_success_timestamp_seconds",
            &[]
        ),
        Some(0.0)
    );
    app.stop(Duration::from_secs(1)).await;

    // A writable place: the success time is set.
    let hub = Hub::new();
    let app = App::start(
        config(&dir.path().join("state.json")),
        std::sync::Arc::clone(&hub),
    )
    .await;
    app.save_state().await;
    let text = String::from_utf8(exposition(&hub, &[1.0]).to_vec()).unwrap();
    let at = sample(
        &text,
        "cloud_task_exporter_state_file_last_write_success_timestamp_seconds",
        &[],
    )
    .unwrap();
    assert!(at > 1.7e9, "{at}");
    assert_eq!(
        sample(
            &text,
            "cloud_task_exporter_state_file_write_errors_total",
            &[]
        ),
        Some(0.0)
    );
    app.stop(Duration::from_secs(1)).await;
}
