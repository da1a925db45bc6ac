//! SimpleJSON, Apache's `TSimpleJSONProtocol`: readable JSON for scripts, logs and
//! dashboards, written and never read. Fields are keyed by name and values carry no type,
//! so the bytes cannot be decoded back into Thrift values; Apache's Python and Java
//! implementations refuse to read it too.
//!
//! ```text
//! struct      | {"name":value,"name":value} |   (unset optional fields left out; none: {})
//! list, set   | [elem,elem] |
//! map         | {key:value,key:value} |         (a number, bool or double key in quotes: {"1":2})
//! bool        | 1 or 0 |
//! i8 ... i64  | decimal (an enum: its number) |
//! double      | Python's str(): 0.1, 1.0, -0.0, 1e-05, 1e+16; nan, inf, -inf bare |
//! string      | "..." UTF-8; only " \ \b \f \n \r \t are escaped |
//! binary      | "..." standard base64, padded |
//! uuid        | "00112233-4455-6677-8899-aabbccddeeff" |
//! message     | the body alone: no name, type or sequence id |
//! ```
//!
//! The bytes are those of Apache's Python library (python3-thrift 0.17), checked against it
//! for every type of Apache's `ThriftTest.thrift`, with Python's quirks kept so the two stay
//! interchangeable: a non-finite double is a bare `nan`, `inf` or `-inf`, and a struct, list
//! or map used as a map key is written as it is; neither is valid JSON. A message is its
//! body alone, as Python writes it (Apache's Java and Go SimpleJSON put the name, type and
//! sequence id in an array around it). A `uuid` is written as Apache's later Python
//! libraries write it (0.17 has none).
//!
//! ```
//! use std::collections::BTreeMap;
//! use thrift_tower::protocol::json::simple;
//!
//! let scores = BTreeMap::from([(1i32, vec![0.5f64, -0.0]), (2, vec![])]);
//! assert_eq!(&simple::encode(&scores)?[..], br#"{"1":[0.5,-0.0],"2":[]}"#);
//!
//! // It cannot be read back.
//! let refused = simple::decode::<BTreeMap<i32, Vec<f64>>>(simple::encode(&scores)?).unwrap_err();
//! assert!(refused.to_string().contains("SimpleJSON is write-only"));
//! # Ok::<(), thrift_tower::ProtocolError>(())
//! ```

use bytes::{BufMut, Bytes, BytesMut};

use super::base64::put_base64;
use super::context::{Contexts, Ctx};
use super::number::NumBuf;
use super::string::{put_json_string, quoted_uuid};
use crate::protocol::error::{ProtocolError, ProtocolErrorKind};
use crate::protocol::header::MessageHeader;
use crate::protocol::traits::{ProtocolWriter, Thrift};
use crate::protocol::wire::WireType;

/// Writes SimpleJSON into any [`BufMut`], byte for byte as Apache's Python
/// `TSimpleJSONProtocol` does (see [the module](self)).
#[derive(Debug)]
pub struct SimpleJsonWriter<B> {
    buf: B,
    ctx: Contexts,
}

impl<B: BufMut> SimpleJsonWriter<B> {
    /// A writer appending to `buf`.
    pub fn new(buf: B) -> Self {
        SimpleJsonWriter {
            buf,
            ctx: Contexts::new(),
        }
    }

    /// The buffer written to.
    pub fn into_inner(self) -> B {
        self.buf
    }

    /// Writes the separator the context puts before the next value; returns whether that
    /// value is an object key, which Python quotes when it is a number.
    fn begin_value(&mut self) -> bool {
        let (separator, key) = self.ctx.advance();
        if separator != 0 {
            self.buf.put_u8(separator);
        }
        key
    }

    fn begin(&mut self, open: u8, ctx: Ctx) {
        self.begin_value();
        self.buf.put_u8(open);
        self.ctx.push(ctx);
    }

    fn end(&mut self, close: u8) -> Result<(), ProtocolError> {
        self.ctx.pop()?;
        self.buf.put_u8(close);
        Ok(())
    }

    /// Writes a number's text, in quotes where it is an object key.
    fn write_number(&mut self, num: &NumBuf) {
        let quoted = self.begin_value();
        if quoted {
            self.buf.put_u8(b'"');
        }
        self.buf.put_slice(num.as_bytes());
        if quoted {
            self.buf.put_u8(b'"');
        }
    }

    fn write_integer(&mut self, value: i64) {
        let mut num = NumBuf::new();
        num.push_integer(value);
        self.write_number(&num);
    }
}

impl<B: BufMut> ProtocolWriter for SimpleJsonWriter<B> {
    /// Writes nothing, as Python's: a message is its body alone. Starts afresh, so a
    /// writer reused for another message writes it as if new.
    fn write_message_begin(&mut self, _header: &MessageHeader) -> Result<(), ProtocolError> {
        self.ctx.reset();
        Ok(())
    }

    fn write_message_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    fn write_struct_begin(&mut self, _name: &str) -> Result<(), ProtocolError> {
        self.begin(b'{', Ctx::PairFirst);
        Ok(())
    }

    fn write_struct_end(&mut self) -> Result<(), ProtocolError> {
        self.end(b'}')
    }

    /// Writes the field's name as the key of its value.
    fn write_field_begin(
        &mut self,
        name: &str,
        _wire_type: WireType,
        _id: i16,
    ) -> Result<(), ProtocolError> {
        self.write_string(name)
    }

    fn write_field_end(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    fn write_field_stop(&mut self) -> Result<(), ProtocolError> {
        Ok(())
    }

    fn write_list_begin(&mut self, _element: WireType, _len: usize) -> Result<(), ProtocolError> {
        self.begin(b'[', Ctx::ListFirst);
        Ok(())
    }

    fn write_list_end(&mut self) -> Result<(), ProtocolError> {
        self.end(b']')
    }

    fn write_set_begin(&mut self, _element: WireType, _len: usize) -> Result<(), ProtocolError> {
        self.begin(b'[', Ctx::ListFirst);
        Ok(())
    }

    fn write_set_end(&mut self) -> Result<(), ProtocolError> {
        self.end(b']')
    }

    fn write_map_begin(
        &mut self,
        _key: WireType,
        _value: WireType,
        _len: usize,
    ) -> Result<(), ProtocolError> {
        self.begin(b'{', Ctx::PairFirst);
        Ok(())
    }

    fn write_map_end(&mut self) -> Result<(), ProtocolError> {
        self.end(b'}')
    }

    fn write_bool(&mut self, value: bool) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    fn write_i8(&mut self, value: i8) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    fn write_i16(&mut self, value: i16) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    fn write_i32(&mut self, value: i32) -> Result<(), ProtocolError> {
        self.write_integer(value.into());
        Ok(())
    }

    fn write_i64(&mut self, value: i64) -> Result<(), ProtocolError> {
        self.write_integer(value);
        Ok(())
    }

    /// Python's `str()` of the double; `nan`, `inf` and `-inf` too (bare, as Python
    /// writes them, unless they are a map key).
    fn write_double(&mut self, value: f64) -> Result<(), ProtocolError> {
        let mut num = NumBuf::new();
        num.push_python_float(value);
        self.write_number(&num);
        Ok(())
    }

    fn write_uuid(&mut self, value: &[u8; 16]) -> Result<(), ProtocolError> {
        self.begin_value();
        self.buf.put_slice(&quoted_uuid(value));
        Ok(())
    }

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

/// Encodes `value` as SimpleJSON.
pub fn encode<T: Thrift>(value: &T) -> Result<Bytes, ProtocolError> {
    let mut buf = BytesMut::new();
    value.write(&mut SimpleJsonWriter::new(&mut buf))?;
    Ok(buf.freeze())
}

/// Encodes a message whose body is `body` as SimpleJSON: the body alone, as Apache's Python
/// library writes a message (`header` leaves no trace).
pub fn encode_message<T: Thrift>(header: &MessageHeader, body: &T) -> Result<Bytes, ProtocolError> {
    let mut buf = BytesMut::new();
    let mut w = SimpleJsonWriter::new(&mut buf);
    w.write_message_begin(header)?;
    body.write(&mut w)?;
    w.write_message_end()?;
    Ok(buf.freeze())
}

/// Refuses to decode: SimpleJSON is write-only. It names fields instead of numbering them
/// and gives values no type, so a reader cannot tell what the bytes hold; Apache's Python
/// and Java `TSimpleJSONProtocol` refuse to read too (Python raises `NotImplementedError`).
/// Read [the JSON protocol](crate::protocol::Protocol::Json) instead.
///
/// Always fails, with a [`ProtocolErrorKind::NotImplemented`] error.
pub fn decode<T: Thrift>(bytes: Bytes) -> Result<T, ProtocolError> {
    let _ = bytes;
    Err(ProtocolError::new(
        ProtocolErrorKind::NotImplemented,
        "SimpleJSON is write-only: it keys fields by name and gives values no type, so it \
         cannot be read back (Apache's Python TSimpleJSONProtocol cannot either); use the \
         JSON protocol to read and write",
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use super::*;
    use crate::protocol::header::MessageType;

    fn written(write: impl FnOnce(&mut SimpleJsonWriter<&mut Vec<u8>>)) -> String {
        let mut buf = Vec::new();
        write(&mut SimpleJsonWriter::new(&mut buf));
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn doubles_as_python_str_writes_them() {
        let cases: [(f64, &str); 22] = [
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (1.0, "1.0"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1.0 / 3.0, "0.3333333333333333"),
            (123.456, "123.456"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (1.5e16, "1.5e+16"),
            (1e-4, "0.0001"),
            (1.5e-4, "0.00015"),
            (1e-5, "1e-05"),
            (1e300, "1e+300"),
            (5e-324, "5e-324"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"),
            (f64::MAX, "1.7976931348623157e+308"),
            (-f64::MAX, "-1.7976931348623157e+308"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for (value, text) in cases {
            let mut num = NumBuf::new();
            num.push_python_float(value);
            assert_eq!(
                std::str::from_utf8(num.as_bytes()).unwrap(),
                text,
                "{value:e}"
            );
        }
    }

    #[test]
    fn keys_are_quoted_values_are_not() {
        let map = BTreeMap::from([(-1i64, true), (7, false)]);
        assert_eq!(&encode(&map).unwrap()[..], br#"{"-1":1,"7":0}"#);
        let out = written(|w| {
            w.write_map_begin(WireType::Double, WireType::Double, 2)
                .unwrap();
            w.write_double(f64::NAN).unwrap();
            w.write_double(f64::NAN).unwrap();
            w.write_double(-0.0).unwrap();
            w.write_bool(false).unwrap();
            w.write_map_end().unwrap();
        });
        assert_eq!(out, r#"{"nan":nan,"-0.0":0}"#);
        // Containers as keys, written as they are (as Python does: not JSON).
        let nested = BTreeMap::from([(BTreeSet::from([1, 2]), BTreeMap::from([(3, -3)]))]);
        assert_eq!(&encode(&nested).unwrap()[..], br#"{[1,2]:{"3":-3}}"#);
    }

    #[test]
    fn structs_are_keyed_by_field_name_and_messages_are_their_body() {
        let out = written(|w| {
            w.write_message_begin(&MessageHeader::new("m", MessageType::Call, 7))
                .unwrap();
            w.write_struct_begin("args").unwrap();
            w.write_field_begin("thing", WireType::String, 1).unwrap();
            w.write_string("a \"q\" \\ \u{1} é\n").unwrap();
            w.write_field_end().unwrap();
            w.write_field_begin("bin", WireType::String, 2).unwrap();
            w.write_binary(b"\x00\xff").unwrap();
            w.write_field_end().unwrap();
            w.write_field_begin("id", WireType::Uuid, 3).unwrap();
            w.write_uuid(&[0xab; 16]).unwrap();
            w.write_field_end().unwrap();
            w.write_field_begin("empty", WireType::Struct, 4).unwrap();
            w.write_struct_begin("E").unwrap();
            w.write_field_stop().unwrap();
            w.write_struct_end().unwrap();
            w.write_field_end().unwrap();
            w.write_field_stop().unwrap();
            w.write_struct_end().unwrap();
            w.write_message_end().unwrap();
            // The next message starts afresh: no comma before it.
            w.write_message_begin(&MessageHeader::new("m", MessageType::Call, 8))
                .unwrap();
            w.write_list_begin(WireType::I8, 0).unwrap();
            w.write_list_end().unwrap();
        });
        assert_eq!(
            out,
            "{\"thing\":\"a \\\"q\\\" \\\\ \u{1} é\\n\",\"bin\":\"AP8=\",\
             \"id\":\"abababab-abab-abab-abab-abababababab\",\"empty\":{}}[]"
        );
        let body = vec![i64::MIN, i64::MAX];
        let header = MessageHeader::new("m", MessageType::Reply, 1);
        assert_eq!(
            &encode_message(&header, &body).unwrap()[..],
            b"[-9223372036854775808,9223372036854775807]"
        );
    }

    #[test]
    fn decoding_is_refused_as_write_only() {
        let err = decode::<Vec<i32>>(Bytes::from_static(b"[1,2]")).unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::NotImplemented);
        assert!(
            err.to_string().contains("SimpleJSON is write-only"),
            "{err}"
        );
    }
}
