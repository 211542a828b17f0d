//! The keys of a `huawei_vbs` target.

use serde::Deserialize;

use crate::config::{BoolOr, DiscoverKeys, Entries, Id, NonEmpty, Resources, Span, TargetCx, Val};
use crate::provider::huawei::{AuthFile, Common};

/// A VBS target's own keys as written.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    region: Val<NonEmpty>,
    project_id: Val<NonEmpty>,
    auth: Val<AuthFile>,
    policy_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverKeys>>,
    expected_intervals: Val<Entries<Span>>,
}

/// A VBS target's own keys: the project and the backup policies whose jobs are listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Region, project, auth.
    pub common: Common,
    /// `policy_ids`, or `discover`.
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
        let resources = cx.resources("policy_ids", self.policy_ids, self.discover, false);
        // A policy is not a resource: any resource id may be named.
        cx.expected_intervals(self.expected_intervals, None);
        Some(Config {
            common: common?,
            resources: resources?,
        })
    }
}
