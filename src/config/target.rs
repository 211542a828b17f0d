//! `targets:` entries: the keys every target has, and through the provider registry the
//! keys of its provider, which each provider's folder declares and checks
//! (`provider/<kind>/config.rs`). [`TargetCx`] is what a provider's checks report to.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::check::{self, label_name};
use super::de::{At, Entries, Reader, Val, fields_of};
use super::file::{Node, Value};
use super::load::Cx;
use super::settings::SettingsFile;
use super::value::{BaseUrl, BoolOr, FilePath, Id, InlineSecret, NonEmpty, Scalar, Span, Text};
use super::{Discover, Resources, Secret, Settings, Target};
use crate::provider::ProviderKind;

/// Keys every target has (besides the settings keys).
const COMMON_KEYS: &[&str] = &["name", "provider", "endpoint", "labels", "types"];

/// Default refresh interval of discovered resources.
pub(crate) const DEFAULT_DISCOVER_INTERVAL: Duration = Duration::from_secs(3600);

/// The serde name of a target's own level, for hints.
const TARGET: &str = "target";

/// The keys every target has, as written (`name` and `provider` are read first, alone).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct TargetFile {
    endpoint: Val<BaseUrl>,
    labels: Val<Entries<Scalar>>,
    types: Val<Vec<Val<NonEmpty>>>,
}

/// Credentials keys of every provider: beside a target they belong under `auth:`.
const CREDENTIAL_KEYS: &[&str] = &[
    "iam_token",
    "iam_token_file",
    "oauth_token",
    "oauth_token_file",
    "service_account_key_file",
    "service_account_key",
    "metadata",
    "metadata_url",
    "iam_endpoint",
    "access_key",
    "access_key_file",
    "secret_key",
    "secret_key_file",
    "security_token",
    "security_token_file",
    "iam",
];

/// Why `key` is not allowed on a target of `provider`, when a better reason than "unknown" exists.
fn target_key_hint(provider: Option<ProviderKind>, key: &str) -> Option<String> {
    let provider = provider?;
    if CREDENTIAL_KEYS.contains(&key) {
        return Some("unknown key; credentials go under 'auth:'".to_string());
    }
    let owners: Vec<&str> = ProviderKind::ALL
        .into_iter()
        .filter(|p| p.keys().contains(&key))
        .map(ProviderKind::as_str)
        .collect();
    if owners.is_empty() {
        return None;
    }
    let mut why = format!(
        "not a key of provider {} (it belongs to {})",
        provider.as_str(),
        owners.join(", ")
    );
    if key.ends_with("_ids") {
        match provider.ids_key() {
            Some(own) => why.push_str(&format!("; use {own}")),
            None => why.push_str("; this provider polls the whole project"),
        }
    }
    Some(why)
}

impl Cx<'_> {
    /// Reads `targets:`; names are unique.
    pub(super) fn targets(&mut self, node: &Node, defaults: &Settings) -> Vec<Target> {
        let Value::Seq(items) = &node.value else {
            self.push(
                node.line,
                Some("targets"),
                format!("expected a list, found {}", node.value.kind()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen: BTreeMap<String, u32> = BTreeMap::new();
        for (i, item) in items.iter().enumerate() {
            let before = self.errors.len();
            let target = self.target(item, i, defaults);
            if let Some(t) = &target {
                if let Some(first) = seen.get(&t.name) {
                    let line = name_line(item);
                    self.push(
                        line,
                        Some("name"),
                        format!("duplicate target name (first used at line {first})"),
                    );
                } else {
                    seen.insert(t.name.clone(), name_line(item));
                }
            }
            self.target = None;
            if let Some(t) = target.filter(|_| self.errors.len() == before) {
                out.push(t);
            }
        }
        out
    }

    fn target(&mut self, item: &Node, index: usize, defaults: &Settings) -> Option<Target> {
        let Value::Map(entries) = &item.value else {
            self.push(
                item.line,
                Some(&format!("targets[{index}]")),
                format!("expected a mapping, found {}", item.value.kind()),
            );
            return None;
        };
        // Name and provider first: they decide how every other message is worded and which
        // keys are allowed.
        let lookup = |key: &str| {
            entries
                .iter()
                .find(|(k, _)| k.value == Value::Str(key.to_string()))
                .map(|(_, v)| v)
        };
        self.target = Some(format!("#{}", index + 1));
        let env = self.env;
        let first = Reader::new(env, &|_, _| None);
        let name = match lookup("name") {
            Some(v) => first.read::<NonEmpty>(v, "name").and_then(|NonEmpty(n)| {
                match check::target_name(&n) {
                    Ok(()) => Some(n),
                    Err(e) => {
                        first.problem(
                            At {
                                line: v.line,
                                key: "name".into(),
                            },
                            e.to_string(),
                        );
                        None
                    }
                }
            }),
            None => {
                self.push(
                    item.line,
                    Some("name"),
                    "missing (every target needs a unique name)".to_string(),
                );
                None
            }
        };
        self.absorb(&first);
        if let Some(n) = &name {
            self.target = Some(n.clone());
        }
        let provider = match lookup("provider") {
            Some(v) => first
                .read::<Text>(v, "provider")
                .and_then(|Text(s)| self.provider(v, &s)),
            None => {
                self.push(
                    item.line,
                    Some("provider"),
                    format!("missing; one of {}", provider_list()),
                );
                None
            }
        };
        self.absorb(&first);
        // Unknown provider: accept every provider's keys so only real typos show.
        let provider_keys: Vec<&str> = match provider {
            Some(p) => p.keys(),
            None => ProviderKind::ALL
                .into_iter()
                .flat_map(|p| p.keys())
                .collect(),
        };
        let mut suggestions: Vec<&str> = COMMON_KEYS.to_vec();
        suggestions.extend_from_slice(fields_of::<SettingsFile>());
        suggestions.extend_from_slice(&provider_keys);
        let known = |k: &str| suggestions.contains(&k);
        let hint = |structure: &str, key: &str| match (structure, provider) {
            (TARGET, _) => target_key_hint(provider, key),
            (_, Some(p)) => p.hint(structure, key),
            (_, None) => None,
        };
        let reader = Reader::new(env, &hint);
        reader.check_keys(entries, "", TARGET, &known, &suggestions, false);
        let common = reader.view::<TargetFile>(item).unwrap_or_default();
        let own = reader.view::<SettingsFile>(item).unwrap_or_default();
        let whole = At {
            line: item.line,
            key: String::new(),
        };
        let mut settings = own.over(defaults, &whole, &mut |at, problem| {
            reader.problem(at.clone(), problem);
        });
        let endpoint = common.endpoint.ok();
        let labels = self.labels(&reader, common.labels);
        if let Some(types) = self.types(&reader, common.types) {
            settings.expect.types = types;
        }
        self.absorb(&reader);
        let mut cx = TargetCx {
            cx: self,
            reader,
            item,
            line: item.line,
            has_endpoint: endpoint.is_some(),
            intervals: BTreeMap::new(),
        };
        let spec = provider.and_then(|p| p.config(&mut cx));
        settings.expect.intervals = std::mem::take(&mut cx.intervals);
        let TargetCx { reader, .. } = cx;
        self.absorb(&reader);
        Some(Target {
            name: name?,
            endpoint,
            labels,
            settings,
            spec: spec?,
        })
    }

    /// Moves what `reader` found into the errors of the current target.
    fn absorb(&mut self, reader: &Reader<'_>) {
        for p in reader.take() {
            self.push(p.at.line, Some(&p.at.key), p.message);
        }
    }

    fn provider(&mut self, v: &Node, s: &str) -> Option<ProviderKind> {
        if let Some(p) = ProviderKind::parse(s.trim()) {
            return Some(p);
        }
        let names: Vec<&str> = ProviderKind::ALL.iter().map(|p| p.as_str()).collect();
        // `yandex` or `cbr`: the part of the id people remember.
        let part: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !s.trim().is_empty() && n.split('_').any(|w| w == s.trim()))
            .collect();
        let near = check::suggest(s.trim(), &names).or(match part[..] {
            [one] => Some(one),
            _ => None,
        });
        let why = match near {
            Some(near) => format!("unknown provider '{s}' (did you mean '{near}'?)"),
            None => format!("unknown provider '{s}'; one of {}", provider_list()),
        };
        self.push(v.line, Some("provider"), why);
        None
    }

    /// `labels:`: valid, unreserved label names, each once.
    fn labels(
        &mut self,
        reader: &Reader<'_>,
        labels: Val<Entries<Scalar>>,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        let Some(Entries(entries)) = labels.ok() else {
            return out;
        };
        for (k, v) in entries {
            let Val::Given(name, at) = k else { continue };
            if let Err(e) = label_name(&name) {
                reader.problem(at, e.to_string());
                continue;
            }
            if out.contains_key(&name) {
                reader.problem(at, "duplicate key");
                continue;
            }
            if let Some(Scalar(value)) = v.ok() {
                out.insert(name, value);
            }
        }
        out
    }

    /// `types:`, the task types whose series exist before their first task (as the `type`
    /// label shows them: `backup`, a CBR `operation_type`, a DMS task name).
    fn types(
        &mut self,
        reader: &Reader<'_>,
        types: Val<Vec<Val<NonEmpty>>>,
    ) -> Option<Vec<String>> {
        let items = types.ok()?;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for item in items {
            let Val::Given(NonEmpty(t), at) = item else {
                continue;
            };
            let t = t.trim().to_string();
            if t.is_empty() || t.len() > crate::accounting::MAX_LABEL_BYTES {
                reader.problem(at, "must be a task type of 1 to 128 bytes, e.g. backup");
            } else if out.contains(&t) {
                reader.problem(at, format!("duplicate type '{t}'"));
            } else {
                out.push(t);
            }
        }
        Some(out)
    }
}

/// What a provider's checks of its keys report to (`provider/<kind>/config.rs`): problems at
/// the key they name, and the target's shared parts (secrets read from files, id lists or
/// discovery, `expected_intervals`).
pub(crate) struct TargetCx<'c, 'e, 'r> {
    cx: &'c mut Cx<'e>,
    reader: Reader<'r>,
    /// The target's mapping.
    item: &'c Node,
    line: u32,
    has_endpoint: bool,
    intervals: BTreeMap<String, Duration>,
}

impl TargetCx<'_, '_, '_> {
    /// The keys of the target's mapping that `T` declares (the provider's own, or those a
    /// family of providers shares), read as `T`.
    pub(crate) fn keys<T: for<'de> Deserialize<'de>>(&mut self) -> Option<T> {
        let t = self.reader.view::<T>(self.item);
        for p in self.reader.take() {
            self.cx.push(p.at.line, Some(&p.at.key), p.message);
        }
        t
    }

    /// Records a problem with the value at `at`.
    pub(crate) fn bad(&mut self, at: &At, problem: impl std::fmt::Display) {
        self.cx.push(at.line, Some(&at.key), problem.to_string());
    }

    /// Records that the target lacks `key`: `missing (<why>)`.
    pub(crate) fn missing(&mut self, key: &str, why: &str) {
        self.cx
            .push(self.line, Some(key), format!("missing ({why})"));
    }

    /// Records a doubt that does not stop the config from loading.
    pub(crate) fn warn(&mut self, at: &At, problem: String) {
        let w = self.cx.located(at.line, Some(&at.key), problem);
        self.cx.warnings.push(w);
    }

    /// Whether the target sets `endpoint`.
    pub(crate) fn has_endpoint(&self) -> bool {
        self.has_endpoint
    }

    /// A path as written, relative ones resolved against the config file's directory.
    pub(crate) fn path(&self, p: &FilePath) -> PathBuf {
        if p.0.is_relative() {
            self.cx.dir.join(&p.0)
        } else {
            p.0.clone()
        }
    }

    /// A secret read from the file at `file`; one trailing newline is dropped. Neither the
    /// content nor a part of it appears in messages.
    pub(crate) fn secret_file(&mut self, file: &Val<FilePath>) -> Option<(PathBuf, Secret)> {
        let Val::Given(p, at) = file else {
            return None;
        };
        let path = self.path(p);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let text = text
                    .strip_suffix('\n')
                    .map(|t| t.strip_suffix('\r').unwrap_or(t))
                    .unwrap_or(&text);
                if text.trim().is_empty() {
                    self.bad(at, format!("file {} is empty", path.display()));
                    return None;
                }
                Some((path, Secret::new(text)))
            }
            Err(e) => {
                self.bad(at, format!("cannot read {}: {e}", path.display()));
                None
            }
        }
    }

    /// A secret given inline as `key` or in a file as `key_file`; both is an error. `None`
    /// when neither is given or the value is bad (the latter is reported).
    pub(crate) fn secret(
        &mut self,
        key: &str,
        inline: Val<InlineSecret>,
        file: Val<FilePath>,
    ) -> Option<Secret> {
        match (inline, &file) {
            (Val::Absent, Val::Absent) => None,
            (Val::Absent, _) => self.secret_file(&file).map(|(_, s)| s),
            (_, Val::Given(_, at) | Val::Bad(at)) => {
                let at = at.clone();
                self.bad(&at, format!("both {key} and {key}_file given; use one"));
                None
            }
            (inline, Val::Absent) => inline.ok().map(|InlineSecret(s)| s),
        }
    }

    /// The id list (`ids`, under `ids_key`) or `discover` of a target; exactly one of them.
    /// `folder` reads a Yandex folder id from `discover`; Huawei discovery lists the project.
    pub(crate) fn resources(
        &mut self,
        ids_key: &str,
        ids: Val<Vec<Val<Id>>>,
        discover: Val<BoolOr<DiscoverKeys>>,
        folder: bool,
    ) -> Option<Resources> {
        match (ids, discover) {
            (Val::Absent, Val::Absent) => {
                self.missing(ids_key, &format!("list {ids_key} or set discover"));
                None
            }
            (ids, discover) if ids.given() && discover.given() => {
                let at = discover.at().cloned().unwrap_or_default();
                self.bad(&at, format!("both {ids_key} and discover given; use one"));
                None
            }
            (Val::Given(items, at), _) => self.ids(items, &at).map(Resources::Ids),
            (_, Val::Given(d, at)) => self
                .discover(d, &at, ids_key, folder)
                .map(Resources::Discover),
            _ => None,
        }
    }

    fn ids(&mut self, items: Vec<Val<Id>>, at: &At) -> Option<Vec<String>> {
        if items.is_empty() {
            self.bad(at, "is empty; list at least one id or use discover");
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            let Val::Given(Id(id), at) = item else {
                ok = false;
                continue;
            };
            if out.contains(&id) {
                self.bad(&at, format!("duplicate id '{id}'"));
                ok = false;
            }
            out.push(id);
        }
        ok.then_some(out)
    }

    fn discover(
        &mut self,
        d: BoolOr<DiscoverKeys>,
        at: &At,
        ids_key: &str,
        folder: bool,
    ) -> Option<Discover> {
        let keys = match d {
            BoolOr::Bool(_) if folder => {
                self.bad(at, "needs a folder_id: discover: { folder_id: ... }");
                return None;
            }
            BoolOr::Bool(false) => {
                self.bad(at, format!("is false; list {ids_key} instead"));
                return None;
            }
            BoolOr::Bool(true) => DiscoverKeys::default(),
            BoolOr::Map(k) => k,
        };
        if let (false, Some(f)) = (folder, keys.folder_id.at()) {
            let f = f.clone();
            self.bad(
                &f,
                "unknown key; Huawei discovery lists the whole project (folder_id is for yandex_backup)",
            );
            return None;
        }
        if keys.interval.at().is_some() && keys.interval.get().is_none() {
            return None;
        }
        let interval = keys
            .interval
            .ok()
            .map_or(DEFAULT_DISCOVER_INTERVAL, |s| s.0);
        let folder_id = if folder {
            match keys.folder_id {
                Val::Given(Id(id), _) => Some(id),
                Val::Bad(_) => return None,
                Val::Absent => {
                    let at = At {
                        line: at.line,
                        key: "discover.folder_id".into(),
                    };
                    self.bad(&at, "missing (the folder whose instances are polled)");
                    return None;
                }
            }
        } else {
            None
        };
        Some(Discover {
            folder_id,
            interval,
        })
    }

    /// `expected_intervals:`, resource id → duration. Where the polled ids are the
    /// resources (Yandex instances, CCE clusters), a key must be one of them (`ids`, under
    /// `ids_key`): anything else is a typo that would silently never match.
    pub(crate) fn expected_intervals(
        &mut self,
        intervals: Val<Entries<Span>>,
        ids: Option<(&str, &[String])>,
    ) {
        let Some(Entries(entries)) = intervals.ok() else {
            return;
        };
        for (k, v) in entries {
            let Val::Given(name, at) = k else { continue };
            if name.trim().is_empty() {
                self.bad(&at, "a resource id must not be empty");
                continue;
            }
            if let Some((key, ids)) = ids.filter(|(_, ids)| !ids.contains(&name)) {
                let names: Vec<&str> = ids.iter().map(String::as_str).collect();
                let why = match check::suggest(&name, &names) {
                    Some(near) => format!("'{name}' is not in {key} (did you mean '{near}'?)"),
                    None => format!("'{name}' is not in {key}"),
                };
                self.bad(&at, why);
                continue;
            }
            if self.intervals.contains_key(&name) {
                self.bad(&at, "duplicate key");
                continue;
            }
            if let Some(Span(d)) = v.ok() {
                self.intervals.insert(name, d);
            }
        }
    }
}

/// `discover: { folder_id, interval }` as written; `discover: true` is `{}`. Only Yandex
/// reads `folder_id`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DiscoverKeys {
    folder_id: Val<Id>,
    interval: Val<Span>,
}

/// The line of a target's `name:` value, else of the target.
fn name_line(item: &Node) -> u32 {
    if let Value::Map(entries) = &item.value {
        for (k, v) in entries {
            if k.value == Value::Str("name".to_string()) {
                return v.line;
            }
        }
    }
    item.line
}

/// Every provider id, for messages.
pub(crate) fn provider_list() -> String {
    ProviderKind::ALL
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}
