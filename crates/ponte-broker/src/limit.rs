//! What keeps one caller from making the broker work for it: rates per client address (an IPv6
//! client counted by its /64), per installation and for everyone together, a budget of wrong
//! pairing codes, and a cap on the calls carrying a secret that are in flight at once.

use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Rate, TrustedProxies};

fn quota(rate: Rate) -> Quota {
    let per_minute = NonZeroU32::new(rate.per_minute.max(1)).expect("at least one");
    let burst = NonZeroU32::new(rate.burst.max(1)).expect("at least one");
    Quota::per_minute(per_minute).allow_burst(burst)
}

fn wait_from(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> Duration {
    not_until.wait_time_from(DefaultClock::default().now())
}

/// A rate per key (a client's address, an installation).
pub struct Limiter<K: Hash + Eq + Clone>(DefaultKeyedRateLimiter<K>);

impl<K: Hash + Eq + Clone> Limiter<K> {
    pub fn new(rate: Rate) -> Limiter<K> {
        Limiter(RateLimiter::keyed(quota(rate)))
    }

    /// `count` a key per hour, all at once if it has been quiet.
    pub fn per_hour(count: u32) -> Limiter<K> {
        let count = NonZeroU32::new(count.max(1)).expect("at least one");
        Limiter(RateLimiter::keyed(
            Quota::per_hour(count).allow_burst(count),
        ))
    }

    /// `Err(wait)` when this key must wait before its next request.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.0.check_key(key).map_err(wait_from)
    }

    /// Forgets keys that have been quiet long enough to be full again.
    pub fn tidy(&self) {
        self.0.retain_recent();
        self.0.shrink_to_fit();
    }
}

/// A rate shared by every caller.
pub struct Global(DefaultDirectRateLimiter);

impl Global {
    pub fn new(rate: Rate) -> Global {
        Global(RateLimiter::direct(quota(rate)))
    }

    pub fn check(&self) -> Result<(), Duration> {
        self.0.check().map_err(wait_from)
    }
}

/// A per-address rate and a global one, both spent by each request that passes.
pub struct PerCallerAndGlobal {
    per_address: Limiter<IpAddr>,
    global: Global,
}

impl PerCallerAndGlobal {
    pub fn new(per_address: Rate, global: Rate) -> PerCallerAndGlobal {
        PerCallerAndGlobal {
            per_address: Limiter::new(per_address),
            global: Global::new(global),
        }
    }

    /// The address first: one noisy client does not spend everyone's share.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        self.per_address.check(&address)?;
        self.global.check()
    }

    pub fn tidy(&self) {
        self.per_address.tidy();
    }
}

/// Wrong pairing codes from everyone together. Each failure spends one; once the hour's
/// budget is spent, pairing pauses for everyone until it refills, and the log says so loudly:
/// per-address limits alone do not stop a guesser with many addresses.
pub struct FailureBudget {
    failures: Global,
    closed_until: Mutex<Option<Instant>>,
}

impl FailureBudget {
    pub fn per_hour(failures: u32) -> FailureBudget {
        let failures = NonZeroU32::new(failures.max(1)).expect("at least one");
        FailureBudget {
            failures: Global(RateLimiter::direct(
                Quota::per_hour(failures).allow_burst(failures),
            )),
            closed_until: Mutex::new(None),
        }
    }

    /// `Err(wait)` while the budget is spent.
    pub fn check(&self) -> Result<(), Duration> {
        let closed = self.closed_until.lock().unwrap_or_else(|p| p.into_inner());
        match *closed {
            Some(until) if until > Instant::now() => Err(until - Instant::now()),
            _ => Ok(()),
        }
    }

    pub fn failed(&self) {
        if let Err(wait) = self.failures.check() {
            let mut closed = self.closed_until.lock().unwrap_or_else(|p| p.into_inner());
            let already = closed.is_some_and(|until| until > Instant::now());
            *closed = Some(Instant::now() + wait.max(Duration::from_secs(1)));
            if !already {
                tracing::error!(
                    alert = "pairing_guessing",
                    wait_seconds = wait.as_secs(),
                    "ALERT: the hour's budget of wrong pairing codes is spent; pairing is paused \
                     for everyone. Someone may be guessing codes."
                );
            }
        }
    }
}

/// Calls to the services that carry a secret, in flight at once.
pub struct Outbound(tokio::sync::Semaphore);

/// How long a request waits for a free outbound slot before it is told to come back later.
const OUTBOUND_WAIT: Duration = Duration::from_secs(3);

impl Outbound {
    pub fn new(in_flight: usize) -> Outbound {
        Outbound(tokio::sync::Semaphore::new(in_flight.max(1)))
    }

    /// A slot, or `Err(retry after)` when all stay busy for a few seconds.
    pub async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, Duration> {
        match tokio::time::timeout(OUTBOUND_WAIT, self.0.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(Duration::from_secs(5)),
        }
    }
}

/// Every limit a request may meet, built from the configuration once.
pub struct Guards {
    pub claim: Limiter<IpAddr>,
    pub start: PerCallerAndGlobal,
    pub refresh: PerCallerAndGlobal,
    pub refresh_per_installation: Limiter<String>,
    pub install: PerCallerAndGlobal,
    pub pairing_failures: FailureBudget,
    /// Unsigned LGPD requests kept, per store.
    pub unsigned_lgpd: Limiter<String>,
    pub outbound: Outbound,
}

impl Guards {
    pub fn new(limits: &crate::config::Limits) -> Guards {
        Guards {
            claim: Limiter::new(limits.claim),
            start: PerCallerAndGlobal::new(limits.start, limits.start_global),
            refresh: PerCallerAndGlobal::new(limits.refresh, limits.refresh_global),
            refresh_per_installation: Limiter::new(limits.refresh_per_installation),
            install: PerCallerAndGlobal::new(limits.install, limits.install_global),
            pairing_failures: FailureBudget::per_hour(limits.pairing_failures_per_hour),
            unsigned_lgpd: Limiter::per_hour(limits.unsigned_lgpd_per_store_per_hour),
            outbound: Outbound::new(limits.outbound_in_flight),
        }
    }

    pub fn tidy(&self) {
        self.claim.tidy();
        self.start.tidy();
        self.refresh.tidy();
        self.refresh_per_installation.tidy();
        self.install.tidy();
        self.unsigned_lgpd.tidy();
    }
}

fn forwarded_for(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect()
}

/// An `X-Forwarded-For` entry: an address, maybe bracketed or with a port.
fn entry_address(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

/// The client's address: the peer, or behind trusted proxies the entry they vouch for.
pub fn client_address(peer: SocketAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = peer.ip();
    match trusted {
        TrustedProxies::None => peer,
        TrustedProxies::Hops(hops) => {
            let entries = forwarded_for(headers);
            // Fewer entries than proxies: the request skipped one; count it as the proxy's.
            entries
                .len()
                .checked_sub(*hops)
                .and_then(|index| entry_address(entries[index]))
                .unwrap_or(peer)
        }
        TrustedProxies::Ranges(ranges) => {
            let trusted = |ip: &IpAddr| ranges.iter().any(|range| range.contains(ip));
            if !trusted(&peer) {
                return peer;
            }
            let mut nearest = peer;
            for entry in forwarded_for(headers).into_iter().rev() {
                match entry_address(entry) {
                    Some(ip) if trusted(&ip) => nearest = ip,
                    Some(ip) => return ip,
                    // Garbage a client wrote: the last trusted hop is all that is known.
                    None => return nearest,
                }
            }
            nearest
        }
    }
}

/// What a per-address limit counts: an IPv4 address, or an IPv6 client's /64 (one
/// subscriber gets at least that many addresses, so a single address says nothing).
pub fn rate_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(segments))
            }
        },
    }
}

/// The key a request's per-address limits count under.
pub fn caller(peer: SocketAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    rate_key(client_address(peer, headers, trusted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_past_its_burst_waits_and_others_do_not() {
        let limiter = Limiter::new(Rate::new(6, 2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        assert!(limiter.check(&a).is_ok());
        assert!(limiter.check(&a).is_ok());
        let wait = limiter.check(&a).unwrap_err();
        assert!(wait > Duration::from_secs(1) && wait <= Duration::from_secs(10));
        assert!(limiter.check(&b).is_ok());
    }

    #[test]
    fn the_global_rate_stops_many_addresses_together() {
        let limits = PerCallerAndGlobal::new(Rate::new(60, 5), Rate::new(6, 3));
        for n in 1..=3 {
            assert!(limits.check(format!("10.0.0.{n}").parse().unwrap()).is_ok());
        }
        assert!(limits.check("10.0.0.9".parse().unwrap()).is_err());
    }

    #[test]
    fn ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(rate_key(a), rate_key(b));
        assert_ne!(rate_key(a), rate_key(other));
        assert_eq!(rate_key(a).to_string(), "2001:db8:1:2::");
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(rate_key(mapped).to_string(), "203.0.113.9");
        let limiter = Limiter::new(Rate::new(6, 1));
        assert!(limiter.check(&rate_key(a)).is_ok());
        assert!(
            limiter.check(&rate_key(b)).is_err(),
            "a new address in the same /64 is the same client"
        );
    }

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn forwarded_addresses_count_only_as_far_as_the_proxies_are_trusted() {
        let peer: SocketAddr = "10.0.0.9:5000".parse().unwrap();
        let spoofed = headers(&["6.6.6.6, 1.1.1.1", "2.2.2.2"]);
        // Not trusted: the header is whatever the client wrote.
        assert_eq!(
            client_address(peer, &spoofed, &TrustedProxies::None).to_string(),
            "10.0.0.9"
        );
        // One proxy appended the client it saw; two proxies, the second-last.
        assert_eq!(
            client_address(peer, &spoofed, &TrustedProxies::Hops(1)).to_string(),
            "2.2.2.2"
        );
        assert_eq!(
            client_address(peer, &spoofed, &TrustedProxies::Hops(2)).to_string(),
            "1.1.1.1"
        );
        // Fewer entries than proxies: the proxy's own address, never a guess.
        assert_eq!(
            client_address(peer, &headers(&["1.1.1.1"]), &TrustedProxies::Hops(2)).to_string(),
            "10.0.0.9"
        );

        let ranges: TrustedProxies = "10.0.0.0/8, 192.168.0.0/16".parse().unwrap();
        let chain = headers(&["6.6.6.6, 203.0.113.5, 192.168.1.1"]);
        assert_eq!(
            client_address(peer, &chain, &ranges).to_string(),
            "203.0.113.5",
            "the first address outside the proxies' ranges, from the right"
        );
        let outsider: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(
            client_address(outsider, &chain, &ranges).to_string(),
            "198.51.100.7",
            "a peer outside the ranges is not a proxy: its header counts for nothing"
        );
        assert_eq!(
            client_address(peer, &headers(&["garbage, 192.168.1.1"]), &ranges).to_string(),
            "192.168.1.1"
        );
        assert_eq!(
            client_address(peer, &headers(&["[2001:db8::1]:443"]), &ranges).to_string(),
            "2001:db8::1"
        );
    }

    #[test]
    fn a_spent_pairing_budget_pauses_everyone() {
        let budget = FailureBudget::per_hour(2);
        assert!(budget.check().is_ok());
        budget.failed();
        budget.failed();
        assert!(budget.check().is_ok(), "two failures fit the budget");
        budget.failed();
        let wait = budget.check().unwrap_err();
        assert!(wait > Duration::from_secs(60), "{wait:?}");
    }
}
