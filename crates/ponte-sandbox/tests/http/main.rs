//! The simulators over real HTTP: every documented behaviour, quirk, error and limit.

mod common;
mod contaazul_api;
mod contaazul_oauth;
mod control_and_faults;
mod nuvemshop_api;
mod nuvemshop_oauth;
