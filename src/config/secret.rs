//! `Secret`: a string that never prints itself, and that [`crate::scrub`] removes from any
//! text shown or logged.

use std::fmt;
use std::sync::Arc;

/// A credential. `Debug` and `Display` print `<redacted>`; only [`Secret::expose`] reads it.
///
/// Creating one registers it with `crate::scrub` (configured secrets as the config loads,
/// tokens as they are issued), so a cloud's error text that quotes it is scrubbed before it
/// is shown; clones share the value and the registration.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value and registers it for scrubbing.
    pub fn new(s: impl Into<String>) -> Secret {
        let value: Arc<str> = Arc::from(s.into());
        crate::scrub::register(&value);
        Secret(value)
    }

    /// The secret value. Call sites are the only places a secret leaves this type.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl Default for Secret {
    fn default() -> Secret {
        Secret(Arc::from(""))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "<redacted> <redacted> Some(<redacted>)"
        );
        assert_eq!(s.expose(), "hunter2");
    }
}
