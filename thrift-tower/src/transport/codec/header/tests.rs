use bytes::{BufMut, Bytes, BytesMut};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

use super::frame::FIXED;
use crate::message::{Request, Response};
use crate::protocol::{Limits, MessageHeader, MessageType, Protocol};
use crate::transport::{Framing, HeaderTransform, MessageCodec};

/// What Apache's Python `THeaderProtocol` writes for `ping()` with seqid 7 and the info
/// header `trace-id: 4bf92f35`, in binary (protocol id 0) and in compact (2).
const PYTHON_BINARY: &str = "000000330fff0000000000070006000001010874726163652d69640834626639\
                             326633350000800100010000000470696e670000000700";
const PYTHON_COMPACT: &str = "0000002b0fff0000000000070006020001010874726163652d696408346266\
                              393266333500008221070470696e6700";
/// The same call without headers, through Python's zlib transform.
const PYTHON_ZLIB: &str = "000000250fff000000000007000100010100789c6b6064606460606029c8cc4b\
                           07d2ec0c001589023c";

fn hex(text: &str) -> BytesMut {
    let digits: Vec<u8> = text
        .as_bytes()
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect();
    BytesMut::from(&digits[..])
}

fn ping(protocol: Protocol) -> Request {
    let mut request = Request::new(
        MessageHeader::new("ping", MessageType::Call, 7),
        protocol,
        Bytes::from_static(b"\x00"),
    );
    request.headers_mut().insert("trace-id", "4bf92f35");
    request
}

fn server(framing: Framing) -> MessageCodec<Request> {
    MessageCodec::new(framing, None, Limits::default())
}

fn client(framing: Framing, protocol: Protocol) -> MessageCodec<Response> {
    MessageCodec::new(framing, Some(protocol), Limits::default())
}

fn encoded(codec: &mut MessageCodec<Response>, request: Request) -> BytesMut {
    let mut wire = BytesMut::new();
    codec.encode(request, &mut wire).unwrap();
    wire
}

fn decode_error(codec: &mut MessageCodec<Request>, bytes: &[u8]) -> String {
    codec
        .decode(&mut BytesMut::from(bytes))
        .unwrap_err()
        .to_string()
}

#[test]
fn writes_the_bytes_apache_python_writes() {
    for (protocol, python) in [
        (Protocol::Binary, PYTHON_BINARY),
        (Protocol::Compact, PYTHON_COMPACT),
    ] {
        let wire = encoded(&mut client(Framing::Header, protocol), ping(protocol));
        assert_eq!(wire, hex(python), "{protocol}");
    }
}

#[test]
fn reads_apache_python_frames_with_their_headers_and_zlib() {
    for (protocol, python) in [
        (Protocol::Binary, PYTHON_BINARY),
        (Protocol::Compact, PYTHON_COMPACT),
        (Protocol::Binary, PYTHON_ZLIB),
    ] {
        for framing in [Framing::Header, Framing::Auto] {
            let mut codec = server(framing);
            let mut src = hex(python);
            let call = codec.decode(&mut src).unwrap().expect("a whole message");
            assert!(src.is_empty());
            assert_eq!((call.method(), call.header().seqid), ("ping", 7));
            assert_eq!(call.protocol(), protocol);
            assert_eq!(&call.body()[..], b"\x00");
            let trace = (python != PYTHON_ZLIB).then_some("4bf92f35");
            assert_eq!(call.headers().get("trace-id"), trace);
            assert_eq!(codec.framing(), Framing::Header);
            assert_eq!(codec.protocol(), Some(protocol));
        }
    }
}

#[test]
fn headers_travel_both_ways_byte_by_byte() {
    for framing in [Framing::Header, Framing::FramedHeader] {
        for protocol in [Protocol::Binary, Protocol::Compact] {
            let mut caller = client(framing, protocol);
            let mut wire = encoded(&mut caller, ping(protocol));
            wire.extend_from_slice(&encoded(&mut caller, ping(protocol)));
            let mut answerer = server(Framing::Auto);
            let mut src = BytesMut::new();
            let mut calls = Vec::new();
            for b in wire.iter() {
                src.put_u8(*b);
                while let Some(call) = answerer.decode(&mut src).unwrap() {
                    calls.push(call);
                }
            }
            assert_eq!(calls.len(), 2, "{framing:?} {protocol}");
            assert_eq!(answerer.framing(), framing);
            assert_eq!(calls[1].headers().get("trace-id"), Some("4bf92f35"));

            let mut reply = Response::new(
                MessageHeader::new("ping", MessageType::Reply, 7),
                protocol,
                Bytes::from_static(b"\x00"),
            );
            reply.headers_mut().insert("server", "thrift-tower");
            reply.headers_mut().insert("grüße", "ünïcode");
            let mut back = BytesMut::new();
            answerer.encode(reply, &mut back).unwrap();
            let got = caller.decode(&mut back).unwrap().expect("the reply");
            assert_eq!(got.header().message_type, MessageType::Reply);
            assert_eq!(
                got.headers().iter().collect::<Vec<_>>(),
                [("server", "thrift-tower"), ("grüße", "ünïcode")]
            );
            assert!(back.is_empty());
        }
    }
}

#[test]
fn a_framed_theader_frame_is_a_theader_frame_with_a_second_length() {
    let plain = encoded(
        &mut client(Framing::Header, Protocol::Binary),
        ping(Protocol::Binary),
    );
    let nested = encoded(
        &mut client(Framing::FramedHeader, Protocol::Binary),
        ping(Protocol::Binary),
    );
    assert_eq!(&nested[..4], &(plain.len() as u32).to_be_bytes());
    assert_eq!(&nested[4..], &plain[..]);
    // A frame around a THeader frame that does not fill it.
    let mut short = nested.clone();
    short[3] += 1;
    short.put_u8(0);
    let e = decode_error(&mut server(Framing::FramedHeader), &short);
    assert!(e.contains("must fill it"), "{e}");
}

#[test]
fn a_server_answers_in_the_flags_and_transforms_of_the_call() {
    let mut answerer = server(Framing::Auto);
    let mut call = hex(PYTHON_ZLIB);
    call[6..8].copy_from_slice(&[0x00, 0x05]);
    let read = answerer.decode(&mut call).unwrap().unwrap();
    let mut back = BytesMut::new();
    answerer
        .encode(
            Response::new(
                MessageHeader::new("ping", MessageType::Reply, read.header().seqid),
                read.protocol(),
                Bytes::from_static(b"\x00"),
            ),
            &mut back,
        )
        .unwrap();
    assert_eq!(&back[4..12], b"\x0f\xff\x00\x05\x00\x00\x00\x07");
    // Protocol 0, one transform, zlib; then the zlib stream's header.
    assert_eq!(&back[14..17], b"\x00\x01\x01");
    assert_eq!(back[FIXED + 8], 0x78);
    let mut caller = client(Framing::Header, Protocol::Binary);
    let reply = caller.decode(&mut back).unwrap().unwrap();
    assert_eq!(reply.header().message_type, MessageType::Reply);

    // Transforms configured are used whatever the peer's frames had.
    let mut plain = server(Framing::Header).with_header_transforms([]);
    let mut call = hex(PYTHON_ZLIB);
    plain.decode(&mut call).unwrap().unwrap();
    let mut back = BytesMut::new();
    plain.encode(ping(Protocol::Binary), &mut back).unwrap();
    assert_eq!(&back[14..16], b"\x00\x00");
}

#[test]
fn zlib_both_ways_and_a_bomb_is_refused() {
    let mut caller =
        MessageCodec::<Response>::new(Framing::Header, Some(Protocol::Compact), Limits::default())
            .with_header_transforms([HeaderTransform::Zlib]);
    let big = Bytes::from(vec![0u8; 200_000]);
    let mut request = ping(Protocol::Compact);
    request.set_body(big.clone());
    let mut wire = encoded(&mut caller, request.clone());
    assert!(wire.len() < 2_000, "{}", wire.len());
    let call = server(Framing::Auto)
        .decode(&mut wire.clone())
        .unwrap()
        .unwrap();
    assert_eq!(call.body(), &big);
    assert_eq!(call.headers().get("trace-id"), Some("4bf92f35"));

    // The same frame to a server whose messages may be 100 KB: it would inflate to 200 KB.
    let small = Limits::default().with_max_message_size(100_000);
    let e = MessageCodec::<Request>::new(Framing::Header, None, small)
        .decode(&mut wire)
        .unwrap_err();
    assert!(e.protocol_error().is_some_and(|e| e.is_limit()), "{e}");
    assert!(
        e.to_string()
            .contains("inflates past the message size limit of 100000 bytes"),
        "{e}"
    );
}

#[test]
fn hostile_lengths_fail_before_allocating() {
    let mut codec = server(Framing::Header);
    let mut src = BytesMut::from(&b"\x7f\xff\xff\xff\x0f\xff"[..]);
    let e = codec.decode(&mut src).unwrap_err().to_string();
    assert!(e.contains("exceeds the limit of 16384000"), "{e}");
    assert!(src.capacity() < 1024);
    // A frame within the limit that has not come yet: the buffer grows as bytes come.
    let mut src = BytesMut::from(&b"\x00\xf4\x24\x00\x0f\xff\x00\x00"[..]);
    assert!(server(Framing::Header).decode(&mut src).unwrap().is_none());
    assert!(
        src.capacity() <= 2 * super::RESERVE_AHEAD,
        "{}",
        src.capacity()
    );
    let e = decode_error(&mut server(Framing::Header), b"\x00\x00\x00\x09\x0f\xff");
    assert!(e.contains("fewer than its 10 fixed bytes"), "{e}");
    let e = decode_error(
        &mut server(Framing::FramedHeader),
        b"\x00\x00\x00\x30\x7f\xff\xff\xff",
    );
    assert!(e.contains("exceeds the limit"), "{e}");
}

#[test]
fn other_framings_are_told_apart() {
    let e = decode_error(
        &mut server(Framing::Header),
        b"\x00\x00\x00\x10\x80\x01\x00\x01",
    );
    assert!(
        e.contains("not a THeader frame") && e.contains("does the peer use TFramedTransport?"),
        "{e}"
    );
    let e = decode_error(&mut server(Framing::Header), b"\x82\x21\x01\x04ping\x00");
    assert!(
        e.contains("as an unframed compact message does (does the peer use TBufferedTransport?)"),
        "{e}"
    );
    // A codec set to framed, given THeader, says so: THeader is Thrift, not foreign.
    let e = decode_error(&mut server(Framing::Framed), &hex(PYTHON_BINARY));
    assert!(
        e.contains("the peer frames its messages with THeader (`Framing::Header`"),
        "{e}"
    );
}

#[test]
fn protocols_are_stated_and_checked() {
    // The header says binary; the message is compact.
    let mut wire = hex(PYTHON_COMPACT);
    wire[14] = 0x00;
    let e = decode_error(&mut server(Framing::Header), &wire);
    assert!(
        e.contains("its header says binary, but its message starts with byte 0x82"),
        "{e}"
    );
    // A server fixed to binary is called in compact.
    let mut fixed =
        MessageCodec::<Request>::new(Framing::Header, Some(Protocol::Binary), Limits::default());
    let e = decode_error(&mut fixed, &hex(PYTHON_COMPACT));
    assert!(e.contains("this connection speaks binary"), "{e}");
    // JSON cannot be sent.
    let e = client(Framing::Header, Protocol::Json)
        .encode(ping(Protocol::Json), &mut BytesMut::new())
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("binary or compact messages, not json"),
        "{e}"
    );
}

#[test]
fn every_cut_of_a_frame_waits_and_every_bad_header_size_fails() {
    let whole = hex(PYTHON_BINARY);
    for cut in 0..whole.len() {
        let mut src = BytesMut::from(&whole[..cut]);
        assert!(
            server(Framing::Header).decode(&mut src).unwrap().is_none(),
            "cut at {cut}"
        );
    }
    // Every header size from 0 words up: a few parse (padding aside, the section ends
    // early, and the message is then read from the wrong place), none panics.
    for words in 0..=u16::MAX {
        let mut wire = whole.clone();
        wire[12..14].copy_from_slice(&words.to_be_bytes());
        let _ = server(Framing::Header).decode(&mut wire);
    }
}

proptest! {
    #[test]
    fn bytes_after_a_theader_length_never_panic(
        frame in proptest::collection::vec(any::<u8>(), 0..300),
        magic in any::<bool>(),
    ) {
        let mut wire = BytesMut::new();
        wire.put_u32(frame.len() as u32 + if magic { 2 } else { 0 });
        if magic {
            wire.put_slice(&[0x0f, 0xff]);
        }
        wire.put_slice(&frame);
        for framing in [Framing::Header, Framing::Auto] {
            let _ = server(framing).decode(&mut wire.clone());
        }
    }

    #[test]
    fn changed_bytes_of_a_real_frame_never_panic(
        changes in proptest::collection::vec((0usize..64, any::<u8>()), 1..6),
    ) {
        for python in [PYTHON_BINARY, PYTHON_COMPACT, PYTHON_ZLIB] {
            let mut wire = hex(python);
            for &(at, byte) in &changes {
                let at = at % wire.len();
                wire[at] = byte;
            }
            let _ = server(Framing::Auto).decode(&mut wire);
        }
    }
}
