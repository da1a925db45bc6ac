//! The compact protocol, Apache's `TCompactProtocol`: varints, zigzag, field-id deltas and
//! bools folded into field headers.
//!
//! ```text
//! message       | 0x82 | type << 5 | version 1 | seqid: varint | name: varint len + bytes |
//! field         | delta << 4 | type |                 when 0 < id - previous id <= 15
//!               | 0000 | type | id: zigzag varint |  otherwise (a single 0 byte ends a struct)
//! bool field    | the type nibble is 1 for true, 2 for false; no value follows
//! list, set     | len << 4 | type |                   when len <= 14
//!               | 1111 | type | len: varint |        otherwise
//! map           | 0 |                                 when empty
//!               | len: varint | key type << 4 | value type |
//! bool element  | 1 = true, 2 = false |
//! i8            | 1 byte |
//! i16, i32, i64 | zigzag varint |
//! double        | 8 bytes, little-endian IEEE 754 |
//! string,binary | len: varint | bytes |
//! uuid          | 16 bytes |
//! ```
//!
//! Varints are little-endian base 128, at most 5 bytes for 32-bit values and 10 for 64-bit
//! ones; longer ones are rejected.

use bytes::{BufMut, Bytes};

use super::binary::check_element_type;
use super::error::{ProtocolError, ProtocolErrorKind};
use super::header::{MessageHeader, MessageType};
use super::input::Input;
use super::input::{
    Cursor, Depth, bad_utf8, check_container_len, check_message_size, check_string_len, wire_len,
};
use super::limits::Limits;
use super::traits::{ProtocolReader, ProtocolWriter};
use super::wire::{FieldHeader, ListHeader, MapHeader, WireType};
use crate::bytestr::ByteStr;

/// The first byte of every compact message.
const PROTOCOL_ID: u8 = 0x82;
/// The protocol version, in the low 5 bits of the second byte.
const VERSION: u8 = 1;
const VERSION_MASK: u8 = 0x1f;
const TYPE_SHIFT: u8 = 5;

// Compact type ids (the spec's "field types" / "element types").
const CT_STOP: u8 = 0;
const CT_BOOLEAN_TRUE: u8 = 1;
const CT_BOOLEAN_FALSE: u8 = 2;
const CT_BYTE: u8 = 3;
const CT_I16: u8 = 4;
const CT_I32: u8 = 5;
const CT_I64: u8 = 6;
const CT_DOUBLE: u8 = 7;
const CT_BINARY: u8 = 8;
const CT_LIST: u8 = 9;
const CT_SET: u8 = 10;
const CT_MAP: u8 = 11;
const CT_STRUCT: u8 = 12;
const CT_UUID: u8 = 13;

#[inline]
fn compact_type(wire_type: WireType) -> u8 {
    match wire_type {
        WireType::Stop | WireType::Void => CT_STOP,
        WireType::Bool => CT_BOOLEAN_TRUE,
        WireType::I8 => CT_BYTE,
        WireType::I16 => CT_I16,
        WireType::I32 => CT_I32,
        WireType::I64 => CT_I64,
        WireType::Double => CT_DOUBLE,
        WireType::String => CT_BINARY,
        WireType::List => CT_LIST,
        WireType::Set => CT_SET,
        WireType::Map => CT_MAP,
        WireType::Struct => CT_STRUCT,
        WireType::Uuid => CT_UUID,
    }
}

#[inline]
fn wire_type(compact: u8) -> Result<WireType, ProtocolError> {
    Ok(match compact {
        CT_STOP => WireType::Stop,
        CT_BOOLEAN_TRUE | CT_BOOLEAN_FALSE => WireType::Bool,
        CT_BYTE => WireType::I8,
        CT_I16 => WireType::I16,
        CT_I32 => WireType::I32,
        CT_I64 => WireType::I64,
        CT_DOUBLE => WireType::Double,
        CT_BINARY => WireType::String,
        CT_LIST => WireType::List,
        CT_SET => WireType::Set,
        CT_MAP => WireType::Map,
        CT_STRUCT => WireType::Struct,
        CT_UUID => WireType::Uuid,
        other => return Err(bad_compact_type(other)),
    })
}

#[cold]
fn bad_compact_type(code: u8) -> ProtocolError {
    ProtocolError::invalid(format!("unknown compact type id {code}"))
}

/// The fewest bytes a value of each type takes, to bound a declared container size by the
/// bytes that remain.
fn min_size(wire_type: WireType) -> usize {
    match wire_type {
        WireType::Double => 8,
        WireType::Uuid => 16,
        _ => 1,
    }
}

#[inline]
fn zigzag_encode_32(n: i32) -> u32 {
    ((n << 1) ^ (n >> 31)) as u32
}

#[inline]
fn zigzag_encode_64(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

#[inline]
fn zigzag_decode_32(n: u32) -> i32 {
    ((n >> 1) as i32) ^ -((n & 1) as i32)
}

#[inline]
fn zigzag_decode_64(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// The previous field id of each enclosing struct: field-id deltas restart at 0 in every
/// struct. The first 16 levels are kept inline, so decoding real messages does not
/// allocate; deeper struct nesting spills to the heap. (64 inline levels cost a 128-byte
/// zeroing per reader, measurable on small messages.)
#[derive(Debug)]
struct FieldIdStack {
    inline: [i16; 16],
    len: usize,
    spill: Vec<i16>,
}

impl FieldIdStack {
    fn new() -> Self {
        FieldIdStack {
            inline: [0; 16],
            len: 0,
            spill: Vec::new(),
        }
    }

    #[inline]
    fn push(&mut self, id: i16) {
        if self.len < self.inline.len() {
            self.inline[self.len] = id;
        } else {
            self.spill.push(id);
        }
        self.len += 1;
    }

    #[inline]
    fn pop(&mut self) -> i16 {
        if self.len == 0 {
            return 0;
        }
        self.len -= 1;
        if self.len < self.inline.len() {
            self.inline[self.len]
        } else {
            self.spill.pop().unwrap_or(0)
        }
    }
}

/// Reads the compact protocol from an [`Input`]: [`Bytes`] (binary values are shared
/// slices) or `&[u8]`.
#[derive(Debug)]
pub struct CompactReader<I = Bytes> {
    cursor: Cursor<I>,
    depth: Depth,
    limits: Limits,
    last_field_id: i16,
    field_ids: FieldIdStack,
    /// A bool field's value, carried by its header.
    pending_bool: Option<bool>,
}

impl<I: Input> CompactReader<I> {
    /// A reader of `input` within `limits`.
    pub fn new(input: I, limits: Limits) -> Self {
        CompactReader {
            cursor: Cursor::new(input),
            depth: Depth::new(limits.recursion_limit()),
            limits,
            last_field_id: 0,
            field_ids: FieldIdStack::new(),
            pending_bool: None,
        }
    }

    /// How many bytes have been read.
    pub fn position(&self) -> usize {
        self.cursor.position()
    }

    /// The bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.cursor.remaining()
    }

    #[inline]
    fn read_varint_u32(&mut self, what: &'static str) -> Result<u32, ProtocolError> {
        let first = self.cursor.read_u8(what)?;
        if first < 0x80 {
            return Ok(u32::from(first));
        }
        let mut result = u32::from(first & 0x7f);
        let mut shift = 7;
        loop {
            let byte = self.cursor.read_u8(what)?;
            // The fifth byte carries the top 4 bits; anything it holds beyond them is
            // dropped, as Apache's readers do.
            result |= u32::from(byte & 0x7f).wrapping_shl(shift);
            if byte < 0x80 {
                return Ok(result);
            }
            shift += 7;
            if shift >= 35 {
                return Err(varint_too_long(what, 5));
            }
        }
    }

    #[inline]
    fn read_varint_u64(&mut self, what: &'static str) -> Result<u64, ProtocolError> {
        let first = self.cursor.read_u8(what)?;
        if first < 0x80 {
            return Ok(u64::from(first));
        }
        let mut result = u64::from(first & 0x7f);
        let mut shift = 7;
        loop {
            let byte = self.cursor.read_u8(what)?;
            result |= u64::from(byte & 0x7f).wrapping_shl(shift);
            if byte < 0x80 {
                return Ok(result);
            }
            shift += 7;
            if shift >= 70 {
                return Err(varint_too_long(what, 10));
            }
        }
    }

    #[inline]
    fn read_size(&mut self, what: &'static str) -> Result<usize, ProtocolError> {
        let raw = self.read_varint_u32(what)? as i32;
        usize::try_from(raw).map_err(|_| {
            ProtocolError::new(
                ProtocolErrorKind::NegativeSize,
                format!("negative {what} {raw}"),
            )
        })
    }

    #[inline]
    fn read_string_bytes(&mut self) -> Result<&[u8], ProtocolError> {
        let len = self.read_size("string length")?;
        check_string_len(len, self.cursor.remaining(), &self.limits)?;
        self.cursor.read_slice(len, "string")
    }

    fn read_list_header(&mut self) -> Result<ListHeader, ProtocolError> {
        self.depth.enter()?;
        let byte = self.cursor.read_u8("list header")?;
        let element = wire_type(byte & 0x0f)?;
        let short = usize::from(byte >> 4);
        let len = if short == 15 {
            self.read_size("list size")?
        } else {
            short
        };
        check_element_type(element, len)?;
        check_container_len(
            len,
            min_size(element),
            self.cursor.remaining(),
            &self.limits,
        )?;
        Ok(ListHeader { element, len })
    }
}

#[cold]
fn varint_too_long(what: &'static str, max: u8) -> ProtocolError {
    ProtocolError::invalid(format!("varint for {what} is longer than {max} bytes"))
}

impl<I: Input> ProtocolReader for CompactReader<I> {
    fn read_message_begin(&mut self) -> Result<MessageHeader, ProtocolError> {
        check_message_size(self.cursor.remaining(), &self.limits)?;
        let id = self.cursor.read_u8("protocol id")?;
        if id != PROTOCOL_ID {
            return Err(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!("bad compact protocol id {id:#04x} (expected 0x82)"),
            ));
        }
        let byte = self.cursor.read_u8("version and message type")?;
        let version = byte & VERSION_MASK;
        if version != VERSION {
            return Err(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!("bad compact protocol version {version} (expected 1)"),
            ));
        }
        let message_type = MessageType::from_code(byte >> TYPE_SHIFT)?;
        let seqid = self.read_varint_u32("sequence id")? as i32;
        let name = self.read_byte_str()?;
        Ok(MessageHeader {
            name,
            message_type,
            seqid,
        })
    }

    #[inline]
    fn read_message_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<(), ProtocolError> {
        self.depth.enter()?;
        self.field_ids.push(self.last_field_id);
        self.last_field_id = 0;
        Ok(())
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<(), ProtocolError> {
        self.depth.leave();
        self.last_field_id = self.field_ids.pop();
        Ok(())
    }

    #[inline(always)]
    fn read_field_begin(&mut self) -> Result<FieldHeader, ProtocolError> {
        let byte = self.cursor.read_u8("field header")?;
        let ty = byte & 0x0f;
        if ty == CT_STOP {
            return Ok(FieldHeader {
                wire_type: WireType::Stop,
                id: 0,
            });
        }
        let delta = byte >> 4;
        let id = if delta == 0 {
            zigzag_decode_32(self.read_varint_u32("field id")?) as i16
        } else {
            self.last_field_id.wrapping_add(i16::from(delta))
        };
        let wire_type = wire_type(ty)?;
        if wire_type == WireType::Bool {
            self.pending_bool = Some(ty == CT_BOOLEAN_TRUE);
        }
        self.last_field_id = id;
        Ok(FieldHeader { wire_type, id })
    }

    #[inline]
    fn read_field_end(&mut self) -> Result<(), ProtocolError> {
        self.pending_bool = None;
        Ok(())
    }

    #[inline]
    fn read_list_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        self.read_list_header()
    }

    #[inline]
    fn read_list_end(&mut self) -> Result<(), ProtocolError> {
        self.depth.leave();
        Ok(())
    }

    #[inline]
    fn read_set_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        self.read_list_header()
    }

    #[inline]
    fn read_set_end(&mut self) -> Result<(), ProtocolError> {
        self.depth.leave();
        Ok(())
    }

    fn read_map_begin(&mut self) -> Result<MapHeader, ProtocolError> {
        self.depth.enter()?;
        let len = self.read_size("map size")?;
        if len == 0 {
            return Ok(MapHeader {
                key: WireType::Stop,
                value: WireType::Stop,
                len,
            });
        }
        let types = self.cursor.read_u8("map key and value types")?;
        let key = wire_type(types >> 4)?;
        let value = wire_type(types & 0x0f)?;
        check_element_type(key, len)?;
        check_element_type(value, len)?;
        check_container_len(
            len,
            min_size(key) + min_size(value),
            self.cursor.remaining(),
            &self.limits,
        )?;
        Ok(MapHeader { key, value, len })
    }

    #[inline]
    fn read_map_end(&mut self) -> Result<(), ProtocolError> {
        self.depth.leave();
        Ok(())
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool, ProtocolError> {
        match self.pending_bool.take() {
            Some(value) => Ok(value),
            // As an element: 1 is true; Apache's readers take anything else as false.
            None => Ok(self.cursor.read_u8("bool")? == CT_BOOLEAN_TRUE),
        }
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8, ProtocolError> {
        Ok(self.cursor.read_u8("i8")? as i8)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16, ProtocolError> {
        // An i16 travels as a 32-bit varint; keep the low 16 bits as Apache does.
        Ok(zigzag_decode_32(self.read_varint_u32("i16")?) as i16)
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32, ProtocolError> {
        Ok(zigzag_decode_32(self.read_varint_u32("i32")?))
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64, ProtocolError> {
        Ok(zigzag_decode_64(self.read_varint_u64("i64")?))
    }

    #[inline]
    fn read_double(&mut self) -> Result<f64, ProtocolError> {
        Ok(f64::from_le_bytes(self.cursor.read_array("double")?))
    }

    #[inline]
    fn read_uuid(&mut self) -> Result<[u8; 16], ProtocolError> {
        self.cursor.read_array("uuid")
    }

    #[inline(always)]
    fn read_string(&mut self) -> Result<String, ProtocolError> {
        let bytes = self.read_string_bytes()?;
        match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => Ok(s.to_owned()),
            Err(_) => Err(bad_utf8()),
        }
    }

    #[inline]
    fn read_byte_str(&mut self) -> Result<ByteStr, ProtocolError> {
        let len = self.read_size("string length")?;
        check_string_len(len, self.cursor.remaining(), &self.limits)?;
        self.cursor.read_byte_str(len, "string")
    }

    #[inline]
    fn read_binary(&mut self) -> Result<Bytes, ProtocolError> {
        let len = self.read_size("binary length")?;
        check_string_len(len, self.cursor.remaining(), &self.limits)?;
        self.cursor.read_shared(len, "binary")
    }

    #[inline]
    fn skip_string(&mut self) -> Result<(), ProtocolError> {
        let len = self.read_size("string length")?;
        check_string_len(len, self.cursor.remaining(), &self.limits)?;
        self.cursor.skip(len, "string")
    }
}

/// Writes the compact protocol into any [`BufMut`] (a `&mut BytesMut`, a `&mut Vec<u8>`...).
#[derive(Debug)]
pub struct CompactWriter<B> {
    buf: B,
    last_field_id: i16,
    field_ids: FieldIdStack,
    /// The id of a bool field whose header waits for its value.
    pending_bool_field: Option<i16>,
}

impl<B: BufMut> CompactWriter<B> {
    /// A writer appending to `buf`.
    pub fn new(buf: B) -> Self {
        CompactWriter {
            buf,
            last_field_id: 0,
            field_ids: FieldIdStack::new(),
            pending_bool_field: None,
        }
    }

    /// The buffer written to.
    pub fn into_inner(self) -> B {
        self.buf
    }

    #[inline]
    fn write_varint_u32(&mut self, mut n: u32) {
        while n >= 0x80 {
            self.buf.put_u8((n as u8) | 0x80);
            n >>= 7;
        }
        self.buf.put_u8(n as u8);
    }

    #[inline]
    fn write_varint_u64(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.buf.put_u8((n as u8) | 0x80);
            n >>= 7;
        }
        self.buf.put_u8(n as u8);
    }

    #[inline]
    fn write_field_header(&mut self, compact: u8, id: i16) {
        let delta = i32::from(id) - i32::from(self.last_field_id);
        if 0 < delta && delta <= 15 {
            self.buf.put_u8(((delta as u8) << 4) | compact);
        } else {
            self.buf.put_u8(compact);
            self.write_varint_u32(zigzag_encode_32(i32::from(id)));
        }
        self.last_field_id = id;
    }

    #[inline]
    fn write_size(&mut self, len: usize) -> Result<(), ProtocolError> {
        let len = wire_len(len)?;
        self.write_varint_u32(len as u32);
        Ok(())
    }

    #[inline]
    fn write_list_header(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        let ty = compact_type(element);
        if len <= 14 {
            self.buf.put_u8(((len as u8) << 4) | ty);
            Ok(())
        } else {
            self.buf.put_u8(0xf0 | ty);
            self.write_size(len)
        }
    }
}

impl<B: BufMut> ProtocolWriter for CompactWriter<B> {
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<(), ProtocolError> {
        self.buf.put_u8(PROTOCOL_ID);
        self.buf
            .put_u8(VERSION | (header.message_type.code() << TYPE_SHIFT));
        self.write_varint_u32(header.seqid as u32);
        self.write_string(&header.name)
    }

    #[inline]
    fn write_message_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_struct_begin(&mut self, _name: &str) -> Result<(), ProtocolError> {
        self.field_ids.push(self.last_field_id);
        self.last_field_id = 0;
        Ok(())
    }

    #[inline]
    fn write_struct_end(&mut self) -> Result<(), ProtocolError> {
        self.last_field_id = self.field_ids.pop();
        Ok(())
    }

    #[inline]
    fn write_field_begin(
        &mut self,
        _name: &str,
        wire_type: WireType,
        id: i16,
    ) -> Result<(), ProtocolError> {
        if wire_type == WireType::Bool {
            self.pending_bool_field = Some(id);
        } else {
            self.write_field_header(compact_type(wire_type), id);
        }
        Ok(())
    }

    #[inline]
    fn write_field_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_field_stop(&mut self) -> Result<(), ProtocolError> {
        self.buf.put_u8(CT_STOP);
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        self.write_list_header(element, len)
    }

    #[inline]
    fn write_list_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_set_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        self.write_list_header(element, len)
    }

    #[inline]
    fn write_set_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_map_begin(
        &mut self,
        key: WireType,
        value: WireType,
        len: usize,
    ) -> Result<(), ProtocolError> {
        if len == 0 {
            self.buf.put_u8(0);
            return Ok(());
        }
        self.write_size(len)?;
        self.buf
            .put_u8((compact_type(key) << 4) | compact_type(value));
        Ok(())
    }

    #[inline]
    fn write_map_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_bool(&mut self, value: bool) -> Result<(), ProtocolError> {
        let compact = if value {
            CT_BOOLEAN_TRUE
        } else {
            CT_BOOLEAN_FALSE
        };
        match self.pending_bool_field.take() {
            Some(id) => self.write_field_header(compact, id),
            None => self.buf.put_u8(compact),
        }
        Ok(())
    }

    #[inline]
    fn write_i8(&mut self, value: i8) -> Result<(), ProtocolError> {
        self.buf.put_i8(value);
        Ok(())
    }

    #[inline]
    fn write_i16(&mut self, value: i16) -> Result<(), ProtocolError> {
        self.write_varint_u32(zigzag_encode_32(i32::from(value)));
        Ok(())
    }

    #[inline]
    fn write_i32(&mut self, value: i32) -> Result<(), ProtocolError> {
        self.write_varint_u32(zigzag_encode_32(value));
        Ok(())
    }

    #[inline]
    fn write_i64(&mut self, value: i64) -> Result<(), ProtocolError> {
        self.write_varint_u64(zigzag_encode_64(value));
        Ok(())
    }

    #[inline]
    fn write_double(&mut self, value: f64) -> Result<(), ProtocolError> {
        self.buf.put_f64_le(value);
        Ok(())
    }

    #[inline]
    fn write_uuid(&mut self, value: &[u8; 16]) -> Result<(), ProtocolError> {
        self.buf.put_slice(value);
        Ok(())
    }

    #[inline]
    fn write_string(&mut self, value: &str) -> Result<(), ProtocolError> {
        self.write_binary(value.as_bytes())
    }

    #[inline]
    fn write_binary(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        self.write_size(value.len())?;
        self.buf.put_slice(value);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::protocol::Thrift;

    fn reader(bytes: &[u8]) -> CompactReader {
        CompactReader::new(Bytes::copy_from_slice(bytes), Limits::default())
    }

    fn written(f: impl FnOnce(&mut CompactWriter<&mut BytesMut>)) -> Vec<u8> {
        let mut buf = BytesMut::new();
        f(&mut CompactWriter::new(&mut buf));
        buf.to_vec()
    }

    #[test]
    fn message_header_layout() {
        let bytes = written(|w| {
            w.write_message_begin(&MessageHeader::new("ping", MessageType::Oneway, -1))
                .unwrap()
        });
        assert_eq!(bytes, b"\x82\x81\xff\xff\xff\xff\x0f\x04ping");
        let h = reader(&bytes).read_message_begin().unwrap();
        assert_eq!(h, MessageHeader::new("ping", MessageType::Oneway, -1));
        let err = reader(b"\x82\x22\x00\x00")
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::BadVersion);
        let err = reader(b"\x80\x01\x00\x00")
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::BadVersion);
    }

    #[test]
    fn field_deltas_long_ids_and_bools() {
        let bytes = written(|w| {
            w.write_struct_begin("S").unwrap();
            w.write_field_begin("a", WireType::I32, 1).unwrap();
            w.write_i32(-1).unwrap();
            w.write_field_begin("b", WireType::Bool, 16).unwrap();
            w.write_bool(false).unwrap();
            w.write_field_begin("c", WireType::Bool, 17).unwrap();
            w.write_bool(true).unwrap();
            w.write_field_begin("d", WireType::I8, -3).unwrap();
            w.write_i8(-128).unwrap();
            w.write_field_stop().unwrap();
            w.write_struct_end().unwrap();
        });
        // 1: delta 1, i32 -1 -> zigzag 1; 16: delta 15; 17: delta 1 true; -3: long form.
        assert_eq!(bytes, b"\x15\x01\xf2\x11\x03\x05\x80\x00");
        let mut r = reader(&bytes);
        r.read_struct_begin().unwrap();
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.wire_type, f.id), (WireType::I32, 1));
        assert_eq!(r.read_i32().unwrap(), -1);
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.wire_type, f.id), (WireType::Bool, 16));
        assert!(!r.read_bool().unwrap());
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.wire_type, f.id), (WireType::Bool, 17));
        assert!(r.read_bool().unwrap());
        let f = r.read_field_begin().unwrap();
        assert_eq!((f.wire_type, f.id), (WireType::I8, -3));
        assert_eq!(r.read_i8().unwrap(), -128);
        assert_eq!(r.read_field_begin().unwrap().wire_type, WireType::Stop);
        r.read_struct_end().unwrap();
    }

    #[test]
    fn list_short_and_long_forms_and_empty_map() {
        let short: Vec<bool> = vec![true, false];
        assert_eq!(
            written(|w| short.write(w).unwrap()),
            b"\x21\x01\x02".to_vec()
        );
        let long: Vec<i8> = (0..15).collect();
        let bytes = written(|w| long.write(w).unwrap());
        assert_eq!(&bytes[..2], b"\xf3\x0f");
        assert_eq!(Vec::<i8>::read(&mut reader(&bytes)).unwrap(), long);
        let empty = std::collections::BTreeMap::<String, i64>::new();
        assert_eq!(written(|w| empty.write(w).unwrap()), b"\x00".to_vec());
        let h = reader(b"\x00").read_map_begin().unwrap();
        assert_eq!(h.len, 0);
    }

    #[test]
    fn varint_extremes() {
        for v in [i64::MIN, i64::MIN + 1, -1, 0, 1, 63, 64, -64, -65, i64::MAX] {
            let bytes = written(|w| w.write_i64(v).unwrap());
            assert_eq!(reader(&bytes).read_i64().unwrap(), v, "{v}");
        }
        assert_eq!(
            written(|w| w.write_i64(i64::MIN).unwrap()),
            b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01".to_vec()
        );
        for v in [i32::MIN, -1, 0, i32::MAX] {
            let bytes = written(|w| w.write_i32(v).unwrap());
            assert_eq!(reader(&bytes).read_i32().unwrap(), v, "{v}");
        }
        let err = reader(b"\xff\xff\xff\xff\xff\x01").read_i32().unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
        let err = reader(b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
            .read_i64()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
        let err = reader(b"\xff\xff").read_i64().unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::Eof);
    }

    #[test]
    fn hostile_sizes() {
        // list of 2^31-1 i64s with 2 bytes left
        let err = reader(b"\xf6\xff\xff\xff\xff\x07\x00\x00")
            .read_list_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::Eof);
        // negative string length
        let err = reader(b"\xff\xff\xff\xff\x0f").read_string().unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::NegativeSize);
        // bad element type nibble
        let err = reader(b"\x1e\x00").read_list_begin().unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
        // a struct nested 65 deep
        let mut bytes = vec![0x1c; 65];
        bytes.extend(std::iter::repeat_n(0, 66));
        let mut r = reader(&bytes);
        let err = r.skip(WireType::Struct).unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::DepthLimit);
    }

    #[test]
    fn deep_nesting_past_the_inline_stack_when_the_limit_allows_it() {
        let limits = Limits::default().with_recursion_limit(200);
        let mut bytes = vec![0x1c; 150];
        bytes.extend(std::iter::repeat_n(0, 151));
        let mut r = CompactReader::new(Bytes::from(bytes), limits);
        r.skip(WireType::Struct).unwrap();
        assert_eq!(r.remaining(), 0);
    }
}
