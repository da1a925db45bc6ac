//! Code generated with `shared_strings(true)`, where every IDL `string` is a
//! [`ByteStr`], against Apache's Python library and against the `String` types:
//!
//! - every struct vector Python wrote (binary, compact, JSON) decodes with the shared types
//!   to the value the `String` types decode (compared through `Debug`, which is the same
//!   for both), and encodes back to the same bytes the `String` types write, which
//!   `generated_matches_apache_python` checks against Python's;
//! - read from binary or compact, a long string points into the message it came in, and a
//!   short one is inline;
//! - invalid UTF-8 is refused as it is with `String`;
//! - the hello service generated so answers the Python tutorial's client, and its client
//!   gets the Python server's answer.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`) and the
//! shared IDL folder (`THRIFT_SHARED_IDL`); the tests fail, never skip, without them.

use std::fmt::Debug;
use std::process::{Command, Stdio};

use bytes::Bytes;
use tests::apache_python::{
    Encoding, PYTHON, generate, hello_python_code, repo_root, run_python_hello_client,
};
use tests::thrift_test as owned;
use tests::thrift_test_shared as shared;
use thrift_tower::ByteStr;
use thrift_tower::protocol::{self, Limits, Protocol, ProtocolErrorKind, Thrift};

const ENCODINGS: [(Protocol, Encoding); 3] = [
    (Protocol::Binary, Encoding::Binary),
    (Protocol::Compact, Encoding::Compact),
    (Protocol::Json, Encoding::Json),
];

/// Decodes `bytes` as `O` (`String`s) and as `S` (`ByteStr`s): both must succeed or fail
/// alike, read the same value, and write the same bytes. `Ok(false)` when both refuse.
fn same<O, S>(p: Protocol, bytes: Bytes) -> Result<bool, String>
where
    O: Thrift + Debug,
    S: Thrift + Debug,
{
    let limits = Limits::default();
    let owned = protocol::decode::<O>(p, bytes.clone(), limits);
    let shared = protocol::decode::<S>(p, bytes, limits);
    let (owned, shared) = match (owned, shared) {
        (Ok(o), Ok(s)) => (o, s),
        (Err(o), Err(s)) if o.kind() == s.kind() => return Ok(false),
        (o, s) => return Err(format!("String types: {o:?}\nByteStr types: {s:?}")),
    };
    let (o, s) = (format!("{owned:?}"), format!("{shared:?}"));
    if o != s {
        return Err(format!("read differently:\n  String:  {o}\n  ByteStr: {s}"));
    }
    let o = protocol::encode(p, &owned).map_err(|e| e.to_string())?;
    let s = protocol::encode(p, &shared).map_err(|e| e.to_string())?;
    if o != s {
        return Err(format!(
            "written differently:\n  String:  {o:?}\n  ByteStr: {s:?}"
        ));
    }
    Ok(true)
}

/// `same` for the ThriftTest struct named `name`, in both generated modules.
macro_rules! same_by_name {
    ($name:expr, $p:expr, $bytes:expr, [$($ty:ident),* $(,)?]) => {
        match $name {
            $(stringify!($ty) => Some(same::<owned::$ty, shared::$ty>($p, $bytes)),)*
            _ => None,
        }
    };
}

#[test]
fn python_vectors_read_and_write_alike_with_shared_strings() {
    let vectors = generate().unwrap_or_else(|e| panic!("{e}"));
    let (mut decoded, mut refused) = (0, 0);
    let mut failures = Vec::new();
    for case in vectors.cases.iter().filter(|c| c.message.is_none()) {
        let struct_name = case.name.split('/').next().unwrap_or_default();
        for (p, e) in ENCODINGS {
            let Some(bytes) = case.bytes.get(&e) else {
                continue;
            };
            let bytes = Bytes::from(bytes.clone());
            let result = same_by_name!(
                struct_name,
                p,
                bytes,
                [
                    Bonk,
                    Bools,
                    Xtruct,
                    Xtruct2,
                    Xtruct3,
                    Insanity,
                    CrazyNesting,
                    SomeUnion,
                    Xception,
                    Xception2,
                    EmptyStruct,
                    OneField,
                    VersioningTestV1,
                    VersioningTestV2,
                    ListTypeVersioningV1,
                    ListTypeVersioningV2,
                    GuessProtocolStruct,
                    LargeDeltas,
                    NestedListsI32x2,
                    NestedListsI32x3,
                    NestedMixedx2,
                    ListBonks,
                    NestedListsBonk,
                    BoolTest,
                    StructA,
                    StructB,
                    OptionalSetDefaultTest,
                    OptionalBinary,
                ]
            );
            match result {
                None => {}
                Some(Ok(true)) => decoded += 1,
                Some(Ok(false)) => refused += 1,
                Some(Err(why)) => failures.push(format!("{} in {e}: {why}", case.name)),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        decoded > 300,
        "only {decoded} vectors decoded ({refused} refused)"
    );
}

/// Read from binary or compact, a string longer than `ByteStr::INLINE` lies inside the
/// bytes it was read from (a reference count, not a copy), and a shorter one is copied
/// inline (no allocation, and nothing of the message kept alive).
#[test]
fn long_strings_share_the_message_and_short_ones_are_inline() {
    let xtruct = |s: &'static str| shared::Xtruct {
        string_thing: ByteStr::from_static(s),
        byte_thing: 1,
        i32_thing: 2,
        i64_thing: 3,
    };
    let long = "a string longer than thirty bytes, shared";
    assert!(long.len() > ByteStr::INLINE);
    let value = shared::Insanity {
        user_map: [(shared::Numberz::FIVE, 5)].into(),
        xtructs: vec![xtruct(long), xtruct("Hello2"), xtruct(""), xtruct(long)],
    };
    for p in [Protocol::Binary, Protocol::Compact] {
        let bytes = protocol::encode(p, &value).unwrap();
        let range = bytes.as_ptr_range();
        let back: shared::Insanity = protocol::decode(p, bytes.clone(), Limits::default()).unwrap();
        assert_eq!(back, value);
        for x in back.xtructs.iter().filter(|x| !x.string_thing.is_empty()) {
            let inside = range.contains(&x.string_thing.as_ptr());
            let long = x.string_thing.len() > ByteStr::INLINE;
            assert_eq!(inside, long, "{p}: {:?}", x.string_thing);
        }
    }
    // JSON unescapes, so its strings are new ones; they read the same.
    let json = protocol::encode(Protocol::Json, &value).unwrap();
    let back: shared::Insanity = protocol::decode(Protocol::Json, json, Limits::default()).unwrap();
    assert_eq!(back, value);
}

#[test]
fn invalid_utf8_is_refused_as_with_string() {
    let value = owned::Xtruct {
        string_thing: "\u{e9}t\u{e9}".into(),
        byte_thing: 0,
        i32_thing: 0,
        i64_thing: 0,
    };
    for p in [Protocol::Binary, Protocol::Compact] {
        let mut bytes = protocol::encode(p, &value).unwrap().to_vec();
        let at = bytes
            .windows(2)
            .position(|w| w == "\u{e9}".as_bytes())
            .unwrap();
        // A lead byte followed by one that cannot continue it.
        bytes[at + 1] = b'(';
        let bytes = Bytes::from(bytes);
        let o = protocol::decode::<owned::Xtruct>(p, bytes.clone(), Limits::default());
        let s = protocol::decode::<shared::Xtruct>(p, bytes, Limits::default());
        let (o, s) = (o.unwrap_err(), s.unwrap_err());
        assert_eq!(o.kind(), ProtocolErrorKind::InvalidData, "{p}: {o}");
        assert_eq!(s.kind(), o.kind(), "{p}: {s}");
        assert_eq!(s.to_string(), o.to_string(), "{p}");
    }
}

/// Every truncation of a message with short and long strings is refused by the shared types
/// as by the `String` types, with an error, never a panic; so is every single byte changed
/// to 0xff (a length grown huge, a string made invalid).
#[test]
fn truncated_and_corrupted_messages_are_refused_alike() {
    let long = "a string longer than thirty bytes, which is shared";
    let xtruct = |s: &str| owned::Xtruct {
        string_thing: s.into(),
        byte_thing: 1,
        i32_thing: 2,
        i64_thing: 3,
    };
    let value = owned::Insanity {
        user_map: [(owned::Numberz::FIVE, 5)].into(),
        xtructs: vec![xtruct("short"), xtruct(long), xtruct("\u{e9}t\u{e9}")],
    };
    for p in [Protocol::Binary, Protocol::Compact] {
        let bytes = protocol::encode(p, &value).unwrap();
        for end in 0..bytes.len() {
            let refused = same::<owned::Insanity, shared::Insanity>(p, bytes.slice(..end));
            assert_eq!(refused, Ok(false), "{p}: the first {end} bytes");
        }
        for at in 0..bytes.len() {
            let mut bad = bytes.to_vec();
            bad[at] = 0xff;
            if let Err(why) = same::<owned::Insanity, shared::Insanity>(p, Bytes::from(bad)) {
                panic!("{p}: byte {at} set to 0xff: {why}");
            }
        }
    }
}

/// The hello service with `ByteStr` strings.
#[derive(Clone, Copy)]
struct Hello;

impl tests::hello_shared::HelloService for Hello {
    async fn say(&self, msg: ByteStr) -> Result<ByteStr, tests::hello_shared::SayError> {
        Ok(format!("Received: {msg}").into())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn python_tutorial_client_against_a_shared_strings_server() {
    let gen_dir = hello_python_code();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        thrift_tower::Server::builder()
            .add_service(tests::hello_shared::HelloServiceServer::new(Hello))
            .serve_with_listener(listener, async {
                let _ = stopped.await;
            }),
    );
    let stdout = run_python_hello_client(&gen_dir, port).await;
    assert_eq!(stdout, "client - say\nserver - Received: Hello!\n");
    let _ = stop.send(());
    server.await.unwrap().unwrap();
    let _ = std::fs::remove_dir_all(gen_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn shared_strings_client_against_the_python_tutorial_server() {
    let gen_dir = hello_python_code();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(PYTHON)
        .arg(repo_root().join("tests/python/hello_server.py"))
        .arg(&gen_dir)
        .arg(port.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {PYTHON} ({e}): run tests/setup-debian.sh"));
    let addr = format!("127.0.0.1:{port}");
    // The tutorial server prints before it listens: wait until it accepts connections.
    let mut up = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let reply = async {
        let channel = thrift_tower::Endpoint::new(&addr)?.connect().await?;
        tests::hello_shared::HelloServiceClient::new(channel)
            .say(ByteStr::from_static("Hello!"))
            .await
    }
    .await;
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(gen_dir);
    assert!(up, "the python server never accepted a connection");
    assert_eq!(reply.unwrap(), "Received: Hello!");
}
