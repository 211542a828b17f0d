//! Pure checks used by the loader: `${VAR}` expansion, base URLs, label names, ids, suggestions.

/// Labels the exporter sets itself (or Prometheus attaches), which `labels:` may not use.
pub const RESERVED_LABELS: &[&str] = &[
    "provider",
    "target",
    "resource",
    "resource_name",
    "resource_type",
    "type",
    "state",
    "result",
    "task_id",
    "reason",
    "code",
    "status",
    "version",
    "revision",
    "builddate",
    "le",
    "quantile",
    "job",
    "instance",
];

/// A `${VAR}` reference that cannot be expanded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ExpandError {
    /// `${` without its `}`.
    #[error("unclosed '${{' (write '$${{' for a literal '${{')")]
    Unclosed,
    /// `${...}` holding no variable name.
    #[error("invalid variable reference '${{{0}}}' (write '$${{' for a literal '${{')")]
    Invalid(String),
    /// Variables the environment does not have (each named once).
    #[error("{}", unset(.0))]
    Unset(Vec<String>),
}

fn unset(names: &[String]) -> String {
    match names {
        [one] => format!("environment variable {one} is not set"),
        _ => format!("environment variables {} are not set", names.join(", ")),
    }
}

/// Expands `${VAR}` from `env`. `$${` is a literal `${`; any other `$` is kept as is.
/// Errors name the unset variables (all of them) or the malformed reference.
pub(crate) fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, ExpandError> {
    if !s.contains('$') {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut unset: Vec<String> = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(tail) = after.strip_prefix("${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let Some(end) = tail.find('}') else {
                return Err(ExpandError::Unclosed);
            };
            let name = &tail[..end];
            if !is_env_name(name) {
                return Err(ExpandError::Invalid(name.to_string()));
            }
            match env(name) {
                Some(v) => out.push_str(&v),
                None => {
                    if !unset.iter().any(|u| u == name) {
                        unset.push(name.to_string());
                    }
                }
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    if unset.is_empty() {
        Ok(out)
    } else {
        Err(ExpandError::Unset(unset))
    }
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Why a value is not a base URL `scheme://host[:port]`. `shown` is the value quoted, or
/// `the value` when it holds user info (which may be a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum UrlError {
    /// No `://`.
    #[error("{shown} is not a base URL: expected scheme://host[:port], e.g. https://host")]
    NotAUrl {
        /// The value as shown.
        shown: String,
    },
    /// Neither http nor https.
    #[error("{shown}: unsupported scheme '{scheme}' (expected http or https)")]
    Scheme {
        /// The value as shown.
        shown: String,
        /// The scheme.
        scheme: String,
    },
    /// More than `scheme://host[:port]`.
    #[error(
        "{shown} has a path, query or fragment: expected scheme://host[:port] (the exporter appends each API's path)"
    )]
    Path {
        /// The value as shown.
        shown: String,
    },
    /// `user:password@host`.
    #[error("{shown}: user info is not allowed in a base URL")]
    UserInfo {
        /// The value as shown.
        shown: String,
    },
    /// `[` without a matching `]`.
    #[error("{shown}: malformed IPv6 host")]
    Ipv6 {
        /// The value as shown.
        shown: String,
    },
    /// No host, or one with characters no host has.
    #[error("{shown}: missing or invalid host")]
    Host {
        /// The value as shown.
        shown: String,
    },
    /// A port that is not 1–65535.
    #[error("{shown}: invalid port '{port}'")]
    Port {
        /// The value as shown.
        shown: String,
        /// The port as written.
        port: String,
    },
}

/// Validates a base URL `scheme://host[:port]` (http or https), returning it without a
/// trailing slash and with a lower-case scheme.
pub(crate) fn base_url(s: &str) -> Result<String, UrlError> {
    let shown = if s.contains('@') {
        "the value".to_string()
    } else {
        format!("'{s}'")
    };
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(UrlError::NotAUrl { shown });
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(UrlError::Scheme { shown, scheme });
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(UrlError::Path { shown });
    }
    if authority.contains('@') {
        return Err(UrlError::UserInfo { shown });
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) if !h.is_empty() => (h, p.strip_prefix(':').map(Some).unwrap_or(None)),
            _ => return Err(UrlError::Ipv6 { shown }),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty()
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
    {
        return Err(UrlError::Host { shown });
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(UrlError::Port {
                shown,
                port: p.to_string(),
            });
        }
    }
    Ok(format!("{scheme}://{authority}"))
}

/// A name the config cannot use where it is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    /// Not `[a-zA-Z_][a-zA-Z0-9_]*`.
    #[error("'{0}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")]
    LabelName(String),
    /// `__…`, Prometheus' own.
    #[error("'{0}': label names starting with '__' are reserved")]
    LabelPrefix(String),
    /// One of [`RESERVED_LABELS`].
    #[error("'{0}' is reserved: the exporter or Prometheus sets it")]
    Reserved(String),
    /// Not a target name.
    #[error(
        "'{0}' is not a valid target name (letters, digits, '_', '-', '.', starting with a letter or digit)"
    )]
    TargetName(String),
    /// Not an id that can go into a URL.
    #[error("'{0}' is not a valid id (letters, digits, '_', '-', '.', ':')")]
    Id(String),
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
pub(crate) fn label_name(s: &str) -> Result<(), NameError> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !ok {
        return Err(NameError::LabelName(s.to_string()));
    }
    if s.starts_with("__") {
        return Err(NameError::LabelPrefix(s.to_string()));
    }
    if RESERVED_LABELS.contains(&s) {
        return Err(NameError::Reserved(s.to_string()));
    }
    Ok(())
}

/// A target name: starts with a letter or digit, then letters, digits, `_`, `-`, `.`.
pub(crate) fn target_name(s: &str) -> Result<(), NameError> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && s.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(NameError::TargetName(s.to_string()))
    }
}

/// An id that goes into a URL path or query: letters, digits, `_`, `-`, `.`, `:`.
pub(crate) fn path_id(s: &str) -> Result<(), NameError> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        Ok(())
    } else {
        Err(NameError::Id(s.to_string()))
    }
}

/// The known key closest to `unknown`, if it is a plausible typo.
pub(crate) fn suggest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = if unknown.len() <= 4 { 1 } else { 2 };
    nearest(unknown, known, limit)
}

/// The word of `known` closest to `word`, within `limit` edits.
pub(crate) fn nearest<'a>(word: &str, known: &[&'a str], limit: usize) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(word, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance, with an adjacent transposition counted as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "A" => Some("alpha".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expands_variables() {
        assert_eq!(expand("x${A}y", &env).unwrap(), "xalphay");
        assert_eq!(expand("${EMPTY}", &env).unwrap(), "");
        assert_eq!(expand("$${A}", &env).unwrap(), "${A}");
        assert_eq!(expand("pa$$word$", &env).unwrap(), "pa$$word$");
        let e = |s: &str| expand(s, &env).unwrap_err().to_string();
        assert_eq!(e("${B}"), "environment variable B is not set");
        assert_eq!(e("${B}${C}${B}"), "environment variables B, C are not set");
        assert!(e("${A").contains("unclosed"));
        assert!(e("${1x}").contains("invalid"));
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            base_url("https://backup.api.cloud.yandex.net/").unwrap(),
            "https://backup.api.cloud.yandex.net"
        );
        assert_eq!(
            base_url("HTTP://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(base_url("http://[::1]:80").unwrap(), "http://[::1]:80");
        for bad in [
            "backup.api.cloud.yandex.net",
            "ftp://host",
            "https://host/v1",
            "https://host?x=1",
            "https://:80",
            "https://host:0",
            "https://host:99999",
            "https://host:abc",
            "https://user:pw@host",
        ] {
            assert!(base_url(bad).is_err(), "{bad}");
        }
        assert!(
            !base_url("https://user:pw@host")
                .unwrap_err()
                .to_string()
                .contains("pw")
        );
    }

    #[test]
    fn label_names() {
        assert!(label_name("env").is_ok());
        assert!(label_name("_team2").is_ok());
        for bad in ["", "2x", "a-b", "__x", "target", "job", "le"] {
            assert!(label_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn suggestions() {
        let known = ["region", "project_id", "endpoint"];
        assert_eq!(suggest("regoin", &known), Some("region"));
        assert_eq!(suggest("projectid", &known), Some("project_id"));
        assert_eq!(suggest("zzz", &known), None);
    }
}
