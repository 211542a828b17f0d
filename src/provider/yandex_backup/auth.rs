//! IAM tokens for Yandex Cloud (`docs/providers.md` "Yandex IAM tokens"): a static token, an OAuth token or a
//! service-account key exchanged at the IAM API, or the VM metadata service.
//!
//! Tokens are cached and refreshed at half their lifetime (at most an hour after they were
//! obtained). One refresh runs at a time: concurrent callers wait for it and share its token.
//! Nothing here logs or formats a token or a key.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use tokio::time::Instant;

use super::api::{IamTokenResponse, MetadataTokenResponse};
use super::config::{Auth, ServiceAccountKey};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::http::Http;
use crate::provider::token::{Fetched, TokenSlot};
use crate::provider::error::{ProviderError, Reason};
use crate::timefmt;

/// Default IAM API base URL.
pub(crate) const DEFAULT_IAM_ENDPOINT: &str = "https://iam.api.cloud.yandex.net";

/// Default VM metadata service base URL.
pub(crate) const DEFAULT_METADATA_URL: &str = "http://169.254.169.254";

/// The `aud` of a service-account JWT for the default installation (`docs/providers.md` "The service-account JWT").
pub(crate) const DEFAULT_JWT_AUDIENCE: &str = "https://iam.api.cloud.yandex.net/iam/v1/tokens";

/// Path of the token exchange on the IAM API.
const IAM_TOKENS_PATH: &str = "/iam/v1/tokens";

/// Path of the token on the metadata service.
const METADATA_TOKEN_PATH: &str = "/computeMetadata/v1/instance/service-accounts/default/token";

/// Longest JWT lifetime the IAM API accepts.
const JWT_LIFETIME_SECS: i64 = 3600;

/// Longest time a token is used before it is refreshed.
const MAX_REFRESH_AFTER: Duration = Duration::from_secs(3600);

/// Where tokens come from.
enum Source {
    Static(Secret),
    OAuth {
        token: Secret,
        url: String,
    },
    ServiceAccount {
        key: ServiceAccountKey,
        url: String,
        audience: String,
    },
    Metadata {
        url: String,
    },
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Static(_) => f.write_str("Static(<redacted>)"),
            Source::OAuth { url, .. } => write!(f, "OAuth {{ url: {url:?} }}"),
            Source::ServiceAccount { key, url, .. } => write!(
                f,
                "ServiceAccount {{ key_id: {:?}, service_account_id: {:?}, url: {url:?} }}",
                key.key_id, key.service_account_id
            ),
            Source::Metadata { url } => write!(f, "Metadata {{ url: {url:?} }}"),
        }
    }
}

/// A target's IAM token, cached and refreshed.
#[derive(Debug)]
pub(crate) struct TokenCache {
    source: Source,
    http: Http,
    cached: TokenSlot,
}

/// The JWT claims the IAM API expects.
#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The JWT `aud` for an IAM base URL: `https://iam.<api-host>` gives its own token URL (the
/// Python SDK builds it so, e.g. for `api.yandexcloud.kz`); any other URL (a proxy, the
/// simulator) keeps the default installation's audience.
fn jwt_audience(iam_endpoint: Option<&str>) -> String {
    match iam_endpoint {
        Some(u) if u.starts_with("https://iam.") && !u["https://".len()..].contains(['/', ':']) => {
            format!("{u}{IAM_TOKENS_PATH}")
        }
        _ => DEFAULT_JWT_AUDIENCE.to_string(),
    }
}

/// Signs the PS256 JWT exchanged for an IAM token: header `kid`, claims `iss`, `aud`, `iat`,
/// `exp = iat + 1h`.
pub(crate) fn sign_jwt(
    key_id: &str,
    service_account_id: &str,
    audience: &str,
    key: &EncodingKey,
    now_unix: i64,
) -> Result<String, ProviderError> {
    let mut header = Header::new(Algorithm::PS256);
    header.kid = Some(key_id.to_string());
    let claims = Claims {
        iss: service_account_id,
        aud: audience,
        iat: now_unix,
        exp: now_unix + JWT_LIFETIME_SECS,
    };
    jsonwebtoken::encode(&header, &claims, key)
        .map_err(|e| ProviderError::auth(format!("signing the service-account JWT failed: {e}")))
}

/// When to refresh a token that lives `lifetime` more: at half of it, at most after an hour.
pub(crate) fn refresh_after(lifetime: Duration) -> Duration {
    (lifetime / 2).min(MAX_REFRESH_AFTER)
}

impl TokenCache {
    /// The token source of a target.
    pub(crate) fn new(auth: &Auth, iam_endpoint: Option<&BaseUrl>, http: Http) -> TokenCache {
        let iam_base = iam_endpoint.map_or(DEFAULT_IAM_ENDPOINT, |u| u.as_str());
        let iam_url = format!("{iam_base}{IAM_TOKENS_PATH}");
        let source = match auth {
            Auth::IamToken(t) => Source::Static(t.clone()),
            Auth::OAuthToken(t) => Source::OAuth {
                token: t.clone(),
                url: iam_url,
            },
            Auth::ServiceAccountKey(key) => Source::ServiceAccount {
                key: key.clone(),
                url: iam_url,
                audience: jwt_audience(iam_endpoint.map(|u| u.as_str())),
            },
            Auth::Metadata { url } => Source::Metadata {
                url: format!(
                    "{}{METADATA_TOKEN_PATH}",
                    url.as_ref().map_or(DEFAULT_METADATA_URL, |u| u.as_str())
                ),
            },
        };
        TokenCache {
            source,
            http,
            cached: TokenSlot::default(),
        }
    }

    /// False for a static token: refreshing it would give the same token.
    pub(crate) fn refreshable(&self) -> bool {
        !matches!(self.source, Source::Static(_))
    }

    /// A valid token: the cached one while it is fresh and not `refused` (a token the
    /// Backup API just answered 401 to), else a new one.
    pub(crate) async fn token(&self, refused: Option<&Secret>) -> Result<Secret, ProviderError> {
        self.cached.get(refused, || self.fetch()).await
    }

    async fn fetch(&self) -> Result<Fetched, ProviderError> {
        match &self.source {
            Source::Static(t) => Ok(Fetched {
                token: t.clone(),
                refresh_at: None,
            }),
            Source::OAuth { token, url } => {
                let body = serde_json::json!({ "yandexPassportOauthToken": token.expose() });
                self.exchange(url, &body, "IAM token exchange (OAuth)")
                    .await
            }
            Source::ServiceAccount { key, url, audience } => {
                let now = Timestamp::now().as_second();
                // A Secret while it lives, so an IAM error that quotes it is scrubbed.
                let jwt = Secret::new(sign_jwt(
                    &key.key_id,
                    &key.service_account_id,
                    audience,
                    key.encoding_key(),
                    now,
                )?);
                let body = serde_json::json!({ "jwt": jwt.expose() });
                self.exchange(url, &body, "IAM token exchange (service account key)")
                    .await
            }
            Source::Metadata { url } => self.metadata(url).await,
        }
    }

    async fn exchange(
        &self,
        url: &str,
        body: &serde_json::Value,
        what: &str,
    ) -> Result<Fetched, ProviderError> {
        let body = body.to_string();
        let client = self.http.client().clone();
        let resp = self
            .http
            .send(what, || {
                client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(body.clone())
                    .build()
                    .map_err(|e| ProviderError::auth(format!("{what}: bad request: {e}")))
            })
            .await
            .map_err(as_auth)?;
        let r: IamTokenResponse = resp.json(what)?;
        if r.iam_token.is_empty() {
            return Err(ProviderError::auth(format!("{what}: empty iamToken")));
        }
        let lifetime = match r.expires_at.as_deref().map(timefmt::rfc3339) {
            Some(Ok(Some(at))) => {
                let left = at.as_nanosecond() - Timestamp::now().as_nanosecond();
                Duration::from_nanos(u64::try_from(left.max(0)).unwrap_or(u64::MAX))
            }
            Some(Err(e)) => return Err(ProviderError::decode(format!("{what}: expiresAt: {e}"))),
            // No expiry given: the documented maximum, 12 hours.
            _ => Duration::from_secs(12 * 3600),
        };
        Ok(Fetched {
            token: Secret::new(r.iam_token),
            refresh_at: Some(Instant::now() + refresh_after(lifetime)),
        })
    }

    async fn metadata(&self, url: &str) -> Result<Fetched, ProviderError> {
        let what = "metadata service token";
        let client = self.http.client().clone();
        let resp = self
            .http
            .send(what, || {
                client
                    .get(url)
                    .header("Metadata-Flavor", "Google")
                    .build()
                    .map_err(|e| ProviderError::auth(format!("{what}: bad request: {e}")))
            })
            .await
            .map_err(as_auth)?;
        let r: MetadataTokenResponse = resp.json(what)?;
        if r.access_token.is_empty() {
            return Err(ProviderError::auth(format!("{what}: empty access_token")));
        }
        let secs = match &r.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(s)) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(0.0);
        Ok(Fetched {
            token: Secret::new(r.access_token),
            refresh_at: Some(Instant::now() + refresh_after(Duration::from_secs_f64(secs))),
        })
    }
}

/// A token service refusing the credentials (any 4xx but 429) is an `auth` failure.
fn as_auth(mut e: ProviderError) -> ProviderError {
    if e.reason == Reason::Client {
        e.reason = Reason::Auth;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audience() {
        assert_eq!(jwt_audience(None), DEFAULT_JWT_AUDIENCE);
        assert_eq!(
            jwt_audience(Some("https://iam.api.yandexcloud.kz")),
            "https://iam.api.yandexcloud.kz/iam/v1/tokens"
        );
        assert_eq!(
            jwt_audience(Some("http://127.0.0.1:8080")),
            DEFAULT_JWT_AUDIENCE
        );
    }

    #[test]
    fn refresh_at_half_life_capped() {
        assert_eq!(
            refresh_after(Duration::from_secs(12 * 3600)),
            Duration::from_secs(3600)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(600)),
            Duration::from_secs(300)
        );
        assert_eq!(refresh_after(Duration::ZERO), Duration::ZERO);
    }
}
