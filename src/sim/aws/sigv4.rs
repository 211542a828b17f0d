//! The service side of Signature Version 4, written from the AWS reference
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>):
//! it parses the `Authorization` header, rebuilds the canonical request from what arrived on
//! the wire, derives the signing key from the secret the simulator knows and compares. Its own
//! code, independent of any client's signer; `auth.rs` checks it against vectors of AWS's published
//! SigV4 test suite (`sigv4-test-suite/`) and, in CI, against botocore's signer.
//!
//! Canonical request, as the reference gives it for every service but S3:
//! - the URI path as received, normalized (empty, `.` and `..` segments removed) and each
//!   segment URI-encoded again (so `%` becomes `%25`: services other than S3 sign a
//!   double-encoded path); `/` when empty;
//! - the query parameters decoded, re-encoded (RFC 3986 unreserved characters kept, the rest
//!   `%XY` upper-case), sorted by name then value;
//! - the signed headers, lower-cased, values trimmed with inner runs of spaces collapsed,
//!   repeated headers joined with `,`;
//! - the hex SHA-256 of the body, or `x-amz-content-sha256` when the request carries it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// The access key id of `Credential=`.
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    /// Region of the credential scope.
    pub region: String,
    /// Service of the credential scope.
    pub service: String,
    /// The scope's terminator (`aws4_request`).
    pub terminator: String,
    /// `SignedHeaders=`, split on `;`.
    pub signed_headers: Vec<String>,
    /// `Signature=` (hex).
    pub signature: String,
}

impl AuthHeader {
    /// `date/region/service/terminator`.
    pub fn scope(&self) -> String {
        format!(
            "{}/{}/{}/{}",
            self.date, self.region, self.service, self.terminator
        )
    }
}

/// Why an `Authorization` header could not be parsed: the message AWS sends with
/// `IncompleteSignatureException`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// Parses an `Authorization` header of algorithm `AWS4-HMAC-SHA256`.
pub fn parse_authorization(v: &str) -> Result<AuthHeader, Malformed> {
    let Some(rest) = v.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(Malformed(
            "Authorization header requires the AWS4-HMAC-SHA256 algorithm.".into(),
        ));
    };
    let (mut cred, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let Some((k, val)) = part.split_once('=') else {
            return Err(Malformed(format!(
                "Authorization header requires each component to be of the form key=value: '{part}'."
            )));
        };
        match k {
            "Credential" => cred = Some(val.to_string()),
            "SignedHeaders" => signed = Some(val.to_string()),
            "Signature" => sig = Some(val.to_string()),
            _ => {}
        }
    }
    let missing = |name: &str| {
        Malformed(format!(
            "Authorization header requires '{name}' parameter. Authorization={v}"
        ))
    };
    let cred = cred.ok_or_else(|| missing("Credential"))?;
    let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
    let sig = sig.ok_or_else(|| missing("Signature"))?;
    let parts: Vec<&str> = cred.split('/').collect();
    let [key, date, region, service, terminator] = parts[..] else {
        return Err(Malformed(format!(
            "Credential should have exactly 5 slash-delimited elements, not {}: '{cred}'.",
            parts.len()
        )));
    };
    Ok(AuthHeader {
        access_key_id: key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        terminator: terminator.to_string(),
        signed_headers: signed.split(';').map(str::to_string).collect(),
        signature: sig,
    })
}

fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// URI-encodes every byte but the RFC 3986 unreserved characters, upper-case hex.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if unreserved(b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-decoding (`+` stays `+`; a malformed escape is kept as is).
pub fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_val(bytes[i + 1]), hex_val(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

/// The canonical URI of a path as received (see the module doc).
pub fn canonical_uri(raw_path: &str) -> String {
    let mut segs: Vec<&str> = Vec::new();
    for seg in raw_path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    if segs.is_empty() {
        return "/".to_string();
    }
    let mut uri = String::new();
    for s in &segs {
        uri.push('/');
        uri.push_str(&encode(s));
    }
    if raw_path.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string of a raw query (see the module doc).
pub fn canonical_query(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (encode(&decode(k)), encode(&decode(v))),
            None => (encode(&decode(p)), String::new()),
        })
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A header value as signed: trimmed, inner runs of spaces collapsed to one.
fn canonical_value(v: &str) -> String {
    v.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical request of a received request.
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(String, String)],
    signed_headers: &[String],
    body: &[u8],
) -> String {
    let mut canon_headers = String::new();
    for name in signed_headers {
        let values: Vec<String> = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| canonical_value(v))
            .collect();
        canon_headers.push_str(&format!(
            "{}:{}\n",
            name.to_ascii_lowercase(),
            values.join(",")
        ));
    }
    let payload = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-content-sha256"))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    [
        method.to_ascii_uppercase(),
        canonical_uri(raw_path),
        canonical_query(raw_query),
        canon_headers,
        signed_headers.join(";"),
        payload,
    ]
    .join("\n")
}

/// The string to sign: algorithm, `x-amz-date`, scope and the hashed canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(data.as_bytes());
            m.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// The signature of `string_to_sign` under the key derived from `secret` and the scope.
pub fn signature(
    secret: &str,
    date: &str,
    region: &str,
    service: &str,
    string_to_sign: &str,
) -> String {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
    let k_region = hmac(&k_date, region);
    let k_service = hmac(&k_region, service);
    let k_signing = hmac(&k_service, "aws4_request");
    hex::encode(hmac(&k_signing, string_to_sign))
}

/// Constant-time string comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `YYYYMMDDTHHMMSSZ` as a timestamp.
pub fn parse_amz_date(s: &str) -> Option<jiff::Timestamp> {
    let d = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", s)
        .ok()?
        .to_datetime()
        .ok()?;
    jiff::tz::TimeZone::UTC.to_timestamp(d).ok()
}

/// A timestamp as `YYYYMMDDTHHMMSSZ`.
pub fn amz_date(t: jiff::Timestamp) -> String {
    t.strftime("%Y%m%dT%H%M%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_header_and_its_scope() {
        let a = parse_authorization(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc",
        )
        .unwrap();
        assert_eq!(a.access_key_id, "AKIDEXAMPLE");
        assert_eq!(a.scope(), "20150830/us-east-1/service/aws4_request");
        assert_eq!(a.signed_headers, ["host", "x-amz-date"]);
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=a/b/c").is_err());
        assert!(parse_authorization("Bearer x").is_err());
        assert!(
            parse_authorization("AWS4-HMAC-SHA256 SignedHeaders=host, Signature=a")
                .unwrap_err()
                .0
                .contains("'Credential'")
        );
    }

    #[test]
    fn canonical_uri_normalizes_and_encodes_again() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("/backup-jobs/"), "/backup-jobs/");
        assert_eq!(canonical_uri("//a/./b/../c"), "/a/c");
        assert_eq!(canonical_uri("/a%20b/"), "/a%2520b/");
        assert_eq!(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
        assert_eq!(
            canonical_query("createdAfter=2024-01-01T00%3A00%3A00Z"),
            "createdAfter=2024-01-01T00%3A00%3A00Z"
        );
        assert_eq!(decode("%E1%88%B4%2"), "ሴ%2");
    }
}
