//! cloud-task-exporter: turns the task lists of cloud backup and background-task services
//! into Prometheus metrics.
//!
//! # Flow
//!
//! `config` → `app` builds one `scheduler` runner per target → each poll asks the target's
//! `provider` for every unit's tasks (HTTP, paging, decoding into the `model`) → `accounting`
//! counts each completion once and keeps the `history` → the runner publishes a snapshot to
//! the `hub` → `metrics` renders the snapshots (cached) for `/metrics`, `status` and
//! `status_page` for `/api/v1/targets` and `/`, served by `server`; `persist` writes the
//! accounts to the `state` file.
//!
//! # Layout
//!
//! The binary (`main.rs`) reads the command line and calls [`app::run`] or [`demo::run`].
//!
//! - [`config`]: the YAML file, validated into typed settings (the only YAML user); serde
//!   structs read from a tree of located nodes, so every problem names its line and key.
//!   [`config::web`]: `--web.config.file`.
//! - [`provider`]: one folder per cloud API (config keys, client, wire types, decoder, status
//!   table, demo renderer) and one registry line each; the shared HTTP client, pager (every
//!   paging stop rule), per-record decoding, poll budget and Huawei signing.
//! - [`model`]: the provider-agnostic task model and state set.
//! - `timefmt`: every time format the APIs use.
//! - [`scheduler`]: one poll loop per target; full or windowed passes per unit; `pollers`:
//!   the threads poll loops run on, apart from the HTTP server's.
//! - [`accounting`]: exactly-once counting of completions per target (pure); [`memo`]: the
//!   finished records it already knows, by their bytes, which a listing passes over.
//! - [`history`], [`rhythm`]: the bounded per-(resource, type) history and what is expected of
//!   each pair (rhythm, usual duration, active limit); `transition`: one log line per task
//!   transition.
//! - [`hub`]: the published snapshots and the cached exposition; [`metrics`]: the exposition.
//! - [`server`]: HTTP, its routes and connection limits; [`web`]: TLS, basic auth and extra
//!   headers (`--web.config.file`); [`status`], `status_page`: `/api/v1/targets` and `/`.
//! - [`state`]: the state file's format, loading and crash-safe saving; `persist`: the
//!   coalescing writer.
//! - [`app`]: the daemon: runners per target, reload, shutdown; [`shutdown`]: signals.
//! - [`demo`]: `--demo`, a world of tasks written into the simulator; [`sim`]: the simulator
//!   of every API, used by `--demo` and the tests (its own wire types, written from the API
//!   references).
//! - `scrub`: every secret and issued token removed from text that is shown or logged;
//!   [`logging`]: logfmt and JSON logs; [`version`]: `--version` and build info.
//!
//! Modules are `pub` where `main.rs`, the integration tests (`tests/it/`) or the bench
//! (`benches/pipeline.rs`) use them, and their items only where those name them; everything
//! else is crate-private, so the compiler reports what nothing uses.

pub mod accounting;
pub mod app;
pub mod config;
pub mod demo;
pub mod history;
pub mod hub;
pub mod logging;
pub mod memo;
pub mod metrics;
pub mod model;
pub(crate) mod persist;
pub(crate) mod pollers;
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
