//! `targets:` entries: the keys every target has, and through the provider registry the
//! keys of its provider, which each provider's folder declares and checks
//! (`provider/<kind>/config.rs`). [`TargetCx`] is what a provider's checks report to.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::check::{self, label_name};
use super::cx::Cx;
use super::de::{At, Entries, Reader, Val, fields_of};
use super::file::{Node, Value};
use super::keys::TargetCx;
use super::settings::SettingsFile;
use super::value::{BaseUrl, NonEmpty, Scalar, Text};
use super::{Settings, Target};
use crate::provider::ProviderKind;

/// Keys every target has (besides the settings keys).
const COMMON_KEYS: &[&str] = &["name", "provider", "endpoint", "labels", "types"];

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

/// Why `key` is not allowed on a target of `provider`, when a better reason than "unknown" exists.
fn target_key_hint(provider: Option<ProviderKind>, key: &str) -> Option<String> {
    let provider = provider?;
    // A provider's credentials, beside a target of any provider.
    if ProviderKind::ALL
        .into_iter()
        .any(|p| p.credentials().contains(&key))
    {
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
        let inherited = self.inherited.clone();
        let mut settings = own.over(defaults, &inherited, &whole, &mut |at, problem| {
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
