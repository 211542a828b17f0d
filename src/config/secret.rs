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
    use std::borrow::Cow;

    use super::*;
    use crate::scrub::scrub;

    #[test]
    fn never_prints() {
        let s = Secret::new("hunter2");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "<redacted> <redacted> Some(<redacted>)"
        );
        assert_eq!(s.expose(), "hunter2");
    }

    /// A secret is scrubbed from text while it lives ([`crate::scrub`]).
    #[test]
    fn registered_secrets_are_redacted_in_every_quoted_form_and_forgotten_when_dropped() {
        let token = Secret::new("t1.scrub-test-token-0123456789");
        let odd = Secret::new("pa\"ss<&>word-scrub-test");
        let text = format!(
            "401: token {} refused; html {}; json {}; debug {:?}",
            token.expose(),
            "pa&quot;ss&lt;&amp;&gt;word-scrub-test",
            serde_json::to_string(odd.expose()).unwrap(),
            odd.expose()
        );
        let clean = scrub(&text);
        assert_eq!(
            clean,
            "401: token <redacted> refused; html <redacted>; json \"<redacted>\"; debug \"<redacted>\""
        );
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
        // Overlapping secrets leave no part of either.
        let _a = Secret::new("overlap-AAAA-BBBB");
        let _b = Secret::new("BBBB-CCCC-overlap");
        assert_eq!(
            scrub("x overlap-AAAA-BBBB-CCCC-overlap y"),
            "x <redacted> y"
        );
        // A dropped token is forgotten once another secret is registered.
        let text = token.expose().to_string();
        drop(token);
        let _other = Secret::new("another-scrub-test-secret");
        assert_eq!(scrub(&text), text);
        // Short values are not patterns.
        let _short = Secret::new("abc");
        assert_eq!(scrub("abc"), "abc");
    }
}
