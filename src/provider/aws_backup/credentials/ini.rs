//! The shared credentials and config files as botocore reads them
//! (`botocore/configloader.py`: `raw_config_parse` through Python's `configparser`, then
//! `build_profile_map`; `botocore/session.py`, `Session.full_config`, which lays the
//! credentials file's sections over the config file's profiles). The format:
//! <https://docs.aws.amazon.com/sdkref/latest/guide/file-format.html>.

use std::collections::BTreeMap;
use std::path::Path;

/// The keys of one section (or profile), names lower-cased as `configparser` does.
pub(crate) type Section = BTreeMap<String, String>;

/// Sections by name, as written.
pub(crate) type Sections = BTreeMap<String, Section>;

/// Parses an INI file as `configparser.RawConfigParser` does: `[name]` headers, `key = value`
/// or `key: value`, `#` and `;` comment lines (not inline comments), keys lower-cased, an
/// indented line continuing the value above it (a value that starts with such a line is a
/// nested block, like `s3 =` then `  max_concurrent_requests = 10`). A duplicate section or
/// key, a key before any section, or a line that is neither is an error naming its line, as
/// `configparser` raises (and botocore then fails to load).
pub(crate) fn parse(text: &str) -> Result<Sections, String> {
    let mut out = Sections::new();
    let mut current: Option<String> = None;
    // The key the last value line belongs to, with the indentation of its line.
    let mut last: Option<(String, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
        let t = raw.trim();
        let indent = raw.len() - raw.trim_start().len();
        if t.starts_with('#') || t.starts_with(';') {
            continue;
        }
        if t.is_empty() {
            continue;
        }
        if let (Some((key, key_indent)), Some(s)) = (&last, &current)
            && indent > *key_indent
        {
            if let Some(v) = out.get_mut(s).and_then(|sec| sec.get_mut(key)) {
                v.push('\n');
                v.push_str(t);
            }
            continue;
        }
        if t.starts_with('[') {
            let Some(end) = t.rfind(']') else {
                return Err(format!("line {n}: a section header without ']'"));
            };
            let name = t[1..end].to_string();
            if name.is_empty() {
                return Err(format!("line {n}: an empty section name"));
            }
            if out.contains_key(&name) {
                return Err(format!("line {n}: section [{name}] appears twice"));
            }
            out.insert(name.clone(), Section::new());
            current = Some(name);
            last = None;
            continue;
        }
        let Some(section) = &current else {
            return Err(format!("line {n}: a key before any [section]"));
        };
        let split = match (t.find('='), t.find(':')) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(at) = split else {
            return Err(format!("line {n}: neither a [section] nor key = value"));
        };
        let key = t[..at].trim().to_ascii_lowercase();
        if key.is_empty() {
            return Err(format!("line {n}: a value without a key"));
        }
        let value = t[at + 1..].trim().to_string();
        let sec = out.entry(section.clone()).or_default();
        if sec.contains_key(&key) {
            return Err(format!(
                "line {n}: key '{key}' appears twice in [{section}]"
            ));
        }
        sec.insert(key.clone(), value);
        last = Some((key, indent));
    }
    Ok(out)
}

/// Reads and parses a file; `Ok(None)` when it does not exist (botocore's `ConfigNotFound`,
/// which every source treats as "nothing here"). The error names the file, never a value.
pub(crate) fn read(file: &Path) -> Result<Option<Sections>, String> {
    if !file.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
    parse(&text)
        .map(Some)
        .map_err(|e| format!("cannot parse {}: {e}", file.display()))
}

/// The profiles of a config file (`build_profile_map`): `[default]`, and `[profile name]`
/// (the name split as `shlex.split` does, so `[profile "my name"]` works); any other section
/// (`[sso-session x]`, `[services x]`, `[preview]`) is not a profile.
pub(crate) fn profiles(config: &Sections) -> Sections {
    let mut out = Sections::new();
    for (name, keys) in config {
        if name.starts_with("profile") {
            if let Some(parts) = shlex_split(name)
                && let [_, profile] = parts.as_slice()
            {
                out.insert(profile.clone(), keys.clone());
            }
        } else if name == "default" {
            out.insert(name.clone(), keys.clone());
        }
    }
    out
}

/// Botocore's `full_config` profiles: the config file's profiles (from [`profiles`]), each
/// overlaid with the credentials file's section of the same name (whose values win), plus
/// the credentials file's other sections.
pub(crate) fn full(config: Option<&Sections>, credentials: Option<&Sections>) -> Sections {
    let mut out = config.cloned().unwrap_or_default();
    for (name, keys) in credentials.into_iter().flatten() {
        let p = out.entry(name.clone()).or_default();
        for (k, v) in keys {
            p.insert(k.clone(), v.clone());
        }
    }
    out
}

/// `shlex.split` of a section name: words split at white space, with '…' and "…" quoting;
/// `None` for an unclosed quote (botocore then ignores the section).
fn shlex_split(s: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') => {
                let next = chars.next()?;
                word.get_or_insert_default().push(next);
            }
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '"' | '\'') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '\\') => {
                let next = chars.next()?;
                word.get_or_insert_default().push(next);
            }
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    words.extend(word);
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_as_configparser_reads_them() {
        let s = parse(
            "# comment\n[default]\nAWS_Access_Key_Id = AKIA1\naws_secret_access_key: s=k:x\n; other\n\
             region = eu-west-1 # not a comment\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\n\
             [profile prod]\nrole_arn=arn:aws:iam::1:role/r\n",
        )
        .unwrap();
        let d = &s["default"];
        assert_eq!(d["aws_access_key_id"], "AKIA1");
        assert_eq!(d["aws_secret_access_key"], "s=k:x");
        assert_eq!(d["region"], "eu-west-1 # not a comment");
        assert_eq!(
            d["s3"],
            "\nmax_concurrent_requests = 10\naddressing_style = path"
        );
        assert_eq!(s["profile prod"]["role_arn"], "arn:aws:iam::1:role/r");
    }

    #[test]
    fn what_configparser_refuses_is_an_error_naming_the_line() {
        assert_eq!(
            parse("[a]\nx=1\n[a]\n").unwrap_err(),
            "line 3: section [a] appears twice"
        );
        assert_eq!(
            parse("[a]\nx=1\nX = 2\n").unwrap_err(),
            "line 3: key 'x' appears twice in [a]"
        );
        assert_eq!(
            parse("x=1\n").unwrap_err(),
            "line 1: a key before any [section]"
        );
        assert_eq!(
            parse("[a]\njust words\n").unwrap_err(),
            "line 2: neither a [section] nor key = value"
        );
    }

    #[test]
    fn profiles_follow_build_profile_map_and_full_config() {
        let config = parse(
            "[default]\nregion = a\n[profile prod]\nrole_arn = r\n[profile \"two words\"]\nx = 1\n\
             [sso-session s]\nsso_region = b\n[preview]\ny = 2\n[profileless]\nz = 3\n",
        )
        .unwrap();
        let p = profiles(&config);
        assert_eq!(
            p.keys().map(String::as_str).collect::<Vec<_>>(),
            ["default", "prod", "two words"]
        );
        let creds = parse("[prod]\naws_access_key_id = A\nrole_arn = from-creds\n[other]\nk = v\n")
            .unwrap();
        let f = full(Some(&p), Some(&creds));
        assert_eq!(
            f["prod"]["role_arn"], "from-creds",
            "the credentials file wins"
        );
        assert_eq!(f["prod"]["aws_access_key_id"], "A");
        assert_eq!(f["other"]["k"], "v");
        assert_eq!(f["default"]["region"], "a");
        assert_eq!(shlex_split("profile 'a b"), None);
    }
}
