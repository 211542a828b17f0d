//! The state file (`docs/design.md` "The state file"): the seen-set, counters, histograms and `last_*` values of
//! every target, so a restart neither loses nor doubles a completion.
//!
//! Writes are crash-safe: a temp file beside the target, `fsync`, `rename`, `fsync` of the
//! directory. The temp file has a random name (`.<name>.tmp-XXXXXX`) and is created with
//! `O_CREAT | O_EXCL` and mode 0600, so a file or symlink planted in the directory is never
//! opened, let alone followed; the state file inherits that mode through the rename. A file
//! that cannot be read or parsed is moved aside (`<name>.corrupt-<unix>`) and reported, and
//! the exporter starts fresh; it never refuses to start over it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accounting::{Account, HistogramData, LastCompletion, Seen};
use crate::model::TaskState;
use crate::provider::ProviderKind;
use crate::provider::Reason;

/// Format version written in the file. The history (`docs/design.md`, "The state file"):
///
/// - 1: the first format.
/// - 2: the same fields; every float is read back to the last bit. A build that knows only 1
///   moves a format-2 file aside instead of dropping what it does not know and writing the
///   rest back.
///
/// A build reads every format up to its own (older ones are migrated, logged once) and moves
/// a newer one aside untouched, naming both versions.
pub const VERSION: u32 = 2;

/// The oldest format this build migrates.
const OLDEST: u32 = 1;

/// Just the version of a state file, read before the rest so that a newer file's unknown
/// fields are not mistaken for damage.
#[derive(Deserialize)]
struct Head {
    version: u32,
}

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// Format version ([`VERSION`]); an older one is migrated, a newer one moved aside.
    pub version: u32,
    /// Per target, by name.
    pub targets: BTreeMap<String, TargetState>,
}

/// What is kept of one target.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TargetState {
    /// Provider id; state of another provider under the same name is not restored.
    pub provider: String,
    /// Units already baselined.
    pub baselined: Vec<String>,
    /// Seen task ids.
    pub seen: Vec<SeenEntry>,
    /// `cloud_task_completions_total`, one entry per (resource, type, result).
    pub completions: Vec<CompletionEntry>,
    /// Duration histograms (bucket bounds recorded to detect a change).
    pub durations: Vec<DurationEntry>,
    /// Bucket bounds the histograms were recorded with.
    pub buckets: Vec<f64>,
    /// Latest completion per (resource, type).
    pub last: Vec<LastEntry>,
    /// Unknown-status counters.
    pub unknown_status: BTreeMap<String, u64>,
    /// Resources with zero-valued series (configured or seen within `lookback`).
    pub resources: BTreeSet<String>,
    /// Task types with zero-valued series (known in advance or seen).
    pub types: BTreeSet<String>,
    /// Resource names and types.
    pub resource_info: BTreeMap<String, (String, String)>,
    /// HTTP attempts by code.
    pub requests: BTreeMap<String, u64>,
    /// Failed polls by reason label.
    pub poll_errors: BTreeMap<String, u64>,
    /// Invalid-record counters by field.
    #[serde(default)]
    pub invalid_tasks: BTreeMap<String, u64>,
    /// Invalid records already counted: identity → latest poll that listed it.
    #[serde(default)]
    pub invalid_seen: BTreeMap<String, f64>,
    /// Tasks whose label values were cut.
    #[serde(default)]
    pub truncated_labels: u64,
    /// Tasks whose type folded into `_other`.
    #[serde(default)]
    pub folded_types: u64,
    /// When the target was removed from the configuration (unix seconds); its state is kept
    /// for `lookback` so that re-adding it neither resets nor doubles a counter.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<f64>,
    /// Per-(resource, type) history (rhythm, usual duration, 14-day strip); absent in files
    /// written before it existed, which load with an empty history. An entry that cannot be
    /// read is left out (and logged), not the whole file; the first poll rebuilds what is
    /// missing.
    #[serde(default, deserialize_with = "readable_history")]
    pub history: Vec<crate::history::HistoryEntry>,
}

/// A seen task id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SeenEntry {
    /// Task id.
    pub id: String,
    /// Recorded as terminal.
    pub terminal: bool,
    /// Latest timestamp (unix seconds).
    pub last_ts: f64,
    /// Unknown status already counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unknown: Option<String>,
}

/// One completion counter: how many tasks of `task_type` on `resource` ended with
/// `result` (a `result` label value).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompletionEntry {
    #[allow(
        missing_docs,
        reason = "the counter's labels, named as in the exposition"
    )]
    pub resource: String,
    #[allow(
        missing_docs,
        reason = "the counter's labels, named as in the exposition"
    )]
    #[serde(rename = "type")]
    pub task_type: String,
    #[allow(
        missing_docs,
        reason = "the counter's labels, named as in the exposition"
    )]
    pub result: String,
    /// The counter's value.
    pub count: u64,
}

/// One `cloud_task_duration_seconds` histogram, of the tasks of `task_type` that ended
/// with `result`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DurationEntry {
    #[allow(
        missing_docs,
        reason = "the histogram's labels, named as in the exposition"
    )]
    #[serde(rename = "type")]
    pub task_type: String,
    #[allow(
        missing_docs,
        reason = "the histogram's labels, named as in the exposition"
    )]
    pub result: String,
    /// Non-cumulative bucket counts (last = +Inf).
    pub counts: Vec<u64>,
    /// Sum of the observed durations, in seconds.
    pub sum: f64,
    /// Number of observations.
    pub count: u64,
}

/// Latest completion of a (resource, type): what the `cloud_task_last_*` gauges show.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastEntry {
    #[allow(
        missing_docs,
        reason = "the gauges' labels, named as in the exposition"
    )]
    pub resource: String,
    #[allow(
        missing_docs,
        reason = "the gauges' labels, named as in the exposition"
    )]
    #[serde(rename = "type")]
    pub task_type: String,
    /// The `result` label value of that completion.
    pub result: String,
    /// Its end time (unix seconds) that decides which completion is the latest.
    pub at: f64,
    /// Its duration in seconds, when it has one.
    pub duration: Option<f64>,
    /// The task that completed.
    pub task_id: String,
    /// Last success time.
    pub last_success: Option<f64>,
    /// Last failure time.
    pub(crate) last_failure: Option<f64>,
}

/// Why a target's saved state cannot be restored (the target then starts fresh).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RestoreError {
    /// A `result` that is no result label.
    #[error("unknown result {0:?}")]
    UnknownResult(String),
    /// A histogram recorded with other buckets than its entry says.
    #[error("histogram {task_type}/{result} has {found} buckets, expected {expected}")]
    Buckets {
        /// The histogram's `type` label.
        task_type: String,
        /// Its `result` label.
        result: String,
        /// Buckets saved.
        found: usize,
        /// Buckets the saved bounds call for.
        expected: usize,
    },
}

fn result(label: &str) -> Result<TaskState, RestoreError> {
    TaskState::from_label(label).ok_or_else(|| RestoreError::UnknownResult(label.to_string()))
}

impl TargetState {
    /// Captures a target's live account, its HTTP counts and its failed-poll counts.
    pub fn from_account(
        provider: ProviderKind,
        a: &Account,
        requests: BTreeMap<String, u64>,
        poll_errors: &BTreeMap<Reason, u64>,
        buckets: &[f64],
    ) -> TargetState {
        let t = &a.tallies;
        let mut seen: Vec<SeenEntry> = a
            .seen
            .iter()
            .map(|(id, v)| SeenEntry {
                id: id.clone(),
                terminal: v.terminal,
                last_ts: v.last_ts,
                unknown: v.unknown_counted.clone(),
            })
            .collect();
        seen.sort_by(|x, y| x.id.cmp(&y.id));
        TargetState {
            provider: provider.as_str().to_string(),
            baselined: a.baselined.iter().cloned().collect(),
            seen,
            completions: t
                .completions
                .iter()
                .map(|((r, t, res), n)| CompletionEntry {
                    resource: r.clone(),
                    task_type: t.clone(),
                    result: res.as_label().to_string(),
                    count: *n,
                })
                .collect(),
            durations: t
                .durations
                .iter()
                .map(|((t, res), h)| DurationEntry {
                    task_type: t.clone(),
                    result: res.as_label().to_string(),
                    counts: h.counts.clone(),
                    sum: h.sum,
                    count: h.count,
                })
                .collect(),
            buckets: buckets.to_vec(),
            last: t
                .last
                .iter()
                .map(|((r, t), l)| LastEntry {
                    resource: r.clone(),
                    task_type: t.clone(),
                    result: l.result.as_label().to_string(),
                    at: l.at,
                    duration: l.duration,
                    task_id: l.task_id.clone(),
                    last_success: l.last_success,
                    last_failure: l.last_failure,
                })
                .collect(),
            unknown_status: t.unknown_status.clone(),
            resources: t.resources.clone(),
            types: t.types.clone(),
            resource_info: t.resource_info.clone(),
            requests,
            poll_errors: poll_errors
                .iter()
                .map(|(r, n)| (r.as_label().to_string(), *n))
                .collect(),
            invalid_tasks: t.invalid_tasks.clone(),
            truncated_labels: t.truncated_labels,
            folded_types: t.folded_types,
            invalid_seen: a
                .invalid_seen
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
            retired_at: None,
            history: t.history.to_entries(),
        }
    }

    /// Rebuilds the account; histograms recorded with other buckets are dropped (logged).
    pub fn to_account(
        &self,
        known_types: &[&str],
        buckets: &[f64],
    ) -> Result<Account, RestoreError> {
        let mut a = Account::new(known_types, &[]);
        a.baselined = self.baselined.iter().cloned().collect();
        for s in &self.seen {
            a.seen.insert(
                s.id.clone(),
                Seen {
                    poll: 0,
                    terminal: s.terminal,
                    last_ts: s.last_ts,
                    unknown_counted: s.unknown.clone(),
                },
            );
        }
        a.invalid_seen = self
            .invalid_seen
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        let t = &mut a.tallies;
        for c in &self.completions {
            t.completions.insert(
                (c.resource.clone(), c.task_type.clone(), result(&c.result)?),
                c.count,
            );
        }
        if self.buckets == buckets {
            for d in &self.durations {
                if d.counts.len() != buckets.len() + 1 {
                    return Err(RestoreError::Buckets {
                        task_type: d.task_type.clone(),
                        result: d.result.clone(),
                        found: d.counts.len(),
                        expected: buckets.len() + 1,
                    });
                }
                t.durations.insert(
                    (d.task_type.clone(), result(&d.result)?),
                    HistogramData {
                        counts: d.counts.clone(),
                        sum: d.sum,
                        count: d.count,
                    },
                );
            }
        } else if !self.durations.is_empty() {
            tracing::warn!("duration_buckets changed; saved duration histograms start over.");
        }
        for l in &self.last {
            t.last.insert(
                (l.resource.clone(), l.task_type.clone()),
                LastCompletion {
                    result: result(&l.result)?,
                    at: l.at,
                    duration: l.duration,
                    task_id: l.task_id.clone(),
                    last_success: l.last_success,
                    last_failure: l.last_failure,
                },
            );
        }
        t.unknown_status = self.unknown_status.clone();
        t.invalid_tasks = self.invalid_tasks.clone();
        t.truncated_labels = self.truncated_labels;
        t.folded_types = self.folded_types;
        t.resources.extend(self.resources.iter().cloned());
        t.types.extend(self.types.iter().cloned());
        t.resource_info = self.resource_info.clone();
        t.history = crate::history::History::from_entries(&self.history);
        // Pairs the saved history lacks are rebuilt from the next listings.
        a.rebuild = Some(crate::accounting::Rebuild::keeping(&t.history));
        Ok(a)
    }

    /// Failed-poll counters by reason.
    pub fn poll_errors(&self) -> BTreeMap<Reason, u64> {
        self.poll_errors
            .iter()
            .filter_map(|(k, v)| {
                Reason::ALL
                    .into_iter()
                    .find(|r| r.as_label() == k)
                    .map(|r| (r, *v))
            })
            .collect()
    }

    /// True when this state belongs to the provider.
    pub(crate) fn is_for(&self, p: ProviderKind) -> bool {
        self.provider == p.as_str()
    }
}

/// The history entries that can be read; the others are left out with a warning, so that one
/// damaged entry costs its pair's history (rebuilt by the next poll) and nothing else.
fn readable_history<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<crate::history::HistoryEntry>, D::Error> {
    let raw = Vec::<serde_json::Value>::deserialize(d)?;
    let total = raw.len();
    let kept: Vec<crate::history::HistoryEntry> = raw
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    if kept.len() < total {
        tracing::warn!(
            unreadable = total - kept.len(),
            "History entries of the state file could not be read; left out, rebuilt from the next poll."
        );
    }
    Ok(kept)
}

/// Reads the state file. A missing file is an empty state; an unreadable or corrupt one is
/// moved aside, reported, and an empty state returned.
pub fn load(path: &Path) -> StateFile {
    remove_stale_temp_files(path);
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return StateFile::default(),
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "Cannot read the state file; starting fresh.");
            move_aside(path);
            return StateFile::default();
        }
    };
    match serde_json::from_slice::<Head>(&bytes) {
        Ok(h) if h.version > VERSION => {
            tracing::error!(path = %path.display(), found = h.version, known = VERSION, "The state file was written by a newer version of the exporter (its format is newer than this build knows); moved aside untouched, starting fresh. Run the newer build, or keep the moved file to go back to it.");
            move_aside(path);
            return StateFile::default();
        }
        Ok(h) if h.version < OLDEST => {
            tracing::error!(path = %path.display(), found = h.version, known = VERSION, "State file has an unsupported version; moved aside, starting fresh.");
            move_aside(path);
            return StateFile::default();
        }
        _ => {}
    }
    match serde_json::from_slice::<StateFile>(&bytes) {
        Ok(mut s) => {
            if s.version < VERSION {
                tracing::info!(path = %path.display(), from = s.version, to = VERSION, "State file migrated to the current format; it is written in it from now on.");
                s.version = VERSION;
            }
            s
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "State file is corrupt; moved aside, starting fresh.");
            move_aside(path);
            StateFile::default()
        }
    }
}

/// Deletes temp files left by writers that died mid-write (`kill -9`, power loss): every
/// `.<name>.tmp-*` entry, the random names of [`save`] and the `.<name>.tmp-<pid>` of older
/// versions alike. A symlink with such a name is removed itself, never its target; a directory
/// is left alone.
fn remove_stale_temp_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = temp_prefix(name);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        // `DirEntry::file_type` does not follow symlinks.
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir || !e.file_name().to_string_lossy().starts_with(&prefix) {
            continue;
        }
        match std::fs::remove_file(e.path()) {
            Ok(()) => {
                tracing::debug!(path = %e.path().display(), "Removed a stale state temp file.")
            }
            Err(err) => {
                tracing::warn!(path = %e.path().display(), error = %err, "Cannot remove a stale state temp file.")
            }
        }
    }
}

/// `.<name>.tmp-`: what every temp file of the state file `name` starts with.
fn temp_prefix(name: &std::ffi::OsStr) -> String {
    format!(".{}.tmp-", name.to_string_lossy())
}

fn move_aside(path: &Path) -> Option<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut aside = path.as_os_str().to_owned();
    aside.push(format!(".corrupt-{stamp}"));
    let aside = PathBuf::from(aside);
    match std::fs::rename(path, &aside) {
        Ok(()) => {
            tracing::warn!(path = %path.display(), moved_to = %aside.display(), "Moved the unusable state file aside.");
            Some(aside)
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "Cannot move the unusable state file aside.");
            None
        }
    }
}

/// Writes the state file crash-safely: temp file, fsync, rename, fsync of the directory.
///
/// The temp file gets a random name in the state file's directory and is created with
/// `O_CREAT | O_EXCL` and mode 0600 (the `tempfile` crate): nothing planted there, a symlink
/// to another file included, is opened or followed. The rename keeps the mode, so the state
/// file is 0600 too.
pub fn save(path: &Path, state: &StateFile) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let body = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let prefix = temp_prefix(path.file_name().unwrap_or("state".as_ref()));
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .permissions(std::fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(&body)?;
    tmp.as_file().sync_all()?;
    // On failure the temp file is removed when the error drops it.
    tmp.persist(path).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Why the state file cannot be written where `state_file` says; each names the path and
/// what to do.
#[derive(Debug, thiserror::Error)]
pub enum UnwritableError {
    /// The file's directory is something else.
    #[error("{} is not a directory", .0.display())]
    NotADirectory(PathBuf),
    /// The file's directory does not exist.
    #[error("directory {} does not exist; create it (writable by the exporter's user) or point state_file elsewhere", .0.display())]
    NoDirectory(PathBuf),
    /// The file's directory cannot be read.
    #[error("cannot read directory {}: {source}", .dir.display())]
    UnreadableDirectory {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `state_file` names a directory.
    #[error("{} is a directory; state_file names a file, e.g. {}", .0.display(), .0.join("state.json").display())]
    IsADirectory(PathBuf),
    /// A new file cannot be created in the directory.
    #[error("directory {} is not writable by this user: {source}", .dir.display())]
    NotWritable {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Checks that `save` can work at `path`: its directory exists, is a directory and takes a
/// new file (a probe file is created with `create_new` and removed), and `path` itself is not
/// a directory.
pub fn check_writable(path: &Path) -> Result<(), UnwritableError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match std::fs::metadata(dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(UnwritableError::NotADirectory(dir.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(UnwritableError::NoDirectory(dir.to_path_buf()));
        }
        Err(e) => {
            return Err(UnwritableError::UnreadableDirectory {
                dir: dir.to_path_buf(),
                source: e,
            });
        }
    }
    if path.is_dir() {
        return Err(UnwritableError::IsADirectory(path.to_path_buf()));
    }
    let probe = dir.join(format!(".cloud-task-exporter-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(UnwritableError::NotWritable {
            dir: dir.to_path_buf(),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_file_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        std::fs::write(&p, b"{\"version\":1,\"targets\":{\"x\":").unwrap();
        assert_eq!(load(&p), StateFile::default());
        assert!(!p.exists());
        let moved: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            moved.iter().any(|n| n.starts_with("state.json.corrupt-")),
            "{moved:?}"
        );
    }

    proptest::proptest! {
        /// Every float the exposition serves from saved state comes back to the last bit: a
        /// histogram sum of arbitrary durations, timestamps with fractions, the seen-set's
        /// times. A sum read back one ulp lower would be a counter decrease, which Prometheus
        /// takes for a reset.
        #[test]
        fn floats_survive_a_save_and_load_to_the_last_bit(
            durations in proptest::collection::vec(0.0f64..1e6, 1..40),
            at in 1.0e9f64..2.0e9,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("state.json");
            let sum = durations.iter().fold(0.0, |s, d| s + d);
            let mut s = StateFile { version: VERSION, ..StateFile::default() };
            s.targets.insert(
                "t".into(),
                TargetState {
                    provider: "yandex_backup".into(),
                    durations: vec![DurationEntry {
                        task_type: "backup".into(),
                        result: "succeeded".into(),
                        counts: vec![durations.len() as u64],
                        sum,
                        count: durations.len() as u64,
                    }],
                    last: vec![LastEntry {
                        resource: "vm1".into(),
                        task_type: "backup".into(),
                        result: "succeeded".into(),
                        at: at + durations[0] / 7.0,
                        duration: Some(durations[0]),
                        task_id: "1".into(),
                        last_success: Some(at / 3.0),
                        last_failure: None,
                    }],
                    ..TargetState::default()
                },
            );
            save(&p, &s).unwrap();
            let back = load(&p);
            let (a, b) = (&s.targets["t"], &back.targets["t"]);
            proptest::prop_assert_eq!(a.durations[0].sum.to_bits(), b.durations[0].sum.to_bits());
            proptest::prop_assert_eq!(a.last[0].at.to_bits(), b.last[0].at.to_bits());
            proptest::prop_assert_eq!(
                a.last[0].last_success.map(f64::to_bits),
                b.last[0].last_success.map(f64::to_bits)
            );
            proptest::prop_assert_eq!(&back, &s);
        }
    }

    /// A file of the previous format loads (migrated); one of a newer format is moved aside
    /// untouched, not read and written back without what this build does not know.
    #[test]
    fn an_older_format_migrates_and_a_newer_one_is_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut v1 = StateFile {
            version: 1,
            ..StateFile::default()
        };
        v1.targets.insert(
            "t".into(),
            TargetState {
                provider: "yandex_backup".into(),
                baselined: vec!["vm1".into()],
                ..TargetState::default()
            },
        );
        std::fs::write(&p, serde_json::to_vec(&v1).unwrap()).unwrap();
        let s = load(&p);
        assert_eq!(s.version, VERSION);
        assert_eq!(s.targets["t"].baselined, ["vm1"]);
        let newer = format!(
            r#"{{"version":{},"targets":{{}},"something_new":[1]}}"#,
            VERSION + 1
        );
        std::fs::write(&p, &newer).unwrap();
        assert_eq!(load(&p), StateFile::default());
        assert!(!p.exists(), "moved aside");
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".corrupt-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(std::fs::read_to_string(aside[0].path()).unwrap(), newer);
    }

    /// The sum that moved at a restart (1930.6039999999998 came back as 1930.604).
    #[test]
    fn a_sum_one_ulp_below_a_short_decimal_comes_back_exactly() {
        for sum in [1930.6039999999998f64, 1925.9940000000001] {
            let text = serde_json::to_string(&sum).unwrap();
            let back: f64 = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_bits(), sum.to_bits(), "{text}");
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        let mut s = StateFile {
            version: VERSION,
            ..StateFile::default()
        };
        s.targets.insert(
            "t".into(),
            TargetState {
                provider: "yandex_backup".into(),
                baselined: vec!["vm1".into()],
                ..TargetState::default()
            },
        );
        save(&p, &s).unwrap();
        assert_eq!(load(&p), s);
        assert!(load(&dir.path().join("missing.json")).targets.is_empty());
    }

    /// A symlink planted where the temp file used to be (`.state.json.tmp-<pid>`,
    /// and any other predictable name) is never followed; state and temp file are 0600; load
    /// removes the planted links, not their targets.
    #[test]
    fn issue_10_planted_symlinks_are_not_followed_and_the_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
        let p = dir.path().join("state.json");
        // The old name for this process and its neighbours, plus a few guesses.
        let pid = std::process::id();
        let mut planted: Vec<String> = (pid.saturating_sub(2)..=pid + 2)
            .map(|n| format!(".state.json.tmp-{n}"))
            .collect();
        planted.extend([
            ".state.json.tmp-".to_string(),
            ".state.json.tmp".to_string(),
        ]);
        for name in &planted {
            std::os::unix::fs::symlink(&victim, dir.path().join(name)).unwrap();
        }
        // A previous state file that was world-readable.
        std::fs::write(&p, b"{}").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        let s = StateFile {
            version: VERSION,
            ..StateFile::default()
        };
        for _ in 0..3 {
            save(&p, &s).unwrap();
        }
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&victim), 0o644, "the victim's mode changed");
        assert_eq!(mode(&p), 0o600, "the state file is not private");
        assert!(
            !std::fs::symlink_metadata(&p)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        for name in &planted {
            let link = dir.path().join(name);
            assert!(
                std::fs::symlink_metadata(&link)
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
        }
        // Every temp file was renamed or removed: only the state file, victim and links.
        let names = || -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        assert_eq!(names().len(), planted.len() + 2, "{:?}", names());

        // Load clears the links with temp names (not `.state.json.tmp`, which is none) and
        // leaves the victim and a directory alone.
        std::fs::create_dir(dir.path().join(".state.json.tmp-dir")).unwrap();
        assert_eq!(load(&p), s);
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(
            names(),
            [
                ".state.json.tmp",
                ".state.json.tmp-dir",
                "state.json",
                "victim"
            ],
            "stale temp names left"
        );
    }
}
