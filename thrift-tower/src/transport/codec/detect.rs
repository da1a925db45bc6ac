//! Which framing a peer uses, told from the first bytes of its first message, so that one
//! port serves every Apache client.
//!
//! ```text
//! buffered  | 0x80 (strict binary) / 0x82 (compact) / '[' (JSON) ...
//! framed    | 0x00 (a length under 16 MiB) x x x | 0x80 / 0x82 / '[' / 0x00 (old binary) ...
//! ```
//!
//! A framing that joins later adds its marker here, and nothing else changes.

use super::Framing;

/// The framing of a stream whose first bytes are `src`; `None`: not enough bytes yet.
pub(super) fn framing(src: &[u8]) -> Option<Framing> {
    let first = *src.first()?;
    if matches!(first, 0x80 | 0x82 | b'[') {
        return Some(Framing::Buffered);
    }
    // A frame length's first byte is 0 for any frame under 16 MiB; the message inside then
    // starts at byte 4 with a protocol marker, or with the 0 of an old binary header's name
    // length. An unframed old binary message has its method name there.
    let fifth = *src.get(4)?;
    Some(if matches!(fifth, 0x80 | 0x82 | b'[' | 0x00) {
        Framing::Framed
    } else {
        Framing::Buffered
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_tell() {
        assert_eq!(framing(b""), None);
        assert_eq!(framing(b"\x80\x01"), Some(Framing::Buffered));
        assert_eq!(framing(b"\x82"), Some(Framing::Buffered));
        assert_eq!(framing(b"[1,"), Some(Framing::Buffered));
        assert_eq!(framing(b"\x00\x00\x00"), None);
        assert_eq!(framing(b"\x00\x00\x00\x10\x80"), Some(Framing::Framed));
        assert_eq!(framing(b"\x00\x00\x00\x10["), Some(Framing::Framed));
        // An old (unversioned) binary message, unframed: a name length, then the name.
        assert_eq!(framing(b"\x00\x00\x00\x04ping"), Some(Framing::Buffered));
    }
}
