//! [`Thrift`] for the base types and the standard containers, so generated code and users
//! can read and write `Vec<T>`, `HashMap<K, V>`, `BTreeSet<T>`... with one call.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::{BuildHasher, Hash};

use bytes::Bytes;

use super::error::ProtocolError;
use super::traits::{ProtocolReader, ProtocolWriter, Thrift};
use super::wire::WireType;
use crate::bytestr::ByteStr;

/// Most elements reserved up front from a declared size. The size was already checked
/// against the bytes that remain, but a small encoded element can decode to a large value,
/// so beyond this the container grows as elements actually arrive.
const MAX_PREALLOC_BYTES: usize = 64 * 1024;

#[inline]
fn prealloc<T>(len: usize) -> usize {
    len.min(MAX_PREALLOC_BYTES / size_of::<T>().max(1))
}

#[cold]
fn element_mismatch(what: &str, expected: WireType, found: WireType) -> ProtocolError {
    ProtocolError::invalid(format!(
        "{what} of {found} elements where {expected} elements were expected"
    ))
}

#[inline]
fn check_element(
    what: &str,
    len: usize,
    expected: WireType,
    found: WireType,
) -> Result<(), ProtocolError> {
    if len != 0 && expected != found {
        return Err(element_mismatch(what, expected, found));
    }
    Ok(())
}

macro_rules! base_type {
    ($ty:ty, $wire:ident, $read:ident, $write:ident) => {
        impl Thrift for $ty {
            const WIRE_TYPE: WireType = WireType::$wire;
            #[inline]
            fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
                r.$read()
            }
            #[inline]
            fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
                w.$write(*self)
            }
        }
    };
}

base_type!(bool, Bool, read_bool, write_bool);
base_type!(i8, I8, read_i8, write_i8);
base_type!(i16, I16, read_i16, write_i16);
base_type!(i32, I32, read_i32, write_i32);
base_type!(i64, I64, read_i64, write_i64);
base_type!(f64, Double, read_double, write_double);

impl Thrift for String {
    const WIRE_TYPE: WireType = WireType::String;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_string()
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_string(self)
    }
}

impl Thrift for ByteStr {
    const WIRE_TYPE: WireType = WireType::String;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_byte_str()
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_string(self)
    }
}

/// `binary`.
impl Thrift for Bytes {
    const WIRE_TYPE: WireType = WireType::String;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_binary()
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_binary(self)
    }
}

impl<T: Thrift> Thrift for Box<T> {
    const WIRE_TYPE: WireType = T::WIRE_TYPE;
    #[inline]
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        T::read(r).map(Box::new)
    }
    #[inline]
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        (**self).write(w)
    }
}

/// `list<T>`.
impl<T: Thrift> Thrift for Vec<T> {
    const WIRE_TYPE: WireType = WireType::List;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let h = r.read_list_begin()?;
        check_element("list", h.len, T::WIRE_TYPE, h.element)?;
        let mut out = Vec::with_capacity(prealloc::<T>(h.len));
        for _ in 0..h.len {
            out.push(T::read(r)?);
        }
        r.read_list_end()?;
        Ok(out)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_list_begin(T::WIRE_TYPE, self.len())?;
        for v in self {
            v.write(w)?;
        }
        w.write_list_end()
    }
}

/// `set<T>`.
impl<T: Thrift + Eq + Hash, S: BuildHasher + Default> Thrift for HashSet<T, S> {
    const WIRE_TYPE: WireType = WireType::Set;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let h = r.read_set_begin()?;
        check_element("set", h.len, T::WIRE_TYPE, h.element)?;
        let mut out = HashSet::with_capacity_and_hasher(prealloc::<T>(h.len), S::default());
        for _ in 0..h.len {
            out.insert(T::read(r)?);
        }
        r.read_set_end()?;
        Ok(out)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_set_begin(T::WIRE_TYPE, self.len())?;
        for v in self {
            v.write(w)?;
        }
        w.write_set_end()
    }
}

/// `set<T>`, kept in order.
impl<T: Thrift + Ord> Thrift for BTreeSet<T> {
    const WIRE_TYPE: WireType = WireType::Set;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let h = r.read_set_begin()?;
        check_element("set", h.len, T::WIRE_TYPE, h.element)?;
        let mut out = BTreeSet::new();
        for _ in 0..h.len {
            out.insert(T::read(r)?);
        }
        r.read_set_end()?;
        Ok(out)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_set_begin(T::WIRE_TYPE, self.len())?;
        for v in self {
            v.write(w)?;
        }
        w.write_set_end()
    }
}

/// `map<K, V>`.
impl<K: Thrift + Eq + Hash, V: Thrift, S: BuildHasher + Default> Thrift for HashMap<K, V, S> {
    const WIRE_TYPE: WireType = WireType::Map;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let h = r.read_map_begin()?;
        check_element("map", h.len, K::WIRE_TYPE, h.key)?;
        check_element("map", h.len, V::WIRE_TYPE, h.value)?;
        let mut out = HashMap::with_capacity_and_hasher(prealloc::<(K, V)>(h.len), S::default());
        for _ in 0..h.len {
            let k = K::read(r)?;
            let v = V::read(r)?;
            out.insert(k, v);
        }
        r.read_map_end()?;
        Ok(out)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_map_begin(K::WIRE_TYPE, V::WIRE_TYPE, self.len())?;
        for (k, v) in self {
            k.write(w)?;
            v.write(w)?;
        }
        w.write_map_end()
    }
}

/// `map<K, V>`, kept in key order.
impl<K: Thrift + Ord, V: Thrift> Thrift for BTreeMap<K, V> {
    const WIRE_TYPE: WireType = WireType::Map;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let h = r.read_map_begin()?;
        check_element("map", h.len, K::WIRE_TYPE, h.key)?;
        check_element("map", h.len, V::WIRE_TYPE, h.value)?;
        let mut out = BTreeMap::new();
        for _ in 0..h.len {
            let k = K::read(r)?;
            let v = V::read(r)?;
            out.insert(k, v);
        }
        r.read_map_end()?;
        Ok(out)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_map_begin(K::WIRE_TYPE, V::WIRE_TYPE, self.len())?;
        for (k, v) in self {
            k.write(w)?;
            v.write(w)?;
        }
        w.write_map_end()
    }
}
