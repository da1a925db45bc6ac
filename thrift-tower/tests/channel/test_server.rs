//! The server the channel tests talk to, written here on the raw peer: its methods answer
//! as each test needs (out of order, late, never, with garbage), and it tells the test what
//! it saw.

use std::net::SocketAddr;
use std::time::Duration;

use thrift_tower::protocol::{
    self, FieldHeader, Limits, Protocol, ProtocolReader, ProtocolWriter, Thrift, WireType,
};
use thrift_tower::transport::Framing;
use thrift_tower::{MessageHeader, MessageType, ProtocolError, Request, Response};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::common::peer::{PROMPTLY, RawPeer};

/// The arguments and result of every test method: an id to tell calls apart, and a number
/// whose meaning depends on the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Payload {
    pub(crate) id: i64,
    pub(crate) n: i32,
}

impl Payload {
    pub(crate) fn new(id: i64) -> Self {
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

/// What the server saw, in order.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Event {
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

/// A server on a loopback port, serving every connection it accepts with [`serve`].
pub(crate) struct TestServer {
    pub(crate) addr: SocketAddr,
    events: mpsc::UnboundedReceiver<Event>,
    accept: JoinHandle<()>,
}

impl TestServer {
    pub(crate) async fn start(framing: Framing, protocol: Protocol) -> TestServer {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), framing, protocol).await
    }

    pub(crate) async fn start_on(
        addr: SocketAddr,
        framing: Framing,
        protocol: Protocol,
    ) -> TestServer {
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
    pub(crate) async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
    }

    pub(crate) async fn event(&mut self) -> Event {
        tokio::time::timeout(PROMPTLY, self.events.recv())
            .await
            .expect("the server saw nothing happen")
            .expect("the server stopped")
    }

    /// The next thing that happens, or `None` if the server stopped.
    pub(crate) async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }

    /// Nothing else happened so far.
    pub(crate) fn quiet(&mut self) -> bool {
        self.events.try_recv().is_err()
    }
}

/// Serves one connection. Methods: `echo` answers with its arguments; `slow` too, after
/// `n` ms; `batch` waits for `n` calls of it, then answers them last first; `hang` never
/// answers; `drop` closes the connection; `stray` first sends a reply with a sequence id
/// no one waits for; `garbage` sends bytes that are no message; `note` is oneway.
pub(crate) async fn serve<S>(
    stream: S,
    framing: Framing,
    protocol: Protocol,
    events: mpsc::UnboundedSender<Event>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let mut peer = RawPeer::<Request, S>::over(stream, framing, protocol);
    // `slow` replies come back here when their time is up, to be written between reads.
    let (later, mut due) = mpsc::unbounded_channel::<Response>();
    let reply = |call: &Request, seqid: i32| {
        Response::new(
            MessageHeader::new(call.header().name.clone(), MessageType::Reply, seqid),
            protocol,
            call.body().clone(),
        )
    };
    let mut batch: Vec<Request> = Vec::new();
    loop {
        let call = tokio::select! {
            call = peer.read_message() => match call {
                Some(call) => call,
                None => break,
            },
            Some(response) = due.recv() => {
                peer.send_message(response).await;
                continue;
            }
        };
        let payload: Payload = protocol::decode(protocol, call.body().clone(), Limits::default())
            .expect("the client sent bad arguments");
        let seqid = call.header().seqid;
        match &*call.header().name {
            "echo" => peer.send_message(reply(&call, seqid)).await,
            "slow" => {
                let later = later.clone();
                let reply = reply(&call, seqid);
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(payload.n as u64)).await;
                    let _ = later.send(reply);
                });
            }
            "batch" => {
                batch.push(call);
                if batch.len() == payload.n as usize {
                    let seqids = batch.iter().map(|c| c.header().seqid).collect();
                    events.send(Event::Batch(seqids)).unwrap();
                    for call in batch.drain(..).rev() {
                        peer.send_message(reply(&call, call.header().seqid)).await;
                    }
                }
            }
            "hang" => events.send(Event::Hanging).unwrap(),
            "drop" => break,
            "stray" => {
                peer.send_message(reply(&call, seqid.wrapping_add(1000)))
                    .await;
                peer.send_message(reply(&call, seqid)).await;
            }
            // A strict binary header of message type 7, which does not exist.
            "garbage" => peer
                .io
                .write_all(b"\x80\x01\x00\x07\x00\x00\x00\x01m\x00\x00\x00\x01\x00")
                .await
                .unwrap(),
            "note" => {
                assert_eq!(call.header().message_type, MessageType::Oneway);
                events.send(Event::Note(payload)).unwrap();
            }
            other => panic!("no method {other}"),
        }
    }
    // Dropped, the socket closes.
    drop(peer);
    let _ = events.send(Event::Closed);
}
