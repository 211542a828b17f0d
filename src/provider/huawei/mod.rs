//! What the four Huawei Cloud providers share (each has its own folder beside this one):
//! the keys every Huawei target has (`config.rs`), endpoints from the region
//! (`endpoint.rs`), AK/SK signing of every request (`sign.rs`, a fresh signature per
//! attempt), IAM user tokens (`auth.rs`), temporary credentials from the ECS metadata
//! service, CCE pod identity, OIDC federation or STS OIDC (`temporary.rs`), the one re-sign or token
//! refresh after a 401 and
//! the back-off after credentials are rejected, status mapping, and the demo's account
//! (`demo.rs`).

mod auth;
mod config;
pub(crate) mod demo;
mod endpoint;
mod metadata;
mod oidc;
mod oidc_sts;
mod pod_identity;
mod project;
pub mod sign;
mod sources;
mod temporary;

use jiff::Timestamp;

use crate::config::value::BaseUrl;
use crate::model::{Mapped, TaskState};
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::{Http, Response};
use auth::{AUTH_BACKOFF, Authenticator, Credential};
pub(crate) use config::HuaweiKeys;
pub use config::{Auth, Common, Listed};
pub(crate) use endpoint::Service;
pub use oidc_sts::{IdTokenSource, OidcSts};
pub use sources::AkSkPair;

/// One Huawei service of one target: where to send requests and how to authenticate them.
#[derive(Debug)]
pub(crate) struct HuaweiClient {
    http: Http,
    base: BaseUrl,
    project: project::Project,
    auth: Authenticator,
}

impl HuaweiClient {
    /// The client of `service` for a target (its `endpoint`, else the region's).
    pub(crate) fn new(
        endpoint: Option<&BaseUrl>,
        common: &Common,
        service: Service,
        http: Http,
    ) -> Self {
        let base = endpoint
            .cloned()
            .unwrap_or_else(|| service.endpoint(&common.region));
        let region_iam = endpoint::IAM.endpoint(&common.region);
        let iam = common.iam_endpoint.clone().unwrap_or(region_iam.clone());
        let auth = Authenticator::new(
            &common.auth,
            common.by_chain,
            common.project_id.as_deref(),
            region_iam,
            &iam,
        );
        let project = match &common.project_id {
            Some(id) => project::Project::Known(id.clone()),
            None => project::Project::lookup(&auth, &common.region, iam),
        };
        HuaweiClient {
            http,
            base,
            project,
            auth,
        }
    }

    /// The project id, or, until IAM has given it, the project's name (the region), which
    /// [`Self::get_page`] replaces with the id in the path.
    pub(crate) fn project_id(&self) -> &str {
        self.project.shown()
    }

    /// `GET` of `segments` (each percent-encoded here) with `query`, decoded as JSON.
    pub(crate) async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(String, String)],
    ) -> Result<T, ProviderError> {
        self.get_page(what, segments, query).await?.json(what)
    }

    /// `GET` of `segments` (each percent-encoded here) with `query`: the response, for a
    /// page whose records are decoded straight from its body (see `records::decode_page`).
    pub(crate) async fn get_page(
        &self,
        what: &str,
        segments: &[&str],
        query: &[(String, String)],
    ) -> Result<Response, ProviderError> {
        self.auth.check_blocked()?;
        let project = project::resolve(self).await?;
        let mut replaced = false;
        let path: String = segments
            .iter()
            .map(|s| {
                let s = if !replaced && *s == self.project.shown() {
                    replaced = true;
                    project.as_str()
                } else {
                    s
                };
                format!("/{}", sign::quote(s))
            })
            .collect();
        self.get(what, &path, query, &project).await
    }

    async fn get(
        &self,
        what: &str,
        path: &str,
        query: &[(String, String)],
        project: &str,
    ) -> Result<Response, ProviderError> {
        let mut rejected: Option<Credential> = None;
        loop {
            let cred = self.auth.credential(&self.http, rejected.as_ref()).await?;
            let result = self
                .http
                .send(what, || {
                    self.build(&self.base, path, query, &cred, Some(project))
                })
                .await;
            match result {
                Ok(r) => return Ok(r),
                Err(e) if e.is_unauthorized() && rejected.is_none() => {
                    tracing::info!(call = what, error = %e, "Request was refused (401); retrying once with fresh credentials.");
                    rejected = Some(cred);
                }
                Err(e) if e.is_unauthorized() => {
                    tracing::warn!(call = what, error = %e, backoff_s = AUTH_BACKOFF.as_secs(), "Credentials rejected twice; pausing requests of this target.");
                    self.auth.block();
                    return Err(e);
                }
                Err(e) => {
                    tracing::debug!(call = what, reason = e.reason(), error = %e, "Request failed.");
                    return Err(e);
                }
            }
        }
    }

    /// A signed (or token-carrying) `GET` of `base` + `path`, with `X-Project-Id` when a
    /// project is given (the IAM project lookup has none).
    fn build(
        &self,
        base: &BaseUrl,
        path: &str,
        query: &[(String, String)],
        cred: &Credential,
        project: Option<&str>,
    ) -> Result<reqwest::Request, ProviderError> {
        let full_path = path;
        let mut headers: Vec<(String, String)> = project
            .map(|p| ("X-Project-Id".to_string(), p.to_string()))
            .into_iter()
            .collect();
        let query_string = match cred {
            Credential::AkSk {
                access_key,
                secret_key,
                security_token,
            } => {
                if let Some(t) = security_token {
                    headers.push(("X-Security-Token".into(), t.expose().to_string()));
                }
                let date = sign::sdk_date(Timestamp::now());
                let signed = sign::sign(
                    &sign::SignRequest {
                        method: "GET",
                        path: full_path,
                        query,
                        headers: &headers,
                        host: Some(base.host()),
                        body: b"",
                    },
                    access_key.expose(),
                    secret_key.expose(),
                    &date,
                );
                headers.push(("X-Sdk-Date".into(), signed.sdk_date));
                headers.push(("Authorization".into(), signed.authorization));
                headers.push(("Host".into(), base.host().to_string()));
                signed.query
            }
            Credential::Token(t) => {
                headers.push(("X-Auth-Token".into(), t.expose().to_string()));
                sign::canonical_query(query)
            }
        };
        let url = if query_string.is_empty() {
            format!("{base}{full_path}")
        } else {
            format!("{base}{full_path}?{query_string}")
        };
        let mut rb = self.http.client().get(url);
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        rb.build()
            .map_err(|e| ProviderError::new(Reason::Client, format!("cannot build request: {e}")))
    }
}

/// Maps a raw status through a table, case-insensitively and ignoring surrounding space.
pub(crate) fn map_status(raw: &str, table: &[(&str, TaskState)]) -> Mapped {
    let s = crate::timefmt::trim(raw);
    table
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(s))
        .map(|(_, st)| Mapped::known(*st))
        .unwrap_or_else(Mapped::unrecognised)
}

/// The task type label when the API leaves the type out (CBR `operation_type`, DMS `name`
/// absent or `null`), as Yandex's `TYPE_UNSPECIFIED` reads.
pub(crate) const UNSPECIFIED_TYPE: &str = "unspecified";

/// `code: message` of an error, or whichever is non-empty; `None` when both are empty.
pub(crate) fn error_text(code: Option<&str>, message: Option<&str>) -> Option<String> {
    let code = code.map(str::trim).filter(|s| !s.is_empty());
    let message = message.map(str::trim).filter(|s| !s.is_empty());
    match (code, message) {
        (Some(c), Some(m)) => Some(format!("{c}: {m}")),
        (Some(c), None) => Some(c.to_string()),
        (None, Some(m)) => Some(m.to_string()),
        (None, None) => None,
    }
}
