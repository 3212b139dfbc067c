//! Per-address rate limits: claims and pairing codes are what a guesser would hammer.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::time::Duration;

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::Rate;

pub struct Limiter(DefaultKeyedRateLimiter<IpAddr>);

impl Limiter {
    pub fn new(rate: Rate) -> Limiter {
        let per_minute = NonZeroU32::new(rate.per_minute.max(1)).expect("at least one");
        let burst = NonZeroU32::new(rate.burst.max(1)).expect("at least one");
        Limiter(RateLimiter::keyed(
            Quota::per_minute(per_minute).allow_burst(burst),
        ))
    }

    /// `Err(wait)` when this address must wait before its next request.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        self.0
            .check_key(&address)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses that have been quiet long enough to be full again.
    pub fn tidy(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }
}

/// The client's address: the peer, or behind a trusted proxy the last `X-Forwarded-For` entry
/// (the one the proxy added; earlier ones are whatever the client wrote).
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trust_forwarded_for: bool) -> IpAddr {
    if trust_forwarded_for {
        if let Some(address) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .next_back()
        {
            return address;
        }
    }
    peer.ip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_past_its_burst_waits_and_others_do_not() {
        let limiter = Limiter::new(Rate {
            per_minute: 6,
            burst: 2,
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(a).is_ok());
        assert!(limiter.check(a).is_ok());
        let wait = limiter.check(a).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(10));
        assert!(limiter.check(b).is_ok());
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.1.1.1, 2.2.2.2".parse().unwrap());
        assert_eq!(
            client_address(peer, &headers, false).to_string(),
            "10.0.0.9"
        );
        assert_eq!(client_address(peer, &headers, true).to_string(), "2.2.2.2");
    }
}
