//! Fault injection: rules that replace or damage the response to matching requests.

use std::time::Duration;

use super::SimRequest;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer with this status and body instead (and `Retry-After` when given).
    Status {
        /// HTTP status.
        status: u16,
        /// Body (the service's error shape is the caller's choice).
        body: String,
        /// `Retry-After` header value.
        retry_after: Option<String>,
    },
    /// Wait this long before answering normally.
    Delay(Duration),
    /// Send the headers and the first half of the real body, then close the connection.
    Truncate,
    /// Answer 200 with this body instead of the real one.
    Garbage(String),
    /// Answer 200 with exactly these bytes (not necessarily UTF-8) as a JSON body.
    RawBody(bytes::Bytes),
    /// Answer 200 with a valid-looking JSON body of this many bytes.
    Oversize(usize),
    /// Close the connection without answering.
    Reset,
    /// Answer with this status and a JSON error body whose message quotes the credentials the
    /// request carried (`Authorization`, `X-Auth-Token`, `X-Security-Token`,
    /// `X-Amz-Security-Token`) and its body (an IAM request's password, JWT or OAuth token, an
    /// STS form's web identity token), as careless services and proxies do.
    EchoCredentials(u16),
}

/// When a fault applies: a service (or any), an optional path substring, and how many times.
#[derive(Debug, Clone, PartialEq)]
pub struct FaultRule {
    /// Service name as in the request log; `None` matches every service.
    pub service: Option<String>,
    /// Only requests whose path contains this.
    pub path_contains: Option<String>,
    /// Remaining uses; `None` = until cleared.
    pub times: Option<u32>,
    /// The fault.
    pub fault: Fault,
}

impl FaultRule {
    /// A rule for every request to `service`, until cleared.
    pub fn service(service: &str, fault: Fault) -> FaultRule {
        FaultRule {
            service: Some(service.to_string()),
            path_contains: None,
            times: None,
            fault,
        }
    }

    /// Limits the rule to `n` uses.
    pub fn times(mut self, n: u32) -> FaultRule {
        self.times = Some(n.max(1));
        self
    }

    /// Limits the rule to paths containing `s`.
    pub fn path(mut self, s: &str) -> FaultRule {
        self.path_contains = Some(s.to_string());
        self
    }

    pub(crate) fn matches(&self, service: &str, req: &SimRequest) -> bool {
        self.service.as_deref().is_none_or(|s| s == service)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| req.path.contains(p))
    }
}

impl Fault {
    /// A status with an empty JSON object body.
    pub fn status(status: u16) -> Fault {
        Fault::Status {
            status,
            body: "{}".to_string(),
            retry_after: None,
        }
    }

    /// 429 with `Retry-After`.
    pub fn throttle(retry_after: &str) -> Fault {
        Fault::Status {
            status: 429,
            body: r#"{"code":8,"message":"The request limit exceeded"}"#.to_string(),
            retry_after: Some(retry_after.to_string()),
        }
    }
}

/// A change to the records of one task list, applied by the simulated service to the whole
/// list before it pages, so the list stays the same across page requests. Tests use it to
/// send what the SDK models and API docs allow but the simulator's own task structs do not
/// produce: `null` fields, absent fields, the other JSON type of a field, records that are
/// not understandable at all.
///
/// Fields are named as the API names them, dotted for nested ones
/// (`extra_info.common.progress`, `metadata.uid`, `status.phase`); a record is found by its
/// id as the service sends it (`id`, `job_id`, `metadata.uid`).
#[derive(Debug, Clone, PartialEq)]
pub enum RecordEdit {
    /// Sets a field of the record with this id (`Value::Null` sends `null`); missing parent
    /// objects are created.
    Set {
        /// The record's id.
        id: String,
        /// The dotted field name.
        field: String,
        /// The value sent.
        value: serde_json::Value,
    },
    /// Leaves a field out of the record with this id.
    Remove {
        /// The record's id.
        id: String,
        /// The dotted field name.
        field: String,
    },
    /// Sends a field of the record with this id with the other JSON type its SDK model or doc
    /// sample uses: a number for a numeric string, a string for a number, and for Yandex
    /// enums (`status`, `type`, `resultCode`) the enum's number for its name.
    Retype {
        /// The record's id.
        id: String,
        /// The dotted field name.
        field: String,
    },
    /// Inserts a raw record at this position of the whole list (at its end when past it).
    Insert {
        /// Position in the whole list, before paging.
        index: usize,
        /// The record as sent.
        record: serde_json::Value,
    },
    /// Sends the task list as `null` (every page).
    NullList,
    /// Sends the total count with its other JSON type: DMS `task_count` as a number (the
    /// SDKs type it as a string, the DCS doc sample sends `1`), CBR `count` as a string (the
    /// SDK's `int(...)` reads both), VBS `count` as a string (no SDK; the doc has a number).
    RetypeCount,
}

impl RecordEdit {
    /// `field` of record `id` sent as `null`.
    pub fn null(id: &str, field: &str) -> RecordEdit {
        RecordEdit::Set {
            id: id.to_string(),
            field: field.to_string(),
            value: serde_json::Value::Null,
        }
    }

    /// `field` of record `id` sent as `value`.
    pub fn set(id: &str, field: &str, value: serde_json::Value) -> RecordEdit {
        RecordEdit::Set {
            id: id.to_string(),
            field: field.to_string(),
            value,
        }
    }

    /// `field` of record `id` left out.
    pub fn remove(id: &str, field: &str) -> RecordEdit {
        RecordEdit::Remove {
            id: id.to_string(),
            field: field.to_string(),
        }
    }

    /// `field` of record `id` sent with its other JSON type.
    pub fn retype(id: &str, field: &str) -> RecordEdit {
        RecordEdit::Retype {
            id: id.to_string(),
            field: field.to_string(),
        }
    }
}

/// Record edits for the list of one service, optionally of one unit (instance, policy,
/// cluster; for CBR the project).
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRule {
    /// Service name as in the request log.
    pub service: String,
    /// The unit whose list changes; `None`: every unit of the service.
    pub unit: Option<String>,
    /// The change.
    pub edit: RecordEdit,
}

/// The record edits that apply to one list, in the order they were added.
#[derive(Debug, Default)]
pub(crate) struct ListEdits(Vec<RecordEdit>);

impl ListEdits {
    /// The edits of `rules` for `unit`.
    pub(crate) fn for_unit(rules: &[RecordRule], unit: &str) -> ListEdits {
        ListEdits(
            rules
                .iter()
                .filter(|r| r.unit.as_deref().is_none_or(|u| u == unit))
                .map(|r| r.edit.clone())
                .collect(),
        )
    }

    /// Applies the record edits to the whole list; `id_field` is where a record's id is.
    /// `enums` maps an enum field's names to numbers for [`RecordEdit::Retype`].
    pub(crate) fn apply(
        &self,
        records: &mut Vec<serde_json::Value>,
        id_field: &str,
        enums: &dyn Fn(&str, &str) -> Option<u64>,
    ) {
        for edit in &self.0 {
            let find = |records: &mut Vec<serde_json::Value>, id: &str| {
                records
                    .iter_mut()
                    .position(|r| get(r, id_field).and_then(|v| v.as_str()) == Some(id))
            };
            match edit {
                RecordEdit::Set { id, field, value } => {
                    if let Some(i) = find(records, id) {
                        set(&mut records[i], field, value.clone());
                    }
                }
                RecordEdit::Remove { id, field } => {
                    if let Some(i) = find(records, id) {
                        remove(&mut records[i], field);
                    }
                }
                RecordEdit::Retype { id, field } => {
                    if let Some(i) = find(records, id)
                        && let Some(v) =
                            get(&records[i], field).and_then(|v| retyped(v, field, enums))
                    {
                        set(&mut records[i], field, v);
                    }
                }
                RecordEdit::Insert { index, record } => {
                    records.insert((*index).min(records.len()), record.clone());
                }
                RecordEdit::NullList | RecordEdit::RetypeCount => {}
            }
        }
    }

    /// Whether the list is sent as `null`.
    pub(crate) fn null_list(&self) -> bool {
        self.0.contains(&RecordEdit::NullList)
    }

    /// The total count as sent: `count` as a number, or with its other type when asked.
    pub(crate) fn count(&self, count: usize, native_string: bool) -> serde_json::Value {
        let swap = self.0.contains(&RecordEdit::RetypeCount);
        if native_string != swap {
            serde_json::Value::String(count.to_string())
        } else {
            serde_json::Value::from(count)
        }
    }
}

/// The other JSON type of `v` (see [`RecordEdit::Retype`]).
fn retyped(
    v: &serde_json::Value,
    field: &str,
    enums: &dyn Fn(&str, &str) -> Option<u64>,
) -> Option<serde_json::Value> {
    match v {
        serde_json::Value::Number(n) => Some(serde_json::Value::String(n.to_string())),
        serde_json::Value::String(s) => match s.trim().parse::<i64>() {
            Ok(n) => Some(serde_json::Value::from(n)),
            Err(_) => match s.trim().parse::<f64>() {
                Ok(f) => serde_json::Number::from_f64(f).map(serde_json::Value::Number),
                Err(_) => enums(field, s).map(serde_json::Value::from),
            },
        },
        _ => None,
    }
}

fn get<'a>(v: &'a serde_json::Value, field: &str) -> Option<&'a serde_json::Value> {
    field.split('.').try_fold(v, |cur, k| cur.get(k))
}

fn set(v: &mut serde_json::Value, field: &str, value: serde_json::Value) {
    let mut parts: Vec<&str> = field.split('.').collect();
    let Some(last) = parts.pop() else { return };
    let mut cur = v;
    for k in parts {
        let Some(obj) = cur.as_object_mut() else {
            return;
        };
        let child = obj
            .entry(k.to_string())
            .or_insert_with(|| serde_json::Value::Object(Default::default()));
        if !child.is_object() {
            *child = serde_json::Value::Object(Default::default());
        }
        cur = child;
    }
    if let Some(obj) = cur.as_object_mut() {
        obj.insert(last.to_string(), value);
    }
}

fn remove(v: &mut serde_json::Value, field: &str) {
    let (parent, last) = match field.rsplit_once('.') {
        Some((p, l)) => (Some(p), l),
        None => (None, field),
    };
    let target = match parent {
        None => Some(v),
        Some(p) => p.split('.').try_fold(v, |cur, k| cur.get_mut(k)),
    };
    if let Some(obj) = target.and_then(|t| t.as_object_mut()) {
        obj.remove(last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn edits_find_records_by_id_and_change_nested_fields() {
        let mut list = vec![
            json!({"metadata": {"uid": "a"}, "status": {"phase": "Success", "progress": "67"}}),
            json!({"metadata": {"uid": "b"}, "status": {"phase": "Running"}}),
        ];
        let edits = ListEdits(vec![
            RecordEdit::retype("a", "status.progress"),
            RecordEdit::null("b", "status.phase"),
            RecordEdit::set("b", "spec.items", json!([])),
            RecordEdit::remove("a", "status.phase"),
            RecordEdit::null("nope", "status"),
            RecordEdit::Insert {
                index: 1,
                record: json!("garbage"),
            },
        ]);
        edits.apply(&mut list, "metadata.uid", &|_, _| None);
        assert_eq!(
            list,
            [
                json!({"metadata": {"uid": "a"}, "status": {"progress": 67}}),
                json!("garbage"),
                json!({"metadata": {"uid": "b"}, "status": {"phase": null}, "spec": {"items": []}}),
            ]
        );
        assert!(!edits.null_list());
        assert_eq!(edits.count(3, true), json!("3"));
        let swap = ListEdits(vec![RecordEdit::RetypeCount, RecordEdit::NullList]);
        assert_eq!(swap.count(3, true), json!(3));
        assert_eq!(swap.count(3, false), json!("3"));
        assert!(swap.null_list());
    }

    #[test]
    fn retype_swaps_numbers_strings_and_enum_names() {
        let enums =
            |field: &str, name: &str| (field == "status" && name == "COMPLETED").then_some(5);
        assert_eq!(retyped(&json!("12"), "id", &enums), Some(json!(12)));
        assert_eq!(retyped(&json!(40), "p", &enums), Some(json!("40")));
        assert_eq!(
            retyped(&json!("COMPLETED"), "status", &enums),
            Some(json!(5))
        );
        assert_eq!(retyped(&json!("x"), "status", &enums), None);
    }
}
