//! CCE pod identity, as the SDK's `PodIdentityAccessor` (`huaweicloudsdkcore/auth/internal.py`)
//! gets its credentials: `POST {HC_CONTAINER_CREDENTIALS_FULL_URI}` with the body `{}` and the
//! content of the file `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at every request, since
//! the platform rotates it; surrounding white space dropped) as the `Authorization` header;
//! the answer is read as the SDK's `StsAccessor._process_credential` reads it. The cache, its
//! refresh and sharing: `temporary.rs`.

use std::path::Path;

use super::sources::{AkSkPair, Issued};
use crate::config::secret::Secret;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The variable holding the credentials URL (`_HC_CONTAINER_CREDENTIALS_FULL_URI`).
pub(crate) const ENV_URL: &str = "HC_CONTAINER_CREDENTIALS_FULL_URI";
/// The variable naming the authorization token's file.
pub(crate) const ENV_TOKEN_FILE: &str = "HC_CONTAINER_AUTHORIZATION_TOKEN_FILE";

/// The body as `_process_credential` reads it: the fields under `credential` or
/// `credentials`, or at the top; each field under any of the names it accepts.
#[derive(serde::Deserialize)]
struct Body {
    #[serde(alias = "credentials")]
    credential: Option<Fields>,
    #[serde(flatten)]
    top: Fields,
}

#[derive(serde::Deserialize, Default)]
struct Fields {
    #[serde(alias = "accessKeyId", alias = "access_key_id")]
    access: Option<String>,
    #[serde(alias = "secretAccessKey", alias = "secret_access_key")]
    secret: Option<String>,
    #[serde(alias = "securityToken", alias = "security_token")]
    securitytoken: Option<String>,
    #[serde(alias = "expiration")]
    expires_at: Option<String>,
}

/// What messages call the endpoint at `url`.
pub(super) fn name(url: &str) -> String {
    format!("CCE pod identity ({url})")
}

/// The token the request carries, registered for scrubbing while it lives (an error body that
/// echoes it shows `<redacted>`); the error names the file, never its content.
fn token(file: &Path) -> Result<Secret, ProviderError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        ProviderError::new(
            Reason::Auth,
            format!("cannot read the token file {}: {e}", file.display()),
        )
    })?;
    let t = text.trim();
    if t.is_empty() {
        return Err(ProviderError::new(
            Reason::Auth,
            format!("the token file {} is empty", file.display()),
        ));
    }
    Ok(Secret::new(t))
}

/// Reads a response body as the SDK's `_process_credential` does (also the OIDC exchange's
/// answer, `oidc.rs`); `what` names the call in messages.
pub(super) fn decode(body: &[u8], what: &str) -> Result<Issued, ProviderError> {
    let b: Body = serde_json::from_slice(body)
        .map_err(|e| ProviderError::decode(format!("{what}: not a credentials object: {e}")))?;
    let f = b.credential.unwrap_or(b.top);
    let missing = |k: &str| ProviderError::decode(format!("{what}: no {k} in the answer"));
    let expires = f.expires_at.ok_or_else(|| missing("expires_at"))?;
    let expires_at = crate::timefmt::rfc3339(&expires)
        .ok()
        .flatten()
        .ok_or_else(|| ProviderError::decode(format!("{what}: expires_at is not a time")))?;
    Ok(Issued {
        keys: AkSkPair {
            access_key: Secret::new(f.access.ok_or_else(|| missing("access"))?),
            secret_key: Secret::new(f.secret.ok_or_else(|| missing("secret"))?),
            security_token: f.securitytoken.map(Secret::new),
        },
        expires_at,
    })
}

/// The pod's credentials from `url`, with the token in `token_file`.
pub(super) async fn fetch(
    url: &str,
    token_file: &Path,
    http: &Http,
) -> Result<Issued, ProviderError> {
    let what = "CCE pod identity POST";
    let token = token(token_file)?;
    let resp = http
        .send(what, || {
            http.client()
                .post(url)
                .header("authorization", token.expose())
                .header("content-type", "application/json")
                .body("{}")
                .build()
                .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
        })
        .await?;
    decode(&resp.body, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_the_sdk_reads_them() {
        let exp = "2030-01-02T03:04:05.000000Z";
        for body in [
            format!(
                r#"{{"credential":{{"access":"A","secret":"S","securitytoken":"T","expires_at":"{exp}"}}}}"#
            ),
            format!(
                r#"{{"credentials":{{"accessKeyId":"A","secretAccessKey":"S","securityToken":"T","expiration":"{exp}"}}}}"#
            ),
            format!(
                r#"{{"access_key_id":"A","secret_access_key":"S","security_token":"T","expires_at":"{exp}"}}"#
            ),
        ] {
            let i = decode(body.as_bytes(), "x").unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(i.keys.access_key.expose(), "A");
            assert_eq!(i.keys.secret_key.expose(), "S");
            assert_eq!(i.keys.security_token.unwrap().expose(), "T");
        }
        let e = decode(
            br#"{"credential":{"secret":"S","expires_at":"2030-01-02T03:04:05Z"}}"#,
            "x",
        )
        .err()
        .unwrap();
        assert_eq!(e.message, "x: no access in the answer");
        assert!(!e.message.contains('S'));
    }

    #[test]
    fn the_token_file_is_named_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        let e = token(&f).unwrap_err();
        assert!(
            e.message.starts_with("cannot read the token file "),
            "{}",
            e.message
        );
        std::fs::write(&f, " \n").unwrap();
        assert!(token(&f).unwrap_err().message.ends_with("is empty"));
        std::fs::write(&f, "tok-123\n").unwrap();
        assert_eq!(token(&f).unwrap().expose(), "tok-123");
    }
}
