//! The calls running on one connection, and the order their replies leave in.
//!
//! Every Apache server answers a connection's calls in the order they came, and clients
//! that pipeline (send several calls, then read the replies) rely on it: they take the
//! first reply for the first call. So by default each call runs in a task of its own,
//! concurrently with the others, but its reply waits for the replies of the calls before
//! it. [`Server::out_of_order_replies`](super::Server::out_of_order_replies) lets each reply
//! go as soon as it is ready, for clients that match replies by sequence id (ours do).

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::task::{JoinError, JoinHandle, JoinSet};

/// The tasks of a connection's calls, each ending with `T` (a reply and its request's
/// size). Dropping it aborts the calls still running, as when the connection breaks.
#[derive(Debug)]
pub(crate) enum Calls<T> {
    /// Replies in the order of the calls.
    InOrder(VecDeque<JoinHandle<T>>),
    /// Each reply when it is ready.
    AnyOrder(JoinSet<T>),
}

impl<T: Send + 'static> Calls<T> {
    pub(crate) fn new(in_order: bool) -> Self {
        if in_order {
            Calls::InOrder(VecDeque::new())
        } else {
            Calls::AnyOrder(JoinSet::new())
        }
    }

    /// How many calls have started and not had their reply taken.
    pub(crate) fn len(&self) -> usize {
        match self {
            Calls::InOrder(queue) => queue.len(),
            Calls::AnyOrder(set) => set.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Starts a call.
    pub(crate) fn spawn(&mut self, call: impl Future<Output = T> + Send + 'static) {
        match self {
            Calls::InOrder(queue) => queue.push_back(tokio::spawn(call)),
            Calls::AnyOrder(set) => {
                set.spawn(call);
            }
        }
    }

    /// The next reply to send: the oldest call's, or any, waiting until it is ready.
    /// `None` when no call is running.
    pub(crate) async fn next(&mut self) -> Option<Result<T, JoinError>> {
        match self {
            Calls::InOrder(queue) => poll_fn(|cx| poll_front(queue, cx)).await,
            Calls::AnyOrder(set) => set.join_next().await,
        }
    }

    /// The next reply to send if it is ready now, without waiting: how replies that finish
    /// together are gathered into one write.
    pub(crate) fn try_next(&mut self) -> Option<Result<T, JoinError>> {
        match self {
            Calls::InOrder(queue) => {
                if !queue.front().is_some_and(JoinHandle::is_finished) {
                    return None;
                }
                // A finished task's handle is ready at once; the waker is never used.
                match poll_front(queue, &mut Context::from_waker(Waker::noop())) {
                    Poll::Ready(next) => next,
                    // Only when the runtime's cooperative budget is spent: the reply goes
                    // in the next write.
                    Poll::Pending => None,
                }
            }
            Calls::AnyOrder(set) => set.try_join_next(),
        }
    }
}

fn poll_front<T>(
    queue: &mut VecDeque<JoinHandle<T>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<T, JoinError>>> {
    let Some(front) = queue.front_mut() else {
        return Poll::Ready(None);
    };
    let done = std::task::ready!(Pin::new(front).poll(cx));
    queue.pop_front();
    Poll::Ready(Some(done))
}

impl<T> Drop for Calls<T> {
    fn drop(&mut self) {
        // A JoinSet aborts its tasks when dropped; a JoinHandle does not.
        if let Calls::InOrder(queue) = self {
            for call in queue.drain(..) {
                call.abort();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// Calls that finish in the reverse of the order they started in.
    fn start_reversed(calls: &mut Calls<u32>) {
        for i in 0..5u32 {
            calls.spawn(async move {
                tokio::time::sleep(Duration::from_millis(u64::from(50 - 10 * i))).await;
                i
            });
        }
    }

    #[tokio::test]
    async fn in_order_replies_follow_the_calls() {
        let mut calls = Calls::new(true);
        start_reversed(&mut calls);
        let mut order = Vec::new();
        while let Some(done) = calls.next().await {
            order.push(done.unwrap());
        }
        assert_eq!(order, [0, 1, 2, 3, 4]);
        assert!(calls.is_empty());
    }

    #[tokio::test]
    async fn any_order_replies_come_as_they_finish() {
        let mut calls = Calls::new(false);
        start_reversed(&mut calls);
        let mut order = Vec::new();
        while let Some(done) = calls.next().await {
            order.push(done.unwrap());
        }
        assert_eq!(order, [4, 3, 2, 1, 0]);
    }

    #[tokio::test]
    async fn try_next_takes_only_a_finished_oldest_call() {
        let mut calls = Calls::new(true);
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        calls.spawn(async move {
            let _ = released.await;
            0
        });
        calls.spawn(async { 1 });
        tokio::time::sleep(Duration::from_millis(20)).await;
        // The second has finished, but the first has not: nothing may go yet.
        assert!(calls.try_next().is_none());
        release.send(()).unwrap();
        assert_eq!(calls.next().await.unwrap().unwrap(), 0);
        assert_eq!(calls.try_next().unwrap().unwrap(), 1);
        assert!(calls.try_next().is_none());
    }

    #[tokio::test]
    async fn dropping_aborts_the_calls_still_running() {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let mut calls = Calls::new(true);
        calls.spawn(async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            let _ = tx.send(()).await;
            0u32
        });
        drop(calls);
        // The task, and the sender it held, are gone.
        assert!(rx.recv().await.is_none());
    }
}
