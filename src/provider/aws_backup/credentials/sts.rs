//! STS, the Query protocol (`botocore/data/sts/2011-06-15/service-2.json`): `POST /` with a
//! form body (`Action`, `Version=2011-06-15` and the operation's parameters) at the regional
//! endpoint `https://sts.{region}.amazonaws.com`, answered in XML.
//!
//! - `AssumeRoleWithWebIdentity` is not signed: the web identity token (read from its file at
//!   every call, since the platform rotates it) is the proof
//!   (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html>).
//! - `AssumeRole` is signed with Signature Version 4 (service `sts`, the target's region) by
//!   the base credentials, a fresh signature per attempt
//!   (<https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html>).
//!
//! Both go through the target's `Http` (retries, rate limits, body cap, request counts).

use std::path::Path;
use std::time::SystemTime;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

use super::Credentials;
use super::refresh::Issued;
use super::source::{Role, WebIdentity};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (valid in a form
/// body and in a path segment).
pub(super) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The API version every request names.
const VERSION: &str = "2011-06-15";

/// Where STS is, and the region its signatures name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Sts {
    /// The endpoint's base URL.
    pub(super) endpoint: BaseUrl,
    /// The target's region.
    pub(super) region: String,
}

impl Sts {
    /// `endpoint` (the config's `sts_endpoint`), else the region's:
    /// `https://sts.{region}.amazonaws.com` (`.amazonaws.com.cn` in the China regions;
    /// <https://docs.aws.amazon.com/general/latest/gr/sts.html>).
    pub(super) fn new(endpoint: Option<&BaseUrl>, region: &str) -> Sts {
        let endpoint = endpoint.cloned().unwrap_or_else(|| {
            let suffix = if region.starts_with("cn-") {
                "amazonaws.com.cn"
            } else {
                "amazonaws.com"
            };
            BaseUrl::https(format!("sts.{region}.{suffix}"))
        });
        Sts {
            endpoint,
            region: region.to_string(),
        }
    }
}

/// The session name a role is assumed under when none is configured: botocore's
/// `botocore-session-{seconds}`, named after the exporter.
fn default_session_name() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("cloud-task-exporter-{secs}")
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encoding::utf8_percent_encode(k, UNRESERVED),
                percent_encoding::utf8_percent_encode(v, UNRESERVED)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

/// The token in `file`, registered for scrubbing while it lives; the error names the file,
/// never its content.
fn token(file: &Path) -> Result<Secret, ProviderError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        ProviderError::auth(format!(
            "cannot read the web identity token file {}: {e}",
            file.display()
        ))
    })?;
    let t = text.trim();
    if t.is_empty() {
        return Err(ProviderError::auth(format!(
            "the web identity token file {} is empty",
            file.display()
        )));
    }
    Ok(Secret::new(t))
}

/// `AssumeRoleWithWebIdentity` with the token in `w.token_file`.
pub(super) async fn assume_role_with_web_identity(
    sts: &Sts,
    w: &WebIdentity,
    http: &Http,
) -> Result<Issued, ProviderError> {
    let what = "STS AssumeRoleWithWebIdentity";
    let token = token(&w.token_file)?;
    let session = w.session_name.clone().unwrap_or_else(default_session_name);
    let body = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", VERSION),
        ("RoleArn", &w.role_arn),
        ("RoleSessionName", &session),
        ("WebIdentityToken", token.expose()),
    ]);
    let url = format!("{}/", sts.endpoint);
    let resp = http
        .send(what, || {
            http.client()
                .post(&url)
                .header("content-type", FORM)
                .body(body.clone())
                .build()
                .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
        })
        .await?;
    decode(&resp.body, what)
}

/// `AssumeRole` of `role`, signed with `base`.
pub(super) async fn assume_role(
    sts: &Sts,
    role: &Role,
    base: &Credentials,
    http: &Http,
) -> Result<Issued, ProviderError> {
    let what = "STS AssumeRole";
    let session = role
        .session_name
        .clone()
        .unwrap_or_else(default_session_name);
    let duration = role.duration_seconds.map(|d| d.to_string());
    let mut pairs = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", role.role_arn.as_str()),
        ("RoleSessionName", session.as_str()),
    ];
    if let Some(e) = &role.external_id {
        pairs.push(("ExternalId", e));
    }
    if let Some(d) = &duration {
        pairs.push(("DurationSeconds", d));
    }
    let body = form(&pairs);
    let url = format!("{}/", sts.endpoint);
    let resp = http
        .send(what, || {
            let headers = sign(
                "POST",
                &url,
                &[("content-type", FORM)],
                body.as_bytes(),
                base,
                &sts.region,
                "sts",
                SystemTime::now(),
            )?;
            let mut rb = http
                .client()
                .post(&url)
                .header("content-type", FORM)
                .body(body.clone());
            for (k, v) in headers {
                rb = rb.header(k, v);
            }
            rb.build()
                .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
        })
        .await?;
    decode(&resp.body, what)
}

/// The headers a Signature Version 4 of the request adds (`authorization`, `x-amz-date`,
/// `x-amz-security-token` with temporary credentials), computed by `aws-sigv4`.
#[allow(
    clippy::too_many_arguments,
    reason = "the parts of one request, each named"
)]
pub(super) fn sign(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    creds: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>, ProviderError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
    let bad = |e: &dyn std::fmt::Display| {
        ProviderError::new(Reason::Client, format!("cannot sign the request: {e}"))
    };
    let identity = aws_credential_types::Credentials::new(
            creds.access_key_id.clone(),
            creds.secret_access_key.expose().to_string(),
            creds.session_token.as_ref().map(|t| t.expose().to_string()),
            None,
            "cloud-task-exporter",
        )
        .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| bad(&e))?
        .into();
    let request = SignableRequest::new(
        method,
        url,
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| bad(&e))?;
    let (instructions, _) = aws_sigv4::http_request::sign(request, &params)
        .map_err(|e| bad(&e))?
        .into_parts();
    Ok(instructions
        .headers()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// The text of the first `<name>…</name>` in `xml`, entities decoded.
fn element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(unescape(xml[start..end].trim()))
}

/// XML's five entities and character references.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=end]),
        }
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}

/// `<Credentials>` of an `AssumeRole*Response`; `what` names the call in messages.
fn decode(body: &[u8], what: &str) -> Result<Issued, ProviderError> {
    let xml = std::str::from_utf8(body)
        .map_err(|_| ProviderError::decode(format!("{what}: the answer is not UTF-8")))?;
    let creds = element(xml, "Credentials")
        .ok_or_else(|| ProviderError::decode(format!("{what}: no <Credentials> in the answer")))?;
    let field = |k: &str| {
        element(&creds, k)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ProviderError::decode(format!("{what}: no <{k}> in the answer")))
    };
    let expiration = field("Expiration")?;
    let expires_at = crate::timefmt::rfc3339(&expiration)
        .ok()
        .flatten()
        .ok_or_else(|| ProviderError::decode(format!("{what}: <Expiration> is not a time")))?;
    Ok(Issued {
        credentials: Credentials {
            access_key_id: field("AccessKeyId")?,
            secret_access_key: Secret::new(field("SecretAccessKey")?),
            session_token: Some(Secret::new(field("SessionToken")?)),
        },
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_read_as_the_query_protocol_writes_them() {
        let xml = r#"<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:ns:sa</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>sts-token-a&amp;b</SessionToken>
      <SecretAccessKey>sts-secret/0123+456789</SecretAccessKey>
      <Expiration>2026-12-07T11:34:56Z</Expiration>
      <AccessKeyId>ASIASTSEXAMPLE</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>"#;
        let i = decode(xml.as_bytes(), "x").unwrap();
        assert_eq!(i.credentials.access_key_id, "ASIASTSEXAMPLE");
        assert_eq!(
            i.credentials.secret_access_key.expose(),
            "sts-secret/0123+456789"
        );
        assert_eq!(
            i.credentials.session_token.unwrap().expose(),
            "sts-token-a&b"
        );
        assert_eq!(i.expires_at.to_string(), "2026-12-07T11:34:56Z");
        let e = decode(b"<ErrorResponse/>", "x").err().unwrap();
        assert_eq!(e.message, "x: no <Credentials> in the answer");
        assert_eq!(unescape("&#65;&#x42;&bogus;&"), "AB&bogus;&");
    }

    #[test]
    fn forms_and_endpoints() {
        assert_eq!(
            form(&[("RoleArn", "arn:aws:iam::1:role/r"), ("X", "a b+c~")]),
            "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fr&X=a%20b%2Bc~"
        );
        assert_eq!(
            Sts::new(None, "eu-west-1").endpoint.as_str(),
            "https://sts.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            Sts::new(None, "cn-north-1").endpoint.as_str(),
            "https://sts.cn-north-1.amazonaws.com.cn"
        );
    }

    /// The signature of the AWS Signature Version 4 test suite's `post-x-www-form-urlencoded`
    /// case (credentials `AKIDEXAMPLE`, 2015-08-30T12:36:00Z, us-east-1, service `service`).
    #[test]
    fn signs_like_the_sigv4_test_suite() {
        let creds = Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        };
        let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160);
        let h = sign(
            "POST",
            "https://example.amazonaws.com/",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"Param1=value1",
            &creds,
            "us-east-1",
            "service",
            time,
        )
        .unwrap();
        let auth = &h.iter().find(|(k, _)| k == "authorization").unwrap().1;
        // The suite's answer, which botocore's `SigV4Auth` gives too.
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        );
    }
}
