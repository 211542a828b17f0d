//! The kinds of values a config holds, each with what it accepts and what it says otherwise
//! (`expected an integer, found 'many'`). Read through `de.rs`, which has expanded `${VAR}`s
//! and places each message at the value's line and key.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use super::check;
use super::duration::parse_duration;
use super::secret::Secret;

/// A visitor that accepts what `visit` accepts and names `what` otherwise.
macro_rules! value_visitor {
    ($name:ident, $out:ty, $what:literal, { $($body:tt)* }) => {
        struct $name;
        impl<'de> Visitor<'de> for $name {
            type Value = $out;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($what)
            }
            $($body)*
        }
    };
}

/// A string; an integer is taken as its decimal text (an id such as `0123` written unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Text(pub(crate) String);

value_visitor!(TextVisitor, Text, "a string", {
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Text, E> {
        Ok(Text(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Text, E> {
        Err(E::custom("has no value"))
    }
});

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

/// A [`Text`] that is not blank (kept as written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NonEmpty(pub(crate) String);

impl<'de> Deserialize<'de> for NonEmpty {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let Text(s) = Text::deserialize(d)?;
        if s.trim().is_empty() {
            return Err(de::Error::custom("must not be empty"));
        }
        Ok(NonEmpty(s))
    }
}

/// An id that goes into a URL path or query (trimmed): letters, digits, `_`, `-`, `.`, `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub(crate) String);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let NonEmpty(s) = NonEmpty::deserialize(d)?;
        let id = s.trim().to_string();
        check::path_id(&id).map_err(de::Error::custom)?;
        Ok(Id(id))
    }
}

/// A label value or query parameter: a [`Text`], or a boolean or number as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scalar(pub(crate) String);

value_visitor!(ScalarVisitor, Scalar, "a string", {
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Err(E::custom("has no value"))
    }
});

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A base URL (`scheme://host[:port]`), parsed once: what every endpoint key holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// `scheme://host[:port]`, scheme lower-case, no trailing slash.
    url: String,
    /// Where the host starts in `url`.
    host_at: usize,
}

impl BaseUrl {
    /// Parses `scheme://host[:port]` (http or https; a trailing slash is dropped). The
    /// message never quotes a value with user info in it.
    pub(crate) fn parse(s: &str) -> Result<BaseUrl, check::UrlError> {
        let url = check::base_url(s.trim())?;
        let host_at = url.find("://").map_or(0, |i| i + 3);
        Ok(BaseUrl { url, host_at })
    }

    /// `https://{host}`, for a host built from checked parts (a Huawei region).
    pub(crate) fn https(host: String) -> BaseUrl {
        BaseUrl {
            url: format!("https://{host}"),
            host_at: "https://".len(),
        }
    }

    /// `host[:port]`: the `Host` header a request to it carries.
    pub fn host(&self) -> &str {
        &self.url[self.host_at..]
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl std::ops::Deref for BaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl<'de> Deserialize<'de> for BaseUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let NonEmpty(s) = NonEmpty::deserialize(d)?;
        BaseUrl::parse(&s).map_err(de::Error::custom)
    }
}

/// A secret written inline: a non-empty string (never echoed in messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InlineSecret(pub(crate) Secret);

value_visitor!(SecretVisitor, InlineSecret, "a string", {
    fn visit_str<E: de::Error>(self, v: &str) -> Result<InlineSecret, E> {
        if v.is_empty() {
            return Err(E::custom("is empty"));
        }
        Ok(InlineSecret(Secret::new(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<InlineSecret, E> {
        Err(E::custom("has no value"))
    }
    // YAML would turn `0x1F` into 31 or `1.50` into 1.5: only quoted text is exact.
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<InlineSecret, E> {
        Err(quote("a boolean"))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<InlineSecret, E> {
        Err(quote("an integer"))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<InlineSecret, E> {
        Err(quote("an integer"))
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<InlineSecret, E> {
        Err(quote("an integer"))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<InlineSecret, E> {
        Err(quote("a number"))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<InlineSecret, A::Error> {
        Err(quote("a list"))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<InlineSecret, A::Error> {
        Err(quote("a mapping"))
    }
});

fn quote<E: de::Error>(found: &str) -> E {
    E::custom(format!(
        "expected a string, found {found} (quote the value so YAML keeps it as written)"
    ))
}

impl<'de> Deserialize<'de> for InlineSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SecretVisitor)
    }
}

/// A file path as written; relative ones are resolved against the config file's directory
/// by the loader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FilePath(pub(crate) PathBuf);

impl<'de> Deserialize<'de> for FilePath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let NonEmpty(s) = NonEmpty::deserialize(d)?;
        Ok(FilePath(PathBuf::from(s)))
    }
}

/// An integer in `MIN..=MAX`; a string (e.g. from `${VAR}`) is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Int<const MIN: i128, const MAX: i128>(pub(crate) i128);

struct IntVisitor<const MIN: i128, const MAX: i128>;

impl<'de, const MIN: i128, const MAX: i128> Visitor<'de> for IntVisitor<MIN, MAX> {
    type Value = Int<MIN, MAX>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        self.visit_i128(i128::from(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        self.visit_i128(i128::from(v))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Self::Value, E> {
        if (MIN..=MAX).contains(&v) {
            return Ok(Int(v));
        }
        let range = if MAX == i128::from(u32::MAX) || MAX == i128::from(u64::MAX) {
            format!("at least {MIN}")
        } else {
            format!("between {MIN} and {MAX}")
        };
        Err(E::custom(format!("must be {range}, got {v}")))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
        match s.trim().parse::<i128>() {
            Ok(v) => self.visit_i128(v),
            Err(_) => Err(E::custom(format!("expected an integer, found '{s}'"))),
        }
    }
}

impl<'de, const MIN: i128, const MAX: i128> Deserialize<'de> for Int<MIN, MAX> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

/// A non-negative `u32` count (`retries`, `shard.index`).
pub(crate) type U32From<const MIN: i128> = Int<MIN, { u32::MAX as i128 }>;

impl<const MIN: i128, const MAX: i128> Int<MIN, MAX> {
    /// The value as a `u32` (within range by construction for `u32` bounds).
    pub(crate) fn u32(self) -> u32 {
        u32::try_from(self.0).unwrap_or(u32::MAX)
    }

    /// The value as a `u64`.
    pub(crate) fn u64(self) -> u64 {
        u64::try_from(self.0).unwrap_or(u64::MAX)
    }
}

/// A finite number; a string (e.g. from `${VAR}`) is parsed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Number(pub(crate) f64);

value_visitor!(NumberVisitor, Number, "a number", {
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
        self.visit_f64(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
        self.visit_f64(v as f64)
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Number, E> {
        self.visit_f64(v as f64)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
        if v.is_finite() {
            Ok(Number(v))
        } else {
            Err(E::custom("must be a finite number"))
        }
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Number, E> {
        match s.trim().parse::<f64>() {
            Ok(v) => self.visit_f64(v),
            Err(_) => Err(E::custom(format!("expected a number, found '{s}'"))),
        }
    }
});

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

/// `true` or `false`; the strings `true` / `false` (e.g. from `${VAR}`) too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub(crate) bool);

value_visitor!(FlagVisitor, Flag, "true or false", {
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(v))
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Flag, E> {
        match s.trim() {
            "true" => Ok(Flag(true)),
            "false" => Ok(Flag(false)),
            other => Err(E::custom(format!(
                "expected true or false, found '{other}'"
            ))),
        }
    }
});

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

/// A positive duration such as `30s`, `5m`, `1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span(pub(crate) Duration);

value_visitor!(SpanVisitor, Span, "a duration such as 30s or 5m", {
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Span, E> {
        match parse_duration(s) {
            Ok(d) if d.is_zero() => Err(E::custom("must be greater than zero")),
            Ok(d) => Ok(Span(d)),
            Err(e) => Err(E::custom(e)),
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Span, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Span, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Span, E> {
        self.visit_str(&v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Span, E> {
        self.visit_str(&v.to_string())
    }
});

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SpanVisitor)
    }
}

/// A boolean or a mapping of keys `T` (`discover: true` or `discover: { interval: 1h }`);
/// `null` is the empty mapping.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum BoolOr<T> {
    /// `true` or `false`.
    Bool(bool),
    /// The keys.
    Map(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for BoolOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = BoolOr<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<BoolOr<T>, E> {
                Ok(BoolOr::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<BoolOr<T>, E> {
                let empty = de::value::MapDeserializer::<std::iter::Empty<((), ())>, E>::new(
                    std::iter::empty(),
                );
                T::deserialize(empty).map(BoolOr::Map)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<BoolOr<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(BoolOr::Map)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}
