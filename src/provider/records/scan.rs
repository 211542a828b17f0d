//! A page's records found by their bounds alone, for the memo's path of
//! [`super::decode_page`].
//!
//! `serde_json` finds where a raw record ends by reading it token by token, about ten
//! instructions a byte; a record the memo knows needs nothing but those bounds. This scan
//! knows only as much JSON as bounds take: strings (with their escapes) and brackets. It
//! proves nothing about validity, and its caller does not need it to: every byte it hands on
//! is read by `serde_json` after all, except the records the memo knows, whose exact text
//! `serde_json` read in full before. Whatever it cannot follow (a body that is not an
//! object, a list that is not an array, a stray byte between values) it gives up on, and
//! the page is read by `serde_json` alone.

/// A body split around its task list.
#[derive(Debug, PartialEq)]
pub(super) struct Split<'a> {
    /// The body with the list's value replaced by `[]`: the envelope, for `serde_json`;
    /// `None` when it is not UTF-8.
    pub(super) envelope: Option<String>,
    /// Each record's bytes, without the whitespace around them (as `RawValue::get` gives
    /// them); not checked to be UTF-8.
    pub(super) records: Vec<&'a [u8]>,
}

/// Splits `body`, a JSON object, around the value of its member `list` (the first one of
/// that name; an absent list is empty). `None` when the body cannot be followed.
///
/// `guess` is offered the body from each record's start, in page order, and may answer a
/// length for the record: taken when it [`fits`] there, without reading the record. Such a
/// guess is only a guess: the caller keeps a record whose bounds it guessed only when the
/// memo knows its text, or when [`end`] confirms them.
pub(super) fn split<'a>(
    body: &'a [u8],
    list: &str,
    mut guess: impl FnMut(&'a [u8]) -> Option<usize>,
) -> Option<Split<'a>> {
    let mut c = Cursor { text: body, at: 0 };
    c.expect(b'{')?;
    let mut found = None;
    if c.peek()? == b'}' {
        c.at += 1;
    } else {
        loop {
            if c.peek()? != b'"' {
                return None;
            }
            let key = c.string()?;
            c.expect(b':')?;
            c.peek()?;
            let start = c.at;
            if found.is_none() && named(&body[key.0 + 1..key.1 - 1], list) {
                let records = c.list(body, &mut guess)?;
                found = Some((start, c.at, records));
            } else {
                c.value()?;
            }
            match c.peek()? {
                b',' => c.at += 1,
                b'}' => {
                    c.at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    if c.peek().is_some() {
        return None;
    }
    Some(match found {
        None => Split {
            envelope: String::from_utf8(body.to_vec()).ok(),
            records: Vec::new(),
        },
        Some((start, end, records)) => {
            let mut envelope = Vec::with_capacity(body.len() - (end - start) + 2);
            envelope.extend_from_slice(&body[..start]);
            envelope.extend_from_slice(b"[]");
            envelope.extend_from_slice(&body[end..]);
            Split {
                envelope: String::from_utf8(envelope).ok(),
                records,
            }
        }
    })
}

/// The length of the value that starts `rest`, as the scan reads it.
pub(super) fn end(rest: &[u8]) -> Option<usize> {
    read_one();
    let mut c = Cursor { text: rest, at: 0 };
    c.value()?;
    Some(c.at)
}

/// Whether a record of `len` bytes could start `rest` (the body from a record's start): an
/// object or array closed by its last byte and followed by the list's `,` or `]`. The
/// bytes within are not looked at: a text the memo knows is a complete JSON value, which
/// ends where a scan would end it; any other is checked with [`end`].
pub(super) fn fits(rest: &[u8], len: usize) -> bool {
    let closes = match rest.first() {
        Some(b'{') => b'}',
        Some(b'[') => b']',
        _ => return false,
    };
    len >= 2
        && rest.get(len - 1) == Some(&closes)
        && rest[len..]
            .iter()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .is_some_and(|b| matches!(b, b',' | b']'))
}

/// Whether a member's raw name (between its quotes) is `name`; one with escapes is
/// unescaped first, as `serde_json` would to match a field.
fn named(raw: &[u8], name: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == name.as_bytes();
    }
    std::str::from_utf8(raw)
        .ok()
        .and_then(|raw| serde_json::from_str::<String>(&format!("\"{raw}\"")).ok())
        .is_some_and(|n| n == name)
}

#[cfg(test)]
thread_local! {
    /// Records read byte by byte on this thread (a guessed one is not), for the tests.
    pub(super) static READ: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts a record read byte by byte, in the tests.
fn read_one() {
    #[cfg(test)]
    READ.with(|n| n.set(n.get() + 1));
}

/// The first `"` or `\\` at or after `from`. Eight bytes at a time: the strings of a task
/// record are short (ids, times, enum names), too short for `memchr`'s set-up to pay.
fn quote_or_backslash(text: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    const BACKSLASHES: u64 = u64::from_ne_bytes([b'\\'; 8]);
    // The high bit of each zero byte of `v` (and perhaps of bytes after the first zero one).
    let zeros = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
    let mut i = from;
    while let Some(word) = text.get(i..i + 8) {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(word);
        let v = u64::from_le_bytes(bytes);
        let found = zeros(v ^ QUOTES) | zeros(v ^ BACKSLASHES);
        if found != 0 {
            // Little-endian: the lowest flagged byte is the first, and it is exact.
            return Some(i + found.trailing_zeros() as usize / 8);
        }
        i += 8;
    }
    let rest = text.get(i..)?;
    rest.iter()
        .position(|b| matches!(b, b'"' | b'\\'))
        .map(|p| i + p)
}

/// A position in the body.
struct Cursor<'a> {
    text: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    /// The next byte after whitespace, not taken.
    fn peek(&mut self) -> Option<u8> {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.text.get(self.at) {
            self.at += 1;
        }
        self.text.get(self.at).copied()
    }

    /// Takes `byte`, after whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// Past the string whose opening quote is the next byte; its bounds, quotes included.
    fn string(&mut self) -> Option<(usize, usize)> {
        let start = self.at;
        let mut i = start + 1;
        loop {
            i = quote_or_backslash(self.text, i)?;
            if self.text[i] == b'"' {
                self.at = i + 1;
                return Some((start, self.at));
            }
            // An escape: the byte after the backslash is not a quote that ends the string.
            i += 2;
        }
    }

    /// Past the value that starts at the next byte.
    fn value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => self.nested(),
            _ => {
                let start = self.at;
                while let Some(b) = self.text.get(self.at) {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.at += 1;
                }
                (self.at > start).then_some(())
            }
        }
    }

    /// Past the object or array that opens at the next byte: to its closing bracket, strings
    /// passed over whole.
    fn nested(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.text.get(self.at)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' => {
                    depth -= 1;
                    if depth == 0 {
                        self.at += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    /// The records of the list that starts at the next byte: an array, or `null` (empty).
    fn list<'b>(
        &mut self,
        body: &'b [u8],
        guess: &mut impl FnMut(&'b [u8]) -> Option<usize>,
    ) -> Option<Vec<&'b [u8]>> {
        match self.peek()? {
            b'n' if self.text[self.at..].starts_with(b"null") => {
                self.at += 4;
                Some(Vec::new())
            }
            b'[' => {
                self.at += 1;
                let mut out = Vec::new();
                if self.peek()? == b']' {
                    self.at += 1;
                    return Some(out);
                }
                loop {
                    self.peek()?;
                    let start = self.at;
                    let rest = body.get(start..)?;
                    match guess(rest) {
                        Some(len) if fits(rest, len) => self.at += len,
                        _ => {
                            read_one();
                            self.value()?;
                        }
                    }
                    out.push(body.get(start..self.at)?);
                    match self.peek()? {
                        b',' => self.at += 1,
                        b']' => {
                            self.at += 1;
                            return Some(out);
                        }
                        _ => return None,
                    }
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::value::RawValue;

    /// What `serde_json` makes of the same body: each record's text as `RawValue` gives it.
    fn by_serde(body: &str) -> Vec<&str> {
        #[derive(serde::Deserialize)]
        struct Page<'a> {
            #[serde(borrow, default)]
            tasks: Option<Vec<&'a RawValue>>,
        }
        let page: Page<'_> = serde_json::from_str(body).unwrap();
        page.tasks
            .unwrap_or_default()
            .iter()
            .map(|r| r.get())
            .collect()
    }

    /// On valid JSON the scan finds the records `serde_json` finds, byte for byte, and an
    /// envelope that reads as the body's with an empty list.
    #[test]
    fn finds_the_records_serde_finds() {
        let bodies = [
            r#"{"tasks":[{"id":"a"},{"id":"b"}],"next":"x"}"#,
            r#" { "next" : "t" , "tasks" : [ {"id":"a","s":"}]{[\"\\"} , "x\"]" , 12.5e3,-1 , true,null , [[],{}] ] } "#,
            "{\n\t\"tasks\":\r\n[\n{\"id\":\"\\u0022}\"}\n]\n}\n",
            r#"{"tasks":null,"count":3}"#,
            r#"{"tasks":[]}"#,
            r#"{"count":0}"#,
            r#"{}"#,
            r#"{"other":{"tasks":[1]},"tasks":[2,3]}"#,
            r#"{"t\u0061sks":[{"id":"é ✓ 𝄞"}],"tasks_":[9]}"#,
            r#"{"a":"\\","tasks":["\\\\",{"b":"\\\""}]}"#,
        ];
        for body in bodies {
            let split =
                split(body.as_bytes(), "tasks", |_| None).unwrap_or_else(|| panic!("{body}"));
            let want: Vec<&[u8]> = by_serde(body).into_iter().map(str::as_bytes).collect();
            assert_eq!(split.records, want, "{body}");
            let env: serde_json::Value = serde_json::from_str(&split.envelope.unwrap()).unwrap();
            let mut whole: serde_json::Value = serde_json::from_str(body).unwrap();
            if let Some(list) = whole.as_object_mut().unwrap().get_mut("tasks") {
                *list = serde_json::json!([]);
            }
            assert_eq!(env, whole, "{body}");
        }
    }

    proptest::proptest! {
        /// The word-at-a-time search finds what a byte-at-a-time one finds, from anywhere.
        #[test]
        fn finds_the_first_quote_or_backslash(
            text in proptest::collection::vec(
                proptest::sample::select(vec![b'a', b'"', b'\\', 0x00, 0x01, 0x21, 0x23, 0x5b, 0x5d, 0x80, 0xa2, 0xdc, 0xff]),
                0..40,
            ),
            from in 0usize..42,
        ) {
            let naive = text
                .get(from..)
                .and_then(|rest| rest.iter().position(|b| *b == b'"' || *b == b'\\'))
                .map(|p| from + p);
            proptest::prop_assert_eq!(quote_or_backslash(&text, from), naive);
        }
    }

    /// What it cannot follow it gives up on; nothing panics, whatever the bytes.
    #[test]
    fn gives_up_on_what_it_cannot_follow() {
        for body in [
            "",
            "[]",
            "{",
            r#"{"tasks":"x"}"#,
            r#"{"tasks":[1 2]}"#,
            r#"{"tasks":[{"id":"a"}"#,
            r#"{"tasks":[{"id":"a}]}"#,
            r#"{"tasks":[{"id":"a\"}]}"#,
            r#"{"tasks":[],}"#,
            r#"{"tasks":[]} x"#,
            r#"{"tasks":[],"count" 1}"#,
            r#"{tasks:[]}"#,
            r#"{"tasks":[,]}"#,
            r#"{"tasks":nul}"#,
            "{\"tasks\":[\"\\",
        ] {
            assert_eq!(split(body.as_bytes(), "tasks", |_| None), None, "{body:?}");
        }
        // Every prefix of a page, cut anywhere, even inside a character.
        let body = r#"{"tasks":[{"id":"a\"b","n":[1,{"x":"é"}]},"s"],"next":"t"}"#;
        for end in 0..body.len() {
            let cut = &body.as_bytes()[..end];
            assert_eq!(split(cut, "tasks", |_| None), None, "{end}");
        }
    }
}
