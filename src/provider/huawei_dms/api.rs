//! Serde types of the DMS background-task and instance JSON (`docs/providers.md` "Huawei DMS"),
//! nothing else.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Stamp};

use crate::provider::records::{self, Record};

/// `GET /v2/{project_id}/instances/{instance_id}/tasks`.
#[derive(Deserialize)]
pub(super) struct Page<L> {
    /// A string in the SDKs, a number in the DCS doc sample: both are read.
    #[serde(default, deserialize_with = "records::count")]
    pub(super) task_count: Option<u64>,
    /// The records, read as `records::Fast` or `records::Raw`.
    #[serde(default)]
    pub(super) tasks: L,
}

/// `ListBackgroundTasksRespTasks` (SDKs `huaweicloudsdkkafka`, `-rabbitmq`, `-rocketmq` v2):
/// every field is optional in the SDK. A usable task needs `id` and `status`; `name`,
/// `created_at` and `updated_at` may be absent or `null` (a terminal task without times is
/// still a task: it just has no instants).
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct DmsTask {
    pub(super) id: Field<String>,
    pub(super) name: Field<String>,
    pub(super) status: Field<String>,
    pub(super) created_at: Field<Stamp>,
    pub(super) updated_at: Field<Stamp>,
}

impl Record for DmsTask {
    fn id(&self) -> Result<String, Invalid> {
        self.id.id("id")
    }
}

#[derive(Deserialize)]
pub(super) struct Progress {
    pub(super) progress_percentage: Option<f64>,
}

#[derive(Deserialize)]
pub(super) struct Instances {
    #[serde(default)]
    pub(super) instances: Vec<Instance>,
    #[serde(default)]
    pub(super) instance_num: Option<u64>,
}

#[derive(Deserialize)]
pub(super) struct Instance {
    pub(super) instance_id: String,
}

