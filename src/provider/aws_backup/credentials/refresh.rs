//! Temporary credentials (from the instance metadata service, a container endpoint or STS)
//! held for every target that uses the same source in this process, refreshed ahead of their
//! expiry as botocore's `RefreshableCredentials` does (`botocore/credentials.py`): from 15
//! minutes before the expiry (the advisory window) one caller refreshes while the others go on
//! with the current credentials; from 10 minutes before (the mandatory window) every caller
//! waits for the one refresh. A failed refresh keeps the last good credentials until they
//! expire (trying again at most every 30 seconds), then the source's error is an `auth` error
//! naming it; a source with no credentials left is asked at most every 30 seconds too, the
//! others sharing it getting its last error. The same approach as the Huawei sources'
//! `provider/huawei/temporary.rs`, with botocore's two windows. A fetch goes through the `Http`
//! of the target that asked.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::time::Instant;

use super::Credentials;
use crate::provider::error::ProviderError;

/// Botocore's `_DEFAULT_ADVISORY_REFRESH_TIMEOUT`.
pub(crate) const ADVISORY: Duration = Duration::from_secs(15 * 60);
/// Botocore's `_DEFAULT_MANDATORY_REFRESH_TIMEOUT`.
pub(crate) const MANDATORY: Duration = Duration::from_secs(10 * 60);
/// After a failed refresh, how long the last good credentials are used before trying again.
pub(crate) const RETRY_AFTER: Duration = Duration::from_secs(30);
/// When a refresh gave the same credentials again, how long until the next one.
const SAME_AGAIN: Duration = Duration::from_secs(60);

/// Credentials as a source issued them.
pub(crate) struct Issued {
    /// The keys.
    pub(crate) credentials: Credentials,
    /// When they expire (the wall clock's answer from the source).
    pub(crate) expires_at: jiff::Timestamp,
}

#[derive(Clone)]
struct Cached {
    credentials: Credentials,
    advisory_at: Instant,
    mandatory_at: Instant,
    expires_at: Instant,
}

#[derive(Default)]
struct State {
    cached: Option<Cached>,
    /// A failed refresh: not tried again before this (while the last credentials last).
    retry_at: Option<Instant>,
    /// The error of that failure when no credentials were left, answered until `retry_at`
    /// (so that the targets sharing a broken source do not each ask it in turn).
    failed: Option<ProviderError>,
}

/// One source's temporary credentials, shared process-wide by its key.
pub(crate) struct Shared {
    name: String,
    state: Mutex<State>,
    /// Held by the one refresh in flight.
    refreshing: tokio::sync::Mutex<()>,
}

/// The shared holder of the source that `key` identifies (never shown: it may hold a hash of
/// a secret); `name` is what messages call it.
pub(crate) fn shared(key: &str, name: &str) -> Arc<Shared> {
    static ALL: OnceLock<Mutex<HashMap<String, Arc<Shared>>>> = OnceLock::new();
    let mut all = ALL
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let s = all.entry(key.to_string()).or_insert_with(|| {
        Arc::new(Shared {
            name: name.to_string(),
            state: Mutex::new(State::default()),
            refreshing: tokio::sync::Mutex::new(()),
        })
    });
    Arc::clone(s)
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current credentials: the cached ones while fresh, else the ones `fetch` obtains (one
    /// fetch at a time however many callers ask).
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Credentials, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Issued, ProviderError>>,
    {
        let now = Instant::now();
        let cached = self.state().cached.clone();
        let _guard = match &cached {
            Some(c) if now < c.advisory_at => return Ok(c.credentials.clone()),
            // The advisory window: refresh if nobody is, else go on with these.
            Some(c) if now < c.mandatory_at => match self.refreshing.try_lock() {
                Ok(g) => g,
                Err(_) => return Ok(c.credentials.clone()),
            },
            _ => self.refreshing.lock().await,
        };
        // Another caller may have refreshed, or failed recently, while this one waited.
        let now = Instant::now();
        {
            let st = self.state();
            let waiting = st.retry_at.is_some_and(|t| now < t);
            match (&st.cached, &st.failed) {
                (Some(c), _) if now < c.advisory_at || (waiting && now < c.expires_at) => {
                    return Ok(c.credentials.clone());
                }
                (_, Some(e)) if waiting => return Err(e.clone()),
                _ => {}
            }
        }
        let got = fetch().await;
        // The state changes before `_guard` lets the next waiter in.
        let mut st = self.state();
        match got {
            Ok(issued) => {
                st.retry_at = None;
                st.failed = None;
                let same = st.cached.as_ref().is_some_and(|c| {
                    c.credentials.access_key_id == issued.credentials.access_key_id
                });
                let mut c = self.cache(issued);
                if same {
                    // Not rotated yet (the instance metadata service hands out the same ones
                    // until shortly before they expire): ask again in a minute.
                    let again =
                        Instant::now() + SAME_AGAIN.min((c.expires_at - Instant::now()) / 2);
                    c.advisory_at = again;
                    c.mandatory_at = again;
                }
                let creds = c.credentials.clone();
                st.cached = Some(c);
                Ok(creds)
            }
            Err(e) => {
                let now = Instant::now();
                st.retry_at = Some(now + RETRY_AFTER);
                match &st.cached {
                    Some(c) if now < c.expires_at => {
                        tracing::warn!(source = %self.name, reason = e.reason(), error = %e, expires_in_s = (c.expires_at - now).as_secs(), "Refreshing the temporary credentials failed; using the current ones until they expire.");
                        Ok(c.credentials.clone())
                    }
                    _ => {
                        let e = ProviderError::auth(format!(
                            "credential source {} failed: {}",
                            self.name, e.message
                        ));
                        st.failed = Some(e.clone());
                        Err(e)
                    }
                }
            }
        }
    }

    /// Forgets the cached credentials if they are the ones with `access_key_id` (which the
    /// API refused as expired or unknown), so that the next caller fetches new ones; a
    /// refresh that already replaced them is kept.
    pub(crate) fn forget(&self, access_key_id: &str) {
        let mut st = self.state();
        if st
            .cached
            .as_ref()
            .is_some_and(|c| c.credentials.access_key_id == access_key_id)
        {
            tracing::info!(source = %self.name, "The API refused the temporary credentials; fetching new ones.");
            st.cached = None;
            st.retry_at = None;
            st.failed = None;
        }
    }

    fn cache(&self, issued: Issued) -> Cached {
        let lifetime = Duration::try_from(issued.expires_at.duration_since(jiff::Timestamp::now()))
            .unwrap_or(Duration::ZERO);
        // Botocore's windows, or a half and a third of a lifetime shorter than 30 minutes
        // (botocore would refresh such credentials at every request).
        let advisory = ADVISORY.min(lifetime / 2);
        let mandatory = MANDATORY.min(lifetime / 3);
        let now = Instant::now();
        tracing::info!(source = %self.name, lifetime_s = lifetime.as_secs(), "Obtained temporary credentials.");
        Cached {
            credentials: issued.credentials,
            advisory_at: now + lifetime.saturating_sub(advisory),
            mandatory_at: now + lifetime.saturating_sub(mandatory),
            expires_at: now + lifetime,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::config::secret::Secret;
    use crate::provider::error::Reason;

    fn issued(n: u32, ttl: Duration) -> Issued {
        Issued {
            credentials: Credentials {
                access_key_id: format!("ASIA{n}"),
                secret_access_key: Secret::new(format!("refresh-test-secret-{n}")),
                session_token: None,
            },
            expires_at: jiff::Timestamp::now() + ttl,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_in_the_windows_and_keeps_good_keys_after_a_failure() {
        let s = shared("test refresh windows", "test source");
        let calls = AtomicU32::new(0);
        let hour = Duration::from_secs(3600);
        let ok = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(issued(n, hour))
        };
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA1");
        // Fresh until 15 minutes before the expiry.
        tokio::time::advance(Duration::from_secs(44 * 60)).await;
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA1");
        tokio::time::advance(Duration::from_secs(2 * 60)).await;
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // A failure in the mandatory window keeps the keys, and is not retried for 30 s.
        tokio::time::advance(Duration::from_secs(51 * 60)).await;
        let fail = || async { Err(ProviderError::new(Reason::Server, "STS: HTTP 500")) };
        assert_eq!(s.get(fail).await.unwrap().access_key_id, "ASIA2");
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // Once they expire the failure is the source's auth error.
        tokio::time::advance(Duration::from_secs(10 * 60)).await;
        let e = s.get(fail).await.unwrap_err();
        assert_eq!(e.reason, Reason::Auth);
        assert_eq!(
            e.message,
            "credential source test source failed: STS: HTTP 500"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_broken_source_is_asked_once_per_30_seconds_however_many_callers() {
        let s = shared("test broken", "test source");
        let calls = AtomicU32::new(0);
        let fail = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(ProviderError::new(Reason::Network, "refused"))
        };
        for _ in 0..5 {
            let e = s.get(fail).await.unwrap_err();
            assert_eq!(e.message, "credential source test source failed: refused");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        tokio::time::advance(RETRY_AFTER).await;
        s.get(fail).await.unwrap_err();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refused_credentials_are_fetched_anew_once() {
        let s = shared("test forget", "test source");
        let hour = Duration::from_secs(3600);
        let calls = AtomicU32::new(0);
        let ok = || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(issued(n, hour))
        };
        let first = s.get(ok).await.unwrap();
        s.forget(&first.access_key_id);
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA2");
        // A late report about the old key leaves the new one.
        s.forget(&first.access_key_id);
        assert_eq!(s.get(ok).await.unwrap().access_key_id, "ASIA2");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn in_the_advisory_window_others_go_on_while_one_refreshes() {
        let s = shared("test advisory", "test source");
        let hour = Duration::from_secs(3600);
        s.get(|| async { Ok(issued(1, hour)) }).await.unwrap();
        tokio::time::advance(Duration::from_secs(47 * 60)).await;
        let slow = s.get(|| async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            Ok(issued(2, hour))
        });
        let other = async {
            tokio::task::yield_now().await;
            s.get(|| async { Ok(issued(3, hour)) }).await
        };
        let (a, b) = tokio::join!(slow, other);
        assert_eq!(a.unwrap().access_key_id, "ASIA2");
        assert_eq!(
            b.unwrap().access_key_id,
            "ASIA1",
            "not blocked, not fetched"
        );
    }
}
