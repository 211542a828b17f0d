#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The integration test binary: one module per topic.

// Exactly-once accounting properties.
mod accounting;
// Metrics rendering of a fixed scenario compared with tests/golden/*.prom.
mod golden;
// HTTP routes called without a socket.
mod http;
// kill -9 during state-file writes.
mod state_crash;
// --web.config.file: TLS, client certificates and basic auth on a socket.
mod webcfg;
// Shared helpers: scenario builders, metric matchers, promtool.
mod support;
