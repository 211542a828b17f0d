//! Serde types of the CCE snapshot-task and cluster JSON (`docs/providers.md` "Huawei CCE"),
//! nothing else.

use serde::Deserialize;

use crate::provider::field::{Field, Invalid, Stamp, Text};

use crate::provider::records::Record;

/// `GET /api/v3.1/projects/{project_id}/clusters/{cluster_id}/operation/snapshot/tasks`.
#[derive(Deserialize)]
pub(super) struct List<L> {
    /// The records, read as `records::Fast` or `records::Raw`.
    #[serde(default)]
    pub(super) items: L,
}

/// `SnapshotTask` (SDK `huaweicloudsdkcce` v3 `snapshot_task.py`): every field is optional in
/// the SDK, `metadata` and `status` included. A usable task needs `metadata.uid` and
/// `status.phase`; the rest may be absent or `null`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SnapshotTask {
    pub(super) metadata: Field<TaskMeta>,
    pub(super) spec: Field<Spec>,
    pub(super) status: Field<Status>,
}

/// `SnapshotTaskMetadata`.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct TaskMeta {
    pub(super) uid: Field<String>,
    pub(super) creation_timestamp: Field<Stamp>,
    pub(super) update_timestamp: Field<Stamp>,
}

impl Record for SnapshotTask {
    fn id(&self) -> Result<String, Invalid> {
        match &self.metadata {
            Field::Value(m) => m.uid.id("metadata.uid"),
            Field::Absent => Err(Invalid::new("metadata.uid", "metadata missing")),
            Field::Null => Err(Invalid::new("metadata.uid", "metadata null")),
            Field::Wrong(v) => Err(Invalid::new("metadata", format!("unexpected value {v}"))),
        }
    }
}

/// `SnapshotSpec` (to be deprecated, the doc says): read for failure messages only.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Spec {
    pub(super) items: Field<Vec<SpecItem>>,
}

/// `SnapshotSpecItems`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct SpecItem {
    pub(super) status: Field<String>,
    pub(super) message: Field<String>,
}

/// `SnapshotStatus`. `progress` is a string in the SDK and the doc sample (`"67"`); a number
/// is accepted too.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub(super) struct Status {
    pub(super) phase: Field<String>,
    pub(super) progress: Field<Text>,
    pub(super) completion_time: Field<Stamp>,
}

/// A cluster's `metadata` (discovery).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meta {
    pub(super) uid: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct Clusters {
    #[serde(default)]
    pub(super) items: Option<Vec<Cluster>>,
}

#[derive(Deserialize)]
pub(super) struct Cluster {
    #[serde(default)]
    pub(super) metadata: Option<Meta>,
    #[serde(default)]
    pub(super) status: Option<ClusterStatus>,
}

#[derive(Deserialize)]
pub(super) struct ClusterStatus {
    #[serde(default)]
    pub(super) phase: Option<String>,
}

