//! The state file (SPEC §3 rule 3): the seen-set, counters, histograms and `last_*` values of
//! every target, so a restart neither loses nor doubles a completion.
//!
//! Writes are crash-safe: a temp file beside the target, `fsync`, `rename`, `fsync` of the
//! directory. A file that cannot be read or parsed is moved aside (`<name>.corrupt-<unix>`)
//! and reported, and the exporter starts fresh; it never refuses to start over it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::accounting::{Account, HistogramData, LastCompletion, Seen};
use crate::config::ProviderKind;
use crate::hub::TargetSnapshot;
use crate::model::TaskState;
use crate::provider::Reason;

/// Format version written in the file.
pub const VERSION: u32 = 1;

/// The whole file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StateFile {
    /// Format version.
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
    /// Completion counters.
    pub completions: Vec<CompletionEntry>,
    /// Duration histograms (bucket bounds recorded to detect a change).
    pub durations: Vec<DurationEntry>,
    /// Bucket bounds the histograms were recorded with.
    pub buckets: Vec<f64>,
    /// Latest completion per (resource, type).
    pub last: Vec<LastEntry>,
    /// Unknown-status counters.
    pub unknown_status: BTreeMap<String, u64>,
    /// Known resources.
    pub resources: BTreeSet<String>,
    /// Known types.
    pub types: BTreeSet<String>,
    /// Resource names and types.
    pub resource_info: BTreeMap<String, (String, String)>,
    /// HTTP attempts by code.
    pub requests: BTreeMap<String, u64>,
    /// Failed polls by reason label.
    pub poll_errors: BTreeMap<String, u64>,
    /// Per-(resource, type) history (rhythm, usual duration, 14-day strip); absent in files
    /// written before it existed, which load with an empty history.
    #[serde(default)]
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

/// One completion counter.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CompletionEntry {
    /// Resource.
    pub resource: String,
    /// Type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Result label.
    pub result: String,
    /// Count.
    pub count: u64,
}

/// One duration histogram.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DurationEntry {
    /// Type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Result label.
    pub result: String,
    /// Non-cumulative bucket counts (last = +Inf).
    pub counts: Vec<u64>,
    /// Sum.
    pub sum: f64,
    /// Count.
    pub count: u64,
}

/// Latest completion of a (resource, type).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LastEntry {
    /// Resource.
    pub resource: String,
    /// Type.
    #[serde(rename = "type")]
    pub task_type: String,
    /// Result label.
    pub result: String,
    /// Ordering time.
    pub at: f64,
    /// Duration.
    pub duration: Option<f64>,
    /// Task id.
    pub task_id: String,
    /// Last success time.
    pub last_success: Option<f64>,
    /// Last failure time.
    pub last_failure: Option<f64>,
}

fn result(label: &str) -> Result<TaskState, String> {
    TaskState::from_label(label).ok_or_else(|| format!("unknown result {label:?}"))
}

impl TargetState {
    /// Captures a snapshot.
    pub fn from_snapshot(s: &TargetSnapshot, buckets: &[f64]) -> TargetState {
        let a = &s.account;
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
            provider: s.provider.as_str().to_string(),
            baselined: a.baselined.iter().cloned().collect(),
            seen,
            completions: a
                .completions
                .iter()
                .map(|((r, t, res), n)| CompletionEntry {
                    resource: r.clone(),
                    task_type: t.clone(),
                    result: res.as_label().to_string(),
                    count: *n,
                })
                .collect(),
            durations: a
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
            last: a
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
            unknown_status: a.unknown_status.clone(),
            resources: a.resources.clone(),
            types: a.types.clone(),
            resource_info: a.resource_info.clone(),
            requests: s.requests.clone(),
            poll_errors: s
                .status
                .errors
                .iter()
                .map(|(r, n)| (r.as_label().to_string(), *n))
                .collect(),
            history: a.history.to_entries(),
        }
    }

    /// Rebuilds the account; histograms recorded with other buckets are dropped (logged).
    pub fn to_account(&self, known_types: &[&str], buckets: &[f64]) -> Result<Account, String> {
        let mut a = Account::new(known_types, &[]);
        a.baselined = self.baselined.iter().cloned().collect();
        for s in &self.seen {
            a.seen.insert(
                s.id.clone(),
                Seen {
                    terminal: s.terminal,
                    last_ts: s.last_ts,
                    unknown_counted: s.unknown.clone(),
                },
            );
        }
        for c in &self.completions {
            a.completions.insert(
                (c.resource.clone(), c.task_type.clone(), result(&c.result)?),
                c.count,
            );
        }
        if self.buckets == buckets {
            for d in &self.durations {
                if d.counts.len() != buckets.len() + 1 {
                    return Err(format!(
                        "histogram {}/{} has {} buckets, expected {}",
                        d.task_type,
                        d.result,
                        d.counts.len(),
                        buckets.len() + 1
                    ));
                }
                a.durations.insert(
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
            a.last.insert(
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
        a.unknown_status = self.unknown_status.clone();
        a.resources.extend(self.resources.iter().cloned());
        a.types.extend(self.types.iter().cloned());
        a.resource_info = self.resource_info.clone();
        a.history = crate::history::History::from_entries(&self.history);
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
    pub fn is_for(&self, p: ProviderKind) -> bool {
        self.provider == p.as_str()
    }
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
    match serde_json::from_slice::<StateFile>(&bytes) {
        Ok(s) if s.version == VERSION => s,
        Ok(s) => {
            tracing::error!(path = %path.display(), version = s.version, "State file has an unsupported version; moved aside, starting fresh.");
            move_aside(path);
            StateFile::default()
        }
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "State file is corrupt; moved aside, starting fresh.");
            move_aside(path);
            StateFile::default()
        }
    }
}

/// Deletes temp files left by writers that died mid-write (`kill -9`, power loss).
fn remove_stale_temp_files(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
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
pub fn save(path: &Path, state: &StateFile) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let body = serde_json::to_vec(state).map_err(std::io::Error::other)?;
    let mut tmp = tempfile_in(dir, path)?;
    tmp.1.write_all(&body)?;
    tmp.1.sync_all()?;
    drop(tmp.1);
    std::fs::rename(&tmp.0, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp.0);
    })?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn tempfile_in(dir: &Path, path: &Path) -> std::io::Result<(PathBuf, std::fs::File)> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&tmp)?;
    Ok((tmp, f))
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
}
