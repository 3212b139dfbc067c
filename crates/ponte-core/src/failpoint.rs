//! Crash points for the recovery tests. Without the `fail-points` feature they compile to
//! nothing; with it, a test arms one by name and the engine stops right there, as if the
//! process had been killed between two API calls.

#[cfg(feature = "fail-points")]
mod armed {
    use std::collections::HashSet;
    use std::sync::Mutex;

    static ARMED: Mutex<Option<HashSet<String>>> = Mutex::new(None);

    pub fn arm(name: &str) {
        let mut armed = ARMED.lock().unwrap_or_else(|p| p.into_inner());
        armed
            .get_or_insert_with(HashSet::new)
            .insert(name.to_string());
    }

    pub fn disarm_all() {
        *ARMED.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// True once for an armed point: it disarms itself when it fires.
    pub fn fires(name: &str) -> bool {
        let mut armed = ARMED.lock().unwrap_or_else(|p| p.into_inner());
        armed.as_mut().is_some_and(|set| set.remove(name))
    }
}

#[cfg(feature = "fail-points")]
pub use armed::{arm, disarm_all};

/// Returns `Err(Error::SimulatedCrash)` when the point is armed (test builds only).
macro_rules! fail_point {
    ($name:literal) => {
        #[cfg(feature = "fail-points")]
        if $crate::failpoint::fires_internal($name) {
            return Err($crate::error::Error::SimulatedCrash($name));
        }
    };
}
pub(crate) use fail_point;

#[cfg(feature = "fail-points")]
pub(crate) fn fires_internal(name: &str) -> bool {
    armed::fires(name)
}
