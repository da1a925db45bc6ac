//! Value types that Thrift has and Rust's standard library lacks: [`Uuid`], and
//! [`OrderedF64`] for doubles used as set elements or map keys.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use crate::protocol::ProtocolError;
use crate::protocol::{ProtocolReader, ProtocolWriter, Thrift, WireType};

/// Thrift's `uuid`: 16 bytes, in wire order (big-endian, as RFC 4122 writes them).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    /// A UUID from its bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Uuid(bytes)
    }

    /// Parses the canonical form (`00112233-4455-6677-8899-aabbccddeeff`), with or without
    /// braces or dashes.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(text);
        let mut out = [0u8; 16];
        let mut nibbles = text.bytes().filter(|&b| b != b'-');
        for byte in &mut out {
            let hi = (nibbles.next()? as char).to_digit(16)?;
            let lo = (nibbles.next()? as char).to_digit(16)?;
            *byte = (hi * 16 + lo) as u8;
        }
        if nibbles.next().is_some() {
            return None;
        }
        Some(Uuid(out))
    }
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uuid({self})")
    }
}

impl Thrift for Uuid {
    const WIRE_TYPE: WireType = WireType::Uuid;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_uuid().map(Uuid)
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_uuid(&self.0)
    }
}

/// A `double` with a total order (IEEE 754 `totalOrder`, as [`f64::total_cmp`]), so that
/// `set<double>` and `map<double, V>` can be a `BTreeSet` and a `BTreeMap`. Equality is
/// by bits: `-0.0` and `0.0` are different elements, and a NaN equals itself.
#[derive(Clone, Copy, Default)]
pub struct OrderedF64(pub f64);

impl PartialEq for OrderedF64 {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Hash for OrderedF64 {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl fmt::Debug for OrderedF64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<f64> for OrderedF64 {
    fn from(v: f64) -> Self {
        OrderedF64(v)
    }
}

impl From<OrderedF64> for f64 {
    fn from(v: OrderedF64) -> Self {
        v.0
    }
}

impl Thrift for OrderedF64 {
    const WIRE_TYPE: WireType = WireType::Double;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_double().map(OrderedF64)
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_double(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_text_forms() {
        let u = Uuid::parse("{00112233-4455-6677-8899-aabbccddeeff}").unwrap();
        assert_eq!(u.to_string(), "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(Uuid::parse("00112233445566778899AABBCCDDEEFF"), Some(u));
        assert_eq!(Uuid::parse("0011223344556677"), None);
        assert_eq!(Uuid::parse("00112233-4455-6677-8899-aabbccddeeff00"), None);
        assert_eq!(Uuid::parse("g0112233-4455-6677-8899-aabbccddeeff"), None);
    }

    #[test]
    fn doubles_order_totally() {
        let mut v = [
            OrderedF64(1.0),
            OrderedF64(f64::NAN),
            OrderedF64(-0.0),
            OrderedF64(0.0),
            OrderedF64(f64::NEG_INFINITY),
        ];
        v.sort();
        let bits: Vec<u64> = v.iter().map(|d| d.0.to_bits()).collect();
        assert_eq!(
            bits,
            [
                f64::NEG_INFINITY.to_bits(),
                (-0.0f64).to_bits(),
                0.0f64.to_bits(),
                1.0f64.to_bits(),
                f64::NAN.to_bits()
            ]
        );
        assert_ne!(OrderedF64(0.0), OrderedF64(-0.0));
    }
}
