//! thrift-tower's binary and compact protocols against Apache's `thrift` crate 0.17: both
//! encode and decode the same values, and must produce the same bytes.
//!
//! ```text
//! cargo bench -p thrift-tower --bench protocols -- --quick          # everything, quickly
//! cargo bench -p thrift-tower --bench protocols                     # full criterion runs
//! cargo bench -p thrift-tower --bench protocols -- --quick decode/  # a criterion filter
//! cargo test  -p thrift-tower --bench protocols                     # checks, each bench once
//! ```
//!
//! Benchmark ids read `encode/binary/small/thrift-tower` and `encode/binary/small/thrift-0.17`,
//! with throughput in bytes of the encoded value. After criterion, a table gives the
//! throughput ratio thrift-tower / thrift-0.17 of every pair that ran (see [`summary`]).
//!
//! The values, in IDL:
//!
//! ```thrift
//! struct Small { 1: required string payload }               // a 64-byte string
//! struct Item {
//!   1: required i64 id
//!   2: required string name
//!   3: optional double score
//!   4: required list<i32> values                            // 4 elements
//!   5: required map<string, string> attrs                   // 3 entries
//! }
//! struct Large { 1: required list<Item> items }             // 100 items
//! ```
//!
//! Both libraries work on the same Rust types: `Thrift` impls written as thrift-tower's
//! generator would, `TSerializable` impls written as Apache's Rust generator (0.17) writes
//! them. Maps are `BTreeMap` on both sides, as Apache generates them, so that both iterate
//! in the same order and the bytes can be compared. Decoding builds the same values on both
//! sides, and dropping them is part of every decode iteration, so allocation costs are alike.
//!
//! Before anything is timed, each library encodes each value, the bytes must be identical,
//! and decoding them must give the value back. Protocols thrift-tower does not implement yet
//! (an encode or decode failing with `NotImplemented`) show as `n/a`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::hint::black_box;
use std::rc::Rc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, Throughput};
use thrift::protocol::{
    TBinaryInputProtocol, TBinaryOutputProtocol, TCompactInputProtocol, TCompactOutputProtocol,
    TFieldIdentifier, TInputProtocol, TListIdentifier, TMapIdentifier, TOutputProtocol,
    TSerializable, TStructIdentifier, TType, field_id,
};
use thrift_tower::protocol::binary::{BinaryReader, BinaryWriter};
use thrift_tower::protocol::compact::{CompactReader, CompactWriter};
use thrift_tower::protocol::{
    Limits, ProtocolReader, ProtocolWriter, Thrift, WireType, missing_required_field,
};
use thrift_tower::{ByteStr, ProtocolError, ProtocolErrorKind};

// ---------------------------------------------------------------------------------------
// The values

/// `struct Small { 1: required string payload }`
#[derive(Debug, Clone, PartialEq)]
struct Small {
    payload: String,
}

/// `struct Item { 1: required i64 id, 2: required string name, 3: optional double score,
/// 4: required list<i32> values, 5: required map<string, string> attrs }`
#[derive(Debug, Clone, PartialEq)]
struct Item {
    id: i64,
    name: String,
    score: Option<f64>,
    values: Vec<i32>,
    attrs: BTreeMap<String, String>,
}

/// `struct Large { 1: required list<Item> items }`
#[derive(Debug, Clone, PartialEq)]
struct Large {
    items: Vec<Item>,
}

fn small() -> Small {
    Small {
        payload: ('a'..='z').cycle().take(64).collect(),
    }
}

fn large() -> Large {
    const COLORS: [&str; 3] = ["red", "green", "blue"];
    let items = (0..100i32)
        .map(|i| Item {
            // Negative, small and large ids: every varint length shows up in compact.
            id: 1_000_000_007 * i64::from(i) - 50_000_000_000,
            name: format!("item-{i:03}"),
            score: Some(f64::from(i) * 1.25 + 0.5),
            values: vec![i, -i, i * 1000, i32::MAX - i],
            attrs: BTreeMap::from([
                (
                    "color".to_owned(),
                    COLORS[i as usize % COLORS.len()].to_owned(),
                ),
                ("owner".to_owned(), format!("team-{}", i % 7)),
                ("region".to_owned(), "eu-west-1".to_owned()),
            ]),
        })
        .collect();
    Large { items }
}

// ---------------------------------------------------------------------------------------
// thrift-tower: `Thrift` as its code generator writes it. Fields are matched on id and wire
// type; anything else is skipped, so old and new peers interoperate.

impl Thrift for Small {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_struct_begin()?;
        let mut payload = None;
        loop {
            let field = r.read_field_begin()?;
            match (field.id, field.wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::String) => payload = Some(r.read_string()?),
                (_, wire_type) => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Small {
            payload: payload.ok_or_else(|| missing_required_field("Small", "payload"))?,
        })
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Small")?;
        w.write_field_begin("payload", WireType::String, 1)?;
        w.write_string(&self.payload)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

impl Thrift for Item {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_struct_begin()?;
        let mut id = None;
        let mut name = None;
        let mut score = None;
        let mut values = None;
        let mut attrs = None;
        loop {
            let field = r.read_field_begin()?;
            match (field.id, field.wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::I64) => id = Some(r.read_i64()?),
                (2, WireType::String) => name = Some(r.read_string()?),
                (3, WireType::Double) => score = Some(r.read_double()?),
                (4, WireType::List) => values = Some(Vec::<i32>::read(r)?),
                (5, WireType::Map) => attrs = Some(BTreeMap::<String, String>::read(r)?),
                (_, wire_type) => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Item {
            id: id.ok_or_else(|| missing_required_field("Item", "id"))?,
            name: name.ok_or_else(|| missing_required_field("Item", "name"))?,
            score,
            values: values.ok_or_else(|| missing_required_field("Item", "values"))?,
            attrs: attrs.ok_or_else(|| missing_required_field("Item", "attrs"))?,
        })
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Item")?;
        w.write_field_begin("id", WireType::I64, 1)?;
        w.write_i64(self.id)?;
        w.write_field_end()?;
        w.write_field_begin("name", WireType::String, 2)?;
        w.write_string(&self.name)?;
        w.write_field_end()?;
        if let Some(score) = self.score {
            w.write_field_begin("score", WireType::Double, 3)?;
            w.write_double(score)?;
            w.write_field_end()?;
        }
        w.write_field_begin("values", WireType::List, 4)?;
        self.values.write(w)?;
        w.write_field_end()?;
        w.write_field_begin("attrs", WireType::Map, 5)?;
        self.attrs.write(w)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

impl Thrift for Large {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        r.read_struct_begin()?;
        let mut items = None;
        loop {
            let field = r.read_field_begin()?;
            match (field.id, field.wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::List) => items = Some(Vec::<Item>::read(r)?),
                (_, wire_type) => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(Large {
            items: items.ok_or_else(|| missing_required_field("Large", "items"))?,
        })
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Large")?;
        w.write_field_begin("items", WireType::List, 1)?;
        self.items.write(w)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

// ---------------------------------------------------------------------------------------
// thrift 0.17: `TSerializable` as Apache's Rust generator writes it: `dyn` protocol calls,
// a `TStructIdentifier`/`TFieldIdentifier` (each allocating its name) per struct and field
// written, containers read element by element, fields matched on id only.

/// What generated code does with `verify_required_field_exists` and then `expect`: the same
/// check and error, without the panic path.
fn required<T>(field: Option<T>, name: &str) -> thrift::Result<T> {
    field.ok_or_else(|| {
        thrift::new_protocol_error(
            thrift::ProtocolErrorKind::Unknown,
            format!("missing required field {name}"),
        )
    })
}

impl TSerializable for Small {
    fn read_from_in_protocol(i_prot: &mut dyn TInputProtocol) -> thrift::Result<Small> {
        i_prot.read_struct_begin()?;
        let mut f_1: Option<String> = None;
        loop {
            let field_ident = i_prot.read_field_begin()?;
            if field_ident.field_type == TType::Stop {
                break;
            }
            let field_id = field_id(&field_ident)?;
            match field_id {
                1 => {
                    let val = i_prot.read_string()?;
                    f_1 = Some(val);
                }
                _ => {
                    i_prot.skip(field_ident.field_type)?;
                }
            };
            i_prot.read_field_end()?;
        }
        i_prot.read_struct_end()?;
        Ok(Small {
            payload: required(f_1, "Small.payload")?,
        })
    }

    fn write_to_out_protocol(&self, o_prot: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        let struct_ident = TStructIdentifier::new("Small");
        o_prot.write_struct_begin(&struct_ident)?;
        o_prot.write_field_begin(&TFieldIdentifier::new("payload", TType::String, 1))?;
        o_prot.write_string(&self.payload)?;
        o_prot.write_field_end()?;
        o_prot.write_field_stop()?;
        o_prot.write_struct_end()
    }
}

impl TSerializable for Item {
    fn read_from_in_protocol(i_prot: &mut dyn TInputProtocol) -> thrift::Result<Item> {
        i_prot.read_struct_begin()?;
        let mut f_1: Option<i64> = None;
        let mut f_2: Option<String> = None;
        let mut f_3: Option<f64> = None;
        let mut f_4: Option<Vec<i32>> = None;
        let mut f_5: Option<BTreeMap<String, String>> = None;
        loop {
            let field_ident = i_prot.read_field_begin()?;
            if field_ident.field_type == TType::Stop {
                break;
            }
            let field_id = field_id(&field_ident)?;
            match field_id {
                1 => {
                    let val = i_prot.read_i64()?;
                    f_1 = Some(val);
                }
                2 => {
                    let val = i_prot.read_string()?;
                    f_2 = Some(val);
                }
                3 => {
                    let val = i_prot.read_double()?;
                    f_3 = Some(val);
                }
                4 => {
                    let list_ident = i_prot.read_list_begin()?;
                    let mut val: Vec<i32> = Vec::with_capacity(list_ident.size as usize);
                    for _ in 0..list_ident.size {
                        let list_elem_0 = i_prot.read_i32()?;
                        val.push(list_elem_0);
                    }
                    i_prot.read_list_end()?;
                    f_4 = Some(val);
                }
                5 => {
                    let map_ident = i_prot.read_map_begin()?;
                    let mut val: BTreeMap<String, String> = BTreeMap::new();
                    for _ in 0..map_ident.size {
                        let map_key_1 = i_prot.read_string()?;
                        let map_val_2 = i_prot.read_string()?;
                        val.insert(map_key_1, map_val_2);
                    }
                    i_prot.read_map_end()?;
                    f_5 = Some(val);
                }
                _ => {
                    i_prot.skip(field_ident.field_type)?;
                }
            };
            i_prot.read_field_end()?;
        }
        i_prot.read_struct_end()?;
        Ok(Item {
            id: required(f_1, "Item.id")?,
            name: required(f_2, "Item.name")?,
            score: f_3,
            values: required(f_4, "Item.values")?,
            attrs: required(f_5, "Item.attrs")?,
        })
    }

    fn write_to_out_protocol(&self, o_prot: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        let struct_ident = TStructIdentifier::new("Item");
        o_prot.write_struct_begin(&struct_ident)?;
        o_prot.write_field_begin(&TFieldIdentifier::new("id", TType::I64, 1))?;
        o_prot.write_i64(self.id)?;
        o_prot.write_field_end()?;
        o_prot.write_field_begin(&TFieldIdentifier::new("name", TType::String, 2))?;
        o_prot.write_string(&self.name)?;
        o_prot.write_field_end()?;
        if let Some(fld_var) = self.score {
            o_prot.write_field_begin(&TFieldIdentifier::new("score", TType::Double, 3))?;
            o_prot.write_double(fld_var)?;
            o_prot.write_field_end()?
        }
        o_prot.write_field_begin(&TFieldIdentifier::new("values", TType::List, 4))?;
        o_prot.write_list_begin(&TListIdentifier::new(TType::I32, self.values.len() as i32))?;
        for e in &self.values {
            o_prot.write_i32(*e)?;
        }
        o_prot.write_list_end()?;
        o_prot.write_field_end()?;
        o_prot.write_field_begin(&TFieldIdentifier::new("attrs", TType::Map, 5))?;
        o_prot.write_map_begin(&TMapIdentifier::new(
            TType::String,
            TType::String,
            self.attrs.len() as i32,
        ))?;
        for (k, v) in &self.attrs {
            o_prot.write_string(k)?;
            o_prot.write_string(v)?;
        }
        o_prot.write_map_end()?;
        o_prot.write_field_end()?;
        o_prot.write_field_stop()?;
        o_prot.write_struct_end()
    }
}

impl TSerializable for Large {
    fn read_from_in_protocol(i_prot: &mut dyn TInputProtocol) -> thrift::Result<Large> {
        i_prot.read_struct_begin()?;
        let mut f_1: Option<Vec<Item>> = None;
        loop {
            let field_ident = i_prot.read_field_begin()?;
            if field_ident.field_type == TType::Stop {
                break;
            }
            let field_id = field_id(&field_ident)?;
            match field_id {
                1 => {
                    let list_ident = i_prot.read_list_begin()?;
                    let mut val: Vec<Item> = Vec::with_capacity(list_ident.size as usize);
                    for _ in 0..list_ident.size {
                        let list_elem_3 = Item::read_from_in_protocol(i_prot)?;
                        val.push(list_elem_3);
                    }
                    i_prot.read_list_end()?;
                    f_1 = Some(val);
                }
                _ => {
                    i_prot.skip(field_ident.field_type)?;
                }
            };
            i_prot.read_field_end()?;
        }
        i_prot.read_struct_end()?;
        Ok(Large {
            items: required(f_1, "Large.items")?,
        })
    }

    fn write_to_out_protocol(&self, o_prot: &mut dyn TOutputProtocol) -> thrift::Result<()> {
        let struct_ident = TStructIdentifier::new("Large");
        o_prot.write_struct_begin(&struct_ident)?;
        o_prot.write_field_begin(&TFieldIdentifier::new("items", TType::List, 1))?;
        o_prot.write_list_begin(&TListIdentifier::new(
            TType::Struct,
            self.items.len() as i32,
        ))?;
        for e in &self.items {
            e.write_to_out_protocol(o_prot)?;
        }
        o_prot.write_list_end()?;
        o_prot.write_field_end()?;
        o_prot.write_field_stop()?;
        o_prot.write_struct_end()
    }
}

// ---------------------------------------------------------------------------------------
// One iteration of each side, for each protocol. The checks run these very functions, so
// what is timed is what was verified; the protocol is a type parameter, so nothing is chosen
// at run time inside the timed loop.

/// A protocol as each library spells it.
trait Wire: 'static {
    const NAME: &'static str;

    /// thrift-tower encode: clears the reused `BytesMut` (its capacity stays), makes a writer
    /// over it and writes the value. No allocation once the buffer has grown.
    fn encode_tower<T: Thrift>(value: &T, buf: &mut BytesMut) -> Result<(), ProtocolError>;

    /// thrift 0.17 encode: clears the reused `Vec<u8>` (its capacity stays), makes a
    /// protocol over `&mut Vec<u8>` (an `io::Write`: no transport buffering or copying in
    /// between) and writes the value. The protocol is made per message because it owns its
    /// transport, so the buffer could not be cleared through a long-lived one; that costs
    /// nothing for binary, and for compact one small allocation per message (its field-id
    /// stack, a `Vec` that grows at the first `write_struct_begin`).
    fn encode_thrift<T: TSerializable>(value: &T, buf: &mut Vec<u8>) -> thrift::Result<()>;

    /// thrift-tower decode: a reader over the message's `&[u8]`, as the thrift side reads,
    /// with Apache's default limits. (A reader over `Bytes`, which shares binary fields
    /// instead of copying them, costs a reference-count increment and decrement more per
    /// message here, since the benchmark decodes the same message again and again; neither
    /// value has a binary field.) The caller drops the value inside the timed loop.
    fn decode_tower<T: Thrift>(bytes: &Bytes) -> Result<T, ProtocolError>;

    /// thrift 0.17 decode: a protocol over the message's `&[u8]` (an `io::Read`, the
    /// cheapest transport it takes; compact allocates its field-id stack per message, as
    /// when encoding). The caller drops the value inside the timed loop.
    fn decode_thrift<T: TSerializable>(bytes: &[u8]) -> thrift::Result<T>;
}

struct Binary;

impl Wire for Binary {
    const NAME: &'static str = "binary";

    fn encode_tower<T: Thrift>(value: &T, buf: &mut BytesMut) -> Result<(), ProtocolError> {
        buf.clear();
        value.write(&mut BinaryWriter::new(buf))
    }

    fn encode_thrift<T: TSerializable>(value: &T, buf: &mut Vec<u8>) -> thrift::Result<()> {
        buf.clear();
        value.write_to_out_protocol(&mut TBinaryOutputProtocol::new(buf, true))
    }

    fn decode_tower<T: Thrift>(bytes: &Bytes) -> Result<T, ProtocolError> {
        T::read(&mut BinaryReader::new(&bytes[..], Limits::default()))
    }

    fn decode_thrift<T: TSerializable>(bytes: &[u8]) -> thrift::Result<T> {
        T::read_from_in_protocol(&mut TBinaryInputProtocol::new(bytes, true))
    }
}

struct Compact;

impl Wire for Compact {
    const NAME: &'static str = "compact";

    fn encode_tower<T: Thrift>(value: &T, buf: &mut BytesMut) -> Result<(), ProtocolError> {
        buf.clear();
        value.write(&mut CompactWriter::new(buf))
    }

    fn encode_thrift<T: TSerializable>(value: &T, buf: &mut Vec<u8>) -> thrift::Result<()> {
        buf.clear();
        value.write_to_out_protocol(&mut TCompactOutputProtocol::new(buf))
    }

    fn decode_tower<T: Thrift>(bytes: &Bytes) -> Result<T, ProtocolError> {
        T::read(&mut CompactReader::new(&bytes[..], Limits::default()))
    }

    fn decode_thrift<T: TSerializable>(bytes: &[u8]) -> thrift::Result<T> {
        T::read_from_in_protocol(&mut TCompactInputProtocol::new(bytes))
    }
}

/// Runs `iters` iterations of `op` and returns how long they took: the loop criterion's
/// `iter` runs, shared with the summary.
#[inline(always)]
fn timed(iters: u64, mut op: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        op();
    }
    start.elapsed()
}

/// The value of a result that the checks already saw succeed.
#[inline(always)]
fn ok<T, E: fmt::Display>(result: Result<T, E>) -> T {
    match result {
        Ok(value) => value,
        Err(e) => failed(&e),
    }
}

#[cold]
#[inline(never)]
fn failed(e: &dyn fmt::Display) -> ! {
    panic!("an operation failed while timed, after it passed the checks: {e}")
}

// ---------------------------------------------------------------------------------------
// The comparisons, checked before anything is timed

/// Runs `iters` iterations and returns their duration.
type Routine = Box<dyn FnMut(u64) -> Duration>;

/// One (operation, protocol, size) pair of routines.
struct Comparison {
    /// `encode/binary/small`: the criterion group.
    group: String,
    /// Encoded size of the value: the throughput of one iteration.
    bytes: u64,
    /// `Err` says why thrift-tower can't run it (a protocol not implemented yet).
    tower: Result<Routine, String>,
    thrift: Routine,
    /// Whether criterion ran this group (it was not filtered out).
    ran: Cell<bool>,
}

/// thrift-tower's result where it may not implement the protocol yet: `Err` with a reason
/// for `NotImplemented`, a panic for any other error.
fn tower_support<T>(label: &str, result: Result<T, ProtocolError>) -> Result<T, String> {
    match result {
        Ok(value) => Ok(value),
        Err(e) if e.kind() == ProtocolErrorKind::NotImplemented => {
            Err(format!("not implemented in thrift-tower yet: {e}"))
        }
        Err(e) => panic!("{label}: thrift-tower failed: {e}"),
    }
}

fn assert_same_bytes(label: &str, tower: &[u8], thrift: &[u8]) {
    if tower == thrift {
        return;
    }
    let at = tower
        .iter()
        .zip(thrift)
        .position(|(a, b)| a != b)
        .unwrap_or(tower.len().min(thrift.len()));
    let around = |b: &[u8]| format!("{:02x?}", &b[at.saturating_sub(8)..b.len().min(at + 8)]);
    panic!(
        "{label}: thrift-tower wrote {} bytes, thrift-0.17 wrote {}; first difference at \
         byte {at}:\n  thrift-tower {}\n  thrift-0.17  {}",
        tower.len(),
        thrift.len(),
        around(tower),
        around(thrift),
    );
}

/// Checks one value in one protocol on both sides, then returns its encode and decode
/// comparisons.
fn compare<P: Wire, T>(size: &str, value: T) -> [Comparison; 2]
where
    T: Thrift + TSerializable + PartialEq + fmt::Debug + 'static,
{
    let proto = P::NAME;
    let label = format!("{proto} {size}");
    let value = Rc::new(value);

    let mut expected = Vec::new();
    if let Err(e) = P::encode_thrift(&*value, &mut expected) {
        panic!("{label}: thrift-0.17 failed to encode: {e}");
    }
    match P::decode_thrift::<T>(&expected) {
        Ok(back) => assert!(back == *value, "{label}: thrift-0.17 decoded another value"),
        Err(e) => panic!("{label}: thrift-0.17 failed to decode: {e}"),
    }
    let bytes = Bytes::from(expected.clone());
    let len = expected.len();

    let mut buf = BytesMut::new();
    let tower_encode = tower_support(&label, P::encode_tower(&*value, &mut buf)).map(|()| {
        assert_same_bytes(&label, &buf, &expected);
        let value = Rc::clone(&value);
        let mut buf = BytesMut::with_capacity(len);
        Box::new(move |iters| {
            timed(iters, || {
                ok(P::encode_tower(&*value, &mut buf));
                black_box(&buf);
            })
        }) as Routine
    });
    let tower_decode = tower_support(&label, P::decode_tower::<T>(&bytes)).map(|back| {
        assert!(
            back == *value,
            "{label}: thrift-tower decoded another value"
        );
        let bytes = bytes.clone();
        Box::new(move |iters| timed(iters, || drop(black_box(ok(P::decode_tower::<T>(&bytes))))))
            as Routine
    });

    let thrift_encode = {
        let value = Rc::clone(&value);
        let mut buf = Vec::with_capacity(len);
        Box::new(move |iters| {
            timed(iters, || {
                ok(P::encode_thrift(&*value, &mut buf));
                black_box(&buf);
            })
        }) as Routine
    };
    let thrift_decode = Box::new(move |iters| {
        timed(iters, || {
            drop(black_box(ok(P::decode_thrift::<T>(&expected))))
        })
    }) as Routine;

    [
        (("encode", tower_encode), thrift_encode),
        (("decode", tower_decode), thrift_decode),
    ]
    .map(|((op, tower), thrift)| Comparison {
        group: format!("{op}/{proto}/{size}"),
        bytes: len as u64,
        tower,
        thrift,
        ran: Cell::new(false),
    })
}

// ---------------------------------------------------------------------------------------
// Criterion, then the summary

fn run_criterion(c: &mut Criterion, comparisons: &mut [Comparison]) {
    for cmp in comparisons {
        let mut group = c.benchmark_group(cmp.group.as_str());
        group.throughput(Throughput::Bytes(cmp.bytes));
        let ran = &cmp.ran;
        if let Ok(tower) = &mut cmp.tower {
            group.bench_function("thrift-tower", |b| {
                ran.set(true);
                b.iter_custom(&mut *tower);
            });
        }
        let thrift = &mut cmp.thrift;
        group.bench_function("thrift-0.17", |b| {
            ran.set(true);
            b.iter_custom(&mut *thrift);
        });
        group.finish();
    }
}

/// Whether criterion measures (`cargo bench`), as opposed to running each benchmark once as
/// a test (`cargo test --benches`, `--test`), listing or profiling.
fn measuring() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench")
        && !args
            .iter()
            .any(|a| a == "--test" || a == "--list" || a.starts_with("--profile-time"))
}

/// Prints the throughput ratio thrift-tower / thrift-0.17 of every pair criterion ran.
///
/// Criterion keeps its estimates to itself. They land in
/// `target/criterion/<id>/new/estimates.json`, but where that is depends on
/// `CRITERION_HOME`, `CARGO_TARGET_DIR` and `--save-baseline`, and the file may be stale for
/// ids this run skipped. So each pair is timed again here, with the same routines criterion
/// ran, alternating thrift-tower and thrift-0.17 batches of about 5 ms: on a machine shared
/// with other work both sides then see the same load, which two criterion runs seconds or
/// minutes apart do not. The ratio is the median of the per-round ratios, with the
/// interquartile range beside it to show the noise.
fn summary(comparisons: &mut [Comparison]) -> Vec<(String, f64)> {
    const ROUNDS: usize = 21;
    const BATCH: Duration = Duration::from_millis(5);
    const TARGET: f64 = 3.0;

    println!();
    println!(
        "throughput thrift-tower / thrift-0.17: median of {ROUNDS} interleaved rounds, \
         [p25-p75], MiB/s of each"
    );
    let mut thrift_decode_ns = Vec::new();
    for cmp in comparisons.iter_mut().filter(|c| c.ran.get()) {
        let label = cmp.group.replace('/', " ");
        let tower = match &mut cmp.tower {
            Ok(tower) => tower,
            Err(why) => {
                println!("{label:<21} thrift-tower   n/a thrift-0.17  ({why})");
                continue;
            }
        };
        let thrift = &mut cmp.thrift;
        let n_tower = calibrate(tower, BATCH);
        let n_thrift = calibrate(thrift, BATCH);
        let mut ratios = Vec::with_capacity(ROUNDS);
        let mut per_iter = (Vec::with_capacity(ROUNDS), Vec::with_capacity(ROUNDS));
        for round in 0..ROUNDS {
            // Alternate which side goes first, so neither always follows the other.
            let (t_tower, t_thrift) = if round % 2 == 0 {
                let a = tower(n_tower);
                (a, thrift(n_thrift))
            } else {
                let b = thrift(n_thrift);
                (tower(n_tower), b)
            };
            let tower_ns = t_tower.as_secs_f64() * 1e9 / n_tower as f64;
            let thrift_ns = t_thrift.as_secs_f64() * 1e9 / n_thrift as f64;
            ratios.push(thrift_ns / tower_ns);
            per_iter.0.push(tower_ns);
            per_iter.1.push(thrift_ns);
        }
        let [p25, ratio, p75] = quartiles(&mut ratios);
        let mib_s = |ns: f64| cmp.bytes as f64 / ns * 1e9 / f64::from(1 << 20);
        let tower_mib = mib_s(quartiles(&mut per_iter.0)[1]);
        let thrift_mib = mib_s(quartiles(&mut per_iter.1)[1]);
        if label.starts_with("decode") {
            thrift_decode_ns.push((label.clone(), quartiles(&mut per_iter.1)[1]));
        }
        let flag = if ratio < TARGET { "  < 3x" } else { "" };
        println!(
            "{label:<21} thrift-tower {ratio:5.2}x thrift-0.17  [{p25:.2}-{p75:.2}]  \
             ({tower_mib:.0} vs {thrift_mib:.0} MiB/s){flag}"
        );
    }
    thrift_decode_ns
}

// ---------------------------------------------------------------------------------------
// The same values with zero-copy strings: `ByteStr` fields share the received buffer, as
// `Bytes` binary fields always do. What decoding costs when strings are not copied out.

#[derive(Debug, Clone, PartialEq)]
struct SmallZ {
    payload: ByteStr,
}

#[derive(Debug, Clone, PartialEq)]
struct ItemZ {
    id: i64,
    name: ByteStr,
    score: Option<f64>,
    values: Vec<i32>,
    attrs: BTreeMap<ByteStr, ByteStr>,
}

#[derive(Debug, Clone, PartialEq)]
struct LargeZ {
    items: Vec<ItemZ>,
}

/// Reads a struct's fields with `field` until its stop, skipping what `field` does not take.
fn read_fields<R: ProtocolReader>(
    r: &mut R,
    mut field: impl FnMut(&mut R, i16, WireType) -> Result<bool, ProtocolError>,
) -> Result<(), ProtocolError> {
    r.read_struct_begin()?;
    loop {
        let f = r.read_field_begin()?;
        if f.wire_type == WireType::Stop {
            break;
        }
        if !field(r, f.id, f.wire_type)? {
            r.skip(f.wire_type)?;
        }
        r.read_field_end()?;
    }
    r.read_struct_end()
}

impl Thrift for SmallZ {
    const WIRE_TYPE: WireType = WireType::Struct;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut payload = None;
        read_fields(r, |r, id, ty| {
            Ok(match (id, ty) {
                (1, WireType::String) => {
                    payload = Some(r.read_byte_str()?);
                    true
                }
                _ => false,
            })
        })?;
        Ok(SmallZ {
            payload: payload.ok_or_else(|| missing_required_field("Small", "payload"))?,
        })
    }
    fn write<W: ProtocolWriter>(&self, _w: &mut W) -> Result<(), ProtocolError> {
        Err(ProtocolError::new(
            ProtocolErrorKind::NotImplemented,
            "decode only",
        ))
    }
}

impl Thrift for ItemZ {
    const WIRE_TYPE: WireType = WireType::Struct;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let (mut id, mut name, mut score, mut values, mut attrs) = (None, None, None, None, None);
        read_fields(r, |r, fid, ty| {
            Ok(match (fid, ty) {
                (1, WireType::I64) => {
                    id = Some(r.read_i64()?);
                    true
                }
                (2, WireType::String) => {
                    name = Some(r.read_byte_str()?);
                    true
                }
                (3, WireType::Double) => {
                    score = Some(r.read_double()?);
                    true
                }
                (4, WireType::List) => {
                    values = Some(Thrift::read(r)?);
                    true
                }
                (5, WireType::Map) => {
                    attrs = Some(Thrift::read(r)?);
                    true
                }
                _ => false,
            })
        })?;
        Ok(ItemZ {
            id: id.ok_or_else(|| missing_required_field("Item", "id"))?,
            name: name.ok_or_else(|| missing_required_field("Item", "name"))?,
            score,
            values: values.ok_or_else(|| missing_required_field("Item", "values"))?,
            attrs: attrs.ok_or_else(|| missing_required_field("Item", "attrs"))?,
        })
    }
    fn write<W: ProtocolWriter>(&self, _w: &mut W) -> Result<(), ProtocolError> {
        Err(ProtocolError::new(
            ProtocolErrorKind::NotImplemented,
            "decode only",
        ))
    }
}

impl Thrift for LargeZ {
    const WIRE_TYPE: WireType = WireType::Struct;
    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut items = None;
        read_fields(r, |r, id, ty| {
            Ok(match (id, ty) {
                (1, WireType::List) => {
                    items = Some(Thrift::read(r)?);
                    true
                }
                _ => false,
            })
        })?;
        Ok(LargeZ {
            items: items.ok_or_else(|| missing_required_field("Large", "items"))?,
        })
    }
    fn write<W: ProtocolWriter>(&self, _w: &mut W) -> Result<(), ProtocolError> {
        Err(ProtocolError::new(
            ProtocolErrorKind::NotImplemented,
            "decode only",
        ))
    }
}

/// Decode with zero-copy strings, from the message's `Bytes` (a reference-count clone per
/// message, as a server hands each frame over), against the thrift crate's decode times.
fn zero_copy_strings(thrift_decode_ns: &[(String, f64)]) {
    fn ns<T: Thrift + 'static>(bytes: Bytes, binary: bool) -> f64 {
        let mut routine: Routine = Box::new(move |iters: u64| {
            timed(iters, || {
                let input = black_box(&bytes).clone();
                let value = if binary {
                    T::read(&mut BinaryReader::new(input, Limits::default()))
                } else {
                    T::read(&mut CompactReader::new(input, Limits::default()))
                };
                drop(black_box(ok(value)));
            })
        });
        let n = calibrate(&mut routine, Duration::from_millis(5));
        let mut samples: Vec<f64> = (0..11)
            .map(|_| routine(n).as_secs_f64() * 1e9 / n as f64)
            .collect();
        quartiles(&mut samples)[1]
    }
    println!();
    println!("decode with zero-copy strings (ByteStr fields sharing the frame), same bytes:");
    for (label, thrift_ns) in thrift_decode_ns {
        let binary = label.contains("binary");
        let mut buf = BytesMut::new();
        let is_small = label.ends_with("small");
        let encoded = if is_small {
            if binary {
                Binary::encode_tower(&small(), &mut buf)
            } else {
                Compact::encode_tower(&small(), &mut buf)
            }
        } else if binary {
            Binary::encode_tower(&large(), &mut buf)
        } else {
            Compact::encode_tower(&large(), &mut buf)
        };
        ok(encoded);
        let bytes = buf.freeze();
        let tower_ns = if is_small {
            ns::<SmallZ>(bytes, binary)
        } else {
            ns::<LargeZ>(bytes, binary)
        };
        println!(
            "{label:<21} thrift-tower {:5.2}x thrift-0.17  ({tower_ns:.0} vs {thrift_ns:.0} ns)",
            thrift_ns / tower_ns
        );
    }
}

/// What no decoder of these types can beat: cloning the value allocates and copies every
/// string, vector and map node that decoding must build, with no parsing at all. The thrift
/// crate's decode time over this floor bounds the ratio any decoder into the same types can
/// reach.
fn decode_floor(thrift_decode_ns: &[(String, f64)]) {
    fn floor_ns<T: Clone + 'static>(value: T) -> f64 {
        let mut routine: Routine =
            Box::new(move |iters: u64| timed(iters, || drop(black_box(black_box(&value).clone()))));
        let n = calibrate(&mut routine, Duration::from_millis(5));
        let mut samples: Vec<f64> = (0..11)
            .map(|_| routine(n).as_secs_f64() * 1e9 / n as f64)
            .collect();
        quartiles(&mut samples)[1]
    }
    let floors = [("small", floor_ns(small())), ("large", floor_ns(large()))];
    println!();
    println!("decode floor: clone + drop of the value (allocation and copying only, no parsing)");
    for (label, thrift_ns) in thrift_decode_ns {
        let Some((_, floor)) = floors.iter().find(|(size, _)| label.ends_with(size)) else {
            continue;
        };
        println!(
            "{label:<21} floor {floor:9.0} ns, thrift-0.17 {thrift_ns:9.0} ns: \
             no decoder into these types can exceed {:.2}x",
            thrift_ns / floor
        );
    }
}

/// thrift-tower's decode of `value`'s bytes against the floor for the same value, in
/// alternating samples: the floor is nothing but the allocator's work, which depends on the
/// heap's state, so a floor measured apart from the decode (as above) moves between runs
/// by more than the decoder does. Alternating puts both on the same heap.
fn against_floor<P: Wire, T: Thrift + Clone + 'static>(size: &str, value: T) {
    let mut buf = BytesMut::new();
    ok(P::encode_tower(&value, &mut buf));
    let bytes = buf.freeze();
    let mut floor: Routine =
        Box::new(move |iters: u64| timed(iters, || drop(black_box(black_box(&value).clone()))));
    let mut decode: Routine = Box::new(move |iters: u64| {
        timed(iters, || drop(black_box(ok(P::decode_tower::<T>(&bytes)))))
    });
    let n = calibrate(&mut decode, Duration::from_millis(5));
    let per_iter = |took: Duration| took.as_secs_f64() * 1e9 / n as f64;
    let (mut floors, mut decodes) = (Vec::new(), Vec::new());
    for _ in 0..21 {
        floors.push(per_iter(floor(n)));
        decodes.push(per_iter(decode(n)));
    }
    let (floor_ns, decode_ns) = (quartiles(&mut floors)[1], quartiles(&mut decodes)[1]);
    let label = format!("decode {} {size}", P::NAME);
    println!(
        "{label:<21} thrift-tower {decode_ns:9.0} ns, floor {floor_ns:9.0} ns: {:.2}x the floor",
        decode_ns / floor_ns
    );
}

/// Iterations that take about `batch`.
fn calibrate(routine: &mut Routine, batch: Duration) -> u64 {
    let mut iters = 1u64;
    loop {
        let took = routine(iters);
        if took >= batch / 10 {
            let scaled = iters as f64 * batch.as_secs_f64() / took.as_secs_f64();
            return (scaled as u64).max(1);
        }
        iters *= 2;
    }
}

fn quartiles(samples: &mut [f64]) -> [f64; 3] {
    samples.sort_by(f64::total_cmp);
    let at = |q: usize| samples[(samples.len() - 1) * q / 4];
    [at(1), at(2), at(3)]
}

fn main() {
    let [bin_small_enc, bin_small_dec] = compare::<Binary, _>("small", small());
    let [bin_large_enc, bin_large_dec] = compare::<Binary, _>("large", large());
    let [cpt_small_enc, cpt_small_dec] = compare::<Compact, _>("small", small());
    let [cpt_large_enc, cpt_large_dec] = compare::<Compact, _>("large", large());
    let mut comparisons = [
        bin_small_enc,
        bin_large_enc,
        cpt_small_enc,
        cpt_large_enc,
        bin_small_dec,
        bin_large_dec,
        cpt_small_dec,
        cpt_large_dec,
    ];

    let mut c = Criterion::default().configure_from_args();
    run_criterion(&mut c, &mut comparisons);
    c.final_summary();

    if measuring() {
        let thrift_decode_ns = summary(&mut comparisons);
        decode_floor(&thrift_decode_ns);
        println!();
        println!(
            "thrift-tower's decode against the floor, in alternating samples (medians of 21):"
        );
        against_floor::<Binary, _>("small", small());
        against_floor::<Binary, _>("large", large());
        against_floor::<Compact, _>("small", small());
        against_floor::<Compact, _>("large", large());
        zero_copy_strings(&thrift_decode_ns);
    }
}
