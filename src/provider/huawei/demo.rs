//! What the demo's Huawei services share: the demo account and the shapes of ids and
//! failures every Huawei API writes alike.

use crate::demo::service::{DemoTask, Phase};
use crate::sim::{Sim, lock};

/// AK/SK of the demo account (the simulator's own, never a real account's).
pub(crate) const AK: &str = "DEMOACCESSKEY00000001";
/// Its secret key.
pub(crate) const SK: &str = "demo-secret-key-not-a-real-one";
/// Its project.
pub(crate) const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// The keys every demo Huawei target of `provider` has with AK/SK auth, then `rest`.
pub(crate) fn keys(provider: &str, rest: &str) -> String {
    format!(
        "provider: {provider}\nregion: ap-southeast-1\nproject_id: '{PROJECT}'\nauth: {{ access_key: {AK}, secret_key: {SK} }}\n{rest}"
    )
}

/// Registers the demo account's AK/SK with the simulator.
pub(crate) fn account(sim: &Sim) {
    lock(&sim.huawei).add_aksk(AK, SK);
}

/// A UUID-shaped id from the demo's numeric id (Huawei ids are UUIDs or 32 hex digits).
pub(crate) fn uuid(id: &str) -> String {
    let n: u64 = id.parse().unwrap_or(0);
    format!(
        "{:08x}-d3e0-4c1a-9e5b-{n:012x}",
        n.wrapping_mul(2_654_435_761) & 0xffff_ffff
    )
}

/// The error code and message of a task that failed or timed out.
pub(crate) fn error(t: &DemoTask) -> Option<(String, String)> {
    match t.phase {
        Phase::Failed => Some((
            "BackupService.6302".to_string(),
            "Backup failed: the agent on the server is offline".to_string(),
        )),
        Phase::TimedOut => Some((
            "BackupService.6318".to_string(),
            "The task timed out".to_string(),
        )),
        _ => None,
    }
}

/// Replaces the item `same` as `new` in place, or puts `new` at the head (newest first).
pub(crate) fn upsert<T>(list: &mut Vec<T>, new: T, same: impl Fn(&T, &T) -> bool) {
    match list.iter_mut().find(|t| same(t, &new)) {
        Some(t) => *t = new,
        None => list.insert(0, new),
    }
}
