//! Pacing under a service's rate limit, so that 429s are the exception (governor's GCRA).

use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
}

impl Pacer {
    /// Nuvemshop's leaky bucket: `burst` requests at once, then `per_second`.
    pub fn leaky_bucket(burst: u32, per_second: u32) -> Self {
        let per_second = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Pacer {
            limiter: RateLimiter::direct(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    /// Conta Azul's sliding windows (per second and per minute): one request every period,
    /// without bursts, never exceeds either window.
    pub fn windows(per_second: u32, per_minute: u32) -> Self {
        let by_second = Duration::from_secs(1) / per_second.max(1);
        let by_minute = Duration::from_secs(60) / per_minute.max(1);
        let period = by_second.max(by_minute);
        let quota =
            Quota::with_period(period).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN));
        Pacer {
            limiter: RateLimiter::direct(quota.allow_burst(NonZeroU32::MIN)),
        }
    }

    pub async fn wait(&self) {
        self.limiter.until_ready().await;
    }
}
