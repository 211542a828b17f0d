//! The ECS agency's temporary credentials from the metadata service, as the SDK's
//! `MetadataAccessor` (`huaweicloudsdkcore/auth/internal.py`) gets them: a session token from
//! `PUT /meta-data/latest/api/token` (404, 405 or 503: the service has none, go on without),
//! then `GET /openstack/latest/securitykey` → `{"credential": {"access", "secret",
//! "securitytoken", "expires_at"}}`. Refreshed ahead of expiry (the SDK: 40 minutes before,
//! `Credentials._DEFAULT_EXPIRATION_THRESHOLD_SECONDS`), one refresh at a time, shared by
//! every target that uses the same metadata URL in this process; a failed refresh keeps the
//! last good credentials until they expire.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::sources::AkSkPair;
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The SDK's refresh margin before `expires_at`.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(40 * 60);
/// After a failed refresh, how long the last good credentials are used before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// The session token's lifetime the SDK asks for (`_DEFAULT_TOKEN_TTL_SECONDS`, 6 h).
const TOKEN_TTL_SECONDS: u32 = 6 * 3600;

const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";

#[derive(Debug, Clone)]
struct Temporary {
    keys: AkSkPair,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The temporary credentials of one metadata URL, shared process-wide.
#[derive(Debug)]
pub(crate) struct MetadataSource {
    url: BaseUrl,
    cached: tokio::sync::Mutex<Option<Temporary>>,
    /// When a failed refresh may be tried again (keeping the last good credentials till then).
    retry_at: Mutex<Option<Instant>>,
}

/// The source of `url`: one per URL in this process.
pub(crate) fn shared(url: &BaseUrl) -> Arc<MetadataSource> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<MetadataSource>>>> = OnceLock::new();
    let mut all = ALL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let source = all.entry(url.as_str().to_string()).or_insert_with(|| {
        Arc::new(MetadataSource {
            url: url.clone(),
            cached: tokio::sync::Mutex::new(None),
            retry_at: Mutex::new(None),
        })
    });
    Arc::clone(source)
}

#[derive(serde::Deserialize)]
struct SecurityKey {
    credential: CredentialBody,
}

#[derive(serde::Deserialize)]
struct CredentialBody {
    access: String,
    secret: String,
    securitytoken: String,
    expires_at: String,
}

impl MetadataSource {
    /// What messages call the source.
    pub(crate) fn name(&self) -> String {
        format!("ECS metadata ({}{SECURITY_KEY_PATH})", self.url)
    }

    /// Fresh credentials; `rejected` is an access key the API just refused, fetched anew.
    pub(crate) async fn keys(
        &self,
        http: &Http,
        rejected: Option<&Secret>,
    ) -> Result<AkSkPair, ProviderError> {
        let mut slot = self.cached.lock().await;
        let now = Instant::now();
        let waiting = self
            .retry_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|t| now < t);
        if let Some(c) = slot.as_ref()
            && (now < c.refresh_at || (waiting && now < c.expires_at))
            && rejected.is_none_or(|r| r != &c.keys.access_key)
        {
            return Ok(c.keys.clone());
        }
        match self.fetch(http).await {
            Ok(t) => {
                *self.retry_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
                let keys = t.keys.clone();
                *slot = Some(t);
                Ok(keys)
            }
            Err(e) => {
                *self.retry_at.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Instant::now() + RETRY_AFTER);
                match slot.as_ref() {
                    Some(c) if Instant::now() < c.expires_at => {
                        tracing::warn!(source = %self.name(), reason = e.reason(), error = %e, "Refreshing the temporary credentials failed; using the current ones until they expire.");
                        Ok(c.keys.clone())
                    }
                    _ => Err(ProviderError::auth(format!(
                        "credential source {} failed: {}",
                        self.name(),
                        e.message
                    ))),
                }
            }
        }
    }

    async fn session_token(&self, http: &Http) -> Result<Option<String>, ProviderError> {
        let what = "ECS metadata PUT /meta-data/latest/api/token";
        let url = format!("{}{TOKEN_PATH}", self.url);
        let got = http
            .send(what, || {
                http.client()
                    .put(&url)
                    .header(
                        "X-Metadata-Token-Ttl-Seconds",
                        TOKEN_TTL_SECONDS.to_string(),
                    )
                    .build()
                    .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
            })
            .await;
        match got {
            Ok(r) => Ok(Some(String::from_utf8_lossy(&r.body).trim().to_string())),
            Err(e) if matches!(e.status, Some(404 | 405 | 503)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn fetch(&self, http: &Http) -> Result<Temporary, ProviderError> {
        let token = self.session_token(http).await?;
        let what = "ECS metadata GET /openstack/latest/securitykey";
        let url = format!("{}{SECURITY_KEY_PATH}", self.url);
        let resp = http
            .send(what, || {
                let mut rb = http.client().get(&url);
                if let Some(t) = &token {
                    rb = rb.header("X-Metadata-Token", t);
                }
                rb.build()
                    .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
            })
            .await
            .map_err(|mut e| {
                if e.status == Some(404) {
                    e.message
                        .push_str(" (no agency attached to this ECS? the SDK's hint: \"Please configure Cloud Service Agency first\")");
                }
                e
            })?;
        let body: SecurityKey = resp.json(what)?;
        let c = body.credential;
        let expires = crate::timefmt::rfc3339(&c.expires_at)
            .ok()
            .flatten()
            .ok_or_else(|| ProviderError::decode(format!("{what}: expires_at is not a time")))?;
        let lifetime = Duration::try_from(expires.duration_since(jiff::Timestamp::now()))
            .unwrap_or(Duration::ZERO);
        // The SDK's 40 minutes, or half the lifetime of credentials shorter than 80 minutes.
        let margin = REFRESH_BEFORE.min(lifetime / 2);
        let now = Instant::now();
        tracing::info!(source = %self.name(), lifetime_s = lifetime.as_secs(), "Obtained temporary credentials.");
        Ok(Temporary {
            keys: AkSkPair {
                access_key: Secret::new(c.access),
                secret_key: Secret::new(c.secret),
                security_token: Some(Secret::new(c.securitytoken)),
            },
            refresh_at: now + lifetime.saturating_sub(margin),
            expires_at: now + lifetime,
        })
    }
}
