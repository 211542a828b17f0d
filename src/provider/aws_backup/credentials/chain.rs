//! The default credential chain (`chain: default`, or no `auth:`): the first source that is
//! there, in the order of botocore's `create_credential_resolver`
//! (`botocore/credentials.py`), of the steps this version has:
//!
//! 1. `EnvProvider`: `AWS_ACCESS_KEY_ID` + `AWS_SECRET_ACCESS_KEY` (+ `AWS_SECURITY_TOKEN` or
//!    `AWS_SESSION_TOKEN`); a key id without its secret is an error, as botocore raises.
//! 2. `AssumeRoleProvider`: the profile (`AWS_DEFAULT_PROFILE`, `AWS_PROFILE`, else
//!    `default`) has `role_arn` with `source_profile` or `credential_source`.
//! 3. `AssumeRoleWithWebIdentityProvider`: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
//!    (+ `AWS_ROLE_SESSION_NAME`), each variable over the profile's
//!    `web_identity_token_file`, `role_arn`, `role_session_name`.
//! 4. (`SSOProvider`: refused with a message, see `profile.rs`.)
//! 5. `SharedCredentialProvider`: the profile's keys in the credentials file.
//! 6. (`ProcessProvider`: refused with a message.)
//! 7. `ConfigProvider`: the profile's keys in the config file.
//! 8. `ContainerProvider` (ECS task roles, EKS Pod Identity):
//!    `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `AWS_CONTAINER_CREDENTIALS_FULL_URI`
//!    (`container.rs`).
//! 9. `InstanceMetadataProvider`: the EC2 instance role, unless `AWS_EC2_METADATA_DISABLED`
//!    is `true`. Whether the service answers is known at the first poll.
//!
//! Botocore's `OriginalEC2Provider` and `BotoProvider` (files of the EC2 and boto2 tools)
//! are left out. Every step is decided when the config loads, from the variables and files.

use super::config::{
    ENV_ACCESS_KEY_ID, ENV_SECRET_ACCESS_KEY, ENV_SECURITY_TOKEN, ENV_SESSION_TOKEN, Source,
    StaticKeys,
};
use super::ini::Section;
use super::profile::{self, ENV_PROFILES, Files};
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;

/// How the environment is read (the process's, or a test's).
pub(crate) type Env<'a> = dyn Fn(&str) -> Option<String> + 'a;

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

/// A variable's value, unless unset or blank.
pub(crate) fn var(env: &Env<'_>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// The environment's keys; `None` without `AWS_ACCESS_KEY_ID`, an error when its secret is
/// missing (`PartialCredentialsError`).
pub(crate) fn environment(env: &Env<'_>) -> Result<Option<StaticKeys>, String> {
    let Some(id) = var(env, ENV_ACCESS_KEY_ID) else {
        return Ok(None);
    };
    let secret = var(env, ENV_SECRET_ACCESS_KEY)
        .ok_or_else(|| format!("{ENV_SECRET_ACCESS_KEY} is not set"))?;
    let token = [ENV_SECURITY_TOKEN, ENV_SESSION_TOKEN]
        .iter()
        .find_map(|n| var(env, n));
    Ok(Some(StaticKeys {
        access_key_id: Secret::new(id),
        secret_access_key: Secret::new(secret),
        session_token: token.map(Secret::new),
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

/// The first source of the chain; `metadata_url` overrides the instance metadata endpoint.
pub(crate) fn resolve(env: &Env<'_>, metadata_url: Option<BaseUrl>) -> Result<Source, String> {
    if let Some(keys) = environment(env).map_err(|e| format!("environment: {e}"))? {
        return Ok(Source::Environment(keys));
    }
    let name = profile::name_from(env);
    let files = Files::locate(env, None, None)?;
    let named = ENV_PROFILES.iter().find(|n| var(env, n).is_some());
    if let Some(n) = named
        && name != "default"
        && !files.has(&name)
    {
        return Err(format!(
            "{n} names profile '{name}', which is in neither {}",
            files.shown()
        ));
    }
    if let Some(s) = profile::assume_role_step(&files, &name, env)? {
        return Ok(s);
    }
    if let Some((w, from_env)) = profile::web_identity(&files, &name, Some(env))? {
        let s = Source::WebIdentity(w);
        return Ok(if from_env {
            s
        } else {
            Source::Profile {
                name,
                resolved: Box::new(s),
                detail: "web identity".into(),
            }
        });
    }
    if let Some(s) = profile::profile_chain(&files, &name)? {
        return Ok(s);
    }
    if let Some(c) = super::container::from_env(env)? {
        return Ok(Source::Container(c));
    }
    let p = files.has(&name).then(|| files.profile(&name));
    match instance_metadata(env, metadata_url, p.as_ref())? {
        Some(url) => Ok(Source::InstanceMetadata { url }),
        None => Err(format!(
            "no credentials found: {ENV_ACCESS_KEY_ID} is not set, profile '{name}' has none in {}, AWS_WEB_IDENTITY_TOKEN_FILE and AWS_CONTAINER_CREDENTIALS_* are not set, and {ENV_METADATA_DISABLED} is true",
            files.shown()
        )),
    }
}
