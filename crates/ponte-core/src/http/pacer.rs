//! Pacing under a service's rate limit, so that 429s are the exception (governor's GCRA).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

/// How far under Conta Azul's windows requests are paced.
const WINDOW_MARGIN: f64 = 0.03;

pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
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
            queue: tokio::sync::Mutex::new(()),
        }
    }

    /// Conta Azul's sliding windows (per second and per minute): one request every period,
    /// without bursts, never exceeds either window.
    pub fn windows(per_second: u32, per_minute: u32) -> Self {
        let by_second = Duration::from_secs(1) / per_second.max(1);
        let by_minute = Duration::from_secs(60) / per_minute.max(1);
        // A little under the limit: requests that leave evenly spaced may arrive closer
        // together, and a 429 costs more (its Retry-After) than the margin.
        let period = by_second.max(by_minute).mul_f64(1.0 + WINDOW_MARGIN);
        let quota =
            Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Pacer {
            limiter: RateLimiter::direct(quota.allow_burst(NonZeroU32::MIN)),
            queue: tokio::sync::Mutex::new(()),
        }
    }

    pub async fn wait(&self) {
        let _turn = self.queue.lock().await;
        self.limiter.until_ready().await;
    }
}
