//! [`Headers`]: the key/value headers some transports carry beside a message (THeader's
//! info headers, HTTP headers).

use std::fmt;

use crate::bytestr::ByteStr;

/// A message's transport headers: string keys and values, in the order they were added.
///
/// Keys are compared exactly, as THeader compares them (an HTTP transport lowercases the
/// names it reads). Empty until a transport or a layer adds one, and then a small list: no
/// allocation while unused, and a lookup is a scan of a few entries, which is faster than
/// hashing for the handful of headers a call carries. Keys and values read from a message
/// share its received buffer.
///
/// ```
/// use thrift_tower::message::Headers;
///
/// let mut headers = Headers::new();
/// headers.insert("client-id", "billing");
/// headers.insert("client-id", "ledger");
/// assert_eq!(headers.get("client-id"), Some("ledger"));
/// assert_eq!(headers.len(), 1);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers {
    entries: Vec<(ByteStr, ByteStr)>,
}

impl Headers {
    /// No headers.
    pub const fn new() -> Self {
        Headers {
            entries: Vec::new(),
        }
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.as_str() == key)
            .map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`, returning the value it replaces.
    pub fn insert(
        &mut self,
        key: impl Into<ByteStr>,
        value: impl Into<ByteStr>,
    ) -> Option<ByteStr> {
        let key = key.into();
        let value = value.into();
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => Some(std::mem::replace(old, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Adds `key` with `value`, keeping any value `key` has already (as an HTTP header may
    /// appear twice); [`get`](Self::get) gives the first.
    pub fn append(&mut self, key: impl Into<ByteStr>, value: impl Into<ByteStr>) {
        self.entries.push((key.into(), value.into()));
    }

    /// Removes `key` (its first value, if it has several), returning its value.
    pub fn remove(&mut self, key: &str) -> Option<ByteStr> {
        let at = self.entries.iter().position(|(k, _)| k.as_str() == key)?;
        Some(self.entries.remove(at).1)
    }

    /// The headers, in the order they were added.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<K: Into<ByteStr>, V: Into<ByteStr>> FromIterator<(K, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut headers = Headers::new();
        for (k, v) in iter {
            headers.insert(k, v);
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_replaces_remove_takes_and_order_is_kept() {
        let mut h: Headers = [("b", "1"), ("a", "2")].into_iter().collect();
        assert_eq!(h.insert("b", "3").as_deref(), Some("1"));
        assert_eq!(h.iter().collect::<Vec<_>>(), [("b", "3"), ("a", "2")]);
        assert_eq!(h.get("B"), None, "keys are compared exactly");
        assert_eq!(h.remove("b").as_deref(), Some("3"));
        assert_eq!(h.remove("b"), None);
        assert_eq!(format!("{h:?}"), r#"{"a": "2"}"#);
        h.append("a", "3");
        assert_eq!(h.get("a"), Some("2"));
        assert_eq!(h.len(), 2);
        assert_eq!(h.remove("a").as_deref(), Some("2"));
        assert_eq!(h.get("a"), Some("3"));
        assert_eq!(Headers::new().len(), 0);
    }
}
