//! Configuration: the validated types the rest of the exporter reads (`docs/configuration.md`).
//!
//! Two stages (ripgrep's lowargs/hiargs): `file.rs` reads the YAML into a tree of located
//! nodes and is the only user of the YAML crate; `de.rs` lets serde derive config structs
//! from that tree (`#[serde(deny_unknown_fields)]`, every field a located `Val`), so that
//! every problem of a file is reported at once with its file, line, target and key;
//! `value.rs` holds what each kind of value accepts. `load.rs` reads the top level,
//! `settings.rs` the polling settings, `target.rs` the keys every target has; each
//! provider's keys are declared and checked in its folder (`provider/<kind>/config.rs`),
//! which `target.rs` reaches through the provider registry, reporting to a `keys::TargetCx`
//! (problems go to `cx.rs`'s list). Two layers live here (the crate doc's "Layers"): the
//! toolkit (`file`, `de`, `value`, `check`, `duration`, `secret`, `settings`, `cx`, `keys`,
//! `web`), which names no provider and which the providers use, and the loader above the
//! registry (this file, `load.rs`, `target.rs`). By then `${VAR}`s are expanded,
//! `*_file` secrets read, endpoints and credentials parsed: nothing outside this module and
//! the providers' config files re-checks what these types promise. `web.rs` reads the
//! separate `--web.config.file` (TLS, basic auth) in the exporter-toolkit's format and with
//! its own message shape (`file: line N: key: problem`, one problem at a time), which
//! `tests/it/webcfg.rs` pins.

pub(crate) mod check;
pub(crate) mod cx;
pub(crate) mod de;
mod duration;
mod file;
pub(crate) mod keys;
mod load;
pub(crate) mod secret;
pub(crate) mod settings;
mod target;
pub(crate) mod value;
pub mod web;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use check::RESERVED_LABELS;
pub use cx::{ConfigError, ConfigErrors};
pub use keys::{Discover, Resources};
pub use load::load_str_with_env;
pub use secret::Secret;
pub use settings::{Expect, Settings};
pub use value::BaseUrl;

use crate::provider::{ProviderKind, TargetSpec};

/// The default `duration_buckets` (seconds): 30s to 1d.
pub const DEFAULT_DURATION_BUCKETS: [f64; 11] = [
    30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0,
];

/// The whole validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file it was read from (for messages).
    pub source: PathBuf,
    /// Resolved defaults (after applying the file's `defaults:` over the built-in ones).
    pub defaults: Settings,
    /// Where accounting state is persisted, if anywhere.
    pub state_file: Option<PathBuf>,
    /// Buckets of `cloud_task_duration_seconds`, strictly increasing.
    pub duration_buckets: Vec<f64>,
    /// Which share of the resources this replica polls.
    pub shard: Shard,
    /// The targets, in file order; names are unique; never empty for a loaded file.
    pub targets: Vec<Target>,
    /// Doubts that did not stop the file from loading (a Huawei region this version does not
    /// know, say): `--check-config` prints them, startup and reload log them.
    pub warnings: Vec<ConfigError>,
}

impl Config {
    /// Reads, parses and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        load::load_file(path)
    }

    /// Parses and validates config text; `source` names it in messages.
    pub fn from_str(text: &str, source: &Path) -> Result<Config, ConfigErrors> {
        load::load_str(text, source)
    }
}

/// `shard: { index, total }`: this replica polls resources whose stable hash % total == index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 0-based index of this replica.
    pub index: u32,
    /// Number of replicas (≥ 1).
    pub total: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, total: 1 }
    }
}

/// One polled account + service.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    /// Unique name; the `target` label.
    pub name: String,
    /// Base URL override (`scheme://host[:port]`).
    pub endpoint: Option<BaseUrl>,
    /// Static labels added to every series of this target, sorted by name.
    pub labels: BTreeMap<String, String>,
    /// Effective settings (defaults overridden per target).
    pub settings: Settings,
    /// The provider's own keys, validated.
    pub spec: TargetSpec,
}

impl Target {
    /// The provider this target polls.
    pub fn provider(&self) -> ProviderKind {
        self.spec.kind()
    }
}
