//! The environment's keys (botocore's `EnvProvider`) and the instance metadata endpoint
//! (`IMDSFetcher._select_base_url` in `botocore/utils.py`), as read when the config loads.

use super::ini::Section;
use super::source::{
    ENV_ACCESS_KEY_ID, ENV_CREDENTIAL_EXPIRATION, ENV_SECRET_ACCESS_KEY, ENV_SECURITY_TOKEN,
    ENV_SESSION_TOKEN, Env, StaticKeys, var,
};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;

/// The default instance metadata endpoint (`METADATA_BASE_URL` in `botocore/utils.py`).
pub(crate) const METADATA_URL: &str = "http://169.254.169.254";
/// The IPv6 endpoint (`METADATA_BASE_URL_IPv6`).
pub(crate) const METADATA_URL_IPV6: &str = "http://[fd00:ec2::254]";
/// Turns the instance metadata service off (`IMDSFetcher`).
pub(crate) const ENV_METADATA_DISABLED: &str = "AWS_EC2_METADATA_DISABLED";
/// The instance metadata endpoint variable.
pub(crate) const ENV_METADATA_ENDPOINT: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";
/// The instance metadata endpoint mode variable (`IPv4` or `IPv6`).
pub(crate) const ENV_METADATA_ENDPOINT_MODE: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";

/// The environment's keys; `None` without `AWS_ACCESS_KEY_ID`, an error when its secret is
/// missing (`PartialCredentialsError`). `AWS_CREDENTIAL_EXPIRATION` (RFC 3339, as
/// `aws configure export-credentials --format env` writes it) says when they stop working.
pub(crate) fn environment(env: &Env<'_>) -> Result<Option<StaticKeys>, String> {
    let Some(id) = var(env, ENV_ACCESS_KEY_ID) else {
        return Ok(None);
    };
    let secret = var(env, ENV_SECRET_ACCESS_KEY)
        .ok_or_else(|| format!("{ENV_SECRET_ACCESS_KEY} is not set"))?;
    let token = [ENV_SECURITY_TOKEN, ENV_SESSION_TOKEN]
        .iter()
        .find_map(|n| var(env, n));
    let expires = var(env, ENV_CREDENTIAL_EXPIRATION)
        .map(|v| {
            v.trim().parse::<jiff::Timestamp>().map_err(|_| {
                format!(
                    "{ENV_CREDENTIAL_EXPIRATION}: '{v}' is not a time such as 2026-12-08T10:00:00Z"
                )
            })
        })
        .transpose()?;
    Ok(Some(StaticKeys {
        access_key_id: Secret::new(id),
        secret_access_key: Secret::new(secret),
        session_token: token.map(Secret::new),
        expires,
    }))
}

/// The instance metadata endpoint, as `IMDSFetcher._select_base_url` picks it: `url` (the
/// config's `metadata_url`), else `AWS_EC2_METADATA_SERVICE_ENDPOINT` or the profile's
/// `ec2_metadata_service_endpoint`, else the IPv6 address when the mode is `IPv6`, else
/// `http://169.254.169.254`. `None` when `AWS_EC2_METADATA_DISABLED` is `true` (any case).
pub(crate) fn instance_metadata(
    env: &Env<'_>,
    url: Option<BaseUrl>,
    profile: Option<&Section>,
) -> Result<Option<BaseUrl>, String> {
    if var(env, ENV_METADATA_DISABLED).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return Ok(None);
    }
    if let Some(u) = url {
        return Ok(Some(u));
    }
    let from_profile = |k: &str| profile.and_then(|p| p.get(k)).filter(|v| !v.is_empty());
    let (endpoint, named) = match var(env, ENV_METADATA_ENDPOINT) {
        Some(e) => (Some(e), ENV_METADATA_ENDPOINT),
        None => (
            from_profile("ec2_metadata_service_endpoint").cloned(),
            "ec2_metadata_service_endpoint",
        ),
    };
    let mode = var(env, ENV_METADATA_ENDPOINT_MODE)
        .or_else(|| from_profile("ec2_metadata_service_endpoint_mode").cloned());
    let chosen = match (endpoint, mode) {
        (Some(e), _) => e,
        (None, Some(m)) if m.trim().eq_ignore_ascii_case("ipv6") => METADATA_URL_IPV6.into(),
        _ => METADATA_URL.into(),
    };
    BaseUrl::parse(&chosen)
        .map(Some)
        .map_err(|e| format!("{named}: {e}"))
}
