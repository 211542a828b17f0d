//! `SDK-HMAC-SHA256` request signing, exactly as `docs/providers.md` "AK/SK signing" describes the Huawei SDK.
//!
//! A pure function: the caller passes the request parts, the credentials and the date; the
//! result is the `Authorization` value, the `X-Sdk-Date` value and the canonical query string,
//! which is also the query that must be sent, byte for byte.

use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha2::{Digest, Sha256};

/// The algorithm name in `Authorization` and the string to sign.
pub(crate) const ALGORITHM: &str = "SDK-HMAC-SHA256";

/// Python's `quote(s, safe='~')`: everything but `A–Z a–z 0–9 - . _ ~` is `%XX` encoded.
const QUOTE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment or query key/value the way the SDK does.
pub fn quote(s: &str) -> String {
    utf8_percent_encode(s, QUOTE).to_string()
}

/// The parts of a request that the signature covers.
#[derive(Debug, Clone)]
pub struct SignRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// The path as sent (segments already percent-encoded), without a query.
    pub path: &'a str,
    /// Query pairs, unencoded, in any order.
    pub query: &'a [(String, String)],
    /// Headers to sign and send (`X-Project-Id`, `X-Security-Token`, `Content-Type`, `Host`…).
    pub headers: &'a [(String, String)],
    /// `host[:port]` of the endpoint; added as `Host` unless `headers` has one. `None` signs
    /// without a host (the Go SDK's unit test does).
    pub host: Option<&'a str>,
    /// The body (empty for GET).
    pub body: &'a [u8],
}

/// The result of signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The `Authorization` header value.
    pub authorization: String,
    /// The `X-Sdk-Date` header value to send.
    pub sdk_date: String,
    /// The canonical query string: send exactly this after `?` (empty: no query).
    pub query: String,
    /// The canonical request (for tests and debugging; holds no secret).
    pub(crate) canonical_request: String,
    /// The string that was signed.
    pub(crate) string_to_sign: String,
}

/// `YYYYMMDDTHHMMSSZ` of a UTC instant, the `X-Sdk-Date` format.
pub fn sdk_date(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y%m%dT%H%M%SZ")
        .to_string()
}

/// The canonical URI: decoded, each segment re-encoded, with a trailing `/` added.
pub(crate) fn canonical_uri(path: &str) -> String {
    let decoded = percent_decode_str(path).decode_utf8_lossy();
    let mut uri = decoded.split('/').map(quote).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// The canonical query string: pairs sorted by (key, value), both encoded, joined by `&`.
pub(crate) fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = query.iter().collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote(k), quote(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Signs a request with AK/SK at `date` (`YYYYMMDDTHHMMSSZ`, used unless the headers carry
/// an `X-Sdk-Date` already).
pub fn sign(req: &SignRequest<'_>, access_key: &str, secret_key: &str, date: &str) -> Signed {
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let sdk_date = match headers.iter().find(|(k, _)| k == "x-sdk-date") {
        Some((_, v)) => v.clone(),
        None => {
            headers.push(("x-sdk-date".into(), date.to_string()));
            date.to_string()
        }
    };
    if let Some(host) = req.host
        && !headers.iter().any(|(k, _)| k == "host")
    {
        headers.push(("host".into(), host.to_string()));
    }
    headers.retain(|(k, _)| !k.contains('_'));
    headers.sort();
    let signed_headers = headers
        .iter()
        .map(|(k, _)| k.as_str())
        .collect::<Vec<_>>()
        .join(";");
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let payload_hash = match req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("x-sdk-content-sha256"))
    {
        Some((_, v)) => v.clone(),
        None => hex::encode(Sha256::digest(req.body)),
    };
    let query = canonical_query(req.query);
    let canonical_request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method.to_ascii_uppercase(),
        canonical_uri(req.path),
        query,
        canonical_headers,
        signed_headers,
        payload_hash
    );
    let string_to_sign = format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let signature = hmac_hex(secret_key.as_bytes(), string_to_sign.as_bytes());
    Signed {
        authorization: format!(
            "{ALGORITHM} Access={access_key}, SignedHeaders={signed_headers}, Signature={signature}"
        ),
        sdk_date,
        query,
        canonical_request,
        string_to_sign,
    }
}

/// Lower-case hex HMAC-SHA256 (key = raw SK bytes).
pub(crate) fn hmac_hex(key: &[u8], msg: &[u8]) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(msg);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AK: &str = "HPUAEXAMPLEAKID00001";
    const SK: &str = "ExampleSecretKey0123456789abcdefghijklmn";
    const PROJECT: &str = "0123456789abcdef0123456789abcdef";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn hash(s: &str) -> String {
        hex::encode(Sha256::digest(s.as_bytes()))
    }

    #[test]
    fn s1_cbr_list_operation_logs() {
        let query = q(&[
            ("limit", "100"),
            ("offset", "0"),
            ("start_time", "2024-05-01T00:00:00Z"),
            ("status", "running"),
        ]);
        let headers = q(&[
            ("Content-Type", "application/json"),
            ("X-Sdk-Date", "20240501T120000Z"),
            ("X-Project-Id", PROJECT),
        ]);
        let s = sign(
            &SignRequest {
                method: "GET",
                path: "/v3/0123456789abcdef0123456789abcdef/operation-logs",
                query: &query,
                headers: &headers,
                host: Some("cbr.ap-southeast-1.myhuaweicloud.com"),
                body: b"",
            },
            AK,
            SK,
            "ignored",
        );
        assert_eq!(
            s.canonical_request,
            "GET\n/v3/0123456789abcdef0123456789abcdef/operation-logs/\nlimit=100&offset=0&start_time=2024-05-01T00%3A00%3A00Z&status=running\ncontent-type:application/json\nhost:cbr.ap-southeast-1.myhuaweicloud.com\nx-project-id:0123456789abcdef0123456789abcdef\nx-sdk-date:20240501T120000Z\n\ncontent-type;host;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            s.string_to_sign,
            "SDK-HMAC-SHA256\n20240501T120000Z\n5a81b5ce219b86f2609293fa3191c7240a51a17cc2064fef02fc7672b64c9f40"
        );
        assert_eq!(
            s.authorization,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=d541ab40a2df6ed70f84f42f761840cba269d6bc13ff747cd17b4f1a026a6a39"
        );
        assert_eq!(
            format!("/v3/{PROJECT}/operation-logs?{}", s.query),
            "/v3/0123456789abcdef0123456789abcdef/operation-logs?limit=100&offset=0&start_time=2024-05-01T00%3A00%3A00Z&status=running"
        );
    }

    #[test]
    fn s2_kafka_tasks_with_security_token() {
        let query = q(&[
            ("start", "1"),
            ("limit", "10"),
            ("begin_time", "20240501000000"),
            ("end_time", "20240502000000"),
        ]);
        let headers = q(&[
            ("X-Project-Id", PROJECT),
            ("X-Security-Token", "gQpzZWN1cml0eV90b2tlbl9leGFtcGxl"),
        ]);
        let s = sign(
            &SignRequest {
                method: "GET",
                path: "/v2/0123456789abcdef0123456789abcdef/instances/5f9b1f47-6e2a-4b5e-9d0c-1a2b3c4d5e6f/tasks",
                query: &query,
                headers: &headers,
                host: Some("dms.eu-west-101.myhuaweicloud.eu"),
                body: b"",
            },
            AK,
            SK,
            "20240501T120000Z",
        );
        let want = format!(
            "GET\n/v2/{PROJECT}/instances/5f9b1f47-6e2a-4b5e-9d0c-1a2b3c4d5e6f/tasks/\nbegin_time=20240501000000&end_time=20240502000000&limit=10&start=1\nhost:dms.eu-west-101.myhuaweicloud.eu\nx-project-id:{PROJECT}\nx-sdk-date:20240501T120000Z\nx-security-token:gQpzZWN1cml0eV90b2tlbl9leGFtcGxl\n\nhost;x-project-id;x-sdk-date;x-security-token\n{EMPTY}"
        );
        assert_eq!(s.canonical_request, want);
        assert_eq!(
            hash(&s.canonical_request),
            "ba972f70014d01e580a3c916697b12a27474b83de644667cef3527a9b04d75d6"
        );
        assert_eq!(
            s.authorization,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=host;x-project-id;x-sdk-date;x-security-token, Signature=93be1d3d73a2e05cab6d6cf66ee831c803ef8aa5dd8685289009be428c573dd7"
        );
        assert_eq!(s.sdk_date, "20240501T120000Z");
    }

    #[test]
    fn s3_encoding_corner_cases() {
        let query = q(&[
            ("resource_name", "my vm/α+1"),
            ("enterprise_project_id", "all_granted_eps"),
            ("b", ""),
            ("a", "x~y*z"),
        ]);
        let headers = q(&[
            ("Host", "cbr.cn-north-4.myhuaweicloud.com"),
            ("X-Project-Id", "p1"),
            ("X-Custom_Ignored", "skipped-because-underscore"),
        ]);
        let s = sign(
            &SignRequest {
                method: "GET",
                path: "/v3/p1/operation-logs",
                query: &query,
                headers: &headers,
                host: None,
                body: b"",
            },
            AK,
            SK,
            "20240501T120000Z",
        );
        assert_eq!(
            s.canonical_request,
            format!(
                "GET\n/v3/p1/operation-logs/\na=x~y%2Az&b=&enterprise_project_id=all_granted_eps&resource_name=my%20vm%2F%CE%B1%2B1\nhost:cbr.cn-north-4.myhuaweicloud.com\nx-project-id:p1\nx-sdk-date:20240501T120000Z\n\nhost;x-project-id;x-sdk-date\n{EMPTY}"
            )
        );
        assert_eq!(
            hash(&s.canonical_request),
            "1bef4a0e53229ee7102cd96e2de869e7eed9761e1992dcba6fd46438972045a5"
        );
        assert_eq!(
            s.authorization,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=host;x-project-id;x-sdk-date, Signature=c9b92f9cc70195438219a4b2d18b47679881764e37b200821b70bf5d4d784e7a"
        );
    }

    #[test]
    fn s4_post_with_json_body() {
        let headers = q(&[("Content-Type", "application/json;charset=UTF-8")]);
        let s = sign(
            &SignRequest {
                method: "POST",
                path: "/v3/auth/tokens",
                query: &[],
                headers: &headers,
                host: Some("iam.myhuaweicloud.com"),
                body: br#"{"auth":{}}"#,
            },
            AK,
            SK,
            "20240501T120000Z",
        );
        assert_eq!(
            s.canonical_request,
            "POST\n/v3/auth/tokens/\n\ncontent-type:application/json;charset=UTF-8\nhost:iam.myhuaweicloud.com\nx-sdk-date:20240501T120000Z\n\ncontent-type;host;x-sdk-date\n1ba57d2f6f88ce1c5c9776db463fa1ae49feac80a2414c27d37482eea2d1adac"
        );
        assert_eq!(
            hash(&s.canonical_request),
            "a2584f7dd30efe000d509d470a01b921cfc7eca23a71b31965f7e08e422f56d7"
        );
        assert_eq!(
            s.authorization,
            "SDK-HMAC-SHA256 Access=HPUAEXAMPLEAKID00001, SignedHeaders=content-type;host;x-sdk-date, Signature=e147e638304e336c4f36f8716ce2327ac21ab9620e63a7b87959fc01727d921d"
        );
    }

    #[test]
    fn g1_g2_go_sdk_vectors() {
        let headers = q(&[
            ("X-Sdk-Date", "20060102T150405Z"),
            ("TEST_UNDERSCORE", "TEST_VALUE"),
        ]);
        let s = sign(
            &SignRequest {
                method: "GET",
                path: "/path",
                query: &q(&[("limit", "1")]),
                headers: &headers,
                host: None,
                body: b"",
            },
            "AccessKey",
            "SecretKey",
            "unused",
        );
        assert_eq!(
            s.canonical_request,
            format!("GET\n/path/\nlimit=1\nx-sdk-date:20060102T150405Z\n\nx-sdk-date\n{EMPTY}")
        );
        assert_eq!(
            s.authorization,
            "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
        );
        let s = sign(
            &SignRequest {
                method: "POST",
                path: "/path",
                query: &q(&[("key", "value")]),
                headers: &headers,
                host: None,
                body: b"{\"Name\":\"test\",\"Id\":1}\n",
            },
            "AccessKey",
            "SecretKey",
            "unused",
        );
        assert!(
            s.authorization.ends_with(
                "Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"
            ),
            "{}",
            s.authorization
        );
    }

    #[test]
    fn go_query_encoding_vector() {
        let query = q(&[
            ("enable", "true"),
            ("limit", "1"),
            ("multi", "3"),
            ("multi", "1"),
            ("multi", "2"),
            ("path", "/tmp/123"),
            ("test", "一 (&=?!#%.*)"),
        ]);
        assert_eq!(
            canonical_query(&query),
            "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
        );
    }

    #[test]
    fn date_format() {
        let t: jiff::Timestamp = "2024-05-01T12:00:00.999Z".parse().unwrap();
        assert_eq!(sdk_date(t), "20240501T120000Z");
    }
}
