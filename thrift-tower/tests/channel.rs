//! The client `Channel` against a small Thrift server written here with tokio and
//! `MessageCodec`, on real loopback sockets: pipelined calls answered out of order, oneway
//! calls, broken connections and reconnection, every framing and protocol, and the errors.

use std::collections::HashSet;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use thrift_tower::protocol::{
    self, FieldHeader, Limits, Protocol, ProtocolReader, ProtocolWriter, Thrift, WireType,
};
use thrift_tower::transport::{Framing, MessageCodec};
use thrift_tower::{
    Channel, Endpoint, Error, MessageHeader, MessageType, ProtocolError, Request, Response,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, Encoder};
use tower_service::Service;

const PROTOCOLS: [Protocol; 3] = [Protocol::Binary, Protocol::Compact, Protocol::Json];
/// The bound on anything that should happen "at once": generous, for loaded machines.
const PROMPTLY: Duration = Duration::from_secs(5);

/// The arguments and result of every test method: an id to tell calls apart, and a number
/// whose meaning depends on the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Payload {
    id: i64,
    n: i32,
}

impl Payload {
    fn new(id: i64) -> Self {
        Payload { id, n: 0 }
    }
}

impl Thrift for Payload {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut payload = Payload::new(0);
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id } = r.read_field_begin()?;
            match (id, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::I64) => payload.id = r.read_i64()?,
                (2, WireType::I32) => payload.n = r.read_i32()?,
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(payload)
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Payload")?;
        w.write_field_begin("id", WireType::I64, 1)?;
        w.write_i64(self.id)?;
        w.write_field_end()?;
        w.write_field_begin("n", WireType::I32, 2)?;
        w.write_i32(self.n)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

// ---- The test server ----

/// What the server saw, in order.
#[derive(Debug, PartialEq, Eq)]
enum Event {
    Connected,
    /// A `hang` call arrived (it gets no reply).
    Hanging,
    /// The `n` calls of a `batch` arrived, with these wire sequence ids, in this order;
    /// they are answered in the opposite order.
    Batch(Vec<i32>),
    /// A oneway `note` arrived.
    Note(Payload),
    /// The connection closed.
    Closed,
}

/// What the server writes.
enum Out {
    Reply(Response),
    Raw(&'static [u8]),
}

struct TestServer {
    addr: SocketAddr,
    events: mpsc::UnboundedReceiver<Event>,
    accept: JoinHandle<()>,
}

impl TestServer {
    async fn start(framing: Framing, protocol: Protocol) -> TestServer {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), framing, protocol).await
    }

    async fn start_on(addr: SocketAddr, framing: Framing, protocol: Protocol) -> TestServer {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (events_tx, events) = mpsc::unbounded_channel();
        let accept = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = events_tx.send(Event::Connected);
                tokio::spawn(serve(stream, framing, protocol, events_tx.clone()));
            }
        });
        TestServer {
            addr,
            events,
            accept,
        }
    }

    /// Stops listening (connections already made go on).
    async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
    }

    async fn event(&mut self) -> Event {
        tokio::time::timeout(PROMPTLY, self.events.recv())
            .await
            .expect("the server saw nothing happen")
            .expect("the server stopped")
    }

    /// Nothing else happened so far.
    fn quiet(&mut self) -> bool {
        self.events.try_recv().is_err()
    }
}

/// Serves one connection. Methods: `echo` answers with its arguments; `slow` too, after
/// `n` ms; `batch` waits for `n` calls of it, then answers them last first; `hang` never
/// answers; `drop` closes the connection; `stray` first sends a reply with a sequence id
/// no one waits for; `garbage` sends bytes that are no message; `note` is oneway.
async fn serve<S>(
    stream: S,
    framing: Framing,
    protocol: Protocol,
    events: mpsc::UnboundedSender<Event>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let (out, mut outbox) = mpsc::unbounded_channel::<Out>();
    let write = tokio::spawn(async move {
        let mut codec = MessageCodec::<Request>::new(framing, Some(protocol), Limits::default());
        while let Some(message) = outbox.recv().await {
            let mut buf = BytesMut::new();
            match message {
                Out::Reply(response) => codec.encode(response, &mut buf).unwrap(),
                Out::Raw(bytes) => buf.extend_from_slice(bytes),
            }
            if writer.write_all(&buf).await.is_err() {
                break;
            }
        }
    });
    let reply = |call: &Request, seqid: i32| {
        Out::Reply(Response::new(
            MessageHeader::new(call.header().name.clone(), MessageType::Reply, seqid),
            protocol,
            call.body().clone(),
        ))
    };
    let mut codec = MessageCodec::<Request>::new(framing, Some(protocol), Limits::default());
    let mut buf = BytesMut::new();
    let mut batch: Vec<Request> = Vec::new();
    'connection: loop {
        while let Some(call) = codec
            .decode(&mut buf)
            .expect("the client sent a bad message")
        {
            let payload: Payload =
                protocol::decode(protocol, call.body().clone(), Limits::default())
                    .expect("the client sent bad arguments");
            let seqid = call.header().seqid;
            match &*call.header().name {
                "echo" => out.send(reply(&call, seqid)).unwrap(),
                "slow" => {
                    let out = out.clone();
                    let reply = reply(&call, seqid);
                    tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(payload.n as u64)).await;
                        let _ = out.send(reply);
                    });
                }
                "batch" => {
                    batch.push(call);
                    if batch.len() == payload.n as usize {
                        let seqids = batch.iter().map(|c| c.header().seqid).collect();
                        events.send(Event::Batch(seqids)).unwrap();
                        for call in batch.drain(..).rev() {
                            out.send(reply(&call, call.header().seqid)).unwrap();
                        }
                    }
                }
                "hang" => events.send(Event::Hanging).unwrap(),
                "drop" => break 'connection,
                "stray" => {
                    out.send(reply(&call, seqid.wrapping_add(1000))).unwrap();
                    out.send(reply(&call, seqid)).unwrap();
                }
                // A strict binary header of message type 7, which does not exist.
                "garbage" => out
                    .send(Out::Raw(
                        b"\x80\x01\x00\x07\x00\x00\x00\x01m\x00\x00\x00\x01\x00",
                    ))
                    .unwrap(),
                "note" => {
                    assert_eq!(call.header().message_type, MessageType::Oneway);
                    events.send(Event::Note(payload)).unwrap();
                }
                other => panic!("no method {other}"),
            }
        }
        match reader.read_buf(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    // Both halves dropped: the socket closes.
    write.abort();
    let _ = write.await;
    drop(reader);
    let _ = events.send(Event::Closed);
}

// ---- Client helpers ----

fn request(method: &'static str, seqid: i32, protocol: Protocol, payload: Payload) -> Request {
    let header = MessageHeader::new(method, MessageType::Call, seqid);
    Request::new(
        header,
        protocol,
        protocol::encode(protocol, &payload).unwrap(),
    )
}

fn oneway(seqid: i32, protocol: Protocol, payload: Payload) -> Request {
    let mut request = request("note", seqid, protocol, payload);
    request.header_mut().message_type = MessageType::Oneway;
    request
}

/// Ready, then call: what tower's `ServiceExt::oneshot` does.
async fn call(channel: &mut Channel, request: Request) -> Result<Response, Error> {
    let response = async {
        poll_fn(|cx| channel.poll_ready(cx)).await?;
        channel.call(request).await
    };
    tokio::time::timeout(Duration::from_secs(20), response)
        .await
        .expect("the call neither completed nor failed")
}

fn payload_of(response: &Response) -> Payload {
    protocol::decode(
        response.protocol(),
        response.body().clone(),
        Limits::default(),
    )
    .unwrap()
}

// ---- Tests ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_get_their_own_replies_out_of_order() {
    const CALLS: i32 = 200;
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    // Limits other than the defaults travel with each response to its decoder.
    let limits = Limits::default().with_string_limit(1 << 20);
    let channel = Endpoint::from(server.addr)
        .limits(limits)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let calls: Vec<_> = (0..CALLS)
        .map(|i| {
            let mut channel = channel.clone();
            // Caller seqids that repeat and go negative: the channel numbers calls itself.
            let caller_seqid = i % 10 - 5;
            let payload = Payload {
                id: i64::from(i) << 32,
                n: CALLS,
            };
            tokio::spawn(async move {
                let request = request("batch", caller_seqid, Protocol::Binary, payload);
                let response = call(&mut channel, request).await.unwrap();
                (caller_seqid, payload, response)
            })
        })
        .collect();
    for handle in calls {
        let (caller_seqid, payload, response) = handle.await.unwrap();
        assert_eq!(response.header().seqid, caller_seqid);
        assert_eq!(response.header().message_type, MessageType::Reply);
        assert_eq!(response.header().name, "batch");
        assert_eq!(payload_of(&response), payload);
        assert_eq!(response.extensions().get::<Limits>(), Some(&limits));
    }
    // All 200 were on the wire at once, on one connection, each with its own number, and
    // were answered last first.
    let Event::Batch(seqids) = server.event().await else {
        panic!("expected the batch")
    };
    assert_eq!(seqids.len(), CALLS as usize);
    assert_eq!(seqids.iter().collect::<HashSet<_>>().len(), CALLS as usize);
    assert!(server.quiet());
}

#[tokio::test]
async fn oneway_completes_when_written_and_gets_no_reply() {
    let mut server = TestServer::start(Framing::Framed, Protocol::Compact).await;
    let mut channel = Endpoint::from(server.addr)
        .framing(Framing::Framed)
        .protocol(Protocol::Compact)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let note = Payload { id: 7, n: 8 };
    let response = call(&mut channel, oneway(42, Protocol::Compact, note))
        .await
        .unwrap();
    assert!(response.is_oneway());
    assert_eq!(response.header().seqid, 42);
    assert_eq!(response.header().name, "note");
    assert!(response.body().is_empty());
    assert_eq!(server.event().await, Event::Note(note));
    // The connection is still in step: the next call gets its own reply.
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Compact, Payload::new(9)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(9));
}

#[tokio::test]
async fn a_broken_connection_fails_pending_calls_and_the_next_call_reconnects() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let addr = server.addr;
    let channel = Endpoint::from(addr).connect().await.unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let hanging: Vec<_> = (0..5)
        .map(|i| {
            let mut channel = channel.clone();
            tokio::spawn(async move {
                let request = request("hang", 0, Protocol::Binary, Payload::new(i));
                call(&mut channel, request).await
            })
        })
        .collect();
    for _ in 0..5 {
        assert_eq!(server.event().await, Event::Hanging);
    }

    let started = Instant::now();
    let dropped = call(
        &mut channel.clone(),
        request("drop", 0, Protocol::Binary, Payload::new(5)),
    )
    .await
    .unwrap_err();
    assert!(dropped.is_io(), "{dropped}");
    assert!(!dropped.is_connect(), "{dropped}");
    assert!(dropped.to_string().contains(&addr.to_string()), "{dropped}");
    for call in hanging {
        let error = call.await.unwrap().unwrap_err();
        assert!(error.is_io(), "{error}");
        assert!(error.to_string().contains(&addr.to_string()), "{error}");
    }
    assert!(started.elapsed() < PROMPTLY, "{:?}", started.elapsed());
    assert_eq!(server.event().await, Event::Closed);

    // The server restarts on the same port; the channel connects again.
    server.stop().await;
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    let response = call(
        &mut channel.clone(),
        request("echo", 3, Protocol::Binary, Payload::new(6)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(6));
    assert_eq!(response.header().seqid, 3);
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn an_undecodable_reply_fails_the_calls_and_the_next_call_reconnects() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let error = call(
        &mut channel,
        request("garbage", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_protocol(), "{error}");
    assert!(
        error.to_string().contains("cannot be decoded") && error.to_string().contains("type 7"),
        "{error}"
    );
    assert_eq!(server.event().await, Event::Closed);

    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_framing_and_protocol() {
    for framing in [Framing::Buffered, Framing::Framed] {
        for protocol in PROTOCOLS {
            let mut server = TestServer::start(framing, protocol).await;
            let channel = Endpoint::from(server.addr)
                .framing(framing)
                .protocol(protocol)
                .connect()
                .await
                .unwrap();
            assert_eq!(channel.protocol(), protocol);
            let calls: Vec<_> = (0..20)
                .map(|i| {
                    let mut channel = channel.clone();
                    tokio::spawn(async move {
                        let payload = Payload { id: -i, n: 20 };
                        let response = call(&mut channel, request("batch", 1, protocol, payload))
                            .await
                            .unwrap();
                        assert_eq!(payload_of(&response), payload);
                    })
                })
                .collect();
            for call in calls {
                call.await.unwrap();
            }
            let note = Payload::new(99);
            let response = call(&mut channel.clone(), oneway(0, protocol, note))
                .await
                .unwrap();
            assert!(response.is_oneway(), "{framing:?} {protocol}");
            assert_eq!(server.event().await, Event::Connected);
            assert!(matches!(server.event().await, Event::Batch(s) if s.len() == 20));
            assert_eq!(
                server.event().await,
                Event::Note(note),
                "{framing:?} {protocol}"
            );
        }
    }
}

#[tokio::test]
async fn connecting_to_a_closed_port_fails_clearly() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);

    let error = Endpoint::from(addr).connect().await.unwrap_err();
    assert!(error.is_connect() && error.is_io(), "{error}");
    assert!(!error.is_timeout(), "{error}");
    assert!(
        error
            .to_string()
            .contains(&format!("cannot connect to {addr}")),
        "{error}"
    );

    // A lazy channel fails its calls the same way, and connects once the server is up.
    let mut channel = Endpoint::from(addr).connect_lazy();
    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_connect(), "{error}");
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn load_ranks_a_channel_that_cannot_connect_last_for_its_penalty() {
    use thrift_tower::client::ChannelLoad;
    use tower::load::Load;

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut channel = Endpoint::from(addr)
        .failure_penalty(Duration::from_millis(300))
        .connect_lazy();
    let idle = ChannelLoad {
        failing: false,
        in_flight: 0,
    };
    assert_eq!(channel.load(), idle);

    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_connect(), "{error}");
    let failed_at = Instant::now();
    let failing = channel.load();
    assert!(failing.failing, "{failing:?}");
    // Failing outranks any number of calls in flight on a channel that is not failing.
    assert!(
        failing
            > ChannelLoad {
                failing: false,
                in_flight: usize::MAX
            }
    );

    // The penalty ends; a server is back; a call connects, and the load counts it.
    while channel.load().failing {
        assert!(failed_at.elapsed() < PROMPTLY, "still failing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(failed_at.elapsed() >= Duration::from_millis(250));
    let mut server = TestServer::start_on(addr, Framing::Buffered, Protocol::Binary).await;
    poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let pending = channel.call(request("hang", 0, Protocol::Binary, Payload::new(2)));
    assert_eq!(
        channel.load(),
        ChannelLoad {
            failing: false,
            in_flight: 1
        }
    );
    drop(pending);
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn a_lazy_channel_connects_on_its_first_call() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect_lazy();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(server.quiet());
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(1));
    assert_eq!(server.event().await, Event::Connected);
}

#[tokio::test]
async fn configurations_that_cannot_work_are_errors() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();

    // A request in another protocol than the channel's.
    let error = call(
        &mut channel,
        request("echo", 0, Protocol::Compact, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_config(), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "thrift configuration error: the call to `echo` is encoded with the compact \
             protocol, but the channel to {} speaks binary: give the client and the endpoint \
             the same protocol",
            server.addr
        )
    );
    // Its slot was given back, and the connection is unharmed.
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);

    // Auto framing is the server's.
    let error = Endpoint::from(server.addr)
        .framing(Framing::Auto)
        .connect()
        .await
        .unwrap_err();
    assert!(error.is_config() && !error.is_connect(), "{error}");
    assert!(error.to_string().contains("`Framing::Auto`"), "{error}");
    assert!(server.quiet());

    // Addresses.
    for bad in [
        "localhost",
        "localhost:",
        ":9090",
        "localhost:99999",
        "127.0.0.1:http",
    ] {
        let error = Endpoint::new(bad).unwrap_err();
        assert!(error.is_config(), "{error}");
        assert!(error.to_string().contains("host:port"), "{error}");
    }
    for good in ["localhost:9090", "[::1]:9090", "thrift.example.com:1"] {
        assert!(Endpoint::try_from(good.to_string()).is_ok(), "{good}");
    }
}

#[tokio::test]
async fn a_call_past_its_timeout_fails_and_the_connection_lives_on() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr)
        .timeout(Duration::from_millis(100))
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let error = call(
        &mut channel,
        request("hang", 0, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(error.is_timeout() && !error.is_io(), "{error}");
    assert_eq!(
        error.to_string(),
        "thrift call `hang` timed out after 100ms"
    );
    assert_eq!(server.event().await, Event::Hanging);
    let response = call(
        &mut channel,
        request("echo", 0, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&response), Payload::new(2));
    assert!(server.quiet());
}

#[tokio::test]
async fn a_reply_no_one_waits_for_is_dropped() {
    let mut server = TestServer::start(Framing::Framed, Protocol::Json).await;
    let mut channel = Endpoint::from(server.addr)
        .framing(Framing::Framed)
        .protocol(Protocol::Json)
        .connect()
        .await
        .unwrap();
    let response = call(
        &mut channel,
        request("stray", 5, Protocol::Json, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 5);
    assert_eq!(payload_of(&response), Payload::new(1));
    let response = call(
        &mut channel,
        request("echo", 6, Protocol::Json, Payload::new(2)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 6);
    assert_eq!(payload_of(&response), Payload::new(2));
    assert_eq!(server.event().await, Event::Connected);
    assert!(server.quiet());
}

#[tokio::test]
async fn max_in_flight_holds_callers_back_until_a_call_completes() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let channel = Endpoint::from(server.addr)
        .max_in_flight(2)
        .connect()
        .await
        .unwrap();
    assert_eq!(server.event().await, Event::Connected);

    let mut first = channel.clone();
    poll_fn(|cx| first.poll_ready(cx)).await.unwrap();
    let hanging = first.call(request("hang", 0, Protocol::Binary, Payload::new(1)));
    let mut second = channel.clone();
    poll_fn(|cx| second.poll_ready(cx)).await.unwrap();
    let slow = second.call(request(
        "slow",
        0,
        Protocol::Binary,
        Payload { id: 2, n: 0 },
    ));

    // Both slots are taken: a third caller is not ready.
    let mut third = channel.clone();
    let ready = poll_fn(|cx| Poll::Ready(third.poll_ready(cx))).await;
    assert!(ready.is_pending());
    // A call that completes gives its slot back.
    assert_eq!(payload_of(&slow.await.unwrap()), Payload { id: 2, n: 0 });
    let ready = tokio::time::timeout(PROMPTLY, poll_fn(|cx| third.poll_ready(cx))).await;
    assert!(matches!(ready, Ok(Ok(()))));
    // So does one whose caller gives up.
    let mut fourth = channel.clone();
    let ready = poll_fn(|cx| Poll::Ready(fourth.poll_ready(cx))).await;
    assert!(ready.is_pending());
    drop(hanging);
    let ready = tokio::time::timeout(PROMPTLY, poll_fn(|cx| fourth.poll_ready(cx))).await;
    assert!(matches!(ready, Ok(Ok(()))));
    assert_eq!(server.event().await, Event::Hanging);
}

#[tokio::test]
async fn dropping_every_handle_closes_the_connection_once_calls_are_answered() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let mut channel = Endpoint::from(server.addr).connect().await.unwrap();
    let clone = channel.clone();
    assert_eq!(server.event().await, Event::Connected);

    poll_fn(|cx| channel.poll_ready(cx)).await.unwrap();
    let slow = channel.call(request(
        "slow",
        0,
        Protocol::Binary,
        Payload { id: 1, n: 200 },
    ));
    drop(channel);
    drop(clone);
    // The call still made is answered, then the connection closes.
    let response = tokio::time::timeout(PROMPTLY, slow).await.unwrap().unwrap();
    assert_eq!(payload_of(&response), Payload { id: 1, n: 200 });
    assert_eq!(server.event().await, Event::Closed);
}

#[cfg(unix)]
#[tokio::test]
async fn unix_domain_sockets() {
    let path =
        std::env::temp_dir().join(format!("thrift-tower-channel-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let accept = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        serve(stream, Framing::Framed, Protocol::Compact, events_tx).await;
    });

    let mut channel = Endpoint::unix(&path)
        .framing(Framing::Framed)
        .protocol(Protocol::Compact)
        .connect()
        .await
        .unwrap();
    let response = call(
        &mut channel,
        request("echo", 4, Protocol::Compact, Payload::new(4)),
    )
    .await
    .unwrap();
    assert_eq!(response.header().seqid, 4);
    assert_eq!(payload_of(&response), Payload::new(4));
    drop(channel);
    accept.await.unwrap();
    assert_eq!(events.recv().await, Some(Event::Closed));
    let _ = std::fs::remove_file(&path);

    let error = Endpoint::unix(&path).connect().await.unwrap_err();
    assert!(error.is_connect(), "{error}");
    assert!(
        error.to_string().contains("cannot connect to unix:"),
        "{error}"
    );
}
