//! [`SeqidWindow`]: a connection's calls waiting for their replies, by the sequence id the
//! connection gave each.
//!
//! The connection numbers its calls itself, one after another, and servers mostly answer
//! in order, so the calls waited for are nearly always a run of consecutive ids: a ring of
//! slots from the oldest id waited for to the newest finds a call with a subtraction, where
//! a hash map hashes each id once to insert it and once to find it. A reply out of order
//! leaves a hole until the older calls' replies come.
//!
//! A call whose reply never comes (a server that lost it, a caller that gave up) would hold
//! the window's start back while the window grows at its end. So the window is swept when
//! it spans `2 * carried` ids (`carried`: the calls the connection carries at once): the
//! calls whose callers are gone are dropped, and the oldest of those still waited for move
//! to a map beside the window until it spans no more than `carried` ids. Whatever the
//! server does, the window and the map hold at most about `2 * carried` calls each.

use std::collections::{HashMap, VecDeque};

/// The calls waiting for their replies on one connection, by sequence id: see [the module
/// docs](self).
#[derive(Debug)]
pub(super) struct SeqidWindow<T> {
    /// The id of `slots[0]`; when `slots` is empty, the next id to give.
    first: i32,
    slots: VecDeque<Option<T>>,
    /// How many of `slots` hold a call.
    in_window: usize,
    /// Calls waited for since before the window's start. Rare (a server that does not
    /// answer): a map with the standard hasher, looked into only when it is not empty.
    stragglers: HashMap<i32, T>,
    /// The span at which the window is swept: at least 2.
    limit: usize,
}

impl<T> SeqidWindow<T> {
    /// An empty window whose first id is `first`, for a connection carrying `carried` calls
    /// at once.
    pub(super) fn new(first: i32, carried: usize) -> Self {
        SeqidWindow {
            first,
            slots: VecDeque::new(),
            in_window: 0,
            stragglers: HashMap::new(),
            // Bounded well below 2^31, so that ids in the window never wrap onto each other.
            limit: carried.saturating_mul(2).clamp(2, 1 << 24),
        }
    }

    /// How many calls are waited for.
    pub(super) fn len(&self) -> usize {
        self.in_window + self.stragglers.len()
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id the next [`insert`](Self::insert) or [`skip`](Self::skip) takes: the one after
    /// the last taken, past any a straggler still holds (only after the ids wrap around).
    /// `gone` tells a call whose caller has gone, which a sweep drops.
    pub(super) fn next_id(&mut self, gone: impl Fn(&T) -> bool) -> i32 {
        if self.slots.len() >= self.limit {
            self.sweep(gone);
        }
        loop {
            let id = self.end();
            if self.stragglers.is_empty() || !self.stragglers.contains_key(&id) {
                return id;
            }
            self.skip();
        }
    }

    /// Waits for the reply to `call`, with the id [`next_id`](Self::next_id) returned.
    pub(super) fn insert(&mut self, call: T) {
        self.slots.push_back(Some(call));
        self.in_window += 1;
    }

    /// Takes the next id without waiting for a reply to it (a oneway call's, or a call that
    /// could not be encoded), so that the ids on the wire go on one after another.
    pub(super) fn skip(&mut self) {
        self.slots.push_back(None);
        self.trim();
    }

    /// The call waiting for the reply with `id`, no longer waited for; `None` if no call
    /// waits for it (a duplicate reply, an unknown id, a call dropped by a sweep).
    pub(super) fn remove(&mut self, id: i32) -> Option<T> {
        // Ids before `first` wrap to offsets past the window's end.
        let offset = id.wrapping_sub(self.first) as u32 as usize;
        if let Some(call) = self.slots.get_mut(offset).and_then(Option::take) {
            self.in_window -= 1;
            if offset == 0 {
                self.trim();
            }
            return Some(call);
        }
        if self.stragglers.is_empty() {
            None
        } else {
            self.stragglers.remove(&id)
        }
    }

    /// Keeps only the calls `keep` says to.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&mut T) -> bool) {
        for slot in &mut self.slots {
            if slot.as_mut().is_some_and(|call| !keep(call)) {
                *slot = None;
                self.in_window -= 1;
            }
        }
        self.stragglers.retain(|_, call| keep(call));
        self.trim();
    }

    /// Takes every call out; the ids go on from where they were.
    pub(super) fn drain(&mut self) -> impl Iterator<Item = T> + use<T> {
        self.first = self.end();
        self.in_window = 0;
        let slots = std::mem::take(&mut self.slots);
        let stragglers = std::mem::take(&mut self.stragglers);
        slots.into_iter().flatten().chain(stragglers.into_values())
    }

    /// The id after the window's last.
    fn end(&self) -> i32 {
        // `slots.len()` stays below `limit`, far below 2^31.
        self.first.wrapping_add(self.slots.len() as i32)
    }

    /// Drops the holes at the window's start.
    fn trim(&mut self) {
        while let Some(None) = self.slots.front() {
            self.slots.pop_front();
            self.first = self.first.wrapping_add(1);
        }
    }

    /// Drops the calls whose callers are gone, then moves the oldest calls still waited for
    /// beside the window until it spans half its limit. Each sweep leaves room for
    /// `limit / 2` more calls before the next, so the cost per call stays constant.
    fn sweep(&mut self, gone: impl Fn(&T) -> bool) {
        self.retain(|call| !gone(call));
        while self.slots.len() > self.limit / 2 {
            if let Some(Some(call)) = self.slots.pop_front() {
                self.in_window -= 1;
                self.stragglers.insert(self.first, call);
            }
            self.first = self.first.wrapping_add(1);
            self.trim();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A call that is never gone.
    fn live(_: &u32) -> bool {
        false
    }

    fn insert(window: &mut SeqidWindow<u32>, call: u32) -> i32 {
        let id = window.next_id(live);
        window.insert(call);
        id
    }

    #[test]
    fn ids_follow_each_other_and_replies_match_in_any_order() {
        let mut window = SeqidWindow::new(1, 4);
        let ids: Vec<i32> = (10..14).map(|call| insert(&mut window, call)).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
        assert_eq!(window.len(), 4);
        assert_eq!(window.remove(3), Some(12));
        assert_eq!(window.remove(3), None, "a duplicate reply");
        assert_eq!(window.remove(1), Some(10));
        assert_eq!(window.remove(99), None, "an unknown id");
        assert_eq!(window.remove(-5), None, "an id before the window");
        assert_eq!(window.remove(4), Some(13));
        assert_eq!(window.remove(2), Some(11));
        assert!(window.is_empty());
        assert!(window.slots.is_empty(), "no holes are kept");
        assert_eq!(insert(&mut window, 14), 5);
    }

    #[test]
    fn skipped_ids_are_not_waited_for() {
        let mut window = SeqidWindow::new(1, 4);
        assert_eq!(window.next_id(live), 1);
        window.skip();
        assert_eq!(insert(&mut window, 10), 2);
        assert_eq!(window.next_id(live), 3);
        window.skip();
        assert_eq!(window.remove(3), None);
        assert_eq!(window.remove(2), Some(10));
        assert_eq!(insert(&mut window, 11), 4);
    }

    #[test]
    fn ids_wrap_around_at_i32_max() {
        let mut window = SeqidWindow::new(i32::MAX - 1, 8);
        let ids: Vec<i32> = (0..4).map(|call| insert(&mut window, call)).collect();
        assert_eq!(ids, [i32::MAX - 1, i32::MAX, i32::MIN, i32::MIN + 1]);
        assert_eq!(window.remove(i32::MIN), Some(2));
        assert_eq!(window.remove(i32::MAX), Some(1));
        assert_eq!(window.remove(i32::MAX - 1), Some(0));
        assert_eq!(window.remove(i32::MIN + 1), Some(3));
        assert!(window.is_empty());
        assert_eq!(window.next_id(live), i32::MIN + 2);
    }

    #[test]
    fn calls_whose_callers_are_gone_are_dropped_when_the_window_is_full() {
        let mut window = SeqidWindow::new(1, 2);
        // Four calls, given up by their callers (the ones under 100), never answered.
        for call in 0..4 {
            insert(&mut window, call);
        }
        assert_eq!(window.len(), 4);
        let id = window.next_id(|call| *call < 100);
        window.insert(100);
        assert_eq!(id, 5);
        assert_eq!(window.len(), 1);
        assert_eq!(window.slots.len(), 1);
        assert_eq!(window.remove(2), None, "a late reply to a dropped call");
        assert_eq!(window.remove(5), Some(100));
    }

    #[test]
    fn a_call_never_answered_does_not_grow_the_window() {
        let carried = 4;
        let mut window = SeqidWindow::new(1, carried);
        let stuck = insert(&mut window, 7);
        // A million calls answered in order behind the one never answered.
        for call in 0..1_000_000 {
            let id = insert(&mut window, call);
            assert_eq!(window.remove(id), Some(call));
            assert!(window.slots.len() <= 2 * carried);
        }
        assert_eq!(window.len(), 1);
        assert_eq!(window.stragglers.len(), 1);
        // Its reply can still come.
        assert_eq!(window.remove(stuck), Some(7));
        assert!(window.is_empty());
    }

    #[test]
    fn ids_held_by_stragglers_are_skipped_after_wrapping_around() {
        let mut window = SeqidWindow::new(1, 1);
        let stuck = insert(&mut window, 7);
        let id = insert(&mut window, 8);
        assert_eq!(window.remove(id), Some(8));
        // The window is full: the next id sweeps it, and the stuck call moves beside it.
        assert_eq!(window.next_id(live), 3);
        assert_eq!(window.stragglers.len(), 1);
        assert!(window.slots.is_empty());
        // 2^32 - 3 ids later, the ids come round to the stuck call's.
        window.first = stuck.wrapping_sub(1);
        assert_eq!(insert(&mut window, 9), 0);
        assert_eq!(insert(&mut window, 10), 2, "the stuck call's id is skipped");
        assert_eq!(window.remove(stuck), Some(7));
        assert_eq!(window.remove(2), Some(10));
        assert_eq!(window.remove(0), Some(9));
        assert!(window.is_empty());
    }

    #[test]
    fn draining_takes_every_call_and_the_ids_go_on() {
        let mut window = SeqidWindow::new(1, 1);
        for call in 0..5 {
            insert(&mut window, call);
        }
        window.remove(4);
        let mut drained: Vec<u32> = window.drain().collect();
        drained.sort_unstable();
        assert_eq!(drained, [0, 1, 2, 4]);
        assert!(window.is_empty());
        assert_eq!(window.next_id(live), 6);
    }

    #[test]
    fn retain_keeps_only_what_it_is_told() {
        let mut window = SeqidWindow::new(1, 8);
        for call in 0..6 {
            insert(&mut window, call);
        }
        window.retain(|call| *call % 2 == 1);
        assert_eq!(window.len(), 3);
        assert_eq!(window.slots.len(), 5, "the hole at the start is dropped");
        assert_eq!(window.remove(1), None);
        assert_eq!(window.remove(2), Some(1));
        assert_eq!(window.slots.len(), 3);
    }
}
