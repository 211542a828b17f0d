//! `--demo`: the simulator in-process, tasks that queue, run, progress, succeed, fail and
//! time out, and a generated config pointed at it.

use std::net::SocketAddr;

use tokio_util::sync::CancellationToken;

/// Runs the demo until SIGTERM/SIGINT.
pub async fn run(
    _listen: SocketAddr,
    _telemetry_path: &str,
    _stop: CancellationToken,
) -> anyhow::Result<()> {
    anyhow::bail!("demo not implemented yet")
}
