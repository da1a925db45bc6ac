//! Our binary, compact and JSON protocols against Apache Thrift's Python library, byte for
//! byte and both ways; and our SimpleJSON writer against Python's `TSimpleJSONProtocol`,
//! byte for byte (SimpleJSON is write-only, there and here).
//!
//! `tests/python/vectors.py` encodes values of every struct, union and exception of
//! Apache's `ThriftTest.thrift` (defaults and extreme values), a few structs the IDL lacks
//! (bool and double containers, negative and descending field ids), whole messages and
//! `TApplicationException`s with Python's `TBinaryProtocol`, `TCompactProtocol`,
//! `TJSONProtocol` and `TSimpleJSONProtocol` (see [`tests::apache_python`]). For every case
//! and protocol:
//!
//! - our writer, driven by the case's type and value, produces Apache's bytes exactly;
//! - our reader decodes Apache's bytes to exactly the value (doubles by bits, set and map
//!   order kept) and needs every byte of them (not for SimpleJSON, which has no reader);
//! - for messages, the header (name, type, seqid) reads back as written.
//!
//! Every mismatch is listed with the case, the protocol and both hex dumps before the test
//! fails. Bytes that Python's own reader cannot read back (its JSON writes `inf` and `nan`
//! bare) are no contract for our writer: those cases are listed as excluded from the
//! writer check. Our reader must still read them (a Python peer does send them), with NaNs
//! compared as NaN, since JSON text keeps neither their sign nor their payload.
//!
//! Requires Debian's `thrift` compiler and `python3-thrift` (`tests/setup-debian.sh`); the
//! tests fail, never skip, without them.

use std::fmt::Write as _;
use std::sync::OnceLock;

use bytes::Bytes;
use tests::apache_python::{self, Case, Encoding, ExpectedApplicationException, Vectors};
use tests::dynamic::{self, Value};
use thrift_tower::protocol::binary::{BinaryReader, BinaryWriter};
use thrift_tower::protocol::compact::{CompactReader, CompactWriter};
use thrift_tower::protocol::json::{JsonReader, JsonWriter, SimpleJsonWriter};
use thrift_tower::protocol::{Limits, ProtocolReader, ProtocolWriter, Thrift};
use thrift_tower::{ApplicationException, ApplicationExceptionKind, MessageHeader, ProtocolError};

/// Python runs once per test binary; every test shares its output.
fn vectors() -> &'static Vectors {
    static VECTORS: OnceLock<Result<Vectors, String>> = OnceLock::new();
    match VECTORS.get_or_init(apache_python::generate) {
        Ok(vectors) => vectors,
        Err(e) => panic!("cannot make the Apache Python test vectors: {e}"),
    }
}

#[test]
fn binary_matches_apache_python() {
    check_encoding(Encoding::Binary);
}

#[test]
fn old_binary_header_matches_apache_python() {
    check_encoding(Encoding::BinaryOld);
}

#[test]
fn compact_matches_apache_python() {
    check_encoding(Encoding::Compact);
}

#[test]
fn json_matches_apache_python() {
    check_encoding(Encoding::Json);
}

#[test]
fn simple_json_matches_apache_python() {
    check_encoding(Encoding::SimpleJson);
}

/// Our [`ApplicationException`] (not the dynamic codec) against Python's
/// `TApplicationException.write()` and `read()`, alone and as an exception reply, in every
/// protocol.
#[test]
fn application_exception_matches_apache_python() {
    let mut report = Report::new("TApplicationException");
    for case in vectors().cases.iter() {
        let Some(expected) = &case.application_exception else {
            continue;
        };
        for encoding in case.bytes.keys() {
            let body = TypedApplicationException { case, expected };
            // Python leaves field 1 out when the message is None; ours always has a
            // message (maybe empty) and so always writes it, as Apache's C++ does.
            let write = expected.message.is_some();
            report.check(case, *encoding, &body, write);
        }
    }
    report.finish();
}

/// Guards the vectors themselves: every struct type the script describes is the type of
/// at least one case, and each protocol has cases.
#[test]
fn vectors_cover_every_struct() {
    let vectors = vectors();
    for name in vectors.structs.keys() {
        let used = vectors
            .cases
            .iter()
            .any(|c| matches!(&c.ty, dynamic::Ty::Struct(s) if &s.name == name));
        assert!(used, "no case has a {name} at its root");
    }
    for encoding in [
        Encoding::Binary,
        Encoding::BinaryOld,
        Encoding::Compact,
        Encoding::Json,
        Encoding::SimpleJson,
    ] {
        let n = vectors
            .cases
            .iter()
            .filter(|c| c.bytes.contains_key(&encoding))
            .count();
        assert!(n >= 20, "only {n} cases for {encoding}");
    }
}

/// The checks can fail: a changed byte, a trailing byte, a different value and a different
/// header are each reported.
#[test]
fn harness_reports_mismatches() {
    let find = |name: &str| {
        let found = vectors().cases.iter().find(|c| c.name == name);
        found.unwrap_or_else(|| panic!("no case {name}")).clone()
    };
    let problems = |case: &Case| {
        let mut report = Report::new("self-test");
        report.check(case, Encoding::Binary, &DynamicBody(case), true);
        report.mismatches.join("\n")
    };
    let xtruct = find("Xtruct/typical");
    assert_eq!(problems(&xtruct), "");

    let mut changed = xtruct.clone();
    let bytes = changed.bytes.get_mut(&Encoding::Binary).unwrap();
    let at = bytes.len() - 2; // the low byte of i64_thing, before the stop byte
    bytes[at] ^= 1;
    let found = problems(&changed);
    assert!(
        found.contains(&format!("first difference at byte {at}")),
        "{found}"
    );
    assert!(found.contains("at field 11: I64(-5) vs I64(-6)"), "{found}");

    let mut longer = xtruct.clone();
    longer.bytes.get_mut(&Encoding::Binary).unwrap().push(0);
    let found = problems(&longer);
    assert!(found.contains("stops before the end"), "{found}");

    let mut other = xtruct.clone();
    other.value = Value::Struct(vec![]);
    let found = problems(&other);
    assert!(found.contains("our writer's bytes differ"), "{found}");
    assert!(found.contains("another value"), "{found}");

    let mut message = find("message/call/testString");
    message.message.as_mut().unwrap().seqid += 1;
    let found = problems(&message);
    assert!(found.contains("message header read as"), "{found}");
}

fn check_encoding(encoding: Encoding) {
    let mut report = Report::new(encoding.key());
    for case in vectors().cases.iter() {
        if case.bytes.contains_key(&encoding) {
            report.check(case, encoding, &DynamicBody(case), true);
        }
    }
    report.finish();
}

/// What a case's bytes hold, written and read with our protocols.
trait Body {
    /// What reading gives.
    type Output;
    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError>;
    fn read<R: ProtocolReader>(&self, r: &mut R) -> Result<Self::Output, ProtocolError>;
    /// How `output` differs from what Apache encoded, if it does; with `any_nan`, every
    /// NaN equals every other.
    fn difference(&self, output: &Self::Output, any_nan: bool) -> Option<String>;
}

fn write_message<W: ProtocolWriter>(
    w: &mut W,
    header: Option<&MessageHeader>,
    body: impl FnOnce(&mut W) -> Result<(), ProtocolError>,
) -> Result<(), ProtocolError> {
    match header {
        Some(header) => {
            w.write_message_begin(header)?;
            body(w)?;
            w.write_message_end()
        }
        None => body(w),
    }
}

fn read_message<R: ProtocolReader, T>(
    r: &mut R,
    message: bool,
    body: impl FnOnce(&mut R) -> Result<T, ProtocolError>,
) -> Result<(Option<MessageHeader>, T), ProtocolError> {
    if message {
        let header = r.read_message_begin()?;
        let value = body(r)?;
        r.read_message_end()?;
        Ok((Some(header), value))
    } else {
        Ok((None, body(r)?))
    }
}

fn header_difference(case: &Case, header: Option<&MessageHeader>) -> Option<String> {
    (header != case.message.as_ref()).then(|| {
        format!(
            "message header read as {header:?}, Apache wrote {:?}",
            case.message
        )
    })
}

/// A case through the schema-driven codec.
struct DynamicBody<'a>(&'a Case);

impl Body for DynamicBody<'_> {
    type Output = (Option<MessageHeader>, Value);

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        let case = self.0;
        write_message(w, case.message.as_ref(), |w| {
            dynamic::write_value(w, &case.ty, &case.value)
        })
    }

    fn read<R: ProtocolReader>(&self, r: &mut R) -> Result<Self::Output, ProtocolError> {
        let case = self.0;
        read_message(r, case.message.is_some(), |r| {
            dynamic::read_value(r, &case.ty)
        })
    }

    fn difference(&self, (header, value): &Self::Output, any_nan: bool) -> Option<String> {
        header_difference(self.0, header.as_ref()).or_else(|| {
            let difference = if any_nan {
                let expected = self.0.value.with_canonical_nans();
                expected.first_difference(&value.with_canonical_nans())
            } else {
                self.0.value.first_difference(value)
            };
            difference.map(|d| format!("our reader decodes another value: {d} (expected vs ours)"))
        })
    }
}

/// A `TApplicationException` case through our [`ApplicationException`].
struct TypedApplicationException<'a> {
    case: &'a Case,
    expected: &'a ExpectedApplicationException,
}

impl Body for TypedApplicationException<'_> {
    type Output = (Option<MessageHeader>, ApplicationException);

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        let exception = ApplicationException::new(
            ApplicationExceptionKind::from_code(self.expected.kind),
            self.expected.message.clone().unwrap_or_default(),
        );
        write_message(w, self.case.message.as_ref(), |w| exception.write(w))
    }

    fn read<R: ProtocolReader>(&self, r: &mut R) -> Result<Self::Output, ProtocolError> {
        read_message(r, self.case.message.is_some(), ApplicationException::read)
    }

    fn difference(&self, (header, exception): &Self::Output, _any_nan: bool) -> Option<String> {
        let message = self.expected.message.as_deref().unwrap_or_default();
        header_difference(self.case, header.as_ref()).or_else(|| {
            (exception.kind().code() != self.expected.kind || exception.message() != message).then(
                || {
                    format!(
                        "read as type {} message {:?}; Apache wrote type {} message {:?}",
                        exception.kind().code(),
                        exception.message(),
                        self.expected.kind,
                        self.expected.message
                    )
                },
            )
        })
    }
}

fn encode<B: Body>(encoding: Encoding, body: &B) -> Result<Vec<u8>, ProtocolError> {
    let mut buf = Vec::new();
    match encoding {
        Encoding::Binary => body.write(&mut BinaryWriter::new(&mut buf))?,
        Encoding::BinaryOld => body.write(&mut BinaryWriter::new(&mut buf).strict(false))?,
        Encoding::Compact => body.write(&mut CompactWriter::new(&mut buf))?,
        Encoding::Json => body.write(&mut JsonWriter::new(&mut buf))?,
        Encoding::SimpleJson => body.write(&mut SimpleJsonWriter::new(&mut buf))?,
    }
    Ok(buf)
}

fn decode<B: Body>(encoding: Encoding, body: &B, bytes: &[u8]) -> Result<B::Output, ProtocolError> {
    let input = Bytes::copy_from_slice(bytes);
    let limits = Limits::default();
    match encoding {
        Encoding::Binary | Encoding::BinaryOld => body.read(&mut BinaryReader::new(input, limits)),
        Encoding::Compact => body.read(&mut CompactReader::new(input, limits)),
        Encoding::Json => body.read(&mut JsonReader::new(input, limits)),
        Encoding::SimpleJson => unreachable!("SimpleJSON is write-only: nothing reads it"),
    }
}

/// The mismatches of one test, reported all together at the end.
struct Report {
    title: &'static str,
    checked: usize,
    mismatches: Vec<String>,
    excluded: Vec<String>,
}

impl Report {
    fn new(title: &'static str) -> Self {
        Report {
            title,
            checked: 0,
            mismatches: Vec::new(),
            excluded: Vec::new(),
        }
    }

    /// Checks our writer (when `write`) and our reader against Apache's bytes of `case`.
    fn check<B: Body>(&mut self, case: &Case, encoding: Encoding, body: &B, write: bool) {
        let apache = &case.bytes[&encoding];
        let python_cannot_read = case.python_cannot_read.get(&encoding);
        if let Some(reason) = python_cannot_read {
            self.excluded.push(format!(
                "[{encoding}] {}: Python cannot read its own bytes ({reason}); only our \
                 reader is checked: {}",
                case.name,
                dump(apache, None, encoding)
            ));
        }
        let write = write && python_cannot_read.is_none();
        self.checked += 1;
        let mut problems = Vec::new();
        if write {
            match encode(encoding, body) {
                Ok(ours) if ours == *apache => {}
                Ok(ours) => problems.push(format!(
                    "our writer's bytes differ: {}",
                    byte_diff(apache, &ours, encoding)
                )),
                Err(e) => problems.push(format!("our writer fails: {e}")),
            }
        }
        // SimpleJSON has no reader to check (`simple::decode` refuses; its tests say so).
        if encoding != Encoding::SimpleJson {
            match decode(encoding, body, apache) {
                Ok(output) => {
                    if let Some(difference) = body.difference(&output, python_cannot_read.is_some())
                    {
                        problems.push(difference);
                    }
                    // Decoding is deterministic, so if the value decodes from all but the last
                    // byte too, the reader did not need (did not consume) every byte.
                    if let Some((_, shorter)) = apache.split_last() {
                        if decode(encoding, body, shorter).is_ok() {
                            problems.push(
                                "our reader stops before the end: it decodes the bytes without \
                                 their last one too"
                                    .to_owned(),
                            );
                        }
                    }
                }
                Err(e) => problems.push(format!("our reader fails on Apache's bytes: {e}")),
            }
        }
        if !problems.is_empty() {
            let mut text = format!("[{encoding}] {}:", case.name);
            for p in &problems {
                write!(text, "\n    {p}").ok();
            }
            if problems
                .iter()
                .all(|p| !p.starts_with("our writer's bytes differ"))
            {
                write!(text, "\n    apache: {}", dump(apache, None, encoding)).ok();
            }
            self.mismatches.push(text);
        }
    }

    fn finish(self) {
        let mut summary = format!(
            "{}: {} cases checked against Apache Python, {} mismatched, {} excluded from \
             the writer check",
            self.title,
            self.checked,
            self.mismatches.len(),
            self.excluded.len()
        );
        if !vectors().accelerated {
            summary.push_str(" (Python's fastbinary was not importable: only the pure-Python protocols made these bytes)");
        }
        let mut text = summary.clone();
        if !self.excluded.is_empty() {
            text.push_str("\nexcluded:");
            for e in &self.excluded {
                write!(text, "\n  {e}").ok();
            }
        }
        if self.mismatches.is_empty() {
            println!("{text}");
            return;
        }
        text.push_str("\nmismatches:");
        for m in &self.mismatches {
            write!(text, "\n  {m}").ok();
        }
        panic!("{text}\n{summary}");
    }
}

/// Where two encodings first differ, with both dumped around that point.
fn byte_diff(apache: &[u8], ours: &[u8], encoding: Encoding) -> String {
    let at = apache
        .iter()
        .zip(ours)
        .position(|(a, b)| a != b)
        .unwrap_or(apache.len().min(ours.len()));
    format!(
        "first difference at byte {at} (Apache wrote {} bytes, we wrote {})\
         \n    apache: {}\n    ours:   {}",
        apache.len(),
        ours.len(),
        dump(apache, Some(at), encoding),
        dump(ours, Some(at), encoding)
    )
}

/// Hex, with `[` before byte `mark`; long inputs shown around `mark` only. JSON is shown
/// as text too.
fn dump(bytes: &[u8], mark: Option<usize>, encoding: Encoding) -> String {
    const ALL: usize = 256;
    const AROUND: usize = 64;
    let (start, end) = match mark {
        _ if bytes.len() <= ALL => (0, bytes.len()),
        Some(at) => (at.saturating_sub(AROUND), (at + AROUND).min(bytes.len())),
        None => (0, ALL),
    };
    let mut out = String::new();
    if start > 0 {
        write!(out, "({start} bytes) ").ok();
    }
    for (i, b) in bytes[start..end].iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if mark == Some(start + i) {
            out.push('[');
        }
        write!(out, "{b:02x}").ok();
    }
    if mark == Some(bytes.len()) {
        out.push_str(" [(end)");
    }
    if end < bytes.len() {
        write!(out, " ({} more bytes)", bytes.len() - end).ok();
    }
    if matches!(encoding, Encoding::Json | Encoding::SimpleJson) {
        write!(
            out,
            "\n            text: {:?}",
            String::from_utf8_lossy(&bytes[start..end])
        )
        .ok();
    }
    out
}
