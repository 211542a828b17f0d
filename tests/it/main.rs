#![allow(clippy::unwrap_used, clippy::expect_used)]

//! The integration test binary: one module per topic.

// The module layers of the crate doc hold: no upward import, no cycle.
mod architecture;
// Every tracked file cites docs/, never an outside document or an issue number.
mod docs;
// Exactly-once accounting properties.
mod accounting;
// The command line as a newcomer meets it: flags, missing config, --check-config, --version.
mod cli;
// The Grafana dashboard: JSON, unique ids, only the datasource variable, units, thresholds.
mod dashboard;
// The configuration loader: defaults, ${VAR}, *_file secrets, every error kind, --check-config.
mod config;
// Metrics rendering of a fixed scenario compared with tests/golden/*.prom.
mod golden;
// HTTP routes called without a socket.
mod http;
// The four Huawei providers, their auth and discovery, against the simulator.
mod huawei;
// Huawei credential sources: environment, profile, ECS metadata, the default chain.
mod huawei_auth;
mod huawei_oidc;
// CCE pod identity: signing, refresh, sharing, broken sources, the chain's last step.
mod huawei_pod_identity;
// AWS credential sources: auth: at its line, the chain, profiles, IMDS, web identity, roles.
mod aws_auth;
// kill -9 during state-file writes.
mod state_crash;
// Golden state files of every format loaded by this build; save-load-render round trips.
mod state_golden;
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
// Reloads against live polls: hand-over, remove and add back.
mod reload;
// Every registered provider is documented, in the example, in the demo and tested.
mod registry;
// Bounds on label values, task types and a poll's size.
mod bounds;
// The dashboard's and docs/metrics.md's PromQL parse and name served metrics.
mod queries;
// The configuration shipped in deploy/ loads.
mod deploy;
// Hostile HTTP clients: timeouts, the connection cap, a full file table.
mod conns;
// Credentials a cloud echoes in its error text appear nowhere.
mod scrub;
// Signals while the real binary starts (config and state file read from FIFOs).
mod signals;
// The shipped alert rules in a real Prometheus against the binary and the simulator.
mod alerts;
// The AWS simulator signed, paged and parsed by botocore.
mod aws_sim;
// Transitions, history, state file and rhythm metrics fed by accounting.
mod rhythm;
// The status page in headless chromium (chromedriver).
mod browser;
// The status page and /api/v1/targets from a known state.
mod status;
// Shared helpers: scenario builders, metric matchers, promtool.
mod support;
// The series budget per pair and the exposition size at 1,000 running instances.
mod series_budget;
// One test fixture per provider (providers/<kind>.rs): what the provider-generic tests know
// of it; the fault matrix runs against each.
mod providers;
// Window-bounded fetching (full passes, windowed passes, reconcile) on paused time.
mod window;
// Yandex Cloud Backup provider against the simulator.
mod yandex;
// AWS Backup provider against the simulator.
mod aws_backup;
// AWS Backup schedules: the plans of the jobs through the simulator.
mod aws_schedule;
// Task records as the SDK models allow them: nulls, other types, every time format, bad records.
mod variants;
