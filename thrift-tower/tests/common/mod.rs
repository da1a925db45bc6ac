//! What the integration tests share: for the protocol tests, a struct with a field of every
//! kind, written as generated code would write it; for the server and channel tests, a raw
//! peer on a socket ([`peer`]). A test binary in a folder of its own reaches this module with
//! `#[path = "../common/mod.rs"] mod common;`. Each binary uses a part of it, hence the allows.
#![allow(dead_code, unreachable_pub)]

pub mod peer;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use thrift_tower::ProtocolError;
use thrift_tower::protocol::{
    FieldHeader, Limits, Protocol, ProtocolReader, ProtocolWriter, Thrift, WireType,
    binary::BinaryReader, compact::CompactReader, json::JsonReader, missing_required_field,
};

pub const PROTOCOLS: [Protocol; 3] = [Protocol::Binary, Protocol::Compact, Protocol::Json];

/// A double compared by bits (any NaN equals any NaN: JSON keeps no payload).
#[derive(Debug, Clone, Copy)]
pub struct Double(pub f64);

impl PartialEq for Double {
    fn eq(&self, other: &Self) -> bool {
        (self.0.is_nan() && other.0.is_nan()) || self.0.to_bits() == other.0.to_bits()
    }
}

impl Thrift for Double {
    const WIRE_TYPE: WireType = WireType::Double;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_double().map(Double)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_double(self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inner {
    pub id: i32,
    pub tags: Vec<String>,
}

impl Thrift for Inner {
    const WIRE_TYPE: WireType = WireType::Struct;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut id = None;
        let mut tags = Vec::new();
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id: fid } = r.read_field_begin()?;
            match (fid, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::I32) => id = Some(r.read_i32()?),
                (2, WireType::List) => tags = Thrift::read(r)?,
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Inner {
            id: id.ok_or_else(|| missing_required_field("Inner", "id"))?,
            tags,
        })
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Inner")?;
        w.write_field_begin("id", WireType::I32, 1)?;
        w.write_i32(self.id)?;
        w.write_field_end()?;
        w.write_field_begin("tags", WireType::List, 2)?;
        self.tags.write(w)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

/// Every base type, every container, optional and nested fields, ids far apart and negative.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Everything {
    pub flag: bool,
    pub byte: i8,
    pub short: i16,
    pub int: i32,
    pub long: i64,
    pub double: Option<Double>,
    pub text: String,
    pub blob: Bytes,
    pub maybe: Option<i32>,
    pub longs: Vec<i64>,
    pub names: BTreeSet<String>,
    pub by_id: BTreeMap<i32, String>,
    pub inners: Vec<Inner>,
    pub flags: BTreeMap<String, Vec<bool>>,
    pub uuid: Option<[u8; 16]>,
    pub far: Option<i16>,
    pub negative: Option<bool>,
    pub child: Option<Box<Everything>>,
}

macro_rules! field {
    ($w:ident, $name:literal, $ty:ident, $id:literal, $write:expr) => {{
        $w.write_field_begin($name, WireType::$ty, $id)?;
        $write;
        $w.write_field_end()?;
    }};
}

impl Thrift for Everything {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut v = Everything::default();
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id } = r.read_field_begin()?;
            match (id, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::Bool) => v.flag = r.read_bool()?,
                (2, WireType::I8) => v.byte = r.read_i8()?,
                (3, WireType::I16) => v.short = r.read_i16()?,
                (4, WireType::I32) => v.int = r.read_i32()?,
                (5, WireType::I64) => v.long = r.read_i64()?,
                (6, WireType::Double) => v.double = Some(Double(r.read_double()?)),
                (7, WireType::String) => v.text = r.read_string()?,
                (8, WireType::String) => v.blob = r.read_binary()?,
                (9, WireType::I32) => v.maybe = Some(r.read_i32()?),
                (10, WireType::List) => v.longs = Thrift::read(r)?,
                (11, WireType::Set) => v.names = Thrift::read(r)?,
                (12, WireType::Map) => v.by_id = Thrift::read(r)?,
                (13, WireType::List) => v.inners = Thrift::read(r)?,
                (14, WireType::Map) => v.flags = Thrift::read(r)?,
                (15, WireType::Uuid) => v.uuid = Some(r.read_uuid()?),
                (300, WireType::I16) => v.far = Some(r.read_i16()?),
                (-7, WireType::Bool) => v.negative = Some(r.read_bool()?),
                (16, WireType::Struct) => v.child = Some(Thrift::read(r)?),
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(v)
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Everything")?;
        field!(w, "flag", Bool, 1, w.write_bool(self.flag)?);
        field!(w, "byte", I8, 2, w.write_i8(self.byte)?);
        field!(w, "short", I16, 3, w.write_i16(self.short)?);
        field!(w, "int", I32, 4, w.write_i32(self.int)?);
        field!(w, "long", I64, 5, w.write_i64(self.long)?);
        if let Some(d) = self.double {
            field!(w, "double", Double, 6, w.write_double(d.0)?);
        }
        field!(w, "text", String, 7, w.write_string(&self.text)?);
        field!(w, "blob", String, 8, w.write_binary(&self.blob)?);
        if let Some(m) = self.maybe {
            field!(w, "maybe", I32, 9, w.write_i32(m)?);
        }
        field!(w, "longs", List, 10, self.longs.write(w)?);
        field!(w, "names", Set, 11, self.names.write(w)?);
        field!(w, "by_id", Map, 12, self.by_id.write(w)?);
        field!(w, "inners", List, 13, self.inners.write(w)?);
        field!(w, "flags", Map, 14, self.flags.write(w)?);
        if let Some(u) = &self.uuid {
            field!(w, "uuid", Uuid, 15, w.write_uuid(u)?);
        }
        if let Some(c) = &self.child {
            field!(w, "child", Struct, 16, c.write(w)?);
        }
        if let Some(f) = self.far {
            field!(w, "far", I16, 300, w.write_i16(f)?);
        }
        if let Some(n) = self.negative {
            field!(w, "negative", Bool, -7, w.write_bool(n)?);
        }
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

/// A value that uses every field, nested once.
pub fn sample() -> Everything {
    let inner = Everything {
        flag: true,
        text: "inner \u{1F600}".into(),
        longs: vec![i64::MIN, i64::MAX],
        ..Everything::default()
    };
    Everything {
        flag: true,
        byte: -128,
        short: i16::MIN,
        int: i32::MAX,
        long: -1,
        double: Some(Double(-0.0)),
        text: "h\u{e9}llo \"quoted\" \\ \n\t\u{1}".into(),
        blob: Bytes::from((0..=255u8).collect::<Vec<_>>()),
        maybe: Some(0),
        longs: vec![0, 1, -1, 1 << 40],
        names: ["a", "b\u{2603}", ""]
            .into_iter()
            .map(String::from)
            .collect(),
        by_id: [(-1, "minus".to_string()), (7, "seven".to_string())].into(),
        inners: vec![
            Inner {
                id: 1,
                tags: vec!["x".into()],
            },
            Inner {
                id: -2,
                tags: vec![],
            },
        ],
        flags: [("t".to_string(), vec![true, false, true])].into(),
        uuid: Some(*b"0123456789abcdef"),
        far: Some(300),
        negative: Some(false),
        child: Some(Box::new(inner)),
    }
}

/// `value` encoded with `protocol`; a failure fails the test.
pub fn encode<T: Thrift>(protocol: Protocol, value: &T) -> Bytes {
    thrift_tower::protocol::encode(protocol, value)
        .unwrap_or_else(|e| panic!("encoding with {protocol} failed: {e}"))
}

// `dead_code` does not cover an unused re-export, and the server and channel tests use none.
#[allow(unused_imports)]
pub use thrift_tower::protocol::decode;

/// Reads a whole message (header, then any struct body) without knowing its type.
pub fn skip_message(protocol: Protocol, bytes: Bytes, limits: Limits) -> Result<(), ProtocolError> {
    fn run<R: ProtocolReader>(r: &mut R) -> Result<(), ProtocolError> {
        r.read_message_begin()?;
        r.skip(WireType::Struct)?;
        r.read_message_end()
    }
    match protocol {
        Protocol::Binary => run(&mut BinaryReader::new(bytes, limits)),
        Protocol::Compact => run(&mut CompactReader::new(bytes, limits)),
        Protocol::Json => run(&mut JsonReader::new(bytes, limits)),
        other => panic!("{other}: not a protocol these tests know"),
    }
}

/// A small deterministic generator (xorshift64*), so every run feeds the same bytes.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Reads any list, however nested, by skipping it.
#[derive(Debug)]
pub struct AnyList;

impl Thrift for AnyList {
    const WIRE_TYPE: WireType = WireType::List;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.skip(WireType::List).map(|()| AnyList)
    }
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_list_begin(WireType::I32, 0)?;
        w.write_list_end()
    }
}
