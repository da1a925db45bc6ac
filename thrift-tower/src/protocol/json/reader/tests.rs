//! The reader's own tests: input that only other writers send (Java's doubles, whitespace,
//! `\u` escapes), and hostile or broken input, each failing with the error it must.

use super::*;
use crate::protocol::json::test_support::{V, assert_err, reader, sample};
use crate::protocol::json::writer::JsonWriter;
use crate::protocol::traits::ProtocolWriter;

#[test]
fn bad_message_headers() {
    let err = reader(br#"[2,"ping",1,0,{}]"#)
        .read_message_begin()
        .unwrap_err();
    assert_eq!(err.kind(), ProtocolErrorKind::BadVersion);
    assert_err(
        reader(br#"[1,"ping",5,0,{}]"#).read_message_begin(),
        ProtocolErrorKind::InvalidData,
    );
    assert_err(
        reader(br#"[1,"ping",257,0,{}]"#).read_message_begin(),
        ProtocolErrorKind::InvalidData,
    );
    assert_err(
        reader(br#"[1,"ping",1,2147483648,{}]"#).read_message_begin(),
        ProtocolErrorKind::InvalidData,
    );
    // A binary-protocol message sent to a JSON endpoint.
    let err = reader(b"\x80\x01\x00\x01\x00\x00\x00\x04ping")
        .read_message_begin()
        .unwrap_err();
    assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
    assert!(err.to_string().contains("at byte 0"), "{err}");
    let limits = Limits::default().with_max_message_size(10);
    let err = JsonReader::new(&br#"[1,"ping",1,7,{}]"#[..], limits)
        .read_message_begin()
        .unwrap_err();
    assert_eq!(err.kind(), ProtocolErrorKind::SizeLimit);
}

#[test]
fn reads_java_and_cpp_output() {
    // Java's Double.toString, unpadded base64, \u00XX escapes of control characters
    // (lowercase hex), escaped '/', and \u escapes of non-ASCII with surrogate pairs.
    let input = br#"[1,"testStruct",2,-1,{"0":{"rec":{"1":{"dbl":1.0E10},"2":{"lst":["dbl",5,1.0,-0.0,1.0E-5,4.9E-324,"NaN"]},"3":{"str":"AP8"},"4":{"str":"YWI"},"5":{"str":"\u0001\u001f\/\u00e9\ud83d\ude00\uD83D\uDE00\u20AC"},"6":{"map":["dbl","i64",1,{"1.5E300":-1}]}}}}]"#;
    let body = V::Struct(vec![(
        0,
        V::Struct(vec![
            (1, V::Dbl(1e10)),
            (
                2,
                V::List(
                    WireType::Double,
                    vec![
                        V::Dbl(1.0),
                        V::Dbl(-0.0),
                        V::Dbl(1e-5),
                        V::Dbl(5e-324),
                        V::Dbl(0.0),
                    ],
                ),
            ),
            (3, V::Bin(vec![0, 255])),
            (4, V::Bin(b"ab".to_vec())),
            (
                5,
                V::Str("\u{1}\u{1f}/\u{e9}\u{1f600}\u{1f600}\u{20ac}".into()),
            ),
            (
                6,
                V::Map(
                    WireType::Double,
                    WireType::I64,
                    vec![(V::Dbl(1.5e300), V::I64(-1))],
                ),
            ),
        ]),
    )]);
    let mut r = reader(input);
    let h = r.read_message_begin().unwrap();
    assert_eq!(h, MessageHeader::new("testStruct", MessageType::Reply, -1));
    let back = body.read_like(&mut r).unwrap();
    r.read_message_end().unwrap();
    assert_eq!(r.remaining(), 0);
    let V::Struct(outer) = &back else { panic!() };
    let V::Struct(fields) = &outer[0].1 else {
        panic!()
    };
    let V::List(_, doubles) = &fields[1].1 else {
        panic!()
    };
    assert!(matches!(doubles[1], V::Dbl(d) if d == 0.0 && d.is_sign_negative()));
    assert!(matches!(doubles[4], V::Dbl(d) if d.is_nan()));
    let V::Struct(expected) = &body else { panic!() };
    let V::Struct(expected) = &expected[0].1 else {
        panic!()
    };
    for i in [0, 2, 3, 4, 5] {
        assert_eq!(fields[i], expected[i]);
    }
    // The same message skipped whole.
    let mut r = reader(input);
    r.read_message_begin().unwrap();
    r.skip(WireType::Struct).unwrap();
    r.read_message_end().unwrap();
    assert_eq!(r.remaining(), 0);
}

#[test]
fn whitespace_between_tokens_is_allowed() {
    let input = b" [ 1 , \"ping\" ,\n1,\t7 , { \"1\" : { \"lst\" : [ \"i32\" , 2 , 3 , -4 ] } } ] ";
    let mut r = reader(input);
    r.read_message_begin().unwrap();
    let v = V::Struct(vec![(
        1,
        V::List(WireType::I32, vec![V::I32(3), V::I32(-4)]),
    )]);
    assert_eq!(v.read_like(&mut r).unwrap(), v);
    r.read_message_end().unwrap();
}

#[test]
fn truncated_input_is_eof_at_every_offset() {
    let mut buf = Vec::new();
    let mut w = JsonWriter::new(&mut buf);
    w.write_message_begin(&MessageHeader::new("m\u{e9}thod", MessageType::Call, -9))
        .unwrap();
    sample().write(&mut w).unwrap();
    w.write_message_end().unwrap();

    let read_message = |bytes: &[u8]| -> Result<(), ProtocolError> {
        let mut r = JsonReader::new(bytes, Limits::default());
        r.read_message_begin()?;
        sample().read_like(&mut r)?;
        r.read_message_end()
    };
    let skip_message = |bytes: &[u8]| -> Result<(), ProtocolError> {
        let mut r = JsonReader::new(Bytes::copy_from_slice(bytes), Limits::default());
        r.read_message_begin()?;
        r.skip(WireType::Struct)?;
        r.read_message_end()
    };
    read_message(&buf).unwrap();
    skip_message(&buf).unwrap();
    for end in 0..buf.len() {
        for result in [read_message(&buf[..end]), skip_message(&buf[..end])] {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::Eof, "cut at {end}: {err}");
        }
    }
}

#[test]
fn huge_declared_counts_fail_before_allocating() {
    assert_err(
        reader(br#"["i32",2147483647,1,2]"#).read_list_begin(),
        ProtocolErrorKind::Eof,
    );
    assert_err(
        reader(br#"["i32",99999999999999999999,1]"#).read_list_begin(),
        ProtocolErrorKind::InvalidData,
    );
    assert_err(
        reader(br#"["i32",-1]"#).read_set_begin(),
        ProtocolErrorKind::NegativeSize,
    );
    assert_err(
        reader(br#"["i32","i32",1000000,{"1":1}]"#).read_map_begin(),
        ProtocolErrorKind::Eof,
    );
    let limits = Limits::default().with_container_limit(2);
    let mut r = JsonReader::new(&br#"["i8",3,1,2,3]"#[..], limits);
    assert_err(r.read_list_begin(), ProtocolErrorKind::SizeLimit);
    // The count is trusted once returned: this one fits.
    assert_eq!(
        reader(br#"["i8",3,1,2,3]"#).read_list_begin().unwrap().len,
        3
    );
}

#[test]
fn string_limit_applies_to_decoded_lengths() {
    let limits = Limits::default().with_string_limit(3);
    let r = |bytes: &'static [u8]| JsonReader::new(Bytes::from_static(bytes), limits);
    assert_eq!(r(b"\"abc\"").read_string().unwrap(), "abc");
    assert_err(r(b"\"abcd\"").read_string(), ProtocolErrorKind::SizeLimit);
    assert_err(r(b"\"abcd\"").read_byte_str(), ProtocolErrorKind::SizeLimit);
    // Six bytes of escapes are three bytes of text.
    assert_eq!(r(br#""\n\t\"""#).read_string().unwrap(), "\n\t\"");
    assert_err(
        r(br#""\u00e9\u00e9""#).read_string(),
        ProtocolErrorKind::SizeLimit,
    );
    // Base64 of three bytes is four characters.
    assert_eq!(&r(b"\"YWJj\"").read_binary().unwrap()[..], b"abc");
    assert_err(
        r(b"\"YWJjZA==\"").read_binary(),
        ProtocolErrorKind::SizeLimit,
    );
}

#[test]
fn deep_nesting_hits_the_depth_limit() {
    // 65 nested lists
    let mut input = Vec::new();
    for _ in 0..65 {
        input.extend_from_slice(br#"["lst",1,"#);
    }
    input.extend_from_slice(br#"["i8",0]"#);
    input.extend(std::iter::repeat_n(b']', 65));
    assert_err(
        reader(&input).skip(WireType::List),
        ProtocolErrorKind::DepthLimit,
    );
    let limits = Limits::default().with_recursion_limit(66);
    JsonReader::new(&input[..], limits)
        .skip(WireType::List)
        .unwrap();

    // Structs nested in fields, and maps nested in map values.
    let mut input = Vec::new();
    for _ in 0..100 {
        input.extend_from_slice(br#"{"1":{"rec":"#);
    }
    assert_err(
        reader(&input).skip(WireType::Struct),
        ProtocolErrorKind::DepthLimit,
    );
    let mut input = Vec::new();
    for _ in 0..100 {
        input.extend_from_slice(br#"["i8","map",1,{"1":"#);
    }
    assert_err(
        reader(&input).skip(WireType::Map),
        ProtocolErrorKind::DepthLimit,
    );

    // A million brackets end in an error, not a stack overflow.
    let input = vec![b'['; 1_000_000];
    assert_err(
        reader(&input).skip(WireType::List),
        ProtocolErrorKind::InvalidData,
    );
}

#[test]
fn invalid_utf8_is_an_error() {
    for bad in [
        &b"\"\xc3\x28\""[..],
        b"\"\xff\"",
        b"\"\xed\xa0\x80\"",
        b"\"a\xc3\\n\"",
    ] {
        assert_err(reader(bad).read_string(), ProtocolErrorKind::InvalidData);
        assert_err(reader(bad).read_byte_str(), ProtocolErrorKind::InvalidData);
        reader(bad).skip_string().unwrap();
    }
    let mut r = reader(br#"[1,"p\u00e9",1,1]"#);
    assert_eq!(&*r.read_message_begin().unwrap().name, "p\u{e9}");
    let err = reader(b"[1,\"\xc3\",1,1]")
        .read_message_begin()
        .unwrap_err();
    assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
}

#[test]
fn bad_syntax_names_what_and_where() {
    let mut r = reader(br#"["i32",2,1;2]"#);
    r.read_list_begin().unwrap();
    r.read_i32().unwrap();
    let err = r.read_i32().unwrap_err();
    assert_eq!(err.kind(), ProtocolErrorKind::InvalidData);
    assert!(
        err.to_string()
            .contains("expected ',' between elements at byte 10, found ';'"),
        "{err}"
    );

    let mut r = reader(br#"{"1":{"i32":1}"2":{"i32":2}}"#);
    r.read_struct_begin().unwrap();
    r.read_field_begin().unwrap();
    r.read_i32().unwrap();
    r.read_field_end().unwrap();
    let err = r.read_field_begin().unwrap_err();
    assert!(err.to_string().contains("at byte 14, found '\"'"), "{err}");

    let mut r = reader(b"{\x01}");
    r.read_struct_begin().unwrap();
    let err = r.read_field_begin().unwrap_err();
    assert!(
        err.to_string().contains("at byte 1, found byte 0x01"),
        "{err}"
    );

    // An end without its begin, in either direction.
    assert_err(
        reader(b"}").read_struct_end(),
        ProtocolErrorKind::InvalidData,
    );
    let mut buf = Vec::new();
    assert_err(
        JsonWriter::new(&mut buf).write_list_end(),
        ProtocolErrorKind::InvalidData,
    );
}

#[test]
fn byte_str_shares_the_input() {
    // A name longer than `ByteStr::INLINE` is a slice of the input; a short one a copy.
    let long = "a_method_name_longer_than_thirty_bytes";
    let input = Bytes::from(format!(r#"[1,"{long}",1,0]"#));
    let mut r = JsonReader::new(input.clone(), Limits::default());
    let name = r.read_message_begin().unwrap().name;
    assert_eq!(&*name, long);
    assert_eq!(name.as_ptr(), input[4..].as_ptr());
    let input = Bytes::from_static(br#"[1,"method",1,0]"#);
    let mut r = JsonReader::new(input.clone(), Limits::default());
    let name = r.read_message_begin().unwrap().name;
    assert_eq!(&*name, "method");
    assert!(!input.as_ptr_range().contains(&name.as_ptr()));
    // With escapes the string is decoded into a buffer of its own.
    let s = reader(br#""a\tb""#).read_byte_str().unwrap();
    assert_eq!(&*s, "a\tb");
}
