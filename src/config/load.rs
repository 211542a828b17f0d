//! From the YAML structs to validated [`Config`], collecting every error.

use std::path::Path;

use super::Config;

/// One configuration problem, naming the file, target, key and line where known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// The full message.
    pub message: String,
}

/// Every problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("\n"))]
pub struct ConfigErrors(pub Vec<ConfigError>);

pub(super) fn load_file(path: &Path) -> Result<Config, ConfigErrors> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigErrors(vec![ConfigError {
            message: format!("{}: cannot read config file: {e}", path.display()),
        }])
    })?;
    load_str(&text, path)
}

pub(super) fn load_str(_text: &str, path: &Path) -> Result<Config, ConfigErrors> {
    Err(ConfigErrors(vec![ConfigError {
        message: format!("{}: config loading not implemented", path.display()),
    }]))
}
