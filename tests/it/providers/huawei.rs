//! What the four Huawei fixtures share: credentials, a project, task times and the target.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::{Sim, lock};
use jiff::{SignedDuration, Timestamp};

use crate::support;

const AK: &str = "FAULTMATRIXAK0000001";
const SK: &str = "fault-matrix-secret-key";
const DOMAIN: &str = "faults-domain";
const USER: &str = "faults-user";
const PASSWORD: &str = "faults-password";
/// The project every Huawei target polls (CBR's unit).
pub(super) const PROJECT: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

/// How a Huawei target authenticates.
#[derive(Clone, Copy)]
pub(super) enum Auth {
    /// AK/SK signing: no token.
    AkSk,
    /// An IAM user's token.
    Iam,
}

/// Registers both kinds of credentials in `sim`.
pub(super) fn register(sim: &Sim) {
    let mut h = lock(&sim.huawei);
    h.add_aksk(AK, SK);
    h.add_user(DOMAIN, USER, PASSWORD);
}

/// The target `name` of `kind` through `url`, with `rest` for its own keys.
pub(super) fn target(
    kind: &str,
    name: &str,
    url: &str,
    settings: Settings,
    auth: Auth,
    rest: &str,
) -> Target {
    let auth = match auth {
        Auth::AkSk => support::aksk(AK, SK),
        Auth::Iam => support::iam(url, DOMAIN, USER, PASSWORD),
    };
    let keys = support::huawei(kind, PROJECT, &auth, rest);
    support::target(name, url, &keys, settings)
}

/// Seeds `n` finished tasks with `add(sim, created, ok)`: oldest first, a minute apart, an
/// hour ago.
pub(super) fn seed_done(sim: &Sim, n: usize, add: impl Fn(&Sim, Timestamp, bool)) {
    for i in 0..n {
        add(sim, at(3600 - i as i64 * 60), i % 2 == 0);
    }
}

/// Adds `n` tasks with `add(sim, created, ok)`: newest first in every Huawei listing, each
/// new task lands at the head.
pub(super) fn add_newest(sim: &Sim, n: usize, add: impl Fn(&Sim, Timestamp, bool)) {
    for i in 0..n {
        add(sim, newest(60 - i as i64), i % 2 == 0);
    }
}

/// `secs_ago` seconds ago.
pub(super) fn at(secs_ago: i64) -> Timestamp {
    Timestamp::now() - SignedDuration::from_secs(secs_ago)
}

/// `secs_ago` seconds ago, or just after the newest time handed out before if that is
/// later: a task created now lands at the head of a list sorted newest first, before
/// every task listed earlier, as it does in a cloud. (Two rounds of tasks "created a
/// minute ago", taken a moment apart, would interleave instead.)
fn newest(secs_ago: i64) -> Timestamp {
    use std::sync::Mutex;
    static LAST: Mutex<Option<Timestamp>> = Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let t = match *last {
        Some(l) if l >= at(secs_ago) => l + SignedDuration::from_millis(1),
        _ => at(secs_ago),
    };
    *last = Some(t);
    t
}

/// A UUID made of `n`.
pub(super) fn uuid(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}
