//! IAM's OIDC federation (`docs/providers.md` "Huawei OIDC federation"), from the IAM API
//! reference: "Obtaining a Token with an OpenID Connect ID Token"
//! (<https://support.huaweicloud.com/intl/en-us/api-iam/iam_13_0605.html>),
//! `POST /v3.0/OS-AUTH/id-token/tokens` with the identity provider's id in `X-Idp-Id` and
//! `{"auth": {"id_token": {"id"}, "scope"?}}`, answered 201 with the federated token in
//! `X-Subject-Token`; and "Obtaining a Temporary Access Key and Security Token Through a
//! Token", `POST /v3.0/OS-CREDENTIAL/securitytokens` with
//! `{"auth": {"identity": {"methods": ["token"], "token": {"id", "duration_seconds"}}}}` (or
//! the token in `X-Auth-Token`, which takes precedence), answered 201 with
//! `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`, which the gateway
//! then accepts, with the security token, until they expire.
//!
//! An ID token is accepted when a test registered it for that identity provider and it has
//! not expired; a scope, when given, must name the account or one of its projects.

use std::time::Duration;

use tokio::time::Instant;

use super::HuaweiState;
use super::metadata::issue;
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// The account (domain) the simulator's identity providers belong to.
pub const DOMAIN_ID: &str = "sim0domain0000000000000000000000";
/// The account's name.
pub const DOMAIN_NAME: &str = "sim-account";

/// The ID token exchange's path.
pub(super) const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
/// The temporary access key's path.
pub(super) const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";

/// The lifetime of a federated token (24 h).
pub(super) const FEDERATED_TOKEN_TTL: Duration = Duration::from_secs(24 * 3600);
/// `duration_seconds` when the request gives none (15 minutes), and its bounds (15 minutes to
/// 24 hours).
const DEFAULT_DURATION: u64 = 900;
const MIN_DURATION: u64 = 900;
const MAX_DURATION: u64 = 86_400;

/// An ID token a test registered: whose identity provider it is for, and until when.
#[derive(Debug, Clone)]
pub(super) struct IdToken {
    pub(super) token: String,
    pub(super) idp_id: String,
    pub(super) expires: Instant,
}

/// `CreateTokenWithIdToken`'s body.
#[derive(Debug, serde::Deserialize)]
struct IdTokenRequest {
    auth: IdTokenAuth,
}

#[derive(Debug, serde::Deserialize)]
struct IdTokenAuth {
    id_token: IdTokenBody,
    #[serde(default)]
    scope: Option<Scope>,
}

#[derive(Debug, serde::Deserialize)]
struct IdTokenBody {
    id: String,
}

#[derive(Debug, serde::Deserialize)]
struct Scope {
    #[serde(default)]
    domain: Option<ScopeRef>,
    #[serde(default)]
    project: Option<ScopeRef>,
}

#[derive(Debug, serde::Deserialize)]
struct ScopeRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

/// The federated token's body as IAM answers it.
#[derive(Debug, serde::Serialize)]
struct TokenResponse {
    token: TokenInfo,
}

#[derive(Debug, serde::Serialize)]
struct TokenInfo {
    expires_at: String,
    issued_at: String,
    methods: Vec<&'static str>,
    user: FederatedUser,
}

#[derive(Debug, serde::Serialize)]
struct FederatedUser {
    domain: Named,
    id: String,
    name: String,
    #[serde(rename = "OS-FEDERATION")]
    federation: Federation,
}

#[derive(Debug, serde::Serialize)]
struct Named {
    id: String,
    name: String,
}

#[derive(Debug, serde::Serialize)]
struct Federation {
    identity_provider: IdOnly,
    protocol: IdOnly,
    groups: Vec<IdOnly>,
}

#[derive(Debug, serde::Serialize)]
struct IdOnly {
    id: String,
}

/// `CreateTemporaryAccessKeyByToken`'s body.
#[derive(Debug, serde::Deserialize)]
struct SecurityTokensRequest {
    auth: SecurityTokensAuth,
}

#[derive(Debug, serde::Deserialize)]
struct SecurityTokensAuth {
    identity: Identity,
}

#[derive(Debug, serde::Deserialize)]
struct Identity {
    methods: Vec<String>,
    #[serde(default)]
    token: Option<IdentityToken>,
}

#[derive(Debug, serde::Deserialize)]
struct IdentityToken {
    #[serde(default)]
    id: Option<String>,
    /// An integer in the SDK's model, a string in the reference's example: either is read.
    #[serde(default)]
    duration_seconds: Option<DurationSeconds>,
}

/// `duration_seconds` as a number or a string of digits.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
enum DurationSeconds {
    Number(u64),
    Text(String),
}

/// IAM's error body.
fn iam_error(status: u16, message: &str) -> SimResponse {
    let title = match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Error",
    };
    SimResponse::json(
        status,
        &serde_json::json!({"error": {"code": status, "message": message, "title": title}}),
    )
}

fn format_time(t: jiff::Timestamp) -> String {
    t.to_zoned(jiff::tz::TimeZone::UTC)
        .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
        .to_string()
}

/// Answers `POST /v3.0/OS-AUTH/id-token/tokens`.
pub(super) fn id_token(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.method != "POST" {
        return iam_error(405, "Method not allowed.");
    }
    let Some(idp_id) = req.header("x-idp-id").filter(|v| !v.is_empty()) else {
        return iam_error(400, "The X-Idp-Id header is required.");
    };
    let body: IdTokenRequest = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(_) => return iam_error(400, "The request body is invalid."),
    };
    let mut st = lock(&sim.huawei);
    if !st.identity_providers.iter().any(|i| i == idp_id) {
        return iam_error(404, "The identity provider does not exist.");
    }
    if let Some(scope) = &body.auth.scope
        && let Err(msg) = check_scope(&st, scope)
    {
        return iam_error(401, msg);
    }
    let now = Instant::now();
    let known = st
        .id_tokens
        .iter()
        .find(|t| t.token == body.auth.id_token.id && t.idp_id == idp_id);
    match known {
        None => return iam_error(401, "The ID token is invalid."),
        Some(t) if now >= t.expires => return iam_error(401, "The ID token has expired."),
        Some(_) => {}
    }
    let token = format!("MIIfedsim{:032x}", rand::random::<u128>());
    st.federated_tokens
        .insert(token.clone(), now + FEDERATED_TOKEN_TTL);
    st.id_token_exchanges += 1;
    let issued = jiff::Timestamp::now();
    let expires = issued
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(FEDERATED_TOKEN_TTL.as_secs()).unwrap_or(86_400),
        ))
        .unwrap_or(issued);
    let body = TokenResponse {
        token: TokenInfo {
            expires_at: format_time(expires),
            issued_at: format_time(issued),
            methods: vec!["mapped"],
            user: FederatedUser {
                domain: Named {
                    id: DOMAIN_ID.to_string(),
                    name: DOMAIN_NAME.to_string(),
                },
                id: format!("fed-{idp_id}"),
                name: "FederationUser".to_string(),
                federation: Federation {
                    identity_provider: IdOnly {
                        id: idp_id.to_string(),
                    },
                    protocol: IdOnly { id: "oidc".into() },
                    groups: Vec::new(),
                },
            },
        },
    };
    SimResponse::json(201, &serde_json::to_value(&body).unwrap_or_default())
        .with_header("x-subject-token", &token)
}

/// A scope must name the account, or one of its projects.
fn check_scope(st: &HuaweiState, scope: &Scope) -> Result<(), &'static str> {
    let matches = |r: &ScopeRef, id: &str, name: &str| {
        r.id.as_deref().is_some_and(|v| v == id) || r.name.as_deref().is_some_and(|v| v == name)
    };
    if let Some(d) = &scope.domain
        && !matches(d, DOMAIN_ID, DOMAIN_NAME)
    {
        return Err("The identity provider does not belong to this domain.");
    }
    if let Some(p) = &scope.project
        && !st.projects.iter().any(|(name, id)| matches(p, id, name))
    {
        return Err("The project is not in the identity provider's domain.");
    }
    Ok(())
}

/// Answers `POST /v3.0/OS-CREDENTIAL/securitytokens` (the `token` method).
pub(super) fn security_tokens(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.method != "POST" {
        return iam_error(405, "Method not allowed.");
    }
    let body: SecurityTokensRequest = match serde_json::from_slice(&req.body) {
        Ok(b) => b,
        Err(_) => return iam_error(400, "The request body is invalid."),
    };
    let identity = body.auth.identity;
    if !identity.methods.iter().any(|m| m == "token") {
        return iam_error(400, "Only the token method is served here.");
    }
    let from_body = identity.token.as_ref().and_then(|t| t.id.clone());
    let Some(token) = req.header("x-auth-token").map(str::to_string).or(from_body) else {
        return iam_error(401, "A token is required.");
    };
    let duration = match identity
        .token
        .as_ref()
        .and_then(|t| t.duration_seconds.as_ref())
    {
        None => DEFAULT_DURATION,
        Some(DurationSeconds::Number(n)) => *n,
        Some(DurationSeconds::Text(t)) => t.trim().parse().unwrap_or(0),
    };
    if !(MIN_DURATION..=MAX_DURATION).contains(&duration) {
        return iam_error(400, "duration_seconds must be between 900 and 86400.");
    }
    let mut st = lock(&sim.huawei);
    match st.federated_tokens.get(&token) {
        Some(exp) if Instant::now() < *exp => {}
        Some(_) => return iam_error(401, "The token has expired."),
        None => return iam_error(401, "The token is invalid."),
    }
    st.federated_issued += 1;
    let n = st.federated_issued;
    let mut resp = issue(
        &mut st,
        &format!("TMPAKOIDC{n:011}"),
        Duration::from_secs(duration),
    );
    resp.status = 201;
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(path: &str, headers: &[(&str, &str)], body: &str) -> SimRequest {
        SimRequest {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: bytes::Bytes::from(body.to_string()),
        }
    }

    fn exchange(sim: &Sim, idp: Option<&str>, body: &str) -> SimResponse {
        let headers: Vec<(&str, &str)> = idp.map(|i| ("x-idp-id", i)).into_iter().collect();
        sim.dispatch(&post(ID_TOKEN_PATH, &headers, body))
    }

    fn keys(sim: &Sim, headers: &[(&str, &str)], body: &str) -> SimResponse {
        sim.dispatch(&post(SECURITY_TOKENS_PATH, headers, body))
    }

    #[tokio::test]
    async fn the_exchange_checks_what_the_reference_says() {
        let sim = Sim::new();
        lock(&sim.huawei).accept_id_token("idp", "idt", Duration::from_secs(60));
        lock(&sim.huawei).projects = vec![("ap-southeast-1".into(), "p1".into())];
        let body = |scope: &str| format!(r#"{{"auth":{{"id_token":{{"id":"idt"}}{scope}}}}}"#);
        assert_eq!(exchange(&sim, None, &body("")).status, 400);
        assert_eq!(exchange(&sim, Some("other"), &body("")).status, 404);
        let wrong = r#"{"auth":{"id_token":{"id":"nope"}}}"#;
        assert_eq!(exchange(&sim, Some("idp"), wrong).status, 401);
        let other_domain = r#","scope":{"domain":{"name":"elsewhere"}}"#;
        assert_eq!(exchange(&sim, Some("idp"), &body(other_domain)).status, 401);
        let no_project = r#","scope":{"project":{"id":"p9"}}"#;
        assert_eq!(exchange(&sim, Some("idp"), &body(no_project)).status, 401);
        for scope in [
            "",
            r#","scope":{"domain":{"id":"sim0domain0000000000000000000000"}}"#,
            r#","scope":{"project":{"name":"ap-southeast-1"}}"#,
        ] {
            let r = exchange(&sim, Some("idp"), &body(scope));
            assert_eq!(r.status, 201, "{scope}");
        }
        let r = exchange(&sim, Some("idp"), &body(""));
        let token = r
            .headers
            .iter()
            .find(|(k, _)| k == "x-subject-token")
            .map(|(_, v)| v.clone())
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["token"]["methods"], serde_json::json!(["mapped"]));

        // securitytokens: the token in the body or X-Auth-Token; duration as a number or text.
        let with = |d: &str| {
            format!(
                r#"{{"auth":{{"identity":{{"methods":["token"],"token":{{"id":"{token}","duration_seconds":{d}}}}}}}}}"#
            )
        };
        let r = keys(&sim, &[], &with("21600"));
        assert_eq!(r.status, 201);
        let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert!(v["credential"]["access"].as_str().is_some());
        assert!(v["credential"]["securitytoken"].as_str().is_some());
        assert_eq!(keys(&sim, &[], &with(r#""900""#)).status, 201);
        assert_eq!(keys(&sim, &[], &with("60")).status, 400);
        let header_only = r#"{"auth":{"identity":{"methods":["token"]}}}"#;
        assert_eq!(
            keys(&sim, &[("x-auth-token", &token)], header_only).status,
            201
        );
        assert_eq!(keys(&sim, &[], header_only).status, 401);
        assert_eq!(
            keys(&sim, &[("x-auth-token", "bad")], &with("900")).status,
            401
        );
        assert_eq!(lock(&sim.huawei).federated_issued(), 3);

        // An expired ID token is refused.
        tokio::time::pause();
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(exchange(&sim, Some("idp"), &body("")).status, 401);
    }
}
