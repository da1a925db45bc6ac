//! The calls running on one connection, and the order their replies leave in.
//!
//! Every Apache server answers a connection's calls in the order they came, and clients
//! that pipeline (send several calls, then read the replies) rely on it: they take the
//! first reply for the first call. So by default the calls run concurrently (each that
//! waits in a task of its own) but a reply waits for the replies of the calls before it.
//! [`Server::out_of_order_replies`](super::Server::out_of_order_replies) lets each reply
//! go as soon as it is ready, for clients that match replies by sequence id (ours do).

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::task::{JoinError, JoinHandle, JoinSet};

/// The calls running on a connection, each a future `F`. A call is first polled where it
/// starts, on the connection's task: most calls (a handler that does not wait on I/O)
/// finish there and then, and cost no task, no allocation and no wake-up. A call that
/// waits goes on in a task of its own, so the connection's calls still run concurrently.
/// Dropping it aborts the calls still running, as when the connection breaks.
pub(crate) struct Calls<F: Future> {
    order: Order<F::Output>,
    /// Where a call is first polled: kept from call to call, so a call that finishes at
    /// once allocates nothing. A call that waits takes it along into its task, and the
    /// next call makes a new one.
    slot: Option<Pin<Box<Option<F>>>>,
}

enum Order<T> {
    /// Replies in the order of the calls.
    InOrder(VecDeque<Entry<T>>),
    /// Each reply when it is ready: the calls that finished where they started, then
    /// those running in tasks as they finish.
    AnyOrder {
        ready: VecDeque<Result<T, Lost>>,
        running: JoinSet<T>,
    },
}

enum Entry<T> {
    Done(Result<T, Lost>),
    Running(JoinHandle<T>),
}

/// A call that ended without a result: it panicked where it started (a panic in its task
/// is caught by the service, which answers it), or its task was cancelled.
#[derive(Debug)]
pub(crate) enum Lost {
    Panicked,
    Task(JoinError),
}

impl fmt::Display for Lost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lost::Panicked => f.write_str("the call panicked"),
            Lost::Task(e) => e.fmt(f),
        }
    }
}

impl<F> Calls<F>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    pub(crate) fn new(in_order: bool) -> Self {
        let order = if in_order {
            Order::InOrder(VecDeque::new())
        } else {
            Order::AnyOrder {
                ready: VecDeque::new(),
                running: JoinSet::new(),
            }
        };
        Calls { order, slot: None }
    }

    /// How many calls have started and not had their reply taken.
    pub(crate) fn len(&self) -> usize {
        match &self.order {
            Order::InOrder(queue) => queue.len(),
            Order::AnyOrder { ready, running } => ready.len() + running.len(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Frees the slot calls are first polled in, for a connection about to wait for its
    /// next message: an idle connection holds no memory for calls it is not making.
    pub(crate) fn release_slot(&mut self) {
        self.slot = None;
    }

    /// Starts a call: polls it once here, and spawns it if it is not done. True when it
    /// finished here.
    pub(crate) fn start(&mut self, call: F) -> bool {
        let slot = self.slot.get_or_insert_with(|| Box::pin(None));
        slot.as_mut().set(Some(call));
        // No waker is registered here: a call that is not done is spawned, and a spawned
        // task is polled at once, which registers the task's own waker before anything
        // can be missed (a future checks its state on every poll).
        let polled = catch_unwind(AssertUnwindSafe(|| {
            let call = slot
                .as_mut()
                .as_pin_mut()
                .expect("the call was just put in");
            call.poll(&mut Context::from_waker(Waker::noop()))
        }));
        let done = match polled {
            Ok(Poll::Ready(output)) => {
                slot.as_mut().set(None);
                Ok(output)
            }
            Ok(Poll::Pending) => {
                let started = Started(self.slot.take().expect("the slot is in use"));
                match &mut self.order {
                    Order::InOrder(queue) => {
                        queue.push_back(Entry::Running(tokio::spawn(started)));
                    }
                    Order::AnyOrder { running, .. } => {
                        running.spawn(started);
                    }
                }
                return false;
            }
            Err(_) => {
                // What the call left behind is dropped with its slot, and should that
                // panic too, the connection lives on.
                let slot = self.slot.take();
                let _ = catch_unwind(AssertUnwindSafe(move || drop(slot)));
                Err(Lost::Panicked)
            }
        };
        match &mut self.order {
            Order::InOrder(queue) => queue.push_back(Entry::Done(done)),
            Order::AnyOrder { ready, .. } => ready.push_back(done),
        }
        true
    }

    /// The next reply to send: the oldest call's, or any, waiting until it is ready.
    /// `None` when no call is running.
    pub(crate) async fn next(&mut self) -> Option<Result<F::Output, Lost>> {
        match &mut self.order {
            Order::InOrder(queue) => poll_fn(|cx| poll_front(queue, cx)).await,
            Order::AnyOrder { ready, running } => match ready.pop_front() {
                Some(done) => Some(done),
                None => running.join_next().await.map(|r| r.map_err(Lost::Task)),
            },
        }
    }

    /// The next reply to send if it is ready now, without waiting: how replies that finish
    /// together are gathered into one write.
    pub(crate) fn try_next(&mut self) -> Option<Result<F::Output, Lost>> {
        match &mut self.order {
            Order::InOrder(queue) => {
                if let Some(Entry::Running(call)) = queue.front()
                    && !call.is_finished()
                {
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
            Order::AnyOrder { ready, running } => ready
                .pop_front()
                .or_else(|| running.try_join_next().map(|r| r.map_err(Lost::Task))),
        }
    }
}

/// A call that did not finish where it started, in the slot it was first polled in.
struct Started<F: Future>(Pin<Box<Option<F>>>);

impl<F: Future> Future for Started<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let call = self.0.as_mut().as_pin_mut();
        call.expect("a started call is polled until it is done, not after")
            .poll(cx)
    }
}

fn poll_front<T>(
    queue: &mut VecDeque<Entry<T>>,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<T, Lost>>> {
    let Some(front) = queue.front_mut() else {
        return Poll::Ready(None);
    };
    let done = match front {
        Entry::Running(call) => std::task::ready!(Pin::new(call).poll(cx)).map_err(Lost::Task),
        Entry::Done(_) => match queue.pop_front() {
            Some(Entry::Done(done)) => return Poll::Ready(Some(done)),
            _ => unreachable!("the front was a finished call"),
        },
    };
    queue.pop_front();
    Poll::Ready(Some(done))
}

impl<F: Future> fmt::Debug for Calls<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (order, len) = match &self.order {
            Order::InOrder(queue) => ("in order", queue.len()),
            Order::AnyOrder { ready, running } => ("any order", ready.len() + running.len()),
        };
        f.debug_struct("Calls")
            .field("order", &order)
            .field("len", &len)
            .finish_non_exhaustive()
    }
}

impl<F: Future> Drop for Calls<F> {
    fn drop(&mut self) {
        // A JoinSet aborts its tasks when dropped; a JoinHandle does not.
        if let Order::InOrder(queue) = &mut self.order {
            for call in queue.drain(..) {
                if let Entry::Running(call) = call {
                    call.abort();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    type Call = Pin<Box<dyn Future<Output = u32> + Send>>;

    /// Calls that finish in the reverse of the order they started in.
    fn start_reversed(calls: &mut Calls<Call>) {
        for i in 0..5u32 {
            calls.start(Box::pin(async move {
                tokio::time::sleep(Duration::from_millis(u64::from(50 - 10 * i))).await;
                i
            }));
        }
    }

    async fn drain(calls: &mut Calls<Call>) -> Vec<u32> {
        let mut order = Vec::new();
        while let Some(done) = calls.next().await {
            order.push(done.unwrap());
        }
        order
    }

    #[tokio::test]
    async fn in_order_replies_follow_the_calls() {
        let mut calls: Calls<Call> = Calls::new(true);
        start_reversed(&mut calls);
        assert_eq!(drain(&mut calls).await, [0, 1, 2, 3, 4]);
        assert!(calls.is_empty());
    }

    #[tokio::test]
    async fn any_order_replies_come_as_they_finish() {
        let mut calls: Calls<Call> = Calls::new(false);
        start_reversed(&mut calls);
        assert_eq!(drain(&mut calls).await, [4, 3, 2, 1, 0]);
    }

    #[tokio::test]
    async fn a_call_that_does_not_wait_finishes_where_it_starts() {
        // In a task, as a connection's calls are started: the test's body is not one.
        tokio::spawn(calls_run_where_they_start()).await.unwrap();
    }

    async fn calls_run_where_they_start() {
        let here = tokio::task::id();
        for in_order in [true, false] {
            let mut calls: Calls<Pin<Box<dyn Future<Output = tokio::task::Id> + Send>>> =
                Calls::new(in_order);
            calls.start(Box::pin(async { tokio::task::id() }));
            calls.start(Box::pin(async {
                tokio::task::yield_now().await;
                tokio::task::id()
            }));
            calls.start(Box::pin(async { tokio::task::id() }));
            let mut ran_on = Vec::new();
            while let Some(done) = calls.next().await {
                ran_on.push(done.unwrap());
            }
            let tasks_of_their_own = ran_on.iter().filter(|id| **id != here).count();
            assert_eq!(ran_on.len(), 3);
            assert_eq!(
                tasks_of_their_own, 1,
                "only the call that waited had a task"
            );
            if in_order {
                assert_ne!(ran_on[1], here, "replies keep the order of the calls");
            }
        }
    }

    #[tokio::test]
    async fn finished_calls_wait_for_the_ones_before_them() {
        let mut calls: Calls<Call> = Calls::new(true);
        calls.start(Box::pin(async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            0
        }));
        calls.start(Box::pin(async { 1 }));
        calls.start(Box::pin(async { 2 }));
        assert!(calls.try_next().is_none(), "the first has not finished");
        assert_eq!(drain(&mut calls).await, [0, 1, 2]);
    }

    #[tokio::test]
    async fn a_call_that_panics_where_it_starts_is_lost_alone() {
        let mut calls: Calls<Call> = Calls::new(true);
        calls.start(Box::pin(async { 0 }));
        calls.start(Box::pin(async { panic!("a handler's bug") }));
        calls.start(Box::pin(async { 2 }));
        assert_eq!(calls.len(), 3);
        assert_eq!(calls.next().await.unwrap().unwrap(), 0);
        let lost = calls.next().await.unwrap().unwrap_err();
        assert!(matches!(lost, Lost::Panicked), "{lost}");
        assert_eq!(calls.next().await.unwrap().unwrap(), 2);
        assert!(calls.next().await.is_none());
    }

    #[tokio::test]
    async fn try_next_takes_only_a_finished_oldest_call() {
        let mut calls: Calls<Call> = Calls::new(true);
        let (release, released) = tokio::sync::oneshot::channel::<()>();
        calls.start(Box::pin(async move {
            let _ = released.await;
            0
        }));
        calls.start(Box::pin(async {
            tokio::task::yield_now().await;
            1
        }));
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
        let mut calls: Calls<Call> = Calls::new(true);
        calls.start(Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(60)).await;
            let _ = tx.send(()).await;
            0u32
        }));
        drop(calls);
        // The task, and the sender it held, are gone.
        assert!(rx.recv().await.is_none());
    }
}
