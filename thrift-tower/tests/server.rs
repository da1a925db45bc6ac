//! The `Server` on real loopback sockets, against a small service written here, with raw
//! sockets and `MessageCodec` as the client so the tests see exactly what is on the wire:
//! the read, write and idle timeouts, the frame limit, garbage, the connection and in-flight
//! limits, pipelined calls, panics and layer errors, graceful shutdown, multiplexing,
//! oneway calls, framing and protocol detection, Unix domain sockets, and good clients
//! served while many connections misbehave at once.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use thrift_tower::codegen::BoxFuture;
use thrift_tower::protocol::{
    self, FieldHeader, Limits, Protocol, ProtocolReader, ProtocolWriter, Thrift, WireType,
};
use thrift_tower::server::{RouteList, Router, Routes};
use thrift_tower::transport::{Framing, MessageCodec};
use thrift_tower::{
    ApplicationException, ApplicationExceptionKind, BoxError, Error, MessageHeader, MessageType,
    NamedService, ProtocolError, Request, Response, Server,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;
use tokio_util::codec::{Decoder, Encoder};
use tower_layer::Layer;
use tower_service::Service;

/// The bound on anything that should happen "at once": generous, for loaded machines.
const PROMPTLY: Duration = Duration::from_secs(5);

// ---- The service ----

/// What the services saw and are doing, shared with the test.
#[derive(Debug)]
struct Probe {
    /// Calls running now.
    running: AtomicUsize,
    /// The most calls that ran at once.
    max_running: AtomicUsize,
    /// Calls that completed (not cancelled, not panicked).
    finished: AtomicUsize,
    /// Every call, as it reached a service: the service's name, the method name it saw,
    /// the message type.
    seen: Mutex<Vec<(&'static str, String, MessageType)>>,
    /// `gate` calls wait here for a permit from the test.
    gate: Semaphore,
}

impl Probe {
    fn new() -> Arc<Probe> {
        Arc::new(Probe {
            running: AtomicUsize::new(0),
            max_running: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            gate: Semaphore::new(0),
        })
    }

    fn enter(self: &Arc<Self>) -> RunningGuard {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_running.fetch_max(now, Ordering::SeqCst);
        RunningGuard(Arc::clone(self))
    }

    fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<(&'static str, String, MessageType)> {
        self.seen.lock().unwrap().clone()
    }
}

/// Counts a call as running until its future completes or is dropped.
struct RunningGuard(Arc<Probe>);

impl Drop for RunningGuard {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A hand-written "generated server". Methods: `echo` replies with its arguments (even to
/// a oneway call: the server must not send that); `sleep_N` too, after N ms; `gate` too,
/// once the test opens the probe's gate; `note` answers as a oneway call should; `panic`
/// panics in the call's future. `TAG` tells services apart when several are added.
#[derive(Debug, Clone)]
struct TestService<const TAG: char> {
    probe: Arc<Probe>,
}

impl NamedService for TestService<'A'> {
    const NAME: &'static str = "A";
}

impl NamedService for TestService<'B'> {
    const NAME: &'static str = "B";
}

fn service_a(probe: &Arc<Probe>) -> TestService<'A'> {
    TestService {
        probe: Arc::clone(probe),
    }
}

impl<const TAG: char> Service<Request> for TestService<TAG>
where
    Self: NamedService,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let probe = Arc::clone(&self.probe);
        let header = request.header().clone();
        let protocol = request.protocol();
        let body = request.into_body();
        probe
            .seen
            .lock()
            .unwrap()
            .push((Self::NAME, header.name.to_string(), header.message_type));
        Box::pin(async move {
            let _running = probe.enter();
            let name: &str = &header.name;
            if let Some(ms) = name.strip_prefix("sleep_") {
                tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
            } else if name == "gate" {
                probe.gate.acquire().await.unwrap().forget();
            } else if name == "panic" {
                panic!("the service panicked on purpose");
            }
            probe.finished.fetch_add(1, Ordering::SeqCst);
            if name == "note" {
                return Ok(Response::oneway(&header, protocol));
            }
            let reply = MessageHeader::new(header.name.clone(), MessageType::Reply, header.seqid);
            Ok(Response::new(reply, protocol, body))
        })
    }
}

/// The arguments of every call, and the result of every reply: the call's sequence id, so
/// an echoed body shows which call it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Args {
    id: i64,
}

impl Thrift for Args {
    const WIRE_TYPE: WireType = WireType::Struct;

    fn read<R: ProtocolReader>(r: &mut R) -> Result<Self, ProtocolError> {
        let mut args = Args { id: 0 };
        r.read_struct_begin()?;
        loop {
            let FieldHeader { wire_type, id } = r.read_field_begin()?;
            match (id, wire_type) {
                (_, WireType::Stop) => break,
                (1, WireType::I64) => args.id = r.read_i64()?,
                _ => r.skip(wire_type)?,
            }
            r.read_field_end()?;
        }
        r.read_struct_end()?;
        Ok(args)
    }

    fn write<W: ProtocolWriter>(&self, w: &mut W) -> Result<(), ProtocolError> {
        w.write_struct_begin("Args")?;
        w.write_field_begin("id", WireType::I64, 1)?;
        w.write_i64(self.id)?;
        w.write_field_end()?;
        w.write_field_stop()?;
        w.write_struct_end()
    }
}

// ---- The server ----

/// A server running on a task, and the switch that shuts it down.
struct Served {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), Error>>,
}

/// Serves `router` on a loopback port until [`Served::shutdown`].
async fn serve<L, R>(router: Router<L, R>) -> Served
where
    R: RouteList + Send + 'static,
    L: Layer<Routes<R>> + Send + 'static,
    L::Service: Service<Request, Response = Response> + Clone + Send + 'static,
    <L::Service as Service<Request>>::Future: Send + 'static,
    <L::Service as Service<Request>>::Error: Into<BoxError>,
{
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(router.serve_with_listener(listener, async move {
        let _ = signal.await;
    }));
    Served {
        addr,
        stop: Some(stop),
        task,
    }
}

impl Served {
    fn shutdown(&mut self) {
        let _ = self.stop.take().expect("shut down twice").send(());
    }

    /// Waits for `serve_with_listener` to return, and checks it returned `Ok`.
    async fn finished(self) {
        tokio::time::timeout(PROMPTLY, self.task)
            .await
            .expect("the server did not return")
            .expect("the server task failed")
            .expect("the server returned an error");
    }

    async fn connect(&self) -> Client {
        Client::connect(self.addr).await
    }
}

// ---- The client ----

/// A raw client: a socket, and a codec to write calls and read what comes back.
struct Client<S = TcpStream> {
    io: S,
    codec: MessageCodec<Response>,
    protocol: Protocol,
    buf: BytesMut,
    /// Every byte received, as received.
    raw: Vec<u8>,
}

impl Client {
    /// A framed compact client.
    async fn connect(addr: SocketAddr) -> Client {
        let io = TcpStream::connect(addr).await.unwrap();
        io.set_nodelay(true).unwrap();
        Client::over(io, Framing::Framed, Protocol::Compact)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Client<S> {
    fn over(io: S, framing: Framing, protocol: Protocol) -> Client<S> {
        Client {
            io,
            codec: MessageCodec::<Response>::new(framing, Some(protocol), Limits::default()),
            protocol,
            buf: BytesMut::new(),
            raw: Vec::new(),
        }
    }

    /// The bytes of a message `name` of `message_type`, whose arguments carry `seqid`.
    fn encode(&mut self, name: &str, message_type: MessageType, seqid: i32) -> BytesMut {
        let body = protocol::encode(
            self.protocol,
            &Args {
                id: i64::from(seqid),
            },
        )
        .unwrap();
        let request = Request::new(
            MessageHeader::new(name.to_string(), message_type, seqid),
            self.protocol,
            body,
        );
        let mut buf = BytesMut::new();
        self.codec.encode(request, &mut buf).unwrap();
        buf
    }

    async fn send(&mut self, name: &str, message_type: MessageType, seqid: i32) {
        let bytes = self.encode(name, message_type, seqid);
        self.io.write_all(&bytes).await.unwrap();
    }

    /// Calls `name` and returns what comes back.
    async fn call(&mut self, name: &str, seqid: i32) -> Response {
        self.send(name, MessageType::Call, seqid).await;
        self.recv().await
    }

    /// The next message; `None` if the connection closes (or resets) first.
    async fn read_message(&mut self) -> Option<Response> {
        loop {
            if let Some(message) = self.codec.decode(&mut self.buf).unwrap() {
                return Some(message);
            }
            let before = self.buf.len();
            match self.io.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => self.raw.extend_from_slice(&self.buf[before..]),
            }
        }
    }

    /// The next message, which must come promptly.
    async fn recv(&mut self) -> Response {
        tokio::time::timeout(PROMPTLY, self.read_message())
            .await
            .expect("no message came")
            .expect("the connection closed instead of replying")
    }

    /// The server closes the connection, promptly, without sending anything more.
    async fn closed(&mut self) {
        match tokio::time::timeout(PROMPTLY, self.read_message()).await {
            Ok(None) => assert!(self.buf.is_empty(), "the connection closed mid-message"),
            Ok(Some(m)) => panic!("expected the connection closed, got {:?}", m.header()),
            Err(_) => panic!("the connection is still open"),
        }
    }

    /// Nothing arrives for `time`, and the connection stays open.
    async fn quiet_for(&mut self, time: Duration) {
        match tokio::time::timeout(time, self.read_message()).await {
            Err(_) => {}
            Ok(None) => panic!("the connection closed"),
            Ok(Some(m)) => panic!("expected nothing, got {:?}", m.header()),
        }
    }
}

/// `message` is the reply to a call `name` with `seqid`, carrying that call's arguments.
#[track_caller]
fn assert_reply(message: &Response, name: &str, seqid: i32) {
    assert_eq!(
        message.header(),
        &MessageHeader::new(name.to_string(), MessageType::Reply, seqid)
    );
    let args: Args = protocol::decode(
        message.protocol(),
        message.body().clone(),
        Limits::default(),
    )
    .expect("the reply does not decode");
    assert_eq!(
        args.id,
        i64::from(seqid),
        "the reply carries another call's body"
    );
}

/// `message` is a `TApplicationException` reply to the call `name` with `seqid`.
#[track_caller]
fn exception(message: &Response, name: &str, seqid: i32) -> ApplicationException {
    assert_eq!(
        message.header(),
        &MessageHeader::new(name.to_string(), MessageType::Exception, seqid)
    );
    protocol::decode(
        message.protocol(),
        message.body().clone(),
        Limits::default(),
    )
    .expect("the exception does not decode")
}

/// Waits, promptly, until `condition` holds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PROMPTLY;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

// ---- Timeouts ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_timeout_drops_a_peer_that_stalls_mid_message() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;

    for framing in [Framing::Framed, Framing::Buffered] {
        let io = TcpStream::connect(server.addr).await.unwrap();
        let mut client = Client::over(io, framing, Protocol::Binary);
        let call = client.encode("echo", MessageType::Call, 1);
        let sent = Instant::now();
        client.io.write_all(&call[..call.len() / 2]).await.unwrap();
        client.closed().await;
        let after = sent.elapsed();
        assert!(
            after >= Duration::from_millis(150),
            "{framing:?}: dropped after {after:?}, before the read timeout"
        );
    }
    assert!(probe.seen().is_empty());

    // The server goes on serving.
    assert_reply(&server.connect().await.call("echo", 2).await, "echo", 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_peer_is_dropped_by_the_idle_timeout_only() {
    let probe = Probe::new();

    // No idle timeout: a peer that sends nothing for three read timeouts is still served.
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    client.quiet_for(Duration::from_millis(600)).await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);

    // An idle timeout closes it.
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(200)))
            .idle_timeout(Duration::from_millis(400))
            .add_service(service_a(&probe)),
    )
    .await;
    let connecting = Instant::now();
    let mut client = server.connect().await;
    client.closed().await;
    let after = connecting.elapsed();
    assert!(
        after >= Duration::from_millis(300),
        "dropped after {after:?}, before the idle timeout"
    );

    // A connection waiting for a call that runs longer than the idle timeout is not idle;
    // once the reply is out, it is.
    let mut client = server.connect().await;
    assert_reply(&client.call("sleep_800", 2).await, "sleep_800", 2);
    client.closed().await;
}

/// A call to `echo` whose arguments carry `len` bytes of binary, so its reply is as big.
fn big_call(client: &mut Client, seqid: i32, len: usize) -> BytesMut {
    named_call(client, "echo", seqid, len)
}

/// A call to `name` whose arguments are `Args { id: seqid }` and, as field 2, `len` bytes
/// of binary (which `Args` skips).
fn named_call(client: &mut Client, name: &str, seqid: i32, len: usize) -> BytesMut {
    // Compact: field 1, i64 (type 6), zigzag varint; field 2, binary (type 8), its length
    // as a varint, the bytes; stop.
    let mut body = vec![0x16];
    let varint = |body: &mut Vec<u8>, mut n: u64| {
        while n >= 0x80 {
            body.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        body.push(n as u8);
    };
    let id = i64::from(seqid);
    varint(&mut body, ((id << 1) ^ (id >> 63)) as u64);
    body.push(0x18);
    varint(&mut body, len as u64);
    body.resize(body.len() + len, 0xab);
    body.push(0);
    let request = Request::new(
        MessageHeader::new(name.to_string(), MessageType::Call, seqid),
        client.protocol,
        body.into(),
    );
    let mut buf = BytesMut::new();
    client.codec.encode(request, &mut buf).unwrap();
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_timeout_drops_a_peer_that_stops_reading() {
    const CALLS: i32 = 48;
    const LEN: usize = 1 << 20;
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .write_timeout(Some(Duration::from_millis(300)))
            .add_service(service_a(&probe)),
    )
    .await;

    // 48 MiB of replies, far more than the socket buffers hold, to a client that sends its
    // calls and reads nothing. (The calls go from a task of their own: once the server stops
    // reading, so do its sends.)
    let mut client = server.connect().await;
    let calls: Vec<BytesMut> = (1..=CALLS).map(|i| big_call(&mut client, i, LEN)).collect();
    let (mut rd, mut wr) = tokio::io::split(client.io);
    let sender = tokio::spawn(async move {
        for call in calls {
            if wr.write_all(&call).await.is_err() {
                return;
            }
        }
        // Keep the write half open: the test, not this task, decides when it closes.
        std::future::pending::<()>().await;
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Reading now finds what the socket buffers held, then the end: the server gave up.
    let mut received = 0usize;
    let mut buf = vec![0u8; 1 << 16];
    let ended = tokio::time::timeout(PROMPTLY, async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received += n,
            }
        }
    })
    .await;
    sender.abort();
    assert!(
        ended.is_ok(),
        "the connection is still open after {received} bytes"
    );
    let all = CALLS as usize * LEN;
    assert!(received < all, "all {received} bytes of replies arrived");

    // The server goes on serving.
    assert_reply(&server.connect().await.call("echo", 1).await, "echo", 1);
}

// ---- Bad input ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_frame_closes_the_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;

    let just_over = u32::try_from(Limits::default().max_frame_size() + 1).unwrap();
    for declared in [just_over, i32::MAX as u32] {
        let mut client = server.connect().await;
        let mut bytes = declared.to_be_bytes().to_vec();
        // The start of a compact message, so the frame is recognised as one.
        bytes.extend_from_slice(b"\x82\x21\x01\x04echo");
        client.io.write_all(&bytes).await.unwrap();
        client.closed().await;
    }
    // A lower limit applies as well.
    let small = serve(
        Server::builder()
            .limits(Limits::default().with_max_frame_size(64))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = small.connect().await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    client.send(&"x".repeat(100), MessageType::Call, 2).await;
    client.closed().await;
    assert_eq!(probe.seen().len(), 1);

    assert_reply(&server.connect().await.call("echo", 3).await, "echo", 3);
    assert_reply(&small.connect().await.call("echo", 4).await, "echo", 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_closes_the_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut bystander = server.connect().await;

    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
        b"SSH-2.0-OpenSSH_9.6\r\n",
        // The start of a TLS ClientHello.
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        b"\xff\xff\xff\xff\x80\x01",
    ] {
        let mut client = server.connect().await;
        client.io.write_all(garbage).await.unwrap();
        client.closed().await;
    }
    // After a good call, garbage on the same connection: the connection closes.
    let mut client = server.connect().await;
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    client
        .io
        .write_all(b"\x00\x00\x00\x05\x80\x01\x00\x09x")
        .await
        .unwrap();
    client.closed().await;

    // Other connections, old and new, are served.
    assert_reply(&bystander.call("echo", 2).await, "echo", 2);
    assert_reply(&server.connect().await.call("echo", 3).await, "echo", 3);
}

// ---- Limits on connections and calls ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_connections_holds_back_a_third_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_connections(2)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut first = server.connect().await;
    let mut second = server.connect().await;
    assert_reply(&first.call("echo", 1).await, "echo", 1);
    assert_reply(&second.call("echo", 2).await, "echo", 2);

    // The third connects (the listen backlog takes it) but is not served...
    let mut third = server.connect().await;
    third.send("echo", MessageType::Call, 3).await;
    third.quiet_for(Duration::from_millis(300)).await;
    assert_eq!(probe.seen().len(), 2);
    assert_reply(&second.call("echo", 4).await, "echo", 4);

    // ...until one of the first two closes.
    drop(first);
    assert_reply(&third.recv().await, "echo", 3);
    assert_reply(&second.call("echo", 5).await, "echo", 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_in_flight_bounds_the_calls_running_on_a_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(2)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut calls = BytesMut::new();
    for seqid in 1..=3 {
        calls.extend_from_slice(&client.encode("sleep_300", MessageType::Call, seqid));
    }
    client.io.write_all(&calls).await.unwrap();

    let mut order = Vec::new();
    for _ in 1..=3 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
        order.push(reply.header().seqid);
    }
    // The third started only when one of the first two finished.
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    assert_eq!(
        order[..2].iter().collect::<HashSet<_>>(),
        HashSet::from([&1, &2])
    );
    assert_eq!(order[2], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_in_flight_bytes_bounds_the_requests_held_on_a_connection() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight_bytes(1500)
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    // Four calls of ~1000 bytes each to a slow method: the first two start (the second
    // crosses the bound), the others wait unread until calls finish.
    let mut calls = BytesMut::new();
    for seqid in 1..=4 {
        calls.extend_from_slice(&named_call(&mut client, "sleep_300", seqid, 1000));
    }
    client.io.write_all(&calls).await.unwrap();
    let mut seqids = HashSet::new();
    for _ in 1..=4 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
        seqids.insert(reply.header().seqid);
    }
    assert_eq!(seqids, HashSet::from([1, 2, 3, 4]));
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    // Small calls are not held back by a bound they do not reach.
    let mut calls = BytesMut::new();
    for seqid in 5..=8 {
        calls.extend_from_slice(&client.encode("sleep_300", MessageType::Call, seqid));
    }
    probe.max_running.store(0, Ordering::SeqCst);
    client.io.write_all(&calls).await.unwrap();
    for _ in 5..=8 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_300", reply.header().seqid);
    }
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_held_back_by_max_in_flight_are_not_read_timeouts() {
    // The third call waits in the server's buffer, not on the peer, for longer than the
    // read timeout: that is no reason to drop the connection.
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(2)
            .read_timeout(Some(Duration::from_millis(200)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut calls = BytesMut::new();
    for seqid in 1..=3 {
        calls.extend_from_slice(&client.encode("sleep_600", MessageType::Call, seqid));
    }
    client.io.write_all(&calls).await.unwrap();
    let mut seqids = HashSet::new();
    for _ in 1..=3 {
        let reply = client.recv().await;
        assert_reply(&reply, "sleep_600", reply.header().seqid);
        seqids.insert(reply.header().seqid);
    }
    assert_eq!(seqids, HashSet::from([1, 2, 3]));
    assert_eq!(probe.max_running.load(Ordering::SeqCst), 2);
    assert_reply(&client.call("echo", 4).await, "echo", 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_read_timeout_restarts_when_reading_resumes() {
    // Half a message arrives while the only call slot is taken for three read timeouts;
    // the peer sends the rest when the first reply comes. The time the server was not
    // reading does not count against the peer.
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .max_in_flight(1)
            .read_timeout(Some(Duration::from_millis(500)))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    let mut bytes = client.encode("sleep_1500", MessageType::Call, 1);
    let second = client.encode("echo", MessageType::Call, 2);
    let half = second.len() / 2;
    bytes.extend_from_slice(&second[..half]);
    client.io.write_all(&bytes).await.unwrap();

    assert_reply(&client.recv().await, "sleep_1500", 1);
    client.io.write_all(&second[half..]).await.unwrap();
    assert_reply(&client.recv().await, "echo", 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_calls_are_answered_as_they_finish_with_their_seqids() {
    const CALLS: i32 = 100;
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut client = server.connect().await;

    // Call i sleeps (CALLS - i) * 10 ms: the first sent is the last to finish.
    let sleep_of = |i: i32| (CALLS - i) * 10;
    let seqid_of = |i: i32| 7_000 + i * 3;
    let mut calls = BytesMut::new();
    let mut expected = HashMap::new();
    for i in 0..CALLS {
        let name = format!("sleep_{}", sleep_of(i));
        calls.extend_from_slice(&client.encode(&name, MessageType::Call, seqid_of(i)));
        expected.insert(seqid_of(i), (name, sleep_of(i)));
    }
    client.io.write_all(&calls).await.unwrap();

    let mut order = Vec::new();
    for _ in 0..CALLS {
        let reply = client.recv().await;
        let seqid = reply.header().seqid;
        let (name, sleep) = expected
            .remove(&seqid)
            .unwrap_or_else(|| panic!("a reply with seqid {seqid}, unknown or repeated"));
        assert_reply(&reply, &name, seqid);
        order.push(sleep);
    }
    assert!(expected.is_empty());
    // Replies in the order the calls finished: a short call first, a long one last (the
    // sleeps are 10 ms to 1 s; the margin is half a second).
    assert!(
        order[0] <= 500,
        "first reply: the call that slept {} ms",
        order[0]
    );
    assert!(
        order[99] >= 500,
        "last reply: the call that slept {} ms",
        order[99]
    );
    assert!(probe.max_running.load(Ordering::SeqCst) > 1);
}

// ---- Failures in calls ----

/// Panics on `layer_panic`, in the layer's `call` itself.
fn panic_in_layer(request: Request) -> Request {
    if request.method() == "layer_panic" {
        panic!("the layer panicked on purpose");
    }
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_call_gets_an_internal_error_reply() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .layer(tower::util::MapRequestLayer::new(panic_in_layer))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;

    let error = exception(&client.call("panic", 11).await, "panic", 11);
    assert_eq!(error.kind(), ApplicationExceptionKind::InternalError);
    assert!(error.message().contains("panicked on purpose"), "{error}");

    let error = exception(&client.call("layer_panic", 12).await, "layer_panic", 12);
    assert_eq!(error.kind(), ApplicationExceptionKind::InternalError);
    assert!(error.message().contains("panicked on purpose"), "{error}");

    // The connection, and the server, go on.
    assert_reply(&client.call("echo", 13).await, "echo", 13);
    assert_reply(&server.connect().await.call("echo", 14).await, "echo", 14);
    assert_eq!(probe.running(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_error_becomes_an_exception_reply() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .layer(tower::timeout::TimeoutLayer::new(Duration::from_millis(
                100,
            )))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;

    let started = Instant::now();
    let error = exception(&client.call("sleep_10000", 21).await, "sleep_10000", 21);
    assert!(started.elapsed() < PROMPTLY);
    // A timeout has a kind of its own (fbthrift's TIMEOUT), not INTERNAL_ERROR like a panic.
    assert_eq!(error.kind(), ApplicationExceptionKind::Timeout);
    assert!(error.message().contains("timed out"), "{error}");
    // The call was cancelled, not left running.
    eventually("the timed-out call is dropped", || probe.running() == 0).await;
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);

    assert_reply(&client.call("echo", 22).await, "echo", 22);
}

// ---- Shutdown ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_finishes_calls_and_stops_accepting() {
    let probe = Probe::new();
    let mut server = serve(Server::builder().add_service(service_a(&probe))).await;
    let addr = server.addr;
    let mut client = server.connect().await;
    client.send("sleep_300", MessageType::Call, 7).await;
    client.send("gate", MessageType::Call, 8).await;
    eventually("both calls run", || probe.running() == 2).await;

    server.shutdown();

    // While the calls run, a new connection is refused, or accepted and closed unserved.
    if let Ok(io) = TcpStream::connect(addr).await {
        let mut late = Client::over(io, Framing::Framed, Protocol::Compact);
        let call = late.encode("echo", MessageType::Call, 9);
        let _ = late.io.write_all(&call).await;
        late.closed().await;
    }
    assert!(!server.task.is_finished(), "returned with a call running");

    // The calls that were read get their replies, then the connection closes.
    assert_reply(&client.recv().await, "sleep_300", 7);
    probe.gate.add_permits(1);
    assert_reply(&client.recv().await, "gate", 8);
    client.closed().await;
    server.finished().await;
    let mut seen: Vec<_> = probe.seen().into_iter().map(|(_, m, _)| m).collect();
    seen.sort();
    assert_eq!(seen, ["gate", "sleep_300"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_grace_bounds_the_wait_for_calls() {
    let probe = Probe::new();
    let mut server = serve(
        Server::builder()
            .shutdown_grace(Duration::from_millis(100))
            .add_service(service_a(&probe)),
    )
    .await;
    let mut client = server.connect().await;
    client.send("sleep_10000", MessageType::Call, 1).await;
    eventually("the call runs", || probe.running() == 1).await;

    let signalled = Instant::now();
    server.shutdown();
    server.finished().await;
    let after = signalled.elapsed();
    assert!(
        after >= Duration::from_millis(50),
        "returned after {after:?}, before the grace"
    );
    // The call would have taken 10 s; `finished` allows 5.
    client.closed().await;
    assert!(client.raw.is_empty());
    eventually("the call is dropped", || probe.running() == 0).await;
    assert_eq!(probe.finished.load(Ordering::SeqCst), 0);
}

// ---- Routing and message types ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multiplexed_names_reach_their_service() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .add_service(service_a(&probe))
            .add_service(TestService::<'B'> {
                probe: Arc::clone(&probe),
            }),
    )
    .await;
    let mut client = server.connect().await;

    assert_reply(&client.call("A:echo", 1).await, "echo", 1);
    assert_reply(&client.call("B:echo", 2).await, "echo", 2);
    assert_reply(&client.call("echo", 3).await, "echo", 3);
    let error = exception(&client.call("C:echo", 4).await, "C:echo", 4);
    assert_eq!(error.kind(), ApplicationExceptionKind::UnknownMethod);

    let call = MessageType::Call;
    assert_eq!(
        probe.seen(),
        [
            ("A", "echo".to_string(), call),
            ("B", "echo".to_string(), call),
            ("A", "echo".to_string(), call),
        ]
    );
}

#[tokio::test]
async fn a_router_cloned_before_adding_a_service_keeps_its_own() {
    use tower::ServiceExt;

    let probe = Probe::new();
    let one = Server::builder().add_service(service_a(&probe));
    let two = one.clone().add_service(TestService::<'B'> {
        probe: Arc::clone(&probe),
    });
    async fn answer<S>(service: S, name: &'static str) -> MessageType
    where
        S: Service<Request, Response = Response, Error = Infallible>,
    {
        let body = protocol::encode(Protocol::Compact, &Args { id: 1 }).unwrap();
        let call = Request::new(
            MessageHeader::new(name.to_string(), MessageType::Call, 1),
            Protocol::Compact,
            body,
        );
        let response = service.oneshot(call).await.unwrap();
        response.header().message_type
    }
    assert_eq!(
        answer(one.clone().into_service(), "B:echo").await,
        MessageType::Exception
    );
    assert_eq!(
        answer(two.clone().into_service(), "B:echo").await,
        MessageType::Reply
    );
    assert_eq!(
        answer(one.into_service(), "A:echo").await,
        MessageType::Reply
    );
    assert_eq!(
        answer(two.into_service(), "A:echo").await,
        MessageType::Reply
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oneway_calls_get_no_reply() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;
    let mut client = server.connect().await;

    // `echo` answers anyway (the server must drop that); `note` answers as it should.
    client.send("echo", MessageType::Oneway, 1).await;
    client.send("note", MessageType::Oneway, 2).await;
    eventually("both oneway calls ran", || {
        probe.finished.load(Ordering::SeqCst) == 2
    })
    .await;
    let reply = client.call("echo", 3).await;
    assert_reply(&reply, "echo", 3);
    // Nothing came before the reply, and nothing after it.
    let mut alone = BytesMut::new();
    MessageCodec::<Response>::new(Framing::Framed, Some(Protocol::Compact), Limits::default())
        .encode(reply, &mut alone)
        .unwrap();
    assert_eq!(client.raw, alone);
    client.quiet_for(Duration::from_millis(100)).await;
    // The two oneway calls ran concurrently, in either order.
    let mut oneway: Vec<_> = probe.seen()[..2]
        .iter()
        .map(|(_, m, t)| (m.clone(), *t))
        .collect();
    oneway.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        oneway,
        [
            ("echo".to_string(), MessageType::Oneway),
            ("note".to_string(), MessageType::Oneway),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn framing_and_protocol_are_detected_per_connection() {
    let probe = Probe::new();
    let server = serve(Server::builder().add_service(service_a(&probe))).await;

    let mut clients = Vec::new();
    for framing in [Framing::Framed, Framing::Buffered] {
        for protocol in [Protocol::Binary, Protocol::Compact, Protocol::Json] {
            let io = TcpStream::connect(server.addr).await.unwrap();
            clients.push((framing, protocol, Client::over(io, framing, protocol)));
        }
    }
    for (seqid, (_, _, client)) in (1..).zip(&mut clients) {
        client.send("echo", MessageType::Call, seqid).await;
    }
    for (seqid, (framing, protocol, client)) in (1..).zip(&mut clients) {
        let reply = client.recv().await;
        assert_reply(&reply, "echo", seqid);
        assert_eq!(reply.protocol(), *protocol);
        // Decoded with the client's own framing and protocol; check the bytes too.
        let marker = match protocol {
            Protocol::Binary => 0x80,
            Protocol::Compact => 0x82,
            Protocol::Json => b'[',
            other => panic!("{other}: not a protocol these tests know"),
        };
        let raw = &client.raw;
        match framing {
            Framing::Framed => {
                let len = u32::from_be_bytes(raw[..4].try_into().unwrap()) as usize;
                assert_eq!(len, raw.len() - 4, "{framing:?} {protocol}");
                assert_eq!(raw[4], marker, "{framing:?} {protocol}");
            }
            _ => assert_eq!(raw[0], marker, "{framing:?} {protocol}"),
        }
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_a_unix_socket() {
    let path = std::env::temp_dir().join(format!(
        "thrift-tower-server-test-{}.sock",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    let probe = Probe::new();
    let (stop, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(Server::builder().add_service(service_a(&probe)).serve_unix(
        path.clone(),
        async move {
            let _ = signal.await;
        },
    ));

    // The socket appears once the server has bound it.
    let deadline = Instant::now() + PROMPTLY;
    let io = loop {
        match tokio::net::UnixStream::connect(&path).await {
            Ok(io) => break io,
            Err(e) => assert!(Instant::now() < deadline, "cannot connect: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut client = Client::over(io, Framing::Framed, Protocol::Compact);
    assert_reply(&client.call("echo", 1).await, "echo", 1);
    assert_reply(&client.call("sleep_50", 2).await, "sleep_50", 2);
    let io = tokio::net::UnixStream::connect(&path).await.unwrap();
    let mut other = Client::over(io, Framing::Buffered, Protocol::Binary);
    assert_reply(&other.call("echo", 3).await, "echo", 3);

    let _ = stop.send(());
    client.closed().await;
    tokio::time::timeout(PROMPTLY, task)
        .await
        .expect("the server did not return")
        .unwrap()
        .unwrap();
    assert!(!path.exists(), "the socket file outlives the server");
}

// ---- Everything at once ----

/// What one abusive connection does, chosen by its number.
async fn abuse(addr: SocketAddr, n: u64) {
    let Ok(mut io) = TcpStream::connect(addr).await else {
        return;
    };
    let mut rng = n.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut client = Client::over(&mut io, Framing::Framed, Protocol::Compact);
    let call = client.encode("echo", MessageType::Call, n as i32);
    let _ = match n % 7 {
        // Random bytes.
        0 => {
            let junk: Vec<u8> = (0..64 + next() % 512).map(|_| next() as u8).collect();
            client.io.write_all(&junk).await
        }
        // Half a call, then gone.
        1 => client.io.write_all(&call[..call.len() / 2]).await,
        // A frame far past the limit.
        2 => {
            client
                .io
                .write_all(&[0x7f, 0xff, 0xff, 0xff, 0x82, 0x21])
                .await
        }
        // A call a byte at a time, then gone before the reply.
        3 => {
            for b in call.iter() {
                if client.io.write_all(&[*b]).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            Ok(())
        }
        // Calls, and their replies never read.
        4 => {
            let mut calls = BytesMut::new();
            for seqid in 0..200 {
                calls.extend_from_slice(&client.encode("echo", MessageType::Call, seqid));
            }
            client.io.write_all(&calls).await
        }
        // A call that panics, then a good one that must be answered.
        5 => {
            let _ = client.call("panic", 1).await;
            let reply = client.call("echo", 2).await;
            assert_reply(&reply, "echo", 2);
            Ok(())
        }
        // Connect and say nothing.
        _ => {
            tokio::time::sleep(Duration::from_millis(next() % 300)).await;
            Ok(())
        }
    };
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abuse_on_many_connections_leaves_good_clients_served() {
    let probe = Probe::new();
    let server = serve(
        Server::builder()
            .read_timeout(Some(Duration::from_millis(500)))
            .write_timeout(Some(Duration::from_millis(500)))
            .add_service(service_a(&probe)),
    )
    .await;
    let addr = server.addr;

    // Good clients, pipelining calls and checking every reply, while 140 connections
    // misbehave in seven ways around them.
    let good: Vec<_> = (0..4)
        .map(|c| {
            tokio::spawn(async move {
                let mut client = Client::connect(addr).await;
                for round in 0..25 {
                    let mut calls = BytesMut::new();
                    for i in 0..8 {
                        let seqid = c * 10_000 + round * 10 + i;
                        calls.extend_from_slice(&client.encode("echo", MessageType::Call, seqid));
                    }
                    client.io.write_all(&calls).await.unwrap();
                    let mut seen = HashSet::new();
                    for _ in 0..8 {
                        let reply = client.recv().await;
                        assert_reply(&reply, "echo", reply.header().seqid);
                        seen.insert(reply.header().seqid);
                    }
                    let expected: HashSet<i32> =
                        (0..8).map(|i| c * 10_000 + round * 10 + i).collect();
                    assert_eq!(seen, expected);
                }
            })
        })
        .collect();
    let bad: Vec<_> = (0..140u64).map(|n| tokio::spawn(abuse(addr, n))).collect();
    for task in bad {
        tokio::time::timeout(PROMPTLY, task)
            .await
            .expect("an abusive connection was not let go")
            .expect("an abusive connection's checks failed");
    }
    for task in good {
        tokio::time::timeout(PROMPTLY, task)
            .await
            .expect("a good client was not served promptly")
            .expect("a good client got a wrong answer");
    }
    // Afterwards the server answers a new client at once.
    assert_reply(
        &Client::connect(addr).await.call("echo", 7).await,
        "echo",
        7,
    );
}
