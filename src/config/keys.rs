//! What a provider's checks of its own target keys report to ([`TargetCx`]), and the target
//! parts every provider shares: which resources it polls (ids or discovery) and the
//! `expected_intervals` of them. The provider folders (`provider/<kind>/config.rs`) read
//! their keys through it; the loader (`target.rs`) builds it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::check;
use super::cx::Cx;
use super::de::{At, Entries, Reader, Val};
use super::file::Node;
use super::secret::Secret;
use super::value::{BoolOr, FilePath, Id, InlineSecret, Span};

/// Default refresh interval of discovered resources.
pub(crate) const DEFAULT_DISCOVER_INTERVAL: Duration = Duration::from_secs(3600);

/// Resources listed by id, or discovered from the cloud.
#[derive(Debug, Clone, PartialEq)]
pub enum Resources {
    /// A fixed list of ids.
    Ids(Vec<String>),
    /// Ask the cloud, refreshed every `interval`.
    Discover(Discover),
}

/// `discover:` settings every provider shares (a provider's own discovery keys, such as a
/// Yandex `folder_id`, are in its own config).
#[derive(Debug, Clone, PartialEq)]
pub struct Discover {
    /// How often the resource list is refreshed (default 1h).
    pub interval: Duration,
}

/// What a provider's checks of its keys report to (`provider/<kind>/config.rs`): problems at
/// the key they name, and the target's shared parts (secrets read from files, id lists or
/// discovery, `expected_intervals`).
pub(crate) struct TargetCx<'c, 'e, 'r> {
    pub(super) cx: &'c mut Cx<'e>,
    pub(super) reader: Reader<'r>,
    /// The target's mapping.
    pub(super) item: &'c Node,
    pub(super) line: u32,
    pub(super) has_endpoint: bool,
    pub(super) intervals: BTreeMap<String, Duration>,
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

    /// An environment variable, read where `${VAR}` values are (tests give their own).
    pub(crate) fn env(&self, name: &str) -> Option<String> {
        (self.cx.env)(name)
    }

    /// The line of the target (its `name`), where a problem with a key it lacks is reported.
    pub(crate) fn line(&self) -> u32 {
        self.line
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
    pub(crate) fn resources(
        &mut self,
        ids_key: &str,
        ids: Val<Vec<Val<Id>>>,
        discover: Val<BoolOr<DiscoverKeys>>,
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
            (_, Val::Given(d, at)) => self.discover(d, &at, ids_key).map(Resources::Discover),
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

    fn discover(&mut self, d: BoolOr<DiscoverKeys>, at: &At, ids_key: &str) -> Option<Discover> {
        let keys = match d {
            BoolOr::Bool(false) => {
                self.bad(at, format!("is false; list {ids_key} instead"));
                return None;
            }
            BoolOr::Bool(true) => DiscoverKeys::default(),
            BoolOr::Map(k) => k,
        };
        if keys.interval.at().is_some() && keys.interval.get().is_none() {
            return None;
        }
        let interval = keys
            .interval
            .ok()
            .map_or(DEFAULT_DISCOVER_INTERVAL, |s| s.0);
        Some(Discover { interval })
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

/// `discover: { interval }` as written; `discover: true` is `{}`. A provider with discovery
/// keys of its own reads them itself and hands the rest over ([`DiscoverKeys::with`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct DiscoverKeys {
    interval: Val<Span>,
}

impl DiscoverKeys {
    /// The shared keys, as a provider's own discovery struct read them.
    pub(crate) fn with(interval: Val<Span>) -> DiscoverKeys {
        DiscoverKeys { interval }
    }
}
