//! The official SDK's credential sources, read when the config loads (`docs/providers.md`
//! "Huawei credential sources"; STS OIDC, the chain's first step, is read in `config.rs`
//! and exchanged in `oidc_sts.rs`): the environment (`HUAWEICLOUD_SDK_*`), the profile file
//! (`~/.huaweicloud/credentials`, INI), each giving AK/SK or an identity provider and ID
//! token file for OIDC federation (exchanged at run time: `oidc.rs`), the ECS metadata
//! service (fetched at run time: `metadata.rs`), and the default chain that picks the first of
//! them that is there, in the SDK's order (`huaweicloudsdkcore/auth/provider.py`,
//! `CredentialProviderChain`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::secret::Secret;
use crate::config::value::BaseUrl;

/// An AK/SK pair, with the security token of temporary credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct AkSkPair {
    /// Access key id.
    pub access_key: Secret,
    /// Secret access key.
    pub secret_key: Secret,
    /// Temporary credentials' security token.
    pub security_token: Option<Secret>,
}

/// What a source of temporary credentials issued: the keys and when they expire.
pub(super) struct Issued {
    pub(super) keys: AkSkPair,
    pub(super) expires_at: jiff::Timestamp,
}

/// What the environment or a profile gives: keys, or what OIDC federation needs.
#[derive(Debug)]
pub(super) enum Given {
    /// AK/SK (with a security token when temporary).
    Keys(AkSkPair),
    /// An identity provider and the file holding the ID token to exchange with IAM.
    Oidc {
        /// The identity provider's id (`X-Idp-Id`).
        idp_id: String,
        /// The ID token's file, read at every exchange.
        id_token_file: PathBuf,
    },
}

/// What a static source holds: the credentials, the project id and the IAM endpoint it gives
/// (if any).
#[derive(Debug)]
pub(super) struct Found {
    pub(super) given: Given,
    pub(super) project_id: Option<String>,
    /// The profile's `iam_endpoint` (the environment's is read beside `iam_endpoint:`).
    pub(super) iam_endpoint: Option<String>,
}

/// The access key variable (`EnvCredentialProvider._AK_ENV_NAME`).
pub(crate) const ENV_AK: &str = "HUAWEICLOUD_SDK_AK";
/// The secret key variable.
pub(crate) const ENV_SK: &str = "HUAWEICLOUD_SDK_SK";
/// The security token variable (temporary credentials).
pub(crate) const ENV_SECURITY_TOKEN: &str = "HUAWEICLOUD_SDK_SECURITY_TOKEN";
/// The project id variable, used when the target has no `project_id`.
pub(crate) const ENV_PROJECT_ID: &str = "HUAWEICLOUD_SDK_PROJECT_ID";
/// The identity provider variable of OIDC federation (`EnvCredentialProvider._IDP_ID_ENV_NAME`).
pub(crate) const ENV_IDP_ID: &str = "HUAWEICLOUD_SDK_IDP_ID";
/// The variable naming the ID token's file (`_ID_TOKEN_FILE_ENV_NAME`).
pub(crate) const ENV_ID_TOKEN_FILE: &str = "HUAWEICLOUD_SDK_ID_TOKEN_FILE";
/// The IAM endpoint variable (`IamHelper.IAM_ENDPOINT_ENV_NAME` in
/// `huaweicloudsdkcore/auth/internal.py`): the project lookup and the OIDC exchange.
pub(crate) const ENV_IAM_ENDPOINT: &str = "HUAWEICLOUD_SDK_IAM_ENDPOINT";
/// The variable naming the profile file.
pub(crate) const ENV_CREDENTIALS_FILE: &str = "HUAWEICLOUD_SDK_CREDENTIALS_FILE";
/// The profile section a project-scoped client reads: the SDK reads the section named after
/// its credential type, `basic` (`ProfileCredentialProvider`, `_CredentialType.BASIC`).
pub(crate) const PROFILE_SECTION: &str = "basic";
/// The metadata service (`MetadataAccessor._METADATA_ENDPOINT`).
pub(crate) const METADATA_URL: &str = "http://169.254.169.254";

/// `http://169.254.169.254`.
pub(super) fn metadata_default() -> BaseUrl {
    BaseUrl::parse(METADATA_URL).unwrap_or_else(|_| BaseUrl::https("169.254.169.254".into()))
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

/// The environment's credentials and project id: the identity provider and ID token file when
/// both are set (the SDK's `EnvCredentialProvider` takes them before AK/SK), else AK/SK; the
/// error names the missing variable.
pub(super) fn read_environment(env: &dyn Fn(&str) -> Option<String>) -> Result<Found, String> {
    let get = |name: &str| non_empty(env(name));
    if let (Some(idp_id), Some(file)) = (get(ENV_IDP_ID), get(ENV_ID_TOKEN_FILE)) {
        return Ok(Found {
            given: Given::Oidc {
                idp_id,
                id_token_file: PathBuf::from(file),
            },
            project_id: get(ENV_PROJECT_ID),
            iam_endpoint: None,
        });
    }
    let missing: Vec<&str> = [ENV_AK, ENV_SK]
        .into_iter()
        .filter(|n| get(n).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "{} not set in the environment",
            missing.join(" and ")
        ));
    }
    Ok(Found {
        given: Given::Keys(AkSkPair {
            access_key: Secret::new(get(ENV_AK).unwrap_or_default()),
            secret_key: Secret::new(get(ENV_SK).unwrap_or_default()),
            security_token: get(ENV_SECURITY_TOKEN).map(Secret::new),
        }),
        project_id: get(ENV_PROJECT_ID),
        iam_endpoint: None,
    })
}

/// Where the profile file is: `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else
/// `$HOME/.huaweicloud/credentials` (`ProfileCredentialProvider._get_credentials_file_path`).
pub(super) fn profile_path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(f) = non_empty(env(ENV_CREDENTIALS_FILE)) {
        return Some(PathBuf::from(f));
    }
    non_empty(env("HOME")).map(|h| Path::new(&h).join(".huaweicloud").join("credentials"))
}

/// The sections of an INI file as Python's `configparser` reads the SDK's file: `[name]`
/// headers, `key = value` or `key: value`, `#` and `;` comment lines, keys lower-cased.
pub(crate) fn parse_ini(text: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut section: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if let Some(name) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            let name = name.trim().to_string();
            out.entry(name.clone()).or_default();
            section = Some(name);
            continue;
        }
        let split = match (t.find('='), t.find(':')) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if let (Some(s), Some(i)) = (&section, split) {
            let (k, v) = t.split_at(i);
            out.entry(s.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v[1..].trim().to_string());
        }
    }
    out
}

/// A section's credentials (`idp_id` and `id_token_file` before `ak` and `sk`, as the SDK's
/// `ProfileCredentialProvider`), project id and `iam_endpoint`; the error names the file and
/// what is missing, never a value.
pub(super) fn read_profile(file: &Path, name: &str) -> Result<Found, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read credentials file {}: {e}", file.display()))?;
    let sections = parse_ini(&text);
    let section = sections.get(name).ok_or_else(|| {
        format!(
            "credentials file {} has no [{name}] section",
            file.display()
        )
    })?;
    let get = |k: &str| non_empty(section.get(k).cloned());
    let given = match (get("idp_id"), get("id_token_file"), get("ak"), get("sk")) {
        (Some(idp_id), Some(f), _, _) => Given::Oidc {
            idp_id,
            id_token_file: PathBuf::from(f),
        },
        (_, _, Some(ak), Some(sk)) => Given::Keys(AkSkPair {
            access_key: Secret::new(ak),
            secret_key: Secret::new(sk),
            security_token: get("security_token").map(Secret::new),
        }),
        _ => {
            return Err(format!(
                "[{name}] of credentials file {} needs ak and sk (or idp_id and id_token_file)",
                file.display()
            ));
        }
    };
    Ok(Found {
        given,
        project_id: get("project_id"),
        iam_endpoint: get("iam_endpoint"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_reads_as_configparser_does() {
        let s = parse_ini(
            "# comment\n[basic]\nak = AK1\nSK: s=k\n; other\n[global]\nak=AK2\n\n[basic]\nproject_id = p1\n",
        );
        assert_eq!(s["basic"]["ak"], "AK1");
        assert_eq!(s["basic"]["sk"], "s=k");
        assert_eq!(s["basic"]["project_id"], "p1");
        assert_eq!(s["global"]["ak"], "AK2");
    }

    #[test]
    fn environment_names_the_missing_variable() {
        let e = read_environment(&|n: &str| (n == ENV_AK).then(|| "a".to_string()))
            .err()
            .unwrap();
        assert_eq!(e, "HUAWEICLOUD_SDK_SK not set in the environment");
        let r = read_environment(&|n: &str| match n {
            ENV_AK | ENV_SK => Some("x".into()),
            ENV_PROJECT_ID => Some("p".into()),
            _ => None,
        })
        .ok()
        .unwrap();
        assert_eq!(r.project_id.as_deref(), Some("p"));
        assert!(matches!(r.given, Given::Keys(_)));
        // Both OIDC variables: federation, before AK/SK, as the SDK.
        let r = read_environment(&|n: &str| match n {
            ENV_AK | ENV_SK | ENV_IDP_ID => Some("x".into()),
            ENV_ID_TOKEN_FILE => Some("/var/run/id-token".into()),
            _ => None,
        })
        .ok()
        .unwrap();
        assert!(
            matches!(&r.given, Given::Oidc { idp_id, id_token_file } if idp_id == "x" && id_token_file == Path::new("/var/run/id-token")),
            "{r:?}"
        );
    }
}
