#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The integration test binary: one module per topic.

// Exactly-once accounting properties.
mod accounting;
// The configuration loader: defaults, ${VAR}, *_file secrets, every error kind, --check-config.
mod config;
// Metrics rendering of a fixed scenario compared with tests/golden/*.prom.
mod golden;
// HTTP routes called without a socket.
mod http;
// The four Huawei providers, their auth and discovery, against the simulator.
mod huawei;
// kill -9 during state-file writes.
mod state_crash;
// The fault matrix: every provider under every fault.
mod faults;
// The real binary: --demo, promtool, SIGTERM.
mod binary;
// --web.config.file: TLS, client certificates and basic auth on a socket.
mod webcfg;
// Random bodies into every provider's decoder.
mod decoders;
// The real binary through reload, shutdown mid-poll, restart, secret hygiene, real Prometheus.
mod lifecycle;
// The poll loop on paused time.
mod schedule;
// The dashboard's and README's PromQL parse and name served metrics.
mod queries;
// The configuration shipped in deploy/ loads.
mod deploy;
// The shipped alert rules in a real Prometheus against the binary and the simulator.
mod alerts;
// Transitions, history, state file and rhythm metrics fed by accounting.
mod rhythm;
// The status page in headless chromium (chromedriver).
mod browser;
// The status page and /api/v1/targets from a known state.
mod status;
// Shared helpers: scenario builders, metric matchers, promtool.
mod support;
// Yandex Cloud Backup provider against the simulator.
mod yandex;
