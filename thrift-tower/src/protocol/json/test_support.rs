//! What the JSON protocol's tests share: [`V`], a Thrift value of any shape that is written
//! and read back along the same calls, a [`sample`] of every type, and assertions on the
//! bytes written and the errors read.

use bytes::Bytes;

use super::reader::JsonReader;
use super::writer::JsonWriter;
use crate::protocol::error::{ProtocolError, ProtocolErrorKind};
use crate::protocol::limits::Limits;
use crate::protocol::traits::{ProtocolReader, ProtocolWriter};
use crate::protocol::wire::WireType;

/// A Thrift value of any shape, to write and to read back along the same calls.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum V {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    Dbl(f64),
    Str(String),
    Bin(Vec<u8>),
    Uuid([u8; 16]),
    Struct(Vec<(i16, V)>),
    List(WireType, Vec<V>),
    Set(WireType, Vec<V>),
    Map(WireType, WireType, Vec<(V, V)>),
}

impl V {
    pub(super) fn wire_type(&self) -> WireType {
        match self {
            V::Bool(_) => WireType::Bool,
            V::I8(_) => WireType::I8,
            V::I16(_) => WireType::I16,
            V::I32(_) => WireType::I32,
            V::I64(_) => WireType::I64,
            V::Dbl(_) => WireType::Double,
            V::Str(_) | V::Bin(_) => WireType::String,
            V::Uuid(_) => WireType::Uuid,
            V::Struct(_) => WireType::Struct,
            V::List(..) => WireType::List,
            V::Set(..) => WireType::Set,
            V::Map(..) => WireType::Map,
        }
    }

    pub(super) fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        match self {
            V::Bool(v) => w.write_bool(*v),
            V::I8(v) => w.write_i8(*v),
            V::I16(v) => w.write_i16(*v),
            V::I32(v) => w.write_i32(*v),
            V::I64(v) => w.write_i64(*v),
            V::Dbl(v) => w.write_double(*v),
            V::Str(v) => w.write_string(v),
            V::Bin(v) => w.write_binary(v),
            V::Uuid(v) => w.write_uuid(v),
            V::Struct(fields) => {
                w.write_struct_begin("S")?;
                for (id, v) in fields {
                    w.write_field_begin("f", v.wire_type(), *id)?;
                    v.write(w)?;
                    w.write_field_end()?;
                }
                w.write_field_stop()?;
                w.write_struct_end()
            }
            V::List(t, items) | V::Set(t, items) => {
                let list = matches!(self, V::List(..));
                match list {
                    true => w.write_list_begin(*t, items.len())?,
                    false => w.write_set_begin(*t, items.len())?,
                }
                for v in items {
                    v.write(w)?;
                }
                match list {
                    true => w.write_list_end(),
                    false => w.write_set_end(),
                }
            }
            V::Map(k, v, entries) => {
                w.write_map_begin(*k, *v, entries.len())?;
                for (key, value) in entries {
                    key.write(w)?;
                    value.write(w)?;
                }
                w.write_map_end()
            }
        }
    }

    /// Reads a value of the same shape as `self` (which may then differ in content).
    pub(super) fn read_like<R: ProtocolReader>(&self, r: &mut R) -> Result<V, ProtocolError> {
        let shape = |what: &str| ProtocolError::invalid(format!("shape differs: {what}"));
        Ok(match self {
            V::Bool(_) => V::Bool(r.read_bool()?),
            V::I8(_) => V::I8(r.read_i8()?),
            V::I16(_) => V::I16(r.read_i16()?),
            V::I32(_) => V::I32(r.read_i32()?),
            V::I64(_) => V::I64(r.read_i64()?),
            V::Dbl(_) => V::Dbl(r.read_double()?),
            V::Str(_) => V::Str(r.read_string()?),
            V::Bin(_) => V::Bin(r.read_binary()?.to_vec()),
            V::Uuid(_) => V::Uuid(r.read_uuid()?),
            V::Struct(fields) => {
                r.read_struct_begin()?;
                let mut out = Vec::new();
                for (id, v) in fields {
                    let h = r.read_field_begin()?;
                    if h.id != *id || h.wire_type != v.wire_type() {
                        return Err(shape("field"));
                    }
                    out.push((*id, v.read_like(r)?));
                    r.read_field_end()?;
                }
                if r.read_field_begin()?.wire_type != WireType::Stop {
                    return Err(shape("stop"));
                }
                r.read_struct_end()?;
                V::Struct(out)
            }
            V::List(t, items) | V::Set(t, items) => {
                let list = matches!(self, V::List(..));
                let h = match list {
                    true => r.read_list_begin()?,
                    false => r.read_set_begin()?,
                };
                if h.element != *t || h.len != items.len() {
                    return Err(shape("list header"));
                }
                let items = items
                    .iter()
                    .map(|v| v.read_like(r))
                    .collect::<Result<Vec<_>, _>>()?;
                match list {
                    true => r.read_list_end()?,
                    false => r.read_set_end()?,
                }
                match list {
                    true => V::List(*t, items),
                    false => V::Set(*t, items),
                }
            }
            V::Map(k, v, entries) => {
                let h = r.read_map_begin()?;
                if h.key != *k || h.value != *v || h.len != entries.len() {
                    return Err(shape("map header"));
                }
                let mut out = Vec::new();
                for (key, value) in entries {
                    out.push((key.read_like(r)?, value.read_like(r)?));
                }
                r.read_map_end()?;
                V::Map(*k, *v, out)
            }
        })
    }
}

pub(super) fn json(v: &V) -> Vec<u8> {
    let mut buf = Vec::new();
    v.write(&mut JsonWriter::new(&mut buf)).unwrap();
    buf
}

pub(super) fn reader(bytes: &[u8]) -> JsonReader {
    JsonReader::new(Bytes::copy_from_slice(bytes), Limits::default())
}

/// Reads `bytes` along the shape of `v`, then checks nothing is left.
pub(super) fn read(v: &V, bytes: &[u8]) -> Result<V, ProtocolError> {
    let mut r = reader(bytes);
    let out = v.read_like(&mut r)?;
    assert_eq!(r.remaining(), 0, "bytes left after {}", show(bytes));
    Ok(out)
}

pub(super) fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Writes `v`, checks the bytes, reads them back and checks the value.
#[track_caller]
pub(super) fn assert_bytes(v: &V, expected: &[u8]) {
    let bytes = json(v);
    assert_eq!(show(&bytes), show(expected));
    assert_eq!(bytes, expected);
    assert_eq!(read(v, &bytes).unwrap(), *v);
}

#[track_caller]
pub(super) fn assert_err(
    result: Result<impl std::fmt::Debug, ProtocolError>,
    kind: ProtocolErrorKind,
) {
    let err = result.unwrap_err();
    assert_eq!(err.kind(), kind, "{err}");
}

/// A message exercising every type, nesting, escapes and every kind of map key.
pub(super) fn sample() -> V {
    V::Struct(vec![
        (1, V::Bool(true)),
        (2, V::I8(-128)),
        (3, V::I16(-300)),
        (-4, V::I32(i32::MAX)),
        (5, V::I64(i64::MIN)),
        (6, V::Dbl(-1.25e-7)),
        (7, V::Str("h\u{e9}\"\\\n\u{1}\u{1f600}".into())),
        (8, V::Bin(vec![0, 1, 254, 255])),
        (
            9,
            V::Uuid(*b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff"),
        ),
        (
            10,
            V::List(
                WireType::Map,
                vec![V::Map(
                    WireType::Double,
                    WireType::Set,
                    vec![(
                        V::Dbl(2.5),
                        V::Set(WireType::String, vec![V::Str("a".into())]),
                    )],
                )],
            ),
        ),
        (
            11,
            V::Map(
                WireType::Struct,
                WireType::I64,
                vec![(V::Struct(vec![(1, V::I32(7))]), V::I64(8))],
            ),
        ),
        (
            12,
            V::Map(
                WireType::Bool,
                WireType::Uuid,
                vec![(V::Bool(false), V::Uuid([0xab; 16]))],
            ),
        ),
        (13, V::Struct(vec![])),
    ])
}
