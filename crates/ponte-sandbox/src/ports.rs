//! Ports that must be known before their server starts (the redirect registered with the
//! simulated services, a broker's listen address). Asking the OS for port 0 and closing it
//! races every socket opened meanwhile — outgoing connections take their local ports from the
//! same ephemeral range, so under parallel tests the port was sometimes taken by the time it
//! was bound. These come from below that range (Linux's starts at 32768, Windows' and macOS'
//! at 49152), which the OS never hands out on its own.

use std::sync::atomic::{AtomicU32, Ordering};

const FIRST: u32 = 20_000;
const SPAN: u32 = 12_000;
/// Coprime with `SPAN`: successive ports walk the whole span before any repeats.
const STRIDE: u32 = 97;

static TAKEN: AtomicU32 = AtomicU32::new(0);

/// A loopback port free now, different from every other this process asked for, and outside
/// the range the OS assigns by itself. Processes start at different places (their id).
pub fn free_loopback_port() -> u16 {
    let start = std::process::id() % SPAN;
    for _ in 0..SPAN {
        let turn = TAKEN.fetch_add(1, Ordering::Relaxed);
        let port = FIRST + (start + turn.wrapping_mul(STRIDE)) % SPAN;
        let port = u16::try_from(port).unwrap_or(u16::MAX);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free loopback port between {FIRST} and {}", FIRST + SPAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_free_distinct_and_below_the_ephemeral_range() {
        let ports: Vec<u16> = (0..50).map(|_| free_loopback_port()).collect();
        let mut distinct = ports.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), ports.len());
        assert!(ports.iter().all(|&port| (20_000..32_000).contains(&port)));
    }
}
