//! The checks every signed AWS request passes (SigV4, see `sigv4.rs` and
//! <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html>),
//! in AWS's order: the header's shape, the date header, the signed `host` and `x-amz-date`, the
//! credential scope (terminator, date, region, service), the 15-minute window, the key and its
//! session token, the key's expiry, the payload hash, the signature; and how a failure reads in
//! REST-JSON (AWS Backup) and in the query protocol's XML (STS).

use tokio::time::Instant;

use super::{AwsState, Caller, sigv4, wire};
use crate::sim::{SimRequest, SimResponse};

/// How a request failed authentication; rendered per protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthFailure {
    /// No `Authorization` header.
    Missing,
    /// An unparsable header or missing parts (`IncompleteSignature`).
    Incomplete(String),
    /// A signature that does not verify, a wrong scope, an expired date.
    Signature(String),
    /// An unknown key, or a temporary key without its right token.
    UnknownKey,
    /// A temporary key past its expiration.
    Expired,
}

impl AuthFailure {
    /// The REST-JSON error.
    pub(crate) fn json(&self) -> SimResponse {
        match self {
            AuthFailure::Missing => wire::error(
                403,
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            ),
            AuthFailure::Incomplete(m) => wire::error(400, "IncompleteSignatureException", m),
            AuthFailure::Signature(m) => wire::error(403, "InvalidSignatureException", m),
            AuthFailure::UnknownKey => wire::error(
                403,
                "UnrecognizedClientException",
                "The security token included in the request is invalid.",
            ),
            AuthFailure::Expired => wire::error(
                403,
                "ExpiredTokenException",
                "The security token included in the request is expired",
            ),
        }
    }

    /// The STS (query protocol) error.
    pub(crate) fn xml(&self) -> SimResponse {
        match self {
            AuthFailure::Missing => wire::sts_error(
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ),
            AuthFailure::Incomplete(m) => wire::sts_error(400, "IncompleteSignature", m),
            AuthFailure::Signature(m) => wire::sts_error(403, "SignatureDoesNotMatch", m),
            AuthFailure::UnknownKey => wire::sts_error(
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ),
            AuthFailure::Expired => wire::sts_error(
                400,
                "ExpiredToken",
                "The security token included in the request is expired",
            ),
        }
    }
}

const MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Checks the SigV4 signature of `req` for `service` in one of `regions`.
pub(crate) fn authenticate(
    st: &AwsState,
    req: &SimRequest,
    service: &str,
    regions: &[&str],
) -> Result<Caller, AuthFailure> {
    let Some(auth) = req.header("authorization") else {
        return Err(AuthFailure::Missing);
    };
    let a = sigv4::parse_authorization(auth).map_err(|m| AuthFailure::Incomplete(m.0))?;
    let Some(date) = req.header("x-amz-date") else {
        return Err(AuthFailure::Incomplete(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
                .into(),
        ));
    };
    let Some(when) = sigv4::parse_amz_date(date) else {
        return Err(AuthFailure::Incomplete(format!(
            "Date must be in ISO-8601 'basic format'. Got '{date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )));
    };
    if !a.signed_headers.iter().any(|h| h == "host") {
        return Err(AuthFailure::Signature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    if !a.signed_headers.iter().any(|h| h == "x-amz-date") {
        return Err(AuthFailure::Signature(
            "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.".into(),
        ));
    }
    if a.terminator != "aws4_request" {
        return Err(AuthFailure::Signature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            a.terminator
        )));
    }
    if !date.starts_with(&a.date) || a.date.len() != 8 {
        return Err(AuthFailure::Signature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{date}'.",
            a.date,
            &date[..date.len().min(8)]
        )));
    }
    if !regions.contains(&a.region.as_str()) {
        return Err(AuthFailure::Signature(format!(
            "Credential should be scoped to a valid region, not '{}'. ",
            a.region
        )));
    }
    if a.service != service {
        return Err(AuthFailure::Signature(format!(
            "Credential should be scoped to correct service: '{service}'. "
        )));
    }
    let now = jiff::Timestamp::now();
    let skew = i64::try_from(st.max_skew.as_secs()).unwrap_or(900);
    let diff = now.as_second() - when.as_second();
    if diff > skew {
        let limit = jiff::Timestamp::from_second(now.as_second() - skew).unwrap_or(now);
        return Err(AuthFailure::Signature(format!(
            "Signature expired: {date} is now earlier than {} ({} - 15 min.)",
            sigv4::amz_date(limit),
            sigv4::amz_date(now)
        )));
    }
    if -diff > skew {
        let limit = jiff::Timestamp::from_second(now.as_second() + skew).unwrap_or(now);
        return Err(AuthFailure::Signature(format!(
            "Signature not yet current: {date} is still later than {} ({} + 15 min.)",
            sigv4::amz_date(limit),
            sigv4::amz_date(now)
        )));
    }
    let key = st
        .keys
        .get(&a.access_key_id)
        .ok_or(AuthFailure::UnknownKey)?;
    let token = req.header("x-amz-security-token");
    match (&key.session_token, token) {
        (None, None) => {}
        (Some(want), Some(got)) if sigv4::same(want, got) => {}
        _ => return Err(AuthFailure::UnknownKey),
    }
    if key.expires.is_some_and(|t| Instant::now() >= t) {
        return Err(AuthFailure::Expired);
    }
    if let Some(sent) = req.header("x-amz-content-sha256") {
        let actual = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&req.body));
        if sent.trim() != actual && sent.trim() != "UNSIGNED-PAYLOAD" {
            return Err(AuthFailure::Signature(
                "The provided 'x-amz-content-sha256' header does not match what was computed."
                    .into(),
            ));
        }
    }
    let canonical = sigv4::canonical_request(
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
        &a.signed_headers,
        &req.body,
    );
    let sts = sigv4::string_to_sign(date, &a.scope(), &canonical);
    let want = sigv4::signature(&key.secret, &a.date, &a.region, &a.service, &sts);
    if !sigv4::same(&want, &a.signature) {
        return Err(AuthFailure::Signature(MISMATCH.into()));
    }
    Ok(Caller {
        arn: key.arn.clone(),
    })
}

#[cfg(test)]
mod tests {
    //! The checks against six vectors of AWS's SigV4 test suite (`sigv4-test-suite/`).

    use super::*;

    /// One case of the suite: the `.req` as received and the `.authz` it must carry.
    struct Case {
        name: &'static str,
        req: &'static str,
        authz: &'static str,
    }

    macro_rules! case {
        ($name:literal) => {
            Case {
                name: $name,
                req: include_str!(concat!("sigv4-test-suite/", $name, "/", $name, ".req")),
                authz: include_str!(concat!("sigv4-test-suite/", $name, "/", $name, ".authz")),
            }
        };
    }

    fn cases() -> Vec<Case> {
        vec![
            case!("get-vanilla"),
            case!("get-vanilla-query-order-key-case"),
            case!("get-utf8"),
            case!("post-x-www-form-urlencoded"),
            case!("get-header-value-trim"),
            case!("post-sts-header-before"),
        ]
    }

    /// A `.req` as the simulator's listener hands it over, with `authz` added.
    fn request(raw: &str, authz: &str) -> crate::sim::SimRequest {
        let (head, body) = raw.split_once("\n\n").unwrap_or((raw, ""));
        let mut lines = head.lines();
        let mut first = lines.next().unwrap().split(' ');
        let method = first.next().unwrap().to_string();
        let target = first.next().unwrap();
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, String)> = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.to_ascii_lowercase(), v.to_string())
            })
            .collect();
        headers.push(("authorization".into(), authz.to_string()));
        crate::sim::SimRequest {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    fn suite_state(token: Option<&str>) -> AwsState {
        // The suite's date is in 2015: widen the window so only the signature is judged.
        let mut st = AwsState {
            max_skew: std::time::Duration::from_secs(40 * 366 * 86_400),
            ..Default::default()
        };
        st.add_credentials(
            "AKIDEXAMPLE",
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            token,
        );
        st
    }

    #[test]
    fn accepts_every_vector_of_the_aws_test_suite() {
        for c in cases() {
            let req = request(c.req, c.authz);
            let token = req.header("x-amz-security-token").map(str::to_string);
            let st = suite_state(token.as_deref());
            let got = authenticate(&st, &req, "service", &["us-east-1"]);
            assert!(got.is_ok(), "{}: {got:?}", c.name);
        }
    }

    #[test]
    fn rejects_every_vector_changed_by_one_byte() {
        for c in cases() {
            let req = request(c.req, c.authz);
            let token = req.header("x-amz-security-token").map(str::to_string);
            // A signature off by one hex digit.
            let last = c.authz.chars().last().unwrap();
            let flipped = format!(
                "{}{}",
                &c.authz[..c.authz.len() - 1],
                if last == '0' { '1' } else { '0' }
            );
            let st = suite_state(token.as_deref());
            let bad = request(c.req, &flipped);
            assert!(
                matches!(authenticate(&st, &bad, "service", &["us-east-1"]), Err(AuthFailure::Signature(m)) if m.contains("does not match")),
                "{}",
                c.name
            );
            // Another secret.
            let mut other = suite_state(token.as_deref());
            other.add_credentials(
                "AKIDEXAMPLE",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
                token.as_deref(),
            );
            assert!(
                authenticate(&other, &req, "service", &["us-east-1"]).is_err(),
                "{}",
                c.name
            );
            // A signed header (the date) or the query changed after signing.
            let mut moved = req.clone();
            for h in &mut moved.headers {
                if h.0 == "x-amz-date" {
                    h.1 = "20150830T123601Z".into();
                }
            }
            moved.query.push_str("&extra=1");
            assert!(
                authenticate(&st, &moved, "service", &["us-east-1"]).is_err(),
                "{}",
                c.name
            );
            // The wrong scope: another region, another service.
            assert!(matches!(
                authenticate(&st, &req, "service", &["eu-west-1"]),
                Err(AuthFailure::Signature(m)) if m.contains("valid region, not 'us-east-1'")
            ));
            assert!(matches!(
                authenticate(&st, &req, "backup", &["us-east-1"]),
                Err(AuthFailure::Signature(m)) if m.contains("correct service: 'backup'")
            ));
        }
    }
}
