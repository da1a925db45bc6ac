//! The service the tests serve, a hand-written "generated server", and the `Probe` through
//! which a test sees what it did.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use thrift_tower::codegen::BoxFuture;
use thrift_tower::protocol::{FieldHeader, ProtocolReader, ProtocolWriter, Thrift, WireType};
use thrift_tower::{MessageHeader, MessageType, NamedService, ProtocolError, Request, Response};
use tokio::sync::Semaphore;
use tower_service::Service;

/// What the services saw and are doing, shared with the test.
#[derive(Debug)]
pub(crate) struct Probe {
    /// Calls running now.
    running: AtomicUsize,
    /// The most calls that ran at once.
    pub(crate) max_running: AtomicUsize,
    /// Calls that completed (not cancelled, not panicked).
    pub(crate) finished: AtomicUsize,
    /// Every call, as it reached a service: the service's name, the method name it saw,
    /// the message type.
    seen: Mutex<Vec<(&'static str, String, MessageType)>>,
    /// `gate` calls wait here for a permit from the test.
    pub(crate) gate: Semaphore,
}

impl Probe {
    pub(crate) fn new() -> Arc<Probe> {
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

    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    pub(crate) fn seen(&self) -> Vec<(&'static str, String, MessageType)> {
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
pub(crate) struct TestService<const TAG: char> {
    pub(crate) probe: Arc<Probe>,
}

impl NamedService for TestService<'A'> {
    const NAME: &'static str = "A";
}

impl NamedService for TestService<'B'> {
    const NAME: &'static str = "B";
}

pub(crate) fn service_a(probe: &Arc<Probe>) -> TestService<'A'> {
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
pub(crate) struct Args {
    pub(crate) id: i64,
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
