//! The ECS agency's temporary credentials from the metadata service, as the SDK's
//! `MetadataAccessor` (`huaweicloudsdkcore/auth/internal.py`) gets them: a session token from
//! `PUT /meta-data/latest/api/token` (404, 405 or 503: the service has none, go on without),
//! then `GET /openstack/latest/securitykey` → `{"credential": {"access", "secret",
//! "securitytoken", "expires_at"}}`. The cache, its refresh and sharing: `temporary.rs`.

use super::sources::{AkSkPair, Issued};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The session token's lifetime the SDK asks for (`_DEFAULT_TOKEN_TTL_SECONDS`, 6 h).
const TOKEN_TTL_SECONDS: u32 = 6 * 3600;

const TOKEN_PATH: &str = "/meta-data/latest/api/token";
const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";

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

/// What messages call the service at `url`.
pub(super) fn name(url: &BaseUrl) -> String {
    format!("ECS metadata ({url}{SECURITY_KEY_PATH})")
}

async fn session_token(url: &BaseUrl, http: &Http) -> Result<Option<String>, ProviderError> {
    let what = "ECS metadata PUT /meta-data/latest/api/token";
    let url = format!("{url}{TOKEN_PATH}");
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

/// The agency's credentials from the service at `url`.
pub(super) async fn fetch(url: &BaseUrl, http: &Http) -> Result<Issued, ProviderError> {
    let token = session_token(url, http).await?;
    let what = "ECS metadata GET /openstack/latest/securitykey";
    let url = format!("{url}{SECURITY_KEY_PATH}");
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
    Ok(Issued {
        keys: AkSkPair {
            access_key: Secret::new(c.access),
            secret_key: Secret::new(c.secret),
            security_token: Some(Secret::new(c.securitytoken)),
        },
        expires_at: expires,
    })
}
