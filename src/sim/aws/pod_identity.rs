//! The EKS Pod Identity Agent (`GET /v1/credentials`) with the EKS Auth call behind it
//! (`AssumeRoleForPodIdentity`), from the agent's documentation and the EKS Auth API model
//! (`botocore/data/eks-auth/2023-11-26/service-2.json`):
//! - <https://docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html>: a pod gets
//!   `AWS_CONTAINER_CREDENTIALS_FULL_URI=http://169.254.170.23/v1/credentials` and
//!   `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`, a projected service account token with the
//!   audience `pods.eks.amazonaws.com`; the SDKs send the file's content as `Authorization`;
//! - the agent checks the token before asking EKS Auth: none is 400 `Service account token
//!   cannot be empty`, one that is not a JWT is 400 `Service account token cannot be parsed:
//!   …`, one past its `exp` is 400 `Service account token failed basic claim validations: …`;
//!   EKS Auth's own errors come back with their status and `(Code): message, fault: client`
//!   (`InvalidTokenException` and `ExpiredTokenException` 400, `ResourceNotFoundException`
//!   404, `ThrottlingException` 429). Every error body is plain text;
//! - the answer: JSON `AccessKeyId`, `SecretAccessKey`, `Token`, `AccountId`, `Expiration`
//!   (RFC 3339).
//!
//! The tokens are the simulator's own ([`AwsState::pod_identity_token`]), signed with a key
//! of this simulator (HS256 where a cluster signs RS256 with its service account key): EKS
//! Auth verifies the signature, so a token the simulator did not issue is
//! `InvalidTokenException`. The agent's check of the address it was called on
//! (`169.254.170.23` or `fd00:ec2::23`, else 403) is not made: the simulator listens on
//! loopback.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AwsState;
use super::wire::{self, PodIdentityCredentials};
use crate::sim::{Sim, SimRequest, SimResponse};

/// The path the agent serves.
pub(super) const PATH: &str = "/v1/credentials";
/// The audience of a pod identity token.
const AUDIENCE: &str = "pods.eks.amazonaws.com";

/// The claims of a projected service account token that matter here.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Vec<String>,
    exp: i64,
    iat: i64,
    nbf: i64,
}

/// What Go's `http.Error` writes.
fn text(status: u16, message: &str) -> SimResponse {
    SimResponse {
        status,
        headers: vec![
            ("content-type".into(), "text/plain; charset=utf-8".into()),
            ("x-content-type-options".into(), "nosniff".into()),
        ],
        body: bytes::Bytes::from(format!("{message}\n")),
    }
}

/// An EKS Auth error as the agent passes it on.
fn eks_auth(status: u16, code: &str, message: &str) -> SimResponse {
    let id = format!("{:032x}", rand::random::<u128>());
    text(
        status,
        &format!("[{id}]: ({code}): {message}, fault: client"),
    )
}

impl AwsState {
    /// A projected service account token for `namespace`/`service_account` with the pod
    /// identity audience, valid for `valid_for` seconds from now (wall clock; negative: expired).
    pub fn pod_identity_token(
        &self,
        namespace: &str,
        service_account: &str,
        valid_for: i64,
    ) -> String {
        let now = jiff::Timestamp::now().as_second();
        let claims = Claims {
            iss: format!(
                "https://oidc.eks.{}.amazonaws.com/id/SIMCLUSTER0123456789",
                self.region
            ),
            sub: format!("system:serviceaccount:{namespace}:{service_account}"),
            aud: vec![AUDIENCE.to_string()],
            exp: now + valid_for,
            iat: now.min(now + valid_for) - 60,
            nbf: now.min(now + valid_for) - 60,
        };
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(self.pod_identity_key.as_bytes()),
        )
        .unwrap_or_default()
    }
}

/// Answers a request to the agent.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let mut st = sim.aws();
    if req.path != PATH {
        return text(404, "404 page not found");
    }
    let token = req.header("authorization").unwrap_or("").trim();
    if token.is_empty() {
        return text(400, "Service account token cannot be empty");
    }
    // The agent's own checks: a JWT whose time claims hold; the signature is EKS Auth's.
    let claims = match jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(token) {
        Ok(c) => c,
        Err(e) => {
            return text(
                400,
                &format!("Service account token cannot be parsed: token is malformed: {e}"),
            );
        }
    };
    let now = jiff::Timestamp::now().as_second();
    if claims.exp <= now {
        return text(
            400,
            "Service account token failed basic claim validations: token has invalid claims: token is expired",
        );
    }
    if claims.nbf > now {
        return text(
            400,
            "Service account token failed basic claim validations: token has invalid claims: token is not valid yet",
        );
    }
    // EKS Auth: the signature, the audience, then the association.
    let mut v = Validation::new(Algorithm::HS256);
    v.set_audience(&[AUDIENCE]);
    v.leeway = 0;
    let key = DecodingKey::from_secret(st.pod_identity_key.as_bytes());
    if let Err(e) = jsonwebtoken::decode::<Claims>(token, &key, &v) {
        return eks_auth(
            400,
            "InvalidTokenException",
            &format!("The specified Kubernetes service account token is invalid: {e}"),
        );
    }
    let Some(role) = st.pod_identities.get(&claims.sub).cloned() else {
        return eks_auth(
            404,
            "ResourceNotFoundException",
            &format!("No pod identity association found for {}", claims.sub),
        );
    };
    let ttl = st.pod_identity_credentials_ttl;
    let session = claims.sub.rsplit(':').next().unwrap_or("pod").to_string();
    let arn = format!(
        "arn:aws:sts::{}:assumed-role/{role}/eks-simcluster-{session}",
        st.account_id
    );
    let creds = st.issue(&arn, ttl);
    st.pod_identity_issued += 1;
    let doc = PodIdentityCredentials {
        access_key_id: creds.access_key_id,
        secret_access_key: creds.secret_access_key,
        token: creds.session_token,
        account_id: st.account_id.clone(),
        expiration: wire::iso(creds.expiration),
    };
    SimResponse {
        status: 200,
        headers: vec![("content-type".into(), "application/json".into())],
        body: bytes::Bytes::from(serde_json::to_string(&doc).unwrap_or_default()),
    }
}
