//! Label values from a cloud, bounded: a value that becomes a label (or a log field) is cut
//! to [`MAX_LABEL_BYTES`] with a hash suffix that keeps two long values distinct, an error
//! message to [`MAX_ERROR_BYTES`], and task types beyond a target's `max_task_types` fold
//! into [`OTHER_TYPE`].

use crate::model::Task;

/// The `type` that task types beyond a target's `max_task_types` fold into.
pub(crate) const OTHER_TYPE: &str = "_other";

/// The longest label value taken from a cloud, in bytes; longer values are cut and end in
/// `~` and 12 hex digits of their SHA-256, so that two long ids stay distinct.
pub(crate) const MAX_LABEL_BYTES: usize = 128;

/// The longest error message kept of a task, in bytes.
pub(crate) const MAX_ERROR_BYTES: usize = 1024;

/// `s` cut to `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A label value from a cloud, bounded to [`MAX_LABEL_BYTES`] with a stable hash suffix.
pub(crate) fn bound_label(s: &str) -> std::borrow::Cow<'_, str> {
    use sha2::Digest;
    if s.len() <= MAX_LABEL_BYTES {
        return std::borrow::Cow::Borrowed(s);
    }
    let digest = sha2::Sha256::digest(s.as_bytes());
    let head = cut(s, MAX_LABEL_BYTES - 13);
    std::borrow::Cow::Owned(format!("{head}~{}", hex::encode(&digest[..6])))
}

/// The task with every value that becomes a label (or a log field) bounded; `None` when it
/// needed no cut.
pub(super) fn bounded(task: &Task) -> Option<Task> {
    let long = |s: &str| s.len() > MAX_LABEL_BYTES;
    let opt_long = |s: &Option<String>| s.as_deref().is_some_and(long);
    let needs = long(&task.id)
        || long(&task.resource)
        || long(&task.task_type)
        || long(&task.raw_status)
        || opt_long(&task.resource_name)
        || opt_long(&task.resource_type)
        || task
            .error
            .as_ref()
            .is_some_and(|e| e.len() > MAX_ERROR_BYTES);
    if !needs {
        return None;
    }
    let b = |s: &str| bound_label(s).into_owned();
    let mut t = task.clone();
    t.id = b(&task.id);
    t.resource = b(&task.resource);
    t.task_type = b(&task.task_type);
    t.raw_status = b(&task.raw_status);
    t.resource_name = task.resource_name.as_deref().map(b);
    t.resource_type = task.resource_type.as_deref().map(b);
    t.error = task
        .error
        .as_deref()
        .map(|e| cut(e, MAX_ERROR_BYTES).to_string());
    Some(t)
}
