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

use super::container;
use super::env::{ENV_METADATA_DISABLED, environment, instance_metadata};
use super::profile::{self, ENV_PROFILES, Files};
use super::source::{ENV_ACCESS_KEY_ID, Env, Source, var};
use crate::config::value::BaseUrl;

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
    if let Some(c) = container::from_env(env)? {
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
