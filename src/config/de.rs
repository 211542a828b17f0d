//! A serde [`Deserializer`] over the located YAML tree (`file.rs`), so that config structs
//! are `#[derive(Deserialize)]`d and every problem still names its line and key.
//!
//! serde stops at the first error of a struct. To report every problem of a file at once,
//! each field of a config struct is a [`Val<T>`]: the deserializer records a problem where it
//! arises (with the line and key path of the value at fault) and the field becomes
//! [`Val::Bad`], so the struct reads on. Unknown, duplicate and non-string keys of a mapping
//! are reported before its struct sees them, with a suggestion (`did you mean 'region'?`)
//! or the struct's own [`Hint`]. `${VAR}` references are expanded in every string value.
//!
//! The value types (`value.rs`) say what a value must look like; what depends on several
//! keys (two auth methods, `timeout < interval`, ids or discovery) is checked by hand after.

use std::cell::RefCell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::Error as _;
use serde::de::value::{StrDeserializer, U32Deserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, Expected, IntoDeserializer, MapAccess, SeqAccess,
    Unexpected, Visitor,
};
use serde::{Deserialize, forward_to_deserialize_any};

use super::check::{expand, suggest};
use super::file::{Node, Value};

/// Where a value was written: its line (0 when unknown) and key path (`auth.iam.user`,
/// `instance_ids[1]`, `defaults.interval`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct At {
    pub(crate) line: u32,
    pub(crate) key: String,
}

/// A problem found while reading the tree, at its line and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) at: At,
    pub(crate) message: String,
}

/// Why `key` is not a key of the struct serde names `structure`, when a better reason than
/// "unknown key" exists (e.g. `iam_token` beside `auth:`).
pub(crate) type Hint<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// What one reading of the tree shares: the environment for `${VAR}`, the hints, and the
/// problems found so far.
pub(crate) struct Reader<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    hint: Hint<'a>,
    problems: RefCell<Vec<Problem>>,
}

impl<'a> Reader<'a> {
    /// A reader expanding `${VAR}` from `env`, explaining unknown keys with `hint`.
    pub(crate) fn new(env: &'a dyn Fn(&str) -> Option<String>, hint: Hint<'a>) -> Reader<'a> {
        Reader {
            env,
            hint,
            problems: RefCell::new(Vec::new()),
        }
    }

    /// `node` (the value of `key`) read as `T`; `None` when it is not one (reported).
    pub(crate) fn read<T: for<'de> Deserialize<'de>>(&self, node: &Node, key: &str) -> Option<T> {
        self.deserialize(NodeDe::new(node, key.to_string(), self, Keys::Strict))
    }

    /// The keys of the mapping `node` that `T` declares, read as `T`; other keys are left to
    /// the caller (a target's mapping holds several structs' keys side by side).
    pub(crate) fn view<T: for<'de> Deserialize<'de>>(&self, node: &Node) -> Option<T> {
        self.deserialize(NodeDe::new(node, String::new(), self, Keys::View))
    }

    /// The file's top-level mapping read as `T`; keys starting with `x-` are skipped (a home
    /// for YAML anchors).
    pub(crate) fn top<T: for<'de> Deserialize<'de>>(&self, node: &Node) -> Option<T> {
        self.deserialize(NodeDe::new(node, String::new(), self, Keys::Top))
    }

    fn deserialize<'n, T: for<'de> Deserialize<'de>>(&self, d: NodeDe<'n, '_>) -> Option<T> {
        let (line, key) = (d.node.line, d.key.clone());
        T::deserialize(d)
            .map_err(|e| report(self, line, &key, e))
            .ok()
    }

    /// Records a problem.
    pub(crate) fn problem(&self, at: At, message: impl Into<String>) {
        self.problems.borrow_mut().push(Problem {
            at,
            message: message.into(),
        });
    }

    /// The problems found so far, handed over.
    pub(crate) fn take(&self) -> Vec<Problem> {
        std::mem::take(&mut self.problems.borrow_mut())
    }

    /// Reports the non-string and duplicate keys of the mapping `entries` (at `path`), and
    /// those `known` does not accept; returns the accepted ones, first occurrences only.
    pub(crate) fn check_keys<'n>(
        &self,
        entries: &'n [(Node, Node)],
        path: &str,
        structure: &str,
        known: &dyn Fn(&str) -> bool,
        suggestions: &[&str],
        skip_extensions: bool,
    ) -> Vec<(&'n str, &'n Node, &'n Node)> {
        let mut out: Vec<(&'n str, &'n Node, &'n Node)> = Vec::new();
        for (k, v) in entries {
            let Value::Str(name) = &k.value else {
                self.problem(
                    at(k.line, path),
                    format!("keys must be strings, found {}", k.value.kind()),
                );
                continue;
            };
            if let Some((_, first, _)) = out.iter().find(|(n, _, _)| n == name) {
                let first = first.line;
                self.problem(
                    at(k.line, &join(path, name)),
                    format!("duplicate key (first given at line {first})"),
                );
                continue;
            }
            if skip_extensions && name.starts_with("x-") {
                continue;
            }
            if !known(name) {
                let why =
                    (self.hint)(structure, name).unwrap_or_else(|| unknown_key(name, suggestions));
                self.problem(at(k.line, &join(path, name)), why);
                continue;
            }
            out.push((name.as_str(), k, v));
        }
        out
    }
}

/// Records `e` at `line` and `key` unless it was recorded where it arose: a value type may
/// refuse what its visitor accepted (`must not be empty`), after the deserializer returned.
fn report(reader: &Reader<'_>, line: u32, key: &str, mut e: Error) -> Error {
    if !e.reported {
        reader.problem(at(line, key), e.message.clone());
        e.reported = true;
    }
    e
}

/// "unknown key" with the nearest known key, or the list of them.
pub(crate) fn unknown_key(name: &str, known: &[&str]) -> String {
    match suggest(name, known) {
        Some(s) => format!("unknown key (did you mean '{s}'?)"),
        None => format!("unknown key; expected one of: {}", known.join(", ")),
    }
}

fn at(line: u32, key: &str) -> At {
    At {
        line,
        key: key.to_string(),
    }
}

/// `a` + `.` + `b`, or just `b` when `a` is empty.
pub(crate) fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

/// The keys a derived struct declares, as serde lists them.
pub(crate) fn fields_of<T: for<'de> Deserialize<'de>>() -> &'static [&'static str] {
    struct Fields(Option<&'static [&'static str]>);
    impl<'de> Deserializer<'de> for &mut Fields {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = Some(fields);
            Err(de::Error::custom("fields read"))
        }
        forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
            byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
            identifier ignored_any
        }
    }
    let mut f = Fields(None);
    let _ = T::deserialize(&mut f);
    f.0.unwrap_or(&[])
}

// === Val ===

/// A config value as read: absent, valid (with where it was written), or invalid (the
/// problem is already reported). Every field of a config struct is one, with
/// `#[serde(default)]` on the struct, so that one bad value does not hide the next.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Val<T> {
    /// Not in the file.
    #[default]
    Absent,
    /// Given and valid.
    Given(T, At),
    /// Given but invalid; its problem is reported.
    Bad(At),
}

impl<T> Val<T> {
    /// The value, when given and valid.
    pub(crate) fn ok(self) -> Option<T> {
        match self {
            Val::Given(v, _) => Some(v),
            _ => None,
        }
    }

    /// The value, when given and valid.
    pub(crate) fn get(&self) -> Option<&T> {
        match self {
            Val::Given(v, _) => Some(v),
            _ => None,
        }
    }

    /// Where it was written, when given (valid or not).
    pub(crate) fn at(&self) -> Option<&At> {
        match self {
            Val::Given(_, at) | Val::Bad(at) => Some(at),
            Val::Absent => None,
        }
    }

    /// Whether it is in the file (valid or not).
    pub(crate) fn given(&self) -> bool {
        !matches!(self, Val::Absent)
    }

    /// The value mapped by `f`, in the same place.
    pub(crate) fn map_ok<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Absent => Val::Absent,
            Val::Given(v, at) => Val::Given(f(v), at),
            Val::Bad(at) => Val::Bad(at),
        }
    }
}

/// A mapping read entry by entry, duplicates included, each key and value with its place:
/// for mappings whose keys are data (`labels:`, `filters:`, `expected_intervals:`), checked
/// by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Entries<V>(pub(crate) Vec<(Val<String>, Val<V>)>);

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for EntriesVisitor<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Entries<V>, E> {
                Ok(Entries(Vec::new()))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<V>, A::Error> {
                let mut out = Vec::new();
                while let Some(k) = map.next_key::<Val<String>>()? {
                    out.push((k, map.next_value::<Val<V>>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(EntriesVisitor(PhantomData))
    }
}

/// The struct name by which [`Val`] asks [`NodeDe`] for a value with its place.
const VAL: &str = "$cloud_task_exporter::Val";
const VAL_FIELDS: &[&str] = &["line", "key", "value"];

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Val<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_struct(VAL, VAL_FIELDS, ValVisitor(PhantomData))
    }
}

struct ValVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for ValVisitor<T> {
    type Value = Val<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a located value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val<T>, A::Error> {
        let mut at = At::default();
        while let Some(k) = map.next_key::<String>()? {
            match k.as_str() {
                "line" => at.line = map.next_value()?,
                "key" => at.key = map.next_value()?,
                _ => {
                    // The value's problem, if any, is reported where it arose.
                    return Ok(match map.next_value::<T>() {
                        Ok(v) => Val::Given(v, at),
                        Err(_) => Val::Bad(at),
                    });
                }
            }
        }
        Ok(Val::Bad(at))
    }
}

// === The deserializer ===

/// A problem while deserializing, not yet or already reported.
#[derive(Debug)]
pub(crate) struct Error {
    message: String,
    /// Recorded in the [`Reader`] already (by the innermost value it concerns).
    reported: bool,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error {
            message: msg.to_string(),
            reported: false,
        }
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::custom(format!("expected {exp}, found {}", kind(&unexp)))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        Error::custom(format!("expected {exp}, found {}", kind(&unexp)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        Error::custom(unknown_key(field, expected))
    }
}

/// How a YAML value is named in messages (`Value::kind`'s words).
fn kind(u: &Unexpected<'_>) -> &'static str {
    match u {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer",
        Unexpected::Float(_) => "a number",
        Unexpected::Char(_) | Unexpected::Str(_) => "a string",
        Unexpected::Unit | Unexpected::Option => "null",
        Unexpected::Seq => "a list",
        Unexpected::Map => "a mapping",
        _ => "something else",
    }
}

/// How a struct's keys are checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// Every key must be one of the struct's.
    Strict,
    /// Only the struct's keys are read; the caller checks the others.
    View,
    /// The top level: strict, but `x-` keys are skipped.
    Top,
}

/// One node as a serde [`Deserializer`].
struct NodeDe<'a, 'r> {
    node: &'a Node,
    key: String,
    reader: &'a Reader<'r>,
    keys: Keys,
}

impl<'a, 'r> NodeDe<'a, 'r> {
    fn new(node: &'a Node, key: String, reader: &'a Reader<'r>, keys: Keys) -> Self {
        NodeDe {
            node,
            key,
            reader,
            keys,
        }
    }

    fn child(&self, node: &'a Node, key: String) -> Self {
        NodeDe::new(node, key, self.reader, Keys::Strict)
    }

    /// Reports an error here unless it was reported where it arose.
    fn report(&self, e: Error) -> Error {
        report(self.reader, self.node.line, &self.key, e)
    }

    fn fail<T>(&self, message: String) -> Result<T, Error> {
        Err(self.report(Error::custom(message)))
    }

    fn mapping(&self) -> Result<&'a [(Node, Node)], Error> {
        match &self.node.value {
            Value::Map(m) => Ok(m),
            Value::Null => Ok(&[]),
            other => self.fail(format!("expected a mapping, found {}", other.kind())),
        }
    }
}

impl<'de, 'a, 'r> Deserializer<'de> for NodeDe<'a, 'r> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => match i64::try_from(*i) {
                Ok(v) => visitor.visit_i64(v),
                Err(_) => match u64::try_from(*i) {
                    Ok(v) => visitor.visit_u64(v),
                    Err(_) => visitor.visit_i128(*i),
                },
            },
            Value::Float(f) => visitor.visit_f64(*f),
            Value::Str(s) => match expand(s, self.reader.env) {
                Ok(v) => visitor.visit_string(v),
                Err(e) => return self.fail(e.to_string()),
            },
            Value::Seq(items) => visitor.visit_seq(Seq {
                items: items.iter(),
                index: 0,
                parent: &self,
            }),
            Value::Map(_) => visitor.visit_map(MapEntries {
                entries: self.mapping()?.iter(),
                value: None,
                parent: &self,
                first_only: true,
                seen: Vec::new(),
            }),
        };
        r.map_err(|e| self.report(e))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => return visitor.visit_some(self),
        };
        r.map_err(|e| self.report(e))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Value::Seq(items) = &self.node.value else {
            return self.fail(format!("expected a list, found {}", self.node.value.kind()));
        };
        let r = visitor.visit_seq(Seq {
            items: items.iter(),
            index: 0,
            parent: &self,
        });
        r.map_err(|e| self.report(e))
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let entries = self.mapping()?;
        let r = visitor.visit_map(MapEntries {
            entries: entries.iter(),
            value: None,
            parent: &self,
            first_only: false,
            seen: Vec::new(),
        });
        r.map_err(|e| self.report(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == VAL {
            let r = visitor.visit_map(Located {
                line: self.node.line,
                key: self.key.clone(),
                step: 0,
                value: Some(NodeDe::new(
                    self.node,
                    self.key.clone(),
                    self.reader,
                    self.keys,
                )),
                reader: self.reader,
            });
            return r.map_err(|e| self.report(e));
        }
        let entries = self.mapping()?;
        let known = |k: &str| fields.contains(&k);
        let fields_of_struct: Vec<(&'a str, &'a Node)> = match self.keys {
            Keys::View => {
                let mut seen: Vec<&str> = Vec::new();
                entries
                    .iter()
                    .filter_map(|(k, v)| match &k.value {
                        Value::Str(n) if known(n) && !seen.contains(&n.as_str()) => {
                            seen.push(n);
                            Some((n.as_str(), v))
                        }
                        _ => None,
                    })
                    .collect()
            }
            Keys::Strict | Keys::Top => self
                .reader
                .check_keys(
                    entries,
                    &self.key,
                    name,
                    &known,
                    fields,
                    self.keys == Keys::Top,
                )
                .into_iter()
                .map(|(n, _, v)| (n, v))
                .collect(),
        };
        let r = visitor.visit_map(Fields {
            fields: fields_of_struct.into_iter(),
            value: None,
            parent: &self,
        });
        r.map_err(|e| self.report(e))
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let r = match &self.node.value {
            Value::Str(s) => visitor.visit_str(s),
            _ => return self.deserialize_any(visitor),
        };
        r.map_err(|e| self.report(e))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct newtype_struct tuple tuple_struct enum
    }
}

/// The items of a list, each at `key[i]`.
struct Seq<'p, 'a, 'r> {
    items: std::slice::Iter<'a, Node>,
    index: usize,
    parent: &'p NodeDe<'a, 'r>,
}

impl<'de> SeqAccess<'de> for Seq<'_, '_, '_> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let key = format!("{}[{}]", self.parent.key, self.index);
        self.index += 1;
        seed.deserialize(self.parent.child(item, key)).map(Some)
    }
}

/// The entries of a mapping read as a map (keys and values alike are nodes at `key.name`).
/// With `first_only`, a key given twice is reported and its second value skipped (a
/// mapping read as a struct); without, both reach the map (see [`Entries`]).
struct MapEntries<'p, 'a, 'r> {
    entries: std::slice::Iter<'a, (Node, Node)>,
    value: Option<(&'a Node, String)>,
    parent: &'p NodeDe<'a, 'r>,
    first_only: bool,
    seen: Vec<(&'a str, u32)>,
}

impl<'de> MapAccess<'de> for MapEntries<'_, '_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        for (k, v) in self.entries.by_ref() {
            let Value::Str(name) = &k.value else {
                self.parent.reader.problem(
                    at(k.line, &self.parent.key),
                    format!("keys must be strings, found {}", k.value.kind()),
                );
                continue;
            };
            let key = join(&self.parent.key, name);
            if self.first_only {
                if let Some((_, first)) = self.seen.iter().find(|(n, _)| n == name) {
                    self.parent.reader.problem(
                        at(k.line, &key),
                        format!("duplicate key (first given at line {first})"),
                    );
                    continue;
                }
                self.seen.push((name, k.line));
            }
            self.value = Some((v, key.clone()));
            // The key itself is read verbatim (no `${VAR}`), at its own line.
            let key_de = KeyDe {
                name,
                node: self.parent.child(k, key),
            };
            return seed.deserialize(key_de).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (v, key) = self
            .value
            .take()
            .ok_or_else(|| Error::custom("a value without a key"))?;
        seed.deserialize(self.parent.child(v, key))
    }
}

/// A mapping key: its name as is, its place for [`Val`].
struct KeyDe<'n, 'a, 'r> {
    name: &'n str,
    node: NodeDe<'a, 'r>,
}

impl<'de> Deserializer<'de> for KeyDe<'_, '_, '_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor
            .visit_str(self.name)
            .map_err(|e| self.node.report(e))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        if name == VAL {
            let r = visitor.visit_map(Located {
                line: self.node.node.line,
                key: self.node.key.clone(),
                step: 0,
                value: Some(KeyDe {
                    name: self.name,
                    node: self.node.child(self.node.node, self.node.key.clone()),
                }),
                reader: self.node.reader,
            });
            return r.map_err(|e| self.node.report(e));
        }
        let _ = fields;
        self.deserialize_any(visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

/// The keys of a struct, already checked (see [`NodeDe::deserialize_struct`]).
struct Fields<'p, 'a, 'r> {
    fields: std::vec::IntoIter<(&'a str, &'a Node)>,
    value: Option<(&'a Node, String)>,
    parent: &'p NodeDe<'a, 'r>,
}

impl<'de> MapAccess<'de> for Fields<'_, '_, '_> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((name, v)) = self.fields.next() else {
            return Ok(None);
        };
        self.value = Some((v, join(&self.parent.key, name)));
        let k: StrDeserializer<'_, Error> = name.into_deserializer();
        seed.deserialize(k).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let (v, key) = self
            .value
            .take()
            .ok_or_else(|| Error::custom("a value without a key"))?;
        seed.deserialize(self.parent.child(v, key))
    }
}

/// The three entries [`Val`] reads: `line`, `key`, then the value itself.
struct Located<'a, 'r, D> {
    line: u32,
    key: String,
    step: usize,
    value: Option<D>,
    reader: &'a Reader<'r>,
}

impl<'de, D: Deserializer<'de, Error = Error>> MapAccess<'de> for Located<'_, '_, D> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some(name) = VAL_FIELDS.get(self.step) else {
            return Ok(None);
        };
        let k: StrDeserializer<'_, Error> = name.into_deserializer();
        seed.deserialize(k).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        self.step += 1;
        match self.step {
            1 => {
                let d: U32Deserializer<Error> = self.line.into_deserializer();
                seed.deserialize(d)
            }
            2 => seed.deserialize(self.key.as_str().into_deserializer()),
            _ => match self.value.take() {
                Some(d) => seed
                    .deserialize(d)
                    .map_err(|e| report(self.reader, self.line, &self.key, e)),
                None => Err(Error::custom("a value read twice")),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::file::parse;
    use crate::config::value::{NonEmpty, Span};

    #[derive(Debug, Default, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    struct Keys {
        name: Val<NonEmpty>,
        every: Val<Span>,
        list: Val<Vec<Val<NonEmpty>>>,
    }

    fn read(text: &str) -> (Option<Keys>, Vec<String>) {
        let env = |v: &str| (v == "SET").then(|| "value".to_string());
        let reader = Reader::new(&env, &|_, k| (k == "nme").then(|| "a hint".to_string()));
        let keys = reader.read::<Keys>(&parse(text).unwrap(), "");
        let problems = reader
            .take()
            .into_iter()
            .map(|p| format!("{}:{}: {}", p.at.line, p.at.key, p.message))
            .collect();
        (keys, problems)
    }

    #[test]
    fn every_bad_value_is_reported_at_its_line_and_the_struct_reads_on() {
        let (keys, problems) =
            read("name: ''\nevery: 5\nlist: [a, '', '${UNSET}']\nnme: x\nevry: 1s\nname: again\n");
        assert_eq!(
            problems,
            [
                "4:nme: a hint",
                "5:evry: unknown key (did you mean 'every'?)",
                "6:name: duplicate key (first given at line 1)",
                "1:name: must not be empty",
                "2:every: invalid duration \"5\": the number needs a unit, e.g. 5s or 5m (units: ms, s, m, h, d, w)",
                "3:list[1]: must not be empty",
                "3:list[2]: environment variable UNSET is not set",
            ]
        );
        let keys = keys.unwrap();
        assert!(matches!(keys.name, Val::Bad(At { line: 1, .. })));
        let Val::Given(list, _) = keys.list else {
            panic!("{:?}", keys.list)
        };
        assert!(
            matches!(&list[0], Val::Given(NonEmpty(a), At { line: 3, key }) if a == "a" && key == "list[0]")
        );
    }

    #[test]
    fn strings_expand_variables_and_absent_keys_stay_absent() {
        let (keys, problems) = read("name: x-${SET}\n");
        assert!(problems.is_empty(), "{problems:?}");
        let keys = keys.unwrap();
        assert!(matches!(keys.name, Val::Given(NonEmpty(n), _) if n == "x-value"));
        assert_eq!(keys.every, Val::Absent);
        assert_eq!(fields_of::<Keys>(), ["name", "every", "list"]);
    }
}
