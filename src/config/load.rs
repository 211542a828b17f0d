//! From the YAML node tree to validated [`Config`], collecting every error.
//!
//! Every message has the shape `FILE:LINE: [target 'NAME': ]KEY: problem`, so a user (or an
//! editor's quickfix list) can jump straight to the place.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::check::suggest;
use super::cx::{ConfigError, ConfigErrors, Cx};
use super::de::{At, Reader, Val};
use super::file::{self, Node, Value};
use super::settings::{Inherited, SettingsFile};
use super::value::{FilePath, Number, U32From};
use super::{Config, DEFAULT_DURATION_BUCKETS, Settings, Shard};

pub(super) fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            message: format!("{}: cannot read config file: {e}", path.display()),
            line: None,
            target: None,
            key: None,
        }])
    })?;
    load_str(&text, path)
}

pub(super) fn load_str(text: &str, path: &Path) -> Result<Config, ConfigErrors> {
    load_str_with_env(text, path, &|name| std::env::var(name).ok())
}

/// Parses and validates config text, reading `${VAR}` values from `env` instead of the process
/// environment. `source` names the text in messages; relative `*_file` and `state_file` paths
/// are resolved against its directory.
pub fn load_str_with_env(
    text: &str,
    source: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigErrors> {
    let mut cx = Cx::new(source, env);
    let root = match file::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let hint = match file::tab_hint(text, e.line) {
                tab if tab.is_empty() => file::indent_hint(text, e.line),
                tab => tab,
            };
            cx.push(e.line, None, format!("invalid YAML: {}{hint}", e.message));
            return Err(ConfigErrors(cx.errors));
        }
    };
    let mut config = cx.config(&root);
    // In file order, so the list reads top to bottom; problems at one line keep their order.
    cx.errors.sort_by_key(|e| e.line.unwrap_or(0));
    if cx.errors.is_empty() {
        config.warnings = cx.warnings;
        Ok(config)
    } else {
        Err(ConfigErrors(cx.errors))
    }
}

/// The smallest useful config, shown when a file has no targets. One line, in flow style, so
/// that every problem stays one line (of `--check-config`, of the log, of a 400 body).
const MINIMAL_EXAMPLE: &str = "targets: [{ name: yc-prod, provider: yandex_backup, auth: { service_account_key_file: /etc/cloud-task-exporter/sa-key.json }, compute_instance_ids: [fhm0example] }] (config.example.yaml shows every provider and key; --demo runs without a cloud account)";

/// The top level of the file as written (`targets:` is read item by item: see `target.rs`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct File {
    defaults: Val<SettingsFile>,
    state_file: Val<Option<FilePath>>,
    duration_buckets: Val<Vec<Val<Number>>>,
    shard: Val<ShardFile>,
    targets: IgnoredAny,
}

/// `shard:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ShardFile {
    index: Val<U32From<0>>,
    total: Val<U32From<1>>,
}

/// Why a key is not one of the file's top level or of `defaults:`.
fn top_hint(structure: &str, key: &str) -> Option<String> {
    match (structure, key) {
        ("File", "name" | "provider") => {
            Some("unknown top-level key; targets go in a list under 'targets:'".into())
        }
        ("SettingsFile", "expected_intervals") => Some(
            "names resources of one target: set it on the target (or use expected_interval here)"
                .into(),
        ),
        _ => None,
    }
}

impl Cx<'_> {
    fn config(&mut self, root: &Node) -> Config {
        let mut config = Config {
            source: PathBuf::from(&self.file),
            defaults: Settings::default(),
            state_file: None,
            duration_buckets: DEFAULT_DURATION_BUCKETS.to_vec(),
            shard: Shard::default(),
            targets: Vec::new(),
            warnings: Vec::new(),
        };
        let env = self.env;
        let reader = Reader::new(env, &top_hint);
        let top = reader.top::<File>(root).unwrap_or_default();
        let mut later: Vec<(At, String)> = Vec::new();
        if let Val::Given(d, at) = top.defaults {
            let inherited = Inherited::of(&d);
            config.defaults = d.over(
                &Settings::default(),
                &Inherited::default(),
                &at,
                &mut |at, problem| later.push((at.clone(), problem)),
            );
            self.inherited = inherited;
        }
        for p in reader.take() {
            self.push(p.at.line, Some(&p.at.key), p.message);
        }
        for (at, problem) in later {
            self.bad(&at, problem);
        }
        if let Some(Some(p)) = top.state_file.ok() {
            config.state_file = Some(if p.0.is_relative() {
                self.dir.join(p.0)
            } else {
                p.0
            });
        }
        if let Val::Given(items, at) = top.duration_buckets {
            if let Some(b) = self.buckets(items, &at) {
                config.duration_buckets = b;
            }
        }
        if let Val::Given(s, at) = top.shard {
            if let Some(s) = self.shard(s, &at) {
                config.shard = s;
            }
        }
        // An exporter that watches nothing is almost always a mistake: an empty or truncated
        // file (a zero-byte ConfigMap, a half-saved edit), or a misspelt `targets:` key.
        let targets = match &root.value {
            Value::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.value == Value::Str("targets".to_string()))
                .map(|(_, v)| v),
            _ => None,
        };
        let why = match targets {
            _ if root.value == Value::Null => {
                Some((root.line, "the file is empty (or only comments)"))
            }
            None => (matches!(root.value, Value::Map(_)) && !top_has_typo(root))
                .then_some((root.line, "no 'targets:' key")),
            Some(v) => match &v.value {
                Value::Null => Some((v.line, "'targets:' has no entries")),
                Value::Seq(items) if items.is_empty() => {
                    Some((v.line, "'targets:' is an empty list"))
                }
                _ => {
                    config.targets = self.targets(v, &config.defaults);
                    None
                }
            },
        };
        if let Some((line, why)) = why {
            self.push(
                line,
                None,
                format!(
                    "{why}: a config needs at least one target, for example: {MINIMAL_EXAMPLE}"
                ),
            );
        }
        config
    }

    fn buckets(&mut self, items: Vec<Val<Number>>, at: &At) -> Option<Vec<f64>> {
        if items.is_empty() {
            self.bad(at, "must not be empty");
            return None;
        }
        let mut out: Vec<f64> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Val::Given(Number(v), at) = item else {
                ok = false;
                continue;
            };
            if v <= 0.0 {
                self.bad(&at, format!("buckets must be positive, got {v}"));
                ok = false;
            } else if let Some(prev) = out.last().copied().filter(|p| *p >= v) {
                self.bad(
                    &at,
                    format!("buckets must be strictly increasing, got {v} after {prev}"),
                );
                ok = false;
            }
            out.push(v);
        }
        ok.then_some(out)
    }

    fn shard(&mut self, f: ShardFile, at: &At) -> Option<Shard> {
        let index = match &f.index {
            Val::Given(v, _) => v.u32(),
            Val::Bad(_) => return None,
            Val::Absent => 0,
        };
        let total = match &f.total {
            Val::Given(v, _) => v.u32(),
            Val::Bad(_) => return None,
            Val::Absent => {
                self.push(at.line, Some("shard.total"), "missing".to_string());
                return None;
            }
        };
        if index >= total {
            let line = f.index.at().map_or(at.line, |a| a.line);
            self.push(
                line,
                Some("shard.index"),
                format!("must be less than shard.total ({index} >= {total})"),
            );
            return None;
        }
        Some(Shard { index, total })
    }
}

/// Whether the top level has a key close to `targets` (already reported as unknown, with a
/// suggestion): then "no targets" would only repeat it.
fn top_has_typo(root: &Node) -> bool {
    let Value::Map(entries) = &root.value else {
        return false;
    };
    entries
        .iter()
        .any(|(k, _)| matches!(&k.value, Value::Str(name) if suggest(name, &["targets"]).is_some()))
}
