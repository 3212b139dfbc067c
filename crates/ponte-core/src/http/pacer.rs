//! Pacing under a service's rate limit, so that 429s are the exception (governor's GCRA).
//!
//! Conta Azul's limits (10 calls a second, 600 a minute) are the connected account's, not a
//! process's: the window, `ponte backfill` and `ponte reconcile` run side by side on one data
//! directory. Its pacer therefore hands out slots from a small file in the data directory, under
//! the OS's lock, so that every Ponte process on that directory takes its turn from one
//! schedule; within a process, requests still queue in the order they asked.

use std::fs::OpenOptions;
use std::io::Write;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How far under Conta Azul's windows requests are paced: requests that leave evenly spaced
/// arrive bunched by the network and by the scheduling of several processes (3 % let one call
/// in forty through to a 429 with two processes under Windows' emulation here; 8 % none).
const WINDOW_MARGIN: f64 = 0.08;
/// A next slot further ahead than this is not a queue of Ponte processes (each has one request
/// at the file at a time) but a clock set back, or a damaged file: the schedule starts again.
const MAX_AHEAD: Duration = Duration::from_secs(10);

pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
    /// The schedule shared with the other processes on the data directory, when there is one.
    shared: Option<SharedSlots>,
    /// Requests leave in the order they asked for a slot (tokio's mutex is fair): the sales of
    /// a pass reach Conta Azul in the order of their numbers, and no order in flight is
    /// starved by the others.
    queue: tokio::sync::Mutex<()>,
}

impl Pacer {
    /// Nuvemshop's leaky bucket: `burst` requests at once, then `per_second`.
    pub fn leaky_bucket(burst: u32, per_second: u32) -> Self {
        let per_second = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
            shared: None,
            queue: tokio::sync::Mutex::new(()),
        }
    }

    /// Conta Azul's sliding windows (per second and per minute): one request every period,
    /// without bursts, never exceeds either window. With `schedule` (a file in the data
    /// directory) the period is kept across every process that uses the same file.
    pub fn windows(per_second: u32, per_minute: u32, schedule: Option<PathBuf>) -> Self {
        let by_second = Duration::from_secs(1) / per_second.max(1);
        let by_minute = Duration::from_secs(60) / per_minute.max(1);
        // A little under the limit: requests that leave evenly spaced may arrive closer
        // together, and a 429 costs more (its Retry-After) than the margin.
        let period = by_second.max(by_minute).mul_f64(1.0 + WINDOW_MARGIN);
        let quota =
            Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Pacer {
            limiter: RateLimiter::direct(quota.allow_burst(NonZeroU32::MIN)),
            shared: schedule.map(|path| SharedSlots { path, period }),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    pub async fn wait(&self) {
        let _turn = self.queue.lock().await;
        if let Some(shared) = &self.shared {
            match shared.take() {
                Ok(slot) => {
                    if let Ok(ahead) = slot.duration_since(SystemTime::now()) {
                        tokio::time::sleep(ahead).await;
                    }
                    return;
                }
                // The file cannot be used (a read-only directory): this process paces alone.
                Err(error) => tracing::debug!(%error, "shared pacing unavailable"),
            }
        }
        self.limiter.until_ready().await;
    }
}

/// One schedule for every process: the file holds the next free moment (microseconds since
/// the epoch, as text); taking a slot moves it one period on.
struct SharedSlots {
    path: PathBuf,
    period: Duration,
}

impl SharedSlots {
    /// The moment this request may leave. The schedule is read and written under a lock held
    /// on a file of its own (`….lock`), so that the schedule's file is never read or written
    /// through a locked region (Windows locks are mandatory). The wait itself happens outside
    /// the lock.
    fn take(&self) -> std::io::Result<SystemTime> {
        let lock = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(self.path.with_extension("lock"))?;
        lock.lock()?;
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(error) => return Err(error),
        };
        let now = SystemTime::now();
        let next = text
            .trim()
            .parse::<u64>()
            .ok()
            .map(|micros| UNIX_EPOCH + Duration::from_micros(micros))
            .filter(|next| *next <= now + MAX_AHEAD)
            .unwrap_or(now);
        let slot = next.max(now);
        // Rounded up to the microsecond: never a hair earlier than a full period on.
        let following = (slot + self.period)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos()
            .div_ceil(1_000);
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&self.path)?;
        file.write_all(following.to_string().as_bytes())?;
        // Released by closing the lock file, as `lock::RefreshLock` is: an explicit unlock is
        // refused on Windows' emulation here (ERROR_LOCK_VIOLATION), a close never is.
        drop(lock);
        Ok(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_from_one_file_are_a_period_apart_whoever_takes_them() {
        let dir = tempfile::tempdir().unwrap();
        let slots = |period| SharedSlots {
            path: dir.path().join("pace"),
            period,
        };
        // Two processes' pacers are two values over the same file.
        let (first, second) = (
            slots(Duration::from_millis(100)),
            slots(Duration::from_millis(100)),
        );
        let taken: Vec<SystemTime> = (0..6)
            .map(|i| if i % 2 == 0 { &first } else { &second }.take().unwrap())
            .collect();
        for pair in taken.windows(2) {
            let gap = pair[1].duration_since(pair[0]).unwrap();
            assert!(gap >= Duration::from_millis(100), "{gap:?}");
        }
    }

    #[test]
    fn a_schedule_far_ahead_starts_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pace");
        let far = SystemTime::now() + Duration::from_secs(3600);
        let micros = far.duration_since(UNIX_EPOCH).unwrap().as_micros();
        std::fs::write(&path, micros.to_string()).unwrap();
        let slots = SharedSlots {
            path,
            period: Duration::from_millis(100),
        };
        let slot = slots.take().unwrap();
        assert!(slot <= SystemTime::now() + Duration::from_secs(1));
        std::fs::write(&slots.path, "garbage").unwrap();
        assert!(slots.take().unwrap() <= SystemTime::now() + Duration::from_secs(1));
    }
}
