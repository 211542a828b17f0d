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
//! # Layers
//!
//! The modules form a stack. A module uses modules of its own layer and of the layers below,
//! never one above, and no module uses one that uses it back (`tests/it/architecture.rs`
//! reads every `use` in `src/` and holds the crate to this list; `docs/design.md` shows the
//! same). A module listed covers its descendants unless one is listed itself. Bottom first:
//!
//! 1. `version`, `shutdown`, `pollers`, `timefmt`, `schedule`, `scrub`: leaves, which know no
//!    other module.
//! 2. `config::secret`, `config::duration`, `config::value`, `config::file`, `config::de`,
//!    `config::check`, `config::cx`, `config::keys`, `config::settings`, `config::web`: the
//!    config toolkit, which names no provider.
//! 3. `model`, `memo`: the provider-neutral task and the memo of known records.
//! 4. `history`, `transition`, `accounting`, `rhythm`: exactly-once counting and what is
//!    expected of each pair.
//! 5. `sim`, `demo::service`: the simulator, and how a provider shows the demo's tasks.
//! 6. `provider::error`, `provider::budget`, `provider::token`, `provider::http`,
//!    `provider::field`, `provider::records`, `provider::pager`, `provider::plugin`,
//!    `provider::huawei`: what providers share, and the plug-in traits.
//! 7. `provider`: the provider folders and the registry.
//! 8. `config`: the config loader (`Config`, `Target`), which reads the registry.
//! 9. `hub`, `state`: published snapshots, the state file's format.
//! 10. `metrics`, `status`, `status_page`, `persist`: what is served and saved.
//! 11. `scheduler`: one poll loop per target.
//! 12. `web`, `server`: HTTP.
//! 13. `app`, `demo`, `logging`: the daemon, `--demo` and the logs (`main.rs` is above all).
//!
//! # Layout
//!
//! The binary (`main.rs`) reads the command line and calls [`app::run`] or [`demo::run`].
//!
//! - [`config`]: the YAML file, validated into typed settings (the only YAML user). The
//!   toolkit names no provider: `file` (located nodes), `de` (serde structs read from them,
//!   so every problem names its line and key), `value`, `check`, `duration`, `secret`,
//!   `settings`, `cx` (the problems found so far) and `keys` (what a provider's checks of its
//!   own keys report to). Above the providers, `config` itself, `load` and `target` read the
//!   file and each target through the provider registry. [`config::web`]:
//!   `--web.config.file`.
//! - [`provider`]: one folder per cloud API (config keys, client, wire types, decoder, status
//!   table, demo renderer) and one registry line each (`provider/mod.rs`, `registry.rs`);
//!   below them what they share: the plug-in traits (`plugin`), the HTTP client, the pager
//!   (every paging stop rule), record fields (`field`) and page decoding (`records`), the poll
//!   budget, bearer tokens and Huawei signing.
//! - [`model`]: the provider-agnostic task model and state set.
//! - `timefmt`: every time format the APIs use, and the wall clock; `schedule`: the backup
//!   policies' schedules (VBS, CBR, Yandex backup sets, AWS Backup rules) and when each run is due.
//! - [`scheduler`]: one poll loop per target; full or windowed passes per unit; `pollers`:
//!   the threads poll loops run on, apart from the HTTP server's.
//! - [`accounting`]: exactly-once counting of completions per target (pure), with what it
//!   shows (`tallies`), its label bounds (`labels`) and histogram data (`histogram`);
//!   [`memo`]: the finished records it already knows, by their bytes, which a listing passes
//!   over.
//! - [`history`], [`rhythm`]: the bounded per-(resource, type) history and what is expected of
//!   each pair (rhythm, usual duration, active limit); `transition`: one log line per task
//!   transition.
//! - [`hub`]: the published snapshots and the cached exposition; [`metrics`]: the exposition.
//! - [`server`]: HTTP, its routes and connection limits; [`web`]: TLS, basic auth and extra
//!   headers (`--web.config.file`); [`status`], `status_page`: `/api/v1/targets` and `/`.
//! - [`state`]: the state file's format, loading and crash-safe saving; `persist`: the
//!   coalescing writer.
//! - [`app`]: the daemon: runners per target, reload, shutdown; [`shutdown`]: signals.
//! - [`demo`]: `--demo`, a world of tasks written into the simulator (`demo::service`: how a
//!   provider renders them); [`sim`]: the simulator of every API, used by `--demo` and the
//!   tests (its own wire types, written from the API references in `docs/providers.md`).
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
#[allow(dead_code, reason = "wired to the providers in the schedules issue")]
pub mod schedule;
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
