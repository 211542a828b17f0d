//! `targets:` entries: the common keys, each provider's keys, auth and resources.

use std::collections::BTreeMap;
use std::time::Duration;

use super::check::{self, label_name, path_id, region_doubt};
use super::file::{Node, Value};
use super::load::{Cx, Fields, SETTINGS_KEYS};
use super::{
    Discover, DmsEngine, HuaweiAuth, HuaweiCbrTarget, HuaweiCommon, HuaweiDmsTarget, HuaweiTarget,
    ProviderKind, Resources, Secret, Settings, Target, TargetSpec, YandexAuth, YandexTarget,
};

/// Keys every target has (besides the settings keys).
const COMMON_KEYS: &[&str] = &["name", "provider", "endpoint", "labels", "auth", "types"];
/// Default refresh interval of discovered resources.
pub(super) const DEFAULT_DISCOVER_INTERVAL: Duration = Duration::from_secs(3600);

/// Keys of `auth:` for Yandex targets.
const YANDEX_AUTH_KEYS: &[&str] = &[
    "iam_token",
    "iam_token_file",
    "oauth_token",
    "oauth_token_file",
    "service_account_key_file",
    "service_account_key",
    "metadata",
    "metadata_url",
    "iam_endpoint",
];
/// Keys of `auth:` for Huawei targets.
const HUAWEI_AUTH_KEYS: &[&str] = &[
    "access_key",
    "access_key_file",
    "secret_key",
    "secret_key_file",
    "security_token",
    "security_token_file",
    "iam",
];
/// Keys of `auth.iam:` for Huawei targets.
const HUAWEI_IAM_KEYS: &[&str] = &["endpoint", "domain", "user", "password", "password_file"];
/// CBR query parameters the exporter sets itself (paging and the time window).
const CBR_OWNED_FILTERS: &[&str] = &["limit", "offset", "start_time", "end_time"];

/// The provider-specific keys of a target.
fn provider_keys(p: ProviderKind) -> &'static [&'static str] {
    match p {
        ProviderKind::YandexBackup => &["compute_instance_ids", "discover", "expected_intervals"],
        ProviderKind::HuaweiVbs => &[
            "region",
            "project_id",
            "policy_ids",
            "discover",
            "expected_intervals",
        ],
        ProviderKind::HuaweiCbr => &["region", "project_id", "filters", "expected_intervals"],
        ProviderKind::HuaweiCce => &[
            "region",
            "project_id",
            "cluster_ids",
            "discover",
            "expected_intervals",
        ],
        ProviderKind::HuaweiDms => &["region", "project_id", "engine", "instance_ids", "discover"],
    }
}

/// The id-list key of a provider, if it has one.
fn ids_key(p: ProviderKind) -> Option<&'static str> {
    match p {
        ProviderKind::YandexBackup => Some("compute_instance_ids"),
        ProviderKind::HuaweiVbs => Some("policy_ids"),
        ProviderKind::HuaweiCbr => None,
        ProviderKind::HuaweiCce => Some("cluster_ids"),
        ProviderKind::HuaweiDms => Some("instance_ids"),
    }
}

/// Why `key` is not allowed on a target of `provider`, when a better reason than "unknown" exists.
fn target_key_hint(provider: Option<ProviderKind>, key: &str) -> Option<String> {
    let provider = provider?;
    if YANDEX_AUTH_KEYS.contains(&key) || HUAWEI_AUTH_KEYS.contains(&key) {
        return Some("unknown key; credentials go under 'auth:'".to_string());
    }
    let owners: Vec<&str> = ProviderKind::ALL
        .into_iter()
        .filter(|p| provider_keys(*p).contains(&key))
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
        match ids_key(provider) {
            Some(own) => why.push_str(&format!("; use {own}")),
            None => why.push_str("; this provider polls the whole project"),
        }
    }
    Some(why)
}

impl Cx<'_> {
    /// Reads `targets:`; names are unique.
    pub(super) fn targets(&mut self, node: &Node, defaults: &Settings) -> Vec<Target> {
        let Some(items) = self.list(node, "targets") else {
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
            self.bad(
                item,
                &format!("targets[{index}]"),
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
        let name = match lookup("name") {
            Some(v) => self.required_string(v, "name").and_then(|n| {
                check::target_name(&n)
                    .map_err(|e| self.bad(v, "name", e))
                    .ok()
                    .map(|()| n)
            }),
            None => {
                self.bad(item, "name", "missing (every target needs a unique name)");
                None
            }
        };
        if let Some(n) = &name {
            self.target = Some(n.clone());
        }
        let provider = match lookup("provider") {
            Some(v) => self.provider(v),
            None => {
                self.bad(
                    item,
                    "provider",
                    format!("missing; one of {}", provider_list()),
                );
                None
            }
        };
        let mut allowed: Vec<&str> = COMMON_KEYS.to_vec();
        allowed.extend_from_slice(SETTINGS_KEYS);
        match provider {
            Some(p) => allowed.extend_from_slice(provider_keys(p)),
            None => {
                // Unknown provider: accept every provider's keys so only real typos show.
                for p in ProviderKind::ALL {
                    allowed.extend_from_slice(provider_keys(p));
                }
            }
        }
        let f = self.fields(item, "", &allowed, &|k| target_key_hint(provider, k));
        let mut settings = self.settings(&f, defaults);
        let endpoint = f.get("endpoint").and_then(|v| self.url(v, "endpoint"));
        let labels = match f.get("labels") {
            Some(v) => self.string_map(v, "labels", &label_name),
            None => BTreeMap::new(),
        };
        let spec = match provider? {
            ProviderKind::YandexBackup => self.yandex(&f),
            p => self.huawei(&f, p),
        };
        if let Some(v) = f.get("expected_intervals") {
            settings.expect.intervals = self.expected_intervals(v, spec.as_ref());
        }
        if let Some(v) = f.get("types") {
            settings.expect.types = self.types(v).unwrap_or_default();
        }
        Some(Target {
            name: name?,
            endpoint,
            labels,
            settings,
            spec: spec?,
        })
    }

    /// `expected_intervals:`, resource id → duration. Where the polled ids are the resources
    /// (Yandex instances, CCE clusters), a key must be one of them: anything else is a typo
    /// that would silently never match.
    fn expected_intervals(
        &mut self,
        node: &Node,
        spec: Option<&TargetSpec>,
    ) -> BTreeMap<String, Duration> {
        let ids: Option<(&str, &[String])> = match spec {
            Some(TargetSpec::YandexBackup(YandexTarget {
                resources: Resources::Ids(ids),
                ..
            })) => Some(("compute_instance_ids", ids)),
            Some(TargetSpec::HuaweiCce(HuaweiTarget {
                resources: Resources::Ids(ids),
                ..
            })) => Some(("cluster_ids", ids)),
            _ => None,
        };
        self.duration_map(node, "expected_intervals", &|k| {
            if k.trim().is_empty() {
                return Err("a resource id must not be empty".to_string());
            }
            let Some((key, ids)) = ids.filter(|(_, ids)| !ids.iter().any(|i| i == k)) else {
                return Ok(());
            };
            let names: Vec<&str> = ids.iter().map(String::as_str).collect();
            Err(match check::suggest(k, &names) {
                Some(near) => format!("'{k}' is not in {key} (did you mean '{near}'?)"),
                None => format!("'{k}' is not in {key}"),
            })
        })
    }

    fn provider(&mut self, v: &Node) -> Option<ProviderKind> {
        let s = self.string(v, "provider")?;
        match ProviderKind::parse(s.trim()) {
            Some(p) => Some(p),
            None => {
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
                self.bad(v, "provider", why);
                None
            }
        }
    }

    /// Reports a missing required key of the target.
    fn missing(&mut self, f: &Fields<'_>, key: &str, why: &str) {
        let line = f.node.line;
        self.push(line, Some(key), format!("missing ({why})"));
    }

    fn yandex(&mut self, f: &Fields<'_>) -> Option<TargetSpec> {
        let resources = self.resources(f, ProviderKind::YandexBackup);
        let (auth, iam_endpoint) = match f.get("auth") {
            Some(a) => self.yandex_auth(a)?,
            None => {
                self.missing(f, "auth", "exactly one auth method is required");
                return None;
            }
        };
        Some(TargetSpec::YandexBackup(YandexTarget {
            auth,
            iam_endpoint,
            resources: resources?,
        }))
    }

    fn yandex_auth(&mut self, node: &Node) -> Option<(YandexAuth, Option<String>)> {
        let f = self.fields(node, "auth", YANDEX_AUTH_KEYS, &|_| None);
        if !matches!(node.value, Value::Map(_) | Value::Null) {
            return None;
        }
        let iam_endpoint = f.get("iam_endpoint").and_then(|v| {
            let k = f.key("iam_endpoint");
            self.url(v, &k)
        });
        let metadata = match f.get("metadata") {
            Some(v) => self.bool(v, "auth.metadata")?,
            None => false,
        };
        let methods: [(&str, &str, bool); 4] = [
            ("iam_token", "iam_token_file", false),
            ("oauth_token", "oauth_token_file", false),
            ("service_account_key", "service_account_key_file", false),
            ("metadata", "", metadata),
        ];
        let given: Vec<&str> = methods
            .iter()
            .filter_map(|(k, fk, on)| {
                if *on || (k != &"metadata" && f.has(k)) {
                    Some(*k)
                } else if !fk.is_empty() && f.has(fk) {
                    Some(*fk)
                } else {
                    None
                }
            })
            .collect();
        if let (Some(v), false) = (f.get("metadata_url"), metadata) {
            self.bad(
                v,
                "auth.metadata_url",
                "only used with 'metadata: true'".to_string(),
            );
        }
        match given.len() {
            0 => {
                self.bad(
                    node,
                    "auth",
                    "no auth method given (one of iam_token, iam_token_file, oauth_token, oauth_token_file, service_account_key_file, service_account_key, metadata: true)",
                );
                return None;
            }
            1 => {}
            _ => {
                self.bad(
                    node,
                    "auth",
                    format!("two auth methods given ({})", given.join(", ")),
                );
                return None;
            }
        }
        let auth = match given[0] {
            "iam_token" | "iam_token_file" => {
                YandexAuth::IamToken(self.secret_either(&f, "iam_token")?)
            }
            "oauth_token" | "oauth_token_file" => {
                YandexAuth::OAuthToken(self.secret_either(&f, "oauth_token")?)
            }
            "service_account_key" | "service_account_key_file" => self.sa_key(&f)?,
            _ => YandexAuth::Metadata {
                url: match f.get("metadata_url") {
                    Some(v) => Some(self.url(v, "auth.metadata_url")?),
                    None => None,
                },
            },
        };
        if f.has("iam_endpoint") && iam_endpoint.is_none() {
            return None;
        }
        Some((auth, iam_endpoint))
    }

    fn sa_key(&mut self, f: &Fields<'_>) -> Option<YandexAuth> {
        if let (Some(_), Some(v)) = (
            f.get("service_account_key"),
            f.get("service_account_key_file"),
        ) {
            self.bad(
                v,
                "auth.service_account_key_file",
                "both service_account_key and service_account_key_file given; use one",
            );
            return None;
        }
        let (key, node, origin, json) = if let Some(v) = f.get("service_account_key_file") {
            let key = "auth.service_account_key_file";
            let (path, json) = self.secret_file(v, key)?;
            (key, v, path.display().to_string(), json)
        } else {
            let key = "auth.service_account_key";
            let v = f.get("service_account_key")?;
            let json = match &v.value {
                // Inline JSON is also a YAML flow mapping, so it may arrive as a mapping.
                Value::Map(_) => Secret::new(node_to_json(v).to_string()),
                _ => self.secret(v, key)?,
            };
            (key, v, "<inline>".to_string(), json)
        };
        if let Err(e) = check_sa_key(json.expose()) {
            self.bad(node, key, e);
            return None;
        }
        Some(YandexAuth::ServiceAccountKey { origin, json })
    }

    fn huawei(&mut self, f: &Fields<'_>, p: ProviderKind) -> Option<TargetSpec> {
        let need = format!("required for {}", p.as_str());
        let region = match f.get("region") {
            Some(v) => self.required_string(v, "region").and_then(|r| {
                let ok = r
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if ok {
                    let service = match p {
                        ProviderKind::HuaweiVbs => "vbs",
                        ProviderKind::HuaweiCce => "cce",
                        ProviderKind::HuaweiDms => "dms",
                        _ => "cbr",
                    };
                    // With an explicit endpoint the region only names the project's scope.
                    if !f.has("endpoint") {
                        if let Some(doubt) = region_doubt(&r, service) {
                            self.warn(v, "region", doubt);
                        }
                    }
                    Some(r)
                } else {
                    self.bad(
                        v,
                        "region",
                        format!("'{r}' is not a region id such as ap-southeast-1"),
                    );
                    None
                }
            }),
            None => {
                self.missing(f, "region", &need);
                None
            }
        };
        let project_id = match f.get("project_id") {
            Some(v) => self.required_string(v, "project_id").and_then(|s| {
                path_id(&s)
                    .map_err(|e| self.bad(v, "project_id", e))
                    .ok()
                    .map(|()| s)
            }),
            None => {
                self.missing(f, "project_id", &need);
                None
            }
        };
        let auth = match f.get("auth") {
            Some(a) => self.huawei_auth(a),
            None => {
                self.missing(f, "auth", "access_key + secret_key, or iam");
                None
            }
        };
        let engine = if p == ProviderKind::HuaweiDms {
            match f.get("engine") {
                Some(v) => self.engine(v),
                None => {
                    self.missing(f, "engine", "kafka, rabbitmq or rocketmq");
                    None
                }
            }
        } else {
            None
        };
        let filters = match (p, f.get("filters")) {
            (ProviderKind::HuaweiCbr, Some(v)) => Some(self.string_map(v, "filters", &|k| {
                if CBR_OWNED_FILTERS.contains(&k) {
                    Err(format!(
                        "'{k}' is set by the exporter (paging and the lookback window)"
                    ))
                } else if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    Err(format!("'{k}' is not a query parameter name"))
                } else {
                    Ok(())
                }
            })),
            _ => Some(BTreeMap::new()),
        };
        let resources = if p == ProviderKind::HuaweiCbr {
            None
        } else {
            Some(self.resources(f, p))
        };
        let common = HuaweiCommon {
            region: region?,
            project_id: project_id?,
            auth: auth?,
        };
        Some(match p {
            ProviderKind::HuaweiCbr => TargetSpec::HuaweiCbr(HuaweiCbrTarget {
                common,
                filters: filters?,
            }),
            ProviderKind::HuaweiVbs => TargetSpec::HuaweiVbs(HuaweiTarget {
                common,
                resources: resources??,
            }),
            ProviderKind::HuaweiCce => TargetSpec::HuaweiCce(HuaweiTarget {
                common,
                resources: resources??,
            }),
            ProviderKind::HuaweiDms => TargetSpec::HuaweiDms(HuaweiDmsTarget {
                common,
                engine: engine?,
                resources: resources??,
            }),
            ProviderKind::YandexBackup => return None,
        })
    }

    fn engine(&mut self, v: &Node) -> Option<DmsEngine> {
        let s = self.string(v, "engine")?;
        match s.trim().to_ascii_lowercase().as_str() {
            "kafka" => Some(DmsEngine::Kafka),
            "rabbitmq" => Some(DmsEngine::Rabbitmq),
            "rocketmq" => Some(DmsEngine::Rocketmq),
            _ => {
                self.bad(
                    v,
                    "engine",
                    format!("unknown engine '{s}'; one of kafka, rabbitmq, rocketmq"),
                );
                None
            }
        }
    }

    fn huawei_auth(&mut self, node: &Node) -> Option<HuaweiAuth> {
        let f = self.fields(node, "auth", HUAWEI_AUTH_KEYS, &|k| {
            (k == "endpoint" || k == "domain" || k == "user" || k == "password")
                .then(|| "unknown key; IAM user credentials go under 'iam:'".to_string())
        });
        if !matches!(node.value, Value::Map(_) | Value::Null) {
            return None;
        }
        let aksk: Vec<&str> = HUAWEI_AUTH_KEYS
            .iter()
            .copied()
            .filter(|k| *k != "iam" && f.has(k))
            .collect();
        let iam = f.get("iam");
        match (aksk.first(), iam) {
            (Some(first), Some(_)) => {
                self.bad(
                    node,
                    "auth",
                    format!("two auth methods given ({first}, iam)"),
                );
                None
            }
            (None, None) => {
                self.bad(
                    node,
                    "auth",
                    "no auth method given (access_key + secret_key, or iam)",
                );
                None
            }
            (None, Some(iam)) => self.huawei_iam(iam),
            (Some(_), None) => {
                let access_key = self.secret_either(&f, "access_key");
                let secret_key = self.secret_either(&f, "secret_key");
                let security_token = self.secret_either(&f, "security_token");
                for (k, got) in [
                    ("access_key", access_key.is_some()),
                    ("secret_key", secret_key.is_some()),
                ] {
                    if !got && !f.has(k) && !f.has(&format!("{k}_file")) {
                        self.bad(
                            node,
                            &format!("auth.{k}"),
                            format!("missing ({k} or {k}_file is required for AK/SK signing)"),
                        );
                    }
                }
                let token_bad = security_token.is_none()
                    && (f.has("security_token") || f.has("security_token_file"));
                if token_bad {
                    return None;
                }
                Some(HuaweiAuth::AkSk {
                    access_key: access_key?,
                    secret_key: secret_key?,
                    security_token,
                })
            }
        }
    }

    fn huawei_iam(&mut self, node: &Node) -> Option<HuaweiAuth> {
        let f = self.fields(node, "auth.iam", HUAWEI_IAM_KEYS, &|_| None);
        let mut ok = true;
        let endpoint = match f.get("endpoint") {
            Some(v) => {
                let url = self.url(v, "auth.iam.endpoint");
                ok &= url.is_some();
                url
            }
            None => None,
        };
        let mut field = |k: &str| match f.get(k) {
            Some(v) => self.required_string(v, &format!("auth.iam.{k}")),
            None => {
                self.bad(node, &format!("auth.iam.{k}"), "missing");
                None
            }
        };
        let domain = field("domain");
        let user = field("user");
        let password = self.secret_either(&f, "password");
        if password.is_none() && !f.has("password") && !f.has("password_file") {
            self.bad(
                node,
                "auth.iam.password",
                "missing (password or password_file)",
            );
        }
        if !ok {
            return None;
        }
        Some(HuaweiAuth::Iam {
            endpoint,
            domain: domain?,
            user: user?,
            password: password?,
        })
    }

    /// The id list or `discover:` of a target; exactly one of them.
    fn resources(&mut self, f: &Fields<'_>, p: ProviderKind) -> Option<Resources> {
        let ids_key = ids_key(p)?;
        match (f.get(ids_key), f.get("discover")) {
            (Some(_), Some(d)) => {
                self.bad(
                    d,
                    "discover",
                    format!("both {ids_key} and discover given; use one"),
                );
                None
            }
            (None, None) => {
                self.missing(f, ids_key, &format!("list {ids_key} or set discover"));
                None
            }
            (Some(v), None) => self.ids(v, ids_key).map(Resources::Ids),
            (None, Some(d)) => self.discover(d, p).map(Resources::Discover),
        }
    }

    /// `types:`, the task types whose series exist before their first task (as the `type`
    /// label shows them: `backup`, a CBR `operation_type`, a DMS task name).
    fn types(&mut self, node: &Node) -> Option<Vec<String>> {
        let items = self.list(node, "types")?;
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("types[{i}]");
            let Some(t) = self.required_string(item, &path) else {
                continue;
            };
            let t = t.trim().to_string();
            if t.is_empty() || t.len() > crate::accounting::MAX_LABEL_BYTES {
                self.bad(
                    item,
                    &path,
                    "must be a task type of 1 to 128 bytes, e.g. backup",
                );
            } else if out.contains(&t) {
                self.bad(item, &path, format!("duplicate type '{t}'"));
            } else {
                out.push(t);
            }
        }
        Some(out)
    }

    fn ids(&mut self, node: &Node, key: &str) -> Option<Vec<String>> {
        let items = self.list(node, key)?;
        if items.is_empty() {
            self.bad(node, key, "is empty; list at least one id or use discover");
            return None;
        }
        let mut out: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let path = format!("{key}[{i}]");
            let Some(id) = self.required_string(item, &path) else {
                ok = false;
                continue;
            };
            let id = id.trim().to_string();
            if let Err(e) = path_id(&id) {
                self.bad(item, &path, e);
                ok = false;
            } else if out.contains(&id) {
                self.bad(item, &path, format!("duplicate id '{id}'"));
                ok = false;
            }
            out.push(id);
        }
        ok.then_some(out)
    }

    fn discover(&mut self, node: &Node, p: ProviderKind) -> Option<Discover> {
        let yandex = p == ProviderKind::YandexBackup;
        if let Value::Bool(b) = node.value {
            if yandex {
                self.bad(
                    node,
                    "discover",
                    "needs a folder_id: discover: { folder_id: ... }",
                );
                return None;
            }
            if !b {
                self.bad(
                    node,
                    "discover",
                    format!("is false; list {} instead", ids_key(p).unwrap_or("ids")),
                );
                return None;
            }
            return Some(Discover {
                folder_id: None,
                interval: DEFAULT_DISCOVER_INTERVAL,
            });
        }
        let allowed: &[&str] = if yandex {
            &["folder_id", "interval"]
        } else {
            &["interval"]
        };
        let f = self.fields(node, "discover", allowed, &|k| {
            (k == "folder_id").then(|| {
                "unknown key; Huawei discovery lists the whole project (folder_id is for yandex_backup)"
                    .to_string()
            })
        });
        let interval = match f.get("interval") {
            Some(v) => self.duration(v, "discover.interval")?,
            None => DEFAULT_DISCOVER_INTERVAL,
        };
        let folder_id = if yandex {
            match f.get("folder_id") {
                Some(v) => {
                    let id = self.required_string(v, "discover.folder_id")?;
                    if let Err(e) = path_id(&id) {
                        self.bad(v, "discover.folder_id", e);
                        return None;
                    }
                    Some(id)
                }
                None => {
                    self.bad(
                        node,
                        "discover.folder_id",
                        "missing (the folder whose instances are polled)",
                    );
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

fn provider_list() -> String {
    ProviderKind::ALL
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A YAML node as JSON (for a service account key written inline as a mapping).
fn node_to_json(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &n.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => i64::try_from(*i).map_or(J::Null, J::from),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(items) => J::Array(items.iter().map(node_to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| {
                    let key = match &k.value {
                        Value::Str(s) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    (key, node_to_json(v))
                })
                .collect(),
        ),
    }
}

/// Checks a Yandex authorized key: `yc iam key create` output (snake_case) or the REST
/// `Key.create` response (camelCase, key fields under `key`). The message never quotes it.
pub(crate) fn check_sa_key(json: &str) -> Result<(), String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| {
        format!(
            "service account key is not valid JSON (line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Some(top) = v.as_object() else {
        return Err("service account key must be a JSON object".to_string());
    };
    let inner = top.get("key").and_then(|k| k.as_object()).unwrap_or(top);
    let field = |names: &[&str]| {
        names.iter().find_map(|n| {
            inner
                .get(*n)
                .or_else(|| top.get(*n))
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
        })
    };
    let mut missing = Vec::new();
    if field(&["id"]).is_none() {
        missing.push("id");
    }
    if field(&["service_account_id", "serviceAccountId"]).is_none() {
        missing.push("service_account_id");
    }
    match field(&["private_key", "privateKey"]) {
        None => missing.push("private_key"),
        Some(pk) if !pk.contains("-----BEGIN") => {
            return Err("service account key: private_key is not a PEM key".to_string());
        }
        Some(_) => {}
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("service account key lacks {}", missing.join(", ")))
    }
}
