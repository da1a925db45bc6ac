//! The seams transports and layers plug into, used from outside the crate as a user would:
//!
//! - a server over connections the test made itself (in-memory pipes; TCP streams wrapped to
//!   count their bytes), whose generated server's handler sees what each connection knows of
//!   itself;
//! - a client whose connections come from a connector of the test's, which counts them;
//! - a layer that reads a generated client's per-call metadata (oneway, idempotent from the
//!   IDL's annotation) without matching any method name.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tests::golden::service::{
    BatchStore, BatchStoreClient, BatchStoreServer, ClearError, ForgetError, GetError,
    GetManyError, PingError, PutError, Store, StoreClient, StoreServer, TouchAllError,
};
use tests::thrift_test::{
    SecondService, SecondServiceClient, SecondServiceServer, SecondtestStringError,
};
use thrift_tower::bytes::Bytes;
use thrift_tower::message::{ConnectionInfo, MethodInfo};
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::{Address, Connected, Framing, TcpIncoming};
use thrift_tower::{Endpoint, Request, Server};
use tokio::io::{AsyncRead, AsyncWrite, DuplexStream, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

/// What a test's connection calls itself, in its connection information.
#[derive(Debug, Clone, PartialEq)]
struct PipeName(String);

/// A handler that answers with what its connection knows of itself.
struct WhoAmI;

impl SecondService for WhoAmI {
    async fn secondtest_string(&self, thing: String) -> Result<String, SecondtestStringError> {
        let seen = thrift_tower::server::with_request(|request| {
            let connection = request
                .connection()
                .expect("a request read by the server knows its connection");
            format!(
                "{thing} from {:?} on {:?}",
                connection.peer_addr(),
                connection.extensions().get::<PipeName>().map(|p| &p.0)
            )
        })
        .expect("a handler runs with its request");
        Ok(seen)
    }
}

// ---- In-memory pipes, both ways ----

/// The server's end of an in-memory connection, which says what it is.
struct Pipe {
    io: DuplexStream,
    name: String,
}

impl Connected for Pipe {
    fn connection_info(&self) -> ConnectionInfo {
        let mut info = ConnectionInfo::new().with_peer_addr("10.1.2.3:4567".parse().unwrap());
        info.extensions_mut().insert(PipeName(self.name.clone()));
        info
    }
}

impl AsyncRead for Pipe {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Pipe {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// The connections a server is handed: whatever the test sends down a channel.
struct Handed<T>(mpsc::UnboundedReceiver<T>);

impl<T> Stream for Handed<T> {
    type Item = io::Result<T>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|next| next.map(Ok))
    }
}

#[tokio::test]
async fn a_server_over_pipes_the_test_made_and_a_client_through_a_counting_connector() {
    let (hand_over, handed) = mpsc::unbounded_channel::<Pipe>();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(
        Server::builder()
            // Closes a connection idle for 50 ms, so that the channel must connect again.
            .idle_timeout(Duration::from_millis(50))
            .add_service(SecondServiceServer::new(WhoAmI))
            .serve_with_incoming(Handed(handed), async move {
                let _ = stopped.await;
            }),
    );

    // Each connection the channel asks for is a new pipe, whose other end goes to the
    // server; the connector counts them and sees the endpoint's address.
    let made = Arc::new(AtomicUsize::new(0));
    let addresses = Arc::new(Mutex::new(Vec::new()));
    let connector = {
        let made = Arc::clone(&made);
        let addresses = Arc::clone(&addresses);
        tower::service_fn(move |address: Address| {
            let n = made.fetch_add(1, Ordering::SeqCst) + 1;
            addresses.lock().unwrap().push(address.to_string());
            let (client, server) = tokio::io::duplex(64 * 1024);
            let handed = hand_over.send(Pipe {
                io: server,
                name: format!("pipe-{n}"),
            });
            async move {
                handed.map_err(|_| io::Error::other("the server is gone"))?;
                Ok::<_, io::Error>(client)
            }
        })
    };
    let channel = Endpoint::from_static("in-memory:1")
        .framing(Framing::Framed)
        .protocol(Protocol::Compact)
        .connect_with_connector(connector)
        .await
        .unwrap();
    let client = SecondServiceClient::new(channel).with_protocol(Protocol::Compact);

    for thing in ["a", "b", "c"] {
        assert_eq!(
            client.secondtest_string(thing.into()).await.unwrap(),
            format!("{thing} from Some(10.1.2.3:4567) on Some(\"pipe-1\")")
        );
    }
    assert_eq!(
        made.load(Ordering::SeqCst),
        1,
        "one connection for three calls"
    );

    // The server closes the idle connection; the next call connects again, through the
    // connector, and is served on the new pipe.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        client.secondtest_string("d".into()).await.unwrap(),
        "d from Some(10.1.2.3:4567) on Some(\"pipe-2\")"
    );
    assert_eq!(made.load(Ordering::SeqCst), 2);
    assert_eq!(*addresses.lock().unwrap(), ["in-memory:1", "in-memory:1"]);

    let _ = stop.send(());
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn a_server_stops_when_its_connections_end() {
    let (hand_over, handed) = mpsc::unbounded_channel::<Pipe>();
    let server = tokio::spawn(
        Server::builder()
            .add_service(SecondServiceServer::new(WhoAmI))
            .serve_with_incoming(Handed(handed), std::future::pending()),
    );
    let (client_end, server_end) = tokio::io::duplex(4096);
    hand_over
        .send(Pipe {
            io: server_end,
            name: "only".into(),
        })
        .unwrap_or_else(|_| panic!("the server is gone"));
    let mut client_end = Some(client_end);
    let channel = Endpoint::from_static("in-memory:1")
        .connect_with_connector(tower::service_fn(move |_: Address| {
            let io = client_end
                .take()
                .ok_or_else(|| io::Error::other("one pipe only"));
            std::future::ready(io)
        }))
        .await
        .unwrap();
    let client = SecondServiceClient::new(channel);
    assert_eq!(
        client.secondtest_string("x".into()).await.unwrap(),
        "x from Some(10.1.2.3:4567) on Some(\"only\")"
    );
    // No more connections will come: the server finishes the one it has and returns.
    drop(hand_over);
    drop(client);
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server returns once its incoming connections end")
        .unwrap()
        .unwrap();
}

// ---- TCP streams wrapped to count their bytes ----

/// A TCP stream that counts the bytes the server reads and writes on it.
struct Counted {
    io: TcpStream,
    read: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
}

impl Connected for Counted {
    fn connection_info(&self) -> ConnectionInfo {
        let mut info = self.io.connection_info();
        info.extensions_mut().insert(PipeName("counted".into()));
        info
    }
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        self.read
            .fetch_add(buf.filled().len() - before, Ordering::SeqCst);
        polled
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.io).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = polled {
            self.written.fetch_add(n, Ordering::SeqCst);
        }
        polled
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A TCP listener's connections, each wrapped to count its bytes.
struct CountedIncoming {
    tcp: TcpIncoming,
    read: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
}

impl Stream for CountedIncoming {
    type Item = io::Result<Counted>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        Pin::new(&mut this.tcp).poll_next(cx).map(|next| {
            next.map(|accepted| {
                accepted.map(|io| Counted {
                    io,
                    read: Arc::clone(&this.read),
                    written: Arc::clone(&this.written),
                })
            })
        })
    }
}

#[tokio::test]
async fn a_server_over_wrapped_tcp_streams_sees_their_peer_and_their_bytes() {
    let tcp = TcpIncoming::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = tcp.local_addr().unwrap();
    let read = Arc::new(AtomicUsize::new(0));
    let written = Arc::new(AtomicUsize::new(0));
    let incoming = CountedIncoming {
        tcp,
        read: Arc::clone(&read),
        written: Arc::clone(&written),
    };
    tokio::spawn(
        Server::builder()
            .add_service(SecondServiceServer::new(WhoAmI))
            .serve_with_incoming(incoming, std::future::pending()),
    );
    let client = SecondServiceClient::new(Endpoint::from(addr).connect().await.unwrap());

    let reply = client.secondtest_string("hi".into()).await.unwrap();
    let peer: SocketAddr = reply
        .strip_prefix("hi from Some(")
        .and_then(|r| r.strip_suffix(") on Some(\"counted\")"))
        .unwrap_or_else(|| panic!("unexpected reply {reply:?}"))
        .parse()
        .unwrap();
    assert!(
        peer.ip().is_loopback() && peer.port() != addr.port(),
        "{peer}"
    );

    // The same call again costs the same bytes each way (binary, unframed: a fixed-width
    // sequence id), and the wrapper saw every one of them.
    let (read_once, written_once) = (read.load(Ordering::SeqCst), written.load(Ordering::SeqCst));
    assert!(read_once > 0 && written_once > 0);
    assert_eq!(client.secondtest_string("hi".into()).await.unwrap(), reply);
    assert_eq!(read.load(Ordering::SeqCst), 2 * read_once);
    assert_eq!(written.load(Ordering::SeqCst), 2 * written_once);
}

// ---- Per-call metadata, read by a layer ----

/// A store that answers every call with nothing in particular.
struct Nothing;

impl Store for Nothing {
    async fn get(&self, _key: String) -> Result<Bytes, GetError> {
        Ok(Bytes::new())
    }
    async fn put(&self, _key: String, _value: Bytes) -> Result<(), PutError> {
        Ok(())
    }
    async fn forget(&self, _key: String) -> Result<(), ForgetError> {
        Ok(())
    }
    async fn ping(&self) -> Result<bool, PingError> {
        Ok(true)
    }
}

impl BatchStore for Nothing {
    async fn get_many(
        &self,
        _keys: Vec<String>,
        _limit: i32,
    ) -> Result<std::collections::BTreeMap<String, Bytes>, GetManyError> {
        Ok(Default::default())
    }
    async fn clear(&self) -> Result<(), ClearError> {
        Ok(())
    }
    async fn touch_all(&self) -> Result<(), TouchAllError> {
        Ok(())
    }
}

/// What a layer in front of the server saw of each call: only the metadata's fields.
type Seen = Arc<Mutex<Vec<(&'static str, &'static str, bool, bool)>>>;

fn recording<S>(
    seen: &Seen,
    inner: S,
) -> impl tower::Service<
    Request,
    Response = thrift_tower::Response,
    Error = S::Error,
    Future = impl Future<Output = Result<thrift_tower::Response, S::Error>>,
> + Clone
where
    S: tower::Service<Request, Response = thrift_tower::Response> + Clone,
{
    let seen = Arc::clone(seen);
    tower::ServiceBuilder::new()
        .map_request(move |request: Request| {
            let info: &MethodInfo = request
                .method_info()
                .expect("a generated client's request carries its method's information");
            seen.lock()
                .unwrap()
                .push((info.service, info.name, info.oneway, info.idempotent));
            request
        })
        .service(inner)
}

#[tokio::test]
async fn a_layer_reads_each_call_s_metadata_without_matching_names() {
    let seen: Seen = Arc::default();
    let store = StoreClient::new(recording(&seen, StoreServer::new(Nothing)));
    store.get("k".into()).await.unwrap();
    store.put("k".into(), Bytes::new()).await.unwrap();
    store.forget("k".into()).await.unwrap();
    assert!(store.ping().await.unwrap());
    let batch = BatchStoreClient::new(recording(&seen, BatchStoreServer::new(Nothing)));
    batch.get("k".into()).await.unwrap();
    batch.clear().await.unwrap();
    batch.touch_all().await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        [
            // (idempotent = "true")
            ("Store", "get", false, true),
            ("Store", "put", false, false),
            ("Store", "forget", true, false),
            // (idempotent), with no value
            ("Store", "ping", false, true),
            // Inherited: the method is the declaring service's.
            ("Store", "get", false, true),
            // (idempotent = "false")
            ("BatchStore", "clear", false, false),
            ("BatchStore", "touchAll", true, false),
        ]
    );
}

#[test]
fn apache_s_compiler_accepts_the_idempotent_annotation() {
    // The IDL marked for our clients must still compile with Apache's own compiler.
    let idl = tests::apache_python::repo_root().join("thrift-codegen/tests/golden/service.thrift");
    let out = std::env::temp_dir().join(format!("thrift-tower-seams-{}", std::process::id()));
    std::fs::create_dir_all(&out).unwrap();
    let run = std::process::Command::new("thrift")
        .args(["--gen", "json", "-out"])
        .arg(&out)
        .arg(&idl)
        .output()
        .unwrap_or_else(|e| panic!("cannot run thrift: {e}; {}", tests::process::SETUP_HINT));
    let _ = std::fs::remove_dir_all(&out);
    assert!(
        run.status.success(),
        "thrift --gen json {}: {}",
        idl.display(),
        String::from_utf8_lossy(&run.stderr)
    );
}

#[tokio::test]
async fn a_deadline_a_layer_sets_is_honoured_by_the_channel() {
    // A server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move { listener.accept().await.map(|(io, _)| io) });
    let channel = Endpoint::from(addr).connect().await.unwrap();
    let with_deadline = tower::ServiceBuilder::new()
        .map_request(|mut request: Request| {
            request.set_deadline(Some(
                tokio::time::Instant::now() + Duration::from_millis(100),
            ));
            request
        })
        .service(channel);
    let client = SecondServiceClient::new(with_deadline);
    let started = std::time::Instant::now();
    let error = client.secondtest_string("x".into()).await.unwrap_err();
    let SecondtestStringError::Other(error) = error;
    assert!(error.is_timeout(), "{error}");
    assert!(
        error
            .to_string()
            .starts_with("thrift call `secondtestString` timed out after"),
        "{error}"
    );
    assert!(started.elapsed() >= Duration::from_millis(90));
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(held);
}
