//! JSON strings in the JSON protocol: the escapes the writer makes (Python's: `"`, `\` and
//! five control characters, every other byte as it is) and the scanning and unescaping the
//! reader does, which takes every JSON escape, `\uXXXX` with UTF-16 surrogate pairs
//! included.

use bytes::BufMut;

use super::excerpt::Found;
use crate::protocol::error::ProtocolError;

/// Writes `s` between quotes with the escapes Python's `TJSONProtocol` makes: `"`, `\`
/// and the five control characters JSON names; every other byte as it is.
pub(super) fn put_json_string<B: BufMut>(buf: &mut B, s: &[u8]) {
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

/// A uuid as its quoted canonical text, `"00112233-4455-6677-8899-aabbccddeeff"`.
pub(super) fn quoted_uuid(value: &[u8; 16]) -> [u8; 38] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
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
    text
}

/// A JSON string found in the input, its opening quote already read.
#[derive(Debug, Clone, Copy)]
pub(super) struct StrToken {
    /// Bytes between the quotes, as they are in the input.
    pub(super) raw_len: usize,
    /// Bytes once escapes are decoded.
    pub(super) decoded_len: usize,
    /// Whether there is any escape (otherwise the raw bytes are the string).
    pub(super) escaped: bool,
}

/// Finds the end of the string whose contents start `rest` (at byte `at` of the input),
/// checking its escapes and measuring it decoded. Raw bytes are checked for UTF-8 later,
/// and only where the string is read as text.
pub(super) fn scan_string(rest: &[u8], at: usize) -> Result<StrToken, ProtocolError> {
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
pub(super) fn unescape(raw: &[u8], at: usize, out: &mut Vec<u8>) -> Result<(), ProtocolError> {
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

#[cfg(test)]
mod tests {
    use crate::protocol::error::ProtocolErrorKind;
    use crate::protocol::json::test_support::{V, assert_bytes, assert_err, reader, show};
    use crate::protocol::traits::ProtocolReader;
    use crate::protocol::wire::WireType;

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
}
