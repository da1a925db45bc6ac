//! Thrift's wire formats: [`binary`], [`compact`] and [`json`], byte-identical to Apache
//! Thrift's `TBinaryProtocol`, `TCompactProtocol` and `TJSONProtocol`.
//!
//! Each protocol has a reader (implementing [`ProtocolReader`]) and a writer (implementing
//! [`ProtocolWriter`]). Generated types implement [`Thrift`], whose `read` and `write` are
//! generic over those traits: the protocol is chosen once per message and every field call
//! is static, never a `dyn` call.
//!
//! Readers decode from a complete message held in [`Bytes`]: binary values come back as
//! slices of it, not copies. Writers append to any [`bytes::BufMut`], usually a
//! [`BytesMut`] that is then frozen into the message body.
//!
//! Every reader enforces [`Limits`]: a declared length is checked against the bytes that
//! remain before anything is allocated, and nesting is bounded.
//!
//! ```
//! use bytes::Bytes;
//! use thrift_tower::protocol::{self, Protocol, Limits};
//!
//! let value: Vec<String> = vec!["hello".into(), "thrift".into()];
//! for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
//!     let bytes: Bytes = protocol::encode(protocol, &value)?;
//!     let back: Vec<String> = protocol::decode(protocol, bytes, Limits::default())?;
//!     assert_eq!(back, value);
//! }
//! # Ok::<(), thrift_tower::ProtocolError>(())
//! ```

pub mod binary;
pub mod compact;
pub mod envelope;
mod input;
pub mod json;
mod limits;
mod scan;
mod value;

use std::fmt;

use bytes::{Bytes, BytesMut};

pub use self::input::Input;
pub use self::limits::Limits;
use crate::ByteStr;
use crate::error::ProtocolError;
use crate::message::MessageHeader;

/// The type ids of Thrift values as the binary and JSON protocols put them on the wire
/// (Apache's `TType`). The compact protocol maps them to its own ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum WireType {
    /// End of a struct's fields.
    Stop = 0,
    /// No value (the result of a `void` function).
    Void = 1,
    /// `bool`
    Bool = 2,
    /// `i8` (also called `byte`)
    I8 = 3,
    /// `double`
    Double = 4,
    /// `i16`
    I16 = 6,
    /// `i32` (and enums)
    I32 = 8,
    /// `i64`
    I64 = 10,
    /// `string` and `binary`
    String = 11,
    /// `struct`, `union` and `exception`
    Struct = 12,
    /// `map<K, V>`
    Map = 13,
    /// `set<T>`
    Set = 14,
    /// `list<T>`
    List = 15,
    /// `uuid` (16 bytes)
    Uuid = 16,
}

impl WireType {
    /// The type of a `TType` code.
    #[inline]
    pub fn from_code(code: u8) -> Result<Self, ProtocolError> {
        Ok(match code {
            0 => WireType::Stop,
            1 => WireType::Void,
            2 => WireType::Bool,
            3 => WireType::I8,
            4 => WireType::Double,
            6 => WireType::I16,
            8 => WireType::I32,
            10 => WireType::I64,
            11 => WireType::String,
            12 => WireType::Struct,
            13 => WireType::Map,
            14 => WireType::Set,
            15 => WireType::List,
            16 => WireType::Uuid,
            other => return Err(bad_type_code(other)),
        })
    }

    /// The `TType` code.
    #[inline]
    pub const fn code(self) -> u8 {
        self as u8
    }
}

#[cold]
fn bad_type_code(code: u8) -> ProtocolError {
    ProtocolError::invalid(format!("unknown type id {code}"))
}

impl fmt::Display for WireType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WireType::Stop => "stop",
            WireType::Void => "void",
            WireType::Bool => "bool",
            WireType::I8 => "i8",
            WireType::Double => "double",
            WireType::I16 => "i16",
            WireType::I32 => "i32",
            WireType::I64 => "i64",
            WireType::String => "string",
            WireType::Struct => "struct",
            WireType::Map => "map",
            WireType::Set => "set",
            WireType::List => "list",
            WireType::Uuid => "uuid",
        })
    }
}

/// A struct field's header: its type and id. `wire_type` is [`WireType::Stop`] after the
/// last field (and `id` is then 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FieldHeader {
    /// The field's type.
    pub wire_type: WireType,
    /// The field id.
    pub id: i16,
}

/// The header of a list or a set: element type and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListHeader {
    /// The type of every element.
    pub element: WireType,
    /// The number of elements, already checked against the limits and the bytes that remain.
    pub len: usize,
}

/// The header of a map: key and value types and entry count.
///
/// The compact protocol writes no types for an empty map; its reader then reports
/// [`WireType::Stop`] for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MapHeader {
    /// The type of every key.
    pub key: WireType,
    /// The type of every value.
    pub value: WireType,
    /// The number of entries, already checked against the limits and the bytes that remain.
    pub len: usize,
}

/// The wire formats, chosen once per message or connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Protocol {
    /// [`binary`]: Apache's `TBinaryProtocol`.
    #[default]
    Binary,
    /// [`compact`]: Apache's `TCompactProtocol`.
    Compact,
    /// [`json`]: Apache's `TJSONProtocol`.
    Json,
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Binary => "binary",
            Protocol::Compact => "compact",
            Protocol::Json => "json",
        })
    }
}

/// Reads Thrift values from a protocol's bytes.
///
/// The call sequence mirrors the encoding: `read_struct_begin`, then `read_field_begin`
/// until it returns [`WireType::Stop`], each field followed by `read_field_end`, then
/// `read_struct_end`; containers likewise. Every method that enters a struct or container
/// counts the nesting against [`Limits::recursion_limit`]; every declared length is checked
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

/// Encodes `value` alone (no message header) with `protocol`.
pub fn encode<T: Thrift>(protocol: Protocol, value: &T) -> Result<Bytes, ProtocolError> {
    // Most messages fit: one allocation, where growing from empty takes five or six
    // (8, 16, 32... bytes) for a typical call.
    let mut buf = BytesMut::with_capacity(ENCODE_START_CAPACITY);
    match protocol {
        Protocol::Binary => value.write(&mut binary::BinaryWriter::new(&mut buf))?,
        Protocol::Compact => value.write(&mut compact::CompactWriter::new(&mut buf))?,
        Protocol::Json => value.write(&mut json::JsonWriter::new(&mut buf))?,
    }
    Ok(buf.freeze())
}

/// What [`encode`] allocates first.
const ENCODE_START_CAPACITY: usize = 256;

/// Decodes one value (no message header) encoded with `protocol`, within `limits`.
/// Bytes after the value are ignored.
pub fn decode<T: Thrift>(
    protocol: Protocol,
    bytes: Bytes,
    limits: Limits,
) -> Result<T, ProtocolError> {
    match protocol {
        Protocol::Binary => T::read(&mut binary::BinaryReader::new(bytes, limits)),
        Protocol::Compact => T::read(&mut compact::CompactReader::new(bytes, limits)),
        Protocol::Json => T::read(&mut json::JsonReader::new(bytes, limits)),
    }
}

/// The error for a struct whose required field was absent.
#[cold]
pub fn missing_required_field(struct_name: &str, field_name: &str) -> ProtocolError {
    ProtocolError::invalid(format!(
        "required field `{field_name}` of `{struct_name}` is missing"
    ))
}

/// For a generated union's reader, before it reads a field: fails when `value` already
/// holds one (a union has exactly one field set).
#[inline]
pub fn union_field_unset<T>(value: &Option<T>, union_name: &str) -> Result<(), ProtocolError> {
    match value {
        None => Ok(()),
        Some(_) => Err(union_error(union_name, "more than one field set")),
    }
}

/// For a generated union's reader, after the struct's end: the one field that was read, or
/// the error for a union with no field this side knows (none set, or only unknown ones).
#[inline]
pub fn union_value<T>(value: Option<T>, union_name: &str) -> Result<T, ProtocolError> {
    match value {
        Some(v) => Ok(v),
        None => Err(union_error(union_name, "no field set that this side knows")),
    }
}

#[cold]
fn union_error(union_name: &str, what: &str) -> ProtocolError {
    ProtocolError::invalid(format!("union `{union_name}` has {what}"))
}
