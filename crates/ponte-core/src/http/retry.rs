//! Whether to try a request again, and when: a pure function, tested as a table.
//!
//! Never retry a 4xx other than 429: stock validation or a bad document stays wrong until the
//! merchant acts. A 429 is retried after what the service asks (`Retry-After`, Nuvemshop's
//! `X-Rate-Limit-Reset` in milliseconds). A write that may have reached the service (a 5xx, a
//! timeout, a cut connection) is not sent again here: the engine looks it up before retrying.

use std::time::Duration;

use reqwest::header::HeaderMap;

pub const MAX_ATTEMPTS: u32 = 4;
const MAX_WAIT: Duration = Duration::from_secs(30);

#[derive(Clone, Copy, Debug)]
pub enum Outcome<'a> {
    Answered {
        status: u16,
        headers: &'a HeaderMap,
    },
    /// The connection was never made: the request did not reach the service.
    ConnectFailed,
    TimedOut,
    /// The connection broke mid-way: the request may or may not have taken effect.
    Broken,
}

impl Outcome<'_> {
    pub fn describe(&self) -> &'static str {
        match self {
            Outcome::Answered { .. } => "answered",
            Outcome::ConnectFailed => "connection refused",
            Outcome::TimedOut => "timed out",
            Outcome::Broken => "connection closed without an answer",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Hand the answer back.
    Accept,
    RetryAfter(Duration),
    /// Stop: hand back the last answer, or report the service unreachable.
    GiveUp,
}

/// 0.5 s, 1 s, 2 s, … capped at 8 s.
pub fn backoff(attempt: u32) -> Duration {
    let exponent = attempt.saturating_sub(1).min(4);
    Duration::from_millis(500 * (1 << exponent))
}

/// What the service asked for: `Retry-After` (seconds) or `X-Rate-Limit-Reset` (milliseconds).
pub fn requested_wait(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    number("retry-after")
        .map(Duration::from_secs)
        .or_else(|| number("x-rate-limit-reset").map(Duration::from_millis))
}

pub fn decide(attempt: u32, outcome: Outcome<'_>, idempotent: bool) -> Decision {
    let last = attempt >= MAX_ATTEMPTS;
    match outcome {
        Outcome::Answered {
            status: 429,
            headers,
        } => {
            if last {
                Decision::GiveUp
            } else {
                let wait = requested_wait(headers).unwrap_or_else(|| backoff(attempt));
                Decision::RetryAfter(wait.clamp(Duration::from_millis(100), MAX_WAIT))
            }
        }
        Outcome::Answered { status, .. } if status >= 500 => {
            if idempotent && !last {
                Decision::RetryAfter(backoff(attempt))
            } else {
                Decision::GiveUp
            }
        }
        Outcome::Answered { .. } => Decision::Accept,
        Outcome::ConnectFailed if !last => Decision::RetryAfter(backoff(attempt)),
        Outcome::TimedOut | Outcome::Broken if idempotent && !last => {
            Decision::RetryAfter(backoff(attempt))
        }
        _ => Decision::GiveUp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn the_retry_table() {
        let none = headers(&[]);
        let reset = headers(&[("x-rate-limit-reset", "1500")]);
        let retry_after = headers(&[("retry-after", "3"), ("x-rate-limit-reset", "1500")]);
        let answered = |status, headers| Outcome::Answered { status, headers };
        let table: Vec<(u32, Outcome, bool, Decision)> = vec![
            (1, answered(200, &none), false, Decision::Accept),
            (1, answered(201, &none), false, Decision::Accept),
            (1, answered(400, &none), true, Decision::Accept),
            (1, answered(401, &none), true, Decision::Accept),
            (1, answered(404, &none), true, Decision::Accept),
            (1, answered(422, &none), true, Decision::Accept),
            (
                1,
                answered(429, &reset),
                false,
                Decision::RetryAfter(Duration::from_millis(1500)),
            ),
            (
                1,
                answered(429, &retry_after),
                false,
                Decision::RetryAfter(Duration::from_secs(3)),
            ),
            (
                2,
                answered(429, &none),
                false,
                Decision::RetryAfter(Duration::from_secs(1)),
            ),
            (MAX_ATTEMPTS, answered(429, &reset), true, Decision::GiveUp),
            (
                1,
                answered(500, &none),
                true,
                Decision::RetryAfter(Duration::from_millis(500)),
            ),
            (
                3,
                answered(503, &none),
                true,
                Decision::RetryAfter(Duration::from_secs(2)),
            ),
            (1, answered(500, &none), false, Decision::GiveUp),
            (MAX_ATTEMPTS, answered(502, &none), true, Decision::GiveUp),
            (
                1,
                Outcome::ConnectFailed,
                false,
                Decision::RetryAfter(Duration::from_millis(500)),
            ),
            (
                1,
                Outcome::TimedOut,
                true,
                Decision::RetryAfter(Duration::from_millis(500)),
            ),
            (1, Outcome::TimedOut, false, Decision::GiveUp),
            (1, Outcome::Broken, false, Decision::GiveUp),
            (MAX_ATTEMPTS, Outcome::ConnectFailed, true, Decision::GiveUp),
        ];
        for (attempt, outcome, idempotent, expected) in table {
            assert_eq!(
                decide(attempt, outcome, idempotent),
                expected,
                "{attempt} {outcome:?} {idempotent}"
            );
        }
    }

    #[test]
    fn a_long_reset_is_capped() {
        let long = headers(&[("x-rate-limit-reset", "600000")]);
        assert_eq!(
            decide(
                1,
                Outcome::Answered {
                    status: 429,
                    headers: &long
                },
                true
            ),
            Decision::RetryAfter(MAX_WAIT)
        );
    }
}
