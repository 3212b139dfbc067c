//! The help article's rules (see rules.md, R2–R21) as pure functions: no I/O, no clock of their
//! own. The engine feeds them what it knows and does what they answer.

pub mod changes;
pub mod customer;
pub mod eligibility;
pub mod failure;
pub mod payment;
pub mod product;
pub mod sale;
pub mod text;

pub use text::{clean_text, same_text, same_text_key};
