//! The benchmark's bytes, written by hand: the echo calls `echo_load` sends and the replies
//! it expects (and `echo_ceiling` answers with), in the binary or compact protocol, framed
//! or buffered. Only the payload is encoded with thrift-tower's protocol code, once; every
//! message header is written and checked here, so the load generator measures a server,
//! not this crate's client.
//!
//! Also what both load generators (`echo_load`, and `echo_client` on the generated client)
//! count and print: each call's latency in a [`Tally`], the process's CPU, and the one
//! JSON line of a run ([`RunLine`]).

use std::process::ExitCode;
use std::time::Instant;

use bytes::{BufMut, Bytes, BytesMut};
use thrift_tower::protocol::{self, Protocol};

use crate::echo::{EchoRequest, Item};

/// How big a call is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// A 64-byte payload and no items.
    Small,
    /// A 64-byte payload and 100 items of 4 tags and 3 attributes each.
    Large,
}

/// The request of `size`.
pub fn request(size: Size) -> EchoRequest {
    let payload = "x".repeat(64);
    let items = match size {
        Size::Small => Vec::new(),
        Size::Large => (0..100)
            .map(|i| Item {
                id: i,
                name: format!("item number {i}"),
                score: i as f64 * 1.5,
                tags: vec![1, 2, 3, i as i32],
                attrs: (0..3)
                    .map(|k| (format!("key{k}"), format!("value {k} of {i}")))
                    .collect(),
            })
            .collect(),
    };
    EchoRequest { payload, items }
}

impl Size {
    /// Its name, as the command line and the JSON line say it.
    pub fn name(self) -> &'static str {
        match self {
            Size::Small => "small",
            Size::Large => "large",
        }
    }
}

/// What a connection or a caller saw: the latencies of the calls it counted, in
/// microseconds, and its errors.
#[derive(Debug, Default)]
pub struct Tally {
    /// One per call made and answered within the counted window.
    pub latencies_us: Vec<u32>,
    /// Calls that failed or were answered wrongly, counted or not.
    pub errors: u64,
    /// What the first error said.
    pub first_error: Option<String>,
}

impl Tally {
    /// A call sent at `sent` was answered at `now`: counted if it was sent after the
    /// warm-up (`counting_from`) and answered before the end (`until`).
    pub fn answered(
        &mut self,
        sent: Instant,
        now: Instant,
        counting_from: Instant,
        until: Instant,
    ) {
        if sent >= counting_from && now <= until {
            let micros = now.duration_since(sent).as_micros();
            self.latencies_us
                .push(u32::try_from(micros).unwrap_or(u32::MAX));
        }
    }

    /// An error; the first one's message is kept.
    pub fn failed(&mut self, error: String) {
        self.errors += 1;
        self.first_error.get_or_insert(error);
    }

    /// Adds `other`'s calls and errors to this one's.
    pub fn add(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    /// The latency below which a fraction `q` of the calls were answered (0 with none).
    /// Sorts the latencies first.
    pub fn quantile_us(&mut self, q: f64) -> u32 {
        if self.latencies_us.is_empty() {
            return 0;
        }
        if !self.latencies_us.is_sorted() {
            self.latencies_us.sort_unstable();
        }
        let at = ((self.latencies_us.len() as f64 * q) as usize).min(self.latencies_us.len() - 1);
        self.latencies_us[at]
    }
}

/// A run's settings, as its JSON line states them.
#[derive(Debug, Clone)]
pub struct RunLine<'a> {
    /// The run's name (`--label`).
    pub label: &'a str,
    /// More `"name":"value"` pairs, after the label (`echo_client`: which client).
    pub extra: &'a [(&'a str, &'a str)],
    /// The calls' size.
    pub size: Size,
    /// Connections.
    pub connections: usize,
    /// Calls in flight on each.
    pub in_flight: usize,
    /// Seconds counted.
    pub seconds: f64,
}

impl RunLine<'_> {
    /// The line: calls per second over the counted seconds, p50, p99 and p99.9 latency,
    /// errors, and `cpu_percent`, the load generator's CPU over the run's wall time.
    pub fn format(&self, tally: &mut Tally, cpu_percent: f64) -> String {
        let text = |s: &str| s.replace(['"', '\\'], "_");
        let mut line = format!("{{\"label\":\"{}\"", text(self.label));
        for (name, value) in self.extra {
            line += &format!(",\"{}\":\"{}\"", text(name), text(value));
        }
        let calls = tally.latencies_us.len();
        line += &format!(
            ",\"size\":\"{}\",\"connections\":{},\"in_flight\":{},\"seconds\":{},\"calls\":{calls},\"calls_per_sec\":{:.0},\"p50_us\":{},\"p99_us\":{},\"p999_us\":{},\"errors\":{},\"cpu_percent\":{cpu_percent:.1}}}",
            self.size.name(),
            self.connections,
            self.in_flight,
            self.seconds,
            calls as f64 / self.seconds,
            tally.quantile_us(0.5),
            tally.quantile_us(0.99),
            tally.quantile_us(0.999),
            tally.errors,
        );
        line
    }

    /// Prints the line, and `program`'s first error if there was one, and gives the exit
    /// status: success when every call was answered as it should be.
    pub fn report(&self, program: &str, tally: &mut Tally, cpu_percent: f64) -> ExitCode {
        println!("{}", self.format(tally, cpu_percent));
        if let Some(e) = &tally.first_error {
            eprintln!("{program}: {} errors, the first: {e}", tally.errors);
        }
        if tally.errors == 0 && !tally.latencies_us.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

/// CPU time this process has used, user and system, in seconds (Linux's `/proc`; 0
/// elsewhere).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command's closing parenthesis: fields 3 onwards; utime and stime are the
    // 14th and 15th, in clock ticks of 1/100 s.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// `--protocol`: the protocols the benchmark speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProtocolName {
    /// Binary.
    Binary,
    /// Compact.
    Compact,
}

impl ProtocolName {
    /// The protocol.
    pub fn protocol(self) -> Protocol {
        match self {
            ProtocolName::Binary => Protocol::Binary,
            ProtocolName::Compact => Protocol::Compact,
        }
    }
}

/// `--transport`: how messages are delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TransportName {
    /// Back to back (Apache's buffered transport).
    Buffered,
    /// Each preceded by its length.
    Framed,
}

/// The flags every load generator of the benchmark takes: where, how many, how long.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// The server's host
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// The server's port
    #[arg(long, default_value_t = 9090)]
    pub port: u16,
    /// Connections
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Calls in flight on each connection
    #[arg(long, default_value_t = 1)]
    pub in_flight: usize,
    /// How big each call is
    #[arg(long, value_enum, default_value_t = Size::Small)]
    pub size: Size,
    /// Seconds counted
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
    /// Seconds of warm-up, not counted
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// A name for the run, written in its line
    #[arg(long, default_value = "run")]
    pub label: String,
}

impl LoadArgs {
    /// `host:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    /// The line of a run with these flags, with `extra` fields after the label.
    pub fn run_line<'a>(&'a self, extra: &'a [(&'a str, &'a str)]) -> RunLine<'a> {
        RunLine {
            label: &self.label,
            extra,
            size: self.size,
            connections: self.connections,
            in_flight: self.in_flight,
            seconds: self.seconds,
        }
    }
}

/// The wire of a run: protocol and framing.
#[derive(Debug, Clone, Copy)]
pub struct Wire {
    /// Binary or compact.
    pub protocol: Protocol,
    /// Each message preceded by its length.
    pub framed: bool,
}

/// Message types, as the protocols number them.
const CALL: u8 = 1;
const REPLY: u8 = 2;

/// The method's name.
const NAME: &[u8] = b"echo";

/// What a call and its reply carry after their headers: `echo`'s arguments (field 1, the
/// request) and its result (field 0, the response, the same struct on the wire).
#[derive(Debug, Clone)]
pub struct Bodies {
    /// The arguments struct.
    pub call: Bytes,
    /// The result struct.
    pub reply: Bytes,
}

impl Bodies {
    /// The bodies for `size` in `protocol` (binary or compact).
    pub fn new(protocol: Protocol, size: Size) -> Self {
        let fields = protocol::encode(protocol, &request(size))
            .unwrap_or_else(|e| panic!("encoding the request: {e}"));
        let wrap = |id: u8| {
            let mut body = BytesMut::new();
            match protocol {
                // Field header: type struct (12), then the id as an i16.
                Protocol::Binary => body.put_slice(&[12, 0, id]),
                // Field header: the id's delta from 0 in the high nibble, type struct (12).
                // Delta 0 cannot be said that way: the long form, a zigzag varint of 0.
                _ if id == 0 => body.put_slice(&[12, 0]),
                _ => body.put_u8((id << 4) | 12),
            }
            body.put_slice(&fields);
            body.put_u8(0);
            body.freeze()
        };
        Bodies {
            call: wrap(1),
            reply: wrap(0),
        }
    }
}

/// Whether `got`, a reply's body, says what `expected` says: the same bytes, or the same
/// response once decoded (a server may write a map's entries in another order).
pub fn same_reply(protocol: Protocol, expected: &[u8], got: &[u8]) -> bool {
    if got == expected {
        return true;
    }
    // The result struct: field 0's header, the response, the stop byte.
    let header = match protocol {
        Protocol::Binary => 3,
        _ => 2,
    };
    let response = |body: &[u8]| -> Option<crate::echo::EchoResponse> {
        let inner = body.get(header..body.len().checked_sub(1)?)?;
        if body.get(..header)? != expected.get(..header)? || body.last() != Some(&0) {
            return None;
        }
        protocol::decode(
            protocol,
            Bytes::copy_from_slice(inner),
            protocol::Limits::default(),
        )
        .ok()
    };
    matches!((response(expected), response(got)), (Some(a), Some(b)) if a == b)
}

/// Appends the header of a message of `kind` with `seqid`.
fn put_header(dst: &mut BytesMut, protocol: Protocol, kind: u8, seqid: i32) {
    match protocol {
        Protocol::Binary => {
            dst.put_slice(&[0x80, 0x01, 0x00, kind]);
            dst.put_i32(NAME.len() as i32);
            dst.put_slice(NAME);
            dst.put_i32(seqid);
        }
        _ => {
            dst.put_slice(&[0x82, (kind << 5) | 1]);
            put_varint(dst, seqid as u32);
            put_varint(dst, NAME.len() as u32);
            dst.put_slice(NAME);
        }
    }
}

fn put_varint(dst: &mut BytesMut, mut value: u32) {
    while value >= 0x80 {
        dst.put_u8((value as u8) | 0x80);
        value >>= 7;
    }
    dst.put_u8(value as u8);
}

/// Appends a whole message (its frame length first when framed).
pub fn put_message(dst: &mut BytesMut, wire: Wire, kind: MessageKind, seqid: i32, body: &[u8]) {
    let start = dst.len();
    if wire.framed {
        dst.put_u32(0);
    }
    let kind = match kind {
        MessageKind::Call => CALL,
        MessageKind::Reply => REPLY,
    };
    put_header(dst, wire.protocol, kind, seqid);
    dst.put_slice(body);
    if wire.framed {
        let length = (dst.len() - start - 4) as u32;
        dst[start..start + 4].copy_from_slice(&length.to_be_bytes());
    }
}

/// A call or a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A call.
    Call,
    /// A reply.
    Reply,
}

/// How long the whole message of `body` with `seqid` is, frame length included.
pub fn message_len(wire: Wire, seqid: i32, body: &[u8]) -> usize {
    let mut scratch = BytesMut::new();
    put_message(&mut scratch, wire, MessageKind::Reply, seqid, body);
    scratch.len()
}

/// Reads the header at the start of `message` (after any frame length): its kind, its
/// seqid and where the body begins; `None` if it is not a well-formed `echo` header.
pub fn parse_header(protocol: Protocol, message: &[u8]) -> Option<(MessageKind, i32, usize)> {
    let kind = |byte: u8| match byte {
        CALL => Some(MessageKind::Call),
        REPLY => Some(MessageKind::Reply),
        _ => None,
    };
    match protocol {
        Protocol::Binary => {
            let [0x80, 0x01, 0x00, k, rest @ ..] = message else {
                return None;
            };
            let kind = kind(*k)?;
            let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            if rest.get(4..4 + len)? != NAME {
                return None;
            }
            let seqid = i32::from_be_bytes(rest.get(4 + len..8 + len)?.try_into().ok()?);
            Some((kind, seqid, 4 + 8 + len))
        }
        _ => {
            let [0x82, k, rest @ ..] = message else {
                return None;
            };
            if k & 0x1f != 1 {
                return None;
            }
            let kind = kind(k >> 5)?;
            let (seqid, a) = varint(rest)?;
            let (len, b) = varint(&rest[a..])?;
            let name = rest.get(a + b..a + b + len as usize)?;
            if name != NAME {
                return None;
            }
            Some((kind, seqid as i32, 2 + a + b + len as usize))
        }
    }
}

fn varint(bytes: &[u8]) -> Option<(u32, usize)> {
    let mut value = 0u32;
    for (i, byte) in bytes.iter().take(5).enumerate() {
        value |= u32::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::echo::EchoResponse;
    use thrift_tower::protocol::{Limits, MessageType};
    use thrift_tower::transport::decode_message;

    /// The line both load generators print: quantiles of the counted calls, the extra
    /// fields after the label, names made safe for JSON.
    #[test]
    fn run_line_states_the_quantiles_and_the_extra_fields() {
        let mut tally = Tally::default();
        for micros in (1..=1000).rev() {
            tally.latencies_us.push(micros);
        }
        tally.failed("first".into());
        tally.failed("second".into());
        assert_eq!(tally.first_error.as_deref(), Some("first"));
        let run = RunLine {
            label: "a \"b\"",
            extra: &[("client", "pool")],
            size: Size::Large,
            connections: 4,
            in_flight: 16,
            seconds: 2.0,
        };
        assert_eq!(
            run.format(&mut tally, 97.25),
            "{\"label\":\"a _b_\",\"client\":\"pool\",\"size\":\"large\",\"connections\":4,\
             \"in_flight\":16,\"seconds\":2,\"calls\":1000,\"calls_per_sec\":500,\"p50_us\":501,\
             \"p99_us\":991,\"p999_us\":1000,\"errors\":2,\"cpu_percent\":97.2}"
        );
        assert_eq!(Tally::default().quantile_us(0.5), 0);
    }

    /// `echo_server --strings shared` answers with the bytes the `String` code does, which
    /// are the bytes the load generators check replies against.
    #[tokio::test]
    async fn shared_strings_echo_the_same_bytes() {
        use crate::echo_shared::{EchoRequest as SharedRequest, EchoService};
        for protocol in [Protocol::Binary, Protocol::Compact] {
            for size in [Size::Small, Size::Large] {
                let request = request(size);
                let bytes = protocol::encode(protocol, &request).unwrap();
                let shared: SharedRequest =
                    protocol::decode(protocol, bytes, Limits::default()).unwrap();
                let reply = crate::Echo.echo(shared).await.unwrap();
                let expected = EchoResponse {
                    payload: request.payload,
                    items: request.items,
                };
                assert_eq!(
                    protocol::encode(protocol, &reply).unwrap(),
                    protocol::encode(protocol, &expected).unwrap(),
                    "{protocol} {size:?}"
                );
            }
        }
    }

    /// The hand-written bytes are what thrift-tower's own codec reads.
    #[test]
    fn hand_written_messages_decode_as_thrift_tower_reads_them() {
        for protocol in [Protocol::Binary, Protocol::Compact] {
            for size in [Size::Small, Size::Large] {
                let bodies = Bodies::new(protocol, size);
                let wire = Wire {
                    protocol,
                    framed: false,
                };
                let mut bytes = BytesMut::new();
                put_message(&mut bytes, wire, MessageKind::Reply, 300, &bodies.reply);
                let bytes = bytes.freeze();
                let (kind, seqid, at) = parse_header(protocol, &bytes).unwrap();
                assert_eq!((kind, seqid), (MessageKind::Reply, 300));
                assert_eq!(&bytes[at..], &bodies.reply[..]);
                let message: thrift_tower::Response =
                    decode_message(bytes, Some(protocol), Limits::default()).unwrap();
                assert_eq!(message.header().message_type, MessageType::Reply);
                assert_eq!(message.header().seqid, 300);
                // The result's field 0 is the request, as the response struct.
                let request = request(size);
                let expected = EchoResponse {
                    payload: request.payload,
                    items: request.items,
                };
                let fields = protocol::encode(protocol, &expected).unwrap();
                assert!(
                    message
                        .body()
                        .windows(fields.len())
                        .any(|w| w == &fields[..])
                );
            }
        }
    }
}
