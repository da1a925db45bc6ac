//! [`ByteStr`]: a UTF-8 string that shares the buffer it was read from.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use bytestring::ByteString;

/// An immutable UTF-8 string backed by [`Bytes`].
///
/// Method names and other strings read from a message point into the received buffer
/// instead of being copied, and a `&'static str` becomes one without allocating, so
/// cloning a message header costs a reference count. UTF-8 is checked once, when the
/// string is made; reading it as a `&str` is free. (The storage is the `bytestring`
/// crate's, whose one `unsafe` step, skipping that second check, is its to keep sound.)
/// It hashes and compares like the `str` it holds, so a map keyed by `ByteStr` can be
/// looked up with a `&str`.
///
/// Generated code uses it for every IDL `string` when thrift-codegen's `shared_strings`
/// option is on. Read from the binary or compact protocol, such a string costs a reference
/// count on the message's buffer instead of an allocation and a copy; while any string of
/// a message lives, so does that message's buffer.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteStr(ByteString);

impl ByteStr {
    /// An empty string.
    pub const fn new() -> Self {
        ByteStr(ByteString::new())
    }

    /// A string from a `&'static str`, without allocating.
    pub const fn from_static(s: &'static str) -> Self {
        ByteStr(ByteString::from_static(s))
    }

    /// A string from bytes that are valid UTF-8; `Err` gives the bytes back otherwise.
    pub fn from_utf8(bytes: Bytes) -> Result<Self, Bytes> {
        // A clone of `Bytes` is a reference count, kept to give the bytes back on error.
        ByteString::try_from(bytes.clone())
            .map(ByteStr)
            .map_err(|_| bytes)
    }

    /// The string from byte `start` on, sharing the storage (no copy, no new UTF-8
    /// check). `start` past the end or inside a character gives an empty string.
    pub fn slice_from(&self, start: usize) -> Self {
        match self.0.get(start..) {
            Some(rest) => ByteStr(self.0.slice_ref(rest)),
            None => ByteStr::new(),
        }
    }

    /// The string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The underlying bytes.
    pub fn as_bytes(&self) -> &Bytes {
        self.0.as_bytes()
    }

    /// Consumes the string, returning its bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0.into_bytes()
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

impl TryFrom<Bytes> for ByteStr {
    type Error = std::str::Utf8Error;

    /// As [`ByteStr::from_utf8`], but the bytes are dropped on error, which saves the
    /// reference count `from_utf8` takes to give them back: what decoders use.
    fn try_from(bytes: Bytes) -> Result<Self, Self::Error> {
        ByteString::try_from(bytes).map(ByteStr)
    }
}

impl From<String> for ByteStr {
    fn from(s: String) -> Self {
        ByteStr(ByteString::from(s))
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
        assert!(ByteStr::try_from(bad).is_err());
        assert_eq!(ByteStr::try_from(Bytes::from_static(b"ok")).unwrap(), "ok");
        let name = ByteStr::from_static("ThriftTest:testI32");
        assert_eq!(name.slice_from(11), "testI32");
        assert_eq!(name.slice_from(99), "");
        let s = ByteStr::from(String::from("h\u{e9}"));
        assert_eq!(s.slice_from(2), "");
        assert_eq!(s.as_str(), "h\u{e9}");
        assert_eq!(s.as_bytes().as_ref(), "h\u{e9}".as_bytes());
    }
}
