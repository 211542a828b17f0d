//! Temporary credentials (AK/SK, security token, expiry) from a source that issues them, the
//! ECS metadata service (`metadata.rs`), CCE pod identity (`pod_identity.rs`), OIDC
//! federation through IAM (`oidc.rs`) or STS OIDC (`oidc_sts.rs`): refreshed ahead of expiry (the SDK: 40 minutes before,
//! `Credentials._DEFAULT_EXPIRATION_THRESHOLD_SECONDS` in
//! `huaweicloudsdkcore/auth/credentials.py`), one refresh at a time, shared by every target
//! that uses the same source in this process; a failed refresh keeps the last good
//! credentials until they expire. After a failure the source is not asked again for a pause
//! (30 s, doubled at each failure in a row up to 5 minutes): meanwhile every target that
//! needs it gets the failure again (naming the source and when it is tried next), so a
//! source that never gave credentials is neither asked at every poll of every target nor
//! given up.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::oidc_sts::{IdTokenSource, OidcSts};
use super::sources::{AkSkPair, Issued};
use super::{metadata, oidc, oidc_sts, pod_identity};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::ProviderError;
use crate::provider::http::Http;

/// The SDK's refresh margin before the expiry.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(40 * 60);
/// After a failure, how long before the source is asked again (the last good credentials,
/// if any, are used meanwhile); doubled at each failure in a row.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(30);
/// The longest pause between attempts of a failing source.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(5 * 60);

/// Where temporary credentials come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The ECS metadata service at this base URL.
    Metadata(BaseUrl),
    /// CCE pod identity: the credentials URL and the file holding the authorization token.
    PodIdentity {
        /// `HC_CONTAINER_CREDENTIALS_FULL_URI`.
        url: String,
        /// `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`, read at every request.
        token_file: PathBuf,
    },
    /// OIDC federation: an ID token exchanged with IAM through an identity provider.
    Oidc {
        /// IAM's base URL.
        iam: BaseUrl,
        /// The identity provider's id (`X-Idp-Id`).
        idp_id: String,
        /// The ID token's file, read at every exchange.
        id_token_file: PathBuf,
    },
    /// STS OIDC: an ID token exchanged with STS for an agency's credentials.
    OidcSts(OidcSts),
}

#[derive(Debug, Clone)]
struct Cached {
    keys: AkSkPair,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The last failure of a source, and when it may be asked again.
#[derive(Debug, Clone)]
struct Failed {
    retry_at: Instant,
    /// The pause that ended at `retry_at` (doubled at the next failure in a row).
    pause: Duration,
    /// What failed (already scrubbed): given again until `retry_at`.
    message: String,
}

#[derive(Debug, Default)]
struct State {
    cached: Option<Cached>,
    failed: Option<Failed>,
}

/// The temporary credentials of one origin, shared process-wide.
#[derive(Debug)]
pub(crate) struct TemporarySource {
    origin: Origin,
    state: tokio::sync::Mutex<State>,
}

/// The source of `origin`: one per origin in this process.
pub(crate) fn shared(origin: Origin) -> Arc<TemporarySource> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<TemporarySource>>>> = OnceLock::new();
    let key = match &origin {
        Origin::Metadata(url) => format!("metadata {url}"),
        Origin::PodIdentity { url, token_file } => {
            format!("pod identity {url} {}", token_file.display())
        }
        Origin::Oidc {
            iam,
            idp_id,
            id_token_file,
        } => format!("oidc {iam} {idp_id} {}", id_token_file.display()),
        // Every field but the token itself: a variable's token is the process's one.
        Origin::OidcSts(s) => {
            let token = match &s.id_token {
                IdTokenSource::File(f) => format!("file {}", f.display()),
                IdTokenSource::Variable(_) => "variable".to_string(),
            };
            format!(
                "oidc-sts {} {} {} {token} {} {} {:?} {:?}",
                s.sts_endpoint,
                s.provider_urn,
                s.agency_urn,
                s.session_name,
                s.duration_seconds,
                s.policy,
                s.policy_ids
            )
        }
    };
    let mut all = ALL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let source = all.entry(key).or_insert_with(|| {
        Arc::new(TemporarySource {
            origin,
            state: tokio::sync::Mutex::new(State::default()),
        })
    });
    Arc::clone(source)
}

impl TemporarySource {
    /// What messages call the source (never a secret).
    pub(crate) fn name(&self) -> String {
        match &self.origin {
            Origin::Metadata(url) => metadata::name(url),
            Origin::PodIdentity { url, .. } => pod_identity::name(url),
            Origin::Oidc {
                idp_id,
                id_token_file,
                ..
            } => oidc::name(idp_id, id_token_file),
            Origin::OidcSts(s) => oidc_sts::name(s),
        }
    }

    /// Fresh credentials; `rejected` is an access key the API just refused, fetched anew
    /// (unless the pause after a failure lasts).
    pub(crate) async fn keys(
        &self,
        http: &Http,
        rejected: Option<&Secret>,
    ) -> Result<AkSkPair, ProviderError> {
        let mut st = self.state.lock().await;
        let now = Instant::now();
        let waiting = st.failed.as_ref().filter(|f| now < f.retry_at).cloned();
        if let Some(c) = st.cached.as_ref()
            && (now < c.refresh_at || (waiting.is_some() && now < c.expires_at))
            && rejected.is_none_or(|r| r != &c.keys.access_key)
        {
            return Ok(c.keys.clone());
        }
        if let Some(f) = waiting {
            return Err(ProviderError::auth(format!(
                "credential source {} failed: {} (asked again in {}s)",
                self.name(),
                f.message,
                f.retry_at
                    .saturating_duration_since(now)
                    .as_millis()
                    .div_ceil(1000)
            )));
        }
        let fetched = match &self.origin {
            Origin::Metadata(url) => metadata::fetch(url, http).await,
            Origin::PodIdentity { url, token_file } => {
                pod_identity::fetch(url, token_file, http).await
            }
            Origin::Oidc {
                iam,
                idp_id,
                id_token_file,
            } => oidc::fetch(iam, idp_id, id_token_file, http).await,
            Origin::OidcSts(s) => oidc_sts::fetch(s, http).await,
        };
        match fetched {
            Ok(issued) => {
                st.failed = None;
                let c = self.cache(issued);
                let keys = c.keys.clone();
                st.cached = Some(c);
                Ok(keys)
            }
            Err(e) => {
                let pause = st
                    .failed
                    .as_ref()
                    .map_or(RETRY_AFTER, |f| (f.pause * 2).min(MAX_RETRY_AFTER));
                st.failed = Some(Failed {
                    retry_at: Instant::now() + pause,
                    pause,
                    message: e.message.clone(),
                });
                match st.cached.as_ref() {
                    Some(c) if Instant::now() < c.expires_at => {
                        tracing::warn!(source = %self.name(), reason = e.reason(), error = %e, retry_s = pause.as_secs(), "Refreshing the temporary credentials failed; using the current ones until they expire.");
                        Ok(c.keys.clone())
                    }
                    _ => {
                        tracing::warn!(source = %self.name(), reason = e.reason(), error = %e, retry_s = pause.as_secs(), "The credential source failed; asking it again after a pause.");
                        Err(ProviderError::auth(format!(
                            "credential source {} failed: {}",
                            self.name(),
                            e.message
                        )))
                    }
                }
            }
        }
    }

    fn cache(&self, issued: Issued) -> Cached {
        let lifetime = Duration::try_from(issued.expires_at.duration_since(jiff::Timestamp::now()))
            .unwrap_or(Duration::ZERO);
        // The SDK's 40 minutes, or half the lifetime of credentials shorter than 80 minutes.
        let margin = REFRESH_BEFORE.min(lifetime / 2);
        let now = Instant::now();
        tracing::info!(source = %self.name(), lifetime_s = lifetime.as_secs(), "Obtained temporary credentials.");
        Cached {
            keys: issued.keys,
            refresh_at: now + lifetime.saturating_sub(margin),
            expires_at: now + lifetime,
        }
    }
}
