//! The loader's context: the file being read, the target within it, and every problem found
//! so far, each located at its file, line, target and key.

use std::path::{Path, PathBuf};

use super::de::At;
use super::settings::Inherited;

/// One configuration problem, naming the file, target, key and line where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The full message: `file:line: target 'name': key: problem`.
    pub message: String,
    /// 1-based line in the file, when known.
    pub line: Option<u32>,
    /// The target the problem is in, when it is in one.
    pub target: Option<String>,
    /// The key path, e.g. `auth.iam_token` or `defaults.interval`.
    pub key: Option<String>,
}

/// Every problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

/// The loader's context: where we are, and the errors so far.
pub(crate) struct Cx<'a> {
    pub(super) file: String,
    pub(super) dir: PathBuf,
    pub(super) env: &'a dyn Fn(&str) -> Option<String>,
    /// The target being read, for messages.
    pub(super) target: Option<String>,
    pub(super) errors: Vec<ConfigError>,
    /// Doubts that do not stop the config from loading (an unknown region, say).
    pub(super) warnings: Vec<ConfigError>,
    /// Where the settings targets inherit were set.
    pub(super) inherited: Inherited,
}

impl<'a> Cx<'a> {
    pub(super) fn new(source: &Path, env: &'a dyn Fn(&str) -> Option<String>) -> Cx<'a> {
        Cx {
            file: source.display().to_string(),
            dir: source.parent().map(Path::to_path_buf).unwrap_or_default(),
            env,
            target: None,
            errors: Vec::new(),
            warnings: Vec::new(),
            inherited: Inherited::default(),
        }
    }

    /// Records a problem at `line` (0: unknown) with `key`.
    pub(super) fn push(&mut self, line: u32, key: Option<&str>, problem: String) {
        let e = self.located(line, key, problem);
        self.errors.push(e);
    }

    /// `problem` with the file, line, target and key in front.
    pub(super) fn located(&self, line: u32, key: Option<&str>, problem: String) -> ConfigError {
        let mut message = self.file.clone();
        if line > 0 {
            message.push_str(&format!(":{line}"));
        }
        if let Some(t) = &self.target {
            message.push_str(&format!(": target '{t}'"));
        }
        if let Some(k) = key.filter(|k| !k.is_empty()) {
            message.push_str(&format!(": {k}"));
        }
        message.push_str(": ");
        message.push_str(&problem);
        ConfigError {
            message,
            line: (line > 0).then_some(line),
            target: self.target.clone(),
            key: key.filter(|k| !k.is_empty()).map(str::to_string),
        }
    }

    pub(super) fn bad(&mut self, at: &At, problem: impl Into<String>) {
        self.push(at.line, Some(&at.key), problem.into());
    }
}
