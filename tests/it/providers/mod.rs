//! One fixture per provider: every fact about a provider that the provider-generic tests
//! need (the fault matrix in `faults.rs`, the record variants in `variants.rs`, the random
//! bodies in `decoders.rs`, the registry check in `registry.rs`), in one file per provider,
//! `providers/<kind>.rs`, each implementing [`ProviderFixture`] (the Huawei ones through
//! `huawei::HuaweiFixture`, with only their own facts).
//!
//! A new provider is one file here and one line in the `fixtures!` list at the bottom of
//! this file; `registry.rs` fails while a registered provider has no fixture.

use cloud_task_exporter::config::{Settings, Target};
use cloud_task_exporter::sim::Sim;
use cloud_task_exporter::sim::variants::TimeForm;

mod huawei;

/// What the provider-generic tests know of one provider.
pub(crate) trait ProviderFixture: Sync {
    // --- Who it is.

    /// The provider id (`ProviderKind::as_str`).
    fn kind(&self) -> &'static str;
    /// The simulator service that serves the task list (fault rules, hooks and record
    /// edits aim at it).
    fn service(&self) -> &'static str {
        self.kind()
    }
    /// The unit its target polls (for CBR, the project).
    fn unit(&self) -> &'static str;
    /// What a unit is called in error messages: `instance`, `policy`, `project`, `cluster`.
    fn unit_noun(&self) -> &'static str;

    // --- A target over the simulator, and tasks in it (the fault matrix).

    /// Registers credentials and resources in `sim` and seeds `n` terminal tasks.
    fn seed(&self, sim: &Sim, n: usize);
    /// The target that polls `units` through `url`; `None` when this provider cannot poll
    /// them (CBR polls its one project).
    fn target(&self, url: &str, settings: Settings, units: &[&str]) -> Option<Target>;
    /// Seeds `sim` with `n` terminal tasks and returns the target that polls them.
    fn setup(&self, sim: &Sim, url: &str, settings: Settings, n: usize) -> Target {
        self.seed(sim, n);
        self.target(url, settings, &[self.unit()])
            .expect("a fixture polls its own unit")
    }
    /// Adds `n` new terminal tasks (distinct ids, finished just now) to the list.
    fn add_terminal(&self, sim: &Sim, n: usize);
    /// Invalidates every token the simulator issued, so the next API call answers 401.
    /// `false` when the provider's auth has no token (AK/SK signing).
    fn expire_tokens(&self, sim: &Sim) -> bool;
    /// The simulator service that issues the target's tokens; `None` when its auth has no
    /// token (AK/SK signing).
    fn token_service(&self) -> Option<&'static str>;
    /// Whether the task list of this provider pages (page shifts are meaningful).
    fn pages(&self) -> bool {
        true
    }

    // --- Its records, as the SDK model and API docs allow them (the record variants).

    /// The API's name of the task list in a response.
    fn list_key(&self) -> &'static str;
    /// The API's name of the task status.
    fn status_field(&self) -> &'static str;
    /// The API's name of the time the provider reads as `created`.
    fn created_field(&self) -> &'static str;
    /// The time format the API documents (`docs/providers.md` "Time formats").
    fn native_form(&self) -> TimeForm;
    /// Every time format the provider must read.
    fn time_forms(&self) -> Vec<TimeForm>;
    /// The fields a usable task needs. Every other field of the SDK model may be absent or
    /// null.
    fn required(&self) -> &'static [Required];
    /// Every field of the SDK model that the variants make absent or null.
    fn model_fields(&self) -> Vec<&'static str>;
    /// Adds a successful task `id` of [`unit`](Self::unit), created at `created` and
    /// finished at `finished`, written as given; the provider reads them back as
    /// `Task::created` and `Task::finished`.
    fn add_success(&self, sim: &Sim, id: &str, created: &str, finished: &str);
    /// The progress the provider reads from a task [`add_success`](Self::add_success)
    /// added, where a test checks it.
    fn success_progress(&self) -> Option<f64> {
        None
    }
}

/// A field a usable task needs.
pub(crate) struct Required {
    /// The field made absent or null.
    pub(crate) field: &'static str,
    /// The field the invalid task names.
    pub(crate) names: &'static str,
    /// Whether the field carries the task id, so the invalid task has none.
    pub(crate) carries_id: bool,
}

/// The fixture of provider `kind`, for a test of one provider's own behaviour.
pub(crate) fn by_kind(kind: &str) -> &'static dyn ProviderFixture {
    fixtures()
        .into_iter()
        .find(|f| f.kind() == kind)
        .unwrap_or_else(|| panic!("no fixture of provider {kind}"))
}

/// A fresh task id for fixture tasks (unique across the whole test binary).
pub(crate) fn next_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1_000_000);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// RFC3339 of `now - secs`.
pub(crate) fn ago(secs: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(secs)).to_string()
}

/// Declares the fixtures, one line each: `file => fixture`. Each line brings in
/// `providers/<file>.rs`, lists its fixture in `fixtures()`, and gives it a fault-matrix
/// test of its own, `providers::under_every_fault::<file>` (one test per provider, so the
/// matrices run in parallel).
macro_rules! fixtures {
    ($( $module:ident => $fixture:ident, )+) => {
        $( mod $module; )+

        /// Every provider's fixture, in registry order.
        pub(crate) fn fixtures() -> Vec<&'static dyn ProviderFixture> {
            vec![$( &$module::$fixture ),+]
        }

        /// The fault matrix (`faults.rs`) against each provider.
        mod under_every_fault {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $module() {
                    crate::faults::matrix(&super::$module::$fixture).await;
                }
            )+
        }
    };
}

fixtures! {
    yandex_backup => YandexBackup,
    huawei_vbs => HuaweiVbs,
    huawei_cbr => HuaweiCbr,
    huawei_cce => HuaweiCce,
    huawei_dms => HuaweiDms,
    aws_backup => AwsBackup,
}
