//! Decoding hostile input allocates at most a small multiple of the input's size: every
//! declared length is checked against the bytes that remain before anything is reserved.
//!
//! One test in this binary, so that the global allocation counter sees nothing else.

mod common;

use std::alloc::System;
use std::collections::BTreeMap;

use bytes::Bytes;
use common::{Everything, PROTOCOLS, Rng, decode, encode, sample, skip_message};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use thrift_tower::protocol::{Limits, Protocol, Thrift};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Bytes allocated while decoding `bytes` as `T`, whatever the outcome.
fn allocated<T: Thrift>(protocol: Protocol, bytes: &Bytes) -> usize {
    let region = Region::new(GLOBAL);
    let result = decode::<T>(protocol, bytes.clone(), Limits::default());
    drop(result);
    let _ = skip_message(protocol, bytes.clone(), Limits::default());
    region.change().bytes_allocated
}

/// Generous for what a decoded value may legitimately take (a 24-byte `String` per 1-byte
/// compact string, a `Vec` per nested list, error messages), tiny next to what an unchecked
/// declared length would reserve (gigabytes).
fn bound(input: usize) -> usize {
    64 * input + 16 * 1024
}

fn check<T: Thrift>(protocol: Protocol, name: &str, bytes: &[u8]) {
    let bytes = Bytes::copy_from_slice(bytes);
    let used = allocated::<T>(protocol, &bytes);
    assert!(
        used <= bound(bytes.len()),
        "{protocol} {name}: decoding {} bytes allocated {used} bytes",
        bytes.len()
    );
}

#[test]
fn hostile_input_allocates_a_small_multiple_of_its_size() {
    type Lists = Vec<Vec<String>>;
    type Maps = Vec<BTreeMap<String, Vec<i64>>>;
    let crafted: &[(Protocol, &str, &[u8])] = &[
        (Protocol::Binary, "huge string", b"\x7f\xff\xff\xffabc"),
        (
            Protocol::Binary,
            "huge list",
            b"\x0f\x7f\xff\xff\xff\x0b\x00\x00\x00\x00",
        ),
        (Protocol::Binary, "huge map", b"\x0b\x0f\x7f\xff\xff\xff"),
        (Protocol::Compact, "huge string", b"\xff\xff\xff\xff\x07abc"),
        (
            Protocol::Compact,
            "huge list",
            b"\xf9\xff\xff\xff\xff\x07\x08\x00",
        ),
        (
            Protocol::Compact,
            "list of empty lists",
            &[0xf9, 0xff, 0x7f, 0x08, 0x08, 0x08, 0x08],
        ),
        (
            Protocol::Json,
            "huge list",
            br#"["lst",2147483647,["str",1,"a"]]"#,
        ),
        (
            Protocol::Json,
            "huge string",
            br#"["lst",1,["str",1,"aaaaaaaaaaaaaaaaaaaaaaa"#,
        ),
    ];
    for (protocol, name, bytes) in crafted {
        check::<Lists>(*protocol, name, bytes);
        check::<Maps>(*protocol, name, bytes);
        check::<Everything>(*protocol, name, bytes);
    }

    // Lists of many one-byte elements: the worst legitimate ratio of decoded to encoded size.
    let empties: Lists = vec![vec![String::new(); 1000]; 10];
    for protocol in PROTOCOLS {
        let bytes = encode(protocol, &empties);
        check::<Lists>(protocol, "many empty strings", &bytes);
    }

    // Random mutations of valid messages.
    for protocol in PROTOCOLS {
        let mut rng = Rng::new(7 + protocol as u64);
        let seed = encode(protocol, &sample());
        for _ in 0..2000 {
            let mut bytes = seed.to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(bytes.len());
                bytes[at] = if rng.below(2) == 0 {
                    0xff
                } else {
                    rng.next() as u8
                };
            }
            check::<Everything>(protocol, "mutant", &bytes);
            check::<Lists>(protocol, "mutant", &bytes);
        }
    }
}
