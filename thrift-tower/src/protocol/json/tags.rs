//! The JSON protocol's fixed names: the version number every message opens with, and the
//! type tags (`"i32"`, `"rec"`, `"lst"`...) that name the type of a field, of a list's or
//! set's elements and of a map's keys and values. The writer puts tags out with
//! [`type_tag`]; the reader looks them up with [`tag_type`].

use crate::protocol::error::{ProtocolError, ProtocolErrorKind};
use crate::protocol::wire::WireType;

/// The protocol version, the first element of every message (`VERSION` in Apache's sources).
pub(super) const VERSION: i64 = 1;

/// The type tag of a wire type, quoted, as it is written.
pub(super) fn type_tag(wire_type: WireType) -> Result<&'static [u8], ProtocolError> {
    Ok(match wire_type {
        WireType::Bool => b"\"tf\"",
        WireType::I8 => b"\"i8\"",
        WireType::I16 => b"\"i16\"",
        WireType::I32 => b"\"i32\"",
        WireType::I64 => b"\"i64\"",
        WireType::Double => b"\"dbl\"",
        WireType::String => b"\"str\"",
        WireType::Struct => b"\"rec\"",
        WireType::Map => b"\"map\"",
        WireType::Set => b"\"set\"",
        WireType::List => b"\"lst\"",
        WireType::Uuid => b"\"uid\"",
        WireType::Stop | WireType::Void => {
            return Err(ProtocolError::new(
                ProtocolErrorKind::NotImplemented,
                format!("the JSON protocol has no type name for {wire_type}"),
            ));
        }
    })
}

/// The wire type of an (unquoted) type tag.
pub(super) fn tag_type(tag: &[u8]) -> Option<WireType> {
    Some(match tag {
        b"tf" => WireType::Bool,
        b"i8" => WireType::I8,
        b"i16" => WireType::I16,
        b"i32" => WireType::I32,
        b"i64" => WireType::I64,
        b"dbl" => WireType::Double,
        b"str" => WireType::String,
        b"rec" => WireType::Struct,
        b"map" => WireType::Map,
        b"set" => WireType::Set,
        b"lst" => WireType::List,
        b"uid" => WireType::Uuid,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::protocol::error::ProtocolErrorKind;
    use crate::protocol::json::test_support::{assert_err, reader, show};
    use crate::protocol::json::writer::JsonWriter;
    use crate::protocol::traits::{ProtocolReader, ProtocolWriter};
    use crate::protocol::wire::WireType;

    #[test]
    fn bad_type_tags() {
        for bad in [
            &br#"{"1":{"i33":1}}"#[..],
            br#"{"1":{"":1}}"#,
            br#"{"1":{"I32":1}}"#,
            br#"{"1":{"i3\u0032":1}}"#,
            br#"{"1":{1:1}}"#,
        ] {
            let mut r = reader(bad);
            r.read_struct_begin().unwrap();
            let err = r.read_field_begin().unwrap_err();
            assert_eq!(err.kind(), ProtocolErrorKind::InvalidData, "{}", show(bad));
        }
        let err = reader(br#"["xyz",0]"#).read_list_begin().unwrap_err();
        assert!(err.to_string().contains("`xyz` at byte 2"), "{err}");
        assert_err(
            reader(br#"["i32","bad",0,{}]"#).read_map_begin(),
            ProtocolErrorKind::InvalidData,
        );
        // Writing a type that has no JSON name.
        let mut buf = Vec::new();
        let mut w = JsonWriter::new(&mut buf);
        assert_err(
            w.write_list_begin(WireType::Void, 0),
            ProtocolErrorKind::NotImplemented,
        );
        assert_err(
            w.write_field_begin("f", WireType::Stop, 1),
            ProtocolErrorKind::NotImplemented,
        );
        assert!(buf.is_empty());
    }
}
