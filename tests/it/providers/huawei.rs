//! What the four Huawei fixtures share: credentials, a project, task times, the target,
//! seeding and token handling. Each `huawei_<service>.rs` implements [`HuaweiFixture`] with
//! its provider's own facts; [`ProviderFixture`] follows from them here.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::variants::TimeForm;
use cloud_task_exporter::sim::{Sim, lock};
use jiff::{SignedDuration, Timestamp};

use super::{ProviderFixture, Required};
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

/// One Huawei provider's own facts; the rest of its [`ProviderFixture`] is the same for all
/// four (the impl below). Each item stands for the [`ProviderFixture`] item of its name.
pub(super) trait HuaweiFixture: Sync {
    /// [`ProviderFixture::kind`].
    const KIND: &'static str;
    /// [`ProviderFixture::unit`].
    const UNIT: &'static str;
    /// [`ProviderFixture::unit_noun`].
    const UNIT_NOUN: &'static str;
    /// How its target authenticates (and so whether it has tokens to expire).
    const AUTH: Auth;
    /// [`ProviderFixture::pages`].
    const PAGES: bool = true;

    /// [`ProviderFixture::list_key`].
    const LIST_KEY: &'static str;
    /// [`ProviderFixture::status_field`].
    const STATUS_FIELD: &'static str = "status";
    /// [`ProviderFixture::created_field`].
    const CREATED_FIELD: &'static str = "created_at";
    /// [`ProviderFixture::native_form`].
    const NATIVE_FORM: TimeForm;
    /// [`ProviderFixture::required`].
    const REQUIRED: &'static [Required];
    /// [`ProviderFixture::model_fields`], in parts.
    const MODEL_FIELDS: &'static [&'static [&'static str]];
    /// [`ProviderFixture::success_progress`].
    const SUCCESS_PROGRESS: Option<f64> = None;

    /// The target's own keys for polling `units`; `None` when it cannot poll them.
    fn keys(units: &[&str]) -> Option<String>;
    /// Registers what its tasks belong to, past the credentials.
    fn resources(_sim: &Sim) {}
    /// Adds a finished task created at `created`, finished a few seconds ago, successful
    /// when `ok`.
    fn add_done(sim: &Sim, created: Timestamp, ok: bool);
    /// [`ProviderFixture::add_success`].
    fn add_success(sim: &Sim, id: &str, created: &str, finished: &str);
}

impl<F: HuaweiFixture> ProviderFixture for F {
    fn kind(&self) -> &'static str {
        F::KIND
    }
    fn unit(&self) -> &'static str {
        F::UNIT
    }
    fn unit_noun(&self) -> &'static str {
        F::UNIT_NOUN
    }

    fn seed(&self, sim: &Sim, n: usize) {
        register(sim);
        F::resources(sim);
        seed_done(sim, n, F::add_done);
    }
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target> {
        let name = format!("hw-{}-faults", F::KIND.trim_start_matches("huawei_"));
        let rest = F::keys(units)?;
        Some(target(F::KIND, &name, url, settings, F::AUTH, &rest))
    }
    fn add_terminal(&self, sim: &Sim, n: usize) {
        add_newest(sim, n, F::add_done);
    }
    fn expire_tokens(&self, sim: &Sim) -> bool {
        match F::AUTH {
            Auth::AkSk => false,
            Auth::Iam => {
                lock(&sim.huawei).expire_tokens();
                true
            }
        }
    }
    fn token_service(&self) -> Option<&'static str> {
        match F::AUTH {
            Auth::AkSk => None,
            Auth::Iam => Some("huawei_iam"),
        }
    }
    fn pages(&self) -> bool {
        F::PAGES
    }

    fn list_key(&self) -> &'static str {
        F::LIST_KEY
    }
    fn status_field(&self) -> &'static str {
        F::STATUS_FIELD
    }
    fn created_field(&self) -> &'static str {
        F::CREATED_FIELD
    }
    fn native_form(&self) -> TimeForm {
        F::NATIVE_FORM
    }
    fn time_forms(&self) -> Vec<TimeForm> {
        TimeForm::huawei()
    }
    fn required(&self) -> &'static [Required] {
        F::REQUIRED
    }
    fn model_fields(&self) -> Vec<&'static str> {
        F::MODEL_FIELDS.concat()
    }
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str) {
        F::add_success(sim, id, created, finished);
    }
    fn success_progress(&self) -> Option<f64> {
        F::SUCCESS_PROGRESS
    }
}

/// The required fields of a flat task: `id`, which carries the task id, and `status`.
pub(super) const fn id_and_status(id: &'static str) -> [Required; 2] {
    [
        Required {
            field: id,
            names: id,
            carries_id: true,
        },
        Required {
            field: "status",
            names: "status",
            carries_id: false,
        },
    ]
}

/// Registers both kinds of credentials in `sim`.
fn register(sim: &Sim) {
    let mut h = lock(&sim.huawei);
    h.add_aksk(AK, SK);
    h.add_user(DOMAIN, USER, PASSWORD);
}

/// The target `name` of `kind` through `url`, with `rest` for its own keys.
fn target(kind: &str, name: &str, url: &str, settings: Settings, auth: Auth, rest: &str) -> Target {
    let auth = match auth {
        Auth::AkSk => support::aksk(AK, SK),
        Auth::Iam => support::iam(url, DOMAIN, USER, PASSWORD),
    };
    let keys = support::huawei(kind, PROJECT, &auth, rest);
    support::target(name, url, &keys, settings)
}

/// Seeds `n` finished tasks with `add(sim, created, ok)`: oldest first, a minute apart, an
/// hour ago.
fn seed_done(sim: &Sim, n: usize, add: impl Fn(&Sim, Timestamp, bool)) {
    for i in 0..n {
        add(sim, at(3600 - i as i64 * 60), i % 2 == 0);
    }
}

/// Adds `n` tasks with `add(sim, created, ok)`: newest first in every Huawei listing, each
/// new task lands at the head.
fn add_newest(sim: &Sim, n: usize, add: impl Fn(&Sim, Timestamp, bool)) {
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
