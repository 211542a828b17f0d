//! What this binary is: version, git revision and build date (baked in by `build.rs`), as
//! `--version` prints them and `cloud_task_exporter_build_info` carries them.

/// The crate version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The git revision the binary was built from (`unknown` when built outside git).
pub const REVISION: &str = env!("CLOUD_TASK_EXPORTER_REVISION");

/// When the binary was built, `YYYYMMDD-HH:MM:SS` in UTC (`SOURCE_DATE_EPOCH` when set).
pub const BUILD_DATE: &str = env!("CLOUD_TASK_EXPORTER_BUILD_DATE");

/// The `--version` text, in the shape the Prometheus exporters print:
///
/// ```text
/// cloud-task-exporter, version 0.1.0 (revision: 3f2a9c1d0b7e)
///   build date:       20261201-02:16:00
///   platform:         linux/x86_64
/// ```
pub fn print() -> String {
    format!(
        "cloud-task-exporter, version {VERSION} (revision: {REVISION})\n  build date:       {BUILD_DATE}\n  platform:         {}/{}\n",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
