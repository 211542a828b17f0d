//! Bakes the git revision and the build date into the binary, for `--version` and
//! `cloud_task_exporter_build_info`.
//!
//! - Revision: `CLOUD_TASK_EXPORTER_REVISION` when set (the Dockerfile's `REVISION` build arg),
//!   else `git rev-parse --short=12 HEAD`, else `unknown` (a source tarball, or the Docker build
//!   context, which has no `.git`).
//! - Build date: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the time this script
//!   ran, as `YYYYMMDD-HH:MM:SS` in UTC like the Prometheus exporters print it.
//!
//! The script reruns only when those variables or the checked-out commit change, so an edit of
//! a source file does not move the build date or force a rebuild.
//!
//! It also tells the tests which real tools this machine lacks: outside CI, a test that needs
//! Debian's `promtool`, `prometheus` or `chromium` and `chromedriver`, or Python's `botocore`,
//! is compiled as ignored, with the reason, when the tool is missing (`cfg(missing_promtool)`
//! and so on), so that
//! `cargo test` reports it as ignored rather than passed; with `CI=true` nothing is ignored
//! and a missing tool fails its test. Installing a tool reruns the script (it watches the
//! directories of `PATH`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CLOUD_TASK_EXPORTER_REVISION");
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");

    let revision = match std::env::var("CLOUD_TASK_EXPORTER_REVISION") {
        Ok(r) if !r.trim().is_empty() => r.trim().to_string(),
        _ => git_revision().unwrap_or_else(|| "unknown".to_string()),
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        });
    println!("cargo:rustc-env=CLOUD_TASK_EXPORTER_REVISION={revision}");
    println!(
        "cargo:rustc-env=CLOUD_TASK_EXPORTER_BUILD_DATE={}",
        format_date(epoch)
    );
    missing_tools();
    missing_botocore();
}

/// `cfg(missing_botocore)` when `python3` cannot import botocore, outside CI only. Installing
/// it into the interpreter's site-packages reruns the script.
fn missing_botocore() {
    println!("cargo::rustc-check-cfg=cfg(missing_botocore)");
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        return;
    }
    let python = |code: &str| {
        Command::new("python3")
            .args(["-c", code])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if python("import botocore").is_some() {
        return;
    }
    println!("cargo:rustc-cfg=missing_botocore");
    if let Some(dirs) = python("import site; print('\\n'.join(site.getsitepackages()))") {
        for d in dirs.lines().filter(|d| Path::new(d).is_dir()) {
            println!("cargo:rerun-if-changed={d}");
        }
    }
}

/// `cfg(missing_<tool>)` for each test tool not on `PATH`, outside CI only.
fn missing_tools() {
    println!("cargo:rerun-if-env-changed=CI");
    println!("cargo:rerun-if-env-changed=PATH");
    let tools: [(&str, &[&str]); 3] = [
        ("promtool", &["promtool"]),
        ("prometheus", &["prometheus"]),
        ("chromium", &["chromium", "chromedriver"]),
    ];
    for (cfg, _) in &tools {
        println!("cargo::rustc-check-cfg=cfg(missing_{cfg})");
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs: Vec<PathBuf> = std::env::split_paths(&path)
        .filter(|d| d.is_dir())
        .collect();
    let mut watch = false;
    for (cfg, bins) in tools {
        let found: Vec<Option<PathBuf>> = bins
            .iter()
            .map(|b| dirs.iter().map(|d| d.join(b)).find(|p| p.is_file()))
            .collect();
        if found.iter().all(Option::is_some) {
            // Removing it reruns the script.
            for p in found.iter().flatten() {
                println!("cargo:rerun-if-changed={}", p.display());
            }
            continue;
        }
        watch = true;
        if !ci {
            println!("cargo:rustc-cfg=missing_{cfg}");
        }
    }
    // A tool installed later lands in one of these directories.
    if watch {
        for d in &dirs {
            println!("cargo:rerun-if-changed={}", d.display());
        }
    }
}

/// The short commit id, and rerun triggers on the files that change with it. `None` outside a
/// git checkout or without `git`.
fn git_revision() -> Option<String> {
    let out = |args: &[&str]| -> Option<String> {
        let o = Command::new("git").args(args).output().ok()?;
        o.status.success().then_some(())?;
        let s = String::from_utf8(o.stdout).ok()?.trim().to_string();
        (!s.is_empty()).then_some(s)
    };
    let rev = out(&["rev-parse", "--short=12", "HEAD"])?;
    // In a worktree HEAD lives in the worktree's git dir and the branch ref in the common one.
    let git_dir = out(&["rev-parse", "--git-dir"]).map(PathBuf::from);
    let common = out(&["rev-parse", "--git-common-dir"]).map(PathBuf::from);
    let head_ref = out(&["symbolic-ref", "-q", "HEAD"]);
    let mut watch: Vec<PathBuf> = Vec::new();
    if let Some(d) = &git_dir {
        watch.push(d.join("HEAD"));
    }
    if let Some(c) = &common {
        watch.push(c.join("packed-refs"));
        if let Some(r) = &head_ref {
            watch.push(c.join(r));
        }
    }
    // Only existing files: cargo reruns the script on every build for a missing one.
    for p in watch.iter().filter(|p| Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={}", p.display());
    }
    Some(rev)
}

/// `YYYYMMDD-HH:MM:SS` (UTC) of a Unix time; the civil-from-days algorithm of H. Hinnant.
fn format_date(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}-{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}
