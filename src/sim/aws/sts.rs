//! STS (`https://sts.amazonaws.com/doc/2011-06-15/`, query protocol): `POST /` with a form
//! body (the query string is read too) for
//! - `Action=AssumeRoleWithWebIdentity`: unsigned; the `WebIdentityToken` must be one a test
//!   registered for the `RoleArn` (an expired one: `ExpiredTokenException`) ([`AwsState::set_web_identity`](super::AwsState::set_web_identity));
//! - `Action=AssumeRole`: SigV4-signed for service `sts` in [`AwsState::region`](super::AwsState::region) or
//!   `us-east-1` (the global endpoint's scope); the role must exist
//!   ([`AwsState::add_role`](super::AwsState::add_role)) and its `ExternalId`, when it has one, match.
//!
//! Both check `RoleSessionName` (2..=64 of `[\w+=,.@-]`) and `DurationSeconds` (900..=43200,
//! at most the role's `MaxSessionDuration`, 3600 by default), issue temporary credentials
//! that AWS Backup then accepts with their session token until `Expiration`, and answer with
//! the XML of the API reference; errors are `<ErrorResponse>` with `Sender` faults.

use std::collections::BTreeMap;
use std::time::Duration;

use super::wire::{self, AssumedRoleUser};
use super::{AwsState, authenticate};
use crate::sim::{Sim, SimRequest, SimResponse};

/// The request's parameters: the query string, then the form body (which wins).
fn params(req: &SimRequest) -> BTreeMap<String, String> {
    let mut out = req.query_map();
    if let Ok(body) = std::str::from_utf8(&req.body) {
        for p in body.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let dec = |s: &str| super::sigv4::decode(&s.replace('+', " "));
            out.insert(dec(k), dec(v));
        }
    }
    out
}

fn validation(value: Option<&str>, member: &str, constraint: &str) -> SimResponse {
    let value = match value {
        Some(v) => format!("'{v}'"),
        None => "null".to_string(),
    };
    wire::sts_error(
        400,
        "ValidationError",
        &format!(
            "1 validation error detected: Value {value} at '{member}' failed to satisfy constraint: {constraint}"
        ),
    )
}

/// Checks `RoleArn`, `RoleSessionName` and `DurationSeconds`; the duration granted.
fn common(
    st: &AwsState,
    p: &BTreeMap<String, String>,
) -> Result<(String, String, Duration), SimResponse> {
    let Some(role) = p.get("RoleArn") else {
        return Err(validation(None, "roleArn", "Member must not be null"));
    };
    if role.len() < 20 {
        return Err(validation(
            Some(role),
            "roleArn",
            "Member must have length greater than or equal to 20",
        ));
    }
    let Some(session) = p.get("RoleSessionName") else {
        return Err(validation(
            None,
            "roleSessionName",
            "Member must not be null",
        ));
    };
    if session.len() < 2 || session.len() > 64 {
        return Err(validation(
            Some(session),
            "roleSessionName",
            if session.len() < 2 {
                "Member must have length greater than or equal to 2"
            } else {
                "Member must have length less than or equal to 64"
            },
        ));
    }
    if !session
        .chars()
        .all(|c| c.is_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(validation(
            Some(session),
            "roleSessionName",
            "Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        ));
    }
    let secs = match p.get("DurationSeconds") {
        None => 3600,
        Some(v) => match v.parse::<u64>() {
            Ok(n) if n < 900 => {
                return Err(validation(
                    Some(v),
                    "durationSeconds",
                    "Member must have value greater than or equal to 900",
                ));
            }
            Ok(n) if n > 43_200 => {
                return Err(validation(
                    Some(v),
                    "durationSeconds",
                    "Member must have value less than or equal to 43200",
                ));
            }
            Ok(n) => n,
            Err(_) => {
                return Err(wire::sts_error(
                    400,
                    "MalformedInput",
                    &format!("DurationSeconds '{v}' is not an integer"),
                ));
            }
        },
    };
    if let Some(r) = st.roles.get(role)
        && secs > r.max_session.as_secs()
    {
        return Err(wire::sts_error(
            400,
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        ));
    }
    Ok((role.clone(), session.clone(), Duration::from_secs(secs)))
}

/// The assumed role user of a session of `role_arn`.
fn assumed(role_arn: &str, session: &str) -> AssumedRoleUser {
    // arn:aws:iam::ACCOUNT:role/PATH/NAME
    let account = role_arn
        .split(':')
        .nth(4)
        .unwrap_or(super::DEFAULT_ACCOUNT_ID);
    let name = role_arn.rsplit('/').next().unwrap_or("role");
    let id: String = format!("{:016X}", rand::random::<u64>());
    AssumedRoleUser {
        arn: format!("arn:aws:sts::{account}:assumed-role/{name}/{session}"),
        assumed_role_id: format!("AROASIM{id}:{session}"),
    }
}

/// Answers an STS request.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let p = params(req);
    let mut st = sim.aws();
    match p.get("Action").map(String::as_str) {
        Some("AssumeRoleWithWebIdentity") => web_identity(&mut st, &p),
        Some("AssumeRole") => {
            let region = st.region.clone();
            let caller = match authenticate(&st, req, "sts", &[region.as_str(), "us-east-1"]) {
                Ok(c) => c,
                Err(f) => return f.xml(),
            };
            assume_role(&mut st, &p, &caller.arn)
        }
        other => wire::sts_error(
            400,
            "InvalidAction",
            &format!(
                "Could not find operation {} for version 2011-06-15",
                other.unwrap_or("")
            ),
        ),
    }
}

fn web_identity(st: &mut AwsState, p: &BTreeMap<String, String>) -> SimResponse {
    let (role, session, ttl) = match common(st, p) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(token) = p.get("WebIdentityToken") else {
        return validation(None, "webIdentityToken", "Member must not be null");
    };
    if token.len() < 4 {
        return validation(
            Some("***"),
            "webIdentityToken",
            "Member must have length greater than or equal to 4",
        );
    }
    match st.web_identity.get(token) {
        None => {
            return wire::sts_error(
                400,
                "InvalidIdentityToken",
                "The web identity token that was passed could not be validated by AWS. Get a new identity token from the identity provider and then retry the request.",
            );
        }
        Some((_, true)) => {
            return wire::sts_error(
                400,
                "ExpiredTokenException",
                "Token expired: current date/time is after the expiration date/time of the token",
            );
        }
        Some((r, _)) if *r != role => {
            return wire::sts_error(
                403,
                "AccessDenied",
                "Not authorized to perform sts:AssumeRoleWithWebIdentity",
            );
        }
        Some(_) => {}
    }
    let user = assumed(&role, &session);
    let creds = st.issue(&user.arn, ttl);
    st.sts_issued += 1;
    let account = role.split(':').nth(4).unwrap_or_default();
    let extra = format!(
        "    <SubjectFromWebIdentityToken>system:serviceaccount:sim:exporter</SubjectFromWebIdentityToken>\n    <Audience>sts.amazonaws.com</Audience>\n    <Provider>arn:aws:iam::{}:oidc-provider/oidc.sim.example</Provider>\n",
        wire::xml_escape(account)
    );
    wire::sts_credentials("AssumeRoleWithWebIdentity", &creds, &user, &extra)
}

fn assume_role(st: &mut AwsState, p: &BTreeMap<String, String>, caller: &str) -> SimResponse {
    let (role, session, ttl) = match common(st, p) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(e) = p.get("ExternalId")
        && (e.len() < 2 || e.len() > 1224)
    {
        return validation(
            Some(e),
            "externalId",
            "Member must have length greater than or equal to 2",
        );
    }
    let allowed = !st.denied.contains("sts:AssumeRole")
        && st.roles.get(&role).is_some_and(|r| {
            r.external_id.is_none() || r.external_id.as_ref() == p.get("ExternalId")
        });
    if !allowed {
        return wire::sts_error(
            403,
            "AccessDenied",
            &format!(
                "User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
            ),
        );
    }
    let user = assumed(&role, &session);
    let creds = st.issue(&user.arn, ttl);
    st.sts_issued += 1;
    wire::sts_credentials("AssumeRole", &creds, &user, "")
}
