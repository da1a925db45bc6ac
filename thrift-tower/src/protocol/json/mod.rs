//! The JSON protocol, Apache's `TJSONProtocol`: every value a JSON token, containers
//! self-describing with type names and counts, struct fields keyed by id.
//!
//! ```text
//! message     | [1,"name",type,seqid,body] |               (1 is the protocol version)
//! struct      | {"id":{"tag":value},"id":{"tag":value}} |  (no field: {})
//! list, set   | ["tag",count,elem,elem] |
//! map         | ["ktag","vtag",count,{key:value,key:value}] |
//! bool        | 1 or 0 |
//! i8 ... i64  | decimal |
//! double      | 17 significant digits, C's %.17g: 0.10000000000000001, 1e+17, -0 |
//!             | "NaN", "Infinity", "-Infinity", always quoted |
//! string      | "..." UTF-8; only " \ \b \f \n \r \t are escaped |
//! binary      | "..." standard base64, padded |
//! uuid        | "00112233-4455-6677-8899-aabbccddeeff" |
//!
//! type tags   | tf i8 i16 i32 i64 dbl str rec map set lst uid |
//! ```
//!
//! A JSON object's keys must be strings, so a number in key position (a field id, a map
//! key) is written in quotes: `{"1":{"i32":-5}}`, `["i32","dbl",1,{"7":0.5}]`. A struct, list
//! or map used as a map key is written as it is, as Apache's libraries do.
//!
//! The writer's bytes are those of Apache's Python library (`python3-thrift` 0.17) with
//! one exception: Python writes a non-finite double as a bare `nan`, `inf` or `-inf`,
//! which no JSON parser or Apache reader (Python's own included) accepts; this writer
//! sends the quoted names Apache's C++ and Java libraries send.
//!
//! The reader accepts what every Apache implementation writes: Java's doubles (`1.0`,
//! `1.0E10`, `-0.0`), unpadded base64, `\uXXXX` escapes in either case (UTF-16 surrogate
//! pairs joined; a lone surrogate is an error), `\/`, Python's bare `nan`, `inf` and `-inf`,
//! and JSON whitespace between tokens. It is otherwise strict: bad tags, bad escapes, bad
//! base64, integers out of their type's range and invalid UTF-8 are errors.

mod base64;
mod number;

use bytes::{BufMut, Bytes};

use self::base64::{decode_base64, put_base64};
use self::number::{NumBuf, is_double_char, is_numeric, narrow, parse_double, parse_integer};
use crate::bytestr::ByteStr;
use crate::protocol::error::{ProtocolError, ProtocolErrorKind};
use crate::protocol::header::{MessageHeader, MessageType};
use crate::protocol::input::Input;
use crate::protocol::input::{
    Cursor, Depth, check_container_len, check_message_size, check_string_limit, wire_len,
};
use crate::protocol::limits::Limits;
use crate::protocol::traits::{ProtocolReader, ProtocolWriter};
use crate::protocol::wire::{FieldHeader, ListHeader, MapHeader, WireType};

/// The protocol version, the first element of every message (`VERSION` in Apache's sources).
const VERSION: i64 = 1;

/// The fewest bytes one list or set element takes after the header: a separator (or the
/// closing bracket) and at least one byte of value.
const MIN_ELEMENT_SIZE: usize = 2;
/// The fewest bytes one map entry takes after the header: a key of at least two bytes
/// (keys are strings, quoted numbers, objects or arrays), a colon, a value of at least one
/// byte, and a comma or the closing brace.
const MIN_ENTRY_SIZE: usize = 4;

/// How many enclosing JSON contexts a reader or writer keeps without allocating: a struct
/// takes two levels (its object and a field's), so this covers 64 nested structs.
const INLINE_CONTEXTS: usize = 128;

/// The type tag of a wire type, quoted, as it is written.
fn type_tag(wire_type: WireType) -> Result<&'static [u8], ProtocolError> {
    Ok(match wire_type {
        WireType::Bool => b"\"tf\"",
        WireType::I8 => b"\"i8\"",
        WireType::I16 => b"\"i16\"",
        WireType::I32 => b"\"i32\"",
        WireType::I64 => b"\"i64\"",
        WireType::Double => b"\"dbl\"",
        WireType::String => b"\"str\"",
        WireType::Struct => b"\"rec\"",
        WireType::Map => b"\"map\"",
        WireType::Set => b"\"set\"",
        WireType::List => b"\"lst\"",
        WireType::Uuid => b"\"uid\"",
        WireType::Stop | WireType::Void => {
            return Err(ProtocolError::new(
                ProtocolErrorKind::NotImplemented,
                format!("the JSON protocol has no type name for {wire_type}"),
            ));
        }
    })
}

/// The wire type of an (unquoted) type tag.
fn tag_type(tag: &[u8]) -> Option<WireType> {
    Some(match tag {
        b"tf" => WireType::Bool,
        b"i8" => WireType::I8,
        b"i16" => WireType::I16,
        b"i32" => WireType::I32,
        b"i64" => WireType::I64,
        b"dbl" => WireType::Double,
        b"str" => WireType::String,
        b"rec" => WireType::Struct,
        b"map" => WireType::Map,
        b"set" => WireType::Set,
        b"lst" => WireType::List,
        b"uid" => WireType::Uuid,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------
// JSON contexts

/// Where the next JSON value goes, which decides the separator before it and whether a
/// number must be quoted (Apache's `JSONListContext` and `JSONPairContext`, as one state).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Outside any array or object.
    Top,
    /// The first element of an array.
    ListFirst,
    /// A later element of an array, after a comma.
    List,
    /// The first key of an object.
    PairFirst,
    /// A value of an object, after a colon.
    PairValue,
    /// A later key of an object, after a comma.
    PairKey,
}

impl Ctx {
    /// Moves past one value: the separator that precedes it (0 for none) and whether it is
    /// an object key.
    #[inline]
    fn advance(&mut self) -> (u8, bool) {
        match *self {
            Ctx::Top => (0, false),
            Ctx::ListFirst => {
                *self = Ctx::List;
                (0, false)
            }
            Ctx::List => (b',', false),
            Ctx::PairFirst => {
                *self = Ctx::PairValue;
                (0, true)
            }
            Ctx::PairValue => {
                *self = Ctx::PairKey;
                (b':', false)
            }
            Ctx::PairKey => {
                *self = Ctx::PairValue;
                (b',', true)
            }
        }
    }
}

/// The stack of enclosing contexts: inline for the first [`INLINE_CONTEXTS`] levels, so the
/// common case never allocates. Its depth is bounded by the recursion limit on reads (each
/// struct or container enters at most two levels).
struct Contexts {
    current: Ctx,
    len: usize,
    inline: [Ctx; INLINE_CONTEXTS],
    spill: Vec<Ctx>,
}

impl Contexts {
    fn new() -> Self {
        Contexts {
            current: Ctx::Top,
            len: 0,
            inline: [Ctx::Top; INLINE_CONTEXTS],
            spill: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.current = Ctx::Top;
        self.len = 0;
        self.spill.clear();
    }

    #[inline]
    fn advance(&mut self) -> (u8, bool) {
        self.current.advance()
    }

    /// Whether a value is inside an array or object, so that more bytes must follow it.
    #[inline]
    fn is_nested(&self) -> bool {
        self.len > 0
    }

    #[inline]
    fn push(&mut self, ctx: Ctx) {
        match self.inline.get_mut(self.len) {
            Some(slot) => *slot = self.current,
            None => self.spill.push(self.current),
        }
        self.len += 1;
        self.current = ctx;
    }

    #[inline]
    fn pop(&mut self) -> Result<(), ProtocolError> {
        if self.len == 0 {
            return Err(unbalanced());
        }
        self.len -= 1;
        self.current = match self.inline.get(self.len) {
            Some(&ctx) => ctx,
            None => self.spill.pop().unwrap_or(Ctx::Top),
        };
        Ok(())
    }
}

impl std::fmt::Debug for Contexts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Contexts")
            .field("current", &self.current)
            .field("enclosing", &self.len)
            .finish()
    }
}

#[cold]
fn unbalanced() -> ProtocolError {
    ProtocolError::invalid("a struct, container or message ended that was never begun")
}

// ---------------------------------------------------------------------------------------
// Reading

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

/// A JSON string found in the input, its opening quote already read.
#[derive(Debug, Clone, Copy)]
struct StrToken {
    /// Bytes between the quotes, as they are in the input.
    raw_len: usize,
    /// Bytes once escapes are decoded.
    decoded_len: usize,
    /// Whether there is any escape (otherwise the raw bytes are the string).
    escaped: bool,
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

/// Finds the end of the string whose contents start `rest` (at byte `at` of the input),
/// checking its escapes and measuring it decoded. Raw bytes are checked for UTF-8 later,
/// and only where the string is read as text.
fn scan_string(rest: &[u8], at: usize) -> Result<StrToken, ProtocolError> {
    let mut i = 0;
    let mut decoded_len = 0;
    let mut escaped = false;
    loop {
        let tail = rest.get(i..).unwrap_or_default();
        let Some(n) = tail.iter().position(|&b| b == b'"' || b == b'\\') else {
            return Err(ProtocolError::eof("a string"));
        };
        decoded_len += n;
        i += n;
        if rest.get(i) == Some(&b'"') {
            return Ok(StrToken {
                raw_len: i,
                decoded_len,
                escaped,
            });
        }
        let (c, len) = escape_at(rest.get(i..).unwrap_or_default(), at + i)?;
        decoded_len += c.len_utf8();
        i += len;
        escaped = true;
    }
}

/// Appends the contents of a string, already checked by [`scan_string`], with its escapes
/// decoded.
fn unescape(raw: &[u8], at: usize, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
    let mut i = 0;
    loop {
        let tail = raw.get(i..).unwrap_or_default();
        let Some(n) = tail.iter().position(|&b| b == b'\\') else {
            out.extend_from_slice(tail);
            return Ok(());
        };
        out.extend_from_slice(&tail[..n]);
        i += n;
        let (c, len) = escape_at(raw.get(i..).unwrap_or_default(), at + i)?;
        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
        i += len;
    }
}

/// Decodes the escape sequence that starts `s` (with its backslash, at byte `at`): the
/// character it stands for and how many bytes it takes. A `\u` escape of a UTF-16 high
/// surrogate must be followed by one of a low surrogate.
fn escape_at(s: &[u8], at: usize) -> Result<(char, usize), ProtocolError> {
    let Some(&c) = s.get(1) else {
        return Err(ProtocolError::eof("an escape sequence"));
    };
    let c = match c {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => return unicode_escape(s, at),
        other => {
            return Err(ProtocolError::invalid(format!(
                "unknown escape sequence at byte {at}: '\\' followed by {}",
                Found(other)
            )));
        }
    };
    Ok((c, 2))
}

fn unicode_escape(s: &[u8], at: usize) -> Result<(char, usize), ProtocolError> {
    let unit = hex4(s.get(2..).unwrap_or_default(), at)?;
    let (code, len) = match unit {
        0xd800..=0xdbff => {
            let next = s.get(6..).unwrap_or_default();
            match next {
                [] | [b'\\'] => return Err(ProtocolError::eof("a UTF-16 surrogate pair")),
                [b'\\', b'u', ..] => {}
                _ => return Err(lone_surrogate(unit, at)),
            }
            let low = hex4(next.get(2..).unwrap_or_default(), at + 6)?;
            if !(0xdc00..=0xdfff).contains(&low) {
                return Err(lone_surrogate(unit, at));
            }
            (0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00), 12)
        }
        0xdc00..=0xdfff => return Err(lone_surrogate(unit, at)),
        _ => (unit, 6),
    };
    match char::from_u32(code) {
        Some(c) => Ok((c, len)),
        None => Err(lone_surrogate(unit, at)),
    }
}

/// The four hex digits (either case) that start `s`, of the `\u` escape at byte `at`.
fn hex4(s: &[u8], at: usize) -> Result<u32, ProtocolError> {
    let mut unit = 0;
    for i in 0..4 {
        let Some(&b) = s.get(i) else {
            return Err(ProtocolError::eof("a \\u escape"));
        };
        let Some(digit) = char::from(b).to_digit(16) else {
            return Err(ProtocolError::invalid(format!(
                "expected a hex digit in the \\u escape at byte {at}, found {}",
                Found(b)
            )));
        };
        unit = unit << 4 | digit;
    }
    Ok(unit)
}

#[cold]
fn lone_surrogate(unit: u32, at: usize) -> ProtocolError {
    ProtocolError::invalid(format!(
        "\\u{unit:04x} at byte {at} is half of a UTF-16 surrogate pair without its other half"
    ))
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

/// A byte in an error message: the character if it is printable ASCII, its value otherwise.
struct Found(u8);

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.0.is_ascii_graphic() || self.0 == b' ' {
            write!(f, "'{}'", char::from(self.0))
        } else {
            write!(f, "byte {:#04x}", self.0)
        }
    }
}

/// Input bytes in an error message: quoted, cut after 32 bytes.
struct Excerpt<'a>(&'a [u8]);

impl std::fmt::Display for Excerpt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const MAX: usize = 32;
        let shown = self.0.get(..MAX).unwrap_or(self.0);
        write!(f, "`{}`", String::from_utf8_lossy(shown).escape_debug())?;
        if self.0.len() > MAX {
            write!(f, " ({} bytes)", self.0.len())?;
        }
        Ok(())
    }
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
        let string = ByteStr::from_utf8(bytes).map_err(|_| bad_utf8(at))?;
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

// ---------------------------------------------------------------------------------------
// Writing

/// Writes the JSON protocol into any [`BufMut`] (a `&mut BytesMut`, a `&mut Vec<u8>`...),
/// byte for byte as Apache's Python library does (see the [module docs](self) for the
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

/// Writes `s` between quotes with the escapes Python's `TJSONProtocol` makes: `"`, `\`
/// and the five control characters JSON names; every other byte as it is.
fn put_json_string<B: BufMut>(buf: &mut B, s: &[u8]) {
    buf.put_u8(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            0x0c => b"\\f",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            _ => continue,
        };
        buf.put_slice(&s[start..i]);
        buf.put_slice(escape);
        start = i + 1;
    }
    buf.put_slice(&s[start..]);
    buf.put_u8(b'"');
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
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.begin_value();
        let mut text = [0u8; 38];
        let mut n = 0;
        text[n] = b'"';
        n += 1;
        for (i, &b) in value.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                text[n] = b'-';
                n += 1;
            }
            text[n] = HEX[usize::from(b >> 4)];
            text[n + 1] = HEX[usize::from(b & 15)];
            n += 2;
        }
        text[n] = b'"';
        self.buf.put_slice(&text);
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
    use std::collections::HashMap;

    use super::*;
    use crate::protocol::{Protocol, decode, encode};

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
        fn wire_type(&self) -> WireType {
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

        fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
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
        fn read_like<R: ProtocolReader>(&self, r: &mut R) -> Result<V, ProtocolError> {
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
    fn sample() -> V {
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

    #[test]
    fn message_header_layout() {
        // python3-thrift 0.17: writeMessageBegin('ping', CALL, 7), an empty struct, end.
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.write_message_begin(&MessageHeader::new("ping", MessageType::Call, 7))
            .unwrap();
        w.write_struct_begin("args").unwrap();
        w.write_field_stop().unwrap();
        w.write_struct_end().unwrap();
        w.write_message_end().unwrap();
        assert_eq!(show(&buf), r#"[1,"ping",1,7,{}]"#);

        let mut r = reader(&buf);
        let h = r.read_message_begin().unwrap();
        assert_eq!(h, MessageHeader::new("ping", MessageType::Call, 7));
        r.read_struct_begin().unwrap();
        assert_eq!(r.read_field_begin().unwrap().wire_type, WireType::Stop);
        r.read_struct_end().unwrap();
        r.read_message_end().unwrap();
        assert_eq!(r.remaining(), 0);

        let h = reader(br#"[1,"Calc:add",4,-2147483648,{}]"#)
            .read_message_begin()
            .unwrap();
        assert_eq!(
            h,
            MessageHeader::new("Calc:add", MessageType::Oneway, i32::MIN)
        );
    }

    #[test]
    fn bad_message_headers() {
        let err = reader(br#"[2,"ping",1,0,{}]"#)
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::BadVersion);
        assert_err(
            reader(br#"[1,"ping",5,0,{}]"#).read_message_begin(),
            ProtocolErrorKind::InvalidData,
        );
        assert_err(
            reader(br#"[1,"ping",257,0,{}]"#).read_message_begin(),
            ProtocolErrorKind::InvalidData,
        );
        assert_err(
            reader(br#"[1,"ping",1,2147483648,{}]"#).read_message_begin(),
            ProtocolErrorKind::InvalidData,
        );
        // A binary-protocol message sent to a JSON endpoint.
        let err = reader(b"\x80\x01\x00\x01\x00\x00\x00\x04ping")
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
        assert!(err.to_string().contains("at byte 0"), "{err}");
        let limits = Limits::default().with_max_message_size(10);
        let err = JsonReader::new(&br#"[1,"ping",1,7,{}]"#[..], limits)
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::SizeLimit);
    }

    #[test]
    fn every_base_type() {
        // python3-thrift 0.17, the same calls.
        let v = V::Struct(vec![
            (1, V::Bool(true)),
            (2, V::Bool(false)),
            (3, V::I8(-128)),
            (4, V::I16(32767)),
            (5, V::I32(i32::MIN)),
            (6, V::I64(i64::MAX)),
            (-7, V::I64(i64::MIN)),
            (8, V::Dbl(0.1)),
            (9, V::Str("h\u{e9}llo".into())),
            (10, V::Bin(vec![0, 255])),
        ]);
        assert_bytes(
            &v,
            "{\"1\":{\"tf\":1},\"2\":{\"tf\":0},\"3\":{\"i8\":-128},\"4\":{\"i16\":32767},\
             \"5\":{\"i32\":-2147483648},\"6\":{\"i64\":9223372036854775807},\
             \"-7\":{\"i64\":-9223372036854775808},\"8\":{\"dbl\":0.10000000000000001},\
             \"9\":{\"str\":\"h\u{e9}llo\"},\"10\":{\"str\":\"AP8=\"}}"
                .as_bytes(),
        );
    }

    #[test]
    fn uuid_is_its_canonical_text() {
        // The form and tag of Apache's Java and C++ libraries (Python 0.17 has no uuid).
        let uuid = *b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff";
        let v = V::Struct(vec![(1, V::Uuid(uuid))]);
        assert_bytes(
            &v,
            br#"{"1":{"uid":"00112233-4455-6677-8899-aabbccddeeff"}}"#,
        );
        let upper = reader(br#""00112233-4455-6677-8899-AABBCCDDEEFF""#).read_uuid();
        assert_eq!(upper.unwrap(), uuid);
        for bad in [
            &br#""00112233-4455-6677-8899-aabbccddeef""#[..],
            br#""00112233-4455-6677-8899-aabbccddeefg""#,
            br#""001122334455-6677-8899-aabbccddeeff-""#,
            br#""00112233445566778899aabbccddeeff""#,
            br#""{0112233-4455-6677-8899-aabbccddeef}""#,
        ] {
            assert_err(reader(bad).read_uuid(), ProtocolErrorKind::InvalidData);
        }
    }

    #[test]
    fn nested_containers() {
        // python3-thrift 0.17: list<map<string, set<i16>>>
        let v = V::List(
            WireType::Map,
            vec![
                V::Map(
                    WireType::String,
                    WireType::Set,
                    vec![
                        (
                            V::Str("a".into()),
                            V::Set(WireType::I16, vec![V::I16(1), V::I16(-2)]),
                        ),
                        (V::Str("b".into()), V::Set(WireType::I16, vec![])),
                    ],
                ),
                V::Map(WireType::I32, WireType::List, vec![]),
            ],
        );
        assert_bytes(
            &v,
            br#"["map",2,["str","set",2,{"a":["i16",2,1,-2],"b":["i16",0]}],["i32","lst",0,{}]]"#,
        );
    }

    #[test]
    fn map_keys_of_every_type() {
        // python3-thrift 0.17: numbers in key position are quoted; structs and lists are not.
        let map = |k, v, entries| V::Map(k, v, entries);
        use WireType as T;
        let v = V::List(
            T::Map,
            vec![
                map(
                    T::Bool,
                    T::Bool,
                    vec![
                        (V::Bool(true), V::Bool(false)),
                        (V::Bool(false), V::Bool(true)),
                    ],
                ),
                map(T::I8, T::I16, vec![(V::I8(-1), V::I16(2))]),
                map(T::I16, T::I32, vec![(V::I16(-300), V::I32(3))]),
                map(T::I32, T::I64, vec![(V::I32(70000), V::I64(-4))]),
                map(T::I64, T::Double, vec![(V::I64(-5000000000), V::Dbl(2.5))]),
                map(
                    T::Double,
                    T::String,
                    vec![
                        (V::Dbl(-0.0), V::Str("z".into())),
                        (V::Dbl(1e20), V::Str("".into())),
                    ],
                ),
                map(
                    T::String,
                    T::String,
                    vec![(V::Bin(vec![1, 2]), V::Str("\"\n".into()))],
                ),
                map(
                    T::Struct,
                    T::List,
                    vec![(
                        V::Struct(vec![(1, V::I32(1))]),
                        V::List(T::Bool, vec![V::Bool(true)]),
                    )],
                ),
                map(
                    T::List,
                    T::Map,
                    vec![(
                        V::List(T::String, vec![V::Str("k".into())]),
                        map(T::I8, T::I8, vec![]),
                    )],
                ),
            ],
        );
        assert_bytes(
            &v,
            br#"["map",9,["tf","tf",2,{"1":0,"0":1}],["i8","i16",1,{"-1":2}],["i16","i32",1,{"-300":3}],["i32","i64",1,{"70000":-4}],["i64","dbl",1,{"-5000000000":2.5}],["dbl","str",2,{"-0":"z","1e+20":""}],["str","str",1,{"AQI=":"\"\n"}],["rec","lst",1,{{"1":{"i32":1}}:["tf",1,1]}],["lst","map",1,{["str",1,"k"]:["i8","i8",0,{}]}]]"#,
        );
        // uuid keys are strings, like Apache's Java and C++.
        assert_bytes(
            &map(T::Uuid, T::Uuid, vec![(V::Uuid([1; 16]), V::Uuid([2; 16]))]),
            br#"["uid","uid",1,{"01010101-0101-0101-0101-010101010101":"02020202-0202-0202-0202-020202020202"}]"#,
        );
        // A number where a key must be quoted, or a quote where a value must not be.
        assert_err(
            read(
                &map(T::I32, T::I32, vec![(V::I32(1), V::I32(2))]),
                br#"["i32","i32",1,{1:2}]"#,
            ),
            ProtocolErrorKind::InvalidData,
        );
        assert_err(
            read(
                &map(T::I32, T::I32, vec![(V::I32(1), V::I32(2))]),
                br#"["i32","i32",1,{"1":"2"}]"#,
            ),
            ProtocolErrorKind::InvalidData,
        );
        assert_err(
            read(
                &map(T::Double, T::Double, vec![(V::Dbl(1.0), V::Dbl(2.0))]),
                br#"["dbl","dbl",1,{"1":"2"}]"#,
            ),
            ProtocolErrorKind::InvalidData,
        );
    }

    #[test]
    fn strings_and_escapes() {
        // python3-thrift 0.17 escapes only " \ \b \f \n \r \t; other control characters
        // and all non-ASCII go out raw.
        let v = V::List(
            WireType::String,
            vec![
                V::Str("q\"b\\s/\u{8}\u{c}\n\r\t.".into()),
                V::Str("\u{0}\u{1}\u{1f}\u{7f}".into()),
                V::Str("\u{e9}\u{20ac}\u{1f600}\u{2028}\u{10ffff}".into()),
                V::Str(String::new()),
            ],
        );
        assert_bytes(
            &v,
            b"[\"str\",4,\"q\\\"b\\\\s/\\b\\f\\n\\r\\t.\",\"\x00\x01\x1f\x7f\",\
              \"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xe2\x80\xa8\xf4\x8f\xbf\xbf\",\"\"]",
        );
    }

    #[test]
    fn reads_java_and_cpp_output() {
        // Java's Double.toString, unpadded base64, \u00XX escapes of control characters
        // (lowercase hex), escaped '/', and \u escapes of non-ASCII with surrogate pairs.
        let input = br#"[1,"testStruct",2,-1,{"0":{"rec":{"1":{"dbl":1.0E10},"2":{"lst":["dbl",5,1.0,-0.0,1.0E-5,4.9E-324,"NaN"]},"3":{"str":"AP8"},"4":{"str":"YWI"},"5":{"str":"\u0001\u001f\/\u00e9\ud83d\ude00\uD83D\uDE00\u20AC"},"6":{"map":["dbl","i64",1,{"1.5E300":-1}]}}}}]"#;
        let body = V::Struct(vec![(
            0,
            V::Struct(vec![
                (1, V::Dbl(1e10)),
                (
                    2,
                    V::List(
                        WireType::Double,
                        vec![
                            V::Dbl(1.0),
                            V::Dbl(-0.0),
                            V::Dbl(1e-5),
                            V::Dbl(5e-324),
                            V::Dbl(0.0),
                        ],
                    ),
                ),
                (3, V::Bin(vec![0, 255])),
                (4, V::Bin(b"ab".to_vec())),
                (
                    5,
                    V::Str("\u{1}\u{1f}/\u{e9}\u{1f600}\u{1f600}\u{20ac}".into()),
                ),
                (
                    6,
                    V::Map(
                        WireType::Double,
                        WireType::I64,
                        vec![(V::Dbl(1.5e300), V::I64(-1))],
                    ),
                ),
            ]),
        )]);
        let mut r = reader(input);
        let h = r.read_message_begin().unwrap();
        assert_eq!(h, MessageHeader::new("testStruct", MessageType::Reply, -1));
        let back = body.read_like(&mut r).unwrap();
        r.read_message_end().unwrap();
        assert_eq!(r.remaining(), 0);
        let V::Struct(outer) = &back else { panic!() };
        let V::Struct(fields) = &outer[0].1 else {
            panic!()
        };
        let V::List(_, doubles) = &fields[1].1 else {
            panic!()
        };
        assert!(matches!(doubles[1], V::Dbl(d) if d == 0.0 && d.is_sign_negative()));
        assert!(matches!(doubles[4], V::Dbl(d) if d.is_nan()));
        let V::Struct(expected) = &body else { panic!() };
        let V::Struct(expected) = &expected[0].1 else {
            panic!()
        };
        for i in [0, 2, 3, 4, 5] {
            assert_eq!(fields[i], expected[i]);
        }
        // The same message skipped whole.
        let mut r = reader(input);
        r.read_message_begin().unwrap();
        r.skip(WireType::Struct).unwrap();
        r.read_message_end().unwrap();
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn whitespace_between_tokens_is_allowed() {
        let input =
            b" [ 1 , \"ping\" ,\n1,\t7 , { \"1\" : { \"lst\" : [ \"i32\" , 2 , 3 , -4 ] } } ] ";
        let mut r = reader(input);
        r.read_message_begin().unwrap();
        let v = V::Struct(vec![(
            1,
            V::List(WireType::I32, vec![V::I32(3), V::I32(-4)]),
        )]);
        assert_eq!(v.read_like(&mut r).unwrap(), v);
        r.read_message_end().unwrap();
    }

    #[test]
    fn round_trips_through_thrift_values() {
        let strings: Vec<String> = vec!["hello".into(), "th\u{1f600}rift\n".into()];
        let bytes = encode(Protocol::Json, &strings).unwrap();
        assert_eq!(show(&bytes), "[\"str\",2,\"hello\",\"th\u{1f600}rift\\n\"]");
        let back: Vec<String> = decode(Protocol::Json, bytes, Limits::default()).unwrap();
        assert_eq!(back, strings);

        let map: HashMap<i64, Vec<Bytes>> = [(-1, vec![Bytes::from_static(b"\x00")]), (2, vec![])]
            .into_iter()
            .collect();
        let bytes = encode(Protocol::Json, &map).unwrap();
        let back: HashMap<i64, Vec<Bytes>> =
            decode(Protocol::Json, bytes, Limits::default()).unwrap();
        assert_eq!(back, map);

        // A bare number at the top level ends with the input.
        let bytes = encode(Protocol::Json, &-17i32).unwrap();
        assert_eq!(&bytes[..], b"-17");
        assert_eq!(
            decode::<i32>(Protocol::Json, bytes, Limits::default()).unwrap(),
            -17
        );
        assert_eq!(
            decode::<f64>(Protocol::Json, "2.5".into(), Limits::default()).unwrap(),
            2.5
        );

        let sample = sample();
        assert_eq!(read(&sample, &json(&sample)).unwrap(), sample);
        let bytes = json(&sample);
        let mut r = JsonReader::new(&bytes[..], Limits::default());
        assert_eq!(sample.read_like(&mut r).unwrap(), sample);
    }

    #[test]
    fn truncated_input_is_eof_at_every_offset() {
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        w.write_message_begin(&MessageHeader::new("m\u{e9}thod", MessageType::Call, -9))
            .unwrap();
        sample().write(&mut w).unwrap();
        w.write_message_end().unwrap();

        let read_message = |bytes: &[u8]| -> Result<(), ProtocolError> {
            let mut r = JsonReader::new(bytes, Limits::default());
            r.read_message_begin()?;
            sample().read_like(&mut r)?;
            r.read_message_end()
        };
        let skip_message = |bytes: &[u8]| -> Result<(), ProtocolError> {
            let mut r = JsonReader::new(Bytes::copy_from_slice(bytes), Limits::default());
            r.read_message_begin()?;
            r.skip(WireType::Struct)?;
            r.read_message_end()
        };
        read_message(&buf).unwrap();
        skip_message(&buf).unwrap();
        for end in 0..buf.len() {
            for result in [read_message(&buf[..end]), skip_message(&buf[..end])] {
                let err = result.unwrap_err();
                assert_eq!(err.kind(), ProtocolErrorKind::Eof, "cut at {end}: {err}");
            }
        }
    }

    #[test]
    fn bad_type_tags() {
        for bad in [
            &br#"{"1":{"i33":1}}"#[..],
            br#"{"1":{"":1}}"#,
            br#"{"1":{"I32":1}}"#,
            br#"{"1":{"i3\u0032":1}}"#,
            br#"{"1":{1:1}}"#,
        ] {
            let mut r = reader(bad);
            r.read_struct_begin().unwrap();
            let err = r.read_field_begin().unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::InvalidData, "{}", show(bad));
        }
        let err = reader(br#"["xyz",0]"#).read_list_begin().unwrap_err();
        assert!(err.to_string().contains("`xyz` at byte 2"), "{err}");
        assert_err(
            reader(br#"["i32","bad",0,{}]"#).read_map_begin(),
            ProtocolErrorKind::InvalidData,
        );
        // Writing a type that has no JSON name.
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        assert_err(
            w.write_list_begin(WireType::Void, 0),
            ProtocolErrorKind::NotImplemented,
        );
        assert_err(
            w.write_field_begin("f", WireType::Stop, 1),
            ProtocolErrorKind::NotImplemented,
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn huge_declared_counts_fail_before_allocating() {
        assert_err(
            reader(br#"["i32",2147483647,1,2]"#).read_list_begin(),
            ProtocolErrorKind::Eof,
        );
        assert_err(
            reader(br#"["i32",99999999999999999999,1]"#).read_list_begin(),
            ProtocolErrorKind::InvalidData,
        );
        assert_err(
            reader(br#"["i32",-1]"#).read_set_begin(),
            ProtocolErrorKind::NegativeSize,
        );
        assert_err(
            reader(br#"["i32","i32",1000000,{"1":1}]"#).read_map_begin(),
            ProtocolErrorKind::Eof,
        );
        let limits = Limits::default().with_container_limit(2);
        let mut r = JsonReader::new(&br#"["i8",3,1,2,3]"#[..], limits);
        assert_err(r.read_list_begin(), ProtocolErrorKind::SizeLimit);
        // The count is trusted once returned: this one fits.
        assert_eq!(
            reader(br#"["i8",3,1,2,3]"#).read_list_begin().unwrap().len,
            3
        );
    }

    #[test]
    fn string_limit_applies_to_decoded_lengths() {
        let limits = Limits::default().with_string_limit(3);
        let r = |bytes: &'static [u8]| JsonReader::new(Bytes::from_static(bytes), limits);
        assert_eq!(r(b"\"abc\"").read_string().unwrap(), "abc");
        assert_err(r(b"\"abcd\"").read_string(), ProtocolErrorKind::SizeLimit);
        assert_err(r(b"\"abcd\"").read_byte_str(), ProtocolErrorKind::SizeLimit);
        // Six bytes of escapes are three bytes of text.
        assert_eq!(r(br#""\n\t\"""#).read_string().unwrap(), "\n\t\"");
        assert_err(
            r(br#""\u00e9\u00e9""#).read_string(),
            ProtocolErrorKind::SizeLimit,
        );
        // Base64 of three bytes is four characters.
        assert_eq!(&r(b"\"YWJj\"").read_binary().unwrap()[..], b"abc");
        assert_err(
            r(b"\"YWJjZA==\"").read_binary(),
            ProtocolErrorKind::SizeLimit,
        );
    }

    #[test]
    fn deep_nesting_hits_the_depth_limit() {
        // 65 nested lists
        let mut input = Vec::new();
        for _ in 0..65 {
            input.extend_from_slice(br#"["lst",1,"#);
        }
        input.extend_from_slice(br#"["i8",0]"#);
        input.extend(std::iter::repeat_n(b']', 65));
        assert_err(
            reader(&input).skip(WireType::List),
            ProtocolErrorKind::DepthLimit,
        );
        let limits = Limits::default().with_recursion_limit(66);
        JsonReader::new(&input[..], limits)
            .skip(WireType::List)
            .unwrap();

        // Structs nested in fields, and maps nested in map values.
        let mut input = Vec::new();
        for _ in 0..100 {
            input.extend_from_slice(br#"{"1":{"rec":"#);
        }
        assert_err(
            reader(&input).skip(WireType::Struct),
            ProtocolErrorKind::DepthLimit,
        );
        let mut input = Vec::new();
        for _ in 0..100 {
            input.extend_from_slice(br#"["i8","map",1,{"1":"#);
        }
        assert_err(
            reader(&input).skip(WireType::Map),
            ProtocolErrorKind::DepthLimit,
        );

        // A million brackets end in an error, not a stack overflow.
        let input = vec![b'['; 1_000_000];
        assert_err(
            reader(&input).skip(WireType::List),
            ProtocolErrorKind::InvalidData,
        );
    }

    #[test]
    fn nesting_beyond_the_inline_contexts_spills() {
        // 200 nested lists need 200 contexts: past the inline ones.
        let mut v = V::List(WireType::I32, vec![V::I32(1)]);
        for _ in 0..199 {
            v = V::List(WireType::List, vec![v.clone(), v]);
            if let V::List(_, items) = &mut v {
                items.truncate(1);
            }
        }
        let bytes = json(&v);
        assert!(bytes.starts_with(br#"["lst",1,["lst",1,"#));
        let limits = Limits::default().with_recursion_limit(200);
        let mut r = JsonReader::new(&bytes[..], limits);
        assert_eq!(v.read_like(&mut r).unwrap(), v);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn invalid_utf8_is_an_error() {
        for bad in [
            &b"\"\xc3\x28\""[..],
            b"\"\xff\"",
            b"\"\xed\xa0\x80\"",
            b"\"a\xc3\\n\"",
        ] {
            assert_err(reader(bad).read_string(), ProtocolErrorKind::InvalidData);
            assert_err(reader(bad).read_byte_str(), ProtocolErrorKind::InvalidData);
            reader(bad).skip_string().unwrap();
        }
        let mut r = reader(br#"[1,"p\u00e9",1,1]"#);
        assert_eq!(&*r.read_message_begin().unwrap().name, "p\u{e9}");
        let err = reader(b"[1,\"\xc3\",1,1]")
            .read_message_begin()
            .unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
    }

    #[test]
    fn lone_surrogates_are_errors() {
        for bad in [
            &br#""\ud800""#[..],
            br#""\udc00""#,
            br#""\ud800x""#,
            br#""\ud800\n""#,
            br#""\ud800\u0041""#,
            br#""\ud800\ud800""#,
            br#""\ude00\ud83d""#,
        ] {
            let err = reader(bad).read_string().unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::InvalidData, "{}", show(bad));
            assert!(err.to_string().contains("surrogate"), "{err}");
            assert_err(reader(bad).skip_string(), ProtocolErrorKind::InvalidData);
        }
        for bad in [&br#""\u12g4""#[..], br#""\x""#, br#""\U0041""#, br#""\'""#] {
            assert_err(reader(bad).read_string(), ProtocolErrorKind::InvalidData);
        }
        for cut in [
            &br#""\ud83d"#[..],
            br#""\ud83d\"#,
            br#""\ud83d\ude0"#,
            br#""\u00"#,
            br#""\"#,
        ] {
            assert_err(reader(cut).read_string(), ProtocolErrorKind::Eof);
        }
    }

    #[test]
    fn bad_syntax_names_what_and_where() {
        let mut r = reader(br#"["i32",2,1;2]"#);
        r.read_list_begin().unwrap();
        r.read_i32().unwrap();
        let err = r.read_i32().unwrap_err();
        assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
        assert!(
            err.to_string()
                .contains("expected ',' between elements at byte 10, found ';'"),
            "{err}"
        );

        let mut r = reader(br#"{"1":{"i32":1}"2":{"i32":2}}"#);
        r.read_struct_begin().unwrap();
        r.read_field_begin().unwrap();
        r.read_i32().unwrap();
        r.read_field_end().unwrap();
        let err = r.read_field_begin().unwrap_err();
        assert!(err.to_string().contains("at byte 14, found '\"'"), "{err}");

        let mut r = reader(b"{\x01}");
        r.read_struct_begin().unwrap();
        let err = r.read_field_begin().unwrap_err();
        assert!(
            err.to_string().contains("at byte 1, found byte 0x01"),
            "{err}"
        );

        // An end without its begin, in either direction.
        assert_err(
            reader(b"}").read_struct_end(),
            ProtocolErrorKind::InvalidData,
        );
        let mut buf = Vec::new();
        assert_err(
            JsonWriter::new(&mut buf).write_list_end(),
            ProtocolErrorKind::InvalidData,
        );
    }

    #[test]
    fn byte_str_shares_the_input() {
        let input = Bytes::from_static(br#"[1,"method",1,0]"#);
        let mut r = JsonReader::new(input.clone(), Limits::default());
        let name = r.read_message_begin().unwrap().name;
        assert_eq!(&*name, "method");
        assert_eq!(name.as_bytes().as_ptr(), input[4..].as_ptr());
        // With escapes the string is decoded into a buffer of its own.
        let s = reader(br#""a\tb""#).read_byte_str().unwrap();
        assert_eq!(&*s, "a\tb");
    }

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
