//! TLS, basic auth and extra response headers around the HTTP server, built from a
//! [`WebConfig`] (`--web.config.file`). The request routing stays in [`crate::server::route`];
//! this module only decides whether a connection is TLS, whether a request may pass, and which
//! headers every response gets.
//!
//! Basic auth follows the exporter-toolkit: every endpoint needs valid credentials once users
//! are configured, a failure is `401` with `WWW-Authenticate: Basic`, and an unknown user costs
//! a bcrypt verification like a known one. Successful verifications are cached (bcrypt is slow
//! by design) under an HMAC of user and password keyed with a random per-process key, so the
//! cache never holds a password or anything that can be checked against one offline. At most
//! two bcrypt verifications run at once, on blocking threads, so a flood of wrong passwords
//! cannot take every core. Nothing here logs a user's password or hash.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use base64::Engine;
use hmac::{KeyInit, Mac};
use hyper::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;

use crate::config::web::WebConfig;

/// Cached successful logins kept at most; the cache is cleared when it is full.
const CACHE_MAX: usize = 1024;

/// bcrypt verifications run at once.
const BCRYPT_CONCURRENCY: usize = 2;

/// The security layer of the HTTP server. The default is plain HTTP without auth.
///
/// Clones share one setting, which [`Web::replace`] swaps on reload: a new TLS setting
/// applies to new connections, new users and headers to the next request.
#[derive(Clone, Default)]
pub struct Web {
    inner: Arc<RwLock<Arc<Inner>>>,
}

#[derive(Default)]
struct Inner {
    tls: Option<TlsAcceptor>,
    auth: Option<BasicAuth>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl std::fmt::Debug for Web {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cur = self.current();
        f.debug_struct("Web")
            .field("tls", &cur.tls.is_some())
            .field("basic_auth", &cur.auth.is_some())
            .field("headers", &cur.headers.len())
            .finish()
    }
}

impl Web {
    /// Builds the layer from a validated web config.
    pub fn new(cfg: &WebConfig) -> Web {
        Web {
            inner: Arc::new(RwLock::new(Arc::new(Inner::new(cfg)))),
        }
    }

    /// Replaces the setting of this layer and its clones (on reload).
    pub fn replace(&self, cfg: &WebConfig) {
        let new = Arc::new(Inner::new(cfg));
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = new;
    }

    fn current(&self) -> Arc<Inner> {
        Arc::clone(&self.inner.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// The TLS acceptor for a new connection, when TLS is configured.
    pub fn tls(&self) -> Option<TlsAcceptor> {
        self.current().tls.clone()
    }

    /// Whether basic auth is required.
    pub(crate) fn requires_auth(&self) -> bool {
        self.current().auth.is_some()
    }

    /// Whether a request with these headers may pass: always without configured users, else
    /// only with a valid `Authorization: Basic` header.
    pub(crate) async fn authorized(&self, headers: &HeaderMap) -> bool {
        let cur = self.current();
        match &cur.auth {
            None => true,
            Some(auth) => auth.check(headers).await,
        }
    }

    /// Adds the configured headers to a response.
    pub(crate) fn decorate<B>(&self, resp: &mut hyper::Response<B>) {
        for (n, v) in &self.current().headers {
            resp.headers_mut().insert(n.clone(), v.clone());
        }
    }
}

impl Inner {
    fn new(cfg: &WebConfig) -> Inner {
        let headers = cfg
            .headers
            .iter()
            .filter_map(|(n, v)| {
                Some((
                    HeaderName::from_bytes(n.as_bytes()).ok()?,
                    HeaderValue::from_str(v).ok()?,
                ))
            })
            .collect();
        Inner {
            tls: cfg
                .tls
                .as_ref()
                .map(|t| TlsAcceptor::from(Arc::clone(&t.server_config))),
            auth: (!cfg.users.is_empty()).then(|| BasicAuth::new(cfg.users.clone())),
            headers,
        }
    }
}

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

struct BasicAuth {
    users: BTreeMap<String, String>,
    /// Verified for unknown users, so that they take as long as known ones.
    dummy_hash: String,
    cache_key: [u8; 32],
    cache: Mutex<HashSet<[u8; 32]>>,
    bcrypt: Arc<Semaphore>,
}

impl BasicAuth {
    fn new(users: BTreeMap<String, String>) -> BasicAuth {
        // The same cost as the most expensive configured hash; salt and digest are arbitrary.
        let cost = users
            .values()
            .filter_map(|h| h.get(4..6)?.parse::<u32>().ok())
            .max()
            .unwrap_or(10);
        BasicAuth {
            users,
            dummy_hash: format!(
                "$2b${cost:02}$Ro0CUfOqk6cXEKf3dyaM7OhSCvnwM9s4wIX9JeLapehKK5YdLxKcm"
            ),
            cache_key: rand::random(),
            cache: Mutex::new(HashSet::new()),
            bcrypt: Arc::new(Semaphore::new(BCRYPT_CONCURRENCY)),
        }
    }

    fn cache_id(&self, user: &str, password: &[u8]) -> [u8; 32] {
        let mut mac = match HmacSha256::new_from_slice(&self.cache_key) {
            Ok(m) => m,
            // HMAC takes keys of any length; this branch is unreachable.
            Err(_) => return [0; 32],
        };
        mac.update(&(user.len() as u64).to_be_bytes());
        mac.update(user.as_bytes());
        mac.update(password);
        mac.finalize().into_bytes().into()
    }

    async fn check(&self, headers: &HeaderMap) -> bool {
        let Some((user, password)) = headers.get(AUTHORIZATION).and_then(parse_basic) else {
            return false;
        };
        let (known, hash) = match self.users.get(&user) {
            Some(h) => (true, h.clone()),
            None => (false, self.dummy_hash.clone()),
        };
        let id = self.cache_id(&user, &password);
        if known
            && self
                .cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&id)
        {
            return true;
        }
        let Ok(_permit) = Arc::clone(&self.bcrypt).acquire_owned().await else {
            return false;
        };
        let ok =
            tokio::task::spawn_blocking(move || bcrypt::verify(&password, &hash).unwrap_or(false))
                .await
                .unwrap_or(false);
        if ok && known {
            let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if cache.len() >= CACHE_MAX {
                cache.clear();
            }
            cache.insert(id);
        }
        ok && known
    }
}

/// Splits `Authorization: Basic base64(user:password)`; the scheme is case-insensitive.
fn parse_basic(v: &HeaderValue) -> Option<(String, Vec<u8>)> {
    let v = v.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let colon = raw.iter().position(|b| *b == b':')?;
    let user = String::from_utf8(raw[..colon].to_vec()).ok()?;
    Some((user, raw[colon + 1..].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(user: &str, pw: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let v = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        h.insert(
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {v}")).unwrap(),
        );
        h
    }

    #[test]
    fn basic_header_is_split_at_the_first_colon() {
        let h = header("alice", "pa:ss");
        let (u, p) = parse_basic(h.get(AUTHORIZATION).unwrap()).unwrap();
        assert_eq!((u.as_str(), p.as_slice()), ("alice", b"pa:ss".as_slice()));
        assert!(parse_basic(&HeaderValue::from_static("Bearer abc")).is_none());
        assert!(parse_basic(&HeaderValue::from_static("Basic !!!")).is_none());
    }

    #[tokio::test]
    async fn right_password_passes_and_is_cached_wrong_ones_and_unknown_users_fail() {
        let hash = bcrypt::hash("s3cret", 4).unwrap();
        let auth = BasicAuth::new(BTreeMap::from([("alice".to_string(), hash)]));
        assert!(auth.dummy_hash.starts_with("$2b$04$"));
        assert!(!bcrypt::verify("s3cret", &auth.dummy_hash).unwrap());
        assert!(!auth.check(&HeaderMap::new()).await);
        assert!(!auth.check(&header("alice", "wrong")).await);
        assert!(!auth.check(&header("mallory", "s3cret")).await);
        assert!(auth.cache.lock().unwrap().is_empty());
        assert!(auth.check(&header("alice", "s3cret")).await);
        assert_eq!(auth.cache.lock().unwrap().len(), 1);
        assert!(auth.check(&header("alice", "s3cret")).await);
        assert!(!auth.check(&header("alice", "s3cret2")).await);
    }
}
