//! Scrubbing secrets out of text that is shown or logged. A cloud's error body may quote the
//! credentials of the request it refuses (a 401 that echoes the bearer token, an IAM error that
//! repeats the password); that text ends up in `ProviderError` messages, on the status page, in
//! `/api/v1/targets` and in the log.
//!
//! Every [`Secret`](crate::config::Secret) registers itself here when it is created: configured
//! secrets as the config loads, issued tokens (Yandex and Huawei IAM tokens, the signed Yandex
//! JWT) as they are obtained. [`scrub`] replaces every occurrence of any live secret, and of its
//! HTML-, JSON- and Rust-escaped forms (how the page, the JSON API and the logs quote text),
//! with `<redacted>`. Overlapping occurrences of different secrets are redacted as one span, so
//! no part of either is left.
//!
//! It is applied where a cloud's error body becomes a message (`provider::http`), and again as
//! a last line of defence on every log line ([`Stderr`]) and on every HTTP answer but the
//! exposition. The registry holds weak references: a token that is dropped (replaced by a fresh
//! one) leaves it at the next registration, so it does not grow with the uptime.

use std::borrow::Cow;
use std::sync::{Arc, Mutex, RwLock, Weak};

use aho_corasick::AhoCorasick;

/// What a secret is replaced with.
pub(crate) const REDACTED: &str = "<redacted>";

/// Every secret created so far (weakly), and a counter of changes.
#[derive(Default)]
struct Registry {
    secrets: Vec<Weak<str>>,
    generation: u64,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    secrets: Vec::new(),
    generation: 0,
});

/// The matcher built from the registry at some generation; `None` inside when no secret.
static MATCHER: RwLock<Option<(u64, Option<Arc<AhoCorasick>>)>> = RwLock::new(None);

/// Secrets shorter than this are not scrubbed. Every credential of the supported clouds is
/// longer (access keys 20 characters, secret keys 40, Huawei passwords at least 8, tokens
/// hundreds); a shorter value could not be told from ordinary words, and redacting it would
/// garble every message it happens to occur in.
pub(crate) const MIN_LEN: usize = 8;

/// Registers a secret; values shorter than [`MIN_LEN`] are ignored.
pub(crate) fn register(secret: &Arc<str>) {
    if secret.len() < MIN_LEN {
        return;
    }
    let mut r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
    r.secrets.retain(|w| w.strong_count() > 0);
    r.secrets.push(Arc::downgrade(secret));
    r.generation += 1;
}

/// The forms a secret takes in what we show: as is, HTML-escaped (status page), JSON-escaped
/// (`/api/v1/targets`, JSON logs) and `Debug`-escaped (logfmt quotes values so).
fn forms(s: &str) -> Vec<String> {
    let html = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    // Both always come quoted: `"..."`.
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or("")
        .to_string();
    let debug = format!("{s:?}");
    let debug = debug.get(1..debug.len() - 1).unwrap_or("").to_string();
    let mut out = vec![s.to_string(), html, json, debug];
    out.sort();
    out.dedup();
    out.retain(|f| !f.is_empty());
    out
}

/// The current matcher, rebuilt when secrets were registered since the last build.
fn matcher() -> Option<Arc<AhoCorasick>> {
    let (generation, live) = {
        let r = REGISTRY.lock().unwrap_or_else(|e| e.into_inner());
        let cached = MATCHER.read().unwrap_or_else(|e| e.into_inner());
        if let Some((g, m)) = cached.as_ref()
            && *g == r.generation
        {
            return m.clone();
        }
        let live: Vec<Arc<str>> = r.secrets.iter().filter_map(Weak::upgrade).collect();
        (r.generation, live)
    };
    let patterns: Vec<String> = live.iter().flat_map(|s| forms(s)).collect();
    let built = if patterns.is_empty() {
        None
    } else {
        // Building only fails for automata far beyond any set of credentials; redact nothing
        // rather than everything then, and say so.
        match AhoCorasick::new(&patterns) {
            Ok(m) => Some(Arc::new(m)),
            Err(e) => {
                eprintln!("error: cannot build the secret scrubber: {e}");
                None
            }
        }
    };
    *MATCHER.write().unwrap_or_else(|e| e.into_inner()) = Some((generation, built.clone()));
    built
}

/// `text` with every occurrence of a registered secret (in any of its quoted forms) replaced
/// by `<redacted>`; borrowed when there is none.
pub(crate) fn scrub(text: &str) -> Cow<'_, str> {
    let Some(m) = matcher() else {
        return Cow::Borrowed(text);
    };
    // Union of every (possibly overlapping) match, so overlapping secrets leave nothing.
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for hit in m.find_overlapping_iter(text) {
        match spans.last_mut() {
            Some(last) if hit.start() <= last.1 => last.1 = last.1.max(hit.end()),
            _ => spans.push((hit.start(), hit.end())),
        }
    }
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (start, end) in spans {
        out.push_str(&text[at..start]);
        out.push_str(REDACTED);
        at = end;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// Standard error with every line scrubbed: the log writer (`logging::init`). The formatter
/// hands each event over in one `write_all`, so a secret is never split between two writes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stderr;

impl std::io::Write for Stderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        std::io::stderr().write_all(scrub(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = Stderr;

    fn make_writer(&'a self) -> Stderr {
        Stderr
    }
}
