//! Wakes the long polls of one store when an event of that store is queued, and no other: a
//! webhook costs one store's readers a read, whatever the number of stores waiting.
//!
//! A store's bell exists while someone waits on it: the last waiter to leave removes it, so the
//! map holds the stores with a long poll open, never every store ever seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

#[derive(Default)]
pub struct Wakeups {
    bells: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

/// One waiter's hold on its store's bell; leaving gives it back.
pub struct Bell {
    store: String,
    notify: Arc<Notify>,
    bells: Arc<Mutex<HashMap<String, Arc<Notify>>>>,
}

impl Wakeups {
    /// The bell of `store`, rung by [`Wakeups::ring`]. Create its `notified()` before reading
    /// the store's events: an event queued in between still wakes the waiter.
    pub fn bell(&self, store: &str) -> Bell {
        let mut bells = self.bells.lock().unwrap_or_else(|p| p.into_inner());
        let notify = bells.entry(store.to_string()).or_default().clone();
        Bell {
            store: store.to_string(),
            notify,
            bells: self.bells.clone(),
        }
    }

    /// Wakes every long poll waiting on `store`; nothing when none waits.
    pub fn ring(&self, store: &str) {
        let bells = self.bells.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(notify) = bells.get(store) {
            notify.notify_waiters();
        }
    }

    /// Wakes every long poll: events may have gone unheard (another instance's, while the
    /// connection that hears of them was down).
    pub fn ring_all(&self) {
        let bells = self.bells.lock().unwrap_or_else(|p| p.into_inner());
        for notify in bells.values() {
            notify.notify_waiters();
        }
    }

    /// How many stores have a long poll waiting (for `/metrics` and the tests).
    pub fn stores_waiting(&self) -> usize {
        self.bells.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Bell {
    pub fn notified(&self) -> tokio::sync::futures::Notified<'_> {
        self.notify.notified()
    }
}

impl Drop for Bell {
    fn drop(&mut self) {
        let mut bells = self.bells.lock().unwrap_or_else(|p| p.into_inner());
        // Two holders: the map's and this one. Counted under the lock, where bells are handed out.
        if Arc::strong_count(&self.notify) == 2 {
            bells.remove(&self.store);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_store_rings_its_own_waiters_only() {
        let wakeups = Wakeups::default();
        let a = wakeups.bell("a");
        let b = wakeups.bell("b");
        let (woken_a, woken_b) = (a.notified(), b.notified());
        wakeups.ring("a");
        tokio::time::timeout(Duration::from_secs(1), woken_a)
            .await
            .expect("a's waiter woken");
        assert!(
            tokio::time::timeout(Duration::from_millis(100), woken_b)
                .await
                .is_err(),
            "b's waiter sleeps on"
        );
    }

    #[tokio::test]
    async fn a_ring_between_registering_and_waiting_is_not_lost() {
        let wakeups = Wakeups::default();
        let bell = wakeups.bell("a");
        let woken = bell.notified();
        wakeups.ring("a"); // while the waiter reads the database
        tokio::time::timeout(Duration::from_secs(1), woken)
            .await
            .expect("woken");
    }

    #[test]
    fn the_last_waiter_to_leave_removes_the_bell() {
        let wakeups = Wakeups::default();
        let first = wakeups.bell("a");
        let second = wakeups.bell("a");
        assert_eq!(wakeups.stores_waiting(), 1);
        drop(first);
        assert_eq!(wakeups.stores_waiting(), 1, "one still waits");
        drop(second);
        assert_eq!(wakeups.stores_waiting(), 0);
        wakeups.ring("a"); // nobody: nothing kept
        assert_eq!(wakeups.stores_waiting(), 0);
    }
}
