//! What decoding allocates with `shared_strings(true)`, counted by a global allocator: the
//! containers only, never a string. The same message decoded into the `String` types
//! allocates once more per string. (One test in this file: the count is process-wide.)

use std::alloc::System;

use bytes::Bytes;
use stats_alloc::{INSTRUMENTED_SYSTEM, StatsAlloc};
use tests::thrift_test as owned;
use tests::thrift_test_shared as shared;
use thrift_tower::ByteStr;
use thrift_tower::protocol::{self, Limits, Protocol, Thrift};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Allocations so far, new ones and reallocations.
fn allocations() -> u64 {
    let stats = GLOBAL.stats();
    (stats.allocations + stats.reallocations) as u64
}

/// Decodes `bytes` as `T` and returns the allocations it took (the value is dropped after
/// counting).
fn allocations_to_decode<T: Thrift>(p: Protocol, bytes: &Bytes) -> u64 {
    let before = allocations();
    let value: T = protocol::decode(p, bytes.clone(), Limits::default()).unwrap();
    let counted = allocations() - before;
    drop(value);
    counted
}

#[test]
fn shared_strings_decode_without_allocating_a_string() {
    const XTRUCTS: usize = 40;
    let long = "a string longer than thirty bytes, which is shared";
    assert!(long.len() > ByteStr::INLINE);
    let value = owned::Insanity {
        user_map: [(owned::Numberz::FIVE, 5), (owned::Numberz::EIGHT, 8)].into(),
        xtructs: (0..XTRUCTS)
            .map(|i| owned::Xtruct {
                // Half short (inline), half long (a slice of the message).
                string_thing: if i % 2 == 0 {
                    format!("short {i}")
                } else {
                    format!("{long} {i}")
                },
                byte_thing: 1,
                i32_thing: i as i32,
                i64_thing: 3,
            })
            .collect(),
    };
    for p in [Protocol::Binary, Protocol::Compact] {
        let bytes = protocol::encode(p, &value).unwrap();
        let with_strings = allocations_to_decode::<owned::Insanity>(p, &bytes);
        let shared = allocations_to_decode::<shared::Insanity>(p, &bytes);
        // The list of xtructs and the map's one node.
        assert_eq!(shared, 2, "{p}: decoding with shared strings");
        assert_eq!(
            with_strings,
            shared + XTRUCTS as u64,
            "{p}: decoding into Strings"
        );
    }
}
