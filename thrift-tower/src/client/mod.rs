//! The client side: an [`Endpoint`] says where and how to connect, a [`Channel`] is the
//! connections to it, as a `tower::Service<Request, Response = Response>`.
//!
//! # The model
//!
//! A `Channel` is a small pool of connections to one server (TCP, a Unix domain socket, or
//! whatever a connector given to [`Endpoint::connect_with_connector`] makes: a TLS stream,
//! an in-memory pipe), each owned by a background task. Every clone of a channel shares
//! them, so cloning is cheap:
//!
//! ```text
//!  Channel (clone) --.                  .-> connection task 1 -> write / <- read
//!  Channel (clone) ---+-- each call ---+-> connection task 2    (seqid -> caller)
//!  Channel (clone) --'   to one with    '-> ... up to max_connections
//!                        room for it
//! ```
//!
//! - **One call at a time per connection, by default.** Calls made at once go out on
//!   connections of their own, opened as they are needed (up to
//!   [`max_connections`](Endpoint::max_connections), 8 by default) and kept; more calls at
//!   once wait for a free connection. Every Thrift server answers that correctly, as it is
//!   what Apache's own clients do. [`pipelining`](Endpoint::pipelining) lets a connection
//!   carry several calls at once, sent back to back: for servers that answer that (this
//!   crate's, Apache's threaded and C++ ones), not for all (Python's `TNonblockingServer`
//!   loses them). `pipelining(1024).max_connections(1)` is one connection carrying
//!   everything.
//! - **Sequence ids.** The channel numbers calls itself: it overwrites each request's
//!   sequence id (generated clients leave it 0) with one of its own, matches each reply to
//!   its call by that id, whatever the order the server answers in, and gives the caller
//!   back the sequence id it sent. A reply that no call is waiting for is logged
//!   (`tracing` warning) and dropped.
//! - **Back-pressure.** At most [`max_in_flight`](Endpoint::max_in_flight) calls wait for
//!   an answer at once. [`poll_ready`](tower_service::Service::poll_ready) reserves a slot
//!   for the next call, and is not ready while none is free: "clone, then call" works, and
//!   a slow server slows its callers down instead of growing a queue.
//! - **Metadata.** A request goes out with what it carries: a generated client's requests
//!   carry their method's [`MethodInfo`](crate::message::MethodInfo) (oneway, idempotent),
//!   which layers between the client and the channel can read.
//! - **Oneway calls** (header type [`Oneway`](crate::MessageType::Oneway)) complete with
//!   [`Response::oneway`](crate::Response::oneway) as soon as they are written; nothing
//!   comes back for them.
//! - **Failures and reconnection.** When a connection breaks (the server closes it, an
//!   I/O error, a reply that cannot be decoded), every call waiting on it fails at once
//!   with an error that says so ([`Error::is_io`](crate::Error::is_io), or
//!   [`is_protocol`](crate::Error::is_protocol) for an undecodable reply), and whether the
//!   call provably never left ([`Error::is_unsent`](crate::Error::is_unsent): none of its
//!   bytes was written, or the connection could not be made). The next call connects
//!   again, so a channel outlives server restarts. Nothing is retried for you: whether a
//!   call may be sent twice is the application's to say (tower's `Retry`).
//! - **Balancing.** A channel is one server's; [`Balanced`] spreads calls over several (a
//!   fixed list, or servers added and removed at run time), by tower's power of two
//!   choices, which each clone makes itself (no task between the callers and the
//!   channels). A channel can also be given to tower's own balancer
//!   (`tower::balance::p2c::Balance` over a `tower::discover::ServiceList` or any
//!   `Discover`): `Channel` implements
//!   `tower::load::Load` ([`ChannelLoad`]): fewer calls in flight ranks better, and a
//!   channel that could not connect lately ranks last for its
//!   [failure penalty](Endpoint::failure_penalty), so calls go to servers that answer while
//!   a dead one is tried again now and then. [`Balanced::builder`] weighs servers by their
//!   peak-EWMA latency instead ([`LoadMeasure::PeakEwma`]), for servers that differ in
//!   speed. `examples/src/stack.rs` puts this together
//!   with [`RetryPolicy`](crate::layer::RetryPolicy), which knows which calls are safe to
//!   send again.
//! - **Deadlines.** [`Endpoint::timeout`] bounds each call; so does tower's `TimeoutLayer`
//!   around the channel. A call that times out releases its slot; a late reply to it is
//!   dropped.
//! - **Lifetime.** The tasks end, and the connections close, when every clone of the
//!   channel is dropped and every call still waited for is answered.
//!
//! A channel speaks the one protocol and framing of its endpoint, so the protocol is stated
//! once, there: a request a generated client encoded with another (binary, its default,
//! when it was not told) is re-encoded by the channel, field by field, between binary and
//! compact ([`protocol::transcode`](crate::protocol::transcode)). That is a second
//! encoding of each call; a client also given the protocol (`with_protocol`) does not pay
//! it, and a JSON channel needs it (JSON cannot be re-encoded without the IDL's types: such
//! a request fails with [`Error::is_config`](crate::Error::is_config)). Connecting with
//! [`Framing::Auto`](crate::transport::Framing::Auto), which only a server can use, fails
//! too, and so does THeader framing with JSON. Over THeader
//! ([`Framing::Header`](crate::transport::Framing::Header)) a request's
//! [`headers`](crate::message::Message::headers) are sent and a response has its reply's.
//!
//! ```no_run
//! use std::time::Duration;
//! use thrift_tower::transport::Framing;
//! use thrift_tower::protocol::Protocol;
//! use thrift_tower::Endpoint;
//!
//! # async fn run() -> Result<(), thrift_tower::Error> {
//! let channel = Endpoint::from_static("127.0.0.1:9090")
//!     .protocol(Protocol::Compact)
//!     .framing(Framing::Framed)
//!     .timeout(Duration::from_secs(1))
//!     .connect()
//!     .await?;
//! // Hand `channel` (or a clone of it) to a generated client, alone or inside layers;
//! // naming the protocol again saves the channel re-encoding each call:
//! // let client = CalculatorClient::new(channel).with_protocol(Protocol::Compact);
//! # drop(channel);
//! # Ok(())
//! # }
//! ```
//!
//! Code that is not async (a script, a command-line tool) calls through [`Blocking`]: the
//! same channel and client, with a runtime of its own that each call blocks on.

mod balance;
mod blocking;
mod channel;
mod connection;
mod endpoint;
mod load;
mod pool;
mod window;

pub use self::balance::{Balanced, BalancedBuilder, BalancedFuture, LoadMeasure};
pub use self::blocking::Blocking;
pub use self::channel::{Channel, ResponseFuture};
pub use self::endpoint::Endpoint;
pub use self::load::ChannelLoad;
