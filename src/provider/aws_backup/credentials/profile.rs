//! A profile of the shared files resolved into the source it names, as botocore's profile
//! providers do (`botocore/credentials.py`): `AssumeRoleProvider` (`role_arn` with
//! `source_profile` or `credential_source`, chained, loops refused), then the providers of
//! `ProfileProviderBuilder.providers`: `AssumeRoleWithWebIdentityProvider`
//! (`web_identity_token_file` + `role_arn`), SSO, `SharedCredentialProvider` (the credentials
//! file), the credential process, `ConfigProvider` (the config file). SSO, `credential_process`
//! and MFA prompts are refused with a message saying so: an exporter cannot open a browser or
//! type a code. <https://docs.aws.amazon.com/sdkref/latest/guide/feature-assume-role-credentials.html>

use std::path::{Path, PathBuf};

use super::container;
use super::env;
use super::ini::{self, Section, Sections};
use super::source::{
    ENV_ACCESS_KEY_ID, ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME, ENV_WEB_IDENTITY_TOKEN_FILE, Env, Role,
    Source, StaticKeys, WebIdentity, role_arn, session_name, var,
};
use crate::config::secret::Secret;

/// The credentials file variable.
pub(crate) const ENV_CREDENTIALS_FILE: &str = "AWS_SHARED_CREDENTIALS_FILE";
/// The config file variable.
pub(crate) const ENV_CONFIG_FILE: &str = "AWS_CONFIG_FILE";
/// The profile variables, in botocore's order (`configprovider.py`: `AWS_DEFAULT_PROFILE`,
/// then `AWS_PROFILE`).
pub(crate) const ENV_PROFILES: [&str; 2] = ["AWS_DEFAULT_PROFILE", "AWS_PROFILE"];

/// The two shared files, read.
pub(crate) struct Files {
    credentials_path: Option<PathBuf>,
    config_path: Option<PathBuf>,
    credentials: Option<Sections>,
    config_profiles: Option<Sections>,
    /// Botocore's `full_config` profiles.
    full: Sections,
}

/// `~/` at the start of a path, expanded with `HOME` (`os.path.expanduser`).
fn expand(env: &Env<'_>, p: &str) -> PathBuf {
    match (p.strip_prefix("~/"), var(env, "HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(p),
    }
}

/// The profile name: `AWS_DEFAULT_PROFILE`, `AWS_PROFILE`, else `default`.
pub(crate) fn name_from(env: &Env<'_>) -> String {
    ENV_PROFILES
        .iter()
        .find_map(|n| var(env, n))
        .unwrap_or_else(|| "default".to_string())
}

impl Files {
    /// Reads the files: those given, else `AWS_SHARED_CREDENTIALS_FILE` and
    /// `AWS_CONFIG_FILE`, else `~/.aws/credentials` and `~/.aws/config`. A file that does
    /// not exist holds nothing; one that does not parse is an error.
    pub(crate) fn locate(
        env: &Env<'_>,
        credentials: Option<PathBuf>,
        config: Option<PathBuf>,
    ) -> Result<Files, String> {
        let home = |f: &str| var(env, "HOME").map(|h| Path::new(&h).join(".aws").join(f));
        let credentials_path = credentials
            .or_else(|| var(env, ENV_CREDENTIALS_FILE).map(|p| expand(env, &p)))
            .or_else(|| home("credentials"));
        let config_path = config
            .or_else(|| var(env, ENV_CONFIG_FILE).map(|p| expand(env, &p)))
            .or_else(|| home("config"));
        let read = |p: &Option<PathBuf>| match p {
            Some(p) => ini::read(p),
            None => Ok(None),
        };
        let credentials = read(&credentials_path)?;
        let config_profiles = read(&config_path)?.map(|c| ini::profiles(&c));
        let full = ini::full(config_profiles.as_ref(), credentials.as_ref());
        Ok(Files {
            credentials_path,
            config_path,
            credentials,
            config_profiles,
            full,
        })
    }

    /// Whether either file has the profile.
    pub(crate) fn has(&self, name: &str) -> bool {
        self.full.contains_key(name)
    }

    /// The profile's merged keys (empty when neither file has it).
    pub(crate) fn profile(&self, name: &str) -> Section {
        self.full.get(name).cloned().unwrap_or_default()
    }

    /// The files, for messages.
    pub(crate) fn shown(&self) -> String {
        let show = |p: &Option<PathBuf>, what: &str| match p {
            Some(p) => format!("{} ({what})", p.display()),
            None => format!("no {what} file (HOME is not set)"),
        };
        format!(
            "{} and {}",
            show(&self.credentials_path, "credentials"),
            show(&self.config_path, "config")
        )
    }

    fn path_of(p: &Option<PathBuf>) -> String {
        p.as_ref()
            .map_or_else(String::new, |p| p.display().to_string())
    }
}

fn has_static(p: &Section) -> bool {
    p.contains_key("aws_access_key_id") || p.contains_key("aws_secret_access_key")
}

fn has_assume_role(p: &Section) -> bool {
    p.contains_key("role_arn") && !p.contains_key("web_identity_token_file")
}

/// A profile named by the config (`auth.profile`), botocore's `Session(profile=name)`: its
/// role, web identity or keys; the environment's keys and web identity variables are not
/// read (`disable_env_vars`).
pub(crate) fn explicit(files: &Files, name: &str, env: &Env<'_>) -> Result<Source, String> {
    if !files.has(name) {
        return Err(format!("no profile '{name}' in {}", files.shown()));
    }
    if let Some(s) = assume_role_step(files, name, env)? {
        return Ok(s);
    }
    profile_chain(files, name)?.ok_or_else(|| {
        format!(
            "profile '{name}' has no credentials (aws_access_key_id, role_arn or web_identity_token_file) in {}",
            files.shown()
        )
    })
}

/// The chain's assume-role step: the profile has `role_arn` (and no
/// `web_identity_token_file`).
pub(crate) fn assume_role_step(
    files: &Files,
    name: &str,
    env: &Env<'_>,
) -> Result<Option<Source>, String> {
    if !has_assume_role(&files.profile(name)) {
        return Ok(None);
    }
    let mut visited = vec![name.to_string()];
    let role = assume_role(files, name, env, &mut visited)?;
    Ok(Some(wrap(files, name, role, files.config_path.as_ref())))
}

fn wrap(files: &Files, name: &str, resolved: Source, file: Option<&PathBuf>) -> Source {
    let file = file
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| Files::path_of(&files.config_path));
    Source::Profile {
        name: name.to_string(),
        resolved: Box::new(resolved),
        detail: file,
    }
}

/// `AssumeRoleProvider._load_creds_via_assume_role` for profile `name`.
fn assume_role(
    files: &Files,
    name: &str,
    env: &Env<'_>,
    visited: &mut Vec<String>,
) -> Result<Source, String> {
    let p = files.profile(name);
    let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).cloned();
    let arn = get("role_arn").unwrap_or_default();
    role_arn(&arn).map_err(|e| format!("profile '{name}': role_arn: {e}"))?;
    if get("mfa_serial").is_some() {
        return Err(format!(
            "profile '{name}' needs an MFA code (mfa_serial), which an exporter cannot type"
        ));
    }
    let session = get("role_session_name");
    if let Some(s) = &session {
        session_name(s).map_err(|e| format!("profile '{name}': role_session_name: {e}"))?;
    }
    let role = Role {
        role_arn: arn,
        external_id: get("external_id"),
        session_name: session,
        // Botocore drops a value that is not an integer.
        duration_seconds: get("duration_seconds").and_then(|d| d.parse().ok()),
    };
    let base = match (get("source_profile"), get("credential_source")) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "profile '{name}' has both source_profile and credential_source"
            ));
        }
        (None, None) => {
            return Err(format!(
                "profile '{name}' has role_arn but neither source_profile nor credential_source"
            ));
        }
        (None, Some(cs)) => credential_source(name, &cs, env, &p)?,
        (Some(source), None) => {
            if !files.has(&source) {
                return Err(format!(
                    "the source_profile '{source}' of profile '{name}' does not exist"
                ));
            }
            let sp = files.profile(&source);
            if visited.contains(&source) && (source != name || !has_static(&sp)) {
                return Err(format!(
                    "profiles source each other in a loop: {} → {source}",
                    visited.join(" → ")
                ));
            }
            visited.push(source.clone());
            if has_static(&sp) || !has_assume_role(&sp) {
                let found = profile_chain(files, &source)?.ok_or_else(|| {
                    format!("the source profile '{source}' of profile '{name}' has no credentials")
                })?;
                match found {
                    // `profile_chain` names the profile already.
                    s @ Source::Profile { .. } => s,
                    s => wrap(files, &source, s, None),
                }
            } else {
                let inner = assume_role(files, &source, env, visited)?;
                wrap(files, &source, inner, None)
            }
        }
    };
    Ok(Source::AssumeRole {
        role,
        base: Box::new(base),
    })
}

/// `credential_source` of a role profile (`CanonicalNameCredentialSourcer`).
fn credential_source(name: &str, cs: &str, env: &Env<'_>, p: &Section) -> Result<Source, String> {
    match cs {
        "Environment" => match env::environment(env)? {
            Some(keys) => Ok(Source::Environment(keys)),
            None => Err(format!(
                "profile '{name}': credential_source Environment, but {} is not set",
                ENV_ACCESS_KEY_ID
            )),
        },
        "Ec2InstanceMetadata" => match env::instance_metadata(env, None, Some(p))? {
            Some(url) => Ok(Source::InstanceMetadata { url }),
            None => Err(format!(
                "profile '{name}': credential_source Ec2InstanceMetadata, but AWS_EC2_METADATA_DISABLED is true"
            )),
        },
        "EcsContainer" => match container::from_env(env)? {
            Some(c) => Ok(Source::Container(c)),
            None => Err(format!(
                "profile '{name}': credential_source EcsContainer, but neither {} nor {} is set",
                container::ENV_RELATIVE_URI,
                container::ENV_FULL_URI
            )),
        },
        other => Err(format!(
            "profile '{name}': credential_source '{other}' is not valid (Environment, Ec2InstanceMetadata or EcsContainer)"
        )),
    }
}

/// Keys of a section: `aws_access_key_id` and `aws_secret_access_key` (a missing one is an
/// error naming it), the token as `aws_security_token` or `aws_session_token`.
fn keys_of(name: &str, s: &Section, file: &str) -> Result<Option<StaticKeys>, String> {
    let Some(id) = s.get("aws_access_key_id") else {
        return Ok(None);
    };
    let missing = |k: &str| format!("profile '{name}' in {file}: {k} is missing or empty");
    if id.is_empty() {
        return Err(missing("aws_access_key_id"));
    }
    let secret = s
        .get("aws_secret_access_key")
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing("aws_secret_access_key"))?;
    let token = ["aws_security_token", "aws_session_token"]
        .iter()
        .find_map(|k| s.get(*k).filter(|v| !v.is_empty()));
    Ok(Some(StaticKeys {
        access_key_id: Secret::new(id.clone()),
        secret_access_key: Secret::new(secret.clone()),
        session_token: token.map(|t| Secret::new(t.clone())),
        expires: None,
    }))
}

/// Web identity from the profile's keys, each overridden by its variable when `env` is
/// given (`AssumeRoleWithWebIdentityProvider._get_config`).
pub(crate) fn web_identity(
    files: &Files,
    name: &str,
    env: Option<&Env<'_>>,
) -> Result<Option<(WebIdentity, bool)>, String> {
    let p = files.profile(name);
    let get = |var_name: &str, key: &str| -> (Option<String>, bool) {
        if let Some(v) = env.and_then(|e| e(var_name)) {
            return (Some(v), true);
        }
        (p.get(key).cloned(), false)
    };
    let (file, from_env) = get(ENV_WEB_IDENTITY_TOKEN_FILE, "web_identity_token_file");
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        return Ok(None);
    };
    let where_ = if from_env {
        ENV_WEB_IDENTITY_TOKEN_FILE.to_string()
    } else {
        format!("profile '{name}'")
    };
    let role = get(ENV_ROLE_ARN, "role_arn")
        .0
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            format!("{where_} names a web identity token file but no role ARN is set (role_arn or {ENV_ROLE_ARN})")
        })?;
    role_arn(&role).map_err(|e| format!("web identity: {e}"))?;
    let session = get(ENV_ROLE_SESSION_NAME, "role_session_name")
        .0
        .filter(|s| !s.is_empty());
    if let Some(s) = &session {
        session_name(s).map_err(|e| format!("web identity: {e}"))?;
    }
    Ok(Some((
        WebIdentity {
            role_arn: role,
            token_file: PathBuf::from(file),
            session_name: session,
        },
        from_env,
    )))
}

/// Botocore's `ProfileProviderBuilder.providers(name, disable_env_vars=True)` after the role:
/// web identity, (SSO), the credentials file, (the credential process), the config file.
pub(crate) fn profile_chain(files: &Files, name: &str) -> Result<Option<Source>, String> {
    if let Some((w, _)) = web_identity(files, name, None)? {
        return Ok(Some(wrap(
            files,
            name,
            Source::WebIdentity(w),
            files.config_path.as_ref(),
        )));
    }
    let p = files.profile(name);
    if p.contains_key("sso_session") || p.contains_key("sso_start_url") {
        return Err(format!(
            "profile '{name}' signs in with IAM Identity Center (SSO), which this version does not support; give it keys, a role or web identity"
        ));
    }
    let creds_file = Files::path_of(&files.credentials_path);
    if let Some(s) = files.credentials.as_ref().and_then(|c| c.get(name))
        && let Some(keys) = keys_of(name, s, &creds_file)?
    {
        return Ok(Some(wrap(
            files,
            name,
            Source::Static(keys),
            files.credentials_path.as_ref(),
        )));
    }
    if p.contains_key("credential_process") {
        return Err(format!(
            "profile '{name}' uses credential_process, which this version does not run"
        ));
    }
    let config_file = Files::path_of(&files.config_path);
    if let Some(s) = files.config_profiles.as_ref().and_then(|c| c.get(name))
        && let Some(keys) = keys_of(name, s, &config_file)?
    {
        return Ok(Some(wrap(
            files,
            name,
            Source::Static(keys),
            files.config_path.as_ref(),
        )));
    }
    Ok(None)
}
