//! What the CLI and the window call: each takes the period as the merchant typed it.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::error::{Error, Result};
use crate::history::{BackfillPreview, OrderPlan, Period, Reconciliation};
use crate::nuvemshop::Order;
use crate::problem::Problem;
use crate::store::{BackfillRecord, OrderState, Planned};
use crate::time::business_date;

impl App {
    /// A period as the merchant typed it (`2026-10-01` or `01/10/2026`), ending by today.
    pub fn period(&self, from: &str, to: &str) -> Result<Period> {
        Period::parse(from, to, business_date(self.now())).map_err(Error::Invalid)
    }

    /// The activation date a backfill goes back from; never switched on: nothing to go back
    /// from (every order would be imported by switching on).
    fn activation(&self) -> Result<DateTime<Utc>> {
        self.settings()?
            .activated_at
            .ok_or_else(|| Error::Invalid(Problem::never_activated()))
    }

    /// What importing the orders of `period` before the activation date would do.
    pub async fn backfill_preview(&self, period: &Period) -> Result<BackfillPreview> {
        let activated_at = self.activation()?;
        self.engine()?.backfill_preview(period, activated_at).await
    }

    /// Queues the orders of `period` before the activation date (the merchant confirmed the
    /// preview); they are imported by the next pass, while the integration is on.
    pub async fn backfill(&self, period: &Period) -> Result<Planned> {
        let activated_at = self.activation()?;
        self.engine()?
            .queue_period(period, activated_at, None)
            .await
    }

    pub fn backfills(&self) -> Result<Vec<BackfillRecord>> {
        self.store.backfills()
    }

    /// The paid orders of `period` against the sales in Conta Azul; reads only.
    pub async fn reconcile(&self, period: &Period) -> Result<Reconciliation> {
        let activated_at = self.settings()?.activated_at;
        self.engine()?.reconcile(period, activated_at).await
    }

    /// Imports missing orders a reconciliation of `period` listed: queued, or recorded when
    /// Conta Azul already has their sale. Read again from both services first.
    pub async fn import_missing(&self, period: &Period, order_ids: &[u64]) -> Result<Planned> {
        let only: HashSet<u64> = order_ids.iter().copied().collect();
        // Not clipped at the activation date: a missing order may be from after it.
        let until = period.end();
        self.engine()?
            .queue_period(period, until, Some(&only))
            .await
    }

    /// What importing a queued (or failed) order would do and why, asked of Conta Azul
    /// without creating anything.
    pub async fn order_plan(&self, order_id: u64) -> Result<OrderPlan> {
        let known = self
            .store
            .order(order_id)?
            .ok_or_else(|| Error::NotFound(format!("no order {order_id}")))?;
        if !matches!(known.state, OrderState::Queued | OrderState::Failed) {
            return Err(Error::NotFound(format!(
                "order {order_id} is {}, not waiting to be imported",
                known.state.as_str()
            )));
        }
        let order = known
            .payload
            .as_deref()
            .and_then(|payload| serde_json::from_str(payload).ok())
            .and_then(|value| Order::parse(&value).ok());
        let Some(order) = order else {
            return Ok(OrderPlan {
                order_id,
                number: known.number,
                customer: None,
                products: Vec::new(),
                problem: Some(
                    known
                        .error
                        .map(|problem| format!("{} {}", problem.message, problem.hint))
                        .unwrap_or_else(|| "O pedido não pôde ser lido.".into()),
                ),
            });
        };
        let engine = self.engine()?;
        engine.plan_order(&order, &engine.planning()?).await
    }
}
