//! Yandex Cloud Backup, IAM token and VM metadata services (seed 000, PROVIDERS.md §1).

use super::{Sim, SimRequest, SimResponse};

/// Yandex state: tasks per instance, tokens, keys.
#[derive(Debug, Default)]
pub struct YandexState {}

/// Which Yandex service owns this path, if any.
pub fn service_of(_req: &SimRequest) -> Option<&'static str> {
    None
}

/// Answers a Yandex request, or `None` when the path is not Yandex's.
pub fn route(_sim: &Sim, _req: &SimRequest) -> Option<SimResponse> {
    None
}
