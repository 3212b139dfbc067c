//! Ponte's integration engine, with no GUI dependency: the Nuvemshop and Conta Azul clients,
//! the help article's rules as pure functions, the SQLite ledger and the sync engine that moves
//! every paid order into Conta Azul exactly once.
//!
//! The `ponte` CLI and the desktop app both drive [`App`]; neither holds logic of its own.

pub mod app;
pub mod company;
pub mod config;
pub mod contaazul;
pub mod data_dir;
pub mod error;
pub mod export;
mod failpoint;
pub mod files;
pub mod history;
pub mod http;
pub mod instant;
pub mod lock;
pub mod money;
pub mod nuvemshop;
pub mod oauth;
pub mod privacy;
pub mod problem;
pub mod profiles;
pub mod rules;
pub mod scheduler;
pub mod secrets;
pub mod store;
pub mod sync;
pub mod time;

pub use app::App;

/// FNV-1a: a small hash that stays the same across Rust releases (the standard hasher does
/// not promise to), for names that must not change: keychain entries, ledger keys.
pub(crate) fn stable_hash(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}
pub use app::connect::LINK_SCHEME;
pub use app::doctor;
pub use config::Config;
pub use error::{Error, Problem};
#[cfg(feature = "fail-points")]
pub use failpoint::{arm as arm_fail_point, disarm_all as disarm_fail_points};
