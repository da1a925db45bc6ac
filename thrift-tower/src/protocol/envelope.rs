//! Whole messages: the header, then the body that stays encoded. What transports read and
//! write, so that a [`Request`](crate::Request) or [`Response`](crate::Response) can carry
//! the body as `Bytes` without decoding it.

use bytes::{BufMut, Bytes, BytesMut};

use super::binary::{BinaryReader, BinaryWriter};
use super::compact::{CompactReader, CompactWriter};
use super::error::ProtocolError;
use super::header::MessageHeader;
use super::input::Input;
use super::json::{JsonReader, JsonWriter};
use super::limits::Limits;
use super::traits::{ProtocolReader, ProtocolWriter};
use super::wire::{Protocol, WireType};

/// The protocol a message starting with `first` is in: `0x80` is a strict binary header,
/// `0x82` compact, `[` JSON. Old (unversioned) binary headers start with a name length
/// whose first byte is usually `0x00`; `None` for anything else.
pub(crate) fn detect(first: u8) -> Option<Protocol> {
    match first {
        0x80 | 0x00 => Some(Protocol::Binary),
        0x82 => Some(Protocol::Compact),
        b'[' => Some(Protocol::Json),
        _ => None,
    }
}

/// Splits a whole message into its header and its body (the encoded struct, without the
/// envelope; for JSON, without the closing `]`).
pub(crate) fn read_message(
    protocol: Protocol,
    message: Bytes,
    limits: Limits,
) -> Result<(MessageHeader, Bytes), ProtocolError> {
    // The readers read from the message's `Bytes` (a reference count, not a copy), so the
    // header's name is a slice of the message, not an allocation of its own per call.
    let (header, start, end) = match protocol {
        Protocol::Binary => locate(&mut BinaryReader::new(message.clone(), limits), false)?,
        Protocol::Compact => locate(&mut CompactReader::new(message.clone(), limits), false)?,
        Protocol::Json => {
            let (header, after_header, end) =
                locate(&mut JsonReader::new(message.clone(), limits), true)?;
            // The body starts after the ',' (and any whitespace) that follows the header.
            let start = message[after_header..end]
                .iter()
                .position(|b| !matches!(b, b',' | b' ' | b'\t' | b'\r' | b'\n'))
                .map_or(end, |i| after_header + i);
            (header, start, end)
        }
    };
    Ok((header, message.slice(start..end)))
}

/// Reads the header; with `scan`, also passes over the body to find where it ends.
fn locate<R>(r: &mut R, scan: bool) -> Result<(MessageHeader, usize, usize), ProtocolError>
where
    R: ProtocolReader + Positioned,
{
    let header = r.read_message_begin()?;
    let start = r.position();
    if !scan {
        return Ok((header, start, r.len()));
    }
    r.skip(WireType::Struct)?;
    Ok((header, start, r.position()))
}

pub(crate) use super::scan::{MessageLen, MessageScanner};

/// Appends a whole message: `header`, then `body` (an encoded struct), then the end of the
/// envelope.
pub(crate) fn write_message(
    protocol: Protocol,
    header: &MessageHeader,
    body: &[u8],
    out: &mut BytesMut,
) -> Result<(), ProtocolError> {
    match protocol {
        Protocol::Binary => {
            BinaryWriter::new(&mut *out).write_message_begin(header)?;
            out.put_slice(body);
        }
        Protocol::Compact => {
            CompactWriter::new(&mut *out).write_message_begin(header)?;
            out.put_slice(body);
        }
        Protocol::Json => {
            // `[1,"name",type,seqid` then `,` body `]`, as the writer would put a struct.
            JsonWriter::new(&mut *out).write_message_begin(header)?;
            out.put_u8(b',');
            out.put_slice(body);
            out.put_u8(b']');
        }
    }
    Ok(())
}

/// Readers that can say how far they have read.
trait Positioned {
    fn position(&self) -> usize;
    fn len(&self) -> usize;
}

macro_rules! positioned {
    ($($reader:ident),*) => {$(
        impl<I: Input> Positioned for $reader<I> {
            fn position(&self) -> usize {
                $reader::position(self)
            }
            fn len(&self) -> usize {
                $reader::position(self) + $reader::remaining(self)
            }
        }
    )*};
}

positioned!(BinaryReader, CompactReader, JsonReader);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::MessageType;

    /// Where the message at the start of `buf` ends, scanned in one go.
    fn message_len(
        protocol: Protocol,
        buf: &[u8],
        limits: Limits,
    ) -> Result<MessageLen, ProtocolError> {
        MessageScanner::new(protocol, limits).scan(buf)
    }
    use crate::protocol::Thrift;

    fn whole(protocol: Protocol, header: &MessageHeader, args: &Vec<i32>) -> BytesMut {
        // The reference: a message written by one writer from start to end, with the list
        // as the body struct's field 1.
        struct Args<'a>(&'a Vec<i32>);
        impl Args<'_> {
            fn put<W: ProtocolWriter>(&self, w: &mut W, header: &MessageHeader) {
                w.write_message_begin(header).unwrap();
                w.write_struct_begin("args").unwrap();
                w.write_field_begin("l", WireType::List, 1).unwrap();
                self.0.write(w).unwrap();
                w.write_field_end().unwrap();
                w.write_field_stop().unwrap();
                w.write_struct_end().unwrap();
                w.write_message_end().unwrap();
            }
        }
        let mut buf = BytesMut::new();
        match protocol {
            Protocol::Binary => Args(args).put(&mut BinaryWriter::new(&mut buf), header),
            Protocol::Compact => Args(args).put(&mut CompactWriter::new(&mut buf), header),
            Protocol::Json => Args(args).put(&mut JsonWriter::new(&mut buf), header),
        }
        buf
    }

    #[test]
    fn split_and_join_match_one_writer() {
        let header = MessageHeader::new("sum", MessageType::Call, -7);
        for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
            let full = whole(protocol, &header, &vec![1, -2, 3]).freeze();
            assert_eq!(detect(full[0]), Some(protocol));
            let (h, body) = read_message(protocol, full.clone(), Limits::default()).unwrap();
            assert_eq!(h, header);
            let mut again = BytesMut::new();
            write_message(protocol, &h, &body, &mut again).unwrap();
            assert_eq!(again.freeze(), full, "{protocol}");
            assert_eq!(
                message_len(protocol, &full, Limits::default()).unwrap(),
                MessageLen::Complete(full.len())
            );
            for cut in 0..full.len() {
                match message_len(protocol, &full[..cut], Limits::default()).unwrap() {
                    MessageLen::Incomplete { at_least } => assert!(
                        at_least > cut && at_least <= full.len(),
                        "{protocol} cut at {cut}: parse again at {at_least}"
                    ),
                    other => panic!("{protocol} cut at {cut}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn a_long_string_arriving_is_not_parsed_again_until_it_can_be_complete() {
        let header = MessageHeader::new("put", MessageType::Call, 1);
        let mut body = BytesMut::new();
        let mut w = BinaryWriter::new(&mut body);
        w.write_field_begin("blob", WireType::String, 1).unwrap();
        w.write_binary(&[7u8; 100_000]).unwrap();
        w.write_field_stop().unwrap();
        let mut full = BytesMut::new();
        write_message(Protocol::Binary, &header, &body, &mut full).unwrap();
        // With only the header and the string's length, the parser knows the message runs
        // to at least the end of the string.
        let cut = 4 + 4 + 3 + 4 + 3 + 4 + 10;
        assert_eq!(
            message_len(Protocol::Binary, &full[..cut], Limits::default()).unwrap(),
            MessageLen::Incomplete {
                at_least: full.len() - 1
            }
        );
    }

    #[test]
    fn old_binary_headers_are_found_too() {
        let header = MessageHeader::new("ping", MessageType::Call, 1);
        let mut buf = BytesMut::new();
        let mut w = BinaryWriter::new(&mut buf).strict(false);
        w.write_message_begin(&header).unwrap();
        w.write_field_stop().unwrap();
        let message = buf.freeze();
        assert_eq!(detect(message[0]), Some(Protocol::Binary));
        let (h, body) = read_message(Protocol::Binary, message.clone(), Limits::default()).unwrap();
        assert_eq!(h, header);
        assert_eq!(&body[..], b"\x00");
        // An unframed connection finds its end too, whole or as it arrives.
        assert_eq!(
            message_len(Protocol::Binary, &message, Limits::default()).unwrap(),
            MessageLen::Complete(message.len())
        );
        let mut scanner = MessageScanner::new(Protocol::Binary, Limits::default());
        for cut in 0..message.len() {
            assert!(matches!(
                scanner.scan(&message[..cut]).unwrap(),
                MessageLen::Incomplete { .. }
            ));
        }
        assert_eq!(
            scanner.scan(&message).unwrap(),
            MessageLen::Complete(message.len())
        );
    }
}
