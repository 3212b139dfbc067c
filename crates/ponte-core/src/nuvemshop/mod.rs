//! Nuvemshop: the order payload, read leniently, and the API client.

pub mod client;
pub mod window;
pub mod wire;

pub use client::{NuvemshopClient, OrdersPage};
pub use wire::{Customer, Line, Order};
