//! A target's bearer token (Yandex IAM, Huawei IAM user), shared by its concurrent requests:
//! handed out while fresh; fetched again when stale or refused by the API, once however many
//! requests ask at the same moment (they wait on the same lock and find the new token).

use std::future::Future;

use tokio::time::Instant;

use super::error::ProviderError;
use crate::config::secret::Secret;

/// A token as obtained, with when to replace it (`None`: never, a static token).
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) token: Secret,
    pub(crate) refresh_at: Option<Instant>,
}

/// A cached token and when to refresh it: one target's (Yandex), or shared by the targets of
/// one Huawei IAM user and project.
#[derive(Debug, Default)]
pub(crate) struct TokenSlot(tokio::sync::Mutex<Option<Fetched>>);

impl TokenSlot {
    /// The cached token while it is fresh and is not `refused` (a token the API just
    /// answered 401 to); else the one `fetch` obtains, which is cached.
    pub(crate) async fn get<F, Fut>(
        &self,
        refused: Option<&Secret>,
        fetch: F,
    ) -> Result<Secret, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Fetched, ProviderError>>,
    {
        let mut slot = self.0.lock().await;
        if let Some(c) = slot.as_ref()
            && c.refresh_at.is_none_or(|at| Instant::now() < at)
            && refused.is_none_or(|r| r != &c.token)
        {
            return Ok(c.token.clone());
        }
        *slot = None;
        let got = fetch().await?;
        let token = got.token.clone();
        *slot = Some(got);
        Ok(token)
    }
}
