//! IMDS.

use crate::sim::{Sim, SimRequest, SimResponse};

/// Answers an IMDS request.
pub(super) fn answer(_sim: &Sim, _req: &SimRequest) -> SimResponse {
    super::wire::sts_error(404, "NotFound", "not yet")
}
