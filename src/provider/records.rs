//! Per-record decoding, shared by every provider (`docs/metrics.md` "Records the exporter cannot read").
//!
//! A page is decoded by [`decode_page`]: first in one pass, its envelope (the task list and
//! the paging fields) together with every record in the provider's wire struct. That holds
//! for a page whose every record is an object of the wire shape with an id, the usual page.
//! Otherwise the page is read again with its list kept as raw JSON records ([`Raw`]), and
//! every record is decoded on its own ([`decode_records`]): a record that cannot be
//! understood becomes an [`InvalidTask`] naming the API field, and the rest of the page is
//! kept. Both ways give the same outcome. A body that is not JSON or whose envelope has the
//! wrong shape fails the unit with reason `decode`.
//!
//! Wire structs declare the fields they read as [`Field<T>`], which never fails to decode:
//! it records whether the field was absent, `null`, of the expected type or of another one.
//! The provider then says which fields a usable task needs ([`Field::required`]) and which
//! may be missing ([`Field::optional`]); a value of a type the SDK model does not allow is
//! an invalid task either way. Nothing here knows a service's field names.

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer};
use serde_json::value::RawValue;

use super::field::{Field, Invalid, Number, shorten};

mod scan;
use crate::memo::{Known, Recall, Recalled, RecordKey};
use crate::model::{InvalidTask, Task};

/// A task list of an envelope: `null` or absent is empty, anything but an array fails the
/// page (what [`Raw`] reads).
pub(crate) fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'de RawValue>, D::Error> {
    Ok(Option::<Vec<&'de RawValue>>::deserialize(d)?.unwrap_or_default())
}

/// A page's task list as raw records borrowed from the body, for [`decode_records`]: `null`
/// or absent is empty (with `#[serde(default)]`), anything but an array fails the page.
#[derive(Debug, Default)]
pub(crate) struct Raw<'a>(pub(crate) Vec<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Raw<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        list(d).map(Raw)
    }
}

/// A page's task list read in one pass into the wire struct `W` (`null` or absent is
/// empty). Reading fails on a record that is not of the wire shape; [`decode_page`] then
/// reads the page again record by record, as [`Raw`].
#[derive(Debug)]
pub(crate) struct Fast<W>(pub(crate) Vec<W>);

impl<W> Default for Fast<W> {
    fn default() -> Self {
        Fast(Vec::new())
    }
}

impl<'de, W: Deserialize<'de>> Deserialize<'de> for Fast<W> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Fast(Option::<Vec<W>>::deserialize(d)?.unwrap_or_default()))
    }
}

/// Decodes a page whose envelope `E` holds its task list as `L`. With a memo to ask
/// (`recall`: the polled unit and the target's [`Recall`]), the list is read as [`Raw`]
/// records and the memo is asked for their keys at once: a record it knows is passed over as
/// [`Known`], every other one decoded as [`decode_records`] does, its task carrying its key.
/// The records' bounds are then found by [`scan`], not by `serde_json` (a tenth of the work),
/// and the rest of the envelope read from the body without its list (kept in the response);
/// a body the scan cannot follow, or with a record that is not JSON, is read by `serde_json`
/// alone, with the same outcome. `list` is the list's member name in the body.
/// Without one, the page is read once with the list as [`Fast`] (one pass over the body: the
/// common case of a page whose every record is an object of the wire shape with an id), and,
/// when that does not hold, again as [`Raw`], record by record, with exactly
/// [`decode_records`]'s outcome. `fast` and `raw` split the envelope into its list and the
/// rest (paging fields). A body that is not JSON or whose envelope has the wrong shape fails
/// with reason `decode`.
pub(crate) fn decode_page<'a, W, EF, ER, Rest>(
    resp: &'a crate::provider::http::Response,
    what: &str,
    list: &'static str,
    fast: impl FnOnce(EF) -> (Fast<W>, Rest),
    raw: impl Fn(ER) -> (Raw<'a>, Rest),
    mut convert: impl FnMut(String, W) -> Result<Task, Invalid>,
    recall: Option<(&str, &Recall)>,
) -> Result<(Records, Rest), crate::provider::error::ProviderError>
where
    W: Record,
    EF: Deserialize<'a>,
    ER: Deserialize<'a>,
{
    if recall.is_none()
        && let Ok(page) = resp.json::<EF>(what)
    {
        let (Fast(records), rest) = fast(page);
        let mut out = Records {
            raw: records.len(),
            ..Records::default()
        };
        let mut named = true;
        for w in records {
            let Ok(id) = w.id() else {
                // An id-less record is keyed by its raw text: read the page record by record.
                named = false;
                break;
            };
            match convert(id.clone(), w) {
                Ok(t) => out.tasks.push(t),
                Err(e) => out.skip(what, e.into_task(Some(id)), None),
            }
        }
        if named {
            return Ok((out, rest));
        }
    }
    if let Some((unit, recall)) = recall
        && let Some((split, asked)) = guided_split(&resp.body, list, unit, recall)
        && let Some(envelope) = split.envelope
        && resp.envelope.set(envelope).is_ok()
        && let Some(envelope) = resp.envelope.get()
        && let Ok(page) = serde_json::from_str::<ER>(envelope)
    {
        let (Raw(none), rest) = raw(page);
        // Records left in the envelope: `list` is not the member the envelope reads as its
        // list, a provider's mistake (found by any test that polls it twice); read by serde.
        debug_assert!(none.is_empty(), "{what}: `{list}` is not the list's member");
        if none.is_empty() {
            recall.place(unit, || {
                split.records.iter().map(|r| r.len() as u32).collect()
            });
            match remembered(what, list, split.records, asked, &mut convert, true) {
                Some(records) => return Ok((records, rest)),
                // A record is not JSON: the body is not, and serde says where.
                None => drop(resp.json::<ER>(what)?),
            }
        }
    }
    let page: ER = resp.json(what)?;
    let (Raw(records), rest) = raw(page);
    let Some((unit, recall)) = recall else {
        return Ok((decode_records(what, list, records, convert), rest));
    };
    let records: Vec<&[u8]> = records.into_iter().map(|r| r.get().as_bytes()).collect();
    let asked = ask(&records, unit, recall);
    let records = remembered(what, list, records, asked, convert, false);
    // Unchecked, every record is kept, understood or not: there is always an outcome.
    Ok((records.unwrap_or_default(), rest))
}

/// Splits `body` around its list (`scan::split`), each record's bounds first guessed from
/// where `unit`'s records stood at its last listing ([`crate::memo::Layouts`]): the next
/// length of that listing, or the one after it (a record that changed since, a running task
/// that finished, leaves one behind; a new record in front shifts the rest, which the next
/// record then finds). A record with guessed bounds is asked for with the others; one the
/// memo does not know has its bounds read after all (`scan::end`), and when they differ the
/// body is split again without guesses.
fn guided_split<'a>(
    body: &'a [u8],
    list: &str,
    unit: &str,
    recall: &Recall,
) -> Option<(scan::Split<'a>, Asked)> {
    let unguided = || {
        let split = scan::split(body, list, |_| None)?;
        let asked = ask(&split.records, unit, recall);
        Some((split, asked))
    };
    let lens = recall.layout(unit).unwrap_or_default();
    if lens.is_empty() {
        return unguided();
    }
    let (mut next, mut guessed) = (0, Vec::new());
    let guessing = scan::split(body, list, |rest| {
        for j in [next, next + 1] {
            let Some(&len) = lens.get(j) else { break };
            if scan::fits(rest, len as usize) {
                next = j + 1;
                guessed.push(Some(rest));
                return Some(len as usize);
            }
        }
        guessed.push(None);
        None
    });
    // A guess that fit where no record ends leaves the rest unreadable.
    let Some(split) = guessing else {
        return unguided();
    };
    let asked = ask(&split.records, unit, recall);
    let confirmed = split
        .records
        .iter()
        .zip(&guessed)
        .zip(&asked.1)
        .all(|((r, g), k)| k.is_some() || g.is_none_or(|rest| scan::end(rest) == Some(r.len())));
    if confirmed {
        Some((split, asked))
    } else {
        unguided()
    }
}

/// The keys of a page's records and what the memo knows of each (see [`Recall::ask`]).
type Asked = (Vec<RecordKey>, Vec<Option<Recalled>>);

/// Asks the memo for `records` of `unit`, all at once.
fn ask(records: &[&[u8]], unit: &str, recall: &Recall) -> Asked {
    let keys: Vec<RecordKey> = records.iter().map(|r| RecordKey::of(unit, r)).collect();
    let known = recall.ask(&keys);
    (keys, known)
}

/// The records of a page with what the memo said of them ([`ask`]): a record it knows is
/// passed over as [`Known`], every other one decoded as [`decode_records`] does, its task
/// carrying its key. With `check`, `None` when a record is not JSON at all (or not UTF-8).
fn remembered<W: Record>(
    what: &str,
    list: &'static str,
    records: Vec<&[u8]>,
    (keys, known): Asked,
    convert: impl FnMut(String, W) -> Result<Task, Invalid>,
    check: bool,
) -> Option<Records> {
    let memo = Memo { keys: &keys, known };
    decode_each(what, list, records, Some(memo), convert, check)
}

/// A total count of an envelope (`count`, `task_count`): a number or a numeric string. A
/// count of another type is ignored (it is only a paging hint; the short-page rule still
/// ends the listing). Use as `#[serde(default, deserialize_with = "records::count")]`.
pub(crate) fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Field::<Number>::deserialize(d)? {
        Field::Value(Number(n)) if n >= 0.0 => Some(n as u64),
        _ => None,
    })
}

/// A wire struct of one task record.
pub(crate) trait Record: DeserializeOwned {
    /// The record's id; an [`Invalid`] naming the id field (`id`, `job_id`, `metadata.uid`)
    /// when it has no usable one.
    fn id(&self) -> Result<String, Invalid>;
}

/// One page decoded record by record.
#[derive(Debug, Default)]
pub struct Records {
    /// Tasks understood.
    pub tasks: Vec<Task>,
    /// Records skipped.
    pub invalid: Vec<InvalidTask>,
    /// Records on the page, understood or not (for the short-page rule).
    pub raw: usize,
    /// One key per skipped record without an id, in the order they appear in `invalid`: a
    /// hash of the record's JSON text. It stands in for the id, so that a page of unreadable
    /// records counts as new for the "no new ids" rule and the same page served again does
    /// not.
    pub(crate) unnamed: Vec<u64>,
    /// Records passed over as already accounted as finished ([`crate::memo`]), in page
    /// order among `tasks`.
    pub(crate) known: Vec<Known>,
}

impl From<Vec<Task>> for Records {
    /// A page of tasks that were all understood.
    fn from(tasks: Vec<Task>) -> Records {
        Records {
            raw: tasks.len(),
            tasks,
            invalid: Vec::new(),
            unnamed: Vec::new(),
            known: Vec::new(),
        }
    }
}

/// Decodes each record of `list` (the API's name of the task list) into `W` and then a
/// [`Task`] with `convert(id, record)`. A record that is not an object of the wire shape,
/// has no usable id, or fails `convert` becomes an [`InvalidTask`]; `call` names the call
/// in the debug log.
pub(crate) fn decode_records<W: Record>(
    call: &str,
    list: &'static str,
    raw: Vec<&RawValue>,
    convert: impl FnMut(String, W) -> Result<Task, Invalid>,
) -> Records {
    let raw = raw.into_iter().map(|r| r.get().as_bytes()).collect();
    decode_each(call, list, raw, None, convert, false).unwrap_or_default()
}

/// What the memo said of a page's records, in their order: each one's key, and for a known
/// one what it knows (taken as the record is passed over).
struct Memo<'k> {
    keys: &'k [RecordKey],
    known: Vec<Option<Recalled>>,
}

/// [`decode_records`], passing over the records `memo` knows (each one a [`Known`]) and
/// giving every task the key of its record. With `check`, a record that is not of the wire
/// shape is also read as JSON of any shape, and `None` returned when it is not JSON at all
/// (the records came from `scan`, which does not know).
fn decode_each<W: Record>(
    call: &str,
    list: &'static str,
    raw: Vec<&[u8]>,
    mut memo: Option<Memo<'_>>,
    mut convert: impl FnMut(String, W) -> Result<Task, Invalid>,
    check: bool,
) -> Option<Records> {
    let mut out = Records {
        raw: raw.len(),
        ..Records::default()
    };
    for (i, r) in raw.into_iter().enumerate() {
        let key = memo.as_ref().and_then(|m| m.keys.get(i).copied());
        if let Some(key) = key
            && let Some(known) = (memo.as_mut()).and_then(|m| m.known.get_mut(i)?.take())
        {
            out.known.push(Known {
                at: out.tasks.len(),
                key,
                order: known.order,
                active: known.active,
            });
            continue;
        }
        // Text from serde is UTF-8; bytes from `scan` are checked here, record by record.
        let Ok(r) = std::str::from_utf8(r) else {
            return None;
        };
        let result = match serde_json::from_str::<W>(r) {
            Err(_) if check && serde_json::from_str::<serde::de::IgnoredAny>(r).is_err() => {
                return None;
            }
            Err(_) => Err(
                Invalid::new(list, format!("not a task record: {}", shorten(r))).into_task(None),
            ),
            Ok(w) => match w.id() {
                Err(e) => Err(e.into_task(None)),
                Ok(id) => convert(id.clone(), w).map_err(|e| e.into_task(Some(id))),
            },
        };
        match result {
            Ok(mut t) => {
                t.record = key;
                out.tasks.push(t);
            }
            Err(bad) => out.skip(call, bad, Some(r)),
        }
    }
    Some(out)
}

impl Records {
    /// Records a skipped record; one without an id is keyed by a hash of its `raw` text.
    fn skip(&mut self, call: &str, bad: InvalidTask, raw: Option<&str>) {
        tracing::debug!(call, id = ?bad.id, field = bad.field, detail = %bad.detail, "Task record not understood; skipped.");
        if bad.id.is_none() {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            std::hash::Hash::hash(raw.unwrap_or_default(), &mut h);
            self.unnamed.push(std::hash::Hasher::finish(&h));
        }
        self.invalid.push(bad);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mapped, TaskState};
    use crate::provider::field::{EXCERPT_CHARS, Stamp, Text};

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Wire {
        id: Field<String>,
        status: Field<String>,
        at: Field<Stamp>,
        progress: Field<Number>,
        count: Field<Text>,
    }

    impl Record for Wire {
        fn id(&self) -> Result<String, Invalid> {
            self.id.id("id")
        }
    }

    fn decode(body: &str) -> Records {
        #[derive(Deserialize)]
        struct Page<'a> {
            #[serde(borrow, default, deserialize_with = "list")]
            tasks: Vec<&'a RawValue>,
        }
        let page: Page<'_> = serde_json::from_str(body).unwrap();
        decode_records("test", "tasks", page.tasks, |id, w: Wire| {
            let status = w.status.required("status")?;
            let mut t = Task::new(id, "r", "t", status, Mapped::known(TaskState::Succeeded));
            t.created = w.at.time("at", crate::timefmt::lenient)?;
            t.progress = w.progress.optional("progress")?.map(|n| n.0);
            let _ = w.count.optional("count")?;
            Ok(t)
        })
    }

    #[test]
    fn one_bad_record_leaves_the_others() {
        let r = decode(
            r#"{"tasks":[
                {"id":"a","status":"ok","at":"2024-05-01 12:00:00.5","progress":"40","count":3},
                {"id":"b","status":null},
                {"status":"ok"},
                {"id":"c","status":"ok","at":"last tuesday"},
                {"id":"d","status":"ok","progress":{"x":1}},
                {"id":7,"status":"ok"},
                "garbage",
                {"id":"e","status":"ok","at":null,"progress":null,"count":"4"}
            ]}"#,
        );
        assert_eq!(r.raw, 8);
        let ids: Vec<&str> = r.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a", "e"]);
        assert_eq!(r.tasks[0].progress, Some(40.0));
        let bad: Vec<(Option<&str>, &str)> = r
            .invalid
            .iter()
            .map(|i| (i.id.as_deref(), i.field))
            .collect();
        assert_eq!(
            bad,
            [
                (Some("b"), "status"),
                (None, "id"),
                (Some("c"), "at"),
                (Some("d"), "progress"),
                (None, "id"),
                (None, "tasks"),
            ]
        );
        assert_eq!(r.unnamed.len(), 3, "one key per id-less record");
        assert_ne!(r.unnamed[0], r.unnamed[1]);
        assert_eq!(r.invalid[0].detail, "null");
        assert_eq!(r.invalid[1].detail, "missing");
        assert_eq!(
            r.invalid[2].detail,
            r#""last tuesday" is not a supported time"#
        );
        assert_eq!(r.invalid[3].detail, r#"unexpected value {"x":1}"#);
        assert_eq!(r.invalid[4].detail, "unexpected value 7");
        assert_eq!(r.invalid[5].detail, r#"not a task record: "garbage""#);
    }

    /// [`decode_page`] (one pass, record-by-record fallback) has exactly the outcome of
    /// [`decode_records`] on every page: all good, bad only in conversion (the one-pass
    /// read holds), bad in shape (it falls back), id-less.
    #[test]
    fn one_pass_decoding_matches_record_by_record() {
        #[derive(Deserialize)]
        struct Env<L> {
            #[serde(default)]
            tasks: L,
            #[serde(default)]
            count: Option<u64>,
        }
        fn convert(id: String, w: Wire) -> Result<Task, Invalid> {
            let status = w.status.required("status")?;
            let mut t = Task::new(id, "r", "t", status, Mapped::known(TaskState::Succeeded));
            t.created = w.at.time("at", crate::timefmt::lenient)?;
            t.progress = w.progress.optional("progress")?.map(|n| n.0);
            Ok(t)
        }
        let summary = |r: &Records| {
            let tasks: Vec<String> = r.tasks.iter().map(|t| format!("{t:?}")).collect();
            let bad: Vec<String> = r.invalid.iter().map(|i| format!("{i:?}")).collect();
            (r.raw, tasks, bad, r.unnamed.clone())
        };
        let bodies = [
            r#"{"tasks":[{"id":"a","status":"ok","at":"2024-05-01 12:00:00"},{"id":"b","status":"ok"}],"count":2}"#,
            r#"{"tasks":[{"id":"a","status":"ok"},{"id":"c","status":"ok","at":"last tuesday"},{"id":"b","status":null}],"count":3}"#,
            r#"{"tasks":[{"id":"a","status":"ok"},{"id":"d","status":"ok","progress":{"x":1}}],"count":2}"#,
            r#"{"tasks":[{"id":"a","status":"ok"},{"status":"ok"},"garbage"],"count":3}"#,
            r#"{"tasks":null,"count":0}"#,
            r#"{}"#,
        ];
        let one_pass = |body: &'static str| {
            let resp =
                crate::provider::http::Response::new(Default::default(), bytes::Bytes::from(body));
            decode_page(
                &resp,
                "test",
                "tasks",
                |p: Env<Fast<Wire>>| (p.tasks, p.count),
                |p: Env<Raw<'_>>| (p.tasks, p.count),
                convert,
                None,
            )
            .map(|(records, count)| (summary(&records), count))
        };
        for body in bodies {
            let (one, count) = one_pass(body).unwrap();
            let env: Env<Raw<'_>> = serde_json::from_str(body).unwrap();
            let each = decode_records("test", "tasks", env.tasks.0, convert);
            assert_eq!(one, summary(&each), "{body}");
            assert_eq!(count, env.count, "{body}");
        }
        assert!(
            one_pass(r#"{"tasks":"x"}"#).is_err(),
            "a list that is not an array fails the page"
        );
    }

    /// With a memo, the records it knows are passed over, never converted, each a [`Known`]
    /// in page order among the tasks; every other record decodes as record by record, its
    /// task carrying its key. The memo knows records per unit.
    #[test]
    fn known_records_are_passed_over_and_the_rest_carry_their_keys() {
        use crate::memo::RecordMemo;
        use std::sync::{Arc, Mutex};
        #[derive(Deserialize)]
        struct Env<L> {
            #[serde(default)]
            tasks: L,
        }
        let body = r#"{"tasks":[{"id":"a","status":"ok","at":"2024-05-01 12:00:00"},{"id":"b","status":"ok"},{"id":"c","status":null},{"status":"ok"},{"id":"d","status":"ok"}]}"#;
        let resp =
            crate::provider::http::Response::new(Default::default(), bytes::Bytes::from(body));
        let env: Env<Raw<'_>> = serde_json::from_str(body).unwrap();
        let key = |i: usize| RecordKey::of("u", env.tasks.0[i].get());
        let at: jiff::Timestamp = "2024-05-01T12:00:00Z".parse().unwrap();
        let mut memo = RecordMemo::default();
        memo.remember(key(0), Some(at), 0.0);
        memo.remember(key(4), None, 0.0);
        let memo = Arc::new(Mutex::new(memo));
        let recall = Recall::new(move |keys| memo.lock().unwrap().recall(keys, 0.0));
        let run = |unit: Option<&str>| {
            let mut converted = Vec::new();
            let (r, ()) = decode_page(
                &resp,
                "test",
                "tasks",
                |p: Env<Fast<Wire>>| (p.tasks, ()),
                |p: Env<Raw<'_>>| (p.tasks, ()),
                |id: String, w: Wire| {
                    converted.push(id.clone());
                    let status = w.status.required("status")?;
                    Ok(Task::new(
                        id,
                        "r",
                        "t",
                        status,
                        Mapped::known(TaskState::Succeeded),
                    ))
                },
                unit.map(|u| (u, &recall)),
            )
            .unwrap();
            (r, converted)
        };
        let (r, converted) = run(Some("u"));
        assert_eq!(converted, ["b", "c"]);
        assert_eq!(r.raw, 5);
        assert_eq!(
            r.known,
            [
                Known {
                    at: 0,
                    key: key(0),
                    order: Some(at),
                    active: None,
                },
                Known {
                    at: 1,
                    key: key(4),
                    order: None,
                    active: None,
                }
            ]
        );
        assert_eq!(r.tasks.len(), 1);
        assert_eq!(r.tasks[0].record, Some(key(1)));
        let bad: Vec<(Option<&str>, &str)> = r
            .invalid
            .iter()
            .map(|i| (i.id.as_deref(), i.field))
            .collect();
        assert_eq!(bad, [(Some("c"), "status"), (None, "id")]);
        // Another unit's records are not this one's.
        let (r, converted) = run(Some("v"));
        assert_eq!(converted, ["a", "b", "c", "d"]);
        assert!(r.known.is_empty());
        assert_eq!(
            r.tasks[0].record,
            Some(RecordKey::of("v", env.tasks.0[0].get()))
        );
        // Without a memo, nothing is passed over and no task carries a key.
        let (r, _) = run(None);
        let ids: Vec<&str> = r.tasks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "d"]);
        assert!(r.known.is_empty() && r.tasks.iter().all(|t| t.record.is_none()));
    }

    /// An envelope with the task list `tasks` and a `count`, for the memo's tests.
    #[derive(Deserialize)]
    struct CountedEnv<L> {
        #[serde(default)]
        tasks: L,
        #[serde(default, deserialize_with = "count")]
        count: Option<u64>,
    }

    /// What a page of `body` reads as with `recall` (unit `u`), its records split by `scan`
    /// or, `by_scan` false, by serde alone: the records, tasks, skips and known records as
    /// text, and whether the scan split the body.
    #[allow(clippy::type_complexity, reason = "a test's summary of a page")]
    fn read_with(
        body: &str,
        recall: &Recall,
        by_scan: bool,
        state: TaskState,
    ) -> (
        Result<
            (
                usize,
                Vec<String>,
                Vec<String>,
                Vec<String>,
                Vec<u64>,
                Option<u64>,
            ),
            String,
        >,
        bool,
    ) {
        let resp = crate::provider::http::Response::new(
            Default::default(),
            bytes::Bytes::from(body.to_string()),
        );
        if !by_scan {
            resp.envelope.set(String::new()).unwrap();
        }
        let out = decode_page(
            &resp,
            "test",
            "tasks",
            |p: CountedEnv<Fast<Wire>>| (p.tasks, p.count),
            |p: CountedEnv<Raw<'_>>| (p.tasks, p.count),
            |id: String, w: Wire| {
                let status = w.status.required("status")?;
                Ok(Task::new(id, "r", "t", status, Mapped::known(state)))
            },
            Some(("u", recall)),
        )
        .map(|(r, count)| {
            let tasks = r.tasks.iter().map(|t| format!("{t:?}")).collect();
            let bad = r.invalid.iter().map(|i| format!("{i:?}")).collect();
            let known = r.known.iter().map(|k| format!("{k:?}")).collect();
            (r.raw, tasks, bad, known, r.unnamed, count)
        })
        .map_err(|e| e.to_string());
        (out, resp.envelope.get().is_some_and(|e| !e.is_empty()))
    }

    /// With a memo, a page is split by `scan` and read by serde in the same outcome, odd
    /// bodies and bodies that are not JSON included (the error is serde's either way).
    #[test]
    fn the_scan_and_serde_read_a_page_alike() {
        use crate::memo::RecordMemo;
        use std::sync::{Arc, Mutex};
        let known = r#"{"id":"k","status":"ok"}"#;
        let mut memo = RecordMemo::default();
        memo.remember(RecordKey::of("u", known), None, 0.0);
        let memo = Arc::new(Mutex::new(memo));
        let recall = Recall::new(move |keys| memo.lock().unwrap().recall(keys, 0.0));
        let read = |body: &str, by_scan: bool| read_with(body, &recall, by_scan, TaskState::Failed);
        let bodies = [
            (
                true,
                format!(r#"{{"tasks":[{known},{{"id":"a","status":"ok"}}],"count":2}}"#),
            ),
            (
                true,
                format!(
                    r#" {{ "count" : "7", "tasks" : [ {known} , "garbage", {{"status":"ok"}}, {{"id":"b","status":{{"x":"]"}}}} ] }}"#
                ),
            ),
            (
                true,
                format!(r#"{{"t\u0061sks":[{known},{{"id":"c\"}}","status":null}}]}}"#),
            ),
            (true, r#"{"tasks":null,"count":0}"#.to_string()),
            (true, r#"{"count":0}"#.to_string()),
            // An array reads as the envelope's members in order (serde's way with a struct).
            (false, r#"[]"#.to_string()),
            (false, r#"{"tasks":"x"}"#.to_string()),
            (true, format!(r#"{{"tasks":[{known}],"tasks":[]}}"#)),
            // Not JSON, where only serde sees it: in a record, between members, at the end.
            (
                true,
                format!(r#"{{"tasks":[{known},{{"id":"a","status":"ok",}}]}}"#),
            ),
            (
                true,
                format!("{{\"tasks\":[{known},{{\"id\":\"a\u{1}\",\"status\":\"ok\"}}]}}"),
            ),
            (true, format!(r#"{{"tasks":[{known}],"count":01}}"#)),
            (true, format!(r#"{{"tasks":[{known}],"count":1,"x":{{]}}"#)),
            (
                false,
                format!(r#"{{"tasks":[{known}],"count":1,"x":[}}]}}"#),
            ),
        ];
        for (scans, body) in &bodies {
            let (by_scan, scanned) = read(body, true);
            let (by_serde, _) = read(body, false);
            assert_eq!(by_scan, by_serde, "{body}");
            assert_eq!(scanned, *scans, "{body}");
        }
        let outcome = |body: &str| read(body, true).0;
        assert_eq!(
            outcome(&bodies[0].1).unwrap().3.len(),
            1,
            "the known record passed over"
        );
        for (_, body) in &bodies[6..] {
            assert!(outcome(body).is_err(), "{body}");
        }
    }

    /// A unit's known records are found where they stood at its last listing, shifted by a
    /// new record and past one that changed, and read as a scan reads them; a later page of
    /// the same poll guesses nothing.
    #[test]
    fn known_records_are_found_where_they_stood() {
        use crate::memo::{Layouts, RecordMemo};
        use std::sync::{Arc, Mutex};
        let rec = |id: &str, status: &str| format!(r#"{{"id":"{id}","status":"{status}"}}"#);
        let page = |records: &[String]| format!(r#"{{"tasks":[{}]}}"#, records.join(","));
        let (a, b, c, d) = (
            rec("a", "run"),
            rec("bbbb", "ok"),
            rec("cccccc", "ok"),
            rec("dddddddd", "ok"),
        );
        let mut memo = RecordMemo::default();
        for r in [&b, &c, &d] {
            memo.remember(RecordKey::of("u", r), None, 0.0);
        }
        let memo = Arc::new(Mutex::new(memo));
        let asks = Arc::new(Mutex::new(Vec::new()));
        let layouts = Arc::new(Layouts::default());
        let recall = |poll: u64| {
            let (memo, asks) = (Arc::clone(&memo), Arc::clone(&asks));
            Recall::new(move |keys| {
                asks.lock().unwrap().push(keys.len());
                memo.lock().unwrap().recall(keys, 0.0)
            })
            .with_layouts(Arc::clone(&layouts), poll)
        };
        let read = |body: &str, recall: &Recall, by_scan: bool| {
            let (page, _) = read_with(body, recall, by_scan, TaskState::Succeeded);
            let (raw, tasks, _, known, _, _) = page.unwrap();
            (raw, tasks, known)
        };
        let reads = || scan::READ.with(|n| n.replace(0));
        // The first listing: nothing to go by, every record read.
        let first = recall(1);
        read(
            &page(&[a.clone(), b.clone(), c.clone(), d.clone()]),
            &first,
            true,
        );
        assert_eq!(
            (std::mem::take(&mut *asks.lock().unwrap()), reads()),
            (vec![4], 4)
        );
        asks.lock().unwrap().clear();
        // The next poll: a new record in front, the running one finished (longer now).
        let body = page(&[
            rec("nn", "new"),
            rec("a", "okay"),
            b.clone(),
            c.clone(),
            d.clone(),
        ]);
        let second = recall(2);
        let guessed = read(&body, &second, true);
        assert_eq!(
            (std::mem::take(&mut *asks.lock().unwrap()), reads()),
            (vec![5], 2),
            "one look-up for the page; b, c and d found where they stood (one further: past \
             the a that changed), unread; the new n and the finished a read"
        );
        assert_eq!(guessed, read(&body, &second, false), "as serde reads it");
        assert_eq!(guessed.2.len(), 3);
        // A later page of the same poll: no guess.
        asks.lock().unwrap().clear();
        reads();
        read(&body, &second, true);
        assert_eq!(
            (std::mem::take(&mut *asks.lock().unwrap()), reads()),
            (vec![5], 5)
        );
        // A guess that fits where a new record's inner object ends: not taken.
        let inner = format!(r#"{{"p":{{"q":"{}"}}"#, "z".repeat(b.len() - 13));
        assert_eq!(inner.len(), b.len());
        let body = page(&[format!(r#"{inner},"id":"y","status":"ok"}}"#), b.clone()]);
        let third = recall(3);
        read(&page(std::slice::from_ref(&b)), &third, true);
        let fourth = recall(4);
        let tricked = read(&body, &fourth, true);
        assert_eq!(tricked, read(&body, &fourth, false), "as serde reads it");
        assert_eq!(tricked.1.len(), 1);
        assert_eq!(tricked.2.len(), 1);
    }

    #[test]
    fn null_or_absent_list_is_empty_and_a_wrong_list_fails() {
        assert_eq!(decode(r#"{"tasks":null}"#).raw, 0);
        assert_eq!(decode(r#"{}"#).raw, 0);
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Page<'a> {
            #[serde(borrow, default, deserialize_with = "list")]
            tasks: Vec<&'a RawValue>,
        }
        assert!(serde_json::from_str::<Page<'_>>(r#"{"tasks":"x"}"#).is_err());
        assert!(serde_json::from_str::<Page<'_>>(r#"{"tasks":{}}"#).is_err());
    }

    #[test]
    fn a_blank_id_is_no_id_whatever_holds_it() {
        let r = decode(r#"{"tasks":[{"id":" ","status":"ok"},{"id":"","status":"ok"}]}"#);
        assert!(r.tasks.is_empty());
        let bad: Vec<(&str, &str)> = r.invalid.iter().map(|i| (i.field, &*i.detail)).collect();
        assert_eq!(bad, [("id", "empty"), ("id", "empty")]);
        let text = |json: &str| serde_json::from_str::<Field<Text>>(json).unwrap().id("id");
        assert_eq!(text(r#""t-1""#), Ok("t-1".to_string()));
        assert_eq!(
            text("17"),
            Ok("17".to_string()),
            "an int64 id sent as a number"
        );
        assert_eq!(text(r#"" ""#).unwrap_err().detail, "empty");
        assert_eq!(text("true").unwrap_err().detail, "unexpected value true");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = format!("{}ü", "x".repeat(200));
        let r = decode(&format!(
            r#"{{"tasks":[{{"id":"a","status":"ok","at":"{long}"}}]}}"#
        ));
        let d = &r.invalid[0].detail;
        assert!(d.chars().count() < EXCERPT_CHARS + 40, "{d}");
        assert!(d.contains('…'), "{d}");
    }

    #[test]
    fn counts_accept_numbers_and_numeric_strings_only() {
        #[derive(Deserialize)]
        struct Env {
            #[serde(default, deserialize_with = "count")]
            n: Option<u64>,
        }
        let n = |s: &str| serde_json::from_str::<Env>(s).unwrap().n;
        assert_eq!(n(r#"{"n":4}"#), Some(4));
        assert_eq!(n(r#"{"n":"4"}"#), Some(4));
        assert_eq!(n(r#"{"n":null}"#), None);
        assert_eq!(n(r#"{}"#), None);
        assert_eq!(n(r#"{"n":"many"}"#), None);
        assert_eq!(n(r#"{"n":[1]}"#), None);
    }
}
