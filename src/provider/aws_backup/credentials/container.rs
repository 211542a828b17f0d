//! Container credentials (ECS task roles, EKS Pod Identity), as botocore's `ContainerProvider`
//! (`botocore/credentials.py`) and `ContainerMetadataFetcher` (`botocore/utils.py`) get them:
//! `GET http://169.254.170.2{AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`, or
//! `GET {AWS_CONTAINER_CREDENTIALS_FULL_URI}` (https, or http to a loopback address or one of
//! the container hosts), with `Authorization` from the file
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` (read at every request: the platform rotates it) or
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`; JSON `AccessKeyId`, `SecretAccessKey`, `Token`,
//! `Expiration`. <https://docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html>

use std::path::PathBuf;

use super::refresh::Issued;
use super::source::{Authorization, Container, Env, var};
use crate::config::secret::Secret;
use crate::provider::error::{ProviderError, Reason};
use crate::provider::http::Http;

/// The relative URI variable (ECS).
pub(crate) const ENV_RELATIVE_URI: &str = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
/// The full URI variable (EKS Pod Identity, ECS Anywhere).
pub(crate) const ENV_FULL_URI: &str = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
/// The authorization token file variable.
pub(crate) const ENV_TOKEN_FILE: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
/// The authorization token variable.
pub(crate) const ENV_TOKEN: &str = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
/// Where a relative URI points (`ContainerMetadataFetcher.IP_ADDRESS`).
const HOST: &str = "169.254.170.2";
/// The hosts plain http may go to besides loopback (`_ALLOWED_HOSTS`).
const ALLOWED_HOSTS: [&str; 4] = [HOST, "169.254.170.23", "fd00:ec2::23", "localhost"];

/// Whether `url` may be asked (`_validate_allowed_url`): https anywhere; http only to a
/// loopback address or a container host. The message never quotes the URL (it may carry a
/// secret in its query).
fn allowed(url: &str) -> Result<(), String> {
    let u = reqwest::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let host = u.host_str().unwrap_or("");
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = bare
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback());
    match u.scheme() {
        "https" => Ok(()),
        "http" if loopback || ALLOWED_HOSTS.contains(&bare) => Ok(()),
        "http" => Err(format!(
            "http to host '{host}' is not allowed: only to a loopback address or one of {}",
            ALLOWED_HOSTS.join(", ")
        )),
        other => Err(format!("scheme '{other}' is not http or https")),
    }
}

/// The endpoint the variables name; `None` when neither URI variable is set.
pub(crate) fn from_env(env: &Env<'_>) -> Result<Option<Container>, String> {
    let url = match (var(env, ENV_RELATIVE_URI), var(env, ENV_FULL_URI)) {
        (Some(rel), _) => format!("http://{HOST}{rel}"),
        (None, Some(full)) => {
            allowed(&full).map_err(|e| format!("{ENV_FULL_URI}: {e}"))?;
            full
        }
        (None, None) => return Ok(None),
    };
    let authorization = match (var(env, ENV_TOKEN_FILE), var(env, ENV_TOKEN)) {
        (Some(f), _) => Authorization::File(PathBuf::from(f)),
        (None, Some(t)) => Authorization::Value(Secret::new(t)),
        (None, None) => Authorization::None,
    };
    Ok(Some(Container { url, authorization }))
}

/// What messages call the endpoint (its URL without the query).
pub(crate) fn name(c: &Container) -> String {
    let shown = c.url.split(['?', '#']).next().unwrap_or("");
    format!("container credentials ({shown})")
}

fn token(a: &Authorization) -> Result<Option<Secret>, ProviderError> {
    let t = match a {
        Authorization::None => return Ok(None),
        Authorization::Value(s) => s.clone(),
        Authorization::File(f) => {
            let text = std::fs::read_to_string(f).map_err(|e| {
                ProviderError::auth(format!("cannot read the token file {}: {e}", f.display()))
            })?;
            Secret::new(text.trim())
        }
    };
    if t.expose().is_empty() || t.expose().contains(['\r', '\n']) {
        return Err(ProviderError::auth(
            "the container authorization token is empty or not a legal header value",
        ));
    }
    Ok(Some(t))
}

/// The credentials from the endpoint.
pub(crate) async fn fetch(c: &Container, http: &Http) -> Result<Issued, ProviderError> {
    let what = "container credentials GET";
    let token = token(&c.authorization)?;
    let resp = http
        .send(what, || {
            let mut rb = http
                .client()
                .get(&c.url)
                .header("accept", "application/json");
            if let Some(t) = &token {
                rb = rb.header("authorization", t.expose());
            }
            rb.build()
                .map_err(|e| ProviderError::new(Reason::Client, format!("{what}: {e}")))
        })
        .await?;
    // The same document as the instance metadata's (botocore's `ContainerProvider`).
    super::imds::decode(&resp.body, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |n: &str| {
            vars.iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn the_variables_name_the_endpoint_as_botocore_reads_them() {
        let c = from_env(&env(&[
            (ENV_RELATIVE_URI, "/v2/credentials/abc"),
            (ENV_FULL_URI, "http://example.com/ignored"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(c.url, "http://169.254.170.2/v2/credentials/abc");
        assert_eq!(c.authorization, Authorization::None);
        let c = from_env(&env(&[
            (ENV_FULL_URI, "http://169.254.170.23/v1/credentials"),
            (
                ENV_TOKEN_FILE,
                "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token",
            ),
            (ENV_TOKEN, "ignored-when-a-file-is-named"),
        ]))
        .unwrap()
        .unwrap();
        assert!(matches!(c.authorization, Authorization::File(_)));
        assert_eq!(
            name(&c),
            "container credentials (http://169.254.170.23/v1/credentials)"
        );
        for ok in [
            "https://creds.example.com/x",
            "http://127.0.0.1:9/x",
            "http://[::1]/x",
            "http://localhost/x",
        ] {
            assert_eq!(allowed(ok), Ok(()), "{ok}");
        }
        let e = from_env(&env(&[(ENV_FULL_URI, "http://example.com/x")])).unwrap_err();
        assert!(
            e.starts_with(
                "AWS_CONTAINER_CREDENTIALS_FULL_URI: http to host 'example.com' is not allowed"
            ),
            "{e}"
        );
        assert_eq!(from_env(&env(&[])).unwrap(), None);
    }

    #[test]
    fn answers_and_tokens() {
        let decode = super::super::imds::decode;
        let i = decode(br#"{"AccessKeyId":"ASIACONTAINER","SecretAccessKey":"container-secret-0123","Token":"container-token-0123","Expiration":"2026-12-07T16:00:00Z","AccountId":"111122223333"}"#, "x").unwrap();
        assert_eq!(i.credentials.access_key_id, "ASIACONTAINER");
        let e = decode(br#"{"AccessKeyId":"A"}"#, "x").err().unwrap();
        assert_eq!(e.message, "x: no Expiration in the answer");
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("token");
        std::fs::write(&f, "pod-identity-token-0123\n").unwrap();
        let t = token(&Authorization::File(f.clone())).unwrap().unwrap();
        assert_eq!(t.expose(), "pod-identity-token-0123");
        std::fs::write(&f, "a\nb").unwrap();
        assert!(token(&Authorization::File(f)).is_err());
    }
}
