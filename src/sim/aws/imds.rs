//! The EC2 instance metadata service with IMDSv2 required
//! (<https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html>):
//! - `PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1..=21600; absent
//!   or out of range: 400; a request with `X-Forwarded-For`: 403) issues a session token;
//! - `GET /latest/meta-data/iam/security-credentials/` lists the instance profile's role
//!   ([`AwsState::set_instance_role`](super::AwsState::set_instance_role); none: 404) and `GET …/{role}` returns its temporary
//!   credentials as JSON (`Code`, `LastUpdated`, `Type`, `AccessKeyId`, `SecretAccessKey`,
//!   `Token`, `Expiration`), both only with a valid `X-aws-ec2-metadata-token` (401 without:
//!   IMDSv1 is refused).
//!
//! The credentials last [`AwsState::imds_credentials_ttl`](super::AwsState::imds_credentials_ttl); the same ones are handed out
//! until five minutes before they expire (tokio clock), then new ones.

use std::time::Duration;

use tokio::time::Instant;

use super::wire::{self, ImdsCredentials};
use crate::sim::{Sim, SimRequest, SimResponse};

fn text(status: u16, body: &str) -> SimResponse {
    SimResponse {
        status,
        headers: vec![("content-type".into(), "text/plain".into())],
        body: bytes::Bytes::from(body.to_string()),
    }
}

const CREDENTIALS: &str = "/latest/meta-data/iam/security-credentials/";

/// Answers an instance metadata request.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let mut st = sim.aws();
    let now = Instant::now();
    if req.path == "/latest/api/token" {
        if req.method != "PUT" {
            return text(405, "Method Not Allowed");
        }
        if req.header("x-forwarded-for").is_some() {
            return text(403, "Forbidden");
        }
        let ttl = req
            .header("x-aws-ec2-metadata-token-ttl-seconds")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|n| (1..=21_600).contains(n));
        let Some(ttl) = ttl else {
            return text(400, "Bad Request");
        };
        let token = format!("AQAEAsim{:032x}==", rand::random::<u128>());
        st.imds_tokens.retain(|(_, exp)| *exp > now);
        st.imds_tokens
            .push((token.clone(), now + Duration::from_secs(ttl)));
        return text(200, &token)
            .with_header("x-aws-ec2-metadata-token-ttl-seconds", &ttl.to_string());
    }
    if req.method != "GET" {
        return text(405, "Method Not Allowed");
    }
    let valid = req.header("x-aws-ec2-metadata-token").is_some_and(|t| {
        st.imds_tokens
            .iter()
            .any(|(k, exp)| super::sigv4::same(k, t) && *exp > now)
    });
    if !valid {
        return text(401, "Unauthorized");
    }
    let Some(rest) = req
        .path
        .strip_prefix(CREDENTIALS)
        .or_else(|| (req.path == CREDENTIALS.trim_end_matches('/')).then_some(""))
    else {
        return text(404, "Not Found");
    };
    let Some(role) = st.instance_role.clone() else {
        return text(404, "Not Found");
    };
    if rest.is_empty() {
        return text(200, &role);
    }
    if rest != role {
        return text(404, "Not Found");
    }
    let fresh = st
        .imds_current
        .as_ref()
        .is_some_and(|(r, _, _, exp)| *r == role && now + Duration::from_secs(300) < *exp);
    if !fresh {
        let ttl = st.imds_credentials_ttl;
        let arn = format!(
            "arn:aws:sts::{}:assumed-role/{role}/i-0sim0instance000",
            st.account_id
        );
        let creds = st.issue(&arn, ttl);
        st.imds_issued += 1;
        st.imds_current = Some((role.clone(), creds, jiff::Timestamp::now(), now + ttl));
    }
    let Some((_, creds, updated, _)) = st.imds_current.clone() else {
        return text(500, "Internal Server Error");
    };
    let doc = ImdsCredentials {
        code: "Success",
        last_updated: wire::iso(updated),
        kind: "AWS-HMAC",
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key,
        token: creds.session_token,
        expiration: wire::iso(creds.expiration),
    };
    let body = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text(200, &body)
}
