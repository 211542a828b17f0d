//! The project id when the config and the credential source give none: as the SDK's
//! `BasicCredentials.process_auth_params` does (`huaweicloudsdkcore/auth/credentials.py`,
//! `IamHelper.get_keystone_list_projects_request` in `auth/internal.py`), IAM
//! `GET /v3/projects?name={region}` signed with the target's own credentials; none is an error
//! naming the region, several are an error listing them. Cached for the process per
//! (credentials, region, IAM endpoint), one lookup at a time per key; a failed lookup is tried
//! again at the next poll.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::OnceCell;

use super::HuaweiClient;
use super::auth::Authenticator;
use crate::config::value::BaseUrl;
use crate::provider::error::{ProviderError, Reason};

/// The project of a Huawei client.
#[derive(Debug)]
pub(super) enum Project {
    /// Configured or given by the credential source.
    Known(String),
    /// Looked up by its name, the region.
    Lookup {
        region: String,
        iam: BaseUrl,
        cell: Arc<OnceCell<String>>,
    },
}

impl Project {
    /// The lookup of the project named `region`, shared with every client of the same
    /// credentials, region and IAM endpoint.
    pub(super) fn lookup(auth: &Authenticator, region: &str, iam: BaseUrl) -> Project {
        type Cells = Mutex<HashMap<String, Arc<OnceCell<String>>>>;
        static ALL: OnceLock<Cells> = OnceLock::new();
        let key = format!("{}|{region}|{iam}", auth.identity());
        let mut all = ALL
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let cell = Arc::clone(all.entry(key).or_default());
        Project::Lookup {
            region: region.to_string(),
            iam,
            cell,
        }
    }

    /// The id, or when it is looked up the name (the region): what units and paths carry,
    /// stable for the client's life; `get_page` replaces the name in paths with the id.
    pub(super) fn shown(&self) -> &str {
        match self {
            Project::Known(id) => id,
            Project::Lookup { region, .. } => region,
        }
    }
}

#[derive(serde::Deserialize)]
struct Projects {
    #[serde(default)]
    projects: Vec<ProjectItem>,
}

#[derive(serde::Deserialize)]
struct ProjectItem {
    id: String,
}

/// The project id of `client`, looked up once.
pub(super) async fn resolve(client: &HuaweiClient) -> Result<String, ProviderError> {
    let (region, iam, cell) = match &client.project {
        Project::Known(id) => return Ok(id.clone()),
        Project::Lookup { region, iam, cell } => (region, iam, cell),
    };
    cell.get_or_try_init(|| fetch(client, region, iam))
        .await
        .cloned()
}

async fn fetch(
    client: &HuaweiClient,
    region: &str,
    iam: &BaseUrl,
) -> Result<String, ProviderError> {
    let what = "IAM GET /v3/projects";
    let query = vec![("name".to_string(), region.to_string())];
    let cred = client.auth.credential(&client.http, None).await?;
    let resp = client
        .http
        .send(what, || {
            client.build(iam, "/v3/projects", &query, &cred, None)
        })
        .await
        .map_err(|e| {
            ProviderError::new(
                e.reason,
                format!(
                    "looking up the project of region '{region}' with {}: {}",
                    client.auth.source, e.message
                ),
            )
        })?;
    let body: Projects = resp.json(what)?;
    match body.projects.as_slice() {
        [one] => {
            tracing::info!(region, source = %client.auth.source, "Looked up the project id of the region.");
            Ok(one.id.clone())
        }
        [] => Err(ProviderError::new(
            Reason::Client,
            format!(
                "the account of {} has no project named '{region}' (IAM {iam}/v3/projects?name={region}); check the region, or set project_id",
                client.auth.source
            ),
        )),
        many => Err(ProviderError::new(
            Reason::Client,
            format!(
                "the account of {} has {} projects named '{region}' ({}); set project_id",
                client.auth.source,
                many.len(),
                many.iter()
                    .map(|p| p.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}
