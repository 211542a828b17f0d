//! The gateway's side of `SDK-HMAC-SHA256`: rebuilds the canonical request from what
//! arrived on the wire and recomputes the signature (`docs/providers.md` "AK/SK signing"). Its own code,
//! independent of the client's signer, checked against the same vectors (`docs/providers.md` "Signing test vectors").

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// The parsed `Authorization` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeader {
    /// `Access=`.
    pub access: String,
    /// `SignedHeaders=`, split.
    pub signed_headers: Vec<String>,
    /// `Signature=`.
    pub signature: String,
}

/// Parses `SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…`.
pub fn parse_authorization(v: &str) -> Option<AuthHeader> {
    let rest = v.strip_prefix("SDK-HMAC-SHA256 ")?;
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, val) = part.trim().split_once('=')?;
        match k {
            "Access" => access = Some(val.to_string()),
            "SignedHeaders" => signed = Some(val.split(';').map(str::to_string).collect()),
            "Signature" => sig = Some(val.to_string()),
            _ => return None,
        }
    }
    Some(AuthHeader {
        access: access?,
        signed_headers: signed?,
        signature: sig?,
    })
}

pub use crate::sim::uri::{decode, encode};

/// The canonical request the gateway computes for a received request.
pub fn canonical_request(
    method: &str,
    raw_path: &str,
    raw_query: &str,
    headers: &[(String, String)],
    signed_headers: &[String],
    body: &[u8],
) -> String {
    let mut uri: String = raw_path
        .split('/')
        .map(|seg| encode(&decode(seg)))
        .collect::<Vec<_>>()
        .join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
    pairs.sort();
    let query = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut canon_headers = String::new();
    for name in signed_headers {
        let value = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .unwrap_or("");
        canon_headers.push_str(&format!("{}:{}\n", name.to_ascii_lowercase(), value));
    }
    let payload = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-content-sha256"))
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| hex::encode(Sha256::digest(body)));
    [
        method.to_ascii_uppercase(),
        uri,
        query,
        canon_headers,
        signed_headers.join(";"),
        payload,
    ]
    .join("\n")
}

/// The signature the gateway expects.
pub fn expected_signature(secret: &str, date: &str, canonical: &str) -> String {
    let sts = format!(
        "SDK-HMAC-SHA256\n{date}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mut m) => {
            m.update(sts.as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Constant-time string comparison.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    fn check(
        method: &str,
        path: &str,
        query: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        ak: &str,
        sk: &str,
        authorization: &str,
    ) {
        let a = parse_authorization(authorization).unwrap();
        assert_eq!(a.access, ak);
        let hs = h(headers);
        let date = hs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-date"))
            .unwrap()
            .1
            .clone();
        let c = canonical_request(method, path, query, &hs, &a.signed_headers, body);
        assert_eq!(expected_signature(sk, &date, &c), a.signature, "{c}");
    }

    const AK: &str = "HPUAEXAMPLEAKID00001";
    const SK: &str = "ExampleSecretKey0123456789abcdefghijklmn";

    #[test]
    fn verifies_every_vector() {
        // S1: query arrives exactly as the SDK sends it.
        check(
            "GET",
            "/v3/0123456789abcdef0123456789abcdef/operation-logs",
            "limit=100&offset=0&start_time=2024-05-01T00%3A00%3A00Z&status=running",
            &[
                ("content-type", "application/json"),
                ("host", "cbr.ap-southeast-1.myhuaweicloud.com"),
                ("x-project-id", "0123456789abcdef0123456789abcdef"),
                ("x-sdk-date", "20240501T120000Z"),
            ],
            b"",
            AK,
            SK,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=d541ab40a2df6ed70f84f42f761840cba269d6bc13ff747cd17b4f1a026a6a39",
        );
        // S2: query in another order on the wire; the gateway sorts.
        check(
            "GET",
            "/v2/0123456789abcdef0123456789abcdef/instances/5f9b1f47-6e2a-4b5e-9d0c-1a2b3c4d5e6f/tasks",
            "start=1&limit=10&begin_time=20240501000000&end_time=20240502000000",
            &[
                ("host", "dms.eu-west-101.myhuaweicloud.eu"),
                ("x-project-id", "0123456789abcdef0123456789abcdef"),
                ("x-sdk-date", "20240501T120000Z"),
                ("x-security-token", "gQpzZWN1cml0eV90b2tlbl9leGFtcGxl"),
            ],
            b"",
            AK,
            SK,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=host;x-project-id;x-sdk-date;x-security-token, Signature=93be1d3d73a2e05cab6d6cf66ee831c803ef8aa5dd8685289009be428c573dd7",
        );
        // S3: encoded corner cases, an unsigned underscore header.
        check(
            "GET",
            "/v3/p1/operation-logs",
            "a=x~y%2Az&b=&enterprise_project_id=all_granted_eps&resource_name=my%20vm%2F%CE%B1%2B1",
            &[
                ("host", "cbr.cn-north-4.myhuaweicloud.com"),
                ("x-project-id", "p1"),
                ("x-custom_ignored", "skipped-because-underscore"),
                ("x-sdk-date", "20240501T120000Z"),
            ],
            b"",
            AK,
            SK,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=host;x-project-id;x-sdk-date, Signature=c9b92f9cc70195438219a4b2d18b47679881764e37b200821b70bf5d4d784e7a",
        );
        // S4: POST with a body.
        check(
            "POST",
            "/v3/auth/tokens",
            "",
            &[
                ("content-type", "application/json;charset=UTF-8"),
                ("host", "iam.myhuaweicloud.com"),
                ("x-sdk-date", "20240501T120000Z"),
            ],
            br#"{"auth":{}}"#,
            AK,
            SK,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=content-type;host;x-sdk-date, Signature=e147e638304e336c4f36f8716ce2327ac21ab9620e63a7b87959fc01727d921d",
        );
        // G1, G2: the Go SDK's unit tests.
        let g = [
            ("x-sdk-date", "20060102T150405Z"),
            ("test_underscore", "TEST_VALUE"),
        ];
        check(
            "GET",
            "/path",
            "limit=1",
            &g,
            b"",
            "AccessKey",
            "SecretKey",
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
        );
        check(
            "POST",
            "/path",
            "key=value",
            &g,
            b"{\"Name\":\"test\",\"Id\":1}\n",
            "AccessKey",
            "SecretKey",
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
        );
    }

    #[test]
    fn rejects_malformed_headers() {
        assert!(parse_authorization("Bearer x").is_none());
        assert!(parse_authorization("SDK-HMAC-SHA256 Access=a").is_none());
        assert_eq!(decode("%E4%B8%80%2"), "一%2");
    }
}
