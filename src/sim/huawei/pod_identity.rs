//! CCE pod identity's credentials endpoint (`docs/providers.md` "Huawei credential sources"),
//! as the SDK's `PodIdentityAccessor` calls it: `POST` with the pod's token, read from
//! `HC_CONTAINER_AUTHORIZATION_TOKEN_FILE`, as the whole `Authorization` header, and a JSON
//! body. A token it was not given is refused with 401; an accepted one gets temporary AK/SK,
//! a security token and `expires_at`, which the gateway then accepts, with the token, until
//! they expire. CCE sets the real URL in `HC_CONTAINER_CREDENTIALS_FULL_URI`; the simulator
//! serves it at [`PATH`].

use super::metadata::{issue, text};
use crate::sim::{Sim, SimRequest, SimResponse, lock};

/// Where the simulator serves the endpoint.
pub const PATH: &str = "/pod-identity/v1/credentials";

/// Answers the pod identity endpoint.
pub(super) fn answer(sim: &Sim, req: &SimRequest) -> SimResponse {
    let mut st = lock(&sim.huawei);
    if req.method != "POST" {
        return text(405, "Method Not Allowed");
    }
    let token = req.header("authorization").unwrap_or_default();
    if token.is_empty() || !st.pod_identity_tokens.iter().any(|t| t == token) {
        return text(401, "invalid pod identity token");
    }
    if serde_json::from_slice::<serde_json::Value>(&req.body).is_err() {
        return text(400, "the body must be JSON");
    }
    st.pod_identity_issued += 1;
    let (n, ttl) = (st.pod_identity_issued, st.pod_identity_ttl);
    issue(&mut st, &format!("TMPAKPOD{n:012}"), ttl)
}
