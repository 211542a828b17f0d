//! The EC2 instance role's credentials from the instance metadata service, as botocore's
//! `InstanceMetadataFetcher` (`botocore/utils.py`) gets them with IMDSv2: a session token from
//! `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds: 21600` (403, 404 or
//! 405: no token, go on without, as IMDSv1), the role's name from
//! `GET /latest/meta-data/iam/security-credentials/`, then its credentials from
//! `GET /latest/meta-data/iam/security-credentials/{role}`: JSON `AccessKeyId`,
//! `SecretAccessKey`, `Token`, `Expiration`. Every request goes through the target's `Http`.
//! <https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html>

use super::Credentials;
use super::refresh::Issued;
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The session token's lifetime botocore asks for (`IMDSFetcher._TOKEN_TTL`, 6 h).
const TOKEN_TTL_SECONDS: &str = "21600";
const TOKEN_PATH: &str = "/latest/api/token";
const ROLE_PATH: &str = "/latest/meta-data/iam/security-credentials/";

/// The credentials document.
#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Document {
    code: Option<String>,
    message: Option<String>,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    token: Option<String>,
    expiration: Option<String>,
}

/// What messages call the service at `url`.
pub(super) fn name(url: &BaseUrl) -> String {
    format!("instance metadata ({url})")
}

fn build(
    http: &Http,
    what: &str,
    method: reqwest::Method,
    url: &str,
    header: (&str, &str),
) -> Result<reqwest::Request, ProviderError> {
    http.client()
        .request(method, url)
        .header(header.0, header.1)
        .build()
        .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
}

async fn session_token(url: &BaseUrl, http: &Http) -> Result<Option<Secret>, ProviderError> {
    let what = "IMDS PUT /latest/api/token";
    let url = format!("{url}{TOKEN_PATH}");
    let got = http
        .send(what, || {
            build(
                http,
                what,
                reqwest::Method::PUT,
                &url,
                ("x-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL_SECONDS),
            )
        })
        .await;
    match got {
        Ok(r) => {
            let t = String::from_utf8_lossy(&r.body).trim().to_string();
            Ok((!t.is_empty()).then(|| Secret::new(t)))
        }
        Err(e) if matches!(e.status, Some(403..=405)) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn get(
    http: &Http,
    what: &str,
    url: &str,
    token: Option<&Secret>,
) -> Result<crate::provider::http::Response, ProviderError> {
    http.send(what, || match token {
        Some(t) => build(
            http,
            what,
            reqwest::Method::GET,
            url,
            ("x-aws-ec2-metadata-token", t.expose()),
        ),
        None => http
            .client()
            .get(url)
            .build()
            .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}"))),
    })
    .await
}

/// The instance role's credentials from the service at `url`.
pub(super) async fn fetch(url: &BaseUrl, http: &Http) -> Result<Issued, ProviderError> {
    let token = session_token(url, http).await?;
    let what = "IMDS GET /latest/meta-data/iam/security-credentials/";
    let list = get(http, what, &format!("{url}{ROLE_PATH}"), token.as_ref())
        .await
        .map_err(|mut e| {
            if e.status == Some(404) {
                e.message
                    .push_str(" (no IAM role attached to this instance?)");
            }
            e
        })?;
    let text = String::from_utf8_lossy(&list.body);
    let Some(role) = text.lines().map(str::trim).find(|l| !l.is_empty()) else {
        return Err(ProviderError::decode(format!(
            "{what}: no role named (no IAM role attached to this instance?)"
        )));
    };
    let role = percent_encoding::utf8_percent_encode(role, super::sts::UNRESERVED).to_string();
    let what = "IMDS GET /latest/meta-data/iam/security-credentials/{role}";
    let resp = get(
        http,
        what,
        &format!("{url}{ROLE_PATH}{role}"),
        token.as_ref(),
    )
    .await?;
    decode(&resp.body, what)
}

/// Reads the credentials document (the container endpoint sends the same); `what` names the
/// call in messages.
pub(super) fn decode(body: &[u8], what: &str) -> Result<Issued, ProviderError> {
    let d: Document = crate::provider::http::decode_json(body, what)?;
    if let Some(code) = d.code.as_deref().filter(|c| *c != "Success") {
        // A 200 with an error document (e.g. EC2 is not a trusted entity of the role).
        let message = d.message.as_deref().unwrap_or("");
        return Err(ProviderError::auth(format!("{what}: {code}: {message}")));
    }
    let missing = |k: &str| ProviderError::decode(format!("{what}: no {k} in the answer"));
    let expiration = d.expiration.ok_or_else(|| missing("Expiration"))?;
    let expires_at = crate::timefmt::rfc3339(&expiration)
        .ok()
        .flatten()
        .ok_or_else(|| ProviderError::decode(format!("{what}: Expiration is not a time")))?;
    Ok(Issued {
        credentials: Credentials {
            access_key_id: d.access_key_id.ok_or_else(|| missing("AccessKeyId"))?,
            secret_access_key: Secret::new(
                d.secret_access_key
                    .ok_or_else(|| missing("SecretAccessKey"))?,
            ),
            session_token: Some(Secret::new(d.token.ok_or_else(|| missing("Token"))?)),
        },
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_read_as_botocore_reads_them() {
        let ok = br#"{"Code":"Success","LastUpdated":"2026-12-07T10:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"imds-secret-0123456789","Token":"imds-token-0123456789","Expiration":"2026-12-07T16:00:00Z"}"#;
        let i = decode(ok, "x").unwrap();
        assert_eq!(i.credentials.access_key_id, "ASIAEXAMPLE");
        assert_eq!(
            i.credentials.secret_access_key.expose(),
            "imds-secret-0123456789"
        );
        assert_eq!(i.expires_at.to_string(), "2026-12-07T16:00:00Z");
        let e = decode(
            br#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role"}"#,
            "x",
        )
        .err()
        .unwrap();
        assert_eq!(e.reason, Reason::Auth);
        assert_eq!(
            e.message,
            "x: AssumeRoleUnauthorizedAccess: EC2 cannot assume the role"
        );
        let e = decode(
            br#"{"AccessKeyId":"A","SecretAccessKey":"imds-secret-0123456789","Expiration":"2026-12-07T16:00:00Z"}"#,
            "x",
        )
        .err()
        .unwrap();
        assert_eq!(e.message, "x: no Token in the answer");
    }
}
