//! Hostile and broken input for every protocol: truncation at every offset, random
//! mutations, and crafted bytes (huge and negative lengths, bad type ids, bad varints, bad
//! UTF-8, bad JSON and base64, deep nesting). None may panic; each crafted case gives the
//! exact error kind.

mod common;

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use common::{AnyList, Everything, PROTOCOLS, Rng, decode, encode, sample, skip_message};
use thrift_tower::protocol::{
    Limits, Protocol, ProtocolWriter, Thrift, binary::BinaryWriter, compact::CompactWriter,
    json::JsonWriter,
};
use thrift_tower::{MessageHeader, MessageType, ProtocolErrorKind};

fn message(protocol: Protocol) -> Bytes {
    let mut buf = BytesMut::new();
    let header = MessageHeader::new("testEverything", MessageType::Call, 42);
    fn put<W: ProtocolWriter>(w: &mut W, header: &MessageHeader) {
        w.write_message_begin(header).unwrap();
        sample().write(w).unwrap();
        w.write_message_end().unwrap();
    }
    match protocol {
        Protocol::Binary => put(&mut BinaryWriter::new(&mut buf), &header),
        Protocol::Compact => put(&mut CompactWriter::new(&mut buf), &header),
        Protocol::Json => put(&mut JsonWriter::new(&mut buf), &header),
        other => panic!("{other}: not a protocol these tests know"),
    }
    buf.freeze()
}

#[test]
fn truncated_input_is_an_error_at_every_length() {
    for protocol in PROTOCOLS {
        let full = encode(protocol, &sample());
        assert_eq!(
            decode::<Everything>(protocol, full.clone(), Limits::default()).unwrap(),
            sample()
        );
        for len in 0..full.len() {
            let err = decode::<Everything>(protocol, full.slice(..len), Limits::default())
                .expect_err("a truncated struct must not decode");
            assert_eq!(
                err.kind(),
                ProtocolErrorKind::Eof,
                "{protocol}, {len} of {} bytes: {err}",
                full.len()
            );
        }
        let msg = message(protocol);
        skip_message(protocol, msg.clone(), Limits::default()).unwrap();
        for len in 0..msg.len() {
            let err = skip_message(protocol, msg.slice(..len), Limits::default())
                .expect_err("a truncated message must not decode");
            assert_eq!(
                err.kind(),
                ProtocolErrorKind::Eof,
                "{protocol}, {len}: {err}"
            );
        }
    }
}

type Nested = Vec<BTreeMap<String, Vec<i64>>>;

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut bytes = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if bytes.is_empty() {
            bytes.push(0);
        }
        let at = rng.below(bytes.len());
        match rng.below(7) {
            0 => bytes[at] = rng.next() as u8,
            1 => bytes[at] = [0x00, 0x7f, 0x80, 0xff, b'"', b'[', b'{'][rng.below(7)],
            2 => bytes[at] ^= 1 << rng.below(8),
            3 => bytes.insert(at, rng.next() as u8),
            4 => {
                bytes.remove(at);
            }
            5 => {
                let end = (at + 1 + rng.below(16)).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk);
            }
            _ => bytes.splice(at..at, [0xff; 5]).for_each(drop),
        }
    }
    bytes
}

#[test]
fn mutated_input_never_panics_and_what_decodes_is_stable() {
    let nested: Nested = vec![[("k".to_string(), vec![1, -1, i64::MAX])].into()];
    for protocol in PROTOCOLS {
        let mut rng = Rng::new(0x5eed ^ protocol as u64);
        let seeds = [
            encode(protocol, &sample()),
            message(protocol),
            encode(protocol, &nested),
        ];
        let (mut ok, mut err) = (0, 0);
        for seed in &seeds {
            for _ in 0..3000 {
                let bytes = Bytes::from(mutate(&mut rng, seed));
                match decode::<Everything>(protocol, bytes.clone(), Limits::default()) {
                    Ok(value) => {
                        ok += 1;
                        // What decodes must survive its own round trip unchanged.
                        let again = encode(protocol, &value);
                        assert_eq!(
                            decode::<Everything>(protocol, again, Limits::default()).unwrap(),
                            value
                        );
                    }
                    Err(_) => err += 1,
                }
                let _ = skip_message(protocol, bytes.clone(), Limits::default());
                let _ = decode::<Nested>(protocol, bytes, Limits::default());
            }
        }
        assert!(
            err > 1000,
            "{protocol}: only {err} of the mutants failed to decode"
        );
        assert!(ok + err == 9000);
    }
}

fn kind_of<T: Thrift + std::fmt::Debug>(
    protocol: Protocol,
    bytes: &[u8],
    limits: Limits,
) -> ProtocolErrorKind {
    match decode::<T>(protocol, Bytes::copy_from_slice(bytes), limits) {
        Ok(v) => panic!("{protocol} decoded {bytes:02x?} to {v:?}"),
        Err(e) => {
            assert!(!e.message().is_empty());
            e.kind()
        }
    }
}

fn message_kind(protocol: Protocol, bytes: &[u8], limits: Limits) -> ProtocolErrorKind {
    match skip_message(protocol, Bytes::copy_from_slice(bytes), limits) {
        Ok(()) => panic!("{protocol} accepted message {bytes:02x?}"),
        Err(e) => e.kind(),
    }
}

use ProtocolErrorKind::{BadVersion, DepthLimit, Eof, InvalidData, NegativeSize, SizeLimit};

#[test]
fn crafted_binary_input() {
    let p = Protocol::Binary;
    let d = Limits::default();
    assert_eq!(kind_of::<String>(p, b"\x7f\xff\xff\xffabc", d), Eof);
    assert_eq!(
        kind_of::<String>(p, b"\xff\xff\xff\xffabc", d),
        NegativeSize
    );
    assert_eq!(
        kind_of::<String>(p, b"\x00\x00\x00\x02\xc3\x28", d),
        InvalidData
    );
    assert_eq!(kind_of::<Vec<i64>>(p, b"\x0a\x10\x00\x00\x00\x00", d), Eof);
    assert_eq!(
        kind_of::<Vec<i64>>(p, b"\x0a\x80\x00\x00\x00", d),
        NegativeSize
    );
    assert_eq!(
        kind_of::<Vec<i64>>(p, b"\x11\x00\x00\x00\x01\x00", d),
        InvalidData
    );
    assert_eq!(
        kind_of::<Vec<i64>>(p, b"\x08\x00\x00\x00\x01\x00\x00\x00\x01", d),
        InvalidData
    );
    assert_eq!(
        kind_of::<BTreeMap<i32, i32>>(p, b"\x08\x08\x7f\xff\xff\xff", d),
        Eof
    );
    assert_eq!(
        kind_of::<Everything>(p, b"\x05\x00\x01\x00", d),
        InvalidData
    );
    assert_eq!(
        kind_of::<Everything>(p, b"\x01\x00\x01\x00", d),
        InvalidData
    );
    assert_eq!(
        message_kind(
            p,
            b"\x80\x02\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            d
        ),
        BadVersion
    );
    assert_eq!(
        message_kind(
            p,
            b"\x80\x01\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x00",
            d
        ),
        InvalidData
    );
    // 100,000 nested structs (field 1 of type struct) and lists of lists
    let mut deep = b"\x0c\x00\x01".repeat(100_000);
    deep.extend(std::iter::repeat_n(0u8, 100_001));
    assert_eq!(kind_of::<Everything>(p, &deep, d), DepthLimit);
    let lists = b"\x0f\x00\x00\x00\x01".repeat(100_000);
    assert_eq!(kind_of::<AnyList>(p, &lists, d), DepthLimit);
    // limits
    let small = d.with_max_message_size(16);
    assert_eq!(message_kind(p, &message(p), small), SizeLimit);
    assert_eq!(
        kind_of::<String>(p, b"\x00\x00\x00\x03abc", d.with_string_limit(2)),
        SizeLimit
    );
    assert_eq!(
        kind_of::<Vec<i8>>(p, b"\x03\x00\x00\x00\x03abc", d.with_container_limit(2)),
        SizeLimit
    );
    assert_eq!(
        kind_of::<Vec<Vec<i8>>>(
            p,
            b"\x0f\x00\x00\x00\x01\x03\x00\x00\x00\x00",
            d.with_recursion_limit(1)
        ),
        DepthLimit
    );
}

#[test]
fn crafted_compact_input() {
    let p = Protocol::Compact;
    let d = Limits::default();
    assert_eq!(
        kind_of::<i64>(p, b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", d),
        InvalidData
    );
    assert_eq!(
        kind_of::<i32>(p, b"\xff\xff\xff\xff\xff\x01", d),
        InvalidData
    );
    assert_eq!(
        kind_of::<String>(p, b"\xff\xff\xff\xff\x0f", d),
        NegativeSize
    );
    assert_eq!(kind_of::<String>(p, b"\xff\xff\xff\xff\x07ab", d), Eof);
    assert_eq!(kind_of::<String>(p, b"\x02\xed\xa0", d), InvalidData);
    assert_eq!(
        kind_of::<Vec<i64>>(p, b"\xf6\xff\xff\xff\xff\x07\x00", d),
        Eof
    );
    assert_eq!(kind_of::<Vec<i64>>(p, b"\x1e\x00", d), InvalidData);
    assert_eq!(
        kind_of::<BTreeMap<i32, i32>>(p, b"\xff\xff\xff\xff\x07\x55", d),
        Eof
    );
    assert_eq!(
        kind_of::<BTreeMap<i32, i32>>(p, b"\x01\xe5\x00\x00", d),
        InvalidData
    );
    assert_eq!(kind_of::<Everything>(p, b"\x1e\x00", d), InvalidData);
    assert_eq!(message_kind(p, b"\x82\x02\x00\x00\x00", d), BadVersion);
    assert_eq!(message_kind(p, b"\x83\x21\x00\x00\x00", d), BadVersion);
    assert_eq!(message_kind(p, b"\x82\xe1\x00\x00\x00", d), InvalidData);
    let mut deep = vec![0x1c; 100_000];
    deep.extend(std::iter::repeat_n(0u8, 100_001));
    assert_eq!(kind_of::<Everything>(p, &deep, d), DepthLimit);
    let lists = vec![0x19; 100_000];
    assert_eq!(kind_of::<AnyList>(p, &lists, d), DepthLimit);
    assert_eq!(
        message_kind(p, &message(p), d.with_max_message_size(16)),
        SizeLimit
    );
}

#[test]
fn crafted_json_input() {
    let p = Protocol::Json;
    let d = Limits::default();
    assert_eq!(kind_of::<Everything>(p, br#"{"7":{"str":"abc"#, d), Eof);
    assert_eq!(
        kind_of::<Everything>(p, br#"{"7":{"zzz":1}}"#, d),
        InvalidData
    );
    assert_eq!(kind_of::<String>(p, br#""a\x""#, d), InvalidData);
    assert_eq!(kind_of::<String>(p, br#""\ud800""#, d), InvalidData);
    assert_eq!(kind_of::<String>(p, b"\"\xc3\x28\"", d), InvalidData);
    assert_eq!(kind_of::<Bytes>(p, br#""@@@@""#, d), InvalidData);
    assert_eq!(kind_of::<i8>(p, b"300", d), InvalidData);
    assert_eq!(kind_of::<i32>(p, b"2147483648", d), InvalidData);
    assert_eq!(kind_of::<i64>(p, b"1e5", d), InvalidData);
    assert_eq!(kind_of::<i32>(p, b"\"12\"", d), InvalidData);
    assert_eq!(kind_of::<Vec<i32>>(p, br#"["i32",2,1"#, d), Eof);
    assert_eq!(
        kind_of::<BTreeMap<i32, i32>>(p, br#"["i32","i32",1,{"1"#, d),
        Eof
    );
    assert_eq!(kind_of::<f64>(p, b"\"Infinit\"", d), InvalidData);
    assert_eq!(kind_of::<Vec<i32>>(p, br#"["i32",2147483647,1]"#, d), Eof);
    assert_eq!(kind_of::<Vec<i32>>(p, br#"["i32",-1]"#, d), NegativeSize);
    assert_eq!(kind_of::<Vec<i32>>(p, br#"["xyz",0]"#, d), InvalidData);
    let lists = br#"["lst",1,"#.repeat(100_000);
    assert_eq!(kind_of::<AnyList>(p, &lists, d), DepthLimit);
    let structs = br#"{"16":{"rec":"#.repeat(100_000);
    assert_eq!(kind_of::<Everything>(p, &structs, d), DepthLimit);
    assert_eq!(message_kind(p, br#"[2,"x",1,0,{}]"#, d), BadVersion);
    assert_eq!(message_kind(p, br#"[1,"x",9,0,{}]"#, d), InvalidData);
    assert_eq!(
        message_kind(p, &message(p), d.with_max_message_size(16)),
        SizeLimit
    );
}
