//! The credentials of an `aws_backup` target: the `auth:` block as written ([`AuthFile`]),
//! validated ([`Auth`]), and at run time the source that hands out the [`Credentials`] each
//! request is signed with ([`CredentialSource`]).
//!
//! Sources (exactly one; `docs/providers.md` "AWS credentials"):
//!
//! - static keys (`access_key_id`, `secret_access_key`, optional `session_token`, each also as
//!   `*_file`) and `environment: true` (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//!   `AWS_SESSION_TOKEN`), read when the config loads;
//! - `profile`: a profile of the shared credentials and config files (`ini.rs` reads them as
//!   botocore does, `profile.rs` resolves the profile into keys, a role or web identity),
//!   read when the config loads;
//! - `instance_metadata`: the EC2 instance role through IMDSv2 (`imds.rs`);
//! - `web_identity`: STS `AssumeRoleWithWebIdentity` with a token file, as EKS IAM roles for
//!   service accounts provide (`sts.rs`);
//! - `chain: default`, or no `auth:`: the first of these that is there, in botocore's order,
//!   container credentials (ECS, EKS Pod Identity: `container.rs`) included (`chain.rs`).
//!
//! On top of any of them `assume_role` assumes a role with STS `AssumeRole`, signed by the
//! source's credentials. Temporary credentials are refreshed ahead of their expiry, once for
//! every target of the process that uses the same source (`refresh.rs`).

mod chain;
mod config;
mod container;
mod env;
mod imds;
mod ini;
mod profile;
mod refresh;
mod source;
mod sts;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::config::secret::Secret;
use crate::config::value::BaseUrl;
use crate::provider::error::ProviderError;
use crate::provider::http::Http;
pub(crate) use config::Auth;
#[allow(
    unused_imports,
    reason = "the provider's config reads the auth block through it"
)]
pub(crate) use config::AuthFile;
use refresh::Shared;
pub(crate) use source::{ENV_ACCESS_KEY_ID, Role, Source, StaticKeys, WebIdentity};
use source::ENV_CREDENTIAL_EXPIRATION;
use sts::Sts;

/// Credentials that sign one request.
#[derive(Clone)]
pub(crate) struct Credentials {
    /// The access key id (`AKIA…`, `ASIA…` for temporary credentials).
    pub(crate) access_key_id: String,
    /// The secret access key.
    pub(crate) secret_access_key: Secret,
    /// The session token of temporary credentials.
    pub(crate) session_token: Option<Secret>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("session_token", &self.session_token.is_some())
            .finish_non_exhaustive()
    }
}

impl StaticKeys {
    fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: self.access_key_id.expose().to_string(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
        }
    }
}

/// How a source's temporary credentials are obtained.
enum Fetch {
    Imds(BaseUrl),
    Container(source::Container),
    WebIdentity {
        sts: Sts,
        w: WebIdentity,
    },
    AssumeRole {
        sts: Sts,
        role: Role,
        base: Arc<Node>,
    },
}

/// A source at run time.
enum Node {
    /// Keys that are not fetched: they work until `expires`, where the environment gives one
    /// (`AWS_CREDENTIAL_EXPIRATION`), else for as long as the account keeps them.
    Fixed {
        credentials: Credentials,
        expires: Option<Timestamp>,
    },
    /// Temporary credentials, shared process-wide by every target of the same source.
    Temporary { shared: Arc<Shared>, fetch: Fetch },
}

/// A target's credential source at run time.
#[derive(Clone)]
pub(crate) struct CredentialSource {
    node: Arc<Node>,
    described: String,
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSource")
            .field("source", &self.described)
            .finish()
    }
}

/// What the log and messages call a source (file names, ARNs, URLs; never a secret).
fn describe(source: &Source) -> String {
    match source {
        Source::Static(_) => "static keys".into(),
        Source::Environment(k) => match k.expires {
            Some(t) => format!("environment ({ENV_ACCESS_KEY_ID}, expiring at {t})"),
            None => format!("environment ({ENV_ACCESS_KEY_ID})"),
        },
        Source::Profile {
            name,
            resolved,
            detail,
        } => {
            let detail = if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            };
            format!("profile {name}{detail}: {}", describe(resolved))
        }
        Source::InstanceMetadata { url } => imds::name(url),
        Source::WebIdentity(w) => web_identity_name(w),
        Source::Container(c) => container::name(c),
        Source::AssumeRole { role, base } => {
            format!("assume role {} with {}", role.role_arn, describe(base))
        }
    }
}

fn web_identity_name(w: &WebIdentity) -> String {
    format!(
        "web identity ({}, token file {})",
        w.role_arn,
        w.token_file.display()
    )
}

fn hash(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The run-time node of `source` and the key that identifies it process-wide (never shown:
/// it holds a hash of a secret).
fn build(source: &Source, sts: &Sts) -> (Arc<Node>, String) {
    match source {
        Source::Static(k) | Source::Environment(k) => {
            let key = format!(
                "keys {} {}",
                hash(k.access_key_id.expose()),
                hash(k.secret_access_key.expose())
            );
            let node = Node::Fixed {
                credentials: k.credentials(),
                expires: k.expires,
            };
            (Arc::new(node), key)
        }
        Source::Profile { resolved, .. } => build(resolved, sts),
        Source::InstanceMetadata { url } => {
            let key = format!("imds {url}");
            let shared = refresh::shared(&key, &imds::name(url));
            let fetch = Fetch::Imds(url.clone());
            (Arc::new(Node::Temporary { shared, fetch }), key)
        }
        Source::Container(c) => {
            let key = format!("container {}", hash(&c.url));
            let shared = refresh::shared(&key, &container::name(c));
            let fetch = Fetch::Container(c.clone());
            (Arc::new(Node::Temporary { shared, fetch }), key)
        }
        Source::WebIdentity(w) => {
            let key = format!(
                "web identity {} {} {} {:?}",
                sts.endpoint,
                w.role_arn,
                w.token_file.display(),
                w.session_name
            );
            let shared = refresh::shared(&key, &web_identity_name(w));
            let fetch = Fetch::WebIdentity {
                sts: sts.clone(),
                w: w.clone(),
            };
            (Arc::new(Node::Temporary { shared, fetch }), key)
        }
        Source::AssumeRole { role, base } => {
            let (base, base_key) = build(base, sts);
            let key = format!(
                "assume role {} {} {:?} {:?} {:?} with {base_key}",
                sts.endpoint,
                role.role_arn,
                role.external_id.as_deref().map(hash),
                role.session_name,
                role.duration_seconds
            );
            let shared = refresh::shared(&key, &format!("assume role {}", role.role_arn));
            let fetch = Fetch::AssumeRole {
                sts: sts.clone(),
                role: role.clone(),
                base,
            };
            (Arc::new(Node::Temporary { shared, fetch }), key)
        }
    }
}

type CredentialsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Credentials, ProviderError>> + Send + 'a>>;

/// The credentials of `node` (recursive: a role's base first).
fn credentials_of<'a>(node: &'a Node, http: &'a Http) -> CredentialsFuture<'a> {
    Box::pin(async move {
        match node {
            Node::Fixed {
                expires: Some(t),
                ..
            } if Timestamp::now() >= *t => Err(ProviderError::auth(format!(
                "the keys from the environment expired at {t} ({ENV_CREDENTIAL_EXPIRATION}); \
                 start the exporter with fresh ones"
            ))),
            Node::Fixed { credentials, .. } => Ok(credentials.clone()),
            Node::Temporary { shared, fetch } => {
                shared
                    .get(|| async {
                        match fetch {
                            Fetch::Imds(url) => imds::fetch(url, http).await,
                            Fetch::Container(c) => container::fetch(c, http).await,
                            Fetch::WebIdentity { sts, w } => {
                                sts::assume_role_with_web_identity(sts, w, http).await
                            }
                            Fetch::AssumeRole { sts, role, base } => {
                                let base = credentials_of(base, http).await?;
                                sts::assume_role(sts, role, &base, http).await
                            }
                        }
                    })
                    .await
            }
        }
    })
}

impl CredentialSource {
    /// The source of `auth`, for a target in `region` (where STS is, and the region its
    /// signatures name). Logs the source chosen (never a secret).
    pub(crate) fn new(auth: &Auth, region: &str) -> CredentialSource {
        let sts = Sts::new(auth.sts_endpoint.as_ref(), region);
        let (node, _) = build(&auth.source, &sts);
        let described = describe(&auth.source);
        tracing::info!(
            source = %described,
            chosen_by = if auth.by_chain { "default chain" } else { "config" },
            "AWS credential source."
        );
        CredentialSource { node, described }
    }

    /// Current credentials, refreshing temporary ones ahead of expiry (single-flight).
    pub(crate) async fn credentials(&self, http: &Http) -> Result<Credentials, ProviderError> {
        credentials_of(&self.node, http).await
    }

    /// Tells the source that the API refused `used` as expired or unknown (`ExpiredTokenException`,
    /// `UnrecognizedClientException`): temporary credentials are fetched anew at the next
    /// [`Self::credentials`] (once, however many requests report them); keys that do not
    /// expire are kept.
    pub(crate) fn rejected(&self, used: &Credentials) {
        if let Node::Temporary { shared, .. } = &*self.node {
            shared.forget(&used.access_key_id);
        }
    }

    /// For the start log line and messages: `static keys`, `environment (AWS_ACCESS_KEY_ID)`,
    /// `profile prod (…): …`, `instance metadata (http://169.254.169.254)`, `web identity
    /// (…)`, `assume role … with …`.
    pub(crate) fn describe(&self) -> String {
        self.described.clone()
    }
}

#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;
