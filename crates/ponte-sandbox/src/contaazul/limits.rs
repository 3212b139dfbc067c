//! Conta Azul's limits per connected account: requests per second and per minute.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

pub(crate) struct WindowLimiter {
    per_second: u32,
    per_minute: u32,
    admitted: VecDeque<Instant>,
    /// Requests answered 429 so far.
    refused: u64,
}

impl WindowLimiter {
    pub fn new(per_second: u32, per_minute: u32) -> Self {
        WindowLimiter {
            per_second,
            per_minute,
            admitted: VecDeque::new(),
            refused: 0,
        }
    }

    /// Counts the request if both windows have room; refused requests do not count.
    pub fn admit(&mut self) -> bool {
        self.admit_at(Instant::now())
    }

    fn admit_at(&mut self, now: Instant) -> bool {
        let minute_ago = now.checked_sub(Duration::from_secs(60));
        while let (Some(first), Some(limit)) = (self.admitted.front(), minute_ago) {
            if *first <= limit {
                self.admitted.pop_front();
            } else {
                break;
            }
        }
        let second_ago = now.checked_sub(Duration::from_secs(1));
        let last_second = self
            .admitted
            .iter()
            .rev()
            .take_while(|at| second_ago.is_none_or(|limit| **at > limit))
            .count();
        if last_second >= self.per_second as usize
            || self.admitted.len() >= self.per_minute as usize
        {
            self.refused += 1;
            return false;
        }
        self.admitted.push_back(now);
        true
    }

    pub fn reset(&mut self) {
        self.admitted.clear();
        self.refused = 0;
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_per_second_and_six_hundred_per_minute() {
        let mut limiter = WindowLimiter::new(10, 600);
        let start = Instant::now();
        for _ in 0..10 {
            assert!(limiter.admit_at(start));
        }
        assert!(!limiter.admit_at(start), "11th in the same second");
        // Spread the rest of the minute's budget over the next 59 seconds.
        let mut admitted = 10;
        for second in 1..60 {
            let at = start + Duration::from_secs(second);
            while limiter.admit_at(at) {
                admitted += 1;
            }
        }
        assert_eq!(admitted, 600);
        assert!(!limiter.admit_at(start + Duration::from_millis(59_999)));
        assert!(
            limiter.admit_at(start + Duration::from_secs(61)),
            "the first second has left the window"
        );
    }
}
