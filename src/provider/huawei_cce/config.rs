//! The keys of a `huawei_cce` target.

use serde::Deserialize;

use crate::config::{BoolOr, DiscoverKeys, Entries, Id, NonEmpty, Resources, Span, TargetCx, Val};
use crate::provider::huawei::{AuthFile, Common};

/// A CCE target's own keys as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    region: Val<NonEmpty>,
    project_id: Val<NonEmpty>,
    auth: Val<AuthFile>,
    cluster_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverKeys>>,
    expected_intervals: Val<Entries<Span>>,
}

/// A CCE target's own keys: the project and the clusters whose backup tasks are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Region, project, auth.
    pub common: Common,
    /// `cluster_ids`, or `discover`.
    pub resources: Resources,
}

impl File {
    pub(super) fn check(self, cx: &mut TargetCx<'_, '_, '_>) -> Option<Config> {
        let common = Common::from_keys(
            cx,
            super::KIND,
            super::SERVICE,
            self.region,
            self.project_id,
            self.auth,
        );
        let resources = cx.resources("cluster_ids", self.cluster_ids, self.discover, false);
        // The clusters are the resources: a configured one is the only one to expect.
        let ids = match &resources {
            Some(Resources::Ids(ids)) => Some(("cluster_ids", ids.as_slice())),
            _ => None,
        };
        cx.expected_intervals(self.expected_intervals, ids);
        Some(Config {
            common: common?,
            resources: resources?,
        })
    }
}
