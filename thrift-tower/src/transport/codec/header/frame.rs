//! One THeader frame, without its length: the fixed fields, the header section (protocol
//! id, transforms, info headers) and the payload, read from and written to bytes.
//!
//! Every count and length in the header section is checked against the bytes of the
//! section that remain before anything is made of it, so a hostile frame costs at most its
//! own size.

use bytes::{BufMut, Bytes, BytesMut};

use super::HeaderTransform;
use crate::bytestr::ByteStr;
use crate::message::Headers;
use crate::protocol::{Protocol, ProtocolError, ProtocolErrorKind};

/// The two bytes after the length that make a frame a THeader frame.
pub(super) const MAGIC: [u8; 2] = [0x0f, 0xff];

/// The fixed fields after the length: magic (2), flags (2), sequence id (4), header size in
/// 4-byte words (2).
pub(super) const FIXED: usize = 10;

/// Protocol ids of THeader's header section (Apache's `THeaderSubprotocolID`; 1 is JSON,
/// which Apache's THeader libraries do not carry either).
const BINARY_ID: u32 = 0;
const JSON_ID: u32 = 1;
const COMPACT_ID: u32 = 2;

/// The info header type of key-value pairs; 0 is padding.
const KEY_VALUE: u32 = 1;

/// The most transforms a frame may list. Apache's libraries know one (zlib), and applying
/// it twice gains nothing: a longer list is an attack on the inflater.
const MAX_TRANSFORMS: u32 = 4;

/// The largest header section: its size is a 16-bit count of 4-byte words.
const MAX_HEADER_SECTION: usize = u16::MAX as usize * 4;

/// A frame, read: its fields, and its payload with the transforms still applied.
#[derive(Debug)]
pub(super) struct Frame {
    pub(super) flags: u16,
    pub(super) protocol: Protocol,
    pub(super) transforms: Vec<HeaderTransform>,
    pub(super) headers: Headers,
    pub(super) payload: Bytes,
}

fn invalid(message: String) -> ProtocolError {
    ProtocolError::invalid(format!("THeader frame: {message}"))
}

/// Reads `frame`: the bytes a THeader frame's length counts (magic first).
pub(super) fn read(frame: &Bytes) -> Result<Frame, ProtocolError> {
    if frame.len() < FIXED {
        return Err(invalid(format!(
            "{} bytes, fewer than its {FIXED} fixed bytes",
            frame.len()
        )));
    }
    if frame[..2] != MAGIC {
        return Err(invalid(format!(
            "starts with {:#04x} {:#04x}, not THeader's magic 0x0fff",
            frame[0], frame[1]
        )));
    }
    let flags = u16::from_be_bytes([frame[2], frame[3]]);
    // The sequence id at 4..8 repeats the message's, which is the one that counts.
    let section = usize::from(u16::from_be_bytes([frame[8], frame[9]])) * 4;
    if section > frame.len() - FIXED {
        return Err(invalid(format!(
            "its header section of {section} bytes runs past the end of the {}-byte frame",
            frame.len()
        )));
    }
    let end = FIXED + section;
    let mut at = Section {
        frame,
        at: FIXED,
        end,
    };
    let protocol = match at.varint("the protocol id")? {
        BINARY_ID => Protocol::Binary,
        COMPACT_ID => Protocol::Compact,
        id => {
            let named = if id == JSON_ID { " (JSON)" } else { "" };
            return Err(ProtocolError::new(
                ProtocolErrorKind::NotImplemented,
                format!(
                    "THeader frame: protocol id {id}{named} is not supported: THeader \
                     carries binary (0) or compact (2)"
                ),
            ));
        }
    };
    let count = at.varint("the number of transforms")?;
    if count > MAX_TRANSFORMS {
        return Err(invalid(format!(
            "{count} transforms, more than the {MAX_TRANSFORMS} accepted"
        )));
    }
    let mut transforms = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let id = at.varint("a transform id")?;
        let transform = HeaderTransform::from_id(id).ok_or_else(|| {
            ProtocolError::new(
                ProtocolErrorKind::NotImplemented,
                format!("THeader frame: unknown transform id {id} (zlib, 1, is the one known)"),
            )
        })?;
        transforms.push(transform);
    }
    let mut headers = Headers::new();
    while at.at < at.end {
        match at.varint("an info header type")? {
            KEY_VALUE => at.key_values(&mut headers)?,
            // Padding, or a type not known here: what follows is skipped, as Apache's
            // libraries skip it.
            _ => break,
        }
    }
    let payload = frame.slice(end..);
    if payload.is_empty() {
        return Err(invalid("it carries no message".into()));
    }
    Ok(Frame {
        flags,
        protocol,
        transforms,
        headers,
        payload,
    })
}

/// A reader of the header section, which never reads past its `end`.
struct Section<'a> {
    frame: &'a Bytes,
    at: usize,
    end: usize,
}

impl Section<'_> {
    fn left(&self) -> usize {
        self.end - self.at
    }

    /// An unsigned LEB128 varint of at most 32 bits (5 bytes), as THeader writes them.
    fn varint(&mut self, what: &str) -> Result<u32, ProtocolError> {
        let mut value = 0u32;
        for i in 0..5 {
            let Some(&byte) = self.frame[..self.end].get(self.at) else {
                return Err(invalid(format!(
                    "{what} runs past the end of the header section"
                )));
            };
            self.at += 1;
            if i == 4 && byte > 0x0f {
                return Err(invalid(format!("{what} is a varint of more than 32 bits")));
            }
            value |= u32::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(invalid(format!("{what} is a varint of more than 5 bytes")))
    }

    /// A varint length, then that many bytes.
    fn string(&mut self, what: &str) -> Result<Bytes, ProtocolError> {
        let len = self.varint(what)? as usize;
        if len > self.left() {
            return Err(invalid(format!(
                "{what} of {len} bytes runs past the end of the header section ({} bytes left)",
                self.left()
            )));
        }
        let bytes = self.frame.slice(self.at..self.at + len);
        self.at += len;
        Ok(bytes)
    }

    /// A count, then that many key-value pairs, into `headers`. A key or value that is not
    /// UTF-8 is left out, as the HTTP transport leaves out header values that are not text.
    fn key_values(&mut self, headers: &mut Headers) -> Result<(), ProtocolError> {
        let count = self.varint("the number of info headers")? as usize;
        // A pair takes two bytes at least (two empty strings).
        if count > self.left() / 2 {
            return Err(invalid(format!(
                "{count} info headers cannot fit in the {} bytes left of the header section",
                self.left()
            )));
        }
        for _ in 0..count {
            let key = self.string("an info header's key")?;
            let value = self.string("an info header's value")?;
            if let (Some(key), Some(value)) = (ByteStr::utf8_bytes(key), ByteStr::utf8_bytes(value))
            {
                headers.insert(key, value);
            }
        }
        Ok(())
    }
}

/// The protocol id that names `protocol` in a header section.
pub(super) fn protocol_id(protocol: Protocol) -> Result<u32, ProtocolError> {
    match protocol {
        Protocol::Binary => Ok(BINARY_ID),
        Protocol::Compact => Ok(COMPACT_ID),
        other => Err(ProtocolError::new(
            ProtocolErrorKind::NotImplemented,
            format!("THeader carries binary or compact messages, not {other}"),
        )),
    }
}

/// Appends the fixed fields and the header section of a frame (everything the length counts
/// but the payload).
pub(super) fn write_header(
    dst: &mut BytesMut,
    flags: u16,
    seqid: i32,
    protocol: Protocol,
    transforms: &[HeaderTransform],
    headers: &Headers,
) -> Result<(), ProtocolError> {
    let protocol = protocol_id(protocol)?;
    // Checked before writing: a section past the 16-bit word count cannot be sent.
    let strings: usize = headers.iter().map(|(k, v)| k.len() + v.len()).sum();
    if strings > MAX_HEADER_SECTION {
        return Err(ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "info headers of {strings} bytes do not fit in a THeader header section \
                 (at most {MAX_HEADER_SECTION} bytes)"
            ),
        ));
    }
    dst.put_slice(&MAGIC);
    dst.put_u16(flags);
    dst.put_i32(seqid);
    let words_at = dst.len();
    dst.put_u16(0);
    let start = dst.len();
    put_varint(dst, protocol);
    put_varint(dst, transforms.len() as u32);
    for transform in transforms {
        put_varint(dst, transform.id());
    }
    if !headers.is_empty() {
        put_varint(dst, KEY_VALUE);
        put_varint(dst, headers.len() as u32);
        for (key, value) in headers.iter() {
            put_varint(dst, key.len() as u32);
            dst.put_slice(key.as_bytes());
            put_varint(dst, value.len() as u32);
            dst.put_slice(value.as_bytes());
        }
    }
    // Zeros up to a whole number of words: a zero is the padding's info header type.
    let padding = (4 - (dst.len() - start) % 4) % 4;
    dst.put_bytes(0, padding);
    let words = u16::try_from((dst.len() - start) / 4).map_err(|_| {
        ProtocolError::new(
            ProtocolErrorKind::SizeLimit,
            format!(
                "a THeader header section of {} bytes, more than {MAX_HEADER_SECTION}",
                dst.len() - start
            ),
        )
    })?;
    dst[words_at..words_at + 2].copy_from_slice(&words.to_be_bytes());
    Ok(())
}

fn put_varint(dst: &mut BytesMut, mut value: u32) {
    while value >= 0x80 {
        dst.put_u8(value as u8 | 0x80);
        value >>= 7;
    }
    dst.put_u8(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame_with_section(section: &[u8], payload: &[u8]) -> Bytes {
        assert_eq!(section.len() % 4, 0);
        let mut f = BytesMut::new();
        f.put_slice(&MAGIC);
        f.put_u16(0);
        f.put_i32(9);
        f.put_u16((section.len() / 4) as u16);
        f.put_slice(section);
        f.put_slice(payload);
        f.freeze()
    }

    fn error(section: &[u8]) -> String {
        read(&frame_with_section(section, b"\x80"))
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn writes_what_it_reads() {
        let headers: Headers = [("trace-id", "4bf92f35"), ("", "empty key"), ("k", "")]
            .into_iter()
            .collect();
        let mut buf = BytesMut::new();
        write_header(
            &mut buf,
            0x0102,
            77,
            Protocol::Compact,
            &[HeaderTransform::Zlib],
            &headers,
        )
        .unwrap();
        assert_eq!((buf.len() - FIXED) % 4, 0);
        assert_eq!(&buf[..8], b"\x0f\xff\x01\x02\x00\x00\x00\x4d");
        // Protocol 2, one transform (zlib), one key-value block of three.
        assert_eq!(&buf[FIXED..FIXED + 6], b"\x02\x01\x01\x01\x03\x08");
        buf.put_slice(b"\x82\x21");
        let frame = read(&buf.freeze()).unwrap();
        assert_eq!(frame.flags, 0x0102);
        assert_eq!(frame.protocol, Protocol::Compact);
        assert_eq!(frame.transforms, [HeaderTransform::Zlib]);
        assert_eq!(frame.headers, headers);
        assert_eq!(&frame.payload[..], b"\x82\x21");
    }

    #[test]
    fn varints_are_bounded() {
        assert_eq!(
            error(b"\x80\x80\x80\x80\x80\x00\x00\x00"),
            "invalid data: THeader frame: the protocol id is a varint of more than 32 bits"
        );
        assert!(error(b"\x80\x80\x80\x80\x10\x00\x00\x00").contains("more than 32 bits"));
        // Ends with the section (the payload's 0x80 is not read as a continuation).
        assert!(error(b"\x00\x01\x80\x80").contains("a transform id runs past the end"));
        let mut buf = BytesMut::new();
        put_varint(&mut buf, u32::MAX);
        assert_eq!(&buf[..], b"\xff\xff\xff\xff\x0f");
    }

    #[test]
    fn counts_and_lengths_are_checked_against_the_section() {
        assert!(error(b"\x00\x05\x00\x00").contains("5 transforms, more than the 4 accepted"));
        assert!(error(b"\x00\x01\x07\x00").contains("unknown transform id 7"));
        assert!(error(b"\x01\x00\x00\x00").contains("protocol id 1 (JSON) is not supported"));
        assert!(error(b"\x03\x00\x00\x00").contains("protocol id 3 is not supported"));
        assert!(
            error(b"\x00\x00\x01\xff\xff\x03\x00\x00")
                .contains("65535 info headers cannot fit in the 2 bytes left")
        );
        assert!(error(b"\x00\x00\x01\x01\x7f\x00\x00\x00").contains(
            "an info header's key of 127 bytes runs past the end of the header section \
             (3 bytes left)"
        ));
        // A section longer than the frame.
        let mut f = BytesMut::from(&frame_with_section(b"\x00\x00\x00\x00", b"")[..]);
        f[9] = 2;
        assert!(
            read(&f.freeze())
                .unwrap_err()
                .to_string()
                .contains("header section of 8 bytes runs past the end of the 14-byte frame")
        );
        assert!(
            read(&frame_with_section(b"\x00\x00\x00\x00", b""))
                .unwrap_err()
                .to_string()
                .contains("carries no message")
        );
        assert!(
            read(&Bytes::from_static(b"\x0f\xff\x00"))
                .unwrap_err()
                .to_string()
                .contains("fewer than its 10 fixed bytes")
        );
    }

    #[test]
    fn unknown_info_types_and_text_that_is_not_utf8_are_left_out() {
        // A key-value block with a value that is not UTF-8, a good one, then type 9.
        let frame = read(&frame_with_section(
            b"\x00\x00\x01\x02\x01a\x01\xff\x01b\x01c\x09\x05zz",
            b"\x80",
        ))
        .unwrap();
        assert_eq!(frame.headers.iter().collect::<Vec<_>>(), [("b", "c")]);
    }

    #[test]
    fn json_is_refused_when_written() {
        let e = write_header(
            &mut BytesMut::new(),
            0,
            1,
            Protocol::Json,
            &[],
            &Headers::new(),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("binary or compact messages, not"),
            "{e}"
        );
    }
}
