//! [`ByteStr`]: a UTF-8 string that shares the buffer it was read from.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use arrayvec::ArrayString;
use bytes::Bytes;
use bytestring::ByteString;

/// An immutable UTF-8 string that shares the buffer it was read from, or holds a short
/// string inline.
///
/// A string read from a binary or compact message is either copied inline, when it has at
/// most [`ByteStr::INLINE`] bytes (no allocation, and no reference to the message), or a
/// reference-counted slice of the received buffer (no allocation, no copy). A `&'static
/// str` becomes one without allocating. UTF-8 is checked once, when the string is made;
/// reading it as a `&str` is free. (The storage is the `arrayvec` and `bytestring` crates',
/// whose `unsafe` step, skipping that second check, is theirs to keep sound.) It hashes
/// and compares like the `str` it holds, so a map keyed by `ByteStr` can be looked up
/// with a `&str`.
///
/// Method names are `ByteStr`s, and generated code uses it for every IDL `string` when
/// thrift-codegen's `shared_strings` option is on: then a short string costs a copy of a
/// few bytes instead of an allocation, and a long one a reference count instead of an
/// allocation and a copy. While a long string of a message lives, so does that message's
/// buffer.
#[derive(Clone)]
pub struct ByteStr(Repr);

#[derive(Clone)]
enum Repr {
    Inline(ArrayString<{ ByteStr::INLINE }>),
    Shared(ByteString),
}

impl Default for ByteStr {
    fn default() -> Self {
        ByteStr::new()
    }
}

impl ByteStr {
    /// The longest string kept inline rather than as a slice of a shared buffer. Copying
    /// that many bytes costs less than the atomic reference count a slice takes and gives
    /// back.
    pub const INLINE: usize = 30;

    /// An empty string.
    pub const fn new() -> Self {
        ByteStr(Repr::Inline(ArrayString::new_const()))
    }

    /// A string from a `&'static str`, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        ByteStr(Repr::Shared(ByteString::from_static(s)))
    }

    /// A string from bytes that are valid UTF-8; `Err` gives the bytes back otherwise.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Bytes> {
        if bytes.len() <= Self::INLINE {
            return Self::utf8_inline(&bytes).ok_or(bytes);
        }
        // A clone of `Bytes` is a reference count, kept to give the bytes back on error.
        ByteString::try_from(bytes.clone())
            .map(|s| ByteStr(Repr::Shared(s)))
            .map_err(|_| bytes)
    }

    /// `bytes` as a string, or `None` if they are not UTF-8: short ones copied inline,
    /// others shared. What decoders use (the bytes are dropped on error).
    pub(crate) fn utf8_bytes(bytes: Bytes) -> Option<Self> {
        if bytes.len() <= Self::INLINE {
            return Self::utf8_inline(&bytes);
        }
        ByteString::try_from(bytes)
            .ok()
            .map(|s| ByteStr(Repr::Shared(s)))
    }

    /// A string of at most [`ByteStr::INLINE`] bytes, copied from `bytes`, or `None` if
    /// they are not UTF-8 (or too long). No allocation.
    #[inline]
    pub(crate) fn utf8_inline(bytes: &[u8]) -> Option<Self> {
        let s = simdutf8::basic::from_utf8(bytes).ok()?;
        ArrayString::from(s).ok().map(|s| ByteStr(Repr::Inline(s)))
    }

    /// The string from byte `start` on, sharing the storage of a long string (no copy, no
    /// new UTF-8 check). `start` past the end or inside a character gives an empty string.
    pub fn slice_from(&self, start: usize) -> Self {
        let Some(rest) = self.as_str().get(start..) else {
            return ByteStr::new();
        };
        match &self.0 {
            Repr::Shared(s) if rest.len() > Self::INLINE => {
                ByteStr(Repr::Shared(s.slice_ref(rest)))
            }
            _ => Self::copied(rest),
        }
    }

    /// `s` copied: inline when it fits.
    fn copied(s: &str) -> Self {
        match ArrayString::from(s) {
            Ok(inline) => ByteStr(Repr::Inline(inline)),
            Err(_) => ByteStr(Repr::Shared(ByteString::from(s.to_owned()))),
        }
    }

    /// The string.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(s) => s.as_str(),
            Repr::Shared(s) => s,
        }
    }

    /// Consumes the string, returning its bytes (a copy for an inline string).
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline(s) => Bytes::copy_from_slice(s.as_bytes()),
            Repr::Shared(s) => s.into_bytes(),
        }
    }
}

impl PartialEq for ByteStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for ByteStr {}

impl PartialOrd for ByteStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByteStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

/// As `str` hashes, which `Borrow<str>` requires.
impl std::hash::Hash for ByteStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl Deref for ByteStr {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for ByteStr {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for ByteStr {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> Self {
        match ArrayString::from(&s) {
            Ok(inline) => ByteStr(Repr::Inline(inline)),
            Err(_) => ByteStr(Repr::Shared(ByteString::from(s))),
        }
    }
}

impl From<&'static str> for ByteStr {
    fn from(s: &'static str) -> Self {
        ByteStr::from_static(s)
    }
}

impl PartialEq<str> for ByteStr {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ByteStr {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for ByteStr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn looks_up_by_str_and_checks_utf8_once() {
        let mut map = HashMap::new();
        map.insert(
            ByteStr::from_utf8(Bytes::from_static(b"testI32")).unwrap(),
            1,
        );
        map.insert(ByteStr::from_static("testVoid"), 2);
        assert_eq!(map.get("testI32"), Some(&1));
        assert_eq!(map.get("testVoid"), Some(&2));
        let bad = Bytes::from_static(b"\xc3\x28");
        assert_eq!(ByteStr::from_utf8(bad.clone()), Err(bad.clone()));
        assert_eq!(ByteStr::utf8_bytes(bad.clone()), None);
        assert_eq!(ByteStr::utf8_inline(&bad), None);
        assert_eq!(
            ByteStr::utf8_bytes(Bytes::from_static(b"ok")).unwrap(),
            "ok"
        );
        let name = ByteStr::from_static("ThriftTest:testI32");
        assert_eq!(name.slice_from(11), "testI32");
        assert_eq!(name.slice_from(99), "");
        let s = ByteStr::from(String::from("h\u{e9}"));
        assert_eq!(s.slice_from(2), "");
        assert_eq!(s.as_str(), "h\u{e9}");
        assert_eq!(s.as_bytes(), "h\u{e9}".as_bytes());
    }

    /// Up to `INLINE` bytes are copied and keep nothing of the message; longer strings
    /// are slices of it.
    #[test]
    fn short_strings_are_copied_and_long_ones_shared() {
        let message = Bytes::from("x".repeat(ByteStr::INLINE + 2));
        let inside = |s: &ByteStr| message.as_ptr_range().contains(&s.as_ptr());
        let long = ByteStr::utf8_bytes(message.clone()).unwrap();
        assert!(inside(&long));
        assert_eq!(long.len(), ByteStr::INLINE + 2);
        let short = ByteStr::utf8_bytes(message.slice(..ByteStr::INLINE)).unwrap();
        assert!(!inside(&short));
        assert_eq!(short, "x".repeat(ByteStr::INLINE).as_str());
        assert_eq!(ByteStr::utf8_inline(&message), None, "too long to inline");
        let from_utf8 = ByteStr::from_utf8(message.clone()).unwrap();
        assert!(inside(&from_utf8));
        // A long slice of a long string shares it too; a short one is copied.
        assert!(inside(&long.slice_from(1)));
        assert!(!inside(&long.slice_from(2)));
        assert_eq!(long.slice_from(2).len(), ByteStr::INLINE);
        assert_eq!(long.clone().into_bytes(), message);
        assert_eq!(ByteStr::new(), "");
        assert_eq!(ByteStr::default(), ByteStr::from_static(""));
        assert!(ByteStr::from_static("a") < ByteStr::from(String::from("b")));
    }
}
