//! The `auth:` block of an `aws_backup` target: as written ([`AuthFile`]) and validated
//! ([`Auth`]: exactly one source, optionally with a role assumed on top). Every file and
//! variable a source names is read here, when the config loads, so a problem is reported at
//! its line; what is fetched at run time (instance metadata, STS) is fetched by `mod.rs`.

use std::path::PathBuf;

use serde::Deserialize;

use super::chain;
use super::env;
use super::profile::{self, Files};
use super::source::{
    ENV_ACCESS_KEY_ID, ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME, ENV_WEB_IDENTITY_TOKEN_FILE, Env, Role,
    Source, StaticKeys, WebIdentity, role_arn, session_name,
};
use crate::config::de::{At, Val};
use crate::config::keys::TargetCx;
use crate::config::value::{BaseUrl, BoolOr, FilePath, Flag, InlineSecret, NonEmpty};

/// The `auth:` block of an `aws_backup` target as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AuthFile {
    access_key_id: Val<InlineSecret>,
    access_key_id_file: Val<FilePath>,
    secret_access_key: Val<InlineSecret>,
    secret_access_key_file: Val<FilePath>,
    session_token: Val<InlineSecret>,
    session_token_file: Val<FilePath>,
    environment: Val<Flag>,
    profile: Val<ProfileFile>,
    instance_metadata: Val<Flag>,
    metadata_url: Val<BaseUrl>,
    web_identity: Val<BoolOr<WebIdentityFile>>,
    chain: Val<NonEmpty>,
    assume_role: Val<AssumeRoleFile>,
    sts_endpoint: Val<BaseUrl>,
}

/// `auth.profile:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProfileFile {
    name: Val<NonEmpty>,
    credentials_file: Val<FilePath>,
    config_file: Val<FilePath>,
}

/// `auth.web_identity:` as written (`web_identity: true` is `{}`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct WebIdentityFile {
    role_arn: Val<NonEmpty>,
    token_file: Val<FilePath>,
    session_name: Val<NonEmpty>,
}

/// `auth.assume_role:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct AssumeRoleFile {
    role_arn: Val<NonEmpty>,
    external_id: Val<NonEmpty>,
    session_name: Val<NonEmpty>,
}

/// The validated `auth:` of a target.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Auth {
    /// The source (with a role assumed on top, when `assume_role:` is given).
    pub(crate) source: Source,
    /// Where STS is; default the region's (`https://sts.{region}.amazonaws.com`).
    pub(crate) sts_endpoint: Option<BaseUrl>,
    /// Whether the default chain chose the source (no `auth:`, or `chain: default`).
    pub(crate) by_chain: bool,
}

impl Auth {
    /// The credentials of a target without `auth:`: the default chain; `line` is the target's.
    pub(crate) fn default_chain(cx: &mut TargetCx<'_, '_, '_>, line: u32) -> Option<Auth> {
        let at = At {
            line,
            key: "auth".into(),
        };
        let source = run_chain(cx, &at, None)?;
        Some(Auth {
            source,
            sts_endpoint: None,
            by_chain: true,
        })
    }
}

fn run_chain(
    cx: &mut TargetCx<'_, '_, '_>,
    at: &At,
    metadata_url: Option<BaseUrl>,
) -> Option<Source> {
    let got = {
        let env = |n: &str| cx.env(n);
        chain::resolve(&env, metadata_url)
    };
    match got {
        Ok(s) => Some(s),
        Err(e) => {
            cx.bad(at, format!("default chain: {e}"));
            None
        }
    }
}

/// A flag's value: `None` when bad (reported).
fn flag(v: &Val<Flag>) -> Option<bool> {
    match v {
        Val::Given(Flag(b), _) => Some(*b),
        Val::Bad(_) => None,
        Val::Absent => Some(false),
    }
}

/// An optional value: `Err` when bad (reported).
fn opt<T>(v: Val<T>) -> Result<Option<(T, At)>, ()> {
    match v {
        Val::Given(t, at) => Ok(Some((t, at))),
        Val::Bad(_) => Err(()),
        Val::Absent => Ok(None),
    }
}

impl AuthFile {
    /// Exactly one source (static keys, `environment`, `profile`, `instance_metadata`,
    /// `web_identity` or `chain`), optionally with `assume_role` on top; `at` is where
    /// `auth:` is.
    pub(crate) fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Auth> {
        let keys = [
            ("access_key_id", self.access_key_id.given()),
            ("access_key_id_file", self.access_key_id_file.given()),
            ("secret_access_key", self.secret_access_key.given()),
            (
                "secret_access_key_file",
                self.secret_access_key_file.given(),
            ),
            ("session_token", self.session_token.given()),
            ("session_token_file", self.session_token_file.given()),
        ];
        let (environment, instance_metadata) =
            (flag(&self.environment), flag(&self.instance_metadata));
        let web_identity_on = match &self.web_identity {
            Val::Given(BoolOr::Bool(b), _) => Some(*b),
            Val::Given(BoolOr::Map(_), _) => Some(true),
            Val::Bad(_) => None,
            Val::Absent => Some(false),
        };
        let mut given: Vec<&str> = Vec::new();
        if let Some(first) = keys.iter().find(|(_, g)| *g).map(|(k, _)| *k) {
            given.push(first);
        }
        let chain_given = self.chain.given();
        for (name, on) in [
            ("environment", environment == Some(true)),
            ("profile", self.profile.given()),
            ("instance_metadata", instance_metadata == Some(true)),
            ("web_identity", web_identity_on == Some(true)),
            ("chain", chain_given),
        ] {
            if on {
                given.push(name);
            }
        }
        if let (Some(url_at), false) = (
            self.metadata_url.at(),
            instance_metadata == Some(true) || chain_given,
        ) {
            let url_at = url_at.clone();
            cx.bad(
                &url_at,
                "only used with 'instance_metadata: true' or 'chain: default'",
            );
            return None;
        }
        let uses_sts = self.assume_role.given()
            || web_identity_on == Some(true)
            || self.profile.given()
            || chain_given;
        if let (Some(sts_at), false) = (self.sts_endpoint.at(), uses_sts) {
            let sts_at = sts_at.clone();
            cx.bad(
                &sts_at,
                "only used where STS is called: with assume_role, web_identity, profile or chain",
            );
            return None;
        }
        if environment.is_none() || instance_metadata.is_none() || web_identity_on.is_none() {
            return None;
        }
        let metadata_url = opt(self.metadata_url).ok()?.map(|(u, _)| u);
        let sts_endpoint = opt(self.sts_endpoint).ok()?.map(|(u, _)| u);
        let role = match opt(self.assume_role).ok()? {
            Some((r, r_at)) => Some(r.check(cx, &r_at)?),
            None => None,
        };
        let source = match given.as_slice() {
            [] => {
                cx.bad(
                    at,
                    "no auth method given (access_key_id + secret_access_key, environment: true, profile, instance_metadata: true, web_identity, or chain: default)",
                );
                return None;
            }
            [a, b, ..] => {
                cx.bad(
                    at,
                    format!("two auth methods given ({a}, {b}); give exactly one"),
                );
                return None;
            }
            ["environment"] => {
                let env = |n: &str| cx.env(n);
                match env::environment(&env) {
                    Ok(Some(keys)) => Source::Environment(keys),
                    Ok(None) => {
                        cx.bad(at, format!("environment: {ENV_ACCESS_KEY_ID} is not set"));
                        return None;
                    }
                    Err(e) => {
                        cx.bad(at, format!("environment: {e}"));
                        return None;
                    }
                }
            }
            ["profile"] => {
                let (p, p_at) = opt(self.profile).ok()??;
                p.check(cx, &p_at)?
            }
            ["instance_metadata"] => {
                let env = |n: &str| cx.env(n);
                match env::instance_metadata(&env, metadata_url, None) {
                    Ok(Some(url)) => Source::InstanceMetadata { url },
                    Ok(None) => {
                        cx.bad(
                            at,
                            "instance_metadata: AWS_EC2_METADATA_DISABLED is true in the environment",
                        );
                        return None;
                    }
                    Err(e) => {
                        cx.bad(at, format!("instance_metadata: {e}"));
                        return None;
                    }
                }
            }
            ["web_identity"] => {
                let w = match opt(self.web_identity).ok()? {
                    Some((BoolOr::Map(w), w_at)) => (w, w_at),
                    Some((BoolOr::Bool(_), w_at)) => (WebIdentityFile::default(), w_at),
                    None => return None,
                };
                Source::WebIdentity(w.0.check(cx, &w.1)?)
            }
            ["chain"] => match opt(self.chain).ok()? {
                Some((NonEmpty(c), _)) if c == "default" => {
                    let source = run_chain(cx, at, metadata_url)?;
                    return Some(Auth {
                        source: wrap(source, role),
                        sts_endpoint,
                        by_chain: true,
                    });
                }
                Some((NonEmpty(c), c_at)) => {
                    cx.bad(
                        &c_at,
                        format!("'{c}' is not a chain; the one chain is 'default'"),
                    );
                    return None;
                }
                None => return None,
            },
            [_] => {
                let given = |k: &str| keys.iter().any(|(n, g)| *n == k && *g);
                let id = cx.secret("access_key_id", self.access_key_id, self.access_key_id_file);
                let secret = cx.secret(
                    "secret_access_key",
                    self.secret_access_key,
                    self.secret_access_key_file,
                );
                let token_given = given("session_token") || given("session_token_file");
                let token = cx.secret("session_token", self.session_token, self.session_token_file);
                for (k, got) in [
                    ("access_key_id", id.is_some()),
                    ("secret_access_key", secret.is_some()),
                ] {
                    if !got && !given(k) && !given(&format!("{k}_file")) {
                        cx.bad(
                            &At {
                                line: at.line,
                                key: format!("auth.{k}"),
                            },
                            format!("missing ({k} or {k}_file is required with static keys)"),
                        );
                    }
                }
                if token.is_none() && token_given {
                    return None;
                }
                Source::Static(StaticKeys {
                    access_key_id: id?,
                    secret_access_key: secret?,
                    session_token: token,
                    expires: None,
                })
            }
        };
        Some(Auth {
            source: wrap(source, role),
            sts_endpoint,
            by_chain: false,
        })
    }
}

/// `source`, with `role` assumed on top when given.
fn wrap(source: Source, role: Option<Role>) -> Source {
    match role {
        Some(role) => Source::AssumeRole {
            role,
            base: Box::new(source),
        },
        None => source,
    }
}

/// A role ARN or session name key, checked; `Err` when bad (reported).
fn checked(
    cx: &mut TargetCx<'_, '_, '_>,
    v: Val<NonEmpty>,
    check: fn(&str) -> Result<(), String>,
) -> Result<Option<String>, ()> {
    match opt(v)? {
        Some((NonEmpty(s), s_at)) => match check(&s) {
            Ok(()) => Ok(Some(s)),
            Err(e) => {
                cx.bad(&s_at, e);
                Err(())
            }
        },
        None => Ok(None),
    }
}

impl AssumeRoleFile {
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Role> {
        let role_given = self.role_arn.given();
        let role_arn = checked(cx, self.role_arn, role_arn);
        let session = checked(cx, self.session_name, session_name);
        let external_id = opt(self.external_id).map(|e| e.map(|(NonEmpty(s), _)| s));
        if !role_given {
            cx.bad(
                &At {
                    line: at.line,
                    key: format!("{}.role_arn", at.key),
                },
                "missing (the role to assume)",
            );
        }
        Some(Role {
            role_arn: role_arn.ok()??,
            external_id: external_id.ok()?,
            session_name: session.ok()?,
            duration_seconds: None,
        })
    }
}

impl WebIdentityFile {
    /// The keys, each defaulting to its variable (`AWS_ROLE_ARN`,
    /// `AWS_WEB_IDENTITY_TOKEN_FILE`, `AWS_ROLE_SESSION_NAME`).
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<WebIdentity> {
        let role = checked(cx, self.role_arn, role_arn).ok()?;
        let session = checked(cx, self.session_name, session_name).ok()?;
        let file = opt(self.token_file).ok()?.map(|(f, _)| cx.path(&f));
        let var = |cx: &TargetCx<'_, '_, '_>, n: &str| cx.env(n).filter(|v| !v.trim().is_empty());
        let role = role.or_else(|| var(cx, ENV_ROLE_ARN));
        let file = file.or_else(|| var(cx, ENV_WEB_IDENTITY_TOKEN_FILE).map(PathBuf::from));
        let session = session.or_else(|| var(cx, ENV_ROLE_SESSION_NAME));
        let (Some(role), Some(file)) = (role.as_ref(), file.as_ref()) else {
            let missing: Vec<String> = [
                (role.is_none(), format!("role_arn (or {ENV_ROLE_ARN})")),
                (
                    file.is_none(),
                    format!("token_file (or {ENV_WEB_IDENTITY_TOKEN_FILE})"),
                ),
            ]
            .into_iter()
            .filter_map(|(m, n)| m.then_some(n))
            .collect();
            cx.bad(at, format!("missing {}", missing.join(" and ")));
            return None;
        };
        let (role, file) = (role.clone(), file.clone());
        if let Err(e) = role_arn(&role).map_err(|e| format!("{ENV_ROLE_ARN}: {e}")) {
            cx.bad(at, e);
            return None;
        }
        if let Some(s) = &session
            && let Err(e) = session_name(s)
        {
            cx.bad(at, format!("{ENV_ROLE_SESSION_NAME}: {e}"));
            return None;
        }
        Some(WebIdentity {
            role_arn: role,
            token_file: file,
            session_name: session,
        })
    }
}

/// A path as written, `~/` expanded with `HOME` (as botocore's `os.path.expanduser`), a
/// relative one resolved against the config file's directory.
fn home_path(cx: &TargetCx<'_, '_, '_>, f: &FilePath) -> PathBuf {
    match (f.0.strip_prefix("~"), cx.env("HOME")) {
        (Ok(rest), Some(home)) if !home.trim().is_empty() => PathBuf::from(home).join(rest),
        _ => cx.path(f),
    }
}

impl ProfileFile {
    /// The profile `name` (default `AWS_PROFILE`, else `default`) of the files given (default
    /// `AWS_SHARED_CREDENTIALS_FILE` and `AWS_CONFIG_FILE`, else `~/.aws/credentials` and
    /// `~/.aws/config`), resolved now.
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Source> {
        let name = opt(self.name).ok()?.map(|(NonEmpty(n), _)| n);
        let credentials = opt(self.credentials_file)
            .ok()?
            .map(|(f, _)| home_path(cx, &f));
        let config = opt(self.config_file).ok()?.map(|(f, _)| home_path(cx, &f));
        let got = {
            let env = |n: &str| cx.env(n);
            let env: &Env<'_> = &env;
            Files::locate(env, credentials, config).and_then(|files| {
                let name = name.unwrap_or_else(|| profile::name_from(env));
                profile::explicit(&files, &name, env)
            })
        };
        match got {
            Ok(s) => Some(s),
            Err(e) => {
                cx.bad(at, format!("profile: {e}"));
                None
            }
        }
    }
}
