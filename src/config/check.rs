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

/// Expands `${VAR}` from `env`. `$${` is a literal `${`; any other `$` is kept as is.
/// Errors name the unset variables (all of them) or the malformed reference.
pub(crate) fn expand(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
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
                return Err("unclosed '${' (write '$${' for a literal '${')".to_string());
            };
            let name = &tail[..end];
            if !is_env_name(name) {
                return Err(format!(
                    "invalid variable reference '${{{name}}}' (write '$${{' for a literal '${{')"
                ));
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
    match unset.len() {
        0 => Ok(out),
        1 => Err(format!("environment variable {} is not set", unset[0])),
        _ => Err(format!(
            "environment variables {} are not set",
            unset.join(", ")
        )),
    }
}

fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// Validates a base URL `scheme://host[:port]` (http or https), returning it without a
/// trailing slash and with a lower-case scheme.
pub(crate) fn base_url(s: &str) -> Result<String, String> {
    let shown = if s.contains('@') {
        "the value".to_string()
    } else {
        format!("'{s}'")
    };
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err(format!(
            "{shown} is not a base URL: expected scheme://host[:port], e.g. https://host"
        ));
    };
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "{shown}: unsupported scheme '{scheme}' (expected http or https)"
        ));
    }
    let authority = rest.strip_suffix('/').unwrap_or(rest);
    if authority.contains(['/', '?', '#']) {
        return Err(format!(
            "{shown} has a path, query or fragment: expected scheme://host[:port] (the exporter appends each API's path)"
        ));
    }
    if authority.contains('@') {
        return Err(format!("{shown}: user info is not allowed in a base URL"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, p)) if !h.is_empty() => (h, p.strip_prefix(':').map(Some).unwrap_or(None)),
            _ => return Err(format!("{shown}: malformed IPv6 host")),
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
        return Err(format!("{shown}: missing or invalid host"));
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return Err(format!("{shown}: invalid port '{p}'"));
        }
    }
    Ok(format!("{scheme}://{authority}"))
}

/// A Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`.
pub(crate) fn label_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !ok {
        return Err(format!(
            "'{s}' is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)"
        ));
    }
    if s.starts_with("__") {
        return Err(format!(
            "'{s}': label names starting with '__' are reserved"
        ));
    }
    if RESERVED_LABELS.contains(&s) {
        return Err(format!(
            "'{s}' is reserved: the exporter or Prometheus sets it"
        ));
    }
    Ok(())
}

/// A target name: starts with a letter or digit, then letters, digits, `_`, `-`, `.`.
pub(crate) fn target_name(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && s.len() <= 128;
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{s}' is not a valid target name (letters, digits, '_', '-', '.', starting with a letter or digit)"
        ))
    }
}

/// An id that goes into a URL path or query: letters, digits, `_`, `-`, `.`, `:`.
pub(crate) fn path_id(s: &str) -> Result<(), String> {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
    {
        Ok(())
    } else {
        Err(format!(
            "'{s}' is not a valid id (letters, digits, '_', '-', '.', ':')"
        ))
    }
}

/// The known key closest to `unknown`, if it is a plausible typo.
pub(crate) fn suggest<'a>(unknown: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = if unknown.len() <= 4 { 1 } else { 2 };
    known
        .iter()
        .map(|k| (edit_distance(unknown, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The Huawei Cloud regions this version knows: the region ids of the official SDK's CBR
/// region file (PROVIDERS.md §2.1), which the other services' files are subsets of.
pub(crate) const HUAWEI_REGIONS: &[&str] = &[
    "af-north-1",
    "af-south-1",
    "ae-ad-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "eu-west-0",
    "eu-west-101",
    "la-north-2",
    "la-south-2",
    "me-east-1",
    "my-kualalumpur-1",
    "na-mexico-1",
    "ru-moscow-1",
    "ru-northwest-2",
    "sa-brazil-1",
    "tr-west-1",
];

/// Why `region` looks wrong, naming the closest known region; `None` for a known one.
/// Only a doubt: Huawei opens regions after this list was written.
pub(crate) fn region_doubt(region: &str, service: &str) -> Option<String> {
    if HUAWEI_REGIONS.contains(&region) {
        return None;
    }
    let nearest = HUAWEI_REGIONS
        .iter()
        .map(|k| (edit_distance(region, k), *k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!(" (did you mean '{k}'?)"))
        .unwrap_or_default();
    Some(format!(
        "'{region}' is not a Huawei Cloud region this version knows{nearest}; requests will go to https://{service}.{region}.myhuaweicloud.com. New regions open over time, so this is only a warning: if '{region}' is new, ignore it, or set endpoint: to silence it"
    ))
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
        assert_eq!(
            expand("${B}", &env).unwrap_err(),
            "environment variable B is not set"
        );
        assert_eq!(
            expand("${B}${C}${B}", &env).unwrap_err(),
            "environment variables B, C are not set"
        );
        assert!(expand("${A", &env).unwrap_err().contains("unclosed"));
        assert!(expand("${1x}", &env).unwrap_err().contains("invalid"));
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
        assert!(!base_url("https://user:pw@host").unwrap_err().contains("pw"));
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
    fn region_doubts_name_the_nearest_region() {
        let d = region_doubt("ap-southest-1", "cbr").unwrap();
        assert!(d.contains("did you mean 'ap-southeast-1'?"), "{d}");
        assert!(
            d.contains("https://cbr.ap-southest-1.myhuaweicloud.com"),
            "{d}"
        );
        assert!(d.contains("only a warning"), "{d}");
        assert_eq!(region_doubt("ap-southeast-1", "cbr"), None);
        assert_eq!(region_doubt("eu-west-101", "cce"), None);
        let far = region_doubt("xx-nowhere-7", "dms").unwrap();
        assert!(!far.contains("did you mean"), "{far}");
    }

    #[test]
    fn suggestions() {
        let known = ["region", "project_id", "endpoint"];
        assert_eq!(suggest("regoin", &known), Some("region"));
        assert_eq!(suggest("projectid", &known), Some("project_id"));
        assert_eq!(suggest("zzz", &known), None);
    }
}
