//! The encoding as a whole, against the table in the module docs: what Apache's libraries
//! write, written here byte for byte and read back, and Thrift values through
//! [`encode`] and [`decode`].

use std::collections::HashMap;

use bytes::Bytes;

use super::reader::JsonReader;
use super::test_support::{V, assert_bytes, assert_err, json, read, reader, sample, show};
use super::writer::JsonWriter;
use crate::protocol::encode::{decode, encode};
use crate::protocol::error::ProtocolErrorKind;
use crate::protocol::header::{MessageHeader, MessageType};
use crate::protocol::limits::Limits;
use crate::protocol::traits::{ProtocolReader, ProtocolWriter};
use crate::protocol::wire::{Protocol, WireType};

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
    let back: HashMap<i64, Vec<Bytes>> = decode(Protocol::Json, bytes, Limits::default()).unwrap();
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
