//! Conta Azul (the current API on api-v2): OAuth tokens that rotate, and the API client.

pub mod assumptions;
mod auth;
mod client;
pub mod wire;

pub use auth::{ContaAzulAuth, StoredTokens};
pub use client::{ContaAzulClient, CATALOGUE_PAGE_SIZE, CONTAAZUL_SCHEDULE};
