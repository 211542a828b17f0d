//! The keys every Huawei target has: `region`, `project_id`, `iam_endpoint` and `auth` (AK/SK,
//! an IAM user, OIDC federation through IAM or STS, or one of the SDK's credential sources:
//! `sources.rs`), read
//! beside each Huawei provider's own keys, and the regions this version knows.

use std::path::PathBuf;

use serde::Deserialize;

use super::endpoint::Service;
use super::oidc_sts::{self, IdTokenSource, OidcSts};
use super::pod_identity;
use super::sources::{self, AkSkPair};
use crate::config::check::{nearest, path_id};
use crate::config::de::{At, Val, fields_of};
use crate::config::keys::{Resources, TargetCx};
use crate::config::secret::Secret;
use crate::config::value::{BaseUrl, FilePath, Flag, InlineSecret, Int, NonEmpty};
use crate::provider::plugin::Keys;

/// Region, project and credentials of a Huawei target.
#[derive(Debug, Clone, PartialEq)]
pub struct Common {
    /// Region id, e.g. `ap-southeast-1`; endpoints derive from it.
    pub region: String,
    /// Project id: the scope of every request (`X-Project-Id`, IAM token scope); from the
    /// config, else from the credential source (environment, profile); `None`: looked up
    /// from IAM by the region's name (`GET /v3/projects?name={region}`).
    pub project_id: Option<String>,
    /// Where IAM is (the project lookup, the OIDC exchange): `iam_endpoint:`, else the
    /// profile's `iam_endpoint`, else `HUAWEICLOUD_SDK_IAM_ENDPOINT`; `None`: from the region.
    pub iam_endpoint: Option<BaseUrl>,
    /// AK/SK, IAM user token, or a credential source.
    pub auth: Auth,
    /// Whether `auth` was chosen by the default chain (no `auth:`, or `chain: default`).
    pub by_chain: bool,
}

/// Huawei credentials; exactly one method is configured.
#[derive(Debug, Clone, PartialEq)]
pub enum Auth {
    /// AK/SK signing (`SDK-HMAC-SHA256`), optionally with a security token.
    AkSk {
        /// Access key id.
        access_key: Secret,
        /// Secret access key.
        secret_key: Secret,
        /// Temporary credentials' security token.
        security_token: Option<Secret>,
    },
    /// IAM user token from `POST /v3/auth/tokens`.
    Iam {
        /// IAM base URL (default derived from the region).
        endpoint: Option<BaseUrl>,
        /// Account (domain) name.
        domain: String,
        /// IAM user name.
        user: String,
        /// The user's password.
        password: Secret,
    },
    /// `environment: true`: `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` and
    /// `HUAWEICLOUD_SDK_SECURITY_TOKEN`, read at load.
    Environment(AkSkPair),
    /// `profile:`: a section of the SDK's credentials file, read at load.
    Profile {
        /// The file.
        file: PathBuf,
        /// The section.
        name: String,
        /// What it holds.
        keys: AkSkPair,
    },
    /// `metadata: true`: the ECS agency's temporary credentials from the metadata service.
    Metadata {
        /// Base URL (default `http://169.254.169.254`).
        url: BaseUrl,
    },
    /// OIDC federation: the ID token in `id_token_file` exchanged with IAM, through the
    /// identity provider `idp_id`, for temporary credentials (`oidc:`, or the environment or a
    /// profile that names an identity provider).
    Oidc {
        /// The identity provider's id (`X-Idp-Id`).
        idp_id: String,
        /// The ID token's file, read at every exchange.
        id_token_file: PathBuf,
        /// Where the two came from, for the log: `oidc:`, the environment, a profile.
        given_by: String,
    },
    /// STS OIDC: an ID token exchanged with STS `assume-with-oidc` for the temporary
    /// credentials of an agency that trusts its identity provider (`oidc_sts:`, or the default
    /// chain's first step when the `HUAWEICLOUD_OIDC_*` variables are set).
    OidcSts {
        /// What the exchange sends, and where.
        sts: OidcSts,
        /// Where it came from, for the log: `oidc_sts:`, the default chain.
        given_by: String,
    },
    /// `pod_identity: true`: the CCE pod's temporary credentials.
    PodIdentity {
        /// The credentials URL (default `HC_CONTAINER_CREDENTIALS_FULL_URI`).
        url: String,
        /// The authorization token's file, read at every request (default
        /// `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`).
        token_file: PathBuf,
    },
    /// The default chain's last two steps when the pod identity variables are set: the ECS
    /// metadata service, and, when it fails at the first poll, CCE pod identity (the SDK
    /// tries them in this order and keeps the first that works).
    MetadataThenPodIdentity {
        /// The metadata service's base URL.
        metadata_url: BaseUrl,
        /// The pod identity credentials URL.
        url: String,
        /// The pod identity token's file.
        token_file: PathBuf,
    },
}

/// The keys of a Huawei target that polls a list of units it names or discovers (VBS
/// policies, CCE clusters): the project, and the units.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// Region, project, auth.
    pub common: Common,
    /// The ids listed under the provider's id key, or `discover`.
    pub resources: Resources,
}

/// The keys every Huawei target has, as written, beside the provider's own.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct CommonFile {
    region: Val<NonEmpty>,
    project_id: Val<NonEmpty>,
    iam_endpoint: Val<BaseUrl>,
    auth: Val<AuthFile>,
}

/// A Huawei provider's own keys as written; the keys every Huawei target has are read and
/// checked beside them, once for the family.
pub(crate) trait HuaweiKeys: for<'de> Deserialize<'de> {
    /// The validated keys.
    type Config;
    /// The provider id, for messages.
    const KIND: &'static str;
    /// Where its requests go.
    const SERVICE: Service;
    /// Checks the provider's own keys; `common` is `None` when the shared ones are bad
    /// (already reported).
    fn check(self, common: Option<Common>, cx: &mut TargetCx<'_, '_, '_>) -> Option<Self::Config>;
}

impl<F: HuaweiKeys> Keys for F {
    type Config = F::Config;

    fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<F::Config> {
        let common = Common::read(cx, F::KIND, F::SERVICE);
        HuaweiKeys::check(self, common, cx)
    }

    fn shared() -> &'static [&'static str] {
        fields_of::<CommonFile>()
    }

    fn credentials() -> &'static [&'static str] {
        fields_of::<AuthFile>()
    }

    fn hint(structure: &str, key: &str) -> Option<String> {
        match (structure, key) {
            ("AuthFile", "endpoint" | "domain" | "user" | "password") => {
                Some("unknown key; IAM user credentials go under 'iam:'".to_string())
            }
            _ => None,
        }
    }
}

/// `auth:` of a Huawei target as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct AuthFile {
    access_key: Val<InlineSecret>,
    access_key_file: Val<FilePath>,
    secret_key: Val<InlineSecret>,
    secret_key_file: Val<FilePath>,
    security_token: Val<InlineSecret>,
    security_token_file: Val<FilePath>,
    iam: Val<IamFile>,
    environment: Val<Flag>,
    profile: Val<ProfileFile>,
    oidc: Val<OidcFile>,
    oidc_sts: Val<OidcStsFile>,
    metadata: Val<Flag>,
    metadata_url: Val<BaseUrl>,
    pod_identity: Val<Flag>,
    pod_identity_url: Val<NonEmpty>,
    pod_identity_token_file: Val<FilePath>,
    chain: Val<NonEmpty>,
}

/// `auth.profile:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct ProfileFile {
    file: Val<FilePath>,
    name: Val<NonEmpty>,
}

/// `auth.oidc:` as written; each key defaults to the SDK's variable.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct OidcFile {
    idp_id: Val<NonEmpty>,
    id_token_file: Val<FilePath>,
}

/// `auth.oidc_sts:` as written; each key defaults to the SDK's variable.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct OidcStsFile {
    provider_urn: Val<NonEmpty>,
    agency_urn: Val<NonEmpty>,
    id_token_file: Val<FilePath>,
    session_name: Val<NonEmpty>,
    duration_seconds: Val<Int<900, 43_200>>,
    sts_endpoint: Val<BaseUrl>,
}

/// `auth.iam:` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct IamFile {
    endpoint: Val<BaseUrl>,
    domain: Val<NonEmpty>,
    user: Val<NonEmpty>,
    password: Val<InlineSecret>,
    password_file: Val<FilePath>,
}

impl Common {
    /// Reads and checks `region`, `project_id` and `auth` of a target of provider `kind`,
    /// whose requests go to `service`.
    fn read(cx: &mut TargetCx<'_, '_, '_>, kind: &str, service: Service) -> Option<Common> {
        let CommonFile {
            region,
            project_id,
            iam_endpoint,
            auth,
        } = cx.keys::<CommonFile>()?;
        let target_line = region.at().map_or(0, |a| a.line);
        let iam_endpoint = match iam_endpoint {
            Val::Given(u, _) => Ok(Some(u)),
            Val::Bad(_) => Err(()),
            Val::Absent => Ok(None),
        };
        let need = format!("required for {kind}");
        let region = match region {
            Val::Given(NonEmpty(r), at) => {
                let ok = r
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if ok {
                    // With an explicit endpoint the region only names the project's scope.
                    if !cx.has_endpoint() {
                        if let Some(doubt) = region_doubt(&r, service.prefix) {
                            cx.warn(&at, doubt);
                        }
                    }
                    Some(r)
                } else {
                    cx.bad(
                        &at,
                        format!("'{r}' is not a region id such as ap-southeast-1"),
                    );
                    None
                }
            }
            Val::Bad(_) => None,
            Val::Absent => {
                cx.missing("region", &need);
                None
            }
        };
        let resolved = match auth {
            Val::Given(a, at) => a.check(cx, &at),
            Val::Bad(_) => None,
            Val::Absent => {
                let at = At {
                    line: target_line,
                    key: "auth".into(),
                };
                chain_with(cx, &at, &Overrides::default())
            }
        };
        // Ok(None): looked up from IAM at the first poll; Err: reported.
        let project_id: Result<Option<String>, ()> = match project_id {
            Val::Given(NonEmpty(p), at) => match path_id(&p) {
                Ok(()) => Ok(Some(p)),
                Err(e) => {
                    cx.bad(&at, e);
                    Err(())
                }
            },
            Val::Bad(_) => Err(()),
            Val::Absent => {
                let from_source = resolved.as_ref().and_then(|r| r.project_id.clone());
                match from_source {
                    Some(p) if path_id(&p).is_ok() => Ok(Some(p)),
                    Some(_) => {
                        cx.missing(
                            "project_id",
                            "the credential source's project id is not a valid id",
                        );
                        Err(())
                    }
                    None if matches!(
                        resolved,
                        Some(Resolved {
                            auth: Auth::Iam { .. },
                            ..
                        })
                    ) =>
                    {
                        cx.missing("project_id", &format!("{need} with an IAM user"));
                        Err(())
                    }
                    None => Ok(None),
                }
            }
        };
        let resolved = resolved?;
        // The key, else the profile's `iam_endpoint`, else the SDK's variable.
        let iam_endpoint = match iam_endpoint {
            Ok(None) => {
                let env = cx.env(sources::ENV_IAM_ENDPOINT);
                let from = match (&resolved.iam_endpoint, env) {
                    (Some(p), _) => Some((p.clone(), "the profile's iam_endpoint")),
                    (None, Some(e)) if !e.trim().is_empty() => Some((e, sources::ENV_IAM_ENDPOINT)),
                    _ => None,
                };
                // A bad one is not used (the region's is), with a warning naming where it was.
                match from {
                    Some((url, origin)) => match BaseUrl::parse(&url) {
                        Ok(u) => Ok(Some(u)),
                        Err(e) => {
                            let at = At {
                                line: target_line,
                                key: "iam_endpoint".into(),
                            };
                            cx.warn(
                                &at,
                                format!("from {origin}: {e}; using the region's IAM endpoint"),
                            );
                            Ok(None)
                        }
                    },
                    None => Ok(None),
                }
            }
            other => other,
        };
        Some(Common {
            region: region?,
            project_id: project_id.ok()?,
            iam_endpoint: iam_endpoint.ok()?,
            auth: resolved.auth,
            by_chain: resolved.by_chain,
        })
    }
}

/// Credentials as read at load, with the project id (and IAM endpoint) their source gives.
pub(super) struct Resolved {
    pub(super) auth: Auth,
    pub(super) project_id: Option<String>,
    pub(super) iam_endpoint: Option<String>,
    pub(super) by_chain: bool,
}

impl AuthFile {
    /// Exactly one method: AK/SK (both keys, an optional security token), an IAM user, or
    /// one credential source (`environment`, `profile`, `metadata`, `chain`).
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Resolved> {
        let aksk = [
            ("access_key", self.access_key.given()),
            ("access_key_file", self.access_key_file.given()),
            ("secret_key", self.secret_key.given()),
            ("secret_key_file", self.secret_key_file.given()),
            ("security_token", self.security_token.given()),
            ("security_token_file", self.security_token_file.given()),
        ];
        let flag = |v: &Val<Flag>| match v {
            Val::Given(Flag(b), _) => Some(*b),
            Val::Bad(_) => None,
            Val::Absent => Some(false),
        };
        let (environment, metadata) = (flag(&self.environment), flag(&self.metadata));
        let pod_identity = flag(&self.pod_identity);
        let mut given: Vec<&str> = Vec::new();
        if let Some(first) = aksk.iter().find(|(_, g)| *g).map(|(k, _)| *k) {
            given.push(first);
        }
        for (name, on) in [
            ("iam", !matches!(self.iam, Val::Absent)),
            ("environment", environment == Some(true)),
            ("profile", !matches!(self.profile, Val::Absent)),
            ("oidc", !matches!(self.oidc, Val::Absent)),
            ("oidc_sts", !matches!(self.oidc_sts, Val::Absent)),
            ("metadata", metadata == Some(true)),
            ("pod_identity", pod_identity == Some(true)),
            ("chain", !matches!(self.chain, Val::Absent)),
        ] {
            if on {
                given.push(name);
            }
        }
        let chain = !matches!(self.chain, Val::Absent);
        if let (Some(url_at), false) = (self.metadata_url.at(), metadata == Some(true) || chain) {
            let url_at = url_at.clone();
            cx.bad(
                &url_at,
                "only used with 'metadata: true' or 'chain: default'",
            );
            return None;
        }
        for at in [
            self.pod_identity_url.at(),
            self.pod_identity_token_file.at(),
        ]
        .into_iter()
        .flatten()
        {
            if !(pod_identity == Some(true) || chain) {
                let at = at.clone();
                cx.bad(
                    &at,
                    "only used with 'pod_identity: true' or 'chain: default'",
                );
                return None;
            }
        }
        if environment.is_none() || metadata.is_none() || pod_identity.is_none() {
            return None;
        }
        let overrides = Overrides {
            metadata_url: match self.metadata_url {
                Val::Given(u, _) => Some(u),
                Val::Bad(_) => return None,
                Val::Absent => None,
            },
            pod_identity_url: match self.pod_identity_url {
                Val::Given(NonEmpty(u), u_at) => match pod_identity_url(&u) {
                    Ok(()) => Some(u),
                    Err(e) => {
                        cx.bad(&u_at, e);
                        return None;
                    }
                },
                Val::Bad(_) => return None,
                Val::Absent => None,
            },
            pod_identity_token_file: match &self.pod_identity_token_file {
                Val::Given(f, _) => Some(cx.path(f)),
                Val::Bad(_) => return None,
                Val::Absent => None,
            },
        };
        let plain = |auth: Auth| {
            Some(Resolved {
                auth,
                project_id: None,
                iam_endpoint: None,
                by_chain: false,
            })
        };
        match given.as_slice() {
            [] => {
                cx.bad(at, "no auth method given (access_key + secret_key, iam, environment: true, profile, oidc, oidc_sts, metadata: true, pod_identity: true, or chain: default)");
                None
            }
            [a, b, ..] => {
                cx.bad(at, format!("two auth methods given ({a}, {b})"));
                None
            }
            ["iam"] => match self.iam {
                Val::Given(iam, iam_at) => plain(iam.check(cx, &iam_at)?),
                _ => None,
            },
            ["environment"] => from_environment(cx, at),
            ["profile"] => match self.profile {
                Val::Given(p, p_at) => {
                    let file = match &p.file {
                        Val::Given(f, _) => Some(cx.path(f)),
                        Val::Bad(_) => return None,
                        Val::Absent => None,
                    };
                    let name = match p.name {
                        Val::Given(NonEmpty(n), _) => n,
                        Val::Bad(_) => return None,
                        Val::Absent => sources::PROFILE_SECTION.to_string(),
                    };
                    profile(cx, &p_at, file, &name)
                }
                _ => None,
            },
            ["oidc"] => match self.oidc {
                Val::Given(o, o_at) => plain(o.check(cx, &o_at)?),
                _ => None,
            },
            ["oidc_sts"] => match self.oidc_sts {
                Val::Given(o, o_at) => o.check(cx, &o_at),
                _ => None,
            },
            ["metadata"] => plain(Auth::Metadata {
                url: overrides
                    .metadata_url
                    .unwrap_or_else(sources::metadata_default),
            }),
            ["pod_identity"] => {
                let env = |n: &str| cx.env(n);
                match pod_identity_of(&overrides, &env) {
                    Ok((url, token_file)) => plain(Auth::PodIdentity { url, token_file }),
                    Err(e) => {
                        cx.bad(at, format!("pod_identity: {e}"));
                        None
                    }
                }
            }
            ["chain"] => match self.chain {
                Val::Given(NonEmpty(c), _) if c == "default" => chain_with(cx, at, &overrides),
                Val::Given(NonEmpty(c), c_at) => {
                    cx.bad(
                        &c_at,
                        format!("'{c}' is not a chain; the one chain is 'default'"),
                    );
                    None
                }
                _ => None,
            },
            [_] => {
                let given = |k: &str| aksk.iter().any(|(n, g)| *n == k && *g);
                let access_key = cx.secret("access_key", self.access_key, self.access_key_file);
                let secret_key = cx.secret("secret_key", self.secret_key, self.secret_key_file);
                let token_given = given("security_token") || given("security_token_file");
                let security_token = cx.secret(
                    "security_token",
                    self.security_token,
                    self.security_token_file,
                );
                for (k, got) in [
                    ("access_key", access_key.is_some()),
                    ("secret_key", secret_key.is_some()),
                ] {
                    if !got && !given(k) && !given(&format!("{k}_file")) {
                        cx.bad(
                            &At {
                                line: at.line,
                                key: format!("auth.{k}"),
                            },
                            format!("missing ({k} or {k}_file is required for AK/SK signing)"),
                        );
                    }
                }
                if security_token.is_none() && token_given {
                    return None;
                }
                plain(Auth::AkSk {
                    access_key: access_key?,
                    secret_key: secret_key?,
                    security_token,
                })
            }
        }
    }
}

/// The endpoints `auth:` overrides, for the source chosen or the chain.
#[derive(Default)]
struct Overrides {
    metadata_url: Option<BaseUrl>,
    pod_identity_url: Option<String>,
    pod_identity_token_file: Option<PathBuf>,
}

/// Whether `url` can be the pod identity URL: `http` or `https` with a host and no user info
/// (the message never quotes the value).
fn pod_identity_url(url: &str) -> Result<(), String> {
    match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => {
            Err(format!("scheme '{}' is not http or https", u.scheme()))
        }
        Ok(u) if !u.username().is_empty() || u.password().is_some() => {
            Err("a URL with user info is not accepted (the token goes in its own file)".into())
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => Err("the URL has no host".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("not a URL: {e}")),
    }
}

/// The pod identity URL and token file: the overrides, else the variables; the error names
/// what is missing.
fn pod_identity_of(
    o: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(String, PathBuf), String> {
    let get = |n: &str| env(n).filter(|v| !v.trim().is_empty());
    let url = o
        .pod_identity_url
        .clone()
        .or_else(|| get(pod_identity::ENV_URL));
    let file = o
        .pod_identity_token_file
        .clone()
        .or_else(|| get(pod_identity::ENV_TOKEN_FILE).map(PathBuf::from));
    match (url, file) {
        (Some(u), Some(f)) => {
            pod_identity_url(&u).map_err(|e| format!("{}: {e}", pod_identity::ENV_URL))?;
            Ok((u, f))
        }
        (u, f) => {
            let missing: Vec<String> = [
                (
                    u.is_none(),
                    format!("{} (or pod_identity_url)", pod_identity::ENV_URL),
                ),
                (
                    f.is_none(),
                    format!(
                        "{} (or pod_identity_token_file)",
                        pod_identity::ENV_TOKEN_FILE
                    ),
                ),
            ]
            .into_iter()
            .filter_map(|(m, n)| m.then_some(n))
            .collect();
            Err(format!("{} not set", missing.join(" and ")))
        }
    }
}

/// `auth: { environment: true }`: a missing variable is an error naming it.
fn from_environment(cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Resolved> {
    let env = |n: &str| cx.env(n);
    match sources::read_environment(&env) {
        Ok(f) => Some(environment_found(f)),
        Err(e) => {
            cx.bad(at, format!("environment: {e}"));
            None
        }
    }
}

/// `auth: { profile: { file, name } }`; `file` absent: the SDK's default place.
fn profile(
    cx: &mut TargetCx<'_, '_, '_>,
    at: &At,
    file: Option<PathBuf>,
    name: &str,
) -> Option<Resolved> {
    let env = |n: &str| cx.env(n);
    let Some(file) = file.or_else(|| sources::profile_path(&env)) else {
        cx.bad(
            at,
            format!(
                "no file given and neither {} nor HOME is set",
                sources::ENV_CREDENTIALS_FILE
            ),
        );
        return None;
    };
    match sources::read_profile(&file, name) {
        Ok(f) => Some(profile_found(file, name, f)),
        Err(e) => {
            cx.bad(at, e);
            None
        }
    }
}

/// What the environment gives: AK/SK, or OIDC federation when both of its variables are set.
fn environment_found(f: sources::Found) -> Resolved {
    let auth = match f.given {
        sources::Given::Keys(keys) => Auth::Environment(keys),
        sources::Given::Oidc {
            idp_id,
            id_token_file,
        } => Auth::Oidc {
            idp_id,
            id_token_file,
            given_by: format!("the environment ({})", sources::ENV_IDP_ID),
        },
    };
    Resolved {
        auth,
        project_id: f.project_id,
        iam_endpoint: None,
        by_chain: false,
    }
}

fn profile_found(file: PathBuf, name: &str, f: sources::Found) -> Resolved {
    let auth = match f.given {
        sources::Given::Keys(keys) => Auth::Profile {
            file,
            name: name.to_string(),
            keys,
        },
        sources::Given::Oidc {
            idp_id,
            id_token_file,
        } => Auth::Oidc {
            idp_id,
            id_token_file,
            given_by: format!("profile [{name}] of {}", file.display()),
        },
    };
    Resolved {
        auth,
        project_id: f.project_id,
        iam_endpoint: f.iam_endpoint,
        by_chain: false,
    }
}

/// The default chain: the first source that is there, in the SDK's order
/// (`CredentialProviderChain.get_basic_credential_provider_chain` in
/// `huaweicloudsdkcore/auth/provider.py`: `OidcStsCredentialProvider`, `EnvCredentialProvider`,
/// `ProfileCredentialProvider`, `MetadataCredentialProvider`, `PodIdentityCredentialProvider`):
/// STS OIDC when its provider and agency URNs and an ID token are given by the
/// `HUAWEICLOUD_OIDC_*` variables, the environment (its identity provider and ID token file
/// before its AK/SK, as `EnvCredentialProvider`), the profile (the same within its section),
/// metadata, pod identity. A source that is incomplete is skipped, as the SDK skips one that
/// raises (STS OIDC with both URNs set but no ID token, with a warning). Metadata is always
/// there: whether the service answers shows at the first poll, which, when the pod identity
/// variables are set, falls to pod identity as the SDK does.
fn chain_with(cx: &mut TargetCx<'_, '_, '_>, at: &At, overrides: &Overrides) -> Option<Resolved> {
    let from_sts = oidc_sts_of(cx, at, StsKeys::default(), true).ok()?;
    let env = |n: &str| cx.env(n);
    let chosen = from_sts
        .or_else(|| sources::read_environment(&env).ok().map(environment_found))
        .or_else(|| {
            let file = sources::profile_path(&env).filter(|p| p.is_file())?;
            let f = sources::read_profile(&file, sources::PROFILE_SECTION).ok()?;
            Some(profile_found(file, sources::PROFILE_SECTION, f))
        })
        .unwrap_or_else(|| {
            let metadata_url = overrides
                .metadata_url
                .clone()
                .unwrap_or_else(sources::metadata_default);
            let auth = match pod_identity_of(overrides, &env) {
                Ok((url, token_file)) => Auth::MetadataThenPodIdentity {
                    metadata_url,
                    url,
                    token_file,
                },
                Err(_) => Auth::Metadata { url: metadata_url },
            };
            Resolved {
                auth,
                project_id: None,
                iam_endpoint: None,
                by_chain: true,
            }
        });
    Some(Resolved {
        by_chain: true,
        ..chosen
    })
}

/// The keys of `auth.oidc_sts:` that were given (none in the chain).
#[derive(Default)]
struct StsKeys {
    provider_urn: Option<String>,
    agency_urn: Option<String>,
    id_token_file: Option<PathBuf>,
    session_name: Option<String>,
    duration_seconds: Option<u32>,
    sts_endpoint: Option<BaseUrl>,
}

/// STS OIDC from `keys`, else the SDK's variables (`OidcStsCredentialProvider`), else its
/// defaults. `Ok(None)`: the chain skips it (a URN not set; no ID token, with a warning);
/// `Err`: reported at `at`. The project id is `HUAWEICLOUD_SDK_PROJECT_ID`, as the SDK's.
fn oidc_sts_of(
    cx: &mut TargetCx<'_, '_, '_>,
    at: &At,
    keys: StsKeys,
    in_chain: bool,
) -> Result<Option<Resolved>, ()> {
    let get = |n: &str| cx.env(n).filter(|v| !v.trim().is_empty());
    let provider_urn = keys
        .provider_urn
        .or_else(|| get(oidc_sts::ENV_PROVIDER_URN));
    let agency_urn = keys.agency_urn.or_else(|| get(oidc_sts::ENV_AGENCY_URN));
    // The SDK: its own id_token, else HUAWEICLOUD_OIDC_ID_TOKEN, else the file; a file given
    // in the config comes first here.
    let id_token = match keys.id_token_file {
        Some(f) => Some(IdTokenSource::File(f)),
        None => get(oidc_sts::ENV_ID_TOKEN)
            .map(|t| IdTokenSource::Variable(Secret::new(t.trim())))
            .or_else(|| get(oidc_sts::ENV_TOKEN_FILE).map(|f| IdTokenSource::File(f.into()))),
    };
    if in_chain && (provider_urn.is_none() || agency_urn.is_none()) {
        return Ok(None);
    }
    let (Some(provider_urn), Some(agency_urn), Some(id_token)) =
        (provider_urn.clone(), agency_urn.clone(), id_token.clone())
    else {
        let missing: Vec<String> = [
            (
                provider_urn.is_none(),
                format!("{} (or provider_urn)", oidc_sts::ENV_PROVIDER_URN),
            ),
            (
                agency_urn.is_none(),
                format!("{} (or agency_urn)", oidc_sts::ENV_AGENCY_URN),
            ),
            (
                id_token.is_none(),
                format!(
                    "{} or {} (or id_token_file)",
                    oidc_sts::ENV_ID_TOKEN,
                    oidc_sts::ENV_TOKEN_FILE
                ),
            ),
        ]
        .into_iter()
        .filter_map(|(m, n)| m.then_some(n))
        .collect();
        if in_chain {
            cx.warn(
                at,
                format!(
                    "{} are set, but {} not: the default chain skips STS OIDC, as the SDK does",
                    [oidc_sts::ENV_PROVIDER_URN, oidc_sts::ENV_AGENCY_URN].join(" and "),
                    missing.join(" and ")
                ),
            );
            return Ok(None);
        }
        cx.bad(at, format!("{} not set", missing.join(" and ")));
        return Err(());
    };
    // The SDK reads the file when its chain picks the source, and skips the source if the
    // file is missing or empty: so does the chain here (the file is read again at every
    // exchange).
    if in_chain
        && let IdTokenSource::File(f) = &id_token
        && std::fs::read_to_string(f).map_or(true, |t| t.trim().is_empty())
    {
        cx.warn(
            at,
            format!(
                "{} and {} are set, but the ID token file {} is missing or empty: the default chain skips STS OIDC, as the SDK does",
                oidc_sts::ENV_PROVIDER_URN,
                oidc_sts::ENV_AGENCY_URN,
                f.display()
            ),
        );
        return Ok(None);
    }
    for (what, urn) in [("provider_urn", &provider_urn), ("agency_urn", &agency_urn)] {
        if !oidc_sts::urn_ok(urn) {
            cx.bad(
                at,
                format!("{what}: a URN is 1 to 1500 visible ASCII characters"),
            );
            return Err(());
        }
    }
    let session_name = keys
        .session_name
        .or_else(|| get(oidc_sts::ENV_SESSION_NAME))
        .unwrap_or_else(|| oidc_sts::DEFAULT_SESSION_NAME.to_string());
    if !oidc_sts::session_name_ok(&session_name) {
        cx.bad(
            at,
            "session_name: 2 to 128 letters, digits and _+=,.@- (the agency session's name)",
        );
        return Err(());
    }
    let duration_seconds = match keys.duration_seconds {
        Some(d) => d,
        None => match get(oidc_sts::ENV_DURATION_SECONDS) {
            None => oidc_sts::DEFAULT_DURATION_SECONDS,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(d) if oidc_sts::DURATION_RANGE.contains(&d) => d,
                _ => {
                    cx.bad(
                        at,
                        format!(
                            "{}: not a number of seconds from 900 to 43200",
                            oidc_sts::ENV_DURATION_SECONDS
                        ),
                    );
                    return Err(());
                }
            },
        },
    };
    let sts_endpoint = match keys.sts_endpoint {
        Some(u) => u,
        None => match get(oidc_sts::ENV_STS_ENDPOINT) {
            Some(v) => match BaseUrl::parse(&v) {
                Ok(u) => u,
                Err(e) => {
                    cx.bad(at, format!("{}: {e}", oidc_sts::ENV_STS_ENDPOINT));
                    return Err(());
                }
            },
            None => BaseUrl::parse(oidc_sts::DEFAULT_STS_ENDPOINT)
                .unwrap_or_else(|_| BaseUrl::https("sts.cn-north-4.myhuaweicloud.com".into())),
        },
    };
    let policy_ids = get(oidc_sts::ENV_POLICY_IDS)
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let given_by = if in_chain {
        format!("the default chain ({})", oidc_sts::ENV_PROVIDER_URN)
    } else {
        "auth.oidc_sts".to_string()
    };
    Ok(Some(Resolved {
        auth: Auth::OidcSts {
            sts: OidcSts {
                sts_endpoint,
                provider_urn,
                agency_urn,
                id_token,
                session_name,
                duration_seconds,
                policy: get(oidc_sts::ENV_POLICY),
                policy_ids,
            },
            given_by,
        },
        project_id: get(sources::ENV_PROJECT_ID),
        iam_endpoint: None,
        by_chain: in_chain,
    }))
}

impl OidcStsFile {
    /// The keys given, each else its variable: see [`oidc_sts_of`].
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Resolved> {
        fn plain<T>(v: Val<T>) -> Result<Option<T>, ()> {
            match v {
                Val::Given(x, _) => Ok(Some(x)),
                Val::Bad(_) => Err(()),
                Val::Absent => Ok(None),
            }
        }
        let id_token_file = match &self.id_token_file {
            Val::Given(f, _) => Some(cx.path(f)),
            Val::Bad(_) => return None,
            Val::Absent => None,
        };
        let keys = StsKeys {
            provider_urn: plain(self.provider_urn).ok()?.map(|NonEmpty(s)| s),
            agency_urn: plain(self.agency_urn).ok()?.map(|NonEmpty(s)| s),
            id_token_file,
            session_name: plain(self.session_name).ok()?.map(|NonEmpty(s)| s),
            duration_seconds: plain(self.duration_seconds)
                .ok()?
                .and_then(|Int(d)| u32::try_from(d).ok()),
            sts_endpoint: plain(self.sts_endpoint).ok()?,
        };
        oidc_sts_of(cx, at, keys, false).ok().flatten()
    }
}

/// Whether `id` can be sent as `X-Idp-Id`: visible ASCII.
fn idp_id_ok(id: &str) -> bool {
    id.bytes().all(|b| b.is_ascii_graphic())
}

impl OidcFile {
    /// The identity provider and the ID token's file: the keys, else the SDK's variables
    /// (`HUAWEICLOUD_SDK_IDP_ID`, `HUAWEICLOUD_SDK_ID_TOKEN_FILE`); the error names what is
    /// missing.
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Auth> {
        let get = |n: &str| cx.env(n).filter(|v| !v.trim().is_empty());
        let idp_from_env = matches!(self.idp_id, Val::Absent);
        let (idp_id, idp_at) = match self.idp_id {
            Val::Given(NonEmpty(i), i_at) => (Some(i), Some(i_at)),
            Val::Bad(_) => return None,
            Val::Absent => (get(sources::ENV_IDP_ID), None),
        };
        let file = match &self.id_token_file {
            Val::Given(f, _) => Some(cx.path(f)),
            Val::Bad(_) => return None,
            Val::Absent => get(sources::ENV_ID_TOKEN_FILE).map(PathBuf::from),
        };
        let (Some(idp_id), Some(id_token_file)) = (idp_id.clone(), file.clone()) else {
            let missing: Vec<String> = [
                (
                    idp_id.is_none(),
                    format!("{} (or idp_id)", sources::ENV_IDP_ID),
                ),
                (
                    file.is_none(),
                    format!("{} (or id_token_file)", sources::ENV_ID_TOKEN_FILE),
                ),
            ]
            .into_iter()
            .filter_map(|(m, n)| m.then_some(n))
            .collect();
            cx.bad(at, format!("{} not set", missing.join(" and ")));
            return None;
        };
        if !idp_id_ok(&idp_id) {
            let at = idp_at.unwrap_or_else(|| at.clone());
            cx.bad(
                &at,
                "the identity provider id must be visible ASCII (it is sent as X-Idp-Id)",
            );
            return None;
        }
        let given_by = if idp_from_env {
            format!("auth.oidc with {}", sources::ENV_IDP_ID)
        } else {
            "auth.oidc".to_string()
        };
        Some(Auth::Oidc {
            idp_id,
            id_token_file,
            given_by,
        })
    }
}

impl IamFile {
    fn check(self, cx: &mut TargetCx<'_, '_, '_>, at: &At) -> Option<Auth> {
        let ok = !matches!(self.endpoint, Val::Bad(_));
        let mut field = |k: &str, v: Val<NonEmpty>| match v {
            Val::Given(NonEmpty(s), _) => Some(s),
            Val::Bad(_) => None,
            Val::Absent => {
                let at = At {
                    line: at.line,
                    key: format!("auth.iam.{k}"),
                };
                cx.bad(&at, "missing");
                None
            }
        };
        let domain = field("domain", self.domain);
        let user = field("user", self.user);
        let given = self.password.given() || self.password_file.given();
        let password = cx.secret("password", self.password, self.password_file);
        if password.is_none() && !given {
            let at = At {
                line: at.line,
                key: "auth.iam.password".into(),
            };
            cx.bad(&at, "missing (password or password_file)");
        }
        if !ok {
            return None;
        }
        Some(Auth::Iam {
            endpoint: self.endpoint.ok(),
            domain: domain?,
            user: user?,
            password: password?,
        })
    }
}

/// The Huawei Cloud regions this version knows: the region ids of the official SDK's CBR
/// region file (`docs/providers.md` "Huawei Cloud: endpoints"), which the other services' files are subsets of.
const REGIONS: &[&str] = &[
    "af-north-1",
    "af-south-1",
    "ae-ad-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-0",
    "eu-west-101",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "ru-northwest-2",
    "sa-brazil-1",
    "tr-west-1",
];

/// Why `region` looks wrong, naming the closest known region; `None` for a known one.
/// Only a doubt: Huawei opens regions after this list was written.
fn region_doubt(region: &str, service: &str) -> Option<String> {
    if REGIONS.contains(&region) {
        return None;
    }
    let nearest = nearest(region, REGIONS, 3)
        .map(|k| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default();
    Some(format!(
        "'{region}' is not a Huawei Cloud region this version knows{nearest}; requests will go to https://{service}.{region}.myhuaweicloud.com. New regions open over time, so this is only a warning: if '{region}' is new, ignore it, or set endpoint: to silence it"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_doubts_name_the_nearest_region() {
        let d = region_doubt("ap-southest-1", "cbr").unwrap();
        assert!(d.contains("did you mean 'ap-southeast-1'?"), "{d}");
        assert!(
            d.contains("https://cbr.ap-southest-1.myhuaweicloud.com"),
            "{d}"
        );
        assert!(d.contains("only a warning"), "{d}");
        assert_eq!(region_doubt("ap-southeast-1", "cbr"), None);
        assert_eq!(region_doubt("eu-west-101", "cce"), None);
        let far = region_doubt("xx-nowhere-7", "dms").unwrap();
        assert!(!far.contains("did you mean"), "{far}");
    }
}
