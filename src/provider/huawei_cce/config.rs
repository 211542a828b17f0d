//! The keys of a `huawei_cce` target.

use serde::Deserialize;

use crate::config::de::{Entries, Val};

use crate::config::keys::{DiscoverKeys, Resources, TargetCx};

use crate::config::value::{BoolOr, Id, Span};
use crate::provider::huawei::{Common, HuaweiKeys, Listed, Service};

/// A CCE target's own keys as written (beside those of every Huawei target).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    cluster_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverKeys>>,
    expected_intervals: Val<Entries<Span>>,
}

/// A CCE target's keys: the project and the clusters whose backup tasks are listed.
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
        let resources = cx.resources("cluster_ids", self.cluster_ids, self.discover);
        // The clusters are the resources: a configured one is the only one to expect.
        let ids = match &resources {
            Some(Resources::Ids(ids)) => Some(("cluster_ids", ids.as_slice())),
            _ => None,
        };
        cx.expected_intervals(self.expected_intervals, ids);
        Some(Listed {
            common: common?,
            resources: resources?,
        })
    }
}
