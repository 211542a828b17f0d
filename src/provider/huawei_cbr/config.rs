//! The keys of a `huawei_cbr` target.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::de::{Entries, Val};

use crate::config::keys::TargetCx;

use crate::config::value::{Scalar, Span};
use crate::provider::huawei::{Common, HuaweiKeys, Service};

/// Query parameters the exporter sets itself (paging and the time window).
const OWNED_FILTERS: &[&str] = &["limit", "offset", "start_time", "end_time"];

/// A CBR target's own keys as written (beside those of every Huawei target).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    filters: Val<Entries<Scalar>>,
    expected_intervals: Val<Entries<Span>>,
}

/// A CBR target's own keys: the project whose operation log is listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Region, project, auth.
    pub common: Common,
    /// Passed to the API as query parameters, sorted by key.
    pub filters: BTreeMap<String, String>,
}

impl HuaweiKeys for File {
    type Config = Config;
    const KIND: &'static str = super::KIND;
    const SERVICE: Service = super::SERVICE;

    fn check(
        self,
        common: Option<Common>,
        cx: &mut TargetCx<'_, '_, '_>,
    ) -> Option<Config> {
        let mut filters = BTreeMap::new();
        for (k, v) in self.filters.ok().map(|Entries(e)| e).unwrap_or_default() {
            let Val::Given(name, at) = k else { continue };
            let why = if OWNED_FILTERS.contains(&name.as_str()) {
                Some(format!(
                    "'{name}' is set by the exporter (paging and the lookback window)"
                ))
            } else if name.is_empty()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                Some(format!("'{name}' is not a query parameter name"))
            } else if filters.contains_key(&name) {
                Some("duplicate key".to_string())
            } else {
                None
            };
            match why {
                Some(why) => cx.bad(&at, why),
                None => {
                    if let Some(Scalar(value)) = v.ok() {
                        filters.insert(name, value);
                    }
                }
            }
        }
        // The log is project-wide: any resource id may be named.
        cx.expected_intervals(self.expected_intervals, None);
        Some(Config {
            common: common?,
            filters,
        })
    }
}
