//! The shipped `config.example.yaml` (it loads and shows every provider and documented key)
//! and `--check-config` on the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use cloud_task_exporter::config::{self, DEFAULT_DURATION_BUCKETS, Settings};
use cloud_task_exporter::provider::ProviderKind;

use super::env;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.yaml")
}

/// The example config with `state_file` moved into `dir`: `/var/lib/cloud-task-exporter` does
/// not exist on a development machine, and `--check-config` checks that it is writable.
fn example_in(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(example()).unwrap();
    let state = "state_file: /var/lib/cloud-task-exporter/state.json";
    assert!(text.contains(state));
    let path = dir.join("config.yaml");
    std::fs::write(&path, text.replace(state, "state_file: state.json")).unwrap();
    path
}

#[test]
fn example_config_loads_and_covers_every_provider() {
    let text = std::fs::read_to_string(example()).unwrap();
    let c = match config::load_str_with_env(&text, &example(), &env) {
        Ok(c) => c,
        Err(e) => panic!("config.example.yaml:\n{e}"),
    };
    let mut kinds: Vec<ProviderKind> = c.targets.iter().map(|t| t.provider()).collect();
    kinds.sort();
    assert_eq!(kinds, ProviderKind::ALL.to_vec());
    assert_eq!(
        c.defaults,
        Settings::default(),
        "the example shows the defaults"
    );
    assert_eq!(c.duration_buckets, DEFAULT_DURATION_BUCKETS.to_vec());
    // Every documented key appears in the example, at least in a comment.
    for key in [
        "interval",
        "timeout",
        "lookback",
        "page_size",
        "max_pages",
        "retries",
        "retry_backoff",
        "requests_per_second",
        "concurrency",
        "max_response_bytes",
        "reconcile_interval",
        "state_file",
        "duration_buckets",
        "shard",
        "endpoint",
        "labels",
        "iam_token",
        "iam_token_file",
        "oauth_token",
        "oauth_token_file",
        "service_account_key_file",
        "service_account_key:",
        "metadata: true",
        "metadata_url",
        "iam_endpoint",
        "compute_instance_ids",
        "folder_id",
        "region",
        "project_id",
        "access_key",
        "access_key_file",
        "secret_key_file",
        "security_token",
        "security_token_file",
        "iam:",
        "domain",
        "user",
        "password_file",
        "filters",
        "policy_ids",
        "cluster_ids",
        "instance_ids",
        "engine",
        "discover",
        "job_types",
        "access_key_id",
        "access_key_id_file",
        "secret_access_key",
        "secret_access_key_file",
        "session_token",
        "session_token_file",
        "environment: true",
        "backupVaultName",
        "resourceType",
        "accountId",
    ] {
        assert!(text.contains(key), "config.example.yaml lacks {key}");
    }
}

fn exporter() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cloud-task-exporter"));
    cmd.env_clear();
    cmd
}

#[test]
fn check_config_prints_ok_for_the_example() {
    let mut cmd = exporter();
    for v in [
        "YC_IAM_TOKEN",
        "HW_ACCESS_KEY",
        "HW_SECRET_KEY",
        "HW_IAM_PASSWORD",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
    ] {
        cmd.env(v, env(v).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let path = example_in(dir.path());
    let out = cmd
        .arg(format!("--config.file={}", path.display()))
        .arg("--check-config")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("OK"), "{stdout}");
    assert!(stdout.contains(" targets)"), "{stdout}");
    assert!(!stdout.contains("sk-example-secret"));
}

#[test]
fn check_config_prints_every_error_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.yaml");
    std::fs::write(
        &path,
        "targets:\n  - name: yc\n    provider: yandex_backup\n    auth: { iam_token: t, oauth_token: o }\n    compute_instance_ids: [a]\n    intervl: 5m\n",
    )
    .unwrap();
    let out = exporter()
        .arg(format!("--config.file={}", path.display()))
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let p = path.display();
    assert!(
        stderr.contains(&format!(
            "{p}:6: target 'yc': intervl: unknown key (did you mean 'interval'?)"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "{p}:4: target 'yc': auth: two auth methods given (iam_token, oauth_token)"
        )),
        "{stderr}"
    );
    // Without the environment the example names each unset variable.
    let out = exporter()
        .arg(format!("--config.file={}", example().display()))
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("environment variable YC_IAM_TOKEN is not set"),
        "{stderr}"
    );
}

/// What the example's comments say of the binary holds: the reserved label names it lists
/// are exactly those refused, and the log line it quotes for a listing cut at `max_pages` is
/// one the exporter writes.
#[test]
fn the_examples_words_match_the_binary() {
    let text = std::fs::read_to_string(example()).unwrap();
    let listed: String = text
        .lines()
        .skip_while(|l| !l.contains("not one the exporter sets"))
        .take_while(|l| !l.contains("auth       credentials"))
        .collect::<Vec<_>>()
        .join(" ");
    let start = listed.find('(').expect("the list opens") + 1;
    let end = listed.rfind(')').expect("the list closes");
    let mut names: Vec<&str> = listed[start..end]
        .split(|c: char| c == ',' || c == '#' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    names.sort_unstable();
    let mut reserved = config::RESERVED_LABELS.to_vec();
    reserved.sort_unstable();
    assert_eq!(names, reserved, "the example's reserved label names");

    let pager = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/provider/pager.rs"),
    )
    .unwrap();
    let quoted = "Stopped paging at max_pages";
    assert!(text.contains(quoted) && pager.contains(quoted));
}
