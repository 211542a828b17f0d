//! Yandex Cloud Backup `ListTasks` (seed 000, PROVIDERS.md §1).

use crate::config::{ProviderKind, Target, YandexTarget};
use crate::model::Task;
use crate::provider::http::Http;
use crate::provider::{PollContext, Provider, ProviderError, Units};

/// The Yandex Cloud Backup client of one target.
#[derive(Debug)]
pub struct Client {
    units: Units,
    #[allow(dead_code)]
    http: Http,
}

impl Client {
    /// Builds the client.
    pub fn new(_target: &Target, y: &YandexTarget, http: Http) -> Result<Client, String> {
        Ok(Client {
            units: Units::from_resources(&y.resources),
            http,
        })
    }
}

impl Provider for Client {
    fn kind(&self) -> ProviderKind {
        ProviderKind::YandexBackup
    }
    fn known_types(&self) -> &'static [&'static str] {
        &[
            "backup",
            "retention",
            "recovery",
            "apply_policy",
            "revoke_policy",
        ]
    }
    fn units(&self) -> Units {
        self.units.clone()
    }
    async fn discover(&self) -> Result<Vec<String>, ProviderError> {
        Ok(vec![])
    }
    async fn list_tasks(
        &self,
        _unit: &str,
        _ctx: &PollContext,
    ) -> Result<Vec<Task>, ProviderError> {
        Ok(vec![])
    }
}
