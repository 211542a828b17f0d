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
    #[serde(default)]
    duration_seconds: Option<u64>,
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
    let duration = identity
        .token
        .as_ref()
        .and_then(|t| t.duration_seconds)
        .unwrap_or(DEFAULT_DURATION);
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
