//! From the YAML node tree to validated [`Config`], collecting every error.
//!
//! Every message has the shape `FILE:LINE: [target 'NAME': ]KEY: problem`, so a user (or an
//! editor's quickfix list) can jump straight to the place.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::check::{self, expand, suggest};
use super::duration::{format_duration, parse_duration};
use super::file::{self, Node, Value};
use super::{Config, DEFAULT_DURATION_BUCKETS, Secret, Settings, Shard};

/// One configuration problem, naming the file, target, key and line where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The full message: `file:line: target 'name': key: problem`.
    pub message: String,
    /// 1-based line in the file, when known.
    pub line: Option<u32>,
    /// The target the problem is in, when it is in one.
    pub target: Option<String>,
    /// The key path, e.g. `auth.iam_token` or `defaults.interval`.
    pub key: Option<String>,
}

/// Every problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

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
            let hint = file::tab_hint(text, e.line);
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

/// The loader's context: where we are, and the errors so far.
pub(super) struct Cx<'a> {
    file: String,
    dir: PathBuf,
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The target being read, for messages.
    pub(super) target: Option<String>,
    pub(super) errors: Vec<ConfigError>,
    /// Doubts that do not stop the config from loading (an unknown region, say).
    pub(super) warnings: Vec<ConfigError>,
}

/// The top-level keys.
const TOP_KEYS: &[&str] = &[
    "defaults",
    "state_file",
    "duration_buckets",
    "shard",
    "targets",
];

/// The keys of `defaults:`; each may also be set per target.
pub(super) const SETTINGS_KEYS: &[&str] = &[
    "interval",
    "timeout",
    "lookback",
    "page_size",
    "max_pages",
    "retries",
    "retry_backoff",
    "requests_per_second",
    "concurrency",
    "max_response_bytes",
    "max_poll_bytes",
    "max_poll_tasks",
    "max_task_types",
    "reconcile_interval",
    "expected_interval",
    "max_active_duration",
];

/// The entries of one mapping, after unknown and duplicate keys were reported.
pub(super) struct Fields<'n> {
    /// The mapping node itself (its line is used for "missing key" errors).
    pub(super) node: &'n Node,
    /// Key path prefix, e.g. `auth` (empty at a target's or the file's top level).
    pub(super) path: String,
    entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if given.
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, v)| *v)
    }

    /// Whether `key` is given.
    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// The full key path of `key` in this mapping.
    pub(super) fn key(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// The keys given, in document order.
    pub(super) fn keys(&self) -> impl Iterator<Item = (&'n str, &'n Node)> + '_ {
        self.entries.iter().map(|(k, _, v)| (*k, *v))
    }
}

/// `a` + `.` + `b`, or just `b` when `a` is empty.
pub(super) fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

impl<'a> Cx<'a> {
    fn new(source: &Path, env: &'a dyn Fn(&str) -> Option<String>) -> Cx<'a> {
        Cx {
            file: source.display().to_string(),
            dir: source.parent().map(Path::to_path_buf).unwrap_or_default(),
            env,
            target: None,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Records a problem at `line` (0: unknown) with `key`.
    pub(super) fn push(&mut self, line: u32, key: Option<&str>, problem: String) {
        let e = self.located(line, key, problem);
        self.errors.push(e);
    }

    /// Records a warning (the config still loads) with the value of `key` in `node`.
    pub(super) fn warn(&mut self, node: &Node, key: &str, problem: String) {
        let w = self.located(node.line, Some(key), problem);
        self.warnings.push(w);
    }

    /// `problem` with the file, line, target and key in front.
    fn located(&self, line: u32, key: Option<&str>, problem: String) -> ConfigError {
        let mut message = self.file.clone();
        if line > 0 {
            message.push_str(&format!(":{line}"));
        }
        if let Some(t) = &self.target {
            message.push_str(&format!(": target '{t}'"));
        }
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            message.push_str(&format!(": {k}"));
        }
        message.push_str(": ");
        message.push_str(&problem);
        ConfigError {
            message,
            line: (line > 0).then_some(line),
            target: self.target.clone(),
            key: key.filter(|k| !k.is_empty()).map(str::to_string),
        }
    }

    /// Records a problem with the value of `key` in `node`.
    pub(super) fn bad(&mut self, node: &Node, key: &str, problem: impl Into<String>) {
        self.push(node.line, Some(key), problem.into());
    }

    /// Reads a mapping, reporting a non-mapping value, non-string, duplicate and unknown keys.
    /// `allowed` lists the keys; `hint` may explain an unknown key better than a suggestion.
    pub(super) fn fields<'n>(
        &mut self,
        node: &'n Node,
        path: &str,
        allowed: &[&str],
        hint: &dyn Fn(&str) -> Option<String>,
    ) -> Fields<'n> {
        let mut fields = Fields {
            node,
            path: path.to_string(),
            entries: Vec::new(),
        };
        let entries = match &node.value {
            Value::Map(m) => m,
            Value::Null => return fields,
            other => {
                self.bad(
                    node,
                    path,
                    format!("expected a mapping, found {}", other.kind()),
                );
                return fields;
            }
        };
        for (k, v) in entries {
            let Value::Str(name) = &k.value else {
                self.push(
                    k.line,
                    Some(path),
                    format!("keys must be strings, found {}", k.value.kind()),
                );
                continue;
            };
            if let Some((_, first, _)) = fields.entries.iter().find(|(n, _, _)| n == name) {
                let first_line = first.line;
                self.push(
                    k.line,
                    Some(&join(path, name)),
                    format!("duplicate key (first given at line {first_line})"),
                );
                continue;
            }
            if path.is_empty() && self.target.is_none() && name.starts_with("x-") {
                // Extension fields (as in Compose files): a home for YAML anchors.
                continue;
            }
            if !allowed.contains(&name.as_str()) {
                let why = hint(name).unwrap_or_else(|| match suggest(name, allowed) {
                    Some(s) => format!("unknown key (did you mean '{s}'?)"),
                    None => format!("unknown key; expected one of: {}", allowed.join(", ")),
                });
                self.push(k.line, Some(&join(path, name)), why);
                continue;
            }
            fields.entries.push((name.as_str(), k, v));
        }
        fields
    }

    /// A string value, `${VAR}`-expanded; integers are taken as their decimal text.
    pub(super) fn string(&mut self, node: &Node, key: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => match expand(s, self.env) {
                Ok(v) => Some(v),
                Err(e) => {
                    self.bad(node, key, e);
                    None
                }
            },
            Value::Int(i) => Some(i.to_string()),
            Value::Null => {
                self.bad(node, key, "has no value");
                None
            }
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected a string, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A non-empty string.
    pub(super) fn required_string(&mut self, node: &Node, key: &str) -> Option<String> {
        let s = self.string(node, key)?;
        if s.trim().is_empty() {
            self.bad(node, key, "must not be empty");
            return None;
        }
        Some(s)
    }

    /// A base URL (`scheme://host[:port]`), without a trailing slash.
    pub(super) fn url(&mut self, node: &Node, key: &str) -> Option<String> {
        let s = self.required_string(node, key)?;
        match check::base_url(s.trim()) {
            Ok(u) => Some(u),
            Err(e) => {
                self.bad(node, key, e);
                None
            }
        }
    }

    /// An inline secret: a non-empty string, `${VAR}`-expanded. Never echoed in messages.
    pub(super) fn secret(&mut self, node: &Node, key: &str) -> Option<Secret> {
        match &node.value {
            Value::Str(s) => match expand(s, self.env) {
                Ok(v) if v.is_empty() => {
                    self.bad(node, key, "is empty");
                    None
                }
                Ok(v) => Some(Secret::new(v)),
                Err(e) => {
                    self.bad(node, key, e);
                    None
                }
            },
            Value::Null => {
                self.bad(node, key, "has no value");
                None
            }
            other => {
                // YAML would turn `0x1F` into 31 or `1.50` into 1.5: only quoted text is exact.
                self.bad(
                    node,
                    key,
                    format!(
                        "expected a string, found {} (quote the value so YAML keeps it as written)",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    /// A path, relative ones resolved against the config file's directory.
    pub(super) fn path(&mut self, node: &Node, key: &str) -> Option<PathBuf> {
        let s = self.required_string(node, key)?;
        let p = PathBuf::from(s);
        Some(if p.is_relative() { self.dir.join(p) } else { p })
    }

    /// A secret read from the file named by the value of `key`; one trailing newline is
    /// dropped. Neither the content nor a part of it appears in messages.
    pub(super) fn secret_file(&mut self, node: &Node, key: &str) -> Option<(PathBuf, Secret)> {
        let path = self.path(node, key)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                if text.trim().is_empty() {
                    self.bad(node, key, format!("file {} is empty", path.display()));
                    return None;
                }
                Some((path, Secret::new(text)))
            }
            Err(e) => {
                self.bad(node, key, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    /// A secret given inline as `key` or in a file as `key_file`; both is an error.
    /// `None` when neither is given or the value is bad (the latter is reported).
    pub(super) fn secret_either(&mut self, f: &Fields<'_>, key: &str) -> Option<Secret> {
        let file_key = format!("{key}_file");
        match (f.get(key), f.get(&file_key)) {
            (Some(_), Some(v)) => {
                self.bad(
                    v,
                    &f.key(&file_key),
                    format!("both {key} and {file_key} given; use one"),
                );
                None
            }
            (Some(v), None) => self.secret(v, &f.key(key)),
            (None, Some(v)) => self.secret_file(v, &f.key(&file_key)).map(|(_, s)| s),
            (None, None) => None,
        }
    }

    /// An integer in `min..=max`; a string (e.g. `${VAR}`) is parsed.
    pub(super) fn int(&mut self, node: &Node, key: &str, min: i128, max: i128) -> Option<i128> {
        let v = match &node.value {
            Value::Int(i) => *i,
            Value::Str(_) => {
                let s = self.string(node, key)?;
                match s.trim().parse::<i128>() {
                    Ok(i) => i,
                    Err(_) => {
                        self.bad(node, key, format!("expected an integer, found '{s}'"));
                        return None;
                    }
                }
            }
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected an integer, found {}", other.kind()),
                );
                return None;
            }
        };
        if v < min || v > max {
            let range = if max == i128::from(u32::MAX) || max == i128::from(u64::MAX) {
                format!("at least {min}")
            } else {
                format!("between {min} and {max}")
            };
            self.bad(node, key, format!("must be {range}, got {v}"));
            return None;
        }
        Some(v)
    }

    fn u32(&mut self, node: &Node, key: &str, min: u32, max: u32) -> Option<u32> {
        self.int(node, key, i128::from(min), i128::from(max))
            .and_then(|v| u32::try_from(v).ok())
    }

    /// A finite number; a string (e.g. `${VAR}`) is parsed.
    pub(super) fn number(&mut self, node: &Node, key: &str) -> Option<f64> {
        let v = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(f) => *f,
            Value::Str(_) => {
                let s = self.string(node, key)?;
                match s.trim().parse::<f64>() {
                    Ok(f) => f,
                    Err(_) => {
                        self.bad(node, key, format!("expected a number, found '{s}'"));
                        return None;
                    }
                }
            }
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected a number, found {}", other.kind()),
                );
                return None;
            }
        };
        if !v.is_finite() {
            self.bad(node, key, "must be a finite number");
            return None;
        }
        Some(v)
    }

    /// A boolean; the strings `true` / `false` (e.g. from `${VAR}`) are accepted.
    pub(super) fn bool(&mut self, node: &Node, key: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            Value::Str(_) => match self.string(node, key)?.trim() {
                "true" => Some(true),
                "false" => Some(false),
                s => {
                    let s = s.to_string();
                    self.bad(node, key, format!("expected true or false, found '{s}'"));
                    None
                }
            },
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected true or false, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A positive duration such as `30s`, `5m`, `1h30m`.
    pub(super) fn duration(&mut self, node: &Node, key: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(_) => self.string(node, key)?,
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            other => {
                self.bad(
                    node,
                    key,
                    format!(
                        "expected a duration such as 30s or 5m, found {}",
                        other.kind()
                    ),
                );
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) if d.is_zero() => {
                self.bad(node, key, "must be greater than zero");
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.bad(node, key, e);
                None
            }
        }
    }

    /// A list of values; `None` (reported) when not a list.
    pub(super) fn list<'n>(&mut self, node: &'n Node, key: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected a list, found {}", other.kind()),
                );
                None
            }
        }
    }

    /// A mapping of strings to strings (`labels:`, `filters:`); keys are checked by `check_key`.
    pub(super) fn string_map(
        &mut self,
        node: &Node,
        key: &str,
        check_key: &dyn Fn(&str) -> Result<(), String>,
    ) -> std::collections::BTreeMap<String, String> {
        let mut out = std::collections::BTreeMap::new();
        for (name, path, v) in self.map_entries(node, key, check_key) {
            let value = match &v.value {
                Value::Bool(b) => Some(b.to_string()),
                Value::Float(f) => Some(f.to_string()),
                _ => self.string(v, &path),
            };
            if let Some(value) = value {
                out.insert(name, value);
            }
        }
        out
    }

    /// A mapping of names to durations (`expected_intervals:`); keys are checked by `check_key`.
    pub(super) fn duration_map(
        &mut self,
        node: &Node,
        key: &str,
        check_key: &dyn Fn(&str) -> Result<(), String>,
    ) -> std::collections::BTreeMap<String, Duration> {
        let mut out = std::collections::BTreeMap::new();
        for (name, path, v) in self.map_entries(node, key, check_key) {
            if let Some(d) = self.duration(v, &path) {
                out.insert(name, d);
            }
        }
        out
    }

    /// The entries of a mapping as (name, key path, value), after a non-mapping value,
    /// non-string keys, keys `check_key` rejects and duplicate keys were reported.
    fn map_entries<'n>(
        &mut self,
        node: &'n Node,
        key: &str,
        check_key: &dyn Fn(&str) -> Result<(), String>,
    ) -> Vec<(String, String, &'n Node)> {
        let mut out: Vec<(String, String, &'n Node)> = Vec::new();
        let entries = match &node.value {
            Value::Map(m) => m,
            Value::Null => return out,
            other => {
                self.bad(
                    node,
                    key,
                    format!("expected a mapping, found {}", other.kind()),
                );
                return out;
            }
        };
        for (k, v) in entries {
            let name = match &k.value {
                Value::Str(s) => s.clone(),
                other => {
                    self.push(
                        k.line,
                        Some(key),
                        format!("keys must be strings, found {}", other.kind()),
                    );
                    continue;
                }
            };
            let path = join(key, &name);
            if let Err(e) = check_key(&name) {
                self.push(k.line, Some(&path), e);
                continue;
            }
            if out.iter().any(|(n, _, _)| *n == name) {
                self.push(k.line, Some(&path), "duplicate key".to_string());
                continue;
            }
            out.push((name, path, v));
        }
        out
    }

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
        let top = self.fields(root, "", TOP_KEYS, &|k| {
            (k == "name" || k == "provider")
                .then(|| "unknown top-level key; targets go in a list under 'targets:'".into())
        });
        if let Some(d) = top.get("defaults") {
            let f = self.fields(d, "defaults", SETTINGS_KEYS, &|k| {
                (k == "expected_intervals").then(|| {
                    "names resources of one target: set it on the target (or use expected_interval here)".into()
                })
            });
            config.defaults = self.settings(&f, &Settings::default());
        }
        if let Some(v) = top.get("state_file") {
            if v.value != Value::Null {
                config.state_file = self.path(v, "state_file");
            }
        }
        if let Some(v) = top.get("duration_buckets") {
            if let Some(b) = self.buckets(v) {
                config.duration_buckets = b;
            }
        }
        if let Some(v) = top.get("shard") {
            if let Some(s) = self.shard(v) {
                config.shard = s;
            }
        }
        // An exporter that watches nothing is almost always a mistake: an empty or truncated
        // file (a zero-byte ConfigMap, a half-saved edit), or a misspelt `targets:` key.
        let why = match top.get("targets") {
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

    /// Settings keys present in `f`, over `base`.
    pub(super) fn settings(&mut self, f: &Fields<'_>, base: &Settings) -> Settings {
        let mut s = base.clone();
        for (key, node) in f.keys() {
            let path = f.key(key);
            match key {
                "interval" => set(&mut s.interval, self.duration(node, &path)),
                "timeout" => set(&mut s.timeout, self.duration(node, &path)),
                "lookback" => set(&mut s.lookback, self.duration(node, &path)),
                "retry_backoff" => set(&mut s.retry_backoff, self.duration(node, &path)),
                "reconcile_interval" => set(
                    &mut s.reconcile_interval,
                    self.duration(node, &path).map(Some),
                ),
                "expected_interval" => {
                    set(&mut s.expect.interval, self.duration(node, &path).map(Some))
                }
                "max_active_duration" => set(
                    &mut s.expect.max_active,
                    self.duration(node, &path).map(Some),
                ),
                "page_size" => set(&mut s.page_size, self.u32(node, &path, 1, u32::MAX)),
                "max_pages" => set(&mut s.max_pages, self.u32(node, &path, 1, u32::MAX)),
                "retries" => set(&mut s.retries, self.u32(node, &path, 0, 100)),
                "concurrency" => set(&mut s.concurrency, self.u32(node, &path, 1, 1024)),
                "max_response_bytes" => set(
                    &mut s.max_response_bytes,
                    self.int(node, &path, 1, i128::from(u64::MAX))
                        .and_then(|v| u64::try_from(v).ok()),
                ),
                "max_poll_bytes" => set(
                    &mut s.max_poll_bytes,
                    self.int(node, &path, 1, i128::from(u64::MAX))
                        .and_then(|v| u64::try_from(v).ok()),
                ),
                "max_poll_tasks" => set(
                    &mut s.max_poll_tasks,
                    self.int(node, &path, 1, i128::from(u64::MAX))
                        .and_then(|v| u64::try_from(v).ok()),
                ),
                "max_task_types" => set(&mut s.max_task_types, self.u32(node, &path, 1, 10_000)),
                "requests_per_second" => {
                    if let Some(v) = self.number(node, &path) {
                        if v > 0.0 {
                            s.requests_per_second = v;
                        } else {
                            self.bad(node, &path, format!("must be greater than 0, got {v}"));
                        }
                    }
                }
                _ => {}
            }
        }
        // A request that may outlast the poll interval would make polls overlap their schedule.
        let (key, at) = match (f.get("interval"), f.get("timeout")) {
            (Some(n), _) => ("interval", n),
            (None, Some(n)) => ("timeout", n),
            (None, None) => ("interval", f.node),
        };
        if s.timeout >= s.interval && (s.timeout != base.timeout || s.interval != base.interval) {
            self.bad(
                at,
                &f.key(key),
                format!(
                    "interval must be greater than timeout ({} <= {})",
                    format_duration(s.interval),
                    format_duration(s.timeout)
                ),
            );
        }
        self.check_reconcile(f, &s);
        s
    }

    /// A configured `reconcile_interval` lies between `interval` (a full pass cannot come more
    /// often than a poll) and `lookback` (the seen-set forgets a task without timestamps
    /// `lookback` after a listing last showed it). Reported where this mapping sets either
    /// key; a mapping that sets neither inherits a value already checked.
    fn check_reconcile(&mut self, f: &Fields<'_>, s: &Settings) {
        let Some(r) = s.reconcile_interval else {
            return;
        };
        let at = ["reconcile_interval", "interval", "lookback"]
            .into_iter()
            .find_map(|k| f.get(k).map(|n| (k, n)));
        let Some((key, node)) = at else {
            return;
        };
        if r < s.interval {
            self.bad(
                node,
                &f.key(key),
                format!(
                    "reconcile_interval must be at least interval ({} < {})",
                    format_duration(r),
                    format_duration(s.interval)
                ),
            );
        } else if r > s.lookback {
            self.bad(
                node,
                &f.key(key),
                format!(
                    "reconcile_interval must not exceed lookback ({} > {})",
                    format_duration(r),
                    format_duration(s.lookback)
                ),
            );
        }
    }

    fn buckets(&mut self, node: &Node) -> Option<Vec<f64>> {
        let key = "duration_buckets";
        let items = self.list(node, key)?;
        if items.is_empty() {
            self.bad(node, key, "must not be empty");
            return None;
        }
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(v) = self.number(item, &path) else {
                ok = false;
                continue;
            };
            if v <= 0.0 {
                self.bad(item, &path, format!("buckets must be positive, got {v}"));
                ok = false;
            } else if let Some(prev) = out.last().copied().filter(|p: &f64| *p >= v) {
                self.bad(
                    item,
                    &path,
                    format!("buckets must be strictly increasing, got {v} after {prev}"),
                );
                ok = false;
            }
            out.push(v);
        }
        ok.then_some(out)
    }

    fn shard(&mut self, node: &Node) -> Option<Shard> {
        let f = self.fields(node, "shard", &["index", "total"], &|_| None);
        let index = match f.get("index") {
            Some(v) => self.u32(v, "shard.index", 0, u32::MAX)?,
            None => 0,
        };
        let total = match f.get("total") {
            Some(v) => self.u32(v, "shard.total", 1, u32::MAX)?,
            None => {
                self.bad(node, "shard.total", "missing");
                return None;
            }
        };
        if index >= total {
            let at = f.get("index").unwrap_or(node);
            self.bad(
                at,
                "shard.index",
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

fn set<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}
