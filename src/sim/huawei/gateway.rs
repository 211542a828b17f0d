//! The API gateway in front of every Huawei service: AK/SK signature checks (with the
//! 15-minute clock-skew rule and the 5-failure lockout) and IAM tokens, plus IAM's
//! `POST /v3/auth/tokens` that issues them (`docs/providers.md` "Huawei authentication").

use tokio::time::Instant;

use super::{HuaweiState, IssuedToken, verify};
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// The API gateway's error body.
pub(crate) fn gateway_error(status: u16, code: &str, msg: &str) -> SimResponse {
    SimResponse::json(
        status,
        &serde_json::json!({"error_msg": msg, "error_code": code, "request_id": request_id()}),
    )
}

fn request_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub(super) fn authenticate(
    st: &mut HuaweiState,
    req: &SimRequest,
    project: &str,
) -> Result<(), SimResponse> {
    if let Some(token) = req.header("x-auth-token") {
        let ok = st.tokens.get(token).cloned();
        return match ok {
            Some(t) if Instant::now() < t.expires => {
                if t.project_id == project {
                    Ok(())
                } else {
                    Err(gateway_error(
                        403,
                        "APIGW.0302",
                        "The token is not scoped to this project.",
                    ))
                }
            }
            Some(_) => Err(gateway_error(
                401,
                "APIGW.0307",
                "The token must be updated.",
            )),
            None => Err(gateway_error(
                401,
                "APIGW.0307",
                "The token is invalid or expired.",
            )),
        };
    }
    let Some(auth) = req.header("authorization") else {
        return Err(gateway_error(
            401,
            "APIGW.0101",
            "Incorrect IAM authentication information: Authorization header not found",
        ));
    };
    let Some(parsed) = verify::parse_authorization(auth) else {
        return Err(gateway_error(
            401,
            "APIGW.0301",
            "Incorrect IAM authentication information: unsupported Authorization header",
        ));
    };
    if st
        .failures
        .get(&parsed.access)
        .and_then(|f| f.locked_until)
        .is_some_and(|t| Instant::now() < t)
    {
        return Err(gateway_error(
            401,
            "APIGW.0301",
            "Incorrect IAM authentication information: the AK/SK is locked because of too many failed attempts",
        ));
    }
    match check_signature(st, req, &parsed, project) {
        Ok(()) => {
            st.failures.remove(&parsed.access);
            Ok(())
        }
        Err(msg) => {
            let after = st.lockout_after;
            let lockout = st.lockout;
            let f = st.failures.entry(parsed.access.clone()).or_default();
            f.count += 1;
            if f.count >= after {
                f.locked_until = Some(Instant::now() + lockout);
                f.count = 0;
            }
            Err(gateway_error(
                401,
                "APIGW.0301",
                &format!("Incorrect IAM authentication information: {msg}"),
            ))
        }
    }
}

fn check_signature(
    st: &HuaweiState,
    req: &SimRequest,
    a: &verify::AuthHeader,
    project: &str,
) -> Result<(), String> {
    let cred = st
        .aksk
        .get(&a.access)
        .ok_or_else(|| "access key not found".to_string())?;
    if cred.expires.is_some_and(|t| Instant::now() >= t) {
        return Err("the temporary access key has expired".into());
    }
    let date = req
        .header("x-sdk-date")
        .ok_or_else(|| "X-Sdk-Date missing".to_string())?;
    let when = jiff::fmt::strtime::parse("%Y%m%dT%H%M%SZ", date)
        .ok()
        .and_then(|p| p.to_datetime().ok())
        .and_then(|d| jiff::tz::TimeZone::UTC.to_timestamp(d).ok())
        .ok_or_else(|| "X-Sdk-Date malformed".to_string())?;
    let skew = (jiff::Timestamp::now().as_second() - when.as_second()).unsigned_abs();
    if skew > st.max_skew.as_secs() {
        return Err("request date is more than 15 minutes from the server time".into());
    }
    if !a.signed_headers.iter().any(|h| h == "x-sdk-date") {
        return Err("x-sdk-date is not signed".into());
    }
    if let Some(tok) = &cred.security_token {
        let sent = req.header("x-security-token");
        if sent != Some(tok.as_str()) || !a.signed_headers.iter().any(|h| h == "x-security-token") {
            return Err("security token missing or invalid".into());
        }
    }
    if let Some(p) = req.header("x-project-id")
        && p != project
    {
        return Err("X-Project-Id does not match the project in the path".into());
    }
    let canonical = verify::canonical_request(
        &req.method,
        &req.path,
        &req.query,
        &req.headers,
        &a.signed_headers,
        &req.body,
    );
    let want = verify::expected_signature(&cred.secret, date, &canonical);
    if verify::same(&want, &a.signature) {
        Ok(())
    } else {
        Err("verify aksk signature fail".into())
    }
}

pub(super) fn issue_token(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.method != "POST" {
        return gateway_error(405, "IAM.0001", "Method not allowed.");
    }
    let body: serde_json::Value = match serde_json::from_slice(&req.body) {
        Ok(v) => v,
        Err(_) => return gateway_error(400, "IAM.0002", "The request body is invalid."),
    };
    let user = &body["auth"]["identity"]["password"]["user"];
    let name = user["name"].as_str().unwrap_or_default();
    let password = user["password"].as_str().unwrap_or_default();
    let domain = user["domain"]["name"].as_str().unwrap_or_default();
    let scope = &body["auth"]["scope"]["project"];
    let project = scope["id"]
        .as_str()
        .or(scope["name"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut st = lock(&sim.huawei);
    let known = st
        .users
        .iter()
        .any(|u| u.user == name && u.domain == domain && u.password == password);
    if !known {
        return SimResponse::json(
            401,
            &serde_json::json!({"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}),
        );
    }
    if project.is_empty() {
        return gateway_error(400, "IAM.0003", "A project scope is required.");
    }
    let token = format!("MIIsim{:032x}", rand::random::<u128>());
    let ttl = st.token_ttl;
    st.tokens.insert(
        token.clone(),
        IssuedToken {
            project_id: project.clone(),
            expires: Instant::now() + ttl,
        },
    );
    st.tokens_issued += 1;
    let now = jiff::Timestamp::now();
    let exp = now
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(ttl.as_secs()).unwrap_or(86_400),
        ))
        .unwrap_or(now);
    let fmt = |t: jiff::Timestamp| {
        t.to_zoned(jiff::tz::TimeZone::UTC)
            .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
            .to_string()
    };
    SimResponse::json(
        201,
        &serde_json::json!({"token": {
            "expires_at": fmt(exp),
            "issued_at": fmt(now),
            "methods": ["password"],
            "project": {"id": project, "name": project},
            "user": {"name": name, "domain": {"name": domain}},
        }}),
    )
    .with_header("x-subject-token", &token)
}

/// IAM `GET /v3/projects?name=` (Keystone's project list, filtered by name): the projects of
/// the account whose name is `name`, all of them without a filter.
pub(super) fn list_projects(st: &HuaweiState, req: &SimRequest) -> SimResponse {
    let q = req.query_map();
    let name = q.get("name");
    let projects: Vec<serde_json::Value> = st
        .projects
        .iter()
        .filter(|(n, _)| name.is_none_or(|want| want == n))
        .map(|(n, id)| {
            serde_json::json!({
                "id": id, "name": n, "domain_id": super::DOMAIN_ID,
                "enabled": true, "is_domain": false, "parent_id": super::DOMAIN_ID,
                "description": "", "links": {"self": format!("/v3/projects/{id}")},
            })
        })
        .collect();
    SimResponse::json(
        200,
        &serde_json::json!({"projects": projects, "links": {"self": "/v3/projects", "next": null, "previous": null}}),
    )
}
