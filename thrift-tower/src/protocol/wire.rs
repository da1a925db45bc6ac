//! The vocabulary of the wire: [`WireType`] (Apache's `TType`), the headers of fields and
//! containers, and the [`Protocol`]s a message can be encoded with.

use std::fmt;

use super::error::ProtocolError;

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
#[non_exhaustive]
pub enum Protocol {
    /// [`binary`](super::binary): Apache's `TBinaryProtocol`.
    #[default]
    Binary,
    /// [`compact`](super::compact): Apache's `TCompactProtocol`.
    Compact,
    /// [`json`](super::json): Apache's `TJSONProtocol`.
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
