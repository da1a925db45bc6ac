//! A connection that breaks, or brings a reply that does not decode, fails the calls waiting
//! on it; the next call connects again.

use std::time::Instant;

use thrift_tower::Endpoint;
use thrift_tower::protocol::Protocol;
use thrift_tower::transport::Framing;

use crate::calls::{call, payload_of, request};
use crate::common::peer::PROMPTLY;
use crate::test_server::{Event, Payload, TestServer};

#[tokio::test]
async fn a_broken_connection_fails_pending_calls_and_the_next_call_reconnects() {
    let mut server = TestServer::start(Framing::Buffered, Protocol::Binary).await;
    let addr = server.addr;
    // Pipelined on one connection, so that its break fails every call waiting on it.
    let channel = Endpoint::from(addr).pipelining(16).connect().await.unwrap();
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

/// A server on a thread of its own, blocking: it answers each framed binary call with the
/// same message as a reply (its arguments as its result), closes its first connection when
/// told to (and says when it has), and serves the connections after it until the test
/// ends. Returns its address, the sender that tells it to close, the receiver of its word
/// that it has, and the number of connections it accepted.
fn blocking_echo_server() -> (
    std::net::SocketAddr,
    std::sync::mpsc::Sender<()>,
    std::sync::mpsc::Receiver<()>,
    std::sync::Arc<std::sync::atomic::AtomicUsize>,
) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;

    fn echo_one(stream: &mut std::net::TcpStream) -> std::io::Result<()> {
        let mut len = [0u8; 4];
        stream.read_exact(&mut len)?;
        let mut message = vec![0u8; u32::from_be_bytes(len) as usize];
        stream.read_exact(&mut message)?;
        // Strict binary header: 0x80 0x01, then the message type in the fourth byte.
        message[3] = 2; // reply
        stream.write_all(&len)?;
        stream.write_all(&message)
    }

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (close, told) = std::sync::mpsc::channel::<()>();
    let (closed, closed_rx) = std::sync::mpsc::channel::<()>();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let (mut first, _) = listener.accept().unwrap();
        count.fetch_add(1, Ordering::SeqCst);
        echo_one(&mut first).unwrap();
        let _ = told.recv();
        drop(first);
        let _ = closed.send(());
        while let Ok((mut next, _)) = listener.accept() {
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || while echo_one(&mut next).is_ok() {});
        }
    });
    (addr, close, closed_rx, accepted)
}

// One thread: while it is blocked below, the runtime cannot poll the operating system for
// events, so when the call comes the channel's task has not yet heard that the server
// closed the connection, the situation of a busy runtime.
#[tokio::test(flavor = "current_thread")]
async fn a_call_after_the_server_closed_an_idle_connection_goes_out_on_a_new_one() {
    use std::sync::atomic::Ordering;

    let (addr, close, closed, accepted) = blocking_echo_server();
    let mut channel = Endpoint::from(addr)
        .framing(Framing::Framed)
        .connect()
        .await
        .unwrap();
    let first = call(
        &mut channel,
        request("echo", 1, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap();
    assert_eq!(payload_of(&first), Payload::new(1));

    // The server closes the idle connection; its FIN reaches this side while the runtime
    // is blocked.
    close.send(()).unwrap();
    closed.recv().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(50));

    let second = call(
        &mut channel,
        request("echo", 2, Protocol::Binary, Payload::new(2)),
    )
    .await
    .expect("a call after the server closed an idle connection");
    assert_eq!(payload_of(&second), Payload::new(2));
    assert_eq!(second.header().seqid, 2);
    assert_eq!(accepted.load(Ordering::SeqCst), 2);
}

/// A connection that takes `accept` bytes and then fails every write, and whose reads
/// end (the peer closed) once something was written, or never.
struct Scripted {
    accept: usize,
    taken: usize,
}

impl tokio::io::AsyncRead for Scripted {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        _buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.taken > 0 {
            // End of stream: the server closed after reading.
            std::task::Poll::Ready(Ok(()))
        } else {
            std::task::Poll::Pending
        }
    }
}

impl tokio::io::AsyncWrite for Scripted {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let room = self.accept - self.taken;
        if room == 0 {
            return std::task::Poll::Ready(Err(std::io::ErrorKind::BrokenPipe.into()));
        }
        let n = room.min(buf.len());
        self.taken += n;
        std::task::Poll::Ready(Ok(n))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// A channel whose every connection is a [`Scripted`] one taking `accept` bytes.
async fn scripted_channel(accept: usize) -> thrift_tower::Channel {
    Endpoint::from_static("scripted:1")
        .framing(Framing::Framed)
        .connect_with_connector(tower::service_fn(
            move |_: thrift_tower::transport::Address| {
                std::future::ready(Ok::<_, std::io::Error>(Scripted { accept, taken: 0 }))
            },
        ))
        .await
        .unwrap()
}

#[tokio::test]
async fn a_call_none_of_which_was_written_is_unsent_and_one_that_was_may_have_run() {
    // Nothing can be written: the call never left.
    let mut channel = scripted_channel(0).await;
    let error = call(
        &mut channel,
        request("echo", 1, Protocol::Binary, Payload::new(1)),
    )
    .await
    .unwrap_err();
    assert!(
        error.is_io() && error.is_unsent() && !error.is_connect(),
        "{error}"
    );
    assert!(
        error.to_string().ends_with("(the call was not sent)"),
        "{error}"
    );

    // Some of it was written, then the connection broke: the server may have read it.
    let mut channel = scripted_channel(5).await;
    let error = call(
        &mut channel,
        request("echo", 2, Protocol::Binary, Payload::new(2)),
    )
    .await
    .unwrap_err();
    assert!(error.is_io() && !error.is_unsent(), "{error}");

    // All of it was written, and the server closed without answering.
    let mut channel = scripted_channel(1 << 20).await;
    let error = call(
        &mut channel,
        request("echo", 3, Protocol::Binary, Payload::new(3)),
    )
    .await
    .unwrap_err();
    assert!(error.is_io() && !error.is_unsent(), "{error}");
    assert!(
        error.to_string().contains("closed the connection"),
        "{error}"
    );
}
