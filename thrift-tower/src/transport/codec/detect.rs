//! Which framing a peer uses, told from the first bytes of its first message, so that one
//! port serves every Apache client.
//!
//! ```text
//! buffered       | 0x80 (strict binary) / 0x82 (compact) / '[' (JSON) ...
//! framed         | 0x00 (a length under 16 MiB) x x x | 0x80 / 0x82 / '[' / 0x00 (old binary) ...
//! THeader        | length: 4 bytes | 0x0F 0xFF ...
//! framed THeader | length: 4 bytes | length: 4 bytes | 0x0F 0xFF ...
//! ```
//!
//! THeader's magic cannot start a message of the other framings: an old binary message's
//! method name would be there, and `0xFF` is never UTF-8. A framing that joins later adds
//! its marker here, and nothing else changes.

use super::Framing;

/// The framing of a stream whose first bytes are `src`; `None`: not enough bytes yet.
pub(super) fn framing(src: &[u8]) -> Option<Framing> {
    let first = *src.first()?;
    if matches!(first, 0x80 | 0x82 | b'[') {
        return Some(Framing::Buffered);
    }
    // A frame length's first byte is 0 for any frame under 16 MiB; the message inside then
    // starts at byte 4 with a protocol marker, or with the 0 of an old binary header's name
    // length (or of a THeader frame's length, when a framed frame holds one). An unframed
    // old binary message has its method name there.
    Some(match *src.get(4)? {
        0x80 | 0x82 | b'[' => Framing::Framed,
        0x0f if *src.get(5)? == 0xff => Framing::Header,
        // Any message is longer than 10 bytes, so waiting for them holds nothing up.
        0x00 if src.get(8..10)? == [0x0f, 0xff] => Framing::FramedHeader,
        0x00 => Framing::Framed,
        _ => Framing::Buffered,
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
        // Framed, old binary: the name length, then the name.
        assert_eq!(framing(b"\x00\x00\x00\x14\x00\x00"), None);
        assert_eq!(
            framing(b"\x00\x00\x00\x14\x00\x00\x00\x04ping"),
            Some(Framing::Framed)
        );
    }

    #[test]
    fn theader_magic_after_one_or_two_lengths() {
        assert_eq!(framing(b"\x00\x00\x00\x20\x0f"), None);
        assert_eq!(
            framing(b"\x00\x00\x00\x20\x0f\xff\x00\x00"),
            Some(Framing::Header)
        );
        // An unframed old binary message whose name starts with a 0x0F.
        assert_eq!(framing(b"\x00\x00\x00\x02\x0fa"), Some(Framing::Buffered));
        assert_eq!(
            framing(b"\x00\x00\x00\x24\x00\x00\x00\x20\x0f\xff"),
            Some(Framing::FramedHeader)
        );
    }
}
