//! [`transcode`]: a value's bytes in one protocol re-encoded in another, field by field,
//! without the types it was made from.
//!
//! Only between the binary and the compact protocol: they carry the same things. The JSON
//! protocol writes a `binary` field as base64 and a `string` field as text, which look
//! alike in the other two (both are a length and bytes), so only the IDL can tell how to
//! write them: a value in or out of JSON is encoded from its type, never transcoded.

use bytes::{Bytes, BytesMut};

use super::binary::{BinaryReader, BinaryWriter};
use super::compact::{CompactReader, CompactWriter};
use super::error::ProtocolError;
use super::limits::Limits;
use super::traits::{ProtocolReader, ProtocolWriter};
use super::wire::{Protocol, WireType};

/// The struct `bytes` (no message header) encoded with `from`, re-encoded with `to`;
/// `bytes` themselves when the two are the same. Read within `limits`, as any decoding is.
///
/// ```
/// use thrift_tower::protocol::{self, Limits, Protocol};
///
/// # #[derive(Debug, PartialEq)] struct Pair(i32, String);
/// # impl protocol::Thrift for Pair {
/// #     const WIRE_TYPE: protocol::WireType = protocol::WireType::Struct;
/// #     fn read<R: protocol::ProtocolReader>(r: &mut R) -> Result<Self, thrift_tower::ProtocolError> {
/// #         let mut p = Pair(0, String::new());
/// #         r.read_struct_begin()?;
/// #         loop {
/// #             let f = r.read_field_begin()?;
/// #             match (f.id, f.wire_type) {
/// #                 (_, protocol::WireType::Stop) => break,
/// #                 (1, protocol::WireType::I32) => p.0 = r.read_i32()?,
/// #                 (2, protocol::WireType::String) => p.1 = r.read_string()?,
/// #                 (_, t) => r.skip(t)?,
/// #             }
/// #             r.read_field_end()?;
/// #         }
/// #         r.read_struct_end()?;
/// #         Ok(p)
/// #     }
/// #     fn write<W: protocol::ProtocolWriter>(&self, w: &mut W) -> Result<(), thrift_tower::ProtocolError> {
/// #         w.write_struct_begin("Pair")?;
/// #         w.write_field_begin("a", protocol::WireType::I32, 1)?;
/// #         w.write_i32(self.0)?;
/// #         w.write_field_end()?;
/// #         w.write_field_begin("b", protocol::WireType::String, 2)?;
/// #         w.write_string(&self.1)?;
/// #         w.write_field_end()?;
/// #         w.write_field_stop()?;
/// #         w.write_struct_end()
/// #     }
/// # }
/// let value = Pair(7, "seven".into());
/// let binary = protocol::encode(Protocol::Binary, &value)?;
/// let compact =
///     protocol::transcode(Protocol::Binary, Protocol::Compact, binary, Limits::default())?;
/// assert_eq!(compact, protocol::encode(Protocol::Compact, &value)?);
/// # Ok::<(), thrift_tower::ProtocolError>(())
/// ```
pub fn transcode(
    from: Protocol,
    to: Protocol,
    bytes: Bytes,
    limits: Limits,
) -> Result<Bytes, ProtocolError> {
    if from == to {
        return Ok(bytes);
    }
    // Compact is at most as long as binary for the same value, binary at most about twice
    // compact's length (a 1-byte field header becomes 3 bytes, a 1-byte varint 4 or 8).
    let mut out = BytesMut::with_capacity(2 * bytes.len() + 16);
    match (from, to) {
        (Protocol::Binary, Protocol::Compact) => copy(
            &mut BinaryReader::new(bytes, limits),
            &mut CompactWriter::new(&mut out),
            WireType::Struct,
        )?,
        (Protocol::Compact, Protocol::Binary) => copy(
            &mut CompactReader::new(bytes, limits),
            &mut BinaryWriter::new(&mut out),
            WireType::Struct,
        )?,
        _ => {
            return Err(ProtocolError::invalid(format!(
                "cannot re-encode {from} as {to} without the IDL's types (JSON tells strings \
                 from binary by them): encode the value with {to}"
            )));
        }
    }
    Ok(out.freeze())
}

/// Reads one value of `wire_type` from `r` and writes it to `w`. Nesting is bounded by the
/// reader's limits, which count every struct and container entered.
fn copy<R: ProtocolReader, W: ProtocolWriter>(
    r: &mut R,
    w: &mut W,
    wire_type: WireType,
) -> Result<(), ProtocolError> {
    match wire_type {
        WireType::Bool => w.write_bool(r.read_bool()?),
        WireType::I8 => w.write_i8(r.read_i8()?),
        WireType::I16 => w.write_i16(r.read_i16()?),
        WireType::I32 => w.write_i32(r.read_i32()?),
        WireType::I64 => w.write_i64(r.read_i64()?),
        WireType::Double => w.write_double(r.read_double()?),
        WireType::Uuid => w.write_uuid(&r.read_uuid()?),
        // A slice of the input: nothing is copied but into the output.
        WireType::String => w.write_binary(&r.read_binary()?),
        WireType::Struct => {
            r.read_struct_begin()?;
            // The struct's name is not on the wire of either protocol.
            w.write_struct_begin("")?;
            loop {
                let field = r.read_field_begin()?;
                if field.wire_type == WireType::Stop {
                    break;
                }
                w.write_field_begin("", field.wire_type, field.id)?;
                copy(r, w, field.wire_type)?;
                r.read_field_end()?;
                w.write_field_end()?;
            }
            r.read_struct_end()?;
            w.write_field_stop()?;
            w.write_struct_end()
        }
        WireType::List => {
            let h = r.read_list_begin()?;
            w.write_list_begin(h.element, h.len)?;
            for _ in 0..h.len {
                copy(r, w, h.element)?;
            }
            r.read_list_end()?;
            w.write_list_end()
        }
        WireType::Set => {
            let h = r.read_set_begin()?;
            w.write_set_begin(h.element, h.len)?;
            for _ in 0..h.len {
                copy(r, w, h.element)?;
            }
            r.read_set_end()?;
            w.write_set_end()
        }
        WireType::Map => {
            let h = r.read_map_begin()?;
            w.write_map_begin(h.key, h.value, h.len)?;
            for _ in 0..h.len {
                copy(r, w, h.key)?;
                copy(r, w, h.value)?;
            }
            r.read_map_end()?;
            w.write_map_end()
        }
        WireType::Stop | WireType::Void => Err(ProtocolError::invalid(format!(
            "no value of type {wire_type} can be re-encoded"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::ProtocolErrorKind;

    /// A struct with every kind of value: a bool, numbers, a string, a uuid, a list of
    /// structs, a set, and a map of lists, in binary.
    fn binary_struct() -> Bytes {
        let mut out = BytesMut::new();
        let mut w = BinaryWriter::new(&mut out);
        (|| -> Result<(), ProtocolError> {
            w.write_struct_begin("S")?;
            w.write_field_begin("b", WireType::Bool, 1)?;
            w.write_bool(true)?;
            w.write_field_begin("n", WireType::I64, 2)?;
            w.write_i64(-5_000_000_000)?;
            w.write_field_begin("d", WireType::Double, 3)?;
            w.write_double(0.25)?;
            w.write_field_begin("s", WireType::String, 4)?;
            w.write_string("héllo")?;
            w.write_field_begin("u", WireType::Uuid, 5)?;
            w.write_uuid(&[7; 16])?;
            w.write_field_begin("l", WireType::List, 6)?;
            w.write_list_begin(WireType::Struct, 2)?;
            for i in 0..2 {
                w.write_struct_begin("T")?;
                w.write_field_begin("i", WireType::I16, 300)?;
                w.write_i16(i)?;
                w.write_field_stop()?;
            }
            w.write_field_begin("set", WireType::Set, 7)?;
            w.write_set_begin(WireType::I8, 3)?;
            for i in [1, -1, 0] {
                w.write_i8(i)?;
            }
            w.write_field_begin("m", WireType::Map, 8)?;
            w.write_map_begin(WireType::I32, WireType::List, 1)?;
            w.write_i32(9)?;
            w.write_list_begin(WireType::Bool, 2)?;
            w.write_bool(false)?;
            w.write_bool(true)?;
            w.write_field_stop()
        })()
        .unwrap();
        out.freeze()
    }

    #[test]
    fn binary_to_compact_and_back_is_the_same_value() {
        let binary = binary_struct();
        let compact = transcode(
            Protocol::Binary,
            Protocol::Compact,
            binary.clone(),
            Limits::default(),
        )
        .unwrap();
        assert!(compact.len() < binary.len());
        let back = transcode(
            Protocol::Compact,
            Protocol::Binary,
            compact,
            Limits::default(),
        )
        .unwrap();
        assert_eq!(back, binary);
        // The same protocol: the bytes themselves.
        let same = transcode(
            Protocol::Binary,
            Protocol::Binary,
            binary.clone(),
            Limits::default(),
        );
        assert_eq!(same.unwrap(), binary);
    }

    #[test]
    fn truncated_or_hostile_input_is_an_error() {
        let binary = binary_struct();
        for len in 0..binary.len() {
            let cut = binary.slice(..len);
            assert!(
                transcode(Protocol::Binary, Protocol::Compact, cut, Limits::default()).is_err(),
                "{len} bytes"
            );
        }
        // A list of 2^31 - 1 strings in four bytes: refused before anything is allocated.
        let huge = Bytes::from_static(b"\x0f\x00\x01\x0b\x7f\xff\xff\xff");
        let err = transcode(Protocol::Binary, Protocol::Compact, huge, Limits::default());
        assert!(err.is_err());
        // Lists in lists, deeper than the limit.
        let mut deep = BytesMut::from(&b"\x0f\x00\x01"[..]);
        for _ in 0..200 {
            deep.extend_from_slice(b"\x0f\x00\x00\x00\x01");
        }
        let err = transcode(
            Protocol::Binary,
            Protocol::Compact,
            deep.freeze(),
            Limits::default(),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::DepthLimit, "{err}");
    }

    #[test]
    fn json_is_encoded_from_types_not_transcoded() {
        for (from, to) in [
            (Protocol::Binary, Protocol::Json),
            (Protocol::Json, Protocol::Compact),
        ] {
            let err =
                transcode(from, to, Bytes::from_static(b"\x00"), Limits::default()).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid data: cannot re-encode {from} as {to} without the IDL's types \
                     (JSON tells strings from binary by them): encode the value with {to}"
                )
            );
        }
    }
}
