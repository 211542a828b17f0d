//! STS OIDC, as the SDK's `OidcStsCredentialProvider` (`huaweicloudsdkcore/auth/provider.py`,
//! the first step of its default chain) and `OidcStsAccessor`
//! (`huaweicloudsdkcore/auth/internal.py`) get temporary credentials for an agency that trusts
//! an OIDC identity provider (`docs/providers.md` "Huawei STS OIDC"):
//!
//! `POST {sts}/v5/agencies/assume-with-oidc`, not signed (the ID token is the proof), with the
//! body `{"provider_urn", "agency_urn", "agency_session_name", "id_token",
//! "duration_seconds"}` and, when given, `"policy"` and `"policy_ids"` (session policies that
//! narrow the agency's rights). STS answers with
//! `{"credentials": {"access_key_id", "secret_access_key", "security_token", "expiration"},
//! "assumed_agency", …}`, read as the SDK's `StsAccessor._process_credential` reads it (the pod
//! identity reader).
//!
//! The ID token comes from its file, read at every exchange (the issuer rotates it; the SDK
//! reads it once, when the chain picks the source), or from `HUAWEICLOUD_OIDC_ID_TOKEN`, read
//! once at load as the SDK does. It and the issued keys are registered for scrubbing while
//! they live; messages name the file or the variable, never a token. The cache, its refresh
//! ahead of expiry and its sharing: `temporary.rs`.

use std::path::PathBuf;

use super::pod_identity;
use super::sources::Issued;
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::ProviderError;
use crate::provider::http::Http;

/// Where the ID token of STS OIDC comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdTokenSource {
    /// A file, read at every exchange (`id_token_file:`, `HUAWEICLOUD_OIDC_TOKEN_FILE`).
    File(PathBuf),
    /// `HUAWEICLOUD_OIDC_ID_TOKEN`, read at load.
    Variable(Secret),
}

/// What STS OIDC sends to `POST /v5/agencies/assume-with-oidc`, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSts {
    /// STS's base URL: `sts_endpoint:`, else `HUAWEICLOUD_SDK_STS_ENDPOINT`, else the SDK's
    /// `https://sts.cn-north-4.myhuaweicloud.com`.
    pub sts_endpoint: BaseUrl,
    /// The OIDC identity provider's URN.
    pub provider_urn: String,
    /// The URN of the agency to assume (it must trust the provider).
    pub agency_urn: String,
    /// The ID token.
    pub id_token: IdTokenSource,
    /// The agency session's name (default `oidc-sts-session`).
    pub session_name: String,
    /// The credentials' lifetime in seconds (default 3600).
    pub duration_seconds: u32,
    /// A session policy (`HUAWEICLOUD_OIDC_POLICY`), sent as text.
    pub policy: Option<String>,
    /// System policy ids that bound the session (`HUAWEICLOUD_OIDC_POLICY_IDS`).
    pub policy_ids: Vec<String>,
}

/// The request's path (`OidcStsAccessor._ASSUME_AGENCY_WITH_OIDC_URI`).
pub(crate) const PATH: &str = "/v5/agencies/assume-with-oidc";
/// The variable naming the OIDC provider's URN (`OidcStsCredentialProvider._PROVIDER_URN_ENV`).
pub(crate) const ENV_PROVIDER_URN: &str = "HUAWEICLOUD_OIDC_PROVIDER_URN";
/// The variable naming the agency's URN.
pub(crate) const ENV_AGENCY_URN: &str = "HUAWEICLOUD_OIDC_AGENCY_URN";
/// The variable holding an ID token itself (taken before the file's, as the SDK does).
pub(crate) const ENV_ID_TOKEN: &str = "HUAWEICLOUD_OIDC_ID_TOKEN";
/// The variable naming the ID token's file.
pub(crate) const ENV_TOKEN_FILE: &str = "HUAWEICLOUD_OIDC_TOKEN_FILE";
/// The variable naming the agency session.
pub(crate) const ENV_SESSION_NAME: &str = "HUAWEICLOUD_OIDC_SESSION_NAME";
/// The variable giving the credentials' lifetime in seconds.
pub(crate) const ENV_DURATION_SECONDS: &str = "HUAWEICLOUD_OIDC_DURATION_SECONDS";
/// The variable holding a session policy (a JSON document, sent as text).
pub(crate) const ENV_POLICY: &str = "HUAWEICLOUD_OIDC_POLICY";
/// The variable listing system policy ids (comma-separated) that bound the session.
pub(crate) const ENV_POLICY_IDS: &str = "HUAWEICLOUD_OIDC_POLICY_IDS";
/// The STS endpoint variable (`StsHelper.STS_ENDPOINT_ENV_NAME`).
pub(crate) const ENV_STS_ENDPOINT: &str = "HUAWEICLOUD_SDK_STS_ENDPOINT";
/// The SDK's session name when none is given (`_DEFAULT_SESSION_NAME`).
pub(crate) const DEFAULT_SESSION_NAME: &str = "oidc-sts-session";
/// The SDK's lifetime when none is given (`_DEFAULT_DURATION_SECONDS`, 1 h).
pub(crate) const DEFAULT_DURATION_SECONDS: u32 = 3600;
/// The lifetimes STS accepts (15 minutes to 12 hours), and what the config checks.
pub(crate) const DURATION_RANGE: std::ops::RangeInclusive<u32> = 900..=43_200;
/// The SDK's STS endpoint when `HUAWEICLOUD_SDK_STS_ENDPOINT` is not set
/// (`StsHelper.DEFAULT_STS_ENDPOINT`): the SDK's exchange does not derive it from the region.
pub(crate) const DEFAULT_STS_ENDPOINT: &str = "https://sts.cn-north-4.myhuaweicloud.com";

/// What messages call the source (URNs and the file are not secrets; a token never shows).
pub(super) fn name(sts: &OidcSts) -> String {
    let from = match &sts.id_token {
        IdTokenSource::File(f) => format!("ID token file {}", f.display()),
        IdTokenSource::Variable(_) => format!("ID token from {ENV_ID_TOKEN}"),
    };
    format!("STS OIDC (agency {}, {from})", sts.agency_urn)
}

/// Whether `name` can be an agency session name: 2 to 128 of letters, digits and `_+=,.@-`
/// (the STS reference's rule).
pub(crate) fn session_name_ok(name: &str) -> bool {
    (2..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_+=,.@-".contains(&b))
}

/// Whether `urn` can be sent as a provider or agency URN: 1 to 1500 visible ASCII characters.
pub(crate) fn urn_ok(urn: &str) -> bool {
    (1..=1500).contains(&urn.len()) && urn.bytes().all(|b| b.is_ascii_graphic())
}

/// The request's body for `token`.
fn body(sts: &OidcSts, token: &Secret) -> String {
    let mut b = serde_json::json!({
        "provider_urn": sts.provider_urn,
        "agency_urn": sts.agency_urn,
        "agency_session_name": sts.session_name,
        "id_token": token.expose(),
        "duration_seconds": sts.duration_seconds,
    });
    if let Some(p) = &sts.policy {
        b["policy"] = serde_json::Value::String(p.clone());
    }
    if !sts.policy_ids.is_empty() {
        b["policy_ids"] = serde_json::json!(sts.policy_ids);
    }
    b.to_string()
}

/// Temporary credentials of the agency `sts.agency_urn` for the current ID token.
pub(super) async fn fetch(sts: &OidcSts, http: &Http) -> Result<Issued, ProviderError> {
    let token = match &sts.id_token {
        IdTokenSource::File(f) => super::oidc::id_token(f)?,
        IdTokenSource::Variable(t) => t.clone(),
    };
    let what = "STS POST /v5/agencies/assume-with-oidc";
    let url = format!("{}{PATH}", sts.sts_endpoint);
    let body = body(sts, &token);
    let resp = super::oidc::post(http, what, &url, None, &body).await?;
    pod_identity::decode(&resp.body, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(id_token: IdTokenSource) -> OidcSts {
        OidcSts {
            sts_endpoint: BaseUrl::parse(DEFAULT_STS_ENDPOINT).unwrap(),
            provider_urn: "iam::0123:identity-provider:gh".into(),
            agency_urn: "iam::0123:agency:exporter".into(),
            id_token,
            session_name: DEFAULT_SESSION_NAME.into(),
            duration_seconds: DEFAULT_DURATION_SECONDS,
            policy: None,
            policy_ids: Vec::new(),
        }
    }

    #[test]
    fn the_body_is_the_sdks() {
        let mut s = sts(IdTokenSource::File("/t".into()));
        let t = Secret::new("eyJ.sts-unit-test-token.sig");
        let b: serde_json::Value = serde_json::from_str(&body(&s, &t)).unwrap();
        assert_eq!(
            b,
            serde_json::json!({
                "provider_urn": "iam::0123:identity-provider:gh",
                "agency_urn": "iam::0123:agency:exporter",
                "agency_session_name": "oidc-sts-session",
                "id_token": "eyJ.sts-unit-test-token.sig",
                "duration_seconds": 3600,
            })
        );
        s.policy = Some(r#"{"Version":"5.0"}"#.into());
        s.policy_ids = vec!["p1".into(), "p2".into()];
        let b: serde_json::Value = serde_json::from_str(&body(&s, &t)).unwrap();
        assert_eq!(b["policy"], r#"{"Version":"5.0"}"#);
        assert_eq!(b["policy_ids"], serde_json::json!(["p1", "p2"]));
    }

    #[test]
    fn names_and_checks() {
        let s = sts(IdTokenSource::File("/var/run/id-token".into()));
        assert_eq!(
            name(&s),
            "STS OIDC (agency iam::0123:agency:exporter, ID token file /var/run/id-token)"
        );
        let s = sts(IdTokenSource::Variable(Secret::new("eyJ.never-shown.sig")));
        assert_eq!(
            name(&s),
            "STS OIDC (agency iam::0123:agency:exporter, ID token from HUAWEICLOUD_OIDC_ID_TOKEN)"
        );
        assert!(session_name_ok("oidc-sts-session") && session_name_ok("a.b@c,d=e+f_g"));
        assert!(!session_name_ok("x") && !session_name_ok("a b") && !session_name_ok(""));
        assert!(urn_ok("iam::0123:agency:x") && !urn_ok("") && !urn_ok("a b"));
    }
}
