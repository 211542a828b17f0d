//! Huawei credentials at run time: AK/SK (signed per request; from the config, the
//! environment or the profile file), temporary AK/SK from the ECS agency (`metadata.rs`), CCE
//! pod identity (`pod_identity.rs`), OIDC federation (`oidc.rs`) or STS OIDC (`oidc_sts.rs`),
//! shared and refreshed by
//! `temporary.rs`, or an
//! IAM user token (`POST /v3/auth/tokens`, cached process-wide per user and project, refreshed
//! ahead of its 24 h expiry and once on 401),
//! plus the ≥ 5 minute pause after credentials are rejected (an AK/SK that fails five times
//! in a row is locked for 5 minutes, `docs/providers.md` "After a rejection").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::config::Auth as Configured;
use super::sources::AkSkPair;
use super::temporary::{self, Origin, TemporarySource};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;
use crate::provider::token::{Fetched, TokenSlot};

/// How long requests stop after credentials were rejected.
pub(crate) const AUTH_BACKOFF: Duration = Duration::from_secs(5 * 60);

/// Token lifetime assumed when the response does not say (`docs/providers.md` "IAM user tokens": 24 h).
pub(super) const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// What one request is authenticated with.
#[derive(Debug, Clone)]
pub(crate) enum Credential {
    /// Sign with these.
    AkSk {
        access_key: Secret,
        secret_key: Secret,
        security_token: Option<Secret>,
    },
    /// Send as `X-Auth-Token`.
    Token(Secret),
}

#[derive(Debug)]
struct IamUser {
    base: BaseUrl,
    domain: String,
    user: String,
    password: Secret,
    project_id: String,
    /// Shared by every target of the same user and project ([`token_slot`]).
    cached: Arc<TokenSlot>,
}

/// The token of an IAM user for a project: one slot per (IAM endpoint, account, user,
/// password, project) in this process, so the targets of one user and project (its CBR, VBS,
/// CCE and DMS) and a reloaded config share one token. The key holds a hash of the password,
/// never the password, and is never shown.
fn token_slot(
    base: &BaseUrl,
    domain: &str,
    user: &str,
    password: &Secret,
    project: &str,
) -> Arc<TokenSlot> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<TokenSlot>>>> = OnceLock::new();
    let password = hex::encode(Sha256::digest(password.expose().as_bytes()));
    let key = format!("{base} {domain} {user} {password} {project}");
    let mut all = ALL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    Arc::clone(all.entry(key).or_default())
}

#[derive(Debug)]
enum Kind {
    AkSk(Credential),
    Iam(Box<IamUser>),
    /// Temporary credentials: the first of `sources` that works at the first poll, kept.
    Temporary {
        sources: Vec<Arc<TemporarySource>>,
        chosen: std::sync::OnceLock<usize>,
    },
}

impl Kind {
    fn temporary<const N: usize>(origins: [Origin; N]) -> Kind {
        Kind::Temporary {
            sources: origins.into_iter().map(temporary::shared).collect(),
            chosen: std::sync::OnceLock::new(),
        }
    }
}

impl From<AkSkPair> for Credential {
    fn from(k: AkSkPair) -> Credential {
        Credential::AkSk {
            access_key: k.access_key,
            secret_key: k.secret_key,
            security_token: k.security_token,
        }
    }
}

/// What the log calls a configured source (never a secret).
fn source_name(auth: &Configured) -> String {
    match auth {
        Configured::AkSk { .. } => "access_key in the config".into(),
        Configured::Iam { user, domain, .. } => format!("IAM user {user} of {domain}"),
        Configured::Environment(_) => "environment (HUAWEICLOUD_SDK_AK)".into(),
        Configured::Profile { file, name, .. } => {
            format!("profile [{name}] of {}", file.display())
        }
        Configured::Metadata { url } => format!("ECS metadata ({url})"),
        Configured::PodIdentity { url, .. } => format!("CCE pod identity ({url})"),
        Configured::Oidc {
            idp_id,
            id_token_file,
            given_by,
        } => format!(
            "{}, from {given_by}",
            super::oidc::name(idp_id, id_token_file)
        ),
        Configured::MetadataThenPodIdentity {
            metadata_url, url, ..
        } => format!("ECS metadata ({metadata_url}), else CCE pod identity ({url})"),
        Configured::OidcSts { sts, given_by } => {
            format!("{}, from {given_by}", super::oidc_sts::name(sts))
        }
    }
}

/// The credentials of one target at run time: what signs or carries each request.
#[derive(Debug)]
pub(crate) struct Authenticator {
    kind: Kind,
    /// What messages and the log call the source (no secret).
    pub(crate) source: String,
    blocked_until: std::sync::Mutex<Option<Instant>>,
}

impl Authenticator {
    /// From the validated config; `iam_default` is the region's IAM endpoint (an IAM user's
    /// default), `iam` the target's (`iam_endpoint`, else the region's: the OIDC exchange).
    pub(crate) fn new(
        auth: &Configured,
        by_chain: bool,
        project_id: Option<&str>,
        iam_default: BaseUrl,
        iam: &BaseUrl,
    ) -> Authenticator {
        tracing::info!(
            source = %source_name(auth),
            chosen_by = if by_chain { "default chain" } else { "config" },
            "Huawei credential source."
        );
        let kind = match auth {
            Configured::Environment(keys) | Configured::Profile { keys, .. } => {
                Kind::AkSk(keys.clone().into())
            }
            Configured::Metadata { url } => Kind::temporary([Origin::Metadata(url.clone())]),
            Configured::Oidc {
                idp_id,
                id_token_file,
                ..
            } => Kind::temporary([Origin::Oidc {
                iam: iam.clone(),
                idp_id: idp_id.clone(),
                id_token_file: id_token_file.clone(),
            }]),
            Configured::OidcSts { sts, .. } => Kind::temporary([Origin::OidcSts(sts.clone())]),
            Configured::PodIdentity { url, token_file } => Kind::temporary([Origin::PodIdentity {
                url: url.clone(),
                token_file: token_file.clone(),
            }]),
            Configured::MetadataThenPodIdentity {
                metadata_url,
                url,
                token_file,
            } => Kind::temporary([
                Origin::Metadata(metadata_url.clone()),
                Origin::PodIdentity {
                    url: url.clone(),
                    token_file: token_file.clone(),
                },
            ]),
            Configured::AkSk {
                access_key,
                secret_key,
                security_token,
            } => Kind::AkSk(Credential::AkSk {
                access_key: access_key.clone(),
                secret_key: secret_key.clone(),
                security_token: security_token.clone(),
            }),
            Configured::Iam {
                endpoint,
                domain,
                user,
                password,
            } => {
                let base = endpoint.clone().unwrap_or(iam_default);
                let project_id = project_id.unwrap_or_default().to_string();
                let cached = token_slot(&base, domain, user, password, &project_id);
                Kind::Iam(Box::new(IamUser {
                    base,
                    domain: domain.clone(),
                    user: user.clone(),
                    password: password.clone(),
                    project_id,
                    cached,
                }))
            }
        };
        Authenticator {
            kind,
            source: source_name(auth),
            blocked_until: std::sync::Mutex::new(None),
        }
    }

    /// Who the credentials are, as a key of the project-id cache (the access key id, the
    /// metadata URL, the IAM user); never shown.
    pub(crate) fn identity(&self) -> String {
        match &self.kind {
            Kind::AkSk(Credential::AkSk { access_key, .. }) => {
                format!("ak:{}", access_key.expose())
            }
            Kind::AkSk(Credential::Token(_)) => "token".into(),
            Kind::Iam(iam) => format!("iam:{}/{}", iam.domain, iam.user),
            Kind::Temporary { sources, .. } => {
                let names: Vec<String> = sources.iter().map(|s| s.name()).collect();
                format!("temporary:{}", names.join(","))
            }
        }
    }

    /// Fails fast while a recent rejection's back-off lasts.
    pub(crate) fn check_blocked(&self) -> Result<(), ProviderError> {
        let until = *self.blocked_until.lock().unwrap_or_else(|e| e.into_inner());
        match until {
            Some(t) if Instant::now() < t => Err(ProviderError::auth(format!(
                "credentials were rejected recently; not calling the API for another {}s",
                (t - Instant::now()).as_secs()
            ))),
            _ => Ok(()),
        }
    }

    /// Starts the back-off after a rejection.
    pub(crate) fn block(&self) {
        *self.blocked_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + AUTH_BACKOFF);
    }

    /// The credential for the next request. `rejected` is a token the API just refused: it
    /// is replaced, unless a concurrent request already replaced it.
    pub(crate) async fn credential(
        &self,
        http: &Http,
        rejected: Option<&Credential>,
    ) -> Result<Credential, ProviderError> {
        match &self.kind {
            Kind::AkSk(c) => Ok(c.clone()),
            Kind::Temporary { sources, chosen } => {
                let refused = match rejected {
                    Some(Credential::AkSk { access_key, .. }) => Some(access_key),
                    _ => None,
                };
                if let Some(source) = chosen.get().and_then(|&i| sources.get(i)) {
                    return Ok(source.keys(http, refused).await?.into());
                }
                let mut failed = Vec::new();
                for (i, source) in sources.iter().enumerate() {
                    match source.keys(http, refused).await {
                        Ok(keys) => {
                            if chosen.set(i).is_ok() && sources.len() > 1 {
                                tracing::info!(source = %source.name(), "The default chain settled on this credential source.");
                            }
                            return Ok(keys.into());
                        }
                        Err(e) => failed.push(e.message),
                    }
                }
                Err(ProviderError::auth(failed.join("; ")))
            }
            Kind::Iam(iam) => {
                let refused = match rejected {
                    Some(Credential::Token(t)) => Some(t),
                    _ => None,
                };
                let token = iam
                    .cached
                    .get(refused, || async {
                        iam.fetch(http).await.inspect_err(|e| {
                            if e.reason == Reason::Auth {
                                self.block();
                            }
                        })
                    })
                    .await?;
                Ok(Credential::Token(token))
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct TokenBody {
    token: TokenInfo,
}

#[derive(serde::Deserialize)]
struct TokenInfo {
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    issued_at: Option<String>,
}

impl IamUser {
    async fn fetch(&self, http: &Http) -> Result<Fetched, ProviderError> {
        let what = "IAM POST /v3/auth/tokens";
        let url = format!("{}/v3/auth/tokens?nocatalog=true", self.base);
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": self.user,
                "password": self.password.expose(),
                "domain": {"name": self.domain},
            }}},
            "scope": {"project": {"id": self.project_id}},
        }})
        .to_string();
        let resp = http
            .send(what, || {
                http.client()
                    .post(&url)
                    .header("content-type", "application/json;charset=utf8")
                    .body(body.clone())
                    .build()
                    .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
            })
            .await
            .inspect_err(|e| {
                tracing::warn!(call = what, user = %self.user, domain = %self.domain, reason = e.reason(), error = %e, "IAM token request failed.");
            })?;
        let token = resp
            .headers
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ProviderError::decode(format!("{what}: no X-Subject-Token header")))?
            .to_string();
        let info: TokenBody = resp.json(what)?;
        let parse = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| crate::timefmt::rfc3339(s).ok().flatten())
        };
        let lifetime = match (parse(&info.token.issued_at), parse(&info.token.expires_at)) {
            (Some(i), Some(e)) if e > i => {
                Duration::try_from(e.duration_since(i)).unwrap_or(DEFAULT_TOKEN_LIFETIME)
            }
            (None, Some(e)) => Duration::try_from(e.duration_since(jiff::Timestamp::now()))
                .unwrap_or(Duration::ZERO),
            _ => DEFAULT_TOKEN_LIFETIME,
        };
        // Refresh an hour early (half the lifetime for short-lived tokens).
        let margin = (lifetime / 2).min(Duration::from_secs(3600));
        tracing::debug!(
            call = what,
            lifetime_s = lifetime.as_secs(),
            "Obtained an IAM token."
        );
        Ok(Fetched {
            token: Secret::new(token),
            refresh_at: Some(Instant::now() + lifetime.saturating_sub(margin)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_logged_source_names_no_secret() {
        let keys = AkSkPair {
            access_key: Secret::new("AKVISIBLEID"),
            secret_key: Secret::new("very-secret"),
            security_token: Some(Secret::new("token-secret")),
        };
        let names = [
            source_name(&Configured::Environment(keys.clone())),
            source_name(&Configured::Profile {
                file: "/home/u/.huaweicloud/credentials".into(),
                name: "basic".into(),
                keys,
            }),
        ];
        assert_eq!(names[0], "environment (HUAWEICLOUD_SDK_AK)");
        assert_eq!(
            names[1],
            "profile [basic] of /home/u/.huaweicloud/credentials"
        );
        for n in names {
            assert!(!n.contains("secret") && !n.contains("AKVISIBLEID"), "{n}");
        }
        let oidc = source_name(&Configured::Oidc {
            idp_id: "my-idp".into(),
            id_token_file: "/var/run/id-token".into(),
            given_by: "auth.oidc".into(),
        });
        assert_eq!(
            oidc,
            "OIDC federation (identity provider my-idp, ID token file /var/run/id-token), from auth.oidc"
        );
    }
}
