//! The keys of a `huawei_vbs` target.

use serde::Deserialize;

use crate::config::de::{Entries, Val};

use crate::config::keys::{DiscoverKeys, TargetCx};

use crate::config::value::{BoolOr, Id, Span};
use crate::provider::huawei::{Common, HuaweiKeys, Listed, Service};

/// A VBS target's own keys as written (beside those of every Huawei target).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    policy_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverKeys>>,
    expected_intervals: Val<Entries<Span>>,
}

/// A VBS target's keys: the project and the backup policies whose jobs are listed.
pub type Config = Listed;

impl HuaweiKeys for File {
    type Config = Config;
    const KIND: &'static str = super::KIND;
    const SERVICE: Service = super::SERVICE;

    fn check(
        self,
        common: Option<Common>,
        cx: &mut TargetCx<'_, '_, '_>,
    ) -> Option<Config> {
        let resources = cx.resources("policy_ids", self.policy_ids, self.discover);
        // A policy is not a resource: any resource id may be named.
        cx.expected_intervals(self.expected_intervals, None);
        Some(Listed {
            common: common?,
            resources: resources?,
        })
    }
}
