//! The keys of a `huawei_dms` target.

use serde::Deserialize;

use crate::config::de::Val;

use crate::config::keys::{DiscoverKeys, Resources, TargetCx};

use crate::config::value::{BoolOr, Id, Text};
use crate::provider::huawei::{Common, HuaweiKeys, Service};

/// A DMS target's own keys as written (beside those of every Huawei target).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct File {
    engine: Val<Text>,
    instance_ids: Val<Vec<Val<Id>>>,
    discover: Val<BoolOr<DiscoverKeys>>,
}

/// A DMS target's own keys: the project and the instances of one engine.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Region, project, auth.
    pub common: Common,
    /// The engine of the instances.
    pub engine: Engine,
    /// `instance_ids`, or `discover`.
    pub resources: Resources,
}

/// DMS engine: which instances' tasks are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// `engine: kafka`; its tasks report progress.
    Kafka,
    /// `engine: rabbitmq`; its tasks report no progress.
    Rabbitmq,
    /// `engine: rocketmq`; its tasks report progress.
    Rocketmq,
}

impl Engine {
    /// The API's engine name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Engine::Kafka => "kafka",
            Engine::Rabbitmq => "rabbitmq",
            Engine::Rocketmq => "rocketmq",
        }
    }
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
        let engine = match self.engine {
            Val::Given(Text(s), at) => match s.trim().to_ascii_lowercase().as_str() {
                "kafka" => Some(Engine::Kafka),
                "rabbitmq" => Some(Engine::Rabbitmq),
                "rocketmq" => Some(Engine::Rocketmq),
                _ => {
                    cx.bad(
                        &at,
                        format!("unknown engine '{s}'; one of kafka, rabbitmq, rocketmq"),
                    );
                    None
                }
            },
            Val::Bad(_) => None,
            Val::Absent => {
                cx.missing("engine", "kafka, rabbitmq or rocketmq");
                None
            }
        };
        let resources = cx.resources("instance_ids", self.instance_ids, self.discover);
        Some(Config {
            common: common?,
            engine: engine?,
            resources: resources?,
        })
    }
}
