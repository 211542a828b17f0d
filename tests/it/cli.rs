//! The command line as a newcomer meets it: typos in flags, no config at all, a config that
//! points at a missing state directory or an unknown region, `--version`. Each error is printed
//! once and says what to write instead.

use std::path::Path;
use std::process::{Command, Output};

use crate::binary::Exporter;

/// The binary with an empty environment, run in `cwd`.
fn run(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cloud-task-exporter"))
        .env_clear()
        .current_dir(cwd)
        .args(args)
        .output()
        .expect("run the exporter")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A valid one-target config (the simulator is not needed: `--check-config` does not poll).
fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const ONE_TARGET: &str = "
targets:
  - name: yc
    provider: yandex_backup
    endpoint: http://127.0.0.1:1
    auth: { iam_token: t1.test }
    compute_instance_ids: [fhm1]
    interval: 2s
    timeout: 1s
    retries: 0
";

#[test]
fn unknown_log_level_is_rejected_with_the_valid_values() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!("--config.file={}", write(dir.path(), "c.yaml", ONE_TARGET));
    for bad in ["verbose", "warning", "trace", ""] {
        let o = run(
            dir.path(),
            &[&cfg, "--check-config", &format!("--log.level={bad}")],
        );
        assert_eq!(o.status.code(), Some(2), "--log.level={bad}: {o:?}");
        let e = stderr(&o);
        assert!(
            e.contains("--log.level") && e.contains("debug, info, warn, error"),
            "--log.level={bad}: {e}"
        );
    }
    for good in ["debug", "info", "warn", "error", "WARN", "Info"] {
        let o = run(
            dir.path(),
            &[&cfg, "--check-config", &format!("--log.level={good}")],
        );
        assert!(o.status.success(), "--log.level={good}: {}", stderr(&o));
    }
}

#[test]
fn no_arguments_and_no_config_says_how_to_fix_it_once() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&[][..], &["--check-config"][..]] {
        let o = run(dir.path(), args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        let e = stderr(&o);
        assert!(
            e.contains("--config.file=PATH") && e.contains("--demo"),
            "{args:?}: {e}"
        );
        assert!(
            e.contains(
                "no --config.file was given, and the default cloud-task-exporter.yaml is not in"
            ),
            "{args:?}: {e}"
        );
        assert_eq!(
            e.matches("cannot read config file").count(),
            1,
            "printed once: {e}"
        );
    }
    // The daemon (not --check-config) reports through its logger, in the chosen format.
    let o = run(dir.path(), &[]);
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(
        e.starts_with("ts=") && e.contains("level=error") && !e.contains("\nerror:"),
        "{e}"
    );
    let o = run(dir.path(), &["--log.format=json"]);
    let e = stderr(&o);
    let v: serde_json::Value = serde_json::from_str(e.trim()).unwrap_or_else(|_| panic!("{e}"));
    assert_eq!(v["level"], "ERROR", "{e}");
}

#[test]
fn a_fatal_config_error_is_printed_once_per_problem() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "c.yaml",
        "defaults:\n  interval: 5 minutes\n  timeout: 1 hour\ntargets: []\n",
    );
    let o = run(dir.path(), &[&format!("--config.file={cfg}")]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 3, "{e}");
    assert_eq!(e.matches("write 5m").count(), 1, "{e}");
    assert_eq!(e.matches("write 1h").count(), 1, "{e}");
    assert_eq!(e.matches("at least one target").count(), 1, "{e}");
}

#[test]
fn a_bare_port_as_listen_address_gets_the_colon_hint() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!("--config.file={}", write(dir.path(), "c.yaml", ONE_TARGET));
    let o = run(dir.path(), &[&cfg, "--web.listen-address=9745"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("write :9745"), "{e}");
    assert_eq!(e.lines().count(), 1, "{e}");
}

#[test]
fn other_slips_get_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = format!("--config.file={}", write(dir.path(), "c.yaml", ONE_TARGET));
    // A telemetry path without its slash would serve /metrics nowhere.
    let o = run(
        dir.path(),
        &[&cfg, "--check-config", "--web.telemetry-path=metrics"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("write /metrics"), "{}", stderr(&o));
    // An explicit --config.file that does not exist.
    let o = run(dir.path(), &["--config.file=nope.yaml"]);
    let e = stderr(&o);
    assert!(
        e.contains("check --config.file (a relative path is read from") && e.contains("--demo"),
        "{e}"
    );
    // The part of a provider id people remember.
    let bad = write(
        dir.path(),
        "p.yaml",
        &ONE_TARGET.replace("provider: yandex_backup", "provider: yandex"),
    );
    let o = run(
        dir.path(),
        &[&format!("--config.file={bad}"), "--check-config"],
    );
    assert!(
        stderr(&o).contains("unknown provider 'yandex' (did you mean 'yandex_backup'?)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn check_config_says_target_in_the_singular() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "c.yaml", ONE_TARGET);
    let o = run(
        dir.path(),
        &[&format!("--config.file={cfg}"), "--check-config"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), format!("OK: {cfg} (1 target)\n"));
}

#[test]
fn check_config_requires_a_writable_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let missing = dir.path().join("missing");
    for (state, want) in [
        (
            missing.join("state.json"),
            format!("directory {} does not exist", missing.display()),
        ),
        (
            file.join("state.json"),
            format!("{} is not a directory", file.display()),
        ),
        (
            dir.path().to_path_buf(),
            format!("{} is a directory", dir.path().display()),
        ),
    ] {
        let cfg = write(
            dir.path(),
            "c.yaml",
            &format!("state_file: {}\n{ONE_TARGET}", state.display()),
        );
        let o = run(
            dir.path(),
            &[&format!("--config.file={cfg}"), "--check-config"],
        );
        assert_eq!(o.status.code(), Some(1), "{}", state.display());
        let e = stderr(&o);
        assert!(e.contains(&format!("{cfg}: state_file: {want}")), "{e}");
    }
    // A directory that exists is fine, and nothing is left behind by the check.
    let cfg = write(
        dir.path(),
        "c.yaml",
        &format!("state_file: state/state.json\n{ONE_TARGET}"),
    );
    std::fs::create_dir(dir.path().join("state")).unwrap();
    let o = run(
        dir.path(),
        &[&format!("--config.file={cfg}"), "--check-config"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_dir(dir.path().join("state")).unwrap().count(),
        0
    );
}

#[test]
fn check_config_warns_about_an_unknown_region_and_still_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "c.yaml",
        "
targets:
  - name: hw
    provider: huawei_cbr
    region: ap-southest-1
    project_id: p1
    auth: { access_key: ak, secret_key: sk }
  - name: hw-own-endpoint
    provider: huawei_cbr
    region: eu-de
    endpoint: https://cbr.eu-de.otc.t-systems.com
    project_id: p1
    auth: { access_key: ak, secret_key: sk }
",
    );
    let o = run(
        dir.path(),
        &[&format!("--config.file={cfg}"), "--check-config"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("warning: {cfg}:5: target 'hw': region: 'ap-southest-1' is not a Huawei Cloud region this version knows (did you mean 'ap-southeast-1'?)")),
        "{e}"
    );
    assert!(e.contains("only a warning"), "{e}");
    assert_eq!(
        e.lines().count(),
        1,
        "no warning with an explicit endpoint: {e}"
    );
    assert!(stdout(&o).starts_with("OK"));
}

#[test]
fn a_tab_in_the_yaml_says_to_use_spaces() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "c.yaml",
        "targets:\n  - name: yc\n\tprovider: yandex_backup\n",
    );
    let o = run(
        dir.path(),
        &[&format!("--config.file={cfg}"), "--check-config"],
    );
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(
        e.contains("line 3 is indented with a tab character") && e.contains("use spaces"),
        "{e}"
    );
}

#[test]
fn version_prints_version_revision_and_build_date() {
    let dir = tempfile::tempdir().unwrap();
    let o = run(dir.path(), &["--version"]);
    assert!(o.status.success());
    let out = stdout(&o);
    let mut lines = out.lines();
    let first = lines.next().unwrap_or_default();
    let want = format!(
        "cloud-task-exporter, version {} (revision: ",
        env!("CARGO_PKG_VERSION")
    );
    assert!(first.starts_with(&want) && first.ends_with(')'), "{out}");
    let revision = &first[want.len()..first.len() - 1];
    assert!(
        revision == "unknown"
            || (revision.len() >= 7 && revision.bytes().all(|b| b.is_ascii_hexdigit())),
        "{out}"
    );
    let date = lines
        .next()
        .and_then(|l| l.strip_prefix("  build date:"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("{out}"));
    // 20261201-02:16:00
    assert!(
        date.len() == 17 && date.as_bytes()[8] == b'-' && date[..8].parse::<u32>().is_ok(),
        "{out}"
    );
    assert_eq!(revision, cloud_task_exporter::version::REVISION);
    assert_eq!(date, cloud_task_exporter::version::BUILD_DATE);
    // cloud_task_exporter_build_info carries the same.
    let hub = cloud_task_exporter::hub::Hub::new();
    let text = cloud_task_exporter::metrics::exposition(&hub, &[1.0]);
    let text = String::from_utf8_lossy(&text);
    let want = format!(
        "cloud_task_exporter_build_info{{builddate=\"{date}\",revision=\"{revision}\",version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    );
    assert!(text.lines().any(|l| l == want), "{want}\n{text}");
}

/// A target whose first poll fails says there is no data yet, not "serving the last good data".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_failed_poll_says_there_is_no_data_yet() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(dir.path(), "c.yaml", ONE_TARGET);
    let exp = Exporter::with_config(Path::new(&cfg), &[]);
    let log = exp
        .wait_log(std::time::Duration::from_secs(30), |l| {
            l.contains("msg=\"Poll failed;")
        })
        .await;
    assert!(log.contains("Poll failed; no data yet."), "{log}");
    assert!(!log.contains("serving the last good data"), "{log}");
}
