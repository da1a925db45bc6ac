//! [`Channel`]: the `tower::Service` in front of a connection's task.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::PollSemaphore;
use tower_service::Service;

use tokio::io::{AsyncRead, AsyncWrite};

use super::Endpoint;
use super::connection::{self, Call, Reply};
use super::endpoint::SharedOpener;
use super::load::{ChannelLoad, Health};
use super::pool::{Conn, Pool, Taken};
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
    pool: Arc<Pool>,
    slots: PollSemaphore,
    /// The slot `poll_ready` reserved for the next call.
    slot: Option<OwnedSemaphorePermit>,
    endpoint: Arc<Endpoint>,
    health: Arc<Health>,
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
        let pool = Arc::new(Pool::new(
            endpoint.max_connections,
            endpoint.pipelining,
            first,
            Box::new(move || start(None)),
        ));
        let slots = endpoint.max_in_flight.min(pool.capacity());
        let slots = PollSemaphore::new(Arc::new(Semaphore::new(slots)));
        Channel {
            pool,
            slots,
            slot: None,
            endpoint,
            health,
        }
    }

    /// The protocol requests must be encoded with: the endpoint's.
    pub fn protocol(&self) -> Protocol {
        self.endpoint.protocol
    }

    /// A slot for one more call, if one is free now: what `poll_ready` reserves, for a
    /// balancer that picks among channels without a handle of its own on each.
    pub(super) fn try_reserve(&self) -> Option<OwnedSemaphorePermit> {
        if self.pool.is_closed() {
            return None;
        }
        self.slots.clone_inner().try_acquire_owned().ok()
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
            pool: self.pool.clone(),
            slots: self.slots.clone(),
            slot: None,
            endpoint: self.endpoint.clone(),
            health: self.health.clone(),
        }
    }
}

/// Channels can be balanced by tower's `p2c` balancer directly: a channel that could not
/// connect lately ranks above every other, and otherwise the one with fewer calls in
/// flight wins.
impl tower::load::Load for Channel {
    type Metric = ChannelLoad;

    fn load(&self) -> ChannelLoad {
        ChannelLoad {
            failing: self.health.failing(),
            in_flight: self
                .endpoint
                .max_in_flight
                .min(self.pool.capacity())
                .saturating_sub(self.slots.available_permits()),
        }
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("address", &format_args!("{}", self.endpoint.address))
            .field("protocol", &self.endpoint.protocol)
            .field("framing", &self.endpoint.framing)
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
        if self.pool.is_closed() {
            return Poll::Ready(Err(Self::stopped()));
        }
        if self.slot.is_none() {
            // The semaphore is never closed: `None` cannot happen, but would mean stopped.
            match ready!(self.slots.poll_acquire(cx)) {
                Some(slot) => self.slot = Some(slot),
                None => return Poll::Ready(Err(Self::stopped())),
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
    pub(super) fn call_in(
        &self,
        slot: OwnedSemaphorePermit,
        mut request: Request,
    ) -> ResponseFuture {
        let protocol = self.endpoint.protocol;
        if request.protocol() != protocol {
            // The protocol is the endpoint's to say: a client not told it (its default is
            // binary) or told another has its arguments re-encoded here, field by field, a
            // second encoding for each call that a client given the endpoint's protocol
            // does not pay. JSON cannot be re-encoded without the IDL's types.
            let body = request.take_body();
            match transcode(request.protocol(), protocol, body, self.endpoint.limits) {
                Ok(body) => request.set_body_in(protocol, body),
                Err(e) => {
                    return ResponseFuture::failed(Error::config(format!(
                        "the call to `{}` is encoded with the {} protocol, but the channel to \
                         {} speaks {protocol}, and {e}: give the client the endpoint's \
                         protocol (`with_protocol`)",
                        request.method(),
                        request.protocol(),
                        self.endpoint.address,
                    )));
                }
            }
        }
        let (reply, replied) = oneshot::channel();
        // The call ends at the earlier of the request's deadline and the endpoint's timeout.
        // The clock is read once, and only when there is one of them.
        let mut now = None;
        let mut clock = || *now.get_or_insert_with(Instant::now);
        let from_timeout = self.endpoint.timeout.map(|after| clock() + after);
        let deadline = match (request.deadline(), from_timeout) {
            (Some(at), Some(by)) => Some(at.min(by)),
            (at, by) => at.or(by),
        };
        let timeout = deadline.map(|at| {
            (
                request.header().name.clone(),
                at.saturating_duration_since(clock()),
            )
        });
        // A connection with room: the slot guarantees there is one.
        let Some(conn) = self.pool.take() else {
            return ResponseFuture::failed(Self::stopped());
        };
        if conn.conn().calls.send(Call { request, reply }).is_err() {
            return ResponseFuture::failed(Self::stopped());
        }
        ResponseFuture {
            state: State::Waiting {
                replied,
                _conn: conn,
                _slot: slot,
            },
            deadline: deadline.map(tokio::time::sleep_until),
            timeout,
        }
    }
}

pin_project_lite::pin_project! {
    /// The answer to a call on a [`Channel`]: the reply, or the error that prevented it.
    #[derive(Debug)]
    #[must_use = "futures do nothing unless polled"]
    pub struct ResponseFuture {
        state: State,
        // The call's method and how long it was given, for the error, if it has a deadline.
        timeout: Option<(ByteStr, Duration)>,
        #[pin]
        deadline: Option<Sleep>,
    }
}

#[derive(Debug)]
enum State {
    /// Sent to the connection task. The slot is released when the call completes or
    /// is dropped.
    Waiting {
        replied: oneshot::Receiver<Reply>,
        // Dropped before the slot, so that a slot is free only when a connection has room.
        _conn: Taken,
        _slot: OwnedSemaphorePermit,
    },
    /// Failed before it was sent.
    Failed(Option<Error>),
    Done,
}

impl ResponseFuture {
    fn failed(error: Error) -> Self {
        ResponseFuture {
            state: State::Failed(Some(error)),
            timeout: None,
            deadline: None,
        }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = match this.state {
            State::Waiting { replied, .. } => match Pin::new(replied).poll(cx) {
                Poll::Ready(Ok(reply)) => reply,
                // The task answers every call it takes, unless it is gone.
                Poll::Ready(Err(_)) => Err(Channel::stopped()),
                Poll::Pending => {
                    let expired = this
                        .deadline
                        .as_pin_mut()
                        .is_some_and(|deadline| deadline.poll(cx).is_ready());
                    match this.timeout {
                        Some((method, after)) if expired => Err(Error::timeout(&**method, *after)),
                        _ => return Poll::Pending,
                    }
                }
            },
            State::Failed(error) => match error.take() {
                Some(error) => Err(error),
                None => panic!("ResponseFuture polled after completion"),
            },
            State::Done => panic!("ResponseFuture polled after completion"),
        };
        // Releases the slot now, not when the future is dropped.
        *this.state = State::Done;
        Poll::Ready(outcome)
    }
}
