//! The fields of a wire record: [`Field<T>`], which never fails to decode and records whether
//! the field was absent, `null`, of the expected type or of another one, and the value types
//! the providers' wire structs share ([`Stamp`] times, [`Text`], [`Number`]). A field that a
//! usable task needs but cannot have becomes an [`Invalid`] naming it. Page decoding, which
//! uses them, is in `records.rs`.

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, de};
use serde_json::Value;

use crate::model::InvalidTask;
use crate::timefmt::TimeError;

/// Longest excerpt of an offending value kept in [`InvalidTask::detail`], in characters.
pub(crate) const EXCERPT_CHARS: usize = 64;

/// A field of a record as it arrived.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) enum Field<T> {
    /// Not in the record.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value of the expected type.
    Value(T),
    /// A value of another type: an excerpt of its JSON text.
    Wrong(String),
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FieldVisitor(std::marker::PhantomData))
    }
}

/// Reads a field in one pass: a scalar goes straight into `T` (no intermediate
/// [`Value`]: a poll reads some fifteen fields per task), an object or array through a
/// `Value` (nested records are few). A value `T` does not take is [`Field::Wrong`].
struct FieldVisitor<T>(std::marker::PhantomData<T>);

impl<T: DeserializeOwned> FieldVisitor<T> {
    /// `T` from a scalar deserializer, else `Wrong` with the JSON text of the value.
    fn scalar<'de, D>(d: D, json: impl FnOnce() -> String) -> Field<T>
    where
        D: Deserializer<'de, Error = de::value::Error>,
    {
        match T::deserialize(d) {
            Ok(t) => Field::Value(t),
            Err(_) => Field::Wrong(shorten(&json())),
        }
    }

    fn nested<E>(v: Value) -> Result<Field<T>, E> {
        Ok(match T::deserialize(&v) {
            Ok(t) => Field::Value(t),
            Err(_) => Field::Wrong(excerpt(&v)),
        })
    }
}

impl<'de, T: DeserializeOwned> de::Visitor<'de> for FieldVisitor<T> {
    type Value = Field<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Null)
    }

    fn visit_none<E>(self) -> Result<Field<T>, E> {
        Ok(Field::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Field<T>, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Field<T>, E> {
        use de::IntoDeserializer;
        Ok(Self::scalar(v.into_deserializer(), || v.to_string()))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Field<T>, E> {
        use de::IntoDeserializer;
        Ok(Self::scalar(v.into_deserializer(), || v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Field<T>, E> {
        use de::IntoDeserializer;
        Ok(Self::scalar(v.into_deserializer(), || v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Field<T>, E> {
        use de::IntoDeserializer;
        Ok(Self::scalar(v.into_deserializer(), || {
            serde_json::Number::from_f64(v).map_or_else(|| "null".to_string(), |n| n.to_string())
        }))
    }

    fn visit_str<E>(self, v: &str) -> Result<Field<T>, E> {
        use de::IntoDeserializer;
        Ok(Self::scalar(v.into_deserializer(), || {
            Value::from(v).to_string()
        }))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Field<T>, E> {
        self.visit_str(&v)
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, a: A) -> Result<Field<T>, A::Error> {
        Self::nested(Value::deserialize(de::value::SeqAccessDeserializer::new(
            a,
        ))?)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, a: A) -> Result<Field<T>, A::Error> {
        Self::nested(Value::deserialize(de::value::MapAccessDeserializer::new(
            a,
        ))?)
    }
}

/// Why a record is unusable; [`decode_records`](super::records::decode_records) adds the record's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Invalid {
    /// The API's name of the field (the `reason` label: a fixed set per provider).
    pub field: &'static str,
    /// What is wrong, with a bounded excerpt of the value.
    pub detail: String,
}

impl std::fmt::Display for Invalid {
    /// `field: detail`, as a skipped schedule's message words it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.detail)
    }
}

impl Invalid {
    /// An invalid `field`.
    pub(crate) fn new(field: &'static str, detail: impl Into<String>) -> Invalid {
        Invalid {
            field,
            detail: detail.into(),
        }
    }

    pub(super) fn into_task(self, id: Option<String>) -> InvalidTask {
        InvalidTask {
            id,
            field: self.field,
            detail: self.detail,
        }
    }
}

impl<T> Field<T> {
    /// The value when present; `None` when absent or `null` (the SDK model marks the field
    /// optional); an [`Invalid`] `name` when of another type.
    pub(crate) fn optional(self, name: &'static str) -> Result<Option<T>, Invalid> {
        match self {
            Field::Absent | Field::Null => Ok(None),
            Field::Value(t) => Ok(Some(t)),
            Field::Wrong(v) => Err(Invalid::new(name, format!("unexpected value {v}"))),
        }
    }

    /// The value; an [`Invalid`] `name` when absent, `null` or of another type.
    pub(crate) fn required(self, name: &'static str) -> Result<T, Invalid> {
        match self {
            Field::Absent => Err(Invalid::new(name, "missing")),
            Field::Null => Err(Invalid::new(name, "null")),
            other => other
                .optional(name)?
                .ok_or_else(|| Invalid::new(name, "missing")),
        }
    }
}

/// A time's text as it arrived, kept inline when short (the times these APIs send are 19–40
/// bytes, a Go time with its zone and monotonic suffix up to some 60; a poll reads up to
/// four per task, and a heap string each was a tenth of the allocations of a poll).
/// Decodes from a JSON string only.
#[derive(Clone, PartialEq)]
pub(crate) enum Stamp {
    /// Up to [`STAMP_INLINE`] bytes.
    Inline { len: u8, buf: [u8; STAMP_INLINE] },
    /// Longer text: a long Go time, or no time at all (reported up to the excerpt).
    Heap(Box<str>),
}

/// Bytes a [`Stamp`] keeps inline.
const STAMP_INLINE: usize = 46;

impl Stamp {
    /// A stamp of `s`.
    pub(crate) fn new(s: &str) -> Stamp {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= STAMP_INLINE => {
                let mut buf = [0; STAMP_INLINE];
                buf[..s.len()].copy_from_slice(s.as_bytes());
                Stamp::Inline { len, buf }
            }
            _ => Stamp::Heap(s.into()),
        }
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            // A prefix copied from a `&str` at its end: always valid UTF-8.
            Stamp::Inline { len, buf } => std::str::from_utf8(&buf[..usize::from(*len)])
                .expect("an inline stamp holds a whole str"),
            Stamp::Heap(s) => s,
        }
    }
}

impl std::fmt::Debug for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Stamp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a time string")
            }
            fn visit_str<E>(self, v: &str) -> Result<Stamp, E> {
                Ok(Stamp::new(v))
            }
        }
        d.deserialize_str(V)
    }
}

impl Field<Stamp> {
    /// A time string parsed by `parse`: `None` when absent, `null` or unset; an [`Invalid`]
    /// `name` when not a string or in no format `parse` knows (it never guesses).
    pub(crate) fn time(
        self,
        name: &'static str,
        parse: fn(&str) -> Result<Option<jiff::Timestamp>, TimeError>,
    ) -> Result<Option<jiff::Timestamp>, Invalid> {
        match self.optional(name)? {
            None => Ok(None),
            Some(s) => parse(s.as_str()).map_err(|e| {
                Invalid::new(
                    name,
                    format!("{} is not a {} time", shorten(&format!("{s:?}")), e.format),
                )
            }),
        }
    }
}

/// A string, or a JSON number kept as its text: int64 values in proto3 JSON, CCE `progress`,
/// DMS `task_count`, which SDK models and doc samples type differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub String);

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Text(s)),
            Value::Number(n) => Ok(Text(n.to_string())),
            other => Err(de::Error::custom(format!(
                "expected a string or number, got {}",
                excerpt(&other)
            ))),
        }
    }
}

/// A number, or a string holding one: SDK deserializers coerce either way (`int("40")`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub f64);

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = Value::deserialize(d)?;
        let n = match &v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        n.filter(|n| n.is_finite())
            .map(Number)
            .ok_or_else(|| de::Error::custom(format!("expected a number, got {}", excerpt(&v))))
    }
}

impl<T: AsRef<str>> Field<T> {
    /// A task id: a non-blank string, else an [`Invalid`] `name` (as [`Field::required`]
    /// words it). Copies the id once, however the field holds it.
    pub(crate) fn id(&self, name: &'static str) -> Result<String, Invalid> {
        match self {
            Field::Absent => Err(Invalid::new(name, "missing")),
            Field::Null => Err(Invalid::new(name, "null")),
            Field::Wrong(v) => Err(Invalid::new(name, format!("unexpected value {v}"))),
            Field::Value(id) if crate::timefmt::trim(id.as_ref()).is_empty() => {
                Err(Invalid::new(name, "empty"))
            }
            Field::Value(id) => Ok(id.as_ref().to_owned()),
        }
    }
}

/// `s` cut to [`EXCERPT_CHARS`] characters, with `…` when cut.
pub(super) fn shorten(s: &str) -> String {
    let mut chars = s.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// The JSON text of `v`, cut to [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(v: &Value) -> String {
    shorten(&v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_keep_their_text_inline_or_not() {
        for s in [
            "",
            "2024-05-01T12:00:00Z",
            &"ü".repeat(23),
            &"x".repeat(47),
            "ü",
        ] {
            let stamp = Stamp::new(s);
            assert_eq!(stamp.as_str(), s);
            assert_eq!(
                matches!(stamp, Stamp::Inline { .. }),
                s.len() <= STAMP_INLINE,
                "{s}"
            );
        }
        let field = |json: &str| serde_json::from_str::<Field<Stamp>>(json).unwrap();
        assert_eq!(field(r#""a\"b""#), Field::Value(Stamp::new(r#"a"b"#)));
        assert_eq!(field("17"), Field::Wrong("17".into()));
        assert_eq!(field("null"), Field::Null);
        // A Go time with zone and monotonic suffix is longer than the inline buffer.
        let go = r#""2023-11-25 17:03:46.739012345 +0800 CST m=+12345.000000001""#;
        assert!(matches!(field(go), Field::Value(Stamp::Heap(_))));
        let t = field(go)
            .time("t", crate::timefmt::go_time)
            .unwrap()
            .unwrap();
        assert_eq!(t.to_string(), "2023-11-25T09:03:46.739012345Z");
    }
}
