//! cloud-task-exporter: turns the task lists of cloud backup and background-task services
//! into Prometheus metrics.
//!
//! Data flow: `config → scheduler → provider → model → accounting → snapshot → metrics → /metrics`.
//!
//! # Layout
//! - [`config`]: the YAML file, validated into typed settings (the only YAML user).
//! - [`model`]: the provider-agnostic task model and state set.
//! - [`timefmt`]: every time format the APIs use.
//! - [`provider`]: one module per cloud API, plus the shared HTTP client and pager.
//! - [`sim`]: the simulator of every API, used by `--demo` and the tests.
//! - [`web`]: TLS, basic auth and extra headers of the HTTP server (`--web.config.file`).
//! - [`scrub`]: every secret and issued token removed from text that is shown or logged.
//! - [`history`], [`rhythm`]: the bounded per-(resource, type) history and what is expected of
//!   each pair (rhythm, usual duration, active limit); [`transition`]: one log line per task
//!   transition; [`status`], [`status_page`]: `/api/v1/targets` and `/`.

pub mod accounting;
pub mod app;
pub mod config;
pub mod demo;
pub mod history;
pub mod hub;
pub mod logging;
pub mod metrics;
pub mod model;
pub(crate) mod persist;
pub mod provider;
pub mod rhythm;
pub mod scheduler;
pub(crate) mod scrub;
pub mod server;
pub mod shutdown;
pub mod sim;
pub mod state;
pub mod status;
pub(crate) mod status_page;
pub(crate) mod timefmt;
pub(crate) mod transition;
pub mod version;
pub mod web;
