//! OIDC federation, as the SDK's `FederalAccessor` (`huaweicloudsdkcore/auth/internal.py`)
//! gets temporary credentials from an identity provider's ID token (`docs/providers.md`
//! "Huawei OIDC federation"):
//!
//! 1. the ID token, the content of its file (read at every exchange: the issuer rotates it;
//!    surrounding white space dropped), goes to IAM `POST /v3.0/OS-AUTH/id-token/tokens` with
//!    the identity provider's id as `X-Idp-Id` and the body
//!    `{"auth": {"id_token": {"id": …}}}`; IAM answers 201 with an unscoped federated token in
//!    `X-Subject-Token` (`IamHelper.create_unscoped_token_by_id_token`);
//! 2. that token goes to IAM `POST /v3.0/OS-CREDENTIAL/securitytokens` with the body
//!    `{"auth": {"identity": {"methods": ["token"], "token": {"id": …, "duration_seconds":
//!    21600}}}}` (the SDK's 6 hours, `FederalAccessor._DEFAULT_DURATION_SECONDS`); IAM answers
//!    201 with `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`, read as
//!    the SDK's `StsAccessor._process_credential` reads it (the pod identity reader).
//!
//! Neither request is signed, as in the SDK. The ID token and the federated token are
//! registered for scrubbing while they live; messages name the file, never its content. The
//! cache, its refresh ahead of expiry and its sharing: `temporary.rs`.

use std::path::Path;

use super::pod_identity;
use super::sources::Issued;
use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The ID token exchange (`IamHelper.CREATE_TOKEN_BY_ID_TOKEN_URI`).
const ID_TOKEN_PATH: &str = "/v3.0/OS-AUTH/id-token/tokens";
/// The temporary access key request (`IamHelper.CREATE_TEMPORARY_ACCESS_KEY_BY_TOKEN_URI`).
const SECURITY_TOKENS_PATH: &str = "/v3.0/OS-CREDENTIAL/securitytokens";
/// The lifetime the SDK asks for (`FederalAccessor._DEFAULT_DURATION_SECONDS`, 6 h).
pub(crate) const DURATION_SECONDS: u32 = 6 * 3600;
/// The body's content type, as the SDK sends it.
const CONTENT_TYPE: &str = "application/json;charset=UTF-8";

/// What messages call the source (the identity provider's id and the file are not secrets).
pub(super) fn name(idp_id: &str, id_token_file: &Path) -> String {
    format!(
        "OIDC federation (identity provider {idp_id}, ID token file {})",
        id_token_file.display()
    )
}

/// The ID token in `file`, registered for scrubbing; the error names the file, never its
/// content (also the STS OIDC source's, `oidc_sts.rs`).
pub(super) fn id_token(file: &Path) -> Result<Secret, ProviderError> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        ProviderError::new(
            Reason::Auth,
            format!("cannot read the ID token file {}: {e}", file.display()),
        )
    })?;
    let t = text.trim();
    if t.is_empty() {
        return Err(ProviderError::new(
            Reason::Auth,
            format!("the ID token file {} is empty", file.display()),
        ));
    }
    Ok(Secret::new(t))
}

/// The exchange's two bodies.
fn id_token_body(token: &Secret) -> String {
    serde_json::json!({"auth": {"id_token": {"id": token.expose()}}}).to_string()
}

fn security_tokens_body(federated: &Secret) -> String {
    serde_json::json!({"auth": {"identity": {
        "methods": ["token"],
        "token": {"id": federated.expose(), "duration_seconds": DURATION_SECONDS},
    }}})
    .to_string()
}

/// Temporary credentials for the ID token in `id_token_file`, through the identity provider
/// `idp_id`, from IAM at `iam`.
pub(super) async fn fetch(
    iam: &BaseUrl,
    idp_id: &str,
    id_token_file: &Path,
    http: &Http,
) -> Result<Issued, ProviderError> {
    let token = id_token(id_token_file)?;
    let what = "IAM POST /v3.0/OS-AUTH/id-token/tokens";
    let url = format!("{iam}{ID_TOKEN_PATH}");
    let body = id_token_body(&token);
    let resp = post(http, what, &url, Some(("X-Idp-Id", idp_id)), &body).await?;
    let federated = resp
        .headers
        .get("x-subject-token")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .ok_or_else(|| ProviderError::decode(format!("{what}: no X-Subject-Token header")))?;
    drop(token);
    let what = "IAM POST /v3.0/OS-CREDENTIAL/securitytokens";
    let url = format!("{iam}{SECURITY_TOKENS_PATH}");
    let body = security_tokens_body(&federated);
    let resp = post(http, what, &url, None, &body).await?;
    pod_identity::decode(&resp.body, what)
}

/// POSTs the JSON `body` to `url` (with one more header, when given): the federation's
/// calls and STS's `AssumeAgencyWithOIDC`.
pub(super) async fn post(
    http: &Http,
    what: &str,
    url: &str,
    header: Option<(&str, &str)>,
    body: &str,
) -> Result<crate::provider::http::Response, ProviderError> {
    http.send(what, || {
        let mut req = http.client().post(url).header("content-type", CONTENT_TYPE);
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        req.body(body.to_string())
            .build()
            .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_the_sdks() {
        let t = Secret::new("eyJ.oidc-unit-test-token.sig");
        let b: serde_json::Value = serde_json::from_str(&id_token_body(&t)).unwrap();
        assert_eq!(b["auth"]["id_token"]["id"], "eyJ.oidc-unit-test-token.sig");
        let f = Secret::new("MIIfederated-unit-test");
        let b: serde_json::Value = serde_json::from_str(&security_tokens_body(&f)).unwrap();
        let id = &b["auth"]["identity"];
        assert_eq!(id["methods"], serde_json::json!(["token"]));
        assert_eq!(id["token"]["id"], "MIIfederated-unit-test");
        assert_eq!(id["token"]["duration_seconds"], 21600);
    }

    #[test]
    fn the_id_token_file_is_named_never_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("id-token");
        let e = id_token(&f).unwrap_err();
        assert_eq!(e.reason, Reason::Auth);
        assert!(
            e.message.starts_with("cannot read the ID token file "),
            "{}",
            e.message
        );
        std::fs::write(&f, "\n").unwrap();
        assert!(id_token(&f).unwrap_err().message.ends_with("is empty"));
        std::fs::write(&f, " eyJ.unit.sig\n").unwrap();
        assert_eq!(id_token(&f).unwrap().expose(), "eyJ.unit.sig");
    }
}
