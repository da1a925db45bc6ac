//! `layer::RetryPolicy` under tower's `Retry`, against real servers on loopback: what it
//! sends again (a call that never left, a call the server shed, an idempotent call whose
//! connection died) and what it does not (a call that may have run), and that its budget
//! holds a storm of retries.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use thrift_tower::layer::RetryPolicy;
use thrift_tower::message::MethodInfo;
use thrift_tower::protocol::{self, Limits, Protocol};
use thrift_tower::transport::{Framing, MessageCodec};
use thrift_tower::{
    ApplicationException, ApplicationExceptionKind, Endpoint, Error, MessageHeader, MessageType,
    Request, Response,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder};
use tower::{Service, ServiceBuilder, ServiceExt};

const PLAIN: MethodInfo = MethodInfo::new("Test", "call");
const IDEMPOTENT: MethodInfo = MethodInfo::new("Test", "call").with_idempotent(true);

/// How many calls of each name a [`raw_server`] read.
type Seen = Arc<Mutex<HashMap<String, usize>>>;

/// A framed binary server that reads each call and, by its name: `drop` closes the
/// connection without answering, `shed` answers `LOADSHEDDING`, anything else echoes.
async fn raw_server() -> (SocketAddr, Seen) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Arc::default();
    let counts = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let counts = counts.clone();
            tokio::spawn(async move {
                let mut codec = MessageCodec::<Request>::new(
                    Framing::Framed,
                    Some(Protocol::Binary),
                    Limits::default(),
                );
                let mut buf = BytesMut::new();
                loop {
                    let request = match codec.decode(&mut buf) {
                        Ok(Some(request)) => request,
                        Ok(None) => match stream.read_buf(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => continue,
                        },
                        Err(_) => return,
                    };
                    *counts
                        .lock()
                        .unwrap()
                        .entry(request.method().to_string())
                        .or_default() += 1;
                    let header = request.header().clone();
                    let reply = match request.method() {
                        "drop" => return,
                        "shed" => {
                            let shed = ApplicationException::new(
                                ApplicationExceptionKind::Loadshedding,
                                "busy",
                            );
                            let header = MessageHeader::new(
                                header.name.clone(),
                                MessageType::Exception,
                                header.seqid,
                            );
                            let body = protocol::encode(Protocol::Binary, &shed).unwrap();
                            Response::new(header, Protocol::Binary, body)
                        }
                        _ => {
                            let header = MessageHeader::new(
                                header.name.clone(),
                                MessageType::Reply,
                                header.seqid,
                            );
                            Response::new(header, Protocol::Binary, request.body().clone())
                        }
                    };
                    let mut out = BytesMut::new();
                    codec.encode(reply, &mut out).unwrap();
                    if stream.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, seen)
}

fn request(name: &'static str, method: &'static MethodInfo) -> Request {
    let mut request = Request::new(
        MessageHeader::new(name, MessageType::Call, 0),
        Protocol::Binary,
        Bytes::from_static(b"\x00"),
    );
    request.set_method_info(method);
    request
}

fn policy() -> RetryPolicy {
    RetryPolicy::new()
        .max_retries(2)
        .backoff(Duration::from_millis(1), Duration::from_millis(5))
}

/// A channel to `addr`, behind the policy, counting the attempts that reach the channel.
fn client(
    addr: SocketAddr,
    policy: RetryPolicy,
    attempts: &Arc<AtomicUsize>,
) -> impl Service<Request, Response = Response, Error = Error> + Clone {
    let channel = Endpoint::from(addr)
        .framing(Framing::Framed)
        .timeout(Duration::from_secs(5))
        .connect_lazy();
    let attempts = attempts.clone();
    ServiceBuilder::new()
        .layer(policy.layer())
        .map_request(move |request: Request| {
            attempts.fetch_add(1, Ordering::SeqCst);
            request
        })
        .service(channel)
}

#[tokio::test]
async fn retry_sends_a_call_that_never_left_again_whatever_its_method() {
    // A port where nobody listens: every attempt is refused before anything is sent.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let error = client(addr, policy(), &attempts)
        .oneshot(request("call", &PLAIN))
        .await
        .unwrap_err();
    assert!(error.is_unsent(), "{error}");
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_does_not_resend_a_call_that_may_have_run_unless_idempotent() {
    let (addr, seen) = raw_server().await;
    let attempts = Arc::new(AtomicUsize::new(0));

    // Read by the server, then its connection died: it may have run. Not sent again.
    let error = client(addr, policy(), &attempts)
        .oneshot(request("drop", &PLAIN))
        .await
        .unwrap_err();
    assert!(error.is_io() && !error.is_unsent(), "{error}");
    // And it says so.
    assert!(
        error.to_string().contains("the server may have run it"),
        "{error}"
    );
    assert_eq!(seen.lock().unwrap()["drop"], 1);
    assert_eq!(attempts.load(Ordering::SeqCst), 1);

    // The same for a method the IDL marks idempotent: sent again, twice.
    let error = client(addr, policy(), &attempts)
        .oneshot(request("drop", &IDEMPOTENT))
        .await
        .unwrap_err();
    assert!(error.is_io(), "{error}");
    assert_eq!(seen.lock().unwrap()["drop"], 4);
    assert_eq!(attempts.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn retry_sends_a_shed_call_again_and_stops_at_the_reply_after() {
    let (addr, seen) = raw_server().await;
    let attempts = Arc::new(AtomicUsize::new(0));
    // The server sheds every attempt: after the retries, the reply is the caller's.
    let response = client(addr, policy(), &attempts)
        .oneshot(request("shed", &PLAIN))
        .await
        .unwrap();
    let exception = response.application_exception().unwrap().unwrap();
    assert_eq!(exception.kind(), ApplicationExceptionKind::Loadshedding);
    assert_eq!(seen.lock().unwrap()["shed"], 3);

    // An answered call is never sent again.
    let response = client(addr, policy(), &attempts)
        .oneshot(request("echo", &IDEMPOTENT))
        .await
        .unwrap();
    assert_eq!(response.header().message_type, MessageType::Reply);
    assert_eq!(seen.lock().unwrap()["echo"], 1);
}

#[tokio::test]
async fn retry_of_a_timed_out_call_only_when_idempotent() {
    // A server that never answers: each attempt times out in tower's TimeoutLayer.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            held.push(stream);
        }
    });
    for (method, expected) in [(&PLAIN, 1), (&IDEMPOTENT, 3)] {
        let attempts = Arc::new(AtomicUsize::new(0));
        let counted = attempts.clone();
        let channel = Endpoint::from(addr).framing(Framing::Framed).connect_lazy();
        let stack = ServiceBuilder::new()
            .layer(policy().layer())
            .map_request(move |request: Request| {
                counted.fetch_add(1, Ordering::SeqCst);
                request
            })
            .timeout(Duration::from_millis(50))
            .service(channel);
        let error = stack.oneshot(request("slow", method)).await.unwrap_err();
        assert!(Error::from_service(error).is_timeout());
        assert_eq!(attempts.load(Ordering::SeqCst), expected, "{method:?}");
    }
    silent.abort();
}

#[tokio::test]
async fn retry_budget_holds_a_storm() {
    // Every call is refused: each would be retried five times without a budget.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let attempts = Arc::new(AtomicUsize::new(0));
    let stingy = policy()
        .max_retries(5)
        .budget(Duration::from_secs(10), 0, 0.1);
    let counts = stingy.counts();
    let client = client(addr, stingy, &attempts);
    const CALLS: usize = 200;
    for _ in 0..CALLS {
        let error = client
            .clone()
            .oneshot(request("call", &PLAIN))
            .await
            .unwrap_err();
        assert!(error.is_unsent(), "{error}");
    }
    let retries = attempts.load(Ordering::SeqCst) - CALLS;
    // One retry for each ten calls, and none beyond (the budget starts empty).
    assert!(retries > 0, "no retry at all");
    assert!(retries <= CALLS / 10, "{retries} retries for {CALLS} calls");
    // The policy's own counts agree, and say what the budget held back.
    assert_eq!(counts.retries(), retries as u64);
    assert!(
        counts.refused_by_budget() >= (CALLS - retries) as u64,
        "{counts:?}"
    );
}
