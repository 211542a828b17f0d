//! STS `AssumeAgencyWithOIDC` (`docs/providers.md` "Huawei STS OIDC"), from the IAM (v5) API
//! reference and its parameter tables ("AssumeAgencyWithOIDC",
//! <https://support.huaweicloud.com/api-iam5/AssumeAgencyWithOIDC.html>; the STS overview
//! <https://support.huaweicloud.com/usermanual-iam5/iam_01_1329.html>: 15 minutes to the
//! agency's maximum session, 1 hour by default; any region's endpoint serves it):
//! `POST /v5/agencies/assume-with-oidc`, not signed, with `{"provider_urn", "agency_urn",
//! "agency_session_name", "id_token", "duration_seconds"?, "policy"?, "policy_ids"?}`, answered
//! 200 with `{"credentials": {"access_key_id", "secret_access_key", "security_token",
//! "expiration"}, "assumed_agency": {"urn", "id"}, "provider", "audience",
//! "subject_from_id_token", "source_identity"}`, which the gateway then accepts, with the
//! security token, until they expire. Errors are the v5 body `{"error_code", "error_msg"}`
//! (the codes are the simulator's own).
//!
//! An ID token is accepted when a test registered it for that provider URN and it has not
//! expired; the agency must trust the provider ([`super::HuaweiState::add_oidc_agency`]); the
//! fields are checked against the reference's lengths and patterns.

use std::time::Duration;

use tokio::time::Instant;

use super::AkSk;
use super::federation::DOMAIN_ID;
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// The request's path.
pub(super) const PATH: &str = "/v5/agencies/assume-with-oidc";

/// `duration_seconds` when the request gives none, and its bounds.
const DEFAULT_DURATION: u64 = 3600;
const MIN_DURATION: u64 = 900;
const MAX_DURATION: u64 = 43_200;

/// The request body.
#[derive(Debug, serde::Deserialize)]
struct AssumeRequest {
    provider_urn: String,
    agency_urn: String,
    agency_session_name: String,
    id_token: String,
    #[serde(default)]
    duration_seconds: Option<u64>,
    #[serde(default)]
    policy: Option<String>,
    #[serde(default)]
    policy_ids: Option<Vec<String>>,
}

/// The answer.
#[derive(Debug, serde::Serialize)]
struct AssumeResponse {
    source_identity: String,
    assumed_agency: AssumedAgency,
    credentials: StsCredentials,
    audience: String,
    provider: String,
    subject_from_id_token: String,
}

#[derive(Debug, serde::Serialize)]
struct AssumedAgency {
    urn: String,
    id: String,
}

#[derive(Debug, serde::Serialize)]
struct StsCredentials {
    access_key_id: String,
    expiration: String,
    secret_access_key: String,
    security_token: String,
}

/// The v5 error body.
fn sts_error(status: u16, code: &str, message: &str) -> SimResponse {
    SimResponse::json(
        status,
        &serde_json::json!({"error_code": code, "error_msg": message}),
    )
}

/// A provider URN: five `:`-separated parts of letters, digits and `+/=-_` (the second may
/// also hold `*`), of lengths ≥ 1, 0–255, 1–64, 1–64 and ≥ 1 (the last: any characters).
fn provider_urn_ok(urn: &str) -> bool {
    let parts: Vec<&str> = urn.splitn(5, ':').collect();
    let plain = |s: &str, star: bool| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b) || (star && b == b'*'))
    };
    urn.len() <= 1500
        && parts.len() == 5
        && !parts[0].is_empty()
        && plain(parts[0], false)
        && parts[1].len() <= 255
        && plain(parts[1], true)
        && (1..=64).contains(&parts[2].len())
        && plain(parts[2], false)
        && (1..=64).contains(&parts[3].len())
        && plain(parts[3], false)
        && !parts[4].is_empty()
}

fn session_name_ok(name: &str) -> bool {
    (2..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// What is wrong with the body's fields, if anything.
fn invalid(r: &AssumeRequest) -> Option<&'static str> {
    if !provider_urn_ok(&r.provider_urn) {
        return Some("provider_urn is invalid.");
    }
    if r.agency_urn.is_empty() || r.agency_urn.len() > 1500 {
        return Some("agency_urn is invalid.");
    }
    if !session_name_ok(&r.agency_session_name) {
        return Some("agency_session_name is invalid.");
    }
    if !(4..=20_000).contains(&r.id_token.len()) {
        return Some("id_token is invalid.");
    }
    if r.duration_seconds
        .is_some_and(|d| !(MIN_DURATION..=MAX_DURATION).contains(&d))
    {
        return Some("duration_seconds must be between 900 and 43200.");
    }
    if r.policy
        .as_ref()
        .is_some_and(|p| !(2..=4096).contains(&p.len()))
    {
        return Some("policy is invalid.");
    }
    if let Some(ids) = &r.policy_ids {
        let id_ok = |i: &String| {
            (1..=64).contains(&i.len())
                && i.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-".contains(&b))
        };
        if ids.len() > 20 || !ids.iter().all(id_ok) {
            return Some("policy_ids is invalid.");
        }
    }
    None
}

fn format_time(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S.%3fZ")
        .to_string()
}

/// Answers `POST /v5/agencies/assume-with-oidc`.
pub(super) fn assume(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.method != "POST" {
        return sts_error(405, "STS.0405", "Method not allowed.");
    }
    let body: AssumeRequest = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(_) => return sts_error(400, "STS.0400", "The request body is invalid."),
    };
    if let Some(msg) = invalid(&body) {
        return sts_error(400, "STS.0400", msg);
    }
    let mut st = lock(&sim.huawei);
    let now = Instant::now();
    let known = st
        .sts_id_tokens
        .iter()
        .find(|t| t.token == body.id_token && t.idp_id == body.provider_urn);
    match known {
        None => return sts_error(401, "STS.0401", "The OIDC token is invalid."),
        Some(t) if now >= t.expires => {
            return sts_error(401, "STS.0401", "The OIDC token has expired.");
        }
        Some(_) => {}
    }
    if !st
        .oidc_agencies
        .iter()
        .any(|(p, a)| *p == body.provider_urn && *a == body.agency_urn)
    {
        return sts_error(
            403,
            "STS.0403",
            "The agency does not trust this identity provider.",
        );
    }
    let duration = body.duration_seconds.unwrap_or(DEFAULT_DURATION);
    st.sts_issued += 1;
    let access = format!("TMPAKSTS{:012}", st.sts_issued);
    let secret = format!("sts-sk-{:032x}", rand::random::<u128>());
    let token = format!("gQstssecuritytoken{:032x}", rand::random::<u128>());
    let ttl = Duration::from_secs(duration);
    st.aksk.insert(
        access.clone(),
        AkSk {
            secret: secret.clone(),
            security_token: Some(token.clone()),
            expires: Some(now + ttl),
        },
    );
    let issued = jiff::Timestamp::now();
    let expires = issued
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(duration).unwrap_or(3600),
        ))
        .unwrap_or(issued);
    let agency = body
        .agency_urn
        .rsplit(':')
        .next()
        .unwrap_or_default()
        .to_string();
    let answer = AssumeResponse {
        source_identity: "sim-subject".into(),
        assumed_agency: AssumedAgency {
            urn: format!(
                "sts::{DOMAIN_ID}:assumed-agency:{agency}/{}",
                body.agency_session_name
            ),
            id: format!("sim-agency-id:{}", body.agency_session_name),
        },
        credentials: StsCredentials {
            access_key_id: access,
            expiration: format_time(expires),
            secret_access_key: secret,
            security_token: token,
        },
        audience: "sim-audience".into(),
        provider: body.provider_urn,
        subject_from_id_token: "sim-subject".into(),
    };
    SimResponse::json(200, &serde_json::to_value(&answer).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROVIDER: &str = "iam::sim0domain:identity-provider:gh";
    const AGENCY: &str = "iam::sim0domain:agency:exporter";

    fn post(body: &str) -> SimRequest {
        SimRequest {
            method: "POST".into(),
            path: PATH.into(),
            query: String::new(),
            headers: vec![("content-type".into(), "application/json".into())],
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    fn body(provider: &str, agency: &str, session: &str, token: &str, extra: &str) -> String {
        format!(
            r#"{{"provider_urn":"{provider}","agency_urn":"{agency}","agency_session_name":"{session}","id_token":"{token}"{extra}}}"#
        )
    }

    #[tokio::test]
    async fn assume_with_oidc_checks_what_the_reference_says() {
        let sim = Sim::new();
        {
            let mut st = lock(&sim.huawei);
            st.add_oidc_agency(PROVIDER, AGENCY);
            st.accept_sts_id_token(PROVIDER, "eyJ.good", Duration::from_secs(60));
        }
        let call = |b: String| sim.dispatch(&post(&b));
        let ok = call(body(PROVIDER, AGENCY, "s1", "eyJ.good", ""));
        assert_eq!(ok.status, 200);
        let v: serde_json::Value = serde_json::from_slice(&ok.body).unwrap();
        let c = &v["credentials"];
        for k in ["access_key_id", "secret_access_key", "security_token"] {
            assert!(c[k].as_str().is_some_and(|s| !s.is_empty()), "{k}");
        }
        assert!(c["expiration"].as_str().unwrap().ends_with('Z'));
        assert_eq!(v["provider"], PROVIDER);
        assert_eq!(lock(&sim.huawei).oidc_sts_issued(), 1);
        // Wrong token, other provider, untrusted agency, bad fields.
        assert_eq!(
            call(body(PROVIDER, AGENCY, "s1", "eyJ.bad", "")).status,
            401
        );
        let other = "iam::sim0domain:identity-provider:other";
        assert_eq!(call(body(other, AGENCY, "s1", "eyJ.good", "")).status, 401);
        let untrusted = "iam::sim0domain:agency:admin";
        assert_eq!(
            call(body(PROVIDER, untrusted, "s1", "eyJ.good", "")).status,
            403
        );
        for bad in [
            body("not-a-urn", AGENCY, "s1", "eyJ.good", ""),
            body(PROVIDER, AGENCY, "s", "eyJ.good", ""),
            body(PROVIDER, AGENCY, "a b", "eyJ.good", ""),
            body(PROVIDER, AGENCY, "s1", "eyJ", ""),
            body(
                PROVIDER,
                AGENCY,
                "s1",
                "eyJ.good",
                r#","duration_seconds":60"#,
            ),
            body(
                PROVIDER,
                AGENCY,
                "s1",
                "eyJ.good",
                r#","policy_ids":["a b"]"#,
            ),
            r#"{"provider_urn":"x"}"#.to_string(),
        ] {
            assert_eq!(call(bad.clone()).status, 400, "{bad}");
        }
        let e: serde_json::Value =
            serde_json::from_slice(&call(body(PROVIDER, AGENCY, "s", "eyJ.good", "")).body)
                .unwrap();
        assert_eq!(e["error_code"], "STS.0400");
        assert_eq!(lock(&sim.huawei).oidc_sts_issued(), 1);
        // An expired token is refused.
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            call(body(PROVIDER, AGENCY, "s1", "eyJ.good", "")).status,
            401
        );
    }
}
