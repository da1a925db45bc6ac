//! The JSON protocol's writer, [`JsonWriter`]: the bytes of Apache's Python library
//! (non-finite doubles aside), with the separators a stack of contexts decides. Strings,
//! numbers and base64 are formatted by their own files; this one lays out the JSON
//! structure around them.

use bytes::BufMut;

use super::base64::put_base64;
use super::context::{Contexts, Ctx};
use super::number::NumBuf;
use super::string::{put_json_string, quoted_uuid};
use super::tags::{VERSION, type_tag};
use crate::protocol::error::ProtocolError;
use crate::protocol::header::MessageHeader;
use crate::protocol::input::wire_len;
use crate::protocol::traits::ProtocolWriter;
use crate::protocol::wire::WireType;

/// Writes the JSON protocol into any [`BufMut`] (a `&mut BytesMut`, a `&mut Vec<u8>`...),
/// byte for byte as Apache's Python library does (see the [module docs](super) for the
/// one exception, non-finite doubles).
#[derive(Debug)]
pub struct JsonWriter<B> {
    buf: B,
    ctx: Contexts,
}

impl<B: BufMut> JsonWriter<B> {
    /// A writer appending to `buf`.
    pub fn new(buf: B) -> Self {
        JsonWriter {
            buf,
            ctx: Contexts::new(),
        }
    }

    /// The buffer written to.
    pub fn into_inner(self) -> B {
        self.buf
    }

    /// Writes the separator that the context puts before the next value; returns whether
    /// that value is an object key.
    #[inline]
    fn begin_value(&mut self) -> bool {
        let (separator, key) = self.ctx.advance();
        if separator != 0 {
            self.buf.put_u8(separator);
        }
        key
    }

    #[inline]
    fn begin_object(&mut self) {
        self.begin_value();
        self.buf.put_u8(b'{');
        self.ctx.push(Ctx::PairFirst);
    }

    #[inline]
    fn end_object(&mut self) -> Result<(), ProtocolError> {
        self.ctx.pop()?;
        self.buf.put_u8(b'}');
        Ok(())
    }

    #[inline]
    fn begin_array(&mut self) {
        self.begin_value();
        self.buf.put_u8(b'[');
        self.ctx.push(Ctx::ListFirst);
    }

    #[inline]
    fn end_array(&mut self) -> Result<(), ProtocolError> {
        self.ctx.pop()?;
        self.buf.put_u8(b']');
        Ok(())
    }

    /// Writes an integer, in quotes where it is an object key.
    #[inline]
    fn write_integer(&mut self, value: i64) {
        let key = self.begin_value();
        let mut num = NumBuf::new();
        num.push_integer(value);
        self.put_number(key, num.as_bytes());
    }

    #[inline]
    fn put_number(&mut self, quoted: bool, number: &[u8]) {
        if quoted {
            self.buf.put_u8(b'"');
            self.buf.put_slice(number);
            self.buf.put_u8(b'"');
        } else {
            self.buf.put_slice(number);
        }
    }

    /// Writes a value already in its JSON form (a type tag, a quoted name).
    #[inline]
    fn write_literal(&mut self, literal: &[u8]) {
        self.begin_value();
        self.buf.put_slice(literal);
    }

    fn write_list_header(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        let len = wire_len(len)?;
        let tag = type_tag(element)?;
        self.begin_array();
        self.write_literal(tag);
        self.write_integer(len.into());
        Ok(())
    }
}

impl<B: BufMut> ProtocolWriter for JsonWriter<B> {
    fn write_message_begin(&mut self, header: &MessageHeader) -> Result<(), ProtocolError> {
        self.ctx.reset();
        self.begin_array();
        self.write_integer(VERSION);
        self.write_string(&header.name)?;
        self.write_integer(header.message_type.code().into());
        self.write_integer(header.seqid.into());
        Ok(())
    }

    #[inline]
    fn write_message_end(&mut self) -> Result<(), ProtocolError> {
        self.end_array()
    }

    #[inline]
    fn write_struct_begin(&mut self, _name: &str) -> Result<(), ProtocolError> {
        self.begin_object();
        Ok(())
    }

    #[inline]
    fn write_struct_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object()
    }

    #[inline]
    fn write_field_begin(
        &mut self,
        _name: &str,
        wire_type: WireType,
        id: i16,
    ) -> Result<(), ProtocolError> {
        let tag = type_tag(wire_type)?;
        self.write_integer(id.into());
        self.begin_object();
        self.write_literal(tag);
        Ok(())
    }

    #[inline]
    fn write_field_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object()
    }

    #[inline]
    fn write_field_stop(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    #[inline]
    fn write_list_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        self.write_list_header(element, len)
    }

    #[inline]
    fn write_list_end(&mut self) -> Result<(), ProtocolError> {
        self.end_array()
    }

    #[inline]
    fn write_set_begin(&mut self, element: WireType, len: usize) -> Result<(), ProtocolError> {
        self.write_list_header(element, len)
    }

    #[inline]
    fn write_set_end(&mut self) -> Result<(), ProtocolError> {
        self.end_array()
    }

    fn write_map_begin(
        &mut self,
        key: WireType,
        value: WireType,
        len: usize,
    ) -> Result<(), ProtocolError> {
        let len = wire_len(len)?;
        let (key, value) = (type_tag(key)?, type_tag(value)?);
        self.begin_array();
        self.write_literal(key);
        self.write_literal(value);
        self.write_integer(len.into());
        self.begin_object();
        Ok(())
    }

    #[inline]
    fn write_map_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object()?;
        self.end_array()
    }

    #[inline]
    fn write_bool(&mut self, value: bool) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    #[inline]
    fn write_i8(&mut self, value: i8) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    #[inline]
    fn write_i16(&mut self, value: i16) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    #[inline]
    fn write_i32(&mut self, value: i32) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    #[inline]
    fn write_i64(&mut self, value: i64) -> Result<(), ProtocolError> {
        self.write_integer(value);
        Ok(())
    }

    fn write_double(&mut self, value: f64) -> Result<(), ProtocolError> {
        // Non-finite values are quoted names wherever they stand, as C++ and Java write
        // them (Python's bare nan/inf is not JSON; see the module docs).
        if value.is_nan() {
            self.write_literal(b"\"NaN\"");
        } else if value == f64::INFINITY {
            self.write_literal(b"\"Infinity\"");
        } else if value == f64::NEG_INFINITY {
            self.write_literal(b"\"-Infinity\"");
        } else {
            let key = self.begin_value();
            let mut num = NumBuf::new();
            num.push_double(value);
            self.put_number(key, num.as_bytes());
        }
        Ok(())
    }

    fn write_uuid(&mut self, value: &[u8; 16]) -> Result<(), ProtocolError> {
        self.begin_value();
        self.buf.put_slice(&quoted_uuid(value));
        Ok(())
    }

    #[inline]
    fn write_string(&mut self, value: &str) -> Result<(), ProtocolError> {
        self.begin_value();
        put_json_string(&mut self.buf, value.as_bytes());
        Ok(())
    }

    fn write_binary(&mut self, value: &[u8]) -> Result<(), ProtocolError> {
        self.begin_value();
        self.buf.put_u8(b'"');
        put_base64(&mut self.buf, value);
        self.buf.put_u8(b'"');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::header::MessageType;
    use crate::protocol::json::test_support::show;

    #[test]
    fn writer_into_inner_and_reuse() {
        let mut w = JsonWriter::new(Vec::new());
        w.write_message_begin(&MessageHeader::new("a", MessageType::Reply, 1))
            .unwrap();
        w.write_struct_begin("r").unwrap();
        w.write_field_begin("success", WireType::String, 0).unwrap();
        w.write_string("ok").unwrap();
        w.write_field_end().unwrap();
        w.write_field_stop().unwrap();
        w.write_struct_end().unwrap();
        w.write_message_end().unwrap();
        // A new message starts from a clean context, as Apache's writers do.
        w.write_message_begin(&MessageHeader::new("b", MessageType::Exception, 2))
            .unwrap();
        assert_eq!(
            show(&w.into_inner()),
            r#"[1,"a",2,1,{"0":{"str":"ok"}}][1,"b",3,2"#
        );
    }
}
