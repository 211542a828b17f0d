//! The keys of a `yandex_backup` target, with its credential parsed once: a service-account
//! key is read, checked and turned into a signing key here, when the config loads.

use std::fmt;

use jsonwebtoken::EncodingKey;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

use crate::provider::plugin::Keys;
use crate::config::de::{At, Entries, Val, fields_of};
use crate::config::keys::{DiscoverKeys, Resources, TargetCx};
use crate::config::secret::Secret;
use crate::config::value::{BaseUrl, BoolOr, FilePath, Flag, Id, InlineSecret, Span};

/// A Yandex target's own keys as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    auth: Val<AuthFile>,
    compute_instance_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverFile>>,
    expected_intervals: Val<Entries<Span>>,
}

/// `discover: { folder_id, interval }` of a Yandex target as written: the folder whose
/// instances are polled, and the keys every provider's `discover:` has.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct DiscoverFile {
    folder_id: Val<Id>,
    interval: Val<Span>,
}

/// `auth:` of a Yandex target as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AuthFile {
    iam_token: Val<InlineSecret>,
    iam_token_file: Val<FilePath>,
    oauth_token: Val<InlineSecret>,
    oauth_token_file: Val<FilePath>,
    service_account_key_file: Val<FilePath>,
    service_account_key: Val<KeyText>,
    metadata: Val<Flag>,
    metadata_url: Val<BaseUrl>,
    iam_endpoint: Val<BaseUrl>,
}

/// A Yandex target's own keys: how it gets IAM tokens and which instances it polls.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// How an IAM token is obtained.
    pub auth: Auth,
    /// IAM API base URL (default `https://iam.api.cloud.yandex.net`).
    pub iam_endpoint: Option<BaseUrl>,
    /// `compute_instance_ids` or `discover`.
    pub resources: Resources,
    /// The folder whose backup-enabled instances are discovered (`discover.folder_id`).
    pub folder_id: Option<String>,
}

/// The four Yandex token sources; exactly one is configured.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// `iam_token` / `iam_token_file`: used as is.
    IamToken(Secret),
    /// `oauth_token` / `oauth_token_file`: exchanged at the IAM endpoint (legacy).
    OAuthToken(Secret),
    /// `service_account_key_file` (or inline `service_account_key`): an authorized key.
    ServiceAccountKey(ServiceAccountKey),
    /// `metadata: true`: the VM metadata service.
    Metadata {
        /// Base URL (default `http://169.254.169.254`).
        url: Option<BaseUrl>,
    },
}

/// A service account's authorized key (`yc iam key create` output, or the REST
/// `Key.create` response), its private key ready to sign JWTs.
#[derive(Clone)]
pub struct ServiceAccountKey {
    /// Where it came from, for messages (`<inline>` when inline).
    pub origin: String,
    /// The key id (`kid` of the JWT).
    pub key_id: String,
    /// The service account (`iss` of the JWT).
    pub service_account_id: String,
    /// The private key as written (PEM), for comparing configs.
    pem: Secret,
    /// The private key, parsed.
    key: EncodingKey,
}

impl ServiceAccountKey {
    /// The private key that signs the JWT.
    pub(crate) fn encoding_key(&self) -> &EncodingKey {
        &self.key
    }
}

impl PartialEq for ServiceAccountKey {
    fn eq(&self, other: &Self) -> bool {
        (&self.origin, &self.key_id, &self.service_account_id, &self.pem)
            == (&other.origin, &other.key_id, &other.service_account_id, &other.pem)
    }
}

impl fmt::Debug for ServiceAccountKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccountKey")
            .field("origin", &self.origin)
            .field("key_id", &self.key_id)
            .field("service_account_id", &self.service_account_id)
            .finish_non_exhaustive()
    }
}

/// Everything before `-----BEGIN` of a PEM (the `PLEASE DO NOT REMOVE THIS LINE!` line of
/// Yandex key files) removed.
pub(crate) fn strip_pem_preamble(pem: &str) -> &str {
    pem.find("-----BEGIN").map_or(pem, |i| &pem[i..])
}

/// Why a service-account key cannot be used. No message quotes the key.
#[derive(Debug, thiserror::Error)]
enum KeyError {
    /// Not JSON, with where the parser stopped.
    #[error("service account key is not valid JSON (line {line}, column {column})")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// JSON, but not an object.
    #[error("service account key must be a JSON object")]
    NotAnObject,
    /// Fields an authorized key has.
    #[error("service account key lacks {}", .0.join(", "))]
    Lacks(Vec<&'static str>),
    /// `private_key` holds no PEM block.
    #[error("service account key: private_key is not a PEM key")]
    NotPem,
    /// `private_key` is a PEM block but not an RSA private key.
    #[error("service account key {origin}: private_key is not an RSA PEM key: {source}")]
    NotRsa {
        /// Where the key came from.
        origin: String,
        /// The parser's complaint (about the key's form, never its content).
        #[source]
        source: jsonwebtoken::errors::Error,
    },
}

/// Reads an authorized key: `yc iam key create` output (snake_case) or the REST
/// `Key.create` response (camelCase, key fields under `key`).
fn parse_key(json: &Secret, origin: String) -> Result<ServiceAccountKey, KeyError> {
    let v: serde_json::Value =
        serde_json::from_str(json.expose()).map_err(|e| KeyError::Json {
            line: e.line(),
            column: e.column(),
        })?;
    let Some(top) = v.as_object() else {
        return Err(KeyError::NotAnObject);
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
    let id = field(&["id"]);
    let account = field(&["service_account_id", "serviceAccountId"]);
    let pem = field(&["private_key", "privateKey"]);
    let mut missing = Vec::new();
    if id.is_none() {
        missing.push("id");
    }
    if account.is_none() {
        missing.push("service_account_id");
    }
    match pem {
        None => missing.push("private_key"),
        Some(pk) if !pk.contains("-----BEGIN") => return Err(KeyError::NotPem),
        Some(_) => {}
    }
    let (Some(id), Some(account), Some(pem)) = (id, account, pem) else {
        return Err(KeyError::Lacks(missing));
    };
    let key = EncodingKey::from_rsa_pem(strip_pem_preamble(pem).as_bytes()).map_err(|source| {
        KeyError::NotRsa {
            origin: origin.clone(),
            source,
        }
    })?;
    Ok(ServiceAccountKey {
        origin,
        key_id: id.to_string(),
        service_account_id: account.to_string(),
        pem: Secret::new(pem),
        key,
    })
}

/// An authorized key written inline: its JSON as a string, or as a YAML mapping (inline
/// JSON is also a YAML flow mapping).
#[derive(Debug)]
struct KeyText(Secret);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<KeyText, A::Error> {
                let json =
                    serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(KeyText(Secret::new(json.to_string())))
            }
        }
        // Anything but a mapping reads as an inline secret (and is refused as one).
        match d.deserialize_any(Either(V)) {
            Ok(Ok(k)) => Ok(k),
            Ok(Err(InlineSecret(s))) => Ok(KeyText(s)),
            Err(e) => Err(e),
        }
    }
}

/// A mapping for `V`, anything else for an [`InlineSecret`].
struct Either<V>(V);

impl<'de, V: Visitor<'de, Value = KeyText>> Visitor<'de> for Either<V> {
    type Value = Result<KeyText, InlineSecret>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.0.visit_map(map).map(Ok)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        secret(de::value::StrDeserializer::new(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        secret(de::value::UnitDeserializer::new())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        secret(de::value::BoolDeserializer::new(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        secret(de::value::I64Deserializer::new(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        secret(de::value::U64Deserializer::new(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        secret(de::value::F64Deserializer::new(v))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        secret(de::value::SeqAccessDeserializer::new(seq))
    }
}

fn secret<'de, D: Deserializer<'de>>(d: D) -> Result<Result<KeyText, InlineSecret>, D::Error> {
    InlineSecret::deserialize(d).map(Err)
}

impl Keys for File {
    type Config = Config;

    fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<Config> {
        let ids_given = self.compute_instance_ids.given();
        let (discover, folder_id) = folder(cx, self.discover, ids_given);
        let resources = cx.resources("compute_instance_ids", self.compute_instance_ids, discover);
        let auth = match self.auth {
            Val::Given(a, at) => a.check(cx, &at),
            Val::Bad(_) => None,
            Val::Absent => {
                cx.missing("auth", "exactly one auth method is required");
                None
            }
        };
        // The instances are the resources: a configured one is the only one to expect.
        let ids = match &resources {
            Some(Resources::Ids(ids)) => Some(("compute_instance_ids", ids.as_slice())),
            _ => None,
        };
        cx.expected_intervals(self.expected_intervals, ids);
        let (auth, iam_endpoint) = auth?;
        Some(Config {
            auth,
            iam_endpoint,
            resources: resources?,
            folder_id,
        })
    }

    fn credentials() -> &'static [&'static str] {
        fields_of::<AuthFile>()
    }
}

/// The folder of `discover:`, and the keys every provider's `discover:` has. Discovery needs a
/// folder; when the ids are given too, the shared check reports that alone.
fn folder(
    cx: &mut TargetCx<'_, '_, '_>,
    discover: Val<BoolOr<DiscoverFile>>,
    ids_given: bool,
) -> (Val<BoolOr<DiscoverKeys>>, Option<String>) {
    match discover {
        Val::Given(BoolOr::Bool(_), at) if !ids_given => {
            cx.bad(&at, "needs a folder_id: discover: { folder_id: ... }");
            (Val::Bad(at), None)
        }
        Val::Given(BoolOr::Bool(b), at) => (Val::Given(BoolOr::Bool(b), at), None),
        Val::Given(BoolOr::Map(k), at) => {
            let bad_interval = k.interval.at().is_some() && k.interval.get().is_none();
            let folder_id = match k.folder_id {
                Val::Given(Id(id), _) => Some(id),
                _ if ids_given || bad_interval => None,
                Val::Bad(_) => return (Val::Bad(at), None),
                Val::Absent => {
                    let missing = At {
                        line: at.line,
                        key: "discover.folder_id".into(),
                    };
                    cx.bad(&missing, "missing (the folder whose instances are polled)");
                    return (Val::Bad(at), None);
                }
            };
            (Val::Given(BoolOr::Map(DiscoverKeys::with(k.interval)), at), folder_id)
        }
        Val::Bad(at) => (Val::Bad(at), None),
        Val::Absent => (Val::Absent, None),
    }
}

impl AuthFile {
    /// Exactly one token source.
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<(Auth, Option<BaseUrl>)> {
        let metadata = match &self.metadata {
            Val::Given(Flag(b), _) => *b,
            Val::Bad(_) => return None,
            Val::Absent => false,
        };
        let methods = [
            ("iam_token", self.iam_token.given(), self.iam_token_file.given()),
            (
                "oauth_token",
                self.oauth_token.given(),
                self.oauth_token_file.given(),
            ),
            (
                "service_account_key",
                self.service_account_key.given(),
                self.service_account_key_file.given(),
            ),
        ];
        let mut given: Vec<String> = methods
            .iter()
            .filter_map(|(k, inline, file)| match (inline, file) {
                (true, _) => Some(k.to_string()),
                (false, true) => Some(format!("{k}_file")),
                _ => None,
            })
            .collect();
        if metadata {
            given.push("metadata".to_string());
        }
        if let (Some(url_at), false) = (self.metadata_url.at(), metadata) {
            let url_at = url_at.clone();
            cx.bad(&url_at, "only used with 'metadata: true'");
        }
        match given.len() {
            0 => {
                cx.bad(
                    at,
                    "no auth method given (one of iam_token, iam_token_file, oauth_token, oauth_token_file, service_account_key_file, service_account_key, metadata: true)",
                );
                return None;
            }
            1 => {}
            _ => {
                cx.bad(at, format!("two auth methods given ({})", given.join(", ")));
                return None;
            }
        }
        let endpoint_bad = matches!(self.iam_endpoint, Val::Bad(_));
        let auth = match given[0].as_str() {
            "iam_token" | "iam_token_file" => Auth::IamToken(cx.secret(
                "iam_token",
                self.iam_token,
                self.iam_token_file,
            )?),
            "oauth_token" | "oauth_token_file" => Auth::OAuthToken(cx.secret(
                "oauth_token",
                self.oauth_token,
                self.oauth_token_file,
            )?),
            "service_account_key" | "service_account_key_file" => Auth::ServiceAccountKey(
                service_account_key(cx, self.service_account_key, self.service_account_key_file)?,
            ),
            _ => Auth::Metadata {
                url: match self.metadata_url {
                    Val::Given(u, _) => Some(u),
                    Val::Bad(_) => return None,
                    Val::Absent => None,
                },
            },
        };
        if endpoint_bad {
            return None;
        }
        Some((auth, self.iam_endpoint.ok()))
    }
}

/// The authorized key given inline or in a file (not both), checked and parsed.
fn service_account_key(
    cx: &mut TargetCx<'_, '_, '_>,
    inline: Val<KeyText>,
    file: Val<FilePath>,
) -> Option<ServiceAccountKey> {
    let (at, origin, json) = match (inline, &file) {
        (Val::Given(..) | Val::Bad(_), Val::Given(_, at) | Val::Bad(at)) => {
            let at = at.clone();
            cx.bad(
                &at,
                "both service_account_key and service_account_key_file given; use one",
            );
            return None;
        }
        (Val::Absent, Val::Given(_, at)) => {
            let at = at.clone();
            let (path, json) = cx.secret_file(&file)?;
            (at, path.display().to_string(), json)
        }
        (Val::Given(KeyText(json), at), Val::Absent) => (at, "<inline>".to_string(), json),
        _ => return None,
    };
    match parse_key(&json, origin) {
        Ok(k) => Some(k),
        Err(e) => {
            cx.bad(&at, e);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preamble_is_stripped() {
        let pem = "PLEASE DO NOT REMOVE THIS LINE! Yandex.Cloud SA Key ID <k>\n-----BEGIN PRIVATE KEY-----\nx";
        assert!(strip_pem_preamble(pem).starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(strip_pem_preamble("-----BEGIN X"), "-----BEGIN X");
    }

    #[test]
    fn keys_in_both_spellings_are_read_and_the_message_never_quotes_them() {
        let pem = crate::sim::yandex::TEST_PRIVATE_KEY_PEM;
        let snake = serde_json::json!({"id": "k1", "service_account_id": "sa1", "private_key": pem});
        let k = parse_key(&Secret::new(snake.to_string()), "<inline>".into()).unwrap();
        assert_eq!((k.key_id.as_str(), k.service_account_id.as_str()), ("k1", "sa1"));
        let rest = serde_json::json!({"key": {"id": "k2", "serviceAccountId": "sa2"}, "privateKey": pem});
        let k = parse_key(&Secret::new(rest.to_string()), "<inline>".into()).unwrap();
        assert_eq!((k.key_id.as_str(), k.service_account_id.as_str()), ("k2", "sa2"));
        let broken = serde_json::json!({"id": "k", "service_account_id": "s",
            "private_key": "-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----\n"});
        let e = parse_key(&Secret::new(broken.to_string()), "/etc/key.json".into())
            .unwrap_err()
            .to_string();
        assert!(e.contains("/etc/key.json") && e.contains("not an RSA PEM key"), "{e}");
        assert!(!e.contains("SECRETSTUFF"), "{e}");
    }
}
