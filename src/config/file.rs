//! The YAML document as a tree of located nodes; the only user of the YAML crate.
//!
//! Why a tree and not `#[derive(Deserialize)]` structs with `deny_unknown_fields`: serde stops
//! at the first error, and a target whose shape depends on its `provider:` key is an internally
//! tagged enum, for which serde buffers the content and every location is lost (serde-saphyr's
//! `Spanned` documents this limit). Reading the document into [`Node`]s keeps the line of every
//! key and value, and lets `load.rs` report every problem at once, each at its own line.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A YAML value with the line it starts on (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// The value.
    pub(crate) value: Value,
    /// 1-based line of the value in the source, 0 if the parser did not give one.
    pub(crate) line: u32,
}

/// The YAML data model, as the parser resolved it (core schema).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// `~`, `null` or an empty value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A float.
    Float(f64),
    /// A string (plain or quoted).
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in document order; keys keep their own lines.
    Map(Vec<(Node, Node)>),
}

impl Value {
    /// What kind of value this is, for "expected X, found Y" messages.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A YAML syntax error: the parser's message and line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    /// 1-based line, 0 when unknown.
    pub(crate) line: u32,
    /// The parser's message, without the source snippet.
    pub(crate) message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Parses a YAML document into a [`Node`] tree. An empty document is `Value::Null`.
pub(crate) fn parse(text: &str) -> Result<Node, SyntaxError> {
    if text.trim().is_empty() {
        return Ok(Node {
            value: Value::Null,
            line: 0,
        });
    }
    let options = serde_saphyr::options! {
        // Duplicate keys reach the visitor, so `load.rs` reports each one at its line.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        // Ids such as `0123` stay strings instead of becoming the integer 123.
        leading_zero_numbers_as_strings: true,
        with_snippet: false,
    };
    let parsed: Result<Option<Node>, _> = serde_saphyr::from_str_with_options(text, options);
    match parsed {
        Ok(Some(node)) => Ok(node),
        Ok(None) => Ok(Node {
            value: Value::Null,
            line: 0,
        }),
        Err(e) => Err(SyntaxError {
            line: e.location().map(|l| l.line() as u32).unwrap_or(0),
            message: strip_location(&e.to_string()),
        }),
    }
}

/// A hint for a syntax error in a file indented with tabs, which YAML forbids and which editors
/// hide: names the line (the error's own, else the first) whose indentation has a tab.
pub(crate) fn tab_hint(text: &str, error_line: u32) -> String {
    let tabbed = |l: &str| {
        l.chars()
            .take_while(|c| c.is_whitespace())
            .any(|c| c == '\t')
    };
    let lines: Vec<&str> = text.lines().collect();
    let at = (error_line as usize)
        .checked_sub(1)
        .filter(|&i| lines.get(i).is_some_and(|l| tabbed(l)))
        .or_else(|| lines.iter().position(|l| tabbed(l)));
    match at {
        Some(i) => format!(
            " (line {} is indented with a tab character: YAML allows only spaces for indentation, so use spaces)",
            i + 1
        ),
        None => String::new(),
    }
}

/// A hint for an indentation mistake at `error_line`: where its key starts against the key
/// of the line above, which a one-space slip leaves the parser's own message ("mapping values
/// are not allowed in this context") silent about. Empty when the columns agree, or when the
/// line is not found.
pub(crate) fn indent_hint(text: &str, error_line: u32) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let Some(i) = (error_line as usize).checked_sub(1) else {
        return String::new();
    };
    let significant = |l: &str| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    };
    let Some(line) = lines.get(i).filter(|l| significant(l)) else {
        return String::new();
    };
    let Some(above) = (0..i).rev().find(|&j| significant(lines[j])) else {
        return String::new();
    };
    // Where a line's key starts: after its indentation and any `- ` of a list item.
    let key_column = |l: &str| {
        let indent = l.len() - l.trim_start_matches(' ').len();
        let mut rest = &l[indent..];
        let mut column = indent;
        while let Some(r) = rest.strip_prefix("- ") {
            let spaces = r.len() - r.trim_start_matches(' ').len();
            column += 2 + spaces;
            rest = &r[spaces..];
        }
        column + 1
    };
    let (here, there) = (key_column(line), key_column(lines[above]));
    if here == there {
        return String::new();
    }
    let opens = lines[above]
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim_end()
        .ends_with(':');
    let why = if here > there && !opens {
        "only a line ending in ':' opens a deeper level"
    } else {
        "keys of one mapping start in the same column"
    };
    format!(
        " (line {}'s key starts at column {here}, the key of line {} above at column {there}: {why})",
        i + 1,
        above + 1
    )
}

/// The parser appends " at line L column C" to some messages; the caller prints the line itself.
fn strip_location(msg: &str) -> String {
    let first = msg.lines().next().unwrap_or(msg).trim();
    match first.rfind(" at line ") {
        Some(i) => first[..i].trim_end_matches(',').to_string(),
        None => first.to_string(),
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            value: s.value,
            line: s.referenced.line() as u32,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Int(i128::from(v)))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(i128::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<Node>()? {
            let v = map.next_value::<Node>()?;
            entries.push((k, v));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(n: &Node) -> &[(Node, Node)] {
        match &n.value {
            Value::Map(m) => m,
            other => panic!("not a map: {other:?}"),
        }
    }

    #[test]
    fn keeps_lines_of_keys_and_values() {
        let text = "a: 1\nb:\n  - x\n  - { c: true, d: 1.5 }\ne: ~\nf: '007'\ng: 007\n";
        let root = parse(text).unwrap();
        let m = map(&root);
        assert_eq!(m[0].0.value, Value::Str("a".into()));
        assert_eq!((m[0].0.line, m[0].1.line), (1, 1));
        assert_eq!(m[0].1.value, Value::Int(1));
        let Value::Seq(items) = &m[1].1.value else {
            panic!("seq")
        };
        assert_eq!(items[0].line, 3);
        assert_eq!(items[1].line, 4);
        let inner = map(&items[1]);
        assert_eq!(inner[0].1.value, Value::Bool(true));
        assert_eq!(inner[1].1.value, Value::Float(1.5));
        assert_eq!(m[2].1.value, Value::Null);
        assert_eq!(m[2].0.line, 5);
        assert_eq!(m[3].1.value, Value::Str("007".into()));
        assert_eq!(m[4].1.value, Value::Str("007".into()));
    }

    #[test]
    fn duplicate_keys_reach_the_tree() {
        let root = parse("a: 1\na: 2\n").unwrap();
        let m = map(&root);
        assert_eq!(m.len(), 2);
        assert_eq!(m[1].0.line, 2);
    }

    #[test]
    fn syntax_errors_have_a_line() {
        let e = parse("a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.line >= 2, "{e:?}");
        assert!(!e.message.contains('\n'), "{e:?}");
    }

    #[test]
    fn empty_document_is_null() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        assert_eq!(parse("# only a comment\n").unwrap().value, Value::Null);
    }
}
