//! Base64 for the JSON protocol's `binary` values: the standard alphabet, written padded
//! as every Apache library writes it, read padded or not.

use bytes::BufMut;

use super::excerpt::Found;
use crate::protocol::error::ProtocolError;
use crate::protocol::input::check_string_limit;
use crate::protocol::limits::Limits;

/// The standard base64 alphabet (RFC 4648 §4), the one every Apache library uses.
const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Each byte's value in [`BASE64`], or 0xff.
const BASE64_VALUES: [u8; 256] = {
    let mut table = [0xff; 256];
    let mut i = 0;
    while i < 64 {
        table[BASE64[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Writes `data` as padded base64, four characters for every three bytes.
pub(super) fn put_base64<B: BufMut>(buf: &mut B, data: &[u8]) {
    // Encode through a small stack buffer, so a long value takes few `put_slice` calls.
    let mut out = [0u8; 64];
    for block in data.chunks(48) {
        let mut n = 0;
        for group in block.chunks(3) {
            let b0 = group.first().copied().unwrap_or(0);
            let b1 = group.get(1).copied().unwrap_or(0);
            let b2 = group.get(2).copied().unwrap_or(0);
            let bits = u32::from(b0) << 16 | u32::from(b1) << 8 | u32::from(b2);
            let chars = [
                BASE64[(bits >> 18) as usize & 63],
                BASE64[(bits >> 12) as usize & 63],
                if group.len() > 1 {
                    BASE64[(bits >> 6) as usize & 63]
                } else {
                    b'='
                },
                if group.len() > 2 {
                    BASE64[bits as usize & 63]
                } else {
                    b'='
                },
            ];
            out[n..n + 4].copy_from_slice(&chars);
            n += 4;
        }
        buf.put_slice(&out[..n]);
    }
}

/// Decodes base64 text (the contents of a string at byte `at`), padded or not, within the
/// string limit.
pub(super) fn decode_base64(
    text: &[u8],
    at: usize,
    limits: &Limits,
) -> Result<Vec<u8>, ProtocolError> {
    let mut data = text;
    let mut padding = 0;
    while padding < 2 {
        match data {
            [rest @ .., b'='] => {
                data = rest;
                padding += 1;
            }
            _ => break,
        }
    }
    if (padding > 0 && text.len() % 4 != 0) || data.len() % 4 == 1 {
        return Err(ProtocolError::invalid(format!(
            "base64 at byte {at} has a bad length ({} characters, {padding} of them padding)",
            text.len()
        )));
    }
    let decoded_len = data.len() / 4 * 3 + (data.len() % 4).saturating_sub(1);
    check_string_limit(decoded_len, limits)?;
    let mut out = Vec::with_capacity(decoded_len);
    for (i, group) in data.chunks(4).enumerate() {
        let mut bits = 0u32;
        for (j, &c) in group.iter().enumerate() {
            let value = BASE64_VALUES[usize::from(c)];
            if value == 0xff {
                return Err(ProtocolError::invalid(format!(
                    "expected base64 at byte {}, found {}",
                    at + i * 4 + j,
                    Found(c)
                )));
            }
            bits = bits << 6 | u32::from(value);
        }
        // A short last group holds 12 or 18 bits: align it as if it were whole. Bits past
        // the last whole byte are ignored, as every Apache reader does.
        bits <<= 6 * (4 - group.len());
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..group.len()]);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use crate::protocol::error::ProtocolErrorKind;
    use crate::protocol::json::test_support::{V, assert_bytes, reader, show};
    use crate::protocol::traits::ProtocolReader;

    #[test]
    fn binary_is_padded_base64() {
        // python3-thrift 0.17: base64.b64encode(bytes(range(256)))
        let all: Vec<u8> = (0..=255).collect();
        assert_bytes(
            &V::Bin(all),
            b"\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4OTo7PD0\
              +P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6e3x9fn\
              +AgYKDhIWGh4iJiouMjY6PkJGSk5SVlpeYmZqbnJ2en6ChoqOkpaanqKmqq6ytrq+wsbKztLW2t7i5uru8vb6/\
              wMHCw8TFxsfIycrLzM3Oz9DR0tPU1dbX2Nna29zd3t/g4eLj5OXm5+jp6uvs7e7v8PHy8/T19vf4+fr7/P3+/w==\"",
        );
        for (data, text) in [
            (&b""[..], &b"\"\""[..]),
            (b"a", b"\"YQ==\""),
            (b"ab", b"\"YWI=\""),
            (b"abc", b"\"YWJj\""),
        ] {
            assert_bytes(&V::Bin(data.to_vec()), text);
        }
    }

    #[test]
    fn bad_base64() {
        for bad in [
            &b"\"YQ=\""[..],   // padding that does not fill a group
            b"\"Y\"",          // a lone character
            b"\"YWJjZ\"",      // ditto, after a whole group
            b"\"YW=J\"",       // padding inside
            b"\"Y===\"",       // too much padding
            b"\"YW J\"",       // not in the alphabet
            b"\"YW-_\"",       // URL-safe alphabet
            b"\"\xc3\xa9AA\"", // not ASCII
        ] {
            let err = reader(bad).read_binary().unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::InvalidData, "{}", show(bad));
            // Skipping decodes nothing, so it succeeds.
            reader(bad).skip_string().unwrap();
        }
        let err = reader(b"\"AB+/AB*A\"").read_binary().unwrap_err();
        assert!(err.to_string().contains("at byte 7"), "{err}");
        // An escape inside base64 is decoded first.
        assert_eq!(&reader(br#""\/w==""#).read_binary().unwrap()[..], b"\xff");
    }
}
