//! Temporary credentials (AK/SK, security token, expiry) from a source that issues them, the
//! ECS metadata service (`metadata.rs`) or CCE pod identity (`pod_identity.rs`): refreshed
//! ahead of expiry (the SDK: 40 minutes before, `Credentials._DEFAULT_EXPIRATION_THRESHOLD_SECONDS`
//! in `huaweicloudsdkcore/auth/credentials.py`), one refresh at a time, shared by every
//! target that uses the same source in this process; a failed refresh keeps the last good
//! credentials until they expire.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::sources::{AkSkPair, Issued};
use super::{metadata, pod_identity};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::ProviderError;
use crate::provider::http::Http;

/// The SDK's refresh margin before the expiry.
pub(crate) const REFRESH_BEFORE: Duration = Duration::from_secs(40 * 60);
/// After a failed refresh, how long the last good credentials are used before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(30);

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
}

#[derive(Debug, Clone)]
struct Cached {
    keys: AkSkPair,
    refresh_at: Instant,
    expires_at: Instant,
}

/// The temporary credentials of one origin, shared process-wide.
#[derive(Debug)]
pub(crate) struct TemporarySource {
    origin: Origin,
    cached: tokio::sync::Mutex<Option<Cached>>,
    /// When a failed refresh may be tried again (keeping the last good credentials till then).
    retry_at: Mutex<Option<Instant>>,
}

/// The source of `origin`: one per origin in this process.
pub(crate) fn shared(origin: Origin) -> Arc<TemporarySource> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<TemporarySource>>>> = OnceLock::new();
    let key = match &origin {
        Origin::Metadata(url) => format!("metadata {url}"),
        Origin::PodIdentity { url, token_file } => {
            format!("pod identity {url} {}", token_file.display())
        }
    };
    let mut all = ALL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let source = all.entry(key).or_insert_with(|| {
        Arc::new(TemporarySource {
            origin,
            cached: tokio::sync::Mutex::new(None),
            retry_at: Mutex::new(None),
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
        }
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
        let fetched = match &self.origin {
            Origin::Metadata(url) => metadata::fetch(url, http).await,
            Origin::PodIdentity { url, token_file } => {
                pod_identity::fetch(url, token_file, http).await
            }
        };
        match fetched {
            Ok(issued) => {
                *self.retry_at.lock().unwrap_or_else(|e| e.into_inner()) = None;
                let c = self.cache(issued);
                let keys = c.keys.clone();
                *slot = Some(c);
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
