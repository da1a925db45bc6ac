//! Base64 for the JSON protocol's `binary` values: the standard alphabet, written padded
//! as every Apache library writes it, read padded or not. The `base64` crate does the
//! coding; this module sets it up as Apache's libraries need and words its errors.

use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use bytes::BufMut;

use super::excerpt::Found;
use crate::protocol::error::ProtocolError;
use crate::protocol::input::check_string_limit;
use crate::protocol::limits::Limits;

/// The standard alphabet (RFC 4648 §4), the one every Apache library uses: padded on
/// write; on read, padded or not (Apache's C++ library writes it without), and the bits
/// past the last whole byte ignored, as every Apache reader does.
const ENGINE: GeneralPurpose = GeneralPurpose::new(
    &STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Writes `data` as padded base64, four characters for every three bytes.
pub(super) fn put_base64<B: BufMut>(buf: &mut B, data: &[u8]) {
    // Through a small stack buffer: a long value takes few `put_slice` calls, and nothing
    // is allocated. 48 bytes make exactly 64 characters.
    let mut out = [0u8; 64];
    for block in data.chunks(48) {
        let n = ENGINE
            .encode_slice(block, &mut out)
            .expect("64 characters hold the base64 of 48 bytes");
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
    let data_len = text.len()
        - text
            .iter()
            .rev()
            .take(2)
            .take_while(|&&c| c == b'=')
            .count();
    let padding = text.len() - data_len;
    if (padding > 0 && text.len() % 4 != 0) || data_len % 4 == 1 {
        return Err(ProtocolError::invalid(format!(
            "base64 at byte {at} has a bad length ({} characters, {padding} of them padding)",
            text.len()
        )));
    }
    // Checked before anything is allocated for the value.
    let decoded_len = data_len / 4 * 3 + (data_len % 4).saturating_sub(1);
    check_string_limit(decoded_len, limits)?;
    let mut out = Vec::with_capacity(decoded_len);
    ENGINE.decode_vec(text, &mut out).map_err(|e| match e {
        base64::DecodeError::InvalidByte(offset, byte) => ProtocolError::invalid(format!(
            "expected base64 at byte {}, found {}",
            at + offset,
            Found(byte)
        )),
        other => ProtocolError::invalid(format!("bad base64 at byte {at}: {other}")),
    })?;
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
