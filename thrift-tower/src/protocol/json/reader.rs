//! The JSON protocol's reader, [`JsonReader`]: a cursor over the input, the stack of
//! contexts that says which separator comes next, and the depth and size limits checked
//! before anything is allocated. Strings, numbers and base64 are decoded by their own
//! files; this one walks the JSON structure around them.

use bytes::Bytes;

use super::base64::decode_base64;
use super::context::{Contexts, Ctx};
use super::excerpt::{Excerpt, Found};
use super::number::{is_double_char, is_numeric, narrow, parse_double, parse_integer};
use super::string::{StrToken, scan_string, unescape};
use super::tags::{VERSION, tag_type};
use crate::bytestr::ByteStr;
use crate::protocol::error::{ProtocolError, ProtocolErrorKind};
use crate::protocol::header::{MessageHeader, MessageType};
use crate::protocol::input::Input;
use crate::protocol::input::{
    Cursor, Depth, check_container_len, check_message_size, check_string_limit,
};
use crate::protocol::limits::Limits;
use crate::protocol::traits::ProtocolReader;
use crate::protocol::wire::{FieldHeader, ListHeader, MapHeader, WireType};

/// The fewest bytes one list or set element takes after the header: a separator (or the
/// closing bracket) and at least one byte of value.
const MIN_ELEMENT_SIZE: usize = 2;
/// The fewest bytes one map entry takes after the header: a key of at least two bytes
/// (keys are strings, quoted numbers, objects or arrays), a colon, a value of at least one
/// byte, and a comma or the closing brace.
const MIN_ENTRY_SIZE: usize = 4;

/// Reads the JSON protocol from an [`Input`]: [`Bytes`] (where
/// [`read_byte_str`](ProtocolReader::read_byte_str) returns a string without escapes as a
/// shared slice) or `&[u8]`.
#[derive(Debug)]
pub struct JsonReader<I = Bytes> {
    cursor: Cursor<I>,
    ctx: Contexts,
    depth: Depth,
    limits: Limits,
}

impl<I: Input> JsonReader<I> {
    /// A reader of `input` within `limits`.
    pub fn new(input: I, limits: Limits) -> Self {
        JsonReader {
            cursor: Cursor::new(input),
            ctx: Contexts::new(),
            depth: Depth::new(limits.recursion_limit()),
            limits,
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

    /// Passes over JSON whitespace, which no Apache writer sends but JSON allows.
    #[inline]
    fn skip_ws(&mut self) -> Result<(), ProtocolError> {
        let n = self
            .cursor
            .rest()
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
        if n > 0 {
            self.cursor.skip(n, "whitespace")?;
        }
        Ok(())
    }

    /// Reads the byte `expected` (after any whitespace).
    #[inline]
    fn expect(&mut self, expected: u8, what: &'static str) -> Result<(), ProtocolError> {
        self.skip_ws()?;
        let at = self.cursor.position();
        let found = self.cursor.read_u8(what)?;
        if found != expected {
            return Err(unexpected(what, found, at));
        }
        Ok(())
    }

    /// Reads the separator that the context puts before the next value; returns whether
    /// that value is an object key.
    #[inline]
    fn begin_value(&mut self) -> Result<bool, ProtocolError> {
        let (separator, key) = self.ctx.advance();
        match separator {
            b',' => self.expect(b',', "',' between elements")?,
            b':' => self.expect(b':', "':' after a key")?,
            _ => {}
        }
        self.skip_ws()?;
        Ok(key)
    }

    fn begin_object(&mut self, what: &'static str) -> Result<(), ProtocolError> {
        self.begin_value()?;
        self.expect(b'{', what)?;
        self.ctx.push(Ctx::PairFirst);
        Ok(())
    }

    fn end_object(&mut self, what: &'static str) -> Result<(), ProtocolError> {
        self.expect(b'}', what)?;
        self.ctx.pop()
    }

    fn begin_array(&mut self, what: &'static str) -> Result<(), ProtocolError> {
        self.begin_value()?;
        self.expect(b'[', what)?;
        self.ctx.push(Ctx::ListFirst);
        Ok(())
    }

    fn end_array(&mut self, what: &'static str) -> Result<(), ProtocolError> {
        self.expect(b']', what)?;
        self.ctx.pop()
    }

    /// The length of the token at the cursor made of the bytes `accept` takes. A token
    /// that runs to the end of the input inside an array or object is cut short: more
    /// bytes must follow, so that is [`Eof`](ProtocolErrorKind::Eof).
    #[inline]
    fn token_len(
        &self,
        accept: impl Fn(u8) -> bool,
        what: &'static str,
    ) -> Result<usize, ProtocolError> {
        let rest = self.cursor.rest();
        let n = rest.iter().take_while(|&&b| accept(b)).count();
        if n == rest.len() && self.ctx.is_nested() {
            return Err(ProtocolError::eof(what));
        }
        if n == 0 {
            return Err(match rest.first() {
                Some(&found) => unexpected(what, found, self.cursor.position()),
                None => ProtocolError::eof(what),
            });
        }
        Ok(n)
    }

    /// Reads an integer, in quotes where it is an object key.
    fn read_integer(&mut self, what: &'static str) -> Result<i64, ProtocolError> {
        let key = self.begin_value()?;
        if key {
            self.expect(b'"', "'\"' before a number used as a key")?;
        }
        let at = self.cursor.position();
        let len = self.token_len(is_numeric, what)?;
        let token = self.cursor.read_slice(len, what)?;
        let value = parse_integer(token, what, at)?;
        if key {
            self.expect(b'"', "'\"' after a number used as a key")?;
        }
        Ok(value)
    }

    /// Reads a count, which must be non-negative.
    fn read_size(&mut self, what: &'static str) -> Result<usize, ProtocolError> {
        let at = self.cursor.position();
        let n = self.read_integer(what)?;
        usize::try_from(n).map_err(|_| {
            if n < 0 {
                ProtocolError::new(
                    ProtocolErrorKind::NegativeSize,
                    format!("negative {what} {n} near byte {at}"),
                )
            } else {
                ProtocolError::new(
                    ProtocolErrorKind::SizeLimit,
                    format!("{what} {n} near byte {at} does not fit in memory"),
                )
            }
        })
    }

    /// Reads the opening quote of a string value and finds its end; the cursor is left on
    /// the first byte of its contents.
    #[inline]
    fn begin_string(&mut self, what: &'static str) -> Result<StrToken, ProtocolError> {
        self.begin_value()?;
        self.expect(b'"', what)?;
        scan_string(self.cursor.rest(), self.cursor.position())
    }

    /// Reads a string's contents (after [`begin_string`](Self::begin_string)) and its
    /// closing quote, decoded.
    fn string_contents(&mut self, token: StrToken) -> Result<String, ProtocolError> {
        check_string_limit(token.decoded_len, &self.limits)?;
        let at = self.cursor.position();
        let raw = self.cursor.read_slice(token.raw_len, "string")?;
        let string = if token.escaped {
            let mut out = Vec::with_capacity(token.decoded_len);
            unescape(raw, at, &mut out)?;
            String::from_utf8(out).map_err(|_| bad_utf8(at))?
        } else {
            simdutf8::compat::from_utf8(raw)
                .map_err(|e| bad_utf8(at + e.valid_up_to()))?
                .to_owned()
        };
        self.cursor.skip(1, "closing quote")?;
        Ok(string)
    }

    fn read_type_tag(&mut self) -> Result<WireType, ProtocolError> {
        let token = self.begin_string("'\"' before a type name")?;
        let at = self.cursor.position();
        let raw = self.cursor.read_slice(token.raw_len, "type name")?;
        let wire_type = match token.escaped {
            false => tag_type(raw),
            true => None,
        };
        let wire_type = wire_type.ok_or_else(|| bad_tag(raw, at))?;
        self.cursor.skip(1, "closing quote")?;
        Ok(wire_type)
    }

    fn read_list_header(&mut self, what: &'static str) -> Result<ListHeader, ProtocolError> {
        self.depth.enter()?;
        self.begin_array(what)?;
        let element = self.read_type_tag()?;
        let len = self.read_size("element count")?;
        check_container_len(len, MIN_ELEMENT_SIZE, self.cursor.remaining(), &self.limits)?;
        Ok(ListHeader { element, len })
    }

    fn read_list_footer(&mut self) -> Result<(), ProtocolError> {
        self.end_array("']' (end of a list or set)")?;
        self.depth.leave();
        Ok(())
    }
}

#[cold]
fn bad_utf8(at: usize) -> ProtocolError {
    ProtocolError::invalid(format!("string at byte {at} is not valid UTF-8"))
}

#[cold]
fn bad_tag(tag: &[u8], at: usize) -> ProtocolError {
    ProtocolError::invalid(format!(
        "unknown type name {} at byte {at} (expected tf, i8, i16, i32, i64, dbl, str, rec, \
         map, set, lst or uid)",
        Excerpt(tag)
    ))
}

#[cold]
fn unexpected(expected: &str, found: u8, at: usize) -> ProtocolError {
    ProtocolError::invalid(format!(
        "expected {expected} at byte {at}, found {}",
        Found(found)
    ))
}

impl<I: Input> ProtocolReader for JsonReader<I> {
    fn read_message_begin(&mut self) -> Result<MessageHeader, ProtocolError> {
        check_message_size(self.cursor.remaining(), &self.limits)?;
        self.ctx.reset();
        self.depth = Depth::new(self.limits.recursion_limit());
        self.begin_array("'[' (start of a message)")?;
        let at = self.cursor.position();
        let version = self.read_integer("protocol version")?;
        if version != VERSION {
            return Err(ProtocolError::new(
                ProtocolErrorKind::BadVersion,
                format!("JSON protocol version {version} near byte {at} (expected {VERSION})"),
            ));
        }
        let name = self.read_byte_str()?;
        let at = self.cursor.position();
        let code = self.read_integer("message type")?;
        let message_type = MessageType::from_code(narrow(code, "a message type", at)?)?;
        let at = self.cursor.position();
        let seqid = narrow(self.read_integer("sequence id")?, "i32", at)?;
        Ok(MessageHeader {
            name,
            message_type,
            seqid,
        })
    }

    #[inline]
    fn read_message_end(&mut self) -> Result<(), ProtocolError> {
        self.end_array("']' (end of a message)")
    }

    #[inline]
    fn read_struct_begin(&mut self) -> Result<(), ProtocolError> {
        self.depth.enter()?;
        self.begin_object("'{' (start of a struct)")
    }

    #[inline]
    fn read_struct_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object("'}' (end of a struct)")?;
        self.depth.leave();
        Ok(())
    }

    fn read_field_begin(&mut self) -> Result<FieldHeader, ProtocolError> {
        self.skip_ws()?;
        match self.cursor.peek_u8() {
            None => return Err(ProtocolError::eof("a field or the end of a struct")),
            Some(b'}') => {
                return Ok(FieldHeader {
                    wire_type: WireType::Stop,
                    id: 0,
                });
            }
            Some(_) => {}
        }
        let at = self.cursor.position();
        let id = narrow(self.read_integer("field id")?, "a field id (i16)", at)?;
        self.begin_object("'{' (start of a field)")?;
        let wire_type = self.read_type_tag()?;
        Ok(FieldHeader { wire_type, id })
    }

    #[inline]
    fn read_field_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object("'}' (end of a field)")
    }

    #[inline]
    fn read_list_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        self.read_list_header("'[' (start of a list)")
    }

    #[inline]
    fn read_list_end(&mut self) -> Result<(), ProtocolError> {
        self.read_list_footer()
    }

    #[inline]
    fn read_set_begin(&mut self) -> Result<ListHeader, ProtocolError> {
        self.read_list_header("'[' (start of a set)")
    }

    #[inline]
    fn read_set_end(&mut self) -> Result<(), ProtocolError> {
        self.read_list_footer()
    }

    fn read_map_begin(&mut self) -> Result<MapHeader, ProtocolError> {
        self.depth.enter()?;
        self.begin_array("'[' (start of a map)")?;
        let key = self.read_type_tag()?;
        let value = self.read_type_tag()?;
        let len = self.read_size("entry count")?;
        self.begin_object("'{' (start of a map's entries)")?;
        check_container_len(len, MIN_ENTRY_SIZE, self.cursor.remaining(), &self.limits)?;
        Ok(MapHeader { key, value, len })
    }

    fn read_map_end(&mut self) -> Result<(), ProtocolError> {
        self.end_object("'}' (end of a map's entries)")?;
        self.end_array("']' (end of a map)")?;
        self.depth.leave();
        Ok(())
    }

    #[inline]
    fn read_bool(&mut self) -> Result<bool, ProtocolError> {
        // Apache writes 1 and 0 and reads any non-zero integer as true.
        Ok(self.read_integer("bool")? != 0)
    }

    #[inline]
    fn read_i8(&mut self) -> Result<i8, ProtocolError> {
        let at = self.cursor.position();
        narrow(self.read_integer("i8")?, "i8", at)
    }

    #[inline]
    fn read_i16(&mut self) -> Result<i16, ProtocolError> {
        let at = self.cursor.position();
        narrow(self.read_integer("i16")?, "i16", at)
    }

    #[inline]
    fn read_i32(&mut self) -> Result<i32, ProtocolError> {
        let at = self.cursor.position();
        narrow(self.read_integer("i32")?, "i32", at)
    }

    #[inline]
    fn read_i64(&mut self) -> Result<i64, ProtocolError> {
        self.read_integer("i64")
    }

    fn read_double(&mut self) -> Result<f64, ProtocolError> {
        let key = self.begin_value()?;
        let at = self.cursor.position();
        if self.cursor.peek_u8() == Some(b'"') {
            // A key, or a non-finite value: both are quoted.
            self.cursor.skip(1, "double")?;
            let token = scan_string(self.cursor.rest(), at + 1)?;
            let raw = self.cursor.read_slice(token.raw_len, "double")?;
            let value = match token.escaped {
                false => parse_double(raw, at)?,
                true => return Err(unexpected("a double", b'\\', at)),
            };
            if !key && value.is_finite() {
                return Err(ProtocolError::invalid(format!(
                    "double at byte {at} is quoted but is not a map key"
                )));
            }
            self.cursor.skip(1, "closing quote")?;
            Ok(value)
        } else {
            if key {
                self.expect(b'"', "'\"' before a number used as a key")?;
            }
            let len = self.token_len(is_double_char, "double")?;
            parse_double(self.cursor.read_slice(len, "double")?, at)
        }
    }

    fn read_uuid(&mut self) -> Result<[u8; 16], ProtocolError> {
        let token = self.begin_string("'\"' before a uuid")?;
        let at = self.cursor.position();
        let raw = self.cursor.read_slice(token.raw_len, "uuid")?;
        let uuid = parse_uuid(raw).ok_or_else(|| {
            ProtocolError::invalid(format!(
                "expected a uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx) at byte {at}, found {}",
                Excerpt(raw)
            ))
        })?;
        self.cursor.skip(1, "closing quote")?;
        Ok(uuid)
    }

    #[inline]
    fn read_string(&mut self) -> Result<String, ProtocolError> {
        let token = self.begin_string("'\"' before a string")?;
        self.string_contents(token)
    }

    fn read_byte_str(&mut self) -> Result<ByteStr, ProtocolError> {
        let token = self.begin_string("'\"' before a string")?;
        if token.escaped {
            return self.string_contents(token).map(ByteStr::from);
        }
        check_string_limit(token.raw_len, &self.limits)?;
        let at = self.cursor.position();
        let bytes = self.cursor.read_shared(token.raw_len, "string")?;
        let string = ByteStr::utf8_bytes(bytes).ok_or_else(|| bad_utf8(at))?;
        self.cursor.skip(1, "closing quote")?;
        Ok(string)
    }

    fn read_binary(&mut self) -> Result<Bytes, ProtocolError> {
        let token = self.begin_string("'\"' before base64 binary")?;
        let at = self.cursor.position();
        let raw = self.cursor.read_slice(token.raw_len, "binary")?;
        let bytes = if token.escaped {
            // Only a writer that escapes '/' as "\/" would do this; no Apache one does.
            let mut text = Vec::with_capacity(token.decoded_len);
            unescape(raw, at, &mut text)?;
            decode_base64(&text, at, &self.limits)?
        } else {
            decode_base64(raw, at, &self.limits)?
        };
        self.cursor.skip(1, "closing quote")?;
        Ok(Bytes::from(bytes))
    }

    /// Passes over a string or base64 binary, checking its escapes but decoding nothing.
    /// The string limit is not applied: it bounds what is allocated, and this allocates
    /// nothing.
    fn skip_string(&mut self) -> Result<(), ProtocolError> {
        let token = self.begin_string("'\"' before a string")?;
        self.cursor.skip(token.raw_len + 1, "string")
    }
}

/// A uuid's 16 bytes from its canonical text, hex digits of either case.
fn parse_uuid(text: &[u8]) -> Option<[u8; 16]> {
    let text: &[u8; 36] = text.try_into().ok()?;
    let mut out = [0u8; 16];
    let mut digits = text
        .iter()
        .enumerate()
        .filter(|&(i, _)| !matches!(i, 8 | 13 | 18 | 23))
        .map(|(_, &b)| char::from(b).to_digit(16));
    for byte in &mut out {
        let high = digits.next()??;
        let low = digits.next()??;
        *byte = (high << 4 | low) as u8;
    }
    [8, 13, 18, 23]
        .iter()
        .all(|&i| text[i] == b'-')
        .then_some(out)
}

#[cfg(test)]
mod tests;
