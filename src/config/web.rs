//! `--web.config.file`: TLS and basic auth for the HTTP server, in the Prometheus
//! exporter-toolkit `web-config.yml` format.
//!
//! The file is parsed strictly: an unknown key is an error naming the file, the line and the
//! key. Relative paths are resolved against the web config file's directory, as the toolkit
//! does. Certificates and keys are read and checked here, so a bad file fails at start and in
//! `--check-config`, not at the first connection.
//!
//! Departures from the toolkit, each chosen so that a setting never silently weakens security:
//! - `cipher_suites`, `curve_preferences`, `client_allowed_sans` and `rate_limit` are errors
//!   (rustls picks its own safe cipher suites and groups; SAN pinning and rate limiting are not
//!   implemented). `prefer_server_cipher_suites` is accepted and ignored (Go ignores it too).
//! - `client_auth_type` `RequestClientCert` and `RequireAnyClientCert` (a client certificate
//!   taken without verifying it) are errors; use `RequireAndVerifyClientCert`.
//! - `min_version`/`max_version` `TLS10` and `TLS11` are errors: rustls speaks TLS 1.2 and 1.3.
//! - `http_server_config.http2` is accepted and ignored: the server speaks HTTP/1.1.
//! - The file is read at start (and re-read on reload), not on every request.
//!
//! This module must not log: its values include password hashes and key material.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A problem with the web config file; the message names the file, and the key and line
/// where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct WebConfigError {
    /// The full message.
    pub message: String,
}

/// The validated web configuration.
#[derive(Clone)]
pub struct WebConfig {
    /// The file it was read from (for messages).
    pub source: PathBuf,
    /// TLS settings; `None` serves plain HTTP.
    pub tls: Option<TlsConfig>,
    /// Extra response headers (name, value), sent on every response.
    pub headers: Vec<(String, String)>,
    /// Users and their bcrypt hashes; empty means no basic auth.
    pub(crate) users: BTreeMap<String, String>,
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig")
            .field("source", &self.source)
            .field("tls", &self.tls)
            .field("headers", &self.headers)
            .field("users", &self.users.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Who must present a client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// `NoClientCert` (default): none asked for.
    NoClientCert,
    /// `VerifyClientCertIfGiven`: optional, verified against `client_ca_file` when sent.
    VerifyIfGiven,
    /// `RequireAndVerifyClientCert`: required and verified against `client_ca_file`.
    RequireAndVerify,
}

/// A TLS protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    /// `TLS12`.
    Tls12,
    /// `TLS13`.
    Tls13,
}

/// The validated `tls_server_config`, with the rustls server configuration built from it.
#[derive(Clone)]
pub struct TlsConfig {
    /// Where the certificate came from (`cert_file` resolved, or `<inline>`).
    pub(crate) cert_origin: String,
    /// Client certificate policy.
    pub(crate) client_auth: ClientAuth,
    /// Lowest accepted version.
    pub min_version: TlsVersion,
    /// Highest accepted version.
    pub max_version: TlsVersion,
    /// The rustls configuration (certificate, key, client verifier, versions).
    pub(crate) server_config: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig")
            .field("cert_origin", &self.cert_origin)
            .field("client_auth", &self.client_auth)
            .field("min_version", &self.min_version)
            .field("max_version", &self.max_version)
            .finish_non_exhaustive()
    }
}

// === The YAML ===

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WebFile {
    #[serde(default)]
    tls_server_config: Option<TlsFile>,
    #[serde(default)]
    http_server_config: Option<HttpFile>,
    #[serde(default)]
    basic_auth_users: Option<BTreeMap<String, Spanned<String>>>,
    #[serde(default)]
    rate_limit: Option<Spanned<IgnoredAny>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsFile {
    #[serde(default)]
    cert: Option<String>,
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    client_ca: Option<String>,
    #[serde(default)]
    cert_file: Option<Spanned<String>>,
    #[serde(default)]
    key_file: Option<Spanned<String>>,
    #[serde(default)]
    client_auth_type: Option<Spanned<String>>,
    #[serde(default)]
    client_ca_file: Option<Spanned<String>>,
    #[serde(default)]
    min_version: Option<Spanned<String>>,
    #[serde(default)]
    max_version: Option<Spanned<String>>,
    #[serde(default)]
    cipher_suites: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    curve_preferences: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    client_allowed_sans: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    #[allow(dead_code)]
    prefer_server_cipher_suites: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    #[serde(default)]
    #[allow(dead_code)]
    http2: Option<bool>,
    #[serde(default)]
    headers: Option<BTreeMap<String, Spanned<String>>>,
}

/// Response headers the toolkit lets a web config set.
pub(crate) const ALLOWED_HEADERS: [&str; 5] = [
    "Content-Security-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "X-XSS-Protection",
    "Strict-Transport-Security",
];

// === Loading ===

impl WebConfig {
    /// Reads, parses and validates a web config file, loading its certificates and keys.
    pub fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| WebConfigError {
            message: format!("{}: cannot read web config file: {e}", path.display()),
        })?;
        Self::from_str(&text, path)
    }

    /// Parses and validates web config text; `source` names it in messages and relative
    /// paths are resolved against its directory.
    pub fn from_str(text: &str, source: &Path) -> Result<WebConfig, WebConfigError> {
        let cx = Cx {
            source,
            dir: source.parent().unwrap_or(Path::new("")),
        };
        let file: WebFile = if text.trim().is_empty() {
            WebFile::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let inner = e.without_snippet();
                let msg = inner.to_string();
                match inner.location().map(|l| l.line()).filter(|l| *l > 0) {
                    Some(line) => {
                        let msg = msg.rfind(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
                        cx.err(format!("line {line}: {msg}"))
                    }
                    None => cx.err(msg),
                }
            })?
        };
        if let Some(r) = &file.rate_limit {
            return Err(cx.at(
                &r.referenced,
                "rate_limit",
                "is not supported; rate-limit in a reverse proxy",
            ));
        }
        let tls = match file.tls_server_config {
            Some(t) => tls_config(&cx, t)?,
            None => None,
        };
        let mut headers = Vec::new();
        if let Some(h) = file.http_server_config.and_then(|h| h.headers) {
            for (name, value) in h {
                let key = format!("http_server_config.headers.{name}");
                if !ALLOWED_HEADERS.contains(&name.as_str()) {
                    return Err(cx.at(
                        &value.referenced,
                        &key,
                        &format!("can not be configured, expected one of {ALLOWED_HEADERS:?}"),
                    ));
                }
                let v = value.value.trim();
                if v.is_empty() {
                    continue;
                }
                let ok = match name.as_str() {
                    "X-Frame-Options" => {
                        v.eq_ignore_ascii_case("deny") || v.eq_ignore_ascii_case("sameorigin")
                    }
                    "X-Content-Type-Options" => v.eq_ignore_ascii_case("nosniff"),
                    _ => true,
                };
                let printable = v.bytes().all(|b| b == b'\t' || (0x20..0x7f).contains(&b));
                if !ok || !printable {
                    return Err(cx.at(&value.referenced, &key, &format!("invalid value {v:?}")));
                }
                headers.push((name, v.to_string()));
            }
        }
        let mut users = BTreeMap::new();
        for (user, hash) in file.basic_auth_users.unwrap_or_default() {
            if user.contains(':') {
                return Err(cx.at(
                    &hash.referenced,
                    "basic_auth_users",
                    &format!("user {user:?}: a user name can not contain ':'"),
                ));
            }
            if !is_bcrypt_hash(&hash.value) {
                // Never echo the value: it may be a plain password put there by mistake.
                return Err(cx.at(
                    &hash.referenced,
                    "basic_auth_users",
                    &format!(
                        "user {user:?}: not a bcrypt hash (expected $2y$<cost>$..., see htpasswd -nBC 10)"
                    ),
                ));
            }
            users.insert(user, hash.value);
        }
        Ok(WebConfig {
            source: source.to_path_buf(),
            tls,
            headers,
            users,
        })
    }
}

/// Whether `s` looks like a bcrypt hash: `$2a$`/`$2b$`/`$2x$`/`$2y$`, a two-digit cost in
/// 4..=31, then 53 characters of bcrypt's base64.
fn is_bcrypt_hash(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 60
        && s.starts_with("$2")
        && matches!(b[2], b'a' | b'b' | b'x' | b'y')
        && b[3] == b'$'
        && s[4..6].parse::<u32>().is_ok_and(|c| (4..=31).contains(&c))
        && b[6] == b'$'
        && b[7..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'.' || *c == b'/')
}

struct Cx<'a> {
    source: &'a Path,
    dir: &'a Path,
}

impl Cx<'_> {
    fn err(&self, msg: impl std::fmt::Display) -> WebConfigError {
        WebConfigError {
            message: format!("{}: {msg}", self.source.display()),
        }
    }

    fn at(&self, loc: &serde_saphyr::Location, key: &str, msg: &str) -> WebConfigError {
        let line = loc.line();
        if line > 0 {
            self.err(format!("line {line}: {key}: {msg}"))
        } else {
            self.err(format!("{key}: {msg}"))
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        let p = Path::new(p);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}

fn version(cx: &Cx<'_>, v: &Spanned<String>, key: &str) -> Result<TlsVersion, WebConfigError> {
    match v.value.as_str() {
        "TLS12" => Ok(TlsVersion::Tls12),
        "TLS13" => Ok(TlsVersion::Tls13),
        "TLS10" | "TLS11" => Err(cx.at(
            &v.referenced,
            key,
            &format!(
                "{:?} is not supported, the lowest version is TLS12",
                v.value
            ),
        )),
        other => Err(cx.at(
            &v.referenced,
            key,
            &format!("unknown TLS version {other:?}, expected TLS12 or TLS13"),
        )),
    }
}

/// Reads PEM text from an inline value or a file; exactly one may be given.
fn pem_source(
    cx: &Cx<'_>,
    inline: Option<String>,
    file: Option<&Spanned<String>>,
    key: &str,
) -> Result<Option<(String, Vec<u8>)>, WebConfigError> {
    match (inline, file) {
        (Some(_), Some(f)) => Err(cx.at(
            &f.referenced,
            &format!("tls_server_config.{key}_file"),
            &format!("give either {key} or {key}_file, not both"),
        )),
        (Some(text), None) => Ok(Some(("<inline>".to_string(), text.into_bytes()))),
        (None, Some(f)) => {
            let p = cx.path(&f.value);
            let bytes = std::fs::read(&p).map_err(|e| {
                cx.at(
                    &f.referenced,
                    &format!("tls_server_config.{key}_file"),
                    &format!("cannot read {}: {e}", p.display()),
                )
            })?;
            Ok(Some((p.display().to_string(), bytes)))
        }
        (None, None) => Ok(None),
    }
}

fn tls_config(cx: &Cx<'_>, t: TlsFile) -> Result<Option<TlsConfig>, WebConfigError> {
    for (v, key, why) in [
        (
            &t.cipher_suites,
            "cipher_suites",
            "is not supported; rustls uses its own safe cipher suites",
        ),
        (
            &t.curve_preferences,
            "curve_preferences",
            "is not supported; rustls uses its own safe key exchange groups",
        ),
        (
            &t.client_allowed_sans,
            "client_allowed_sans",
            "is not supported; use a dedicated client CA with RequireAndVerifyClientCert",
        ),
    ] {
        if let Some(v) = v {
            return Err(cx.at(&v.referenced, &format!("tls_server_config.{key}"), why));
        }
    }
    let client_auth = match &t.client_auth_type {
        None => ClientAuth::NoClientCert,
        Some(v) => match v.value.as_str() {
            "NoClientCert" => ClientAuth::NoClientCert,
            "VerifyClientCertIfGiven" => ClientAuth::VerifyIfGiven,
            "RequireAndVerifyClientCert" => ClientAuth::RequireAndVerify,
            "RequestClientCert" | "RequireAnyClientCert" => {
                return Err(cx.at(
                    &v.referenced,
                    "tls_server_config.client_auth_type",
                    &format!(
                        "{:?} (an unverified client certificate) is not supported, use RequireAndVerifyClientCert",
                        v.value
                    ),
                ));
            }
            other => {
                return Err(cx.at(
                    &v.referenced,
                    "tls_server_config.client_auth_type",
                    &format!(
                        "unknown value {other:?}, expected NoClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert"
                    ),
                ));
            }
        },
    };
    let min_version = match &t.min_version {
        Some(v) => version(cx, v, "tls_server_config.min_version")?,
        None => TlsVersion::Tls12,
    };
    let max_version = match &t.max_version {
        Some(v) => version(cx, v, "tls_server_config.max_version")?,
        None => TlsVersion::Tls13,
    };
    match (
        t.cert.is_some() || t.cert_file.is_some(),
        t.key.is_some() || t.key_file.is_some(),
    ) {
        (true, false) => return Err(cx.err("tls_server_config: missing key_file")),
        (false, true) => return Err(cx.err("tls_server_config: missing cert_file")),
        _ => {}
    }
    let cert = pem_source(cx, t.cert, t.cert_file.as_ref(), "cert")?;
    let key = pem_source(cx, t.key, t.key_file.as_ref(), "key")?;
    let client_ca = pem_source(cx, t.client_ca, t.client_ca_file.as_ref(), "client_ca")?;
    let (cert, key) = match (cert, key) {
        // The toolkit treats a tls_server_config without certificate and key as no TLS.
        (None, None) => {
            if client_ca.is_some() || t.client_auth_type.is_some() {
                return Err(cx.err(
                    "tls_server_config: client certificate settings need cert_file and key_file",
                ));
            }
            return Ok(None);
        }
        (Some(c), Some(k)) => (c, k),
        _ => return Err(cx.err("tls_server_config: needs both cert_file and key_file")),
    };
    if min_version > max_version {
        return Err(
            cx.err("tls_server_config: min_version is greater than max_version".to_string())
        );
    }
    let (cert_origin, cert_pem) = cert;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            cx.err(format!(
                "tls_server_config.cert_file: {cert_origin}: invalid PEM: {e}"
            ))
        })?;
    if certs.is_empty() {
        return Err(cx.err(format!(
            "tls_server_config.cert_file: {cert_origin}: no certificate found"
        )));
    }
    let (key_origin, key_pem) = key;
    // The error of a key parse is not shown: it could quote key material.
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| {
        cx.err(format!(
            "tls_server_config.key_file: {key_origin}: no valid PEM private key found"
        ))
    })?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = [
        (TlsVersion::Tls12, &rustls::version::TLS12),
        (TlsVersion::Tls13, &rustls::version::TLS13),
    ]
    .into_iter()
    .filter(|(v, _)| (min_version..=max_version).contains(v))
    .map(|(_, p)| p)
    .collect();
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(&versions)
        .map_err(|e| cx.err(format!("tls_server_config: {e}")))?;
    let builder = match client_auth {
        ClientAuth::NoClientCert => {
            if client_ca.is_some() {
                return Err(cx.err(
                    "tls_server_config: client_ca_file is set but client_auth_type is NoClientCert; set client_auth_type: RequireAndVerifyClientCert",
                ));
            }
            builder.with_no_client_auth()
        }
        ClientAuth::VerifyIfGiven | ClientAuth::RequireAndVerify => {
            let Some((ca_origin, ca_pem)) = client_ca else {
                return Err(cx.err(format!(
                    "tls_server_config: client_auth_type {} needs client_ca_file",
                    t.client_auth_type
                        .as_ref()
                        .map(|v| v.value.as_str())
                        .unwrap_or_default()
                )));
            };
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(&ca_pem) {
                let c = c.map_err(|e| {
                    cx.err(format!(
                        "tls_server_config.client_ca_file: {ca_origin}: invalid PEM: {e}"
                    ))
                })?;
                roots.add(c).map_err(|e| {
                    cx.err(format!(
                        "tls_server_config.client_ca_file: {ca_origin}: invalid CA certificate: {e}"
                    ))
                })?;
            }
            if roots.is_empty() {
                return Err(cx.err(format!(
                    "tls_server_config.client_ca_file: {ca_origin}: no certificate found"
                )));
            }
            let mut vb = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                Arc::clone(&provider),
            );
            if client_auth == ClientAuth::VerifyIfGiven {
                vb = vb.allow_unauthenticated();
            }
            let verifier = vb.build().map_err(|e| {
                cx.err(format!(
                    "tls_server_config.client_ca_file: {ca_origin}: {e}"
                ))
            })?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut server_config = builder.with_single_cert(certs, key).map_err(|e| {
        cx.err(format!(
            "tls_server_config: certificate {cert_origin} and key {key_origin} do not form a usable pair: {e}"
        ))
    })?;
    server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(TlsConfig {
        cert_origin,
        client_auth,
        min_version,
        max_version,
        server_config: Arc::new(server_config),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WebConfig, String> {
        WebConfig::from_str(text, Path::new("/etc/web.yml")).map_err(|e| e.message)
    }

    const HASH: &str = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

    #[test]
    fn empty_file_means_plain_http_without_auth() {
        let c = parse("").unwrap();
        assert!(c.tls.is_none() && c.users.is_empty() && c.headers.is_empty());
        let c = parse("tls_server_config: {}\n").unwrap();
        assert!(c.tls.is_none());
    }

    #[test]
    fn users_and_headers_are_read() {
        let c = parse(&format!(
            "basic_auth_users:\n  alice: '{HASH}'\nhttp_server_config:\n  http2: false\n  headers:\n    X-Frame-Options: deny\n    X-XSS-Protection: ''\n"
        ))
        .unwrap();
        assert_eq!(c.users.get("alice").map(String::as_str), Some(HASH));
        assert_eq!(
            c.headers,
            vec![("X-Frame-Options".to_string(), "deny".to_string())]
        );
        assert!(!format!("{c:?}").contains(HASH));
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let e = parse("basic_auth_users: {}\ntls_server_confg:\n  cert_file: x\n").unwrap_err();
        assert!(e.starts_with("/etc/web.yml: "), "{e}");
        assert!(e.contains("tls_server_confg"), "{e}");
        assert!(e.contains("line 2"), "{e}");
        let e = parse("tls_server_config:\n  cert_file: a\n  keyfile: b\n").unwrap_err();
        assert!(
            e.starts_with("/etc/web.yml: line 3: unknown field `keyfile`"),
            "{e}"
        );
    }

    #[test]
    fn plain_password_is_rejected_without_echo() {
        let e = parse("basic_auth_users:\n  bob: hunter2\n").unwrap_err();
        assert!(e.contains("bob") && e.contains("line 2"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn unsupported_settings_are_errors() {
        for (yaml, key) in [
            (
                "tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
                "cipher_suites",
            ),
            (
                "tls_server_config:\n  curve_preferences: [X25519]\n",
                "curve_preferences",
            ),
            (
                "tls_server_config:\n  client_allowed_sans: [a]\n",
                "client_allowed_sans",
            ),
            ("rate_limit:\n  interval: 1s\n  burst: 2\n", "rate_limit"),
            (
                "http_server_config:\n  headers:\n    Server: x\n",
                "headers.Server",
            ),
            (
                "http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
                "X-Frame-Options",
            ),
            ("tls_server_config:\n  cert_file: c\n", "missing key_file"),
            (
                "tls_server_config:\n  cert_file: c\n  key_file: k\n  min_version: TLS11\n",
                "min_version",
            ),
            (
                "tls_server_config:\n  cert_file: c\n  key_file: k\n  client_auth_type: RequireAnyClientCert\n",
                "client_auth_type",
            ),
        ] {
            let e = parse(yaml).unwrap_err();
            assert!(
                e.starts_with("/etc/web.yml: ") && e.contains(key),
                "{yaml}: {e}"
            );
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_config_directory() {
        let e = parse("tls_server_config:\n  cert_file: certs/server.crt\n  key_file: k\n")
            .unwrap_err();
        assert!(e.contains("/etc/certs/server.crt"), "{e}");
    }

    #[test]
    fn bcrypt_hash_shapes() {
        assert!(is_bcrypt_hash(HASH));
        assert!(is_bcrypt_hash(&HASH.replacen("2y", "2b", 1)));
        assert!(!is_bcrypt_hash(&HASH.replacen("$10$", "$99$", 1)));
        assert!(!is_bcrypt_hash(&HASH[..59]));
        assert!(!is_bcrypt_hash("password"));
    }
}
