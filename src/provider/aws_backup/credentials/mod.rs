//! The credentials of an `aws_backup` target: the `auth:` block as written ([`AuthFile`]),
//! validated ([`Auth`]), and at run time the source that hands out the [`Credentials`] each
//! request is signed with ([`CredentialSource`]).
//!
//! Sources: static keys (`access_key_id`, `secret_access_key`, optional `session_token`, each
//! also as `*_file`) and `environment: true` (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`, the variables of
//! <https://docs.aws.amazon.com/sdkref/latest/guide/feature-static-credentials.html>), read
//! when the config loads. Without `auth:` the environment is used.

use serde::Deserialize;

use crate::config::de::{At, Val};
use crate::config::keys::TargetCx;
use crate::config::secret::Secret;
use crate::config::value::{FilePath, Flag, InlineSecret};
use crate::provider::error::ProviderError;
use crate::provider::http::Http;

/// The access key id variable.
pub(crate) const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The secret access key variable.
pub(crate) const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// The session token variable (temporary credentials).
pub(crate) const ENV_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";

/// Credentials that sign one request.
#[derive(Clone)]
pub(crate) struct Credentials {
    /// The access key id (`AKIA…`, `ASIA…` for temporary credentials).
    pub(crate) access_key_id: String,
    /// The secret access key.
    pub(crate) secret_access_key: Secret,
    /// The session token of temporary credentials.
    pub(crate) session_token: Option<Secret>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The `auth:` block of an `aws_backup` target as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AuthFile {
    access_key_id: Val<InlineSecret>,
    access_key_id_file: Val<FilePath>,
    secret_access_key: Val<InlineSecret>,
    secret_access_key_file: Val<FilePath>,
    session_token: Val<InlineSecret>,
    session_token_file: Val<FilePath>,
    environment: Val<Flag>,
}

/// Access keys as read at load, from the config or the environment.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StaticKeys {
    /// The access key id (registered for scrubbing like the secret).
    access_key_id: Secret,
    /// The secret access key.
    secret_access_key: Secret,
    /// The session token of temporary keys.
    session_token: Option<Secret>,
}

impl StaticKeys {
    fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.expose().to_string(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
        }
    }
}

/// Where a target's credentials come from: exactly one source.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// `access_key_id` + `secret_access_key` (+ `session_token`), each also as `*_file`.
    Static(StaticKeys),
    /// `environment: true` (or no `auth:`): the `AWS_*` variables, read at load.
    Environment(StaticKeys),
}

/// The validated `auth:` of a target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Auth {
    /// The one source.
    pub(crate) source: Source,
}

impl Auth {
    /// The credentials of a target without `auth:`: the environment.
    pub(crate) fn default_chain(cx: &mut TargetCx<'_, '_, '_>, line: u32) -> Option<Auth> {
        let at = At {
            line,
            key: "auth".into(),
        };
        environment(cx, &at)
    }
}

impl AuthFile {
    /// Exactly one source; `at` is where `auth:` is.
    pub(crate) fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Auth> {
        let environment_on = match &self.environment {
            Val::Given(Flag(b), _) => *b,
            Val::Bad(_) => return None,
            Val::Absent => false,
        };
        let keys = [
            ("access_key_id", self.access_key_id.given()),
            ("access_key_id_file", self.access_key_id_file.given()),
            ("secret_access_key", self.secret_access_key.given()),
            (
                "secret_access_key_file",
                self.secret_access_key_file.given(),
            ),
            ("session_token", self.session_token.given()),
            ("session_token_file", self.session_token_file.given()),
        ];
        let static_given = keys.iter().find(|(_, g)| *g).map(|(k, _)| *k);
        match (static_given, environment_on) {
            (None, false) => {
                cx.bad(
                    at,
                    "no auth method given (access_key_id + secret_access_key, or environment: true)",
                );
                None
            }
            (Some(k), true) => {
                cx.bad(at, format!("two auth methods given ({k}, environment)"));
                None
            }
            (None, true) => environment(cx, at),
            (Some(_), false) => {
                let given = |k: &str| keys.iter().any(|(n, g)| *n == k && *g);
                let id = cx.secret("access_key_id", self.access_key_id, self.access_key_id_file);
                let secret = cx.secret(
                    "secret_access_key",
                    self.secret_access_key,
                    self.secret_access_key_file,
                );
                let token_given = given("session_token") || given("session_token_file");
                let token = cx.secret("session_token", self.session_token, self.session_token_file);
                for (k, got) in [
                    ("access_key_id", id.is_some()),
                    ("secret_access_key", secret.is_some()),
                ] {
                    if !got && !given(k) && !given(&format!("{k}_file")) {
                        cx.bad(
                            &At {
                                line: at.line,
                                key: format!("auth.{k}"),
                            },
                            format!("missing ({k} or {k}_file is required with static keys)"),
                        );
                    }
                }
                if token.is_none() && token_given {
                    return None;
                }
                Some(Auth {
                    source: Source::Static(StaticKeys {
                        access_key_id: id?,
                        secret_access_key: secret?,
                        session_token: token,
                    }),
                })
            }
        }
    }
}

/// The `AWS_*` variables; a missing one is an error naming it.
fn environment(cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Auth> {
    let get = |cx: &TargetCx<'_, '_, '_>, n: &str| cx.env(n).filter(|v| !v.trim().is_empty());
    let id = get(cx, ENV_ACCESS_KEY_ID);
    let secret = get(cx, ENV_SECRET_ACCESS_KEY);
    let token = get(cx, ENV_SESSION_TOKEN);
    match (id, secret) {
        (Some(id), Some(secret)) => Some(Auth {
            source: Source::Environment(StaticKeys {
                access_key_id: Secret::new(id),
                secret_access_key: Secret::new(secret),
                session_token: token.map(Secret::new),
            }),
        }),
        (id, _) => {
            let missing = if id.is_none() {
                ENV_ACCESS_KEY_ID
            } else {
                ENV_SECRET_ACCESS_KEY
            };
            cx.bad(at, format!("environment: {missing} is not set"));
            None
        }
    }
}

/// A target's credential source at run time.
#[derive(Debug, Clone)]
pub(crate) struct CredentialSource {
    auth: Auth,
}

impl CredentialSource {
    /// The source of `auth`, for a target in `region`.
    pub(crate) fn new(auth: &Auth, region: &str) -> CredentialSource {
        let _ = region;
        CredentialSource { auth: auth.clone() }
    }

    /// Current credentials.
    pub(crate) async fn credentials(&self, http: &Http) -> Result<Credentials, ProviderError> {
        let _ = http;
        Ok(match &self.auth.source {
            Source::Static(k) | Source::Environment(k) => k.credentials(),
        })
    }

    /// For the start log line: `static keys`, `environment`.
    pub(crate) fn describe(&self) -> String {
        match &self.auth.source {
            Source::Static(_) => "static keys".to_string(),
            Source::Environment(_) => "environment".to_string(),
        }
    }
}
