//! What the official SDK models and API docs allow a task record to look like, beyond what
//! the simulator's task structs send by default: the fields each SDK model marks optional
//! (absent and `null` are both legal), the fields with a second JSON type, and every time
//! format `docs/providers.md` "Time formats" lists. Written from the SDK models (Huawei Python SDK 3.1.219
//! `openapi_types` and `__init__`: a field assigned only `if x is not None` is optional;
//! `yandexcloud` 0.413.0 protobuf descriptors; botocore 1.44.18's AWS Backup model) and the seed pages, not from the exporter's
//! decoders. Tests send these through [`super::RecordEdit`]s and the task structs' time
//! strings.

use jiff::Timestamp;
use jiff::tz::{Offset, TimeZone};

/// VBS backup job: no SDK models VBS (`docs/providers.md` "Huawei VBS"); the API reference's example leaves
/// `finished_at`, `code` and `message` out of some jobs, and nothing marks the other
/// descriptive fields mandatory.
pub const VBS_OPTIONAL: &[&str] = &[
    "finished_at",
    "backup_name",
    "resource_id",
    "resource_type",
    "message",
    "code",
];

/// CBR `OperationLog` (`huaweicloudsdkcbr/v1/model/operation_log.py`) and its parts
/// `OpErrorInfo`, `OpExtraInfo`, `OpExtendInfoCommon`, `Resource`: optional fields.
pub const CBR_OPTIONAL: &[&str] = &[
    "checkpoint_id",
    "ended_at",
    "extra_info",
    "operation_type",
    "policy_id",
    "provider_id",
    "vault_id",
    "vault_name",
    "error_info.code",
    "error_info.message",
    "extra_info.backup",
    "extra_info.common.task_id",
    "extra_info.resource.name",
    "extra_info.resource.extra_info",
];

/// CBR fields the same SDK models require (assigned unconditionally).
pub const CBR_REQUIRED: &[&str] = &[
    "id",
    "status",
    "created_at",
    "started_at",
    "updated_at",
    "error_info",
    "project_id",
    "extra_info.common",
    "extra_info.common.progress",
    "extra_info.common.request_id",
    "extra_info.resource",
    "extra_info.resource.id",
    "extra_info.resource.type",
];

/// CCE `SnapshotTask`, `SnapshotTaskMetadata`, `SnapshotSpec`, `SnapshotStatus`
/// (`huaweicloudsdkcce/v3/model/snapshot_*.py`): every field is optional, even the id.
pub const CCE_OPTIONAL: &[&str] = &[
    "kind",
    "apiVersion",
    "metadata",
    "spec",
    "status",
    "metadata.uid",
    "metadata.creationTimestamp",
    "metadata.updateTimestamp",
    "spec.items",
    "status.phase",
    "status.progress",
    "status.completionTime",
];

/// DMS `ListBackgroundTasksRespTasks` (identical in `huaweicloudsdkkafka`, `-rabbitmq` and
/// `-rocketmq` v2): every field is optional, even the id and the status.
pub const DMS_OPTIONAL: &[&str] = &[
    "id",
    "name",
    "user_name",
    "user_id",
    "params",
    "status",
    "created_at",
    "updated_at",
];

/// Yandex `Task` (`yandex/cloud/backup/v1/resource.proto`): proto3 has no required fields;
/// its JSON mapping omits a field at its default and reads `null` as the default.
pub const YANDEX_OPTIONAL: &[&str] = &[
    "id",
    "cancellable",
    "policyId",
    "type",
    "progress",
    "progress.current",
    "progress.total",
    "status",
    "enqueuedAt",
    "startedAt",
    "updatedAt",
    "completedAt",
    "computeInstanceId",
    "resultCode",
    "error",
];

/// AWS Backup `BackupJob` (`ListBackupJobs`) in `botocore/data/backup/2018-11-15/service-2.json`: the model
/// requires none of its members, so every one may be absent (REST-JSON leaves unset members out).
pub const AWS_BACKUP_JOB_OPTIONAL: &[&str] = &[
    "AccountId",
    "BackupJobId",
    "BackupVaultName",
    "BackupVaultArn",
    "VaultType",
    "VaultLockState",
    "RecoveryPointArn",
    "RecoveryPointLifecycle",
    "EncryptionKeyArn",
    "IsEncrypted",
    "ResourceArn",
    "CreationDate",
    "CompletionDate",
    "State",
    "StatusMessage",
    "PercentDone",
    "BackupSizeInBytes",
    "IamRoleArn",
    "CreatedBy",
    "ExpectedCompletionDate",
    "StartBy",
    "ResourceType",
    "BytesTransferred",
    "BackupOptions",
    "BackupType",
    "ParentJobId",
    "IsParent",
    "ResourceName",
    "InitiationDate",
    "MessageCategory",
];

/// AWS Backup `CopyJob` (`ListCopyJobs`) in `botocore/data/backup/2018-11-15/service-2.json`: the model
/// requires none of its members, so every one may be absent (REST-JSON leaves unset members out).
pub const AWS_COPY_JOB_OPTIONAL: &[&str] = &[
    "AccountId",
    "CopyJobId",
    "SourceBackupVaultArn",
    "SourceRecoveryPointArn",
    "DestinationBackupVaultArn",
    "DestinationVaultType",
    "DestinationVaultLockState",
    "DestinationRecoveryPointArn",
    "DestinationEncryptionKeyArn",
    "DestinationRecoveryPointLifecycle",
    "ResourceArn",
    "CreationDate",
    "CompletionDate",
    "State",
    "StatusMessage",
    "BackupSizeInBytes",
    "IamRoleArn",
    "CreatedBy",
    "CreatedByBackupJobId",
    "ResourceType",
    "ParentJobId",
    "IsParent",
    "CompositeMemberIdentifier",
    "NumberOfChildJobs",
    "ChildJobsInState",
    "ResourceName",
    "MessageCategory",
];

/// AWS Backup `RestoreJobsListMember` (`ListRestoreJobs`) in `botocore/data/backup/2018-11-15/service-2.json`: the model
/// requires none of its members, so every one may be absent (REST-JSON leaves unset members out).
pub const AWS_RESTORE_JOB_OPTIONAL: &[&str] = &[
    "AccountId",
    "RestoreJobId",
    "RecoveryPointArn",
    "SourceResourceArn",
    "BackupVaultArn",
    "CreationDate",
    "CompletionDate",
    "Status",
    "StatusMessage",
    "PercentDone",
    "BackupSizeInBytes",
    "IamRoleArn",
    "ExpectedCompletionTimeMinutes",
    "CreatedResourceArn",
    "ResourceType",
    "RecoveryPointCreationDate",
    "IsParent",
    "ParentJobId",
    "CreatedBy",
    "ValidationStatus",
    "ValidationStatusMessage",
    "DeletionStatus",
    "DeletionStatusMessage",
];

/// Fields with a second JSON type, by service, for [`super::RecordEdit::Retype`]:
/// CCE `status.progress` is a string in the SDK and the doc sample (`"67"`) but a number
/// reads as well; CBR `extra_info.common.progress` is an SDK `int` that `int("40")` also
/// reads; Yandex int64 fields are strings or numbers and enums names or numbers in proto3
/// JSON.
pub const RETYPEABLE: &[(&str, &str)] = &[
    ("huawei_cce", "status.progress"),
    ("huawei_cbr", "extra_info.common.progress"),
    ("yandex_backup", "id"),
    ("yandex_backup", "progress.current"),
    ("yandex_backup", "progress.total"),
    ("yandex_backup", "status"),
    ("yandex_backup", "type"),
    ("yandex_backup", "resultCode"),
];

/// The number of a Yandex `Task` enum value (`status`, `type`, `resultCode`), from the
/// proto's enum definitions.
pub fn yandex_enum_number(field: &str, name: &str) -> Option<u64> {
    let names: &[&str] = match field {
        "status" => &[
            "STATUS_UNSPECIFIED",
            "ENQUEUED",
            "ASSIGNED",
            "STARTED",
            "PAUSED",
            "COMPLETED",
        ],
        "type" => &[
            "TYPE_UNSPECIFIED",
            "BACKUP",
            "RETENTION",
            "RECOVERY",
            "APPLY_POLICY",
            "REVOKE_POLICY",
        ],
        "resultCode" => &[
            "CODE_UNSPECIFIED",
            "OK",
            "ERROR",
            "WARNING",
            "CANCELLED",
            "ABANDONED",
            "TIMEDOUT",
        ],
        _ => return None,
    };
    names.iter().position(|n| *n == name).map(|i| i as u64)
}

/// A way a time can be written (`docs/providers.md` "Time formats"). Each Huawei service documents one of them
/// (VBS naive UTC, CBR and DMS RFC 3339, CCE Go's `time.String()`), and `docs/providers.md`
/// recommends reading every one of them everywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeForm {
    /// RFC 3339 in UTC with `Z` and this many fraction digits: `2020-05-15T03:19:51.046Z`.
    RfcZ(u8),
    /// RFC 3339 with a numeric offset (minutes east of UTC): `2019-05-23T14:35:23.584+00:00`.
    RfcOffset(u8, i32),
    /// Naive UTC with `T`: `2016-12-02T09:06:46.706`.
    NaiveT(u8),
    /// Naive UTC with a space: `2016-12-02 09:06:46.706`.
    NaiveSpace(u8),
    /// Go's `time.Time.String()`: `2023-11-25 17:03:46.739012 +0800 CST`, with Go's
    /// monotonic-clock suffix (` m=+0.001234567`) when `monotonic`.
    Go {
        /// Fraction digits (Go trims trailing zeros, so any count occurs).
        digits: u8,
        /// Minutes east of UTC.
        offset: i32,
        /// The zone abbreviation Go prints after the offset.
        zone: &'static str,
        /// Whether the monotonic-clock reading follows.
        monotonic: bool,
    },
}

impl TimeForm {
    /// Every form a Huawei service may send: 0–9 fraction digits for the UTC forms, a few
    /// digit counts and offsets for the others.
    pub fn huawei() -> Vec<TimeForm> {
        let mut v: Vec<TimeForm> = (0..=9).map(TimeForm::RfcZ).collect();
        v.extend([
            TimeForm::RfcOffset(3, 0),
            TimeForm::RfcOffset(3, 480),
            TimeForm::RfcOffset(6, -330),
            TimeForm::RfcOffset(9, 60),
        ]);
        v.extend((0..=9).map(TimeForm::NaiveT));
        v.extend([0, 3, 6, 9].map(TimeForm::NaiveSpace));
        v.extend([
            TimeForm::Go {
                digits: 9,
                offset: 0,
                zone: "UTC",
                monotonic: false,
            },
            TimeForm::Go {
                digits: 6,
                offset: 480,
                zone: "CST",
                monotonic: false,
            },
            TimeForm::Go {
                digits: 0,
                offset: -330,
                zone: "-0530",
                monotonic: false,
            },
            TimeForm::Go {
                digits: 3,
                offset: 0,
                zone: "UTC",
                monotonic: true,
            },
        ]);
        v
    }

    /// The RFC 3339 forms proto3 JSON (Yandex) uses: `Z` or an offset, 0–9 fraction digits.
    pub fn rfc3339() -> Vec<TimeForm> {
        let mut v: Vec<TimeForm> = (0..=9).map(TimeForm::RfcZ).collect();
        v.extend([TimeForm::RfcOffset(9, 180), TimeForm::RfcOffset(3, -300)]);
        v
    }

    /// Fraction digits written.
    pub fn digits(self) -> u8 {
        match self {
            TimeForm::RfcZ(d)
            | TimeForm::RfcOffset(d, _)
            | TimeForm::NaiveT(d)
            | TimeForm::NaiveSpace(d)
            | TimeForm::Go { digits: d, .. } => d.min(9),
        }
    }

    /// The instant a reader gets back from `t` written in this form: `t` cut to the digits
    /// written.
    pub fn truncate(self, t: Timestamp) -> Timestamp {
        let unit = 10_i128.pow(9 - u32::from(self.digits()));
        let ns = t.as_nanosecond();
        Timestamp::from_nanosecond(ns - ns.rem_euclid(unit)).unwrap_or(t)
    }

    /// `t` written in this form.
    pub fn format(self, t: Timestamp) -> String {
        let frac = match self.digits() {
            0 => String::new(),
            d => format!("%.{d}f"),
        };
        let zoned = |minutes: i32| {
            let off = Offset::from_seconds(minutes * 60).unwrap_or(Offset::UTC);
            t.to_zoned(TimeZone::fixed(off))
        };
        match self {
            TimeForm::RfcZ(_) => t.strftime(&format!("%Y-%m-%dT%H:%M:%S{frac}Z")).to_string(),
            TimeForm::RfcOffset(_, m) => zoned(m)
                .strftime(&format!("%Y-%m-%dT%H:%M:%S{frac}%:z"))
                .to_string(),
            TimeForm::NaiveT(_) => t.strftime(&format!("%Y-%m-%dT%H:%M:%S{frac}")).to_string(),
            TimeForm::NaiveSpace(_) => t.strftime(&format!("%Y-%m-%d %H:%M:%S{frac}")).to_string(),
            TimeForm::Go {
                offset,
                zone,
                monotonic,
                ..
            } => {
                let mut s = zoned(offset)
                    .strftime(&format!("%Y-%m-%d %H:%M:%S{frac} %z {zone}"))
                    .to_string();
                if monotonic {
                    s.push_str(" m=+0.001234567");
                }
                s
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_write_what_the_docs_show() {
        let t: Timestamp = "2023-11-25T09:03:46.739012345Z".parse().unwrap();
        let go = TimeForm::Go {
            digits: 6,
            offset: 480,
            zone: "CST",
            monotonic: false,
        };
        assert_eq!(go.format(t), "2023-11-25 17:03:46.739012 +0800 CST");
        assert_eq!(TimeForm::NaiveT(3).format(t), "2023-11-25T09:03:46.739");
        assert_eq!(TimeForm::NaiveSpace(0).format(t), "2023-11-25 09:03:46");
        assert_eq!(
            TimeForm::RfcOffset(3, 0).format(t),
            "2023-11-25T09:03:46.739+00:00"
        );
        assert_eq!(
            TimeForm::RfcOffset(6, -330).format(t),
            "2023-11-25T03:33:46.739012-05:30"
        );
        assert_eq!(
            TimeForm::RfcZ(9).format(t),
            "2023-11-25T09:03:46.739012345Z"
        );
        assert_eq!(TimeForm::RfcZ(1).format(t), "2023-11-25T09:03:46.7Z");
        let mono = TimeForm::Go {
            digits: 3,
            offset: 0,
            zone: "UTC",
            monotonic: true,
        };
        assert_eq!(
            mono.format(t),
            "2023-11-25 09:03:46.739 +0000 UTC m=+0.001234567"
        );
        assert_eq!(
            TimeForm::RfcZ(2).truncate(t),
            "2023-11-25T09:03:46.73Z".parse().unwrap()
        );
        // Written digits are cut, not rounded, as `truncate` says.
        let up: Timestamp = "2023-11-25T09:03:46.987654321Z".parse().unwrap();
        assert_eq!(TimeForm::NaiveT(2).format(up), "2023-11-25T09:03:46.98");
        assert_eq!(
            TimeForm::NaiveT(8).format(up),
            "2023-11-25T09:03:46.98765432"
        );
    }

    #[test]
    fn yandex_enum_numbers_follow_the_proto() {
        assert_eq!(yandex_enum_number("status", "COMPLETED"), Some(5));
        assert_eq!(yandex_enum_number("resultCode", "TIMEDOUT"), Some(6));
        assert_eq!(yandex_enum_number("type", "BACKUP"), Some(1));
        assert_eq!(yandex_enum_number("status", "NOPE"), None);
    }
}
