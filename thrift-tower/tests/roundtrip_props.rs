//! Property tests: random values survive encode-then-decode unchanged in every protocol,
//! decoding consumes exactly what encoding wrote, and encoding is deterministic.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use common::{Double, Everything, Inner, PROTOCOLS, decode, encode};
use proptest::prelude::*;
use thrift_tower::protocol::{
    Limits, Protocol, ProtocolReader, Thrift, binary::BinaryReader, compact::CompactReader,
    json::JsonReader, transcode,
};

fn double() -> impl Strategy<Value = Double> {
    prop_oneof![
        any::<f64>().prop_map(Double),
        any::<u64>().prop_map(|bits| Double(f64::from_bits(bits))),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            5e-324,
            f64::MAX,
            0.1
        ])
        .prop_map(Double),
    ]
}

fn inner() -> impl Strategy<Value = Inner> {
    (any::<i32>(), prop::collection::vec(any::<String>(), 0..4))
        .prop_map(|(id, tags)| Inner { id, tags })
}

fn everything() -> impl Strategy<Value = Everything> {
    let leaf = (
        (
            any::<bool>(),
            any::<i8>(),
            any::<i16>(),
            any::<i32>(),
            any::<i64>(),
            prop::option::of(double()),
        ),
        (
            any::<String>(),
            prop::collection::vec(any::<u8>(), 0..64),
            prop::option::of(any::<i32>()),
        ),
        (
            prop::collection::vec(any::<i64>(), 0..20),
            prop::collection::btree_set(any::<String>(), 0..5),
            prop::collection::btree_map(any::<i32>(), any::<String>(), 0..5),
            prop::collection::vec(inner(), 0..3),
            prop::collection::btree_map(
                any::<String>(),
                prop::collection::vec(any::<bool>(), 0..20),
                0..3,
            ),
        ),
        (
            prop::option::of(any::<[u8; 16]>()),
            prop::option::of(any::<i16>()),
            prop::option::of(any::<bool>()),
        ),
    )
        .prop_map(|(a, b, c, d)| Everything {
            flag: a.0,
            byte: a.1,
            short: a.2,
            int: a.3,
            long: a.4,
            double: a.5,
            text: b.0,
            blob: Bytes::from(b.1),
            maybe: b.2,
            longs: c.0,
            names: c.1,
            by_id: c.2,
            inners: c.3,
            flags: c.4,
            uuid: d.0,
            far: d.1,
            negative: d.2,
            child: None,
        });
    leaf.prop_recursive(3, 8, 1, |child| {
        (child.clone(), prop::option::of(child)).prop_map(|(mut v, c)| {
            v.child = c.map(Box::new);
            v
        })
    })
}

/// Decodes and reports how many bytes the reader consumed.
fn decode_counting(protocol: Protocol, bytes: Bytes) -> (Everything, usize) {
    fn run<R: ProtocolReader>(r: &mut R) -> Everything {
        Everything::read(r).expect("what we wrote must decode")
    }
    let limits = Limits::default();
    match protocol {
        Protocol::Binary => {
            let mut r = BinaryReader::new(bytes, limits);
            (run(&mut r), r.position())
        }
        Protocol::Compact => {
            let mut r = CompactReader::new(bytes, limits);
            (run(&mut r), r.position())
        }
        Protocol::Json => {
            let mut r = JsonReader::new(bytes, limits);
            (run(&mut r), r.position())
        }
        other => panic!("{other}: not a protocol these tests know"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn every_protocol_round_trips(value in everything()) {
        for protocol in PROTOCOLS {
            let bytes = encode(protocol, &value);
            let (back, used) = decode_counting(protocol, bytes.clone());
            prop_assert_eq!(&back, &value, "{}", protocol);
            prop_assert_eq!(used, bytes.len(), "{} left bytes unread", protocol);
            prop_assert_eq!(encode(protocol, &back), bytes, "{} encoding is not deterministic", protocol);
        }
    }

    #[test]
    fn binary_and_compact_transcode_to_each_other(value in everything()) {
        let binary = encode(Protocol::Binary, &value);
        let compact = encode(Protocol::Compact, &value);
        let to_compact = transcode(Protocol::Binary, Protocol::Compact, binary.clone(), Limits::default()).unwrap();
        prop_assert_eq!(&to_compact, &compact);
        // Compact writes no key and value types for an empty map, so binary gets them as
        // STOP (what Apache's C++ library reads them as too): the same value, and the same
        // bytes but for those types.
        let to_binary = transcode(Protocol::Compact, Protocol::Binary, compact, Limits::default()).unwrap();
        let (back, used) = decode_counting(Protocol::Binary, to_binary.clone());
        prop_assert_eq!(&back, &value);
        prop_assert_eq!(used, to_binary.len());
    }

    #[test]
    fn containers_of_base_types_round_trip(
        strings in prop::collection::vec(any::<String>(), 0..40),
        map in prop::collection::btree_map(any::<i64>(), prop::collection::btree_set(any::<i16>(), 0..4), 0..20),
        nested in prop::collection::vec(prop::collection::vec(any::<i8>(), 0..20), 0..20),
    ) {
        for protocol in PROTOCOLS {
            let back: Vec<String> = decode(protocol, encode(protocol, &strings), Limits::default()).unwrap();
            prop_assert_eq!(&back, &strings);
            let back: BTreeMap<i64, BTreeSet<i16>> = decode(protocol, encode(protocol, &map), Limits::default()).unwrap();
            prop_assert_eq!(&back, &map);
            let back: Vec<Vec<i8>> = decode(protocol, encode(protocol, &nested), Limits::default()).unwrap();
            prop_assert_eq!(&back, &nested);
        }
    }
}
