//! `POST /iam/v1/tokens` (a PS256 JWT of a registered key, or an OAuth token) and the VM
//! metadata token `GET /computeMetadata/v1/instance/service-accounts/default/token`
//! (`docs/providers.md` "Yandex IAM tokens").

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{JWT_AUDIENCE, error};
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// Longest JWT lifetime accepted (`exp - iat`).
const MAX_JWT_LIFETIME: i64 = 3600;
/// Clock skew tolerated on `iat`.
const SKEW: i64 = 60;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateIamTokenRequest {
    #[serde(default)]
    jwt: Option<String>,
    #[serde(default)]
    yandex_passport_oauth_token: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    iat: i64,
    exp: i64,
}

pub(super) fn exchange(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.method != "POST" {
        return error(12, &format!("method {} not allowed", req.method));
    }
    let Ok(body) = serde_json::from_slice::<CreateIamTokenRequest>(&req.body) else {
        return error(3, "Request body is not a CreateIamTokenRequest");
    };
    let mut state = lock(&sim.yandex);
    match (body.jwt, body.yandex_passport_oauth_token) {
        (Some(jwt), None) => {
            if jwt.len() > 8000 {
                return error(3, "Request validation error: jwt: length must be <=8000");
            }
            if let Err(msg) = verify_jwt(&state, &jwt) {
                return error(16, &msg);
            }
        }
        (None, Some(oauth)) => {
            if oauth.len() > 4000 {
                return error(
                    3,
                    "Request validation error: yandex_passport_oauth_token: length must be <=4000",
                );
            }
            if !state.oauth_tokens.contains(&oauth) {
                return error(16, "The OAuth token is invalid or has expired");
            }
        }
        _ => {
            return error(
                3,
                "Exactly one of jwt, yandexPassportOauthToken is required",
            );
        }
    }
    let (token, exp) = state.issue_token();
    SimResponse::json(
        200,
        &serde_json::json!({ "iamToken": token, "expiresAt": exp.to_string() }),
    )
}

/// Checks a JWT as the IAM API does: PS256, a registered `kid`, its signature, `iss` = the
/// key's service account, `aud`, and a lifetime of at most an hour that has not ended.
fn verify_jwt(state: &super::YandexState, jwt: &str) -> Result<(), String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| format!("Invalid JWT: {e}"))?;
    if header.alg != Algorithm::PS256 {
        return Err(format!(
            "Unsupported JWT algorithm {:?}; PS256 is required",
            header.alg
        ));
    }
    let kid = header.kid.ok_or("JWT header has no kid")?;
    let key = state
        .sa_keys
        .get(&kid)
        .ok_or_else(|| format!("Unknown key id {kid}"))?;
    let decoding = DecodingKey::from_rsa_pem(key.public_pem.as_bytes())
        .map_err(|e| format!("Registered key {kid} is unusable: {e}"))?;
    let mut v = Validation::new(Algorithm::PS256);
    v.set_audience(&[JWT_AUDIENCE]);
    v.set_issuer(&[key.service_account_id.as_str()]);
    v.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(jwt, &decoding, &v)
        .map_err(|e| format!("JWT rejected: {e}"))?;
    let c = data.claims;
    let now = jiff::Timestamp::now().as_second();
    if c.exp - c.iat > MAX_JWT_LIFETIME {
        return Err("JWT lifetime exceeds 1 hour".to_string());
    }
    if c.iat > now + SKEW {
        return Err("JWT iat is in the future".to_string());
    }
    if c.iss != key.service_account_id {
        return Err("JWT iss does not match the key's service account".to_string());
    }
    Ok(())
}

pub(super) fn metadata(sim: &Sim, req: &SimRequest) -> SimResponse {
    if req.path != "/computeMetadata/v1/instance/service-accounts/default/token" {
        return SimResponse::json(404, &serde_json::json!({"error": "not found"}));
    }
    if req.header("metadata-flavor") != Some("Google") {
        return SimResponse {
            status: 403,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: bytes::Bytes::from_static(b"Missing required header: Metadata-Flavor: Google"),
        };
    }
    let mut state = lock(&sim.yandex);
    let lifetime = state.token_lifetime.as_secs();
    let (token, _) = state.issue_token();
    SimResponse::json(
        200,
        &serde_json::json!({ "access_token": token, "expires_in": lifetime, "token_type": "Bearer" }),
    )
}
