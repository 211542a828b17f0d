//! What a credential source is once the config has loaded: the [`Source`] a target's
//! `auth:` (or the default chain) resolves to, with the keys, roles and endpoints it names,
//! the variables they are read from, and the checks of role ARNs and session names. Every
//! other file of the folder builds on these.

use std::path::PathBuf;

use jiff::Timestamp;

use crate::config::secret::Secret;
use crate::config::value::BaseUrl;

/// How the environment is read (the process's, or a test's).
pub(crate) type Env<'a> = dyn Fn(&str) -> Option<String> + 'a;

/// A variable's value, unless unset or blank.
pub(crate) fn var(env: &Env<'_>, name: &str) -> Option<String> {
    env(name).filter(|v| !v.trim().is_empty())
}

/// When the environment's keys stop working (botocore's `EnvProvider.EXPIRY_TIME`).
pub(crate) const ENV_CREDENTIAL_EXPIRATION: &str = "AWS_CREDENTIAL_EXPIRATION";
/// The access key id variable.
pub(crate) const ENV_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The secret access key variable.
pub(crate) const ENV_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// The session token variable (temporary credentials).
pub(crate) const ENV_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";
/// The older name of the session token variable, which botocore reads first
/// (`EnvProvider.TOKENS` in `botocore/credentials.py`).
pub(crate) const ENV_SECURITY_TOKEN: &str = "AWS_SECURITY_TOKEN";
/// The web identity role variable (EKS IAM roles for service accounts sets it).
pub(crate) const ENV_ROLE_ARN: &str = "AWS_ROLE_ARN";
/// The web identity token file variable.
pub(crate) const ENV_WEB_IDENTITY_TOKEN_FILE: &str = "AWS_WEB_IDENTITY_TOKEN_FILE";
/// The web identity session name variable.
pub(crate) const ENV_ROLE_SESSION_NAME: &str = "AWS_ROLE_SESSION_NAME";

/// Access keys as read at load, from the config, the environment or a profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StaticKeys {
    /// The access key id (registered for scrubbing like the secret).
    pub(crate) access_key_id: Secret,
    /// The secret access key.
    pub(crate) secret_access_key: Secret,
    /// The session token of temporary keys.
    pub(crate) session_token: Option<Secret>,
    /// When they stop working, where the environment says (`AWS_CREDENTIAL_EXPIRATION`).
    pub(crate) expires: Option<Timestamp>,
}

/// A role to assume with STS `AssumeRole`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Role {
    /// The role's ARN.
    pub(crate) role_arn: String,
    /// `ExternalId`, when the role's trust policy asks for one.
    pub(crate) external_id: Option<String>,
    /// `RoleSessionName`; default `cloud-task-exporter-{unix seconds}` (botocore's
    /// `botocore-session-{seconds}`).
    pub(crate) session_name: Option<String>,
    /// `DurationSeconds` (a profile's `duration_seconds`); default STS's, 1 hour.
    pub(crate) duration_seconds: Option<u32>,
}

/// STS `AssumeRoleWithWebIdentity` with a token from a file.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct WebIdentity {
    /// The role's ARN.
    pub(crate) role_arn: String,
    /// The file holding the token, read at every refresh (the platform rotates it).
    pub(crate) token_file: PathBuf,
    /// `RoleSessionName`; default `cloud-task-exporter-{unix seconds}`.
    pub(crate) session_name: Option<String>,
}

/// Where a target's credentials come from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Source {
    /// `access_key_id` + `secret_access_key` (+ `session_token`), each also as `*_file`.
    Static(StaticKeys),
    /// `environment: true` (or the chain's first step): the `AWS_*` variables, read at load.
    Environment(StaticKeys),
    /// A profile of the shared files, resolved at load into what it names.
    Profile {
        /// The profile's name.
        name: String,
        /// What it resolved to (keys, a role, web identity).
        resolved: Box<Source>,
        /// Where the resolved credentials come from, for the log (file names, no value).
        detail: String,
    },
    /// The EC2 instance role from the instance metadata service (IMDSv2).
    InstanceMetadata {
        /// Base URL, default `http://169.254.169.254`.
        url: BaseUrl,
    },
    /// STS `AssumeRoleWithWebIdentity` (EKS IAM roles for service accounts).
    WebIdentity(WebIdentity),
    /// Container credentials (ECS task roles, EKS Pod Identity), found by the default chain.
    Container(Container),
    /// STS `AssumeRole`, signed with the credentials of `base`.
    AssumeRole {
        /// The role.
        role: Role,
        /// Whose credentials sign the request.
        base: Box<Source>,
    },
}

/// What authorizes the request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Authorization {
    /// None.
    None,
    /// The content of this file, read at every request.
    File(PathBuf),
    /// This value.
    Value(Secret),
}

/// The container credentials endpoint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Container {
    /// The full URL.
    pub(crate) url: String,
    /// Its `Authorization`.
    pub(crate) authorization: Authorization,
}

/// Whether `arn` looks like a role ARN (`arn:{partition}:iam::{account}:role/{name}`).
pub(crate) fn role_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", p, "iam", "", account, resource]
            if !p.is_empty() && !account.is_empty() && resource.starts_with("role/") =>
        {
            Ok(())
        }
        _ => Err(format!(
            "'{arn}' is not a role ARN such as arn:aws:iam::111122223333:role/backup-reader"
        )),
    }
}

/// Whether `name` can be a `RoleSessionName`: 2 to 64 of letters, digits and `+=,.@_-`
/// (`roleSessionNameType` in `botocore/data/sts/2011-06-15/service-2.json`).
pub(crate) fn session_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c);
    if (2..=64).contains(&name.len()) && name.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a session name (2 to 64 letters, digits or +=,.@_-)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_and_session_names_are_checked() {
        assert!(role_arn("arn:aws:iam::111122223333:role/backup-reader").is_ok());
        assert!(role_arn("arn:aws-cn:iam::111122223333:role/path/r").is_ok());
        for bad in [
            "backup-reader",
            "arn:aws:iam::111122223333:user/u",
            "arn:aws:s3:::bucket",
        ] {
            let e = role_arn(bad).unwrap_err();
            assert!(e.contains("is not a role ARN"), "{e}");
        }
        assert!(session_name("cloud-task-exporter").is_ok());
        assert!(session_name("a").is_err());
        assert!(session_name("has space").is_err());
        assert!(session_name(&"x".repeat(65)).is_err());
    }
}
