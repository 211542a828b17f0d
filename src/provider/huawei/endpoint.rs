//! Where Huawei Cloud services live (`docs/providers.md` "Huawei Cloud: endpoints"): endpoints from the region.

use crate::config::value::BaseUrl;

/// A Huawei service the exporter calls: its host prefix, and the regions where it lives
/// under `.myhuaweicloud.eu` instead of `.com`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Service {
    /// The host prefix, e.g. `cbr`.
    pub(crate) prefix: &'static str,
    /// Regions where the service's host ends in `.eu`.
    pub(crate) eu: &'static [&'static str],
}

/// Identity and Access Management (tokens).
pub(crate) const IAM: Service = Service {
    prefix: "iam",
    eu: &[],
};

impl Service {
    /// `https://{prefix}.{region}.myhuaweicloud.com`, or `.eu` where the service lives
    /// there (CCE and DMS in `eu-west-101`; CBR there stays `.com`).
    pub(crate) fn endpoint(self, region: &str) -> BaseUrl {
        let tld = if self.eu.contains(&region) {
            "eu"
        } else {
            "com"
        };
        BaseUrl::https(format!("{}.{region}.myhuaweicloud.{tld}", self.prefix))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CCE: Service = Service {
        prefix: "cce",
        eu: &["eu-west-101"],
    };
    const CBR: Service = Service {
        prefix: "cbr",
        eu: &[],
    };

    #[test]
    fn eu_west_101_exceptions() {
        assert_eq!(
            CCE.endpoint("eu-west-101").as_str(),
            "https://cce.eu-west-101.myhuaweicloud.eu"
        );
        assert_eq!(
            CBR.endpoint("eu-west-101").as_str(),
            "https://cbr.eu-west-101.myhuaweicloud.com"
        );
        assert_eq!(
            IAM.endpoint("cn-north-4").as_str(),
            "https://iam.cn-north-4.myhuaweicloud.com"
        );
        assert_eq!(
            CCE.endpoint("eu-west-101").host(),
            "cce.eu-west-101.myhuaweicloud.eu"
        );
    }
}
