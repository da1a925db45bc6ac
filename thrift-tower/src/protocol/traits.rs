//! The traits every protocol and every Thrift type implements: [`ProtocolReader`],
//! [`ProtocolWriter`] and [`Thrift`], and [`skip`], which passes over a value of any type.

use bytes::Bytes;

use super::error::ProtocolError;
use super::header::MessageHeader;
use super::wire::{FieldHeader, ListHeader, MapHeader, WireType};
use crate::bytestr::ByteStr;

/// Reads Thrift values from a protocol's bytes.
///
/// The call sequence mirrors the encoding: `read_struct_begin`, then `read_field_begin`
/// until it returns [`WireType::Stop`], each field followed by `read_field_end`, then
/// `read_struct_end`; containers likewise. Every method that enters a struct or container
/// counts the nesting against [`Limits::recursion_limit`](super::Limits::recursion_limit); every declared length is checked
/// before anything is allocated.
pub trait ProtocolReader {
    /// Reads a message header.
    fn read_message_begin(&mut self) -> Result<MessageHeader, ProtocolError>;
    /// Ends a message.
    fn read_message_end(&mut self) -> Result<(), ProtocolError>;
    /// Enters a struct.
    fn read_struct_begin(&mut self) -> Result<(), ProtocolError>;
    /// Leaves a struct.
    fn read_struct_end(&mut self) -> Result<(), ProtocolError>;
    /// Reads a field header, or [`WireType::Stop`] at the end of the struct.
    fn read_field_begin(&mut self) -> Result<FieldHeader, ProtocolError>;
    /// Ends a field.
    fn read_field_end(&mut self) -> Result<(), ProtocolError>;
    /// Enters a list.
    fn read_list_begin(&mut self) -> Result<ListHeader, ProtocolError>;
    /// Leaves a list.
    fn read_list_end(&mut self) -> Result<(), ProtocolError>;
    /// Enters a set.
    fn read_set_begin(&mut self) -> Result<ListHeader, ProtocolError>;
    /// Leaves a set.
    fn read_set_end(&mut self) -> Result<(), ProtocolError>;
    /// Enters a map.
    fn read_map_begin(&mut self) -> Result<MapHeader, ProtocolError>;
    /// Leaves a map.
    fn read_map_end(&mut self) -> Result<(), ProtocolError>;
    /// Reads a `bool`.
    fn read_bool(&mut self) -> Result<bool, ProtocolError>;
    /// Reads an `i8`.
    fn read_i8(&mut self) -> Result<i8, ProtocolError>;
    /// Reads an `i16`.
    fn read_i16(&mut self) -> Result<i16, ProtocolError>;
    /// Reads an `i32`.
    fn read_i32(&mut self) -> Result<i32, ProtocolError>;
    /// Reads an `i64`.
    fn read_i64(&mut self) -> Result<i64, ProtocolError>;
    /// Reads a `double`.
    fn read_double(&mut self) -> Result<f64, ProtocolError>;
    /// Reads a `uuid` as its 16 bytes in wire order.
    fn read_uuid(&mut self) -> Result<[u8; 16], ProtocolError>;
    /// Reads a `string`, checking it is UTF-8.
    fn read_string(&mut self) -> Result<String, ProtocolError>;
    /// Reads a `binary`: a slice of the input where the protocol allows it.
    fn read_binary(&mut self) -> Result<Bytes, ProtocolError>;

    /// Reads a `string` into a [`ByteStr`], sharing the input where the protocol allows it.
    fn read_byte_str(&mut self) -> Result<ByteStr, ProtocolError> {
        self.read_string().map(ByteStr::from)
    }

    /// Passes over a `string` or `binary` without decoding it.
    fn skip_string(&mut self) -> Result<(), ProtocolError> {
        self.read_binary().map(drop)
    }

    /// Passes over one value of type `wire_type`, however deeply nested (within the
    /// recursion limit).
    fn skip(&mut self, wire_type: WireType) -> Result<(), ProtocolError> {
        skip(self, wire_type)
    }
}

/// Passes over one value of type `wire_type`: what [`ProtocolReader::skip`] does unless a
/// protocol overrides it.
pub fn skip<R: ProtocolReader + ?Sized>(
    r: &mut R,
    wire_type: WireType,
) -> Result<(), ProtocolError> {
    match wire_type {
        WireType::Bool => r.read_bool().map(drop),
        WireType::I8 => r.read_i8().map(drop),
        WireType::I16 => r.read_i16().map(drop),
        WireType::I32 => r.read_i32().map(drop),
        WireType::I64 => r.read_i64().map(drop),
        WireType::Double => r.read_double().map(drop),
        WireType::Uuid => r.read_uuid().map(drop),
        WireType::String => r.skip_string(),
        WireType::Struct => {
            r.read_struct_begin()?;
            loop {
                let field = r.read_field_begin()?;
                if field.wire_type == WireType::Stop {
                    break;
                }
                r.skip(field.wire_type)?;
                r.read_field_end()?;
            }
            r.read_struct_end()
        }
        WireType::List => {
            let h = r.read_list_begin()?;
            for _ in 0..h.len {
                r.skip(h.element)?;
            }
            r.read_list_end()
        }
        WireType::Set => {
            let h = r.read_set_begin()?;
            for _ in 0..h.len {
                r.skip(h.element)?;
            }
            r.read_set_end()
        }
        WireType::Map => {
            let h = r.read_map_begin()?;
            for _ in 0..h.len {
                r.skip(h.key)?;
                r.skip(h.value)?;
            }
            r.read_map_end()
        }
        WireType::Stop | WireType::Void => Err(ProtocolError::invalid(format!(
            "cannot skip a value of type {wire_type}"
        ))),
    }
}

/// Writes Thrift values in a protocol's encoding.
///
/// Calls mirror [`ProtocolReader`]. Names of structs and fields are passed for protocols
/// that use them; the three Apache protocols ignore them.
pub trait ProtocolWriter {
    /// Writes a message header.
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<(), ProtocolError>;
    /// Ends a message.
    fn write_message_end(&mut self) -> Result<(), ProtocolError>;
    /// Starts a struct.
    fn write_struct_begin(&mut self, name: &str) -> Result<(), ProtocolError>;
    /// Ends a struct.
    fn write_struct_end(&mut self) -> Result<(), ProtocolError>;
    /// Starts a field.
    fn write_field_begin(
        &mut self,
        name: &str,
        wire_type: WireType,
        id: i16,
    ) -> Result<(), ProtocolError>;
    /// Ends a field.
    fn write_field_end(&mut self) -> Result<(), ProtocolError>;
    /// Marks the end of a struct's fields.
    fn write_field_stop(&mut self) -> Result<(), ProtocolError>;
    /// Starts a list of `len` elements of type `element`.
    fn write_list_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError>;
    /// Ends a list.
    fn write_list_end(&mut self) -> Result<(), ProtocolError>;
    /// Starts a set of `len` elements of type `element`.
    fn write_set_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError>;
    /// Ends a set.
    fn write_set_end(&mut self) -> Result<(), ProtocolError>;
    /// Starts a map of `len` entries.
    fn write_map_begin(
        &mut self,
        key: WireType,
        value: WireType,
        len: usize,
    ) -> Result<(), ProtocolError>;
    /// Ends a map.
    fn write_map_end(&mut self) -> Result<(), ProtocolError>;
    /// Writes a `bool`.
    fn write_bool(&mut self, value: bool) -> Result<(), ProtocolError>;
    /// Writes an `i8`.
    fn write_i8(&mut self, value: i8) -> Result<(), ProtocolError>;
    /// Writes an `i16`.
    fn write_i16(&mut self, value: i16) -> Result<(), ProtocolError>;
    /// Writes an `i32`.
    fn write_i32(&mut self, value: i32) -> Result<(), ProtocolError>;
    /// Writes an `i64`.
    fn write_i64(&mut self, value: i64) -> Result<(), ProtocolError>;
    /// Writes a `double`.
    fn write_double(&mut self, value: f64) -> Result<(), ProtocolError>;
    /// Writes a `uuid` from its 16 bytes in wire order.
    fn write_uuid(&mut self, value: &[u8; 16]) -> Result<(), ProtocolError>;
    /// Writes a `string`.
    fn write_string(&mut self, value: &str) -> Result<(), ProtocolError>;
    /// Writes a `binary`.
    fn write_binary(&mut self, value: &[u8]) -> Result<(), ProtocolError>;
}

/// A value that knows its Thrift encoding: implemented by generated structs, unions,
/// exceptions and enums, and here for the base types and containers.
///
/// `read` and `write` are generic over the protocol, so a message is encoded with static
/// calls only.
pub trait Thrift: Sized {
    /// The type id of this value on the wire.
    const WIRE_TYPE: WireType;

    /// Reads a value.
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError>;

    /// Writes the value.
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError>;
}
