//! Orders of a chosen period, beyond the automatic import: the backfill of orders before the
//! activation date, the reconciliation of a period against Conta Azul, and what importing an
//! order would do.

pub mod backfill;
pub mod matching;
mod notes;
pub mod period;
pub mod reconcile;

pub use backfill::{BackfillPreview, NotImported, PlannedOrder};
pub use matching::{Action, Choice, OrderPlan};
pub use period::Period;
pub use reconcile::{Flag, FlaggedOrder, MissingOrder, Reconciliation};

pub use crate::nuvemshop::window::{orders_created, Listing};
