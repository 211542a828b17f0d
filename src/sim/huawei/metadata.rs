//! The ECS metadata service's agency credentials (`docs/providers.md` "Huawei credential
//! sources"): `PUT /meta-data/latest/api/token` issues a session token (the
//! `X-Metadata-Token-Ttl-Seconds` header is required), and `GET /openstack/latest/securitykey`
//! issues temporary AK/SK and a security token with `expires_at`, which the gateway then
//! accepts, with the token, until they expire. A request with a session token must carry a
//! valid one; one without is served (the service's token-less form).

use std::time::Duration;

use tokio::time::Instant;

use super::{AkSk, HuaweiState};
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// The agency's credentials as issued: the wire shape the SDK's `_process_credential` reads.
#[derive(Debug, serde::Serialize)]
struct SecurityKey {
    credential: Credential,
}

#[derive(Debug, serde::Serialize)]
struct Credential {
    access: String,
    secret: String,
    securitytoken: String,
    expires_at: String,
}

pub(super) fn text(status: u16, body: &str) -> SimResponse {
    SimResponse {
        status,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: bytes::Bytes::from(body.to_string()),
    }
}

/// Answers the metadata service's paths.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let mut st = lock(&sim.huawei);
    match (req.method.as_str(), req.path.as_str()) {
        ("PUT", "/meta-data/latest/api/token") => {
            if req.header("x-metadata-token-ttl-seconds").is_none() {
                return text(400, "X-Metadata-Token-Ttl-Seconds is required");
            }
            let token = format!("mdtoken{:024x}", rand::random::<u128>());
            st.metadata_tokens.push(token.clone());
            text(200, &token)
        }
        ("GET", "/openstack/latest/securitykey") => {
            if let Some(t) = req.header("x-metadata-token")
                && !st.metadata_tokens.iter().any(|k| k == t)
            {
                return text(401, "Unauthorized");
            }
            if !st.agency {
                return text(404, "Please configure Cloud Service Agency first");
            }
            st.metadata_issued += 1;
            let (n, ttl) = (st.metadata_issued, st.metadata_ttl);
            issue(&mut st, &format!("TMPAKSIM{n:012}"), ttl)
        }
        _ => text(404, "Not Found"),
    }
}

/// Issues temporary credentials under the access key `access`, accepted for `ttl` (also the
/// pod identity endpoint's: the SDK reads both answers with one function).
pub(super) fn issue(st: &mut HuaweiState, access: &str, ttl: Duration) -> SimResponse {
    let access = access.to_string();
    let secret = format!("tmp-sk-{:032x}", rand::random::<u128>());
    let token = format!("gQsimsecuritytoken{:032x}", rand::random::<u128>());
    st.aksk.insert(
        access.clone(),
        AkSk {
            secret: secret.clone(),
            security_token: Some(token.clone()),
            expires: Some(Instant::now() + ttl),
        },
    );
    let now = jiff::Timestamp::now();
    let exp = now
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(ttl.as_secs()).unwrap_or(3600),
        ))
        .unwrap_or(now);
    let body = SecurityKey {
        credential: Credential {
            access,
            secret,
            securitytoken: token,
            expires_at: exp
                .to_zoned(jiff::tz::TimeZone::UTC)
                .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
                .to_string(),
        },
    };
    SimResponse::json(200, &serde_json::to_value(&body).unwrap_or_default())
}

/// The default lifetime of the agency credentials the simulator issues.
pub(super) const DEFAULT_TTL: Duration = Duration::from_secs(24 * 3600);
