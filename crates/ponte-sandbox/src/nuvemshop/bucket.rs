//! Nuvemshop's leaky bucket: up to `size` requests in a burst, draining `leak_per_second`.

use std::time::Instant;

use axum::http::{HeaderMap, HeaderValue};

pub(crate) struct LeakyBucket {
    size: f64,
    leak_per_second: f64,
    level: f64,
    updated: Instant,
}

/// What the rate-limit headers report after a request.
#[derive(Clone, Copy, Debug)]
pub(crate) struct BucketSnapshot {
    pub limit: u32,
    pub remaining: u32,
    /// Milliseconds until the bucket is empty again.
    pub reset_millis: u64,
}

impl BucketSnapshot {
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-rate-limit-limit", HeaderValue::from(self.limit));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-rate-limit-reset", HeaderValue::from(self.reset_millis));
    }
}

impl LeakyBucket {
    pub fn new(size: u32, leak_per_second: f64) -> Self {
        LeakyBucket {
            size: f64::from(size),
            leak_per_second,
            level: 0.0,
            updated: Instant::now(),
        }
    }

    fn leak(&mut self, now: Instant) {
        let elapsed = now.duration_since(self.updated).as_secs_f64();
        self.level = (self.level - elapsed * self.leak_per_second).max(0.0);
        self.updated = now;
    }

    /// Adds one request if it fits; `Err` when the bucket is full (the request gets 429).
    pub fn admit(&mut self) -> Result<BucketSnapshot, BucketSnapshot> {
        self.leak(Instant::now());
        if self.level + 1.0 <= self.size + f64::EPSILON {
            self.level += 1.0;
            Ok(self.snapshot_now())
        } else {
            Err(self.snapshot_now())
        }
    }

    pub fn snapshot(&mut self) -> BucketSnapshot {
        self.leak(Instant::now());
        self.snapshot_now()
    }

    fn snapshot_now(&self) -> BucketSnapshot {
        let reset = if self.leak_per_second > 0.0 {
            (self.level / self.leak_per_second * 1000.0).ceil() as u64
        } else {
            u64::MAX
        };
        BucketSnapshot {
            limit: self.size as u32,
            remaining: (self.size - self.level).floor().max(0.0) as u32,
            reset_millis: reset,
        }
    }

    pub fn empty(&mut self) {
        self.level = 0.0;
        self.updated = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_burst_then_refusal() {
        let mut bucket = LeakyBucket::new(40, 2.0);
        for expected_remaining in (0..40).rev() {
            let snapshot = bucket.admit().expect("fits in the burst");
            assert_eq!(snapshot.remaining, expected_remaining);
        }
        let refused = bucket.admit().expect_err("41st request overflows");
        assert_eq!(refused.remaining, 0);
        // 40 requests drain at 2/s: about 20 s until empty.
        assert!(
            (19_900..=20_000).contains(&refused.reset_millis),
            "{}",
            refused.reset_millis
        );
    }
}
