//! [`Channel`]: the `tower::Service` in front of a connection's task.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::ReusableBoxFuture;
use tower_service::Service;

use tokio::io::{AsyncRead, AsyncWrite};

use super::Endpoint;
use super::connection::{self, Call, Reply};
use super::endpoint::SharedOpener;
use super::load::{ChannelLoad, Health};
use super::pool::{Conn, Pool};
use crate::bytestr::ByteStr;
use crate::error::{BoxError, Error};
use crate::message::{Request, Response};
use crate::protocol::{Protocol, transcode};
use crate::transport::Address;

/// The connections to a Thrift server, as a `tower::Service<Request, Response = Response>`:
/// what a generated client calls through.
///
/// Made by an [`Endpoint`]. Clones share the connections, one call at a time on each
/// unless the endpoint allows [pipelining](Endpoint::pipelining); see [the module
/// docs](crate::client) for how calls are spread and numbered, how back-pressure works and
/// what happens when a connection breaks.
///
/// A request must be encoded with the channel's [`protocol`](Channel::protocol), and its
/// sequence id is the channel's to choose: the response carries the request's back, but
/// on the wire each call has a number of the channel's.
pub struct Channel {
    shared: Arc<Shared>,
    /// The slot `poll_ready` reserved for the next call.
    slot: Option<Slot>,
    /// Waiting for a slot, when none was free: boxed, as tokio-util's `PollSemaphore`
    /// does, and only then, so that a call finding a free slot allocates nothing.
    acquiring: Option<ReusableBoxFuture<'static, Result<OwnedSemaphorePermit, AcquireError>>>,
}

/// What a channel's handles share. One `Arc` for all of it, as the generated client clones
/// its channel for every call: one reference count to touch, not one per part.
struct Shared {
    pool: Pool,
    /// A permit per call the channel carries at once; a call's [`Slot`] holds one.
    slots: Arc<Semaphore>,
    endpoint: Arc<Endpoint>,
    health: Arc<Health>,
}

/// One call's place on a channel: a permit of its slots, and once the call is sent, its
/// place on one of its connections. Both are given back when it is dropped (the
/// connection's first, so that a free permit always means a connection with room).
///
/// The permit is taken from the semaphore and forgotten, and added back here: an
/// `OwnedSemaphorePermit` would hold a reference count of its own on the semaphore, where
/// this holds the channel's.
pub(super) struct Slot {
    shared: Arc<Shared>,
    conn: Option<usize>,
}

impl Slot {
    /// A slot for a permit taken from `shared.slots` and forgotten.
    fn taken(shared: &Arc<Shared>) -> Slot {
        Slot {
            shared: shared.clone(),
            conn: None,
        }
    }

    /// A free slot, if there is one now.
    fn try_take(shared: &Arc<Shared>) -> Option<Slot> {
        let permit = shared.slots.try_acquire().ok()?;
        permit.forget();
        Some(Slot::taken(shared))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(index) = self.conn {
            self.shared.pool.give_back(index);
        }
        self.shared.slots.add_permits(1);
    }
}

impl fmt::Debug for Slot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Slot")
            .field("conn", &self.conn)
            .finish_non_exhaustive()
    }
}

impl Channel {
    /// A channel whose task starts on `io`, or connects through `opener` on the first call.
    pub(super) fn spawn<C>(
        endpoint: Endpoint,
        opener: SharedOpener<C>,
        io: Option<C::Response>,
    ) -> Channel
    where
        C: Service<Address> + Send + 'static,
        C::Response: AsyncRead + AsyncWrite + Send + Unpin + 'static,
        C::Error: Into<BoxError>,
        C::Future: Send,
    {
        let endpoint = Arc::new(endpoint);
        let health = Arc::new(Health::new());
        // Each connection's queue needs no bound of its own: a call enters one only with a
        // slot, and only one with room for it.
        let start = {
            let (endpoint, health) = (endpoint.clone(), health.clone());
            move |io: Option<C::Response>| {
                let (calls, queue) = mpsc::unbounded_channel();
                tokio::spawn(connection::run(
                    endpoint.clone(),
                    opener.clone(),
                    queue,
                    io,
                    health.clone(),
                ));
                Conn::new(calls)
            }
        };
        let first = start(io);
        let pool = Pool::new(
            endpoint.max_connections,
            endpoint.pipelining,
            first,
            Box::new(move || start(None)),
        );
        let slots = endpoint.max_in_flight.min(pool.capacity());
        Channel {
            shared: Arc::new(Shared {
                pool,
                slots: Arc::new(Semaphore::new(slots)),
                endpoint,
                health,
            }),
            slot: None,
            acquiring: None,
        }
    }

    /// The protocol requests must be encoded with: the endpoint's.
    pub fn protocol(&self) -> Protocol {
        self.shared.endpoint.protocol
    }

    /// A slot for one more call, if one is free now: what `poll_ready` reserves, for a
    /// balancer that picks among channels without a handle of its own on each.
    pub(super) fn try_reserve(&self) -> Option<Slot> {
        if self.shared.pool.is_closed() {
            return None;
        }
        Slot::try_take(&self.shared)
    }

    /// Reserves a slot, waiting for one if none is free. `Err` only if the semaphore is
    /// closed, which it never is.
    fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<Slot, AcquireError>> {
        let acquiring = match &mut self.acquiring {
            Some(acquiring) => acquiring,
            None => {
                // The semaphore hands free permits to waiters first: taking one that is
                // free jumps no queue.
                if let Some(slot) = Slot::try_take(&self.shared) {
                    return Poll::Ready(Ok(slot));
                }
                let slots = self.shared.slots.clone();
                self.acquiring
                    .insert(ReusableBoxFuture::new(slots.acquire_owned()))
            }
        };
        let permit = ready!(acquiring.poll(cx));
        // Kept for the next wait: its allocation is reused.
        let slots = self.shared.slots.clone();
        acquiring.set(slots.acquire_owned());
        Poll::Ready(permit.map(|permit| {
            permit.forget();
            Slot::taken(&self.shared)
        }))
    }

    fn stopped() -> Error {
        Error::from(io::Error::new(
            io::ErrorKind::BrokenPipe,
            "the channel's connection task has stopped (was its Tokio runtime shut down?)",
        ))
    }
}

impl Clone for Channel {
    /// Another handle on the same connection, with no slot reserved yet.
    fn clone(&self) -> Self {
        Channel {
            shared: self.shared.clone(),
            slot: None,
            acquiring: None,
        }
    }
}

/// Channels can be balanced by tower's `p2c` balancer directly: a channel that could not
/// connect lately ranks above every other, and otherwise the one with fewer calls in
/// flight wins.
impl tower::load::Load for Channel {
    type Metric = ChannelLoad;

    fn load(&self) -> ChannelLoad {
        let shared = &*self.shared;
        ChannelLoad {
            failing: shared.health.failing(),
            in_flight: shared
                .endpoint
                .max_in_flight
                .min(shared.pool.capacity())
                .saturating_sub(shared.slots.available_permits()),
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("address", &format_args!("{}", self.shared.endpoint.address))
            .field("protocol", &self.shared.endpoint.protocol)
            .field("framing", &self.shared.endpoint.framing)
            .field("ready", &self.slot.is_some())
            .finish_non_exhaustive()
    }
}

impl Service<Request> for Channel {
    type Response = Response;
    type Error = Error;
    type Future = ResponseFuture;

    /// Ready when a slot for one more call is reserved (see
    /// [`Endpoint::max_in_flight`]); fails only if the connection task has stopped.
    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.shared.pool.is_closed() {
            return Poll::Ready(Err(Self::stopped()));
        }
        if self.slot.is_none() {
            // The semaphore is never closed: `Err` cannot happen, but would mean stopped.
            match ready!(self.poll_reserve(cx)) {
                Ok(slot) => self.slot = Some(slot),
                Err(_) => return Poll::Ready(Err(Self::stopped())),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Sends `request`.
    ///
    /// # Panics
    ///
    /// If [`poll_ready`](Service::poll_ready) did not return `Ready(Ok(()))` since the
    /// last call, as tower's contract allows.
    fn call(&mut self, request: Request) -> ResponseFuture {
        let slot = self
            .slot
            .take()
            .expect("Channel::call without a reserved slot: poll_ready must be Ready first");
        self.call_in(slot, request)
    }
}

impl Channel {
    /// Sends `request` in `slot`, one of this channel's (from `poll_ready` or
    /// [`try_reserve`](Self::try_reserve)).
    pub(super) fn call_in(&self, mut slot: Slot, mut request: Request) -> ResponseFuture {
        let shared = &*self.shared;
        let endpoint = &*shared.endpoint;
        let protocol = endpoint.protocol;
        if request.protocol() != protocol {
            // The protocol is the endpoint's to say: a client not told it (its default is
            // binary) or told another has its arguments re-encoded here, field by field, a
            // second encoding for each call that a client given the endpoint's protocol
            // does not pay. JSON cannot be re-encoded without the IDL's types.
            let body = request.take_body();
            match transcode(request.protocol(), protocol, body, endpoint.limits) {
                Ok(body) => request.set_body_in(protocol, body),
                Err(e) => {
                    return ResponseFuture::failed(Error::config(format!(
                        "the call to `{}` is encoded with the {} protocol, but the channel to \
                         {} speaks {protocol}, and {e}: give the client the endpoint's \
                         protocol (`with_protocol`)",
                        request.method(),
                        request.protocol(),
                        endpoint.address,
                    )));
                }
            }
        }
        // The call ends at the earlier of the request's deadline and the endpoint's timeout.
        // The clock is read once, and only when there is one of them.
        let mut now = None;
        let mut clock = || *now.get_or_insert_with(Instant::now);
        let from_timeout = endpoint.timeout.map(|after| clock() + after);
        let deadline = match (request.deadline(), from_timeout) {
            (Some(at), Some(by)) => Some(at.min(by)),
            (at, by) => at.or(by),
        };
        let deadline = deadline.map(|at| {
            // Boxed: a timer is 112 bytes, which every call's future would otherwise carry
            // and move, deadline or not, through each future built around it. A call with
            // a deadline registers a timer, which costs more than the allocation.
            Box::pin(Deadline {
                method: request.header().name.clone(),
                after: at.saturating_duration_since(clock()),
                sleep: tokio::time::sleep_until(at),
            })
        });
        // A connection with room: the slot guarantees there is one.
        let Some(index) = shared.pool.take() else {
            return ResponseFuture::failed(Self::stopped());
        };
        slot.conn = Some(index);
        let (reply, replied) = oneshot::channel();
        if shared
            .pool
            .conn(index)
            .calls
            .send(Call { request, reply })
            .is_err()
        {
            return ResponseFuture::failed(Self::stopped());
        }
        ResponseFuture {
            state: State::Waiting {
                replied,
                _slot: slot,
            },
            deadline,
        }
    }
}

/// The answer to a call on a [`Channel`]: the reply, or the error that prevented it.
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct ResponseFuture {
    state: State,
    deadline: Option<Pin<Box<Deadline>>>,
}

pin_project_lite::pin_project! {
    /// When a call with a deadline times out, and what its error says.
    #[derive(Debug)]
    struct Deadline {
        method: ByteStr,
        after: Duration,
        #[pin]
        sleep: Sleep,
    }
}

#[derive(Debug)]
enum State {
    /// Sent to the connection task. The slot is released when the call completes or
    /// is dropped.
    Waiting {
        replied: oneshot::Receiver<Reply>,
        _slot: Slot,
    },
    /// Failed before it was sent.
    Failed(Option<Error>),
    Done,
}

impl ResponseFuture {
    fn failed(error: Error) -> Self {
        ResponseFuture {
            state: State::Failed(Some(error)),
            deadline: None,
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let outcome = match &mut this.state {
            State::Waiting { replied, .. } => match Pin::new(replied).poll(cx) {
                Poll::Ready(Ok(reply)) => reply,
                // The task answers every call it takes, unless it is gone.
                Poll::Ready(Err(_)) => Err(Channel::stopped()),
                Poll::Pending => match &mut this.deadline {
                    Some(deadline) => {
                        let deadline = deadline.as_mut().project();
                        ready!(deadline.sleep.poll(cx));
                        Err(Error::timeout(&**deadline.method, *deadline.after))
                    }
                    None => return Poll::Pending,
                },
            },
            State::Failed(error) => match error.take() {
                Some(error) => Err(error),
                None => panic!("ResponseFuture polled after completion"),
            },
            State::Done => panic!("ResponseFuture polled after completion"),
        };
        // Releases the slot now, not when the future is dropped.
        this.state = State::Done;
        Poll::Ready(outcome)
    }
}
