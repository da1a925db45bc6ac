//! What tower's balancers weigh a [`Channel`](super::Channel) by: [`ChannelLoad`], from its
//! calls in flight and its [`Health`], which the connection task keeps up to date.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Whether a channel's last connection attempt failed recently: shared by its handles and
/// its task, read without a lock.
#[derive(Debug)]
pub(super) struct Health {
    /// What the times below count from.
    born: Instant,
    /// Milliseconds after `born` until which the channel counts as failing; 0: it does not.
    failing_until: AtomicU64,
}

impl Health {
    pub(super) fn new() -> Self {
        Health {
            born: Instant::now(),
            failing_until: AtomicU64::new(0),
        }
    }

    fn now_ms(&self) -> u64 {
        u64::try_from(self.born.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A connection attempt failed: the channel counts as failing for `penalty`.
    pub(super) fn failed(&self, penalty: Duration) {
        let penalty = u64::try_from(penalty.as_millis()).unwrap_or(u64::MAX);
        let until = self.now_ms().saturating_add(penalty).max(1);
        self.failing_until.store(until, Ordering::Relaxed);
    }

    /// A connection was made.
    pub(super) fn connected(&self) {
        self.failing_until.store(0, Ordering::Relaxed);
    }

    pub(super) fn failing(&self) -> bool {
        // No clock read for a healthy channel.
        match self.failing_until.load(Ordering::Relaxed) {
            0 => false,
            until => self.now_ms() < until,
        }
    }
}

/// How loaded a [`Channel`](super::Channel) is, for tower's balancers (lower is better): whether its last
/// connection attempt failed within the [failure penalty](super::Endpoint::failure_penalty), then
/// how many calls it has in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChannelLoad {
    /// The channel could not connect, recently.
    pub failing: bool,
    /// Calls sent (or about to be) and not answered yet.
    pub in_flight: usize,
}
