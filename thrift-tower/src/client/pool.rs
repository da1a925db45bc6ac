//! A [`Channel`](super::Channel)'s connections: as many as its calls need, up to a bound,
//! each carrying at most [`Endpoint::pipelining`](super::Endpoint::pipelining) calls at once.
//!
//! One call at a time per connection (the default) is what every Thrift server answers
//! correctly: Apache's own clients do it, and some servers (Python's
//! `TNonblockingServer`) lose calls that arrive back to back on one connection. Calls made
//! at once then go out on connections of their own, opened when needed and kept for the
//! channel's life (each reconnects by itself when its connection breaks).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

use super::connection::Call;

/// One connection's task, and how many calls it carries now.
#[derive(Debug)]
pub(super) struct Conn {
    pub(super) calls: mpsc::UnboundedSender<Call>,
    in_flight: AtomicUsize,
}

impl Conn {
    pub(super) fn new(calls: mpsc::UnboundedSender<Call>) -> Self {
        Conn {
            calls,
            in_flight: AtomicUsize::new(0),
        }
    }
}

/// Starts a connection's task and returns its handle. Boxed: a channel is not generic over
/// its connector, and a connection is started only when the calls at once outgrow the
/// ones there are, not per call.
pub(super) type Spawn = Box<dyn Fn() -> Conn + Send + Sync>;

/// The connections of a channel.
pub(super) struct Pool {
    conns: Box<[OnceLock<Conn>]>,
    pipelining: usize,
    spawn: Spawn,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field(
                "connections",
                &self.conns.iter().filter(|c| c.get().is_some()).count(),
            )
            .field("pipelining", &self.pipelining)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool of at most `connections`, each carrying `pipelining` calls at once, whose
    /// first connection is `first` (already started) and the others started by `spawn`.
    pub(super) fn new(connections: usize, pipelining: usize, first: Conn, spawn: Spawn) -> Self {
        let conns: Box<[OnceLock<Conn>]> =
            (0..connections.max(1)).map(|_| OnceLock::new()).collect();
        let _ = conns[0].set(first);
        Pool {
            conns,
            pipelining: pipelining.max(1),
            spawn,
        }
    }

    /// How many calls the pool carries at once, at most.
    pub(super) fn capacity(&self) -> usize {
        self.conns.len().saturating_mul(self.pipelining)
    }

    /// A connection with room for one more call, which is now counted on it: the first
    /// that has some, starting one if all the started ones are full. `None` only if every
    /// connection is full, which the channel's slots (no more than
    /// [`capacity`](Self::capacity)) rule out. The call gives its place back with
    /// [`give_back`](Self::give_back).
    pub(super) fn take(&self) -> Option<usize> {
        for (index, slot) in self.conns.iter().enumerate() {
            let conn = slot.get_or_init(|| (self.spawn)());
            let room = conn
                .in_flight
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                    (n < self.pipelining).then_some(n + 1)
                });
            if room.is_ok() {
                return Some(index);
            }
        }
        None
    }

    /// The connection [`take`](Self::take) returned.
    pub(super) fn conn(&self, index: usize) -> &Conn {
        self.conns[index]
            .get()
            .expect("a taken connection was started")
    }

    /// A call [`take`](Self::take) placed on connection `index` is over.
    pub(super) fn give_back(&self, index: usize) {
        if let Some(conn) = self.conns[index].get() {
            conn.in_flight.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Whether the connections' tasks are gone (their runtime was shut down): the first
    /// one's tells, as they all live on one runtime and end only with it or the channel.
    pub(super) fn is_closed(&self) -> bool {
        self.conns[0]
            .get()
            .is_some_and(|conn| conn.calls.is_closed())
    }
}
