//! `status` + `resultCode` → [`Mapped`] (`docs/metrics.md` "Status mapping", `docs/providers.md` "ListTasks").

use std::borrow::Cow;

use crate::model::{Mapped, TaskState};
use crate::timefmt::trim;

/// `Task.Status` names by number.
pub(crate) const STATUS_NAMES: [&str; 6] = [
    "STATUS_UNSPECIFIED",
    "ENQUEUED",
    "ASSIGNED",
    "STARTED",
    "PAUSED",
    "COMPLETED",
];

/// `Task.Type` names by number.
pub(crate) const TYPE_NAMES: [&str; 6] = [
    "TYPE_UNSPECIFIED",
    "BACKUP",
    "RETENTION",
    "RECOVERY",
    "APPLY_POLICY",
    "REVOKE_POLICY",
];

/// `Task.Code` names by number.
pub(crate) const CODE_NAMES: [&str; 7] = [
    "CODE_UNSPECIFIED",
    "OK",
    "ERROR",
    "WARNING",
    "CANCELLED",
    "ABANDONED",
    "TIMEDOUT",
];

/// An enum value as sent, a number replaced by its name in `names`: proto3 JSON parsers
/// accept an enum's number for its name. An unknown number stays as it is (and maps to
/// `unknown`).
pub(crate) fn enum_name(raw: String, names: &[&str]) -> String {
    match trim(&raw).parse::<usize>() {
        Ok(i) if i < names.len() => names[i].to_string(),
        _ => raw,
    }
}

/// Normalizes an enum name: trimmed, upper-cased (borrowed when it already is: a poll
/// maps every task's status).
fn norm(s: &str) -> Cow<'_, str> {
    let t = trim(s);
    if t.bytes().any(|b| b.is_ascii_lowercase()) {
        Cow::Owned(t.to_ascii_uppercase())
    } else {
        Cow::Borrowed(t)
    }
}

/// Maps a task's `status` and, when `COMPLETED`, its `resultCode`.
///
/// Returns the mapping and the raw status string kept on the task: the status alone, or
/// `COMPLETED/<resultCode>` for a completed task with a result code. `COMPLETED` with no
/// (or an unspecified) result code is a terminal task with result `unknown`; a result code
/// the table does not know is a terminal, unrecognised `unknown`.
pub(crate) fn map_status(status: Option<&str>, result_code: Option<&str>) -> (Mapped, String) {
    let status = norm(status.unwrap_or(""));
    let state = match &*status {
        "ENQUEUED" | "ASSIGNED" => TaskState::Queued,
        "STARTED" => TaskState::Running,
        "PAUSED" => TaskState::Paused,
        "COMPLETED" => {
            let code = norm(result_code.unwrap_or(""));
            if code.is_empty() || code == "CODE_UNSPECIFIED" {
                return (Mapped::terminal_unknown(), status.into_owned());
            }
            let mut raw = String::with_capacity(status.len() + 1 + code.len());
            raw.push_str(&status);
            raw.push('/');
            raw.push_str(&code);
            let result = match &*code {
                "OK" => TaskState::Succeeded,
                "WARNING" => TaskState::Warning,
                "ERROR" | "ABANDONED" => TaskState::Failed,
                "TIMEDOUT" => TaskState::TimedOut,
                "CANCELLED" => TaskState::Cancelled,
                _ => {
                    let m = Mapped {
                        state: TaskState::Unknown,
                        known: false,
                        terminal: true,
                    };
                    return (m, raw);
                }
            };
            return (Mapped::known(result), raw);
        }
        _ => {
            let raw = if status.is_empty() {
                "STATUS_UNSPECIFIED".to_string()
            } else {
                status.into_owned()
            };
            return (Mapped::unrecognised(), raw);
        }
    };
    (Mapped::known(state), status.into_owned())
}

/// The `type` label: the enum name lower-cased; `unspecified` when absent or unspecified.
pub(crate) fn task_type(raw: Option<&str>) -> String {
    let t = trim(raw.unwrap_or("")).to_ascii_lowercase();
    if t.is_empty() || t == "type_unspecified" {
        "unspecified".to_string()
    } else {
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_value() {
        let cases = [
            ("ENQUEUED", None, TaskState::Queued, false),
            ("ASSIGNED", None, TaskState::Queued, false),
            ("STARTED", None, TaskState::Running, false),
            ("PAUSED", None, TaskState::Paused, false),
            ("COMPLETED", Some("OK"), TaskState::Succeeded, true),
            ("COMPLETED", Some("WARNING"), TaskState::Warning, true),
            ("COMPLETED", Some("ERROR"), TaskState::Failed, true),
            ("COMPLETED", Some("ABANDONED"), TaskState::Failed, true),
            ("COMPLETED", Some("TIMEDOUT"), TaskState::TimedOut, true),
            ("COMPLETED", Some("CANCELLED"), TaskState::Cancelled, true),
            (" completed ", Some("ok "), TaskState::Succeeded, true),
        ];
        for (s, c, want, terminal) in cases {
            let (m, _) = map_status(Some(s), c);
            assert_eq!(
                (m.state, m.known, m.terminal),
                (want, true, terminal),
                "{s} {c:?}"
            );
        }
        // The result code only counts for COMPLETED.
        assert_eq!(
            map_status(Some("STARTED"), Some("ERROR")).0.state,
            TaskState::Running
        );
    }

    #[test]
    fn unknown_values() {
        let (m, raw) = map_status(Some("COMPLETED"), None);
        assert_eq!(m, Mapped::terminal_unknown());
        assert_eq!(raw, "COMPLETED");
        assert_eq!(
            map_status(Some("COMPLETED"), Some("CODE_UNSPECIFIED")).0,
            Mapped::terminal_unknown()
        );
        let (m, raw) = map_status(Some("COMPLETED"), Some("EXPLODED"));
        assert!(!m.known && m.terminal && m.state == TaskState::Unknown);
        assert_eq!(raw, "COMPLETED/EXPLODED");
        let (m, raw) = map_status(Some("HIBERNATING"), None);
        assert_eq!((m, raw.as_str()), (Mapped::unrecognised(), "HIBERNATING"));
        let (m, raw) = map_status(None, None);
        assert_eq!(
            (m, raw.as_str()),
            (Mapped::unrecognised(), "STATUS_UNSPECIFIED")
        );
    }

    #[test]
    fn enum_numbers_are_names() {
        assert_eq!(enum_name("5".into(), &STATUS_NAMES), "COMPLETED");
        assert_eq!(enum_name("6".into(), &CODE_NAMES), "TIMEDOUT");
        assert_eq!(enum_name("0".into(), &TYPE_NAMES), "TYPE_UNSPECIFIED");
        assert_eq!(enum_name("9".into(), &STATUS_NAMES), "9");
        assert_eq!(enum_name("OK".into(), &CODE_NAMES), "OK");
    }

    #[test]
    fn types() {
        assert_eq!(task_type(Some("APPLY_POLICY")), "apply_policy");
        assert_eq!(task_type(None), "unspecified");
        assert_eq!(task_type(Some("TYPE_UNSPECIFIED")), "unspecified");
    }
}
