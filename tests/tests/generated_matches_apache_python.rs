//! Types that thrift-codegen generated from our `tests/idl/ThriftTest.thrift` encode to the
//! bytes Apache's Python library writes for the same values, in every protocol: Python,
//! using code Debian's `thrift -gen py` generated from Apache's ThriftTest.thrift, decodes
//! our bytes and encodes what it read, and the two must be identical. Our readers decode
//! our own bytes back to the value, and Python's vectors (`apache_python_vectors`) decode
//! with the generated types. SimpleJSON, which Python cannot read, is checked the same way
//! through the binary protocol: Python decodes our binary bytes and writes them with its
//! `TSimpleJSONProtocol`, which must give our SimpleJSON bytes (field names included).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use tests::apache_python::{Encoding, generate, hex, python_reencode, python_reencode_into};
use tests::thrift_test::*;
use thrift_tower::protocol::json::simple;
use thrift_tower::protocol::{self, Limits, Protocol, ProtocolErrorKind, Thrift};

fn xtruct(s: &str, b: i8, i: i32, l: i64) -> Xtruct {
    Xtruct {
        string_thing: s.into(),
        byte_thing: b,
        i32_thing: i,
        i64_thing: l,
    }
}

fn insanity() -> Insanity {
    Insanity {
        user_map: BTreeMap::from([(Numberz::FIVE, 5), (Numberz::EIGHT, 8), (Numberz(4), -1)]),
        xtructs: vec![xtruct("Goodbye4", 4, 4, 4), xtruct("Hello2", 2, 2, 2)],
    }
}

/// One value of each generated struct (several for some), as an encoding closure per
/// protocol and a decode-and-compare check.
struct Sample {
    name: &'static str,
    encode: Box<dyn Fn(Protocol) -> Bytes>,
    /// Its SimpleJSON; and whether reading that back is refused, with the error.
    simple_json: Box<dyn Fn() -> (Bytes, ProtocolErrorKind)>,
    decodes_back: Box<dyn Fn(Protocol, Bytes) -> Result<(), String>>,
}

fn sample<T: Thrift + PartialEq + std::fmt::Debug + Clone + 'static>(
    name: &'static str,
    value: T,
) -> Sample {
    let v1 = value.clone();
    let v2 = value.clone();
    Sample {
        name,
        encode: Box::new(move |p| protocol::encode(p, &v1).expect("encode")),
        simple_json: Box::new(move || {
            let bytes = simple::encode(&v2).expect("encode SimpleJSON");
            let refused = simple::decode::<T>(bytes.clone()).expect_err("SimpleJSON is read");
            (bytes, refused.kind())
        }),
        decodes_back: Box::new(move |p, bytes| {
            let back: T =
                protocol::decode(p, bytes, Limits::default()).map_err(|e| e.to_string())?;
            if back == value {
                Ok(())
            } else {
                Err(format!("decoded {back:?}"))
            }
        }),
    }
}

fn samples() -> Vec<Sample> {
    let bools = Bools {
        im_true: true,
        im_false: false,
    };
    let v2 = VersioningTestV2 {
        begin_in_both: i32::MIN,
        newint: i32::MAX,
        newbyte: i8::MIN,
        newshort: i16::MIN,
        newlong: i64::MIN,
        newdouble: -0.0,
        newstruct: Bonk {
            message: "bonk \u{1F600}".into(),
            r#type: -1,
        },
        newlist: vec![1, 2, 3],
        newset: BTreeSet::from([-1, 0, 1]),
        newmap: BTreeMap::from([(1, 2), (3, 4)]),
        newstring: "new\n\"string\"\t\u{e9}".into(),
        end_in_both: 12,
    };
    vec![
        sample(
            "Bonk",
            Bonk {
                message: "".into(),
                r#type: 0,
            },
        ),
        sample("Bools", bools.clone()),
        sample("Xtruct", xtruct("Zero", 1, -3, -5)),
        sample(
            "Xtruct",
            xtruct("\u{0}\u{1f}\u{7f}\u{10FFFF}", i8::MAX, i32::MAX, i64::MAX),
        ),
        sample(
            "Xtruct2",
            Xtruct2 {
                byte_thing: 1,
                struct_thing: xtruct("x", 2, 3, 4),
                i32_thing: 5,
            },
        ),
        sample(
            "Xtruct3",
            Xtruct3 {
                string_thing: "s".into(),
                changed: 1,
                i32_thing: 2,
                i64_thing: 3,
            },
        ),
        sample("Insanity", insanity()),
        sample(
            "CrazyNesting",
            // Python cannot hold a set of Insanity (its dict field is unhashable) nor a set
            // of lists, so those stay empty here; our own round trip covers them below.
            CrazyNesting {
                string_field: "crazy".into(),
                set_field: None,
                list_field: vec![BTreeMap::from([(
                    BTreeSet::from([1, 2]),
                    BTreeMap::from([(3, BTreeSet::new())]),
                )])],
                binary_field: Bytes::from((0..=255u8).collect::<Vec<_>>()),
            },
        ),
        sample("SomeUnion", SomeUnion::I32Thing(-7)),
        sample("SomeUnion", SomeUnion::StringThing("union".into())),
        sample(
            "SomeUnion",
            SomeUnion::MapThing(BTreeMap::from([(Numberz::ONE, 1)])),
        ),
        sample("SomeUnion", SomeUnion::InsanityThing(insanity())),
        sample(
            "Xception",
            Xception {
                error_code: 1001,
                message: "Xception".into(),
            },
        ),
        sample(
            "Xception2",
            Xception2 {
                error_code: 2002,
                struct_thing: xtruct("This is an Xception2", 0, 0, 0),
            },
        ),
        sample("EmptyStruct", EmptyStruct {}),
        sample(
            "OneField",
            OneField {
                field: EmptyStruct {},
            },
        ),
        sample(
            "VersioningTestV1",
            VersioningTestV1 {
                begin_in_both: 1,
                old_string: "old".into(),
                end_in_both: 12,
            },
        ),
        sample("VersioningTestV2", v2.clone()),
        sample(
            "ListTypeVersioningV1",
            ListTypeVersioningV1 {
                myints: vec![i32::MIN, 0, i32::MAX],
                hello: "hi".into(),
            },
        ),
        sample(
            "ListTypeVersioningV2",
            ListTypeVersioningV2 {
                strings: vec!["a".into(), "".into()],
                hello: "hi".into(),
            },
        ),
        sample(
            "GuessProtocolStruct",
            GuessProtocolStruct {
                map_field: BTreeMap::from([("k".into(), "v".into())]),
            },
        ),
        sample(
            "LargeDeltas",
            LargeDeltas {
                b1: bools.clone(),
                b10: bools.clone(),
                b100: bools.clone(),
                check_true: true,
                b1000: bools.clone(),
                check_false: false,
                vertwo2000: v2.clone(),
                a_set2500: BTreeSet::from(["a".into(), "b".into()]),
                vertwo3000: v2,
                big_numbers: vec![i32::MAX, i32::MIN, 0],
            },
        ),
        sample(
            "NestedListsI32x2",
            NestedListsI32x2 {
                integerlist: vec![vec![1, 2], vec![], vec![3]],
            },
        ),
        sample(
            "NestedListsI32x3",
            NestedListsI32x3 {
                integerlist: vec![vec![vec![1], vec![]], vec![]],
            },
        ),
        sample(
            "NestedMixedx2",
            NestedMixedx2 {
                int_set_list: vec![BTreeSet::from([1, 2])],
                map_int_strset: BTreeMap::from([(1, BTreeSet::from(["x".into()]))]),
                map_int_strset_list: vec![BTreeMap::new()],
            },
        ),
        sample(
            "ListBonks",
            ListBonks {
                bonk: vec![Bonk {
                    message: "m".into(),
                    r#type: 1,
                }],
            },
        ),
        sample(
            "NestedListsBonk",
            NestedListsBonk {
                bonk: vec![vec![vec![Bonk {
                    message: "m".into(),
                    r#type: 2,
                }]]],
            },
        ),
        sample("BoolTest", BoolTest::default()),
        // (Python fills an absent optional field that has a default with the default, so
        // only values with both fields set compare byte for byte.)
        sample(
            "BoolTest",
            BoolTest {
                b: Some(false),
                s: Some("false".into()),
            },
        ),
        sample(
            "StructA",
            StructA {
                s: "required".into(),
            },
        ),
        sample(
            "StructB",
            StructB {
                aa: None,
                ab: StructA { s: "b".into() },
            },
        ),
        sample(
            "StructB",
            StructB {
                aa: Some(StructA { s: "a".into() }),
                ab: StructA { s: "b".into() },
            },
        ),
        sample("OptionalSetDefaultTest", OptionalSetDefaultTest::default()),
        sample(
            "OptionalBinary",
            OptionalBinary {
                bin_set: Some(BTreeSet::from([Bytes::from_static(b"\x00\xff")])),
                bin_map: Some(BTreeMap::from([(Bytes::from_static(b"k"), 1)])),
            },
        ),
    ]
}

const ENCODINGS: [(Protocol, Encoding); 3] = [
    (Protocol::Binary, Encoding::Binary),
    (Protocol::Compact, Encoding::Compact),
    (Protocol::Json, Encoding::Json),
];

#[test]
fn generated_types_encode_as_apache_python_does() {
    let samples = samples();
    let mut items = Vec::new();
    for s in &samples {
        for (p, e) in ENCODINGS {
            let bytes = (s.encode)(p);
            if let Err(why) = (s.decodes_back)(p, bytes.clone()) {
                panic!("{} in {p} does not decode back: {why}", s.name);
            }
            items.push((s.name, e, bytes.to_vec()));
        }
    }
    let answers = python_reencode(&items).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    for ((name, encoding, ours), answer) in items.iter().zip(&answers) {
        match answer {
            Ok(theirs) if theirs == ours => {}
            Ok(theirs) => failures.push(format!(
                "{name} in {encoding}:\n  ours:   {}\n  Python: {}",
                hex(ours),
                hex(theirs)
            )),
            Err(e) => failures.push(format!(
                "{name} in {encoding}: Python could not read ours: {e}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        items.len(),
        failures.join("\n")
    );
    assert_eq!(answers.len(), samples.len() * 3);
}

#[test]
fn generated_types_encode_to_the_simple_json_apache_python_writes() {
    let samples = samples();
    let items: Vec<_> = samples
        .iter()
        .map(|s| {
            (
                s.name,
                Encoding::Binary,
                (s.encode)(Protocol::Binary).to_vec(),
            )
        })
        .collect();
    let answers =
        python_reencode_into(&items, Encoding::SimpleJson).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answers.len(), samples.len());
    let mut failures = Vec::new();
    for (sample, answer) in samples.iter().zip(&answers) {
        let (ours, refused) = (sample.simple_json)();
        assert_eq!(
            refused,
            ProtocolErrorKind::NotImplemented,
            "{}",
            sample.name
        );
        match answer {
            Ok(theirs) if theirs[..] == ours[..] => {}
            Ok(theirs) => failures.push(format!(
                "{}:\n  ours:   {}\n  Python: {}",
                sample.name,
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(theirs)
            )),
            Err(e) => failures.push(format!("{}: Python failed: {e}", sample.name)),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        samples.len(),
        failures.join("\n")
    );
}

/// Every struct-typed vector Python wrote decodes with the generated type of that name.
#[test]
fn python_vectors_decode_with_generated_types() {
    let vectors = generate().unwrap_or_else(|e| panic!("{e}"));
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in vectors.cases.iter().filter(|c| c.message.is_none()) {
        let struct_name = case.name.split('/').next().unwrap_or_default();
        for (p, e) in ENCODINGS {
            let Some(bytes) = case.bytes.get(&e) else {
                continue;
            };
            if case.python_cannot_read.contains_key(&e) {
                continue;
            }
            let bytes = Bytes::from(bytes.clone());
            let limits = Limits::default();
            let result = match struct_name {
                "Bonk" => protocol::decode::<Bonk>(p, bytes, limits).map(drop),
                "Bools" => protocol::decode::<Bools>(p, bytes, limits).map(drop),
                "Xtruct" => protocol::decode::<Xtruct>(p, bytes, limits).map(drop),
                "Xtruct2" => protocol::decode::<Xtruct2>(p, bytes, limits).map(drop),
                "Xtruct3" => protocol::decode::<Xtruct3>(p, bytes, limits).map(drop),
                "Insanity" => protocol::decode::<Insanity>(p, bytes, limits).map(drop),
                "SomeUnion" => protocol::decode::<SomeUnion>(p, bytes, limits).map(drop),
                "Xception" => protocol::decode::<Xception>(p, bytes, limits).map(drop),
                "Xception2" => protocol::decode::<Xception2>(p, bytes, limits).map(drop),
                "EmptyStruct" => protocol::decode::<EmptyStruct>(p, bytes, limits).map(drop),
                "OneField" => protocol::decode::<OneField>(p, bytes, limits).map(drop),
                "VersioningTestV1" => {
                    protocol::decode::<VersioningTestV1>(p, bytes, limits).map(drop)
                }
                "VersioningTestV2" => {
                    protocol::decode::<VersioningTestV2>(p, bytes, limits).map(drop)
                }
                "ListTypeVersioningV1" => {
                    protocol::decode::<ListTypeVersioningV1>(p, bytes, limits).map(drop)
                }
                "ListTypeVersioningV2" => {
                    protocol::decode::<ListTypeVersioningV2>(p, bytes, limits).map(drop)
                }
                "GuessProtocolStruct" => {
                    protocol::decode::<GuessProtocolStruct>(p, bytes, limits).map(drop)
                }
                "LargeDeltas" => protocol::decode::<LargeDeltas>(p, bytes, limits).map(drop),
                "NestedListsI32x2" => {
                    protocol::decode::<NestedListsI32x2>(p, bytes, limits).map(drop)
                }
                "NestedListsI32x3" => {
                    protocol::decode::<NestedListsI32x3>(p, bytes, limits).map(drop)
                }
                "NestedMixedx2" => protocol::decode::<NestedMixedx2>(p, bytes, limits).map(drop),
                "ListBonks" => protocol::decode::<ListBonks>(p, bytes, limits).map(drop),
                "NestedListsBonk" => {
                    protocol::decode::<NestedListsBonk>(p, bytes, limits).map(drop)
                }
                "BoolTest" => protocol::decode::<BoolTest>(p, bytes, limits).map(drop),
                "OptionalSetDefaultTest" => {
                    protocol::decode::<OptionalSetDefaultTest>(p, bytes, limits).map(drop)
                }
                "OptionalBinary" => protocol::decode::<OptionalBinary>(p, bytes, limits).map(drop),
                // Required fields: Python writes these even when unset, which our types
                // rightly refuse; the set cases are checked by the other test.
                "CrazyNesting" | "StructA" | "StructB" => continue,
                _ => continue,
            };
            checked += 1;
            match (case.name.as_str(), result) {
                // Python writes a union with no field set; a Rust union is one of its
                // variants, so that is refused with a clear error (Java's TUnion refuses
                // to write one at all).
                ("SomeUnion/defaults", Err(err)) => {
                    assert!(err.to_string().contains("no field set"), "{err}");
                }
                ("SomeUnion/defaults", Ok(())) => failures.push("an empty union decoded".into()),
                (_, Err(err)) => failures.push(format!("{} in {e}: {err}", case.name)),
                (_, Ok(())) => {}
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 300, "only {checked} vectors checked");
}
