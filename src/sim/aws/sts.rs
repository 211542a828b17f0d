//! STS.

use crate::sim::{Sim, SimRequest, SimResponse};

/// Answers an STS request.
pub(super) fn answer(_sim: &Sim, _req: &SimRequest) -> SimResponse {
    super::wire::sts_error(400, "InvalidAction", "not yet")
}
