//! Where an unframed message ends, found as its bytes arrive, in time linear in its length.
//!
//! A buffered (unframed) connection gives no length: the message ends where its body struct
//! ends. Parsing the whole buffer again each time more bytes come costs time quadratic in
//! the message's length when it arrives in many small reads: a slow link, or a peer that
//! trickles bytes on purpose to burn the server's CPU. [`MessageScanner`] keeps where it got
//! to instead: the offset of the next value and a stack of the structs and containers it is
//! inside, so each byte is looked at about once.
//!
//! Binary and compact are scanned a step at a time (a field header, a container header, or
//! one plain value) with the protocol's own reader, so every check the reader makes (type
//! ids, negative and oversized lengths, the depth limit) applies; a step the buffer cannot
//! complete is undone and taken again when enough bytes have come. JSON is scanned for its
//! brackets, outside strings; the reader checks the message once it is whole.

use super::binary::BinaryReader;
use super::compact::CompactReader;
use super::error::{ProtocolError, ProtocolErrorKind};
use super::input::Skim;
use super::limits::Limits;
use super::traits::ProtocolReader;
use super::wire::{Protocol, WireType};

/// Where the message at the start of a buffer ends, as far as the buffer tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MessageLen {
    /// The whole message is there: its length.
    Complete(usize),
    /// Only part of it is there; the buffer must hold at least this many bytes before
    /// scanning again can get further (a declared string or container longer than what
    /// has come), so a transport can wait until then.
    Incomplete {
        /// The least total buffer length worth scanning again.
        at_least: usize,
    },
}

/// A struct or container the scan is inside.
#[derive(Debug, Clone, Copy)]
enum Frame {
    /// Next: a field header, or the stop that ends the struct.
    Struct,
    /// `remaining` more elements of one type.
    List { element: WireType, remaining: usize },
    /// `remaining` more keys and values, alternating, keys first.
    Map {
        key: WireType,
        value: WireType,
        remaining: usize,
    },
}

/// How far the scan of one JSON message has got.
#[derive(Debug, Clone, Copy, Default)]
struct JsonState {
    /// Open `[` and `{`.
    depth: usize,
    in_string: bool,
    /// The previous byte in a string was an unescaped `\`.
    escape: bool,
}

/// Finds where the message at the start of a buffer ends, keeping its progress between calls
/// while the buffer grows. The buffer must keep its bytes between calls (it may grow at the
/// end); [`reset`](Self::reset) starts over, for the next message.
#[derive(Debug, Clone)]
pub(crate) struct MessageScanner {
    protocol: Protocol,
    limits: Limits,
    /// Everything before this offset has been scanned.
    pos: usize,
    /// Whether the message header has been read.
    started: bool,
    stack: Vec<Frame>,
    json: JsonState,
}

impl MessageScanner {
    /// A scanner for a message in `protocol`, within `limits`.
    pub(crate) fn new(protocol: Protocol, limits: Limits) -> Self {
        MessageScanner {
            protocol,
            limits,
            pos: 0,
            started: false,
            stack: Vec::new(),
            json: JsonState::default(),
        }
    }

    /// Starts over, for a message in `protocol` at the start of the buffer.
    pub(crate) fn reset(&mut self, protocol: Protocol) {
        self.protocol = protocol;
        self.pos = 0;
        self.started = false;
        self.stack.clear();
        self.json = JsonState::default();
    }

    /// Scans what `buf` holds beyond what earlier calls scanned.
    pub(crate) fn scan(&mut self, buf: &[u8]) -> Result<MessageLen, ProtocolError> {
        if buf.len() < self.pos {
            // Not the buffer of the earlier calls: start over.
            self.reset(self.protocol);
        }
        match self.protocol {
            Protocol::Binary => {
                let mut r = BinaryReader::new(Skim(&buf[self.pos..]), self.limits);
                self.scan_with(&mut r, buf.len(), false, |r| r.position())
            }
            Protocol::Compact => {
                let mut r = CompactReader::new(Skim(&buf[self.pos..]), self.limits);
                self.scan_with(&mut r, buf.len(), true, |r| r.position())
            }
            Protocol::Json => self.scan_json(buf),
        }
    }

    fn scan_with<R: ProtocolReader>(
        &mut self,
        r: &mut R,
        buf_len: usize,
        compact: bool,
        position: impl Fn(&R) -> usize,
    ) -> Result<MessageLen, ProtocolError> {
        let base = self.pos;
        let incomplete = |e: ProtocolError| -> Result<MessageLen, ProtocolError> {
            if e.is_eof() {
                Ok(MessageLen::Incomplete {
                    at_least: buf_len.saturating_add(e.short_by().max(1)),
                })
            } else {
                Err(e)
            }
        };
        if !self.started {
            if let Err(e) = r.read_message_begin() {
                return incomplete(e);
            }
            self.started = true;
            self.pos = base + position(r);
            self.enter(Frame::Struct)?;
        }
        while !self.stack.is_empty() {
            let top = self.stack.len() - 1;
            let saved = self.stack[top];
            if let Err(e) = self.step(r, compact) {
                // Undo the step: the reader is dropped, and the next call starts again
                // where this step started.
                self.stack.truncate(top + 1);
                self.stack[top] = saved;
                return incomplete(e);
            }
            self.pos = base + position(r);
        }
        if let Err(e) = r.read_message_end() {
            return incomplete(e);
        }
        Ok(MessageLen::Complete(base + position(r)))
    }

    /// One field header, container header or plain value; whole, or an error.
    fn step<R: ProtocolReader>(&mut self, r: &mut R, compact: bool) -> Result<(), ProtocolError> {
        let last = self.stack.len() - 1;
        let wire_type = match &mut self.stack[last] {
            Frame::Struct => {
                let field = r.read_field_begin()?;
                // Compact keeps a bool field's value until the field ends: end it now, or
                // a bool element of a list read next would take that value for its own.
                r.read_field_end()?;
                if field.wire_type == WireType::Stop {
                    self.stack.pop();
                    return Ok(());
                }
                // Compact carries a bool field's value in its header.
                if compact && field.wire_type == WireType::Bool {
                    return Ok(());
                }
                field.wire_type
            }
            Frame::List { remaining: 0, .. } | Frame::Map { remaining: 0, .. } => {
                self.stack.pop();
                return Ok(());
            }
            Frame::List { element, remaining } => {
                *remaining -= 1;
                *element
            }
            Frame::Map {
                key,
                value,
                remaining,
            } => {
                *remaining -= 1;
                if *remaining % 2 == 1 { *key } else { *value }
            }
        };
        match wire_type {
            WireType::Struct => self.enter(Frame::Struct),
            WireType::List | WireType::Set => {
                // The reader checks the header (element type, length against the limit and
                // against what remains); its own depth count is balanced at once, as the
                // stack here does the counting.
                let h = if wire_type == WireType::List {
                    let h = r.read_list_begin()?;
                    r.read_list_end()?;
                    h
                } else {
                    let h = r.read_set_begin()?;
                    r.read_set_end()?;
                    h
                };
                self.enter(Frame::List {
                    element: h.element,
                    remaining: h.len,
                })
            }
            WireType::Map => {
                let h = r.read_map_begin()?;
                r.read_map_end()?;
                self.enter(Frame::Map {
                    key: h.key,
                    value: h.value,
                    remaining: h.len.saturating_mul(2),
                })
            }
            other => r.skip(other),
        }
    }

    fn enter(&mut self, frame: Frame) -> Result<(), ProtocolError> {
        if self.stack.len() >= usize::from(self.limits.recursion_limit()) {
            return Err(ProtocolError::new(
                ProtocolErrorKind::DepthLimit,
                format!(
                    "structs and containers nested deeper than the limit of {}",
                    self.limits.recursion_limit()
                ),
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    /// Finds the `]` that closes the message's `[`, outside strings.
    fn scan_json(&mut self, buf: &[u8]) -> Result<MessageLen, ProtocolError> {
        // Each Thrift level is at most two JSON levels (a field's object, then its value),
        // plus the message's array; the reader checks the exact limit once the message is
        // whole.
        let max_depth = 2 * usize::from(self.limits.recursion_limit()) + 2;
        let s = &mut self.json;
        for (i, &b) in buf.iter().enumerate().skip(self.pos) {
            if s.in_string {
                if s.escape {
                    s.escape = false;
                } else if b == b'\\' {
                    s.escape = true;
                } else if b == b'"' {
                    s.in_string = false;
                }
                continue;
            }
            match b {
                b'"' if s.depth > 0 => s.in_string = true,
                b'[' | b'{' => {
                    s.depth += 1;
                    if s.depth > max_depth {
                        return Err(ProtocolError::new(
                            ProtocolErrorKind::DepthLimit,
                            format!("JSON nested deeper than {max_depth} levels"),
                        ));
                    }
                }
                b']' | b'}' if s.depth > 0 => {
                    s.depth -= 1;
                    if s.depth == 0 {
                        self.pos = i + 1;
                        return Ok(MessageLen::Complete(i + 1));
                    }
                }
                b' ' | b'\t' | b'\r' | b'\n' if s.depth == 0 => {}
                _ if s.depth == 0 => {
                    return Err(ProtocolError::invalid(format!(
                        "a JSON message starts with `[`, not {:?}",
                        char::from(b)
                    )));
                }
                _ => {}
            }
        }
        self.pos = buf.len();
        Ok(MessageLen::Incomplete {
            at_least: buf.len() + 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use bytes::BytesMut;

    use super::*;
    use crate::protocol::binary::BinaryWriter;
    use crate::protocol::compact::CompactWriter;
    use crate::protocol::json::{JsonReader, JsonWriter};
    use crate::protocol::{MessageHeader, MessageType};
    use crate::protocol::{ProtocolWriter, Thrift};

    const PROTOCOLS: [Protocol; 3] = [Protocol::Binary, Protocol::Compact, Protocol::Json];

    /// A body with every kind of value, `n` deep: bool fields next to lists of bools (compact
    /// keeps a bool field's value in its header), maps of lists, nested structs, strings
    /// with brackets and quotes (JSON), empty containers.
    fn body<W: ProtocolWriter>(w: &mut W, n: u32) {
        w.write_struct_begin("S").unwrap();
        w.write_field_begin("flag", WireType::Bool, 1).unwrap();
        w.write_bool(n % 2 == 0).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("flags", WireType::List, 2).unwrap();
        vec![true, false, true].write(w).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("text", WireType::String, 30).unwrap();
        w.write_string("a \"quoted\" ]} [{ \\ string é").unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("blob", WireType::String, 4).unwrap();
        w.write_binary(&[0, 0x80, 0xff, b'"', b']']).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("big", WireType::I64, -5).unwrap();
        w.write_i64(i64::MIN + i64::from(n)).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("map", WireType::Map, 6).unwrap();
        let map: std::collections::BTreeMap<String, Vec<i16>> = (0..n)
            .map(|i| (format!("k{i}"), (0..i as i16).collect()))
            .collect();
        map.write(w).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("empty", WireType::Map, 7).unwrap();
        std::collections::BTreeMap::<i8, f64>::new()
            .write(w)
            .unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("d", WireType::Double, 8).unwrap();
        w.write_double(-0.5).unwrap();
        w.write_field_end().unwrap();
        w.write_field_begin("id", WireType::Uuid, 9).unwrap();
        w.write_uuid(&[0x5a; 16]).unwrap();
        w.write_field_end().unwrap();
        if n > 0 {
            w.write_field_begin("inner", WireType::Struct, 200).unwrap();
            body(w, n - 1);
            w.write_field_end().unwrap();
            w.write_field_begin("set", WireType::Set, 10).unwrap();
            std::collections::BTreeSet::from([1i32, -1, i32::MAX])
                .write(w)
                .unwrap();
            w.write_field_end().unwrap();
        }
        w.write_field_stop().unwrap();
        w.write_struct_end().unwrap();
    }

    fn message(protocol: Protocol, n: u32) -> Vec<u8> {
        fn put<W: ProtocolWriter>(w: &mut W, n: u32) {
            let header = MessageHeader::new("call", MessageType::Call, 9);
            w.write_message_begin(&header).unwrap();
            body(w, n);
            w.write_message_end().unwrap();
        }
        let mut buf = BytesMut::new();
        match protocol {
            Protocol::Binary => put(&mut BinaryWriter::new(&mut buf), n),
            Protocol::Compact => put(&mut CompactWriter::new(&mut buf), n),
            Protocol::Json => put(&mut JsonWriter::new(&mut buf), n),
        }
        buf.to_vec()
    }

    /// Where the message ends by parsing all of it at once with the protocol's reader.
    fn by_reader(protocol: Protocol, buf: &[u8]) -> Result<usize, ProtocolError> {
        fn run<R: ProtocolReader>(r: &mut R) -> Result<(), ProtocolError> {
            r.read_message_begin()?;
            r.skip(WireType::Struct)?;
            r.read_message_end()
        }
        let limits = Limits::default();
        match protocol {
            Protocol::Binary => {
                let mut r = BinaryReader::new(buf, limits);
                run(&mut r).map(|()| r.position())
            }
            Protocol::Compact => {
                let mut r = CompactReader::new(buf, limits);
                run(&mut r).map(|()| r.position())
            }
            Protocol::Json => {
                let mut r = JsonReader::new(buf, limits);
                run(&mut r).map(|()| r.position())
            }
        }
    }

    #[test]
    fn fed_a_byte_at_a_time_finds_the_end_the_reader_finds() {
        for protocol in PROTOCOLS {
            for n in [0, 1, 3] {
                let mut full = message(protocol, n);
                assert_eq!(by_reader(protocol, &full).unwrap(), full.len());
                // The next message's first bytes follow: the scan stops at the end.
                full.extend_from_slice(&message(protocol, 0)[..3]);
                let len = full.len() - 3;
                let mut scanner = MessageScanner::new(protocol, Limits::default());
                let mut waited_for = 0;
                let mut completed = false;
                for cut in 0..=full.len() {
                    // A fresh scan of these bytes, and the scan that kept its progress, fed
                    // as the codec feeds it: not before the length it asked for.
                    let fresh = MessageScanner::new(protocol, Limits::default())
                        .scan(&full[..cut])
                        .unwrap();
                    if cut < len {
                        let MessageLen::Incomplete { at_least } = fresh else {
                            panic!("{protocol} n={n}: {fresh:?} at {cut} of {len}");
                        };
                        assert!(at_least > cut && at_least <= len, "{protocol} at {cut}");
                    } else {
                        assert_eq!(fresh, MessageLen::Complete(len), "{protocol} at {cut}");
                    }
                    if cut < waited_for {
                        continue;
                    }
                    let kept = scanner.scan(&full[..cut]).unwrap();
                    match kept {
                        MessageLen::Incomplete { at_least } if cut < len => {
                            assert!(at_least > cut && at_least <= len, "{protocol} at {cut}");
                            waited_for = at_least;
                        }
                        MessageLen::Complete(found) if cut >= len => {
                            assert_eq!(found, len, "{protocol} at {cut}");
                            completed = true;
                            break;
                        }
                        other => panic!("{protocol} n={n}: {other:?} at {cut} of {len}"),
                    }
                }
                assert!(completed, "{protocol} n={n}: never complete");
            }
        }
    }

    #[test]
    fn fed_in_uneven_chunks_agrees_with_one_scan() {
        for protocol in PROTOCOLS {
            let full = message(protocol, 4);
            for chunk in [2, 3, 7, 64] {
                let mut scanner = MessageScanner::new(protocol, Limits::default());
                let mut cut = 0;
                let found = loop {
                    cut = (cut + chunk).min(full.len());
                    match scanner.scan(&full[..cut]).unwrap() {
                        MessageLen::Complete(len) => break len,
                        MessageLen::Incomplete { at_least } => cut = cut.max(at_least - chunk),
                    }
                };
                assert_eq!(found, full.len(), "{protocol} in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn bad_bytes_are_the_errors_the_reader_gives() {
        let limits = Limits::default();
        for protocol in [Protocol::Binary, Protocol::Compact] {
            let full = message(protocol, 2);
            // Every single-byte corruption: where the reader fails on the whole message,
            // the scan fails too, with the same kind of error, fed at once or bit by bit.
            for at in 0..full.len() {
                for flip in [0x01u8, 0x0f, 0x80, 0xff] {
                    let mut bad = full.clone();
                    bad[at] ^= flip;
                    let expected = by_reader(protocol, &bad);
                    let mut scanner = MessageScanner::new(protocol, limits);
                    let mut got = Ok(MessageLen::Incomplete { at_least: 0 });
                    for cut in [bad.len() / 3, bad.len() / 2, bad.len()] {
                        got = scanner.scan(&bad[..cut]);
                        if !matches!(got, Ok(MessageLen::Incomplete { .. })) {
                            break;
                        }
                    }
                    match (&expected, &got) {
                        (Ok(len), Ok(MessageLen::Complete(found))) => assert_eq!(len, found),
                        (Err(e), Err(f)) => assert_eq!(e.kind(), f.kind(), "{protocol} {at}"),
                        (Err(e), Ok(MessageLen::Incomplete { .. })) => {
                            assert!(e.is_eof(), "{protocol} {at}: {e} vs {got:?}")
                        }
                        _ => panic!("{protocol} byte {at} ^ {flip:#x}: {expected:?} vs {got:?}"),
                    }
                }
            }
        }
    }

    #[test]
    fn nesting_and_declared_sizes_are_bounded_before_they_arrive() {
        let limits = Limits::default();
        // 1,000 nested lists of lists, in binary: past the depth limit long before the end.
        let mut deep = message(Protocol::Binary, 0);
        deep.truncate(deep.len() - 1);
        deep.extend_from_slice(&[0x0f, 0, 1]);
        for _ in 0..1000 {
            deep.extend_from_slice(&[0x0f, 0, 0, 0, 1]);
        }
        let e = MessageScanner::new(Protocol::Binary, limits)
            .scan(&deep)
            .unwrap_err();
        assert_eq!(e.kind(), ProtocolErrorKind::DepthLimit);
        let e = MessageScanner::new(Protocol::Json, limits)
            .scan(&[b'['; 1000])
            .unwrap_err();
        assert_eq!(e.kind(), ProtocolErrorKind::DepthLimit);

        // A list of two billion i64 declared: the least length is known from the header.
        let mut huge = message(Protocol::Binary, 0);
        huge.truncate(huge.len() - 1);
        huge.extend_from_slice(&[0x0f, 0, 1, 0x0a, 0x7f, 0xff, 0xff, 0xff]);
        match MessageScanner::new(Protocol::Binary, limits).scan(&huge) {
            Err(e) => assert!(e.is_limit(), "{e}"),
            Ok(MessageLen::Incomplete { at_least }) => assert!(at_least > 1 << 34),
            other => panic!("{other:?}"),
        }
    }
}
