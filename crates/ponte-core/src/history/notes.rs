//! The sales in Conta Azul that are sales of Nuvemshop orders, found by the note Ponte writes
//! on each (`Pedido Nuvemshop #N`): what proves an order is already sold, whoever — this
//! installation, an earlier one, another computer — sent it. The other sales of the period
//! are kept too: one typed by hand for an order (as the article tells merchants to do before
//! the activation date) has no note, and is recognised by its customer, total and date.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use futures_util::StreamExt;
use rust_decimal::Decimal;

use crate::error::Result;
use crate::nuvemshop::Order;
use crate::rules::sale::order_of_note;
use crate::sync::{Engine, IN_FLIGHT};
use crate::time::business_date;

/// A sale in Conta Azul that is the sale of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleOfOrder {
    pub sale_id: String,
    pub sale_number: i64,
}

/// A sale without Ponte's note: typed by hand, or from another integration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtherSale {
    pub sale_number: i64,
    pub date: Option<NaiveDate>,
    pub total: Option<Decimal>,
    pub customer: Option<String>,
}

/// The sales of a period, Ponte's by order number and the others.
#[derive(Debug, Default)]
pub struct SalesInPeriod {
    pub of_orders: HashMap<u64, SaleOfOrder>,
    pub others: Vec<OtherSale>,
}

impl SalesInPeriod {
    /// The sales without Ponte's note that look typed by hand for these orders — the same
    /// customer's name, the same total, dated from the order's day to `reach` after it —
    /// matched one to one (by the order's id, the index of the sale). Sales are taken in date
    /// order, each by the waiting order whose window closes first: no order takes a sale a
    /// later order needed when an earlier sale would do (the greedy choice is optimal for
    /// points against intervals).
    pub fn typed_matches(&self, orders: &[&Order], reach: Duration) -> HashMap<u64, usize> {
        let windows: Vec<(NaiveDate, &str)> = orders
            .iter()
            .map(|order| {
                (
                    business_date(order.created_at),
                    order.buyer_name().unwrap_or_default(),
                )
            })
            .collect();
        let fits = |order: usize, sale: &OtherSale| {
            let (day, name) = windows[order];
            !name.trim().is_empty()
                && sale.total == Some(crate::money::cents(orders[order].total))
                && sale
                    .customer
                    .as_deref()
                    .is_some_and(|customer| crate::rules::same_text(customer, name))
                && sale
                    .date
                    .is_none_or(|date| day <= date && date <= day + reach)
        };
        let mut sales: Vec<usize> = (0..self.others.len()).collect();
        // Dated sales by date; a sale without a date last (it fits any window).
        sales.sort_by_key(|&index| (self.others[index].date.is_none(), self.others[index].date));
        let mut matched = HashMap::new();
        for sale in sales {
            let best = (0..orders.len())
                .filter(|&order| !matched.contains_key(&orders[order].id))
                .filter(|&order| fits(order, &self.others[sale]))
                .min_by_key(|&order| (windows[order].0, orders[order].id));
            if let Some(order) = best {
                matched.insert(orders[order].id, sale);
            }
        }
        matched
    }
}

/// The sales dated within `inicio..=fim`. Sales the ledger records as an order's are known
/// without a call; every other sale's notes are read (one call each: the search does not
/// return them), a few at once as the engine advances orders — the pacer keeps them under
/// Conta Azul's rate.
pub async fn sales_in_period(
    engine: &Engine,
    inicio: NaiveDate,
    fim: NaiveDate,
) -> Result<SalesInPeriod> {
    let (contaazul, note_store) = (&engine.contaazul, engine.note_store.as_deref());
    let known: HashMap<String, u64> = engine.store.imported_sales()?.into_iter().collect();
    let sales = contaazul.vendas_between(inicio, fim).await?;
    let mut read = futures_util::stream::iter(sales)
        .map(|sale| {
            let known = known.get(&sale.id).copied();
            async move {
                let order_number = match known {
                    Some(number) => Some(number),
                    None => contaazul
                        .venda_notes(&sale.id)
                        .await?
                        .as_deref()
                        .and_then(|notes| order_of_note(notes, note_store)),
                };
                Ok::<_, crate::error::Error>((sale, order_number))
            }
        })
        .buffered(IN_FLIGHT);
    let mut found = SalesInPeriod::default();
    while let Some(read) = read.next().await {
        let (sale, order_number) = read?;
        match order_number {
            Some(number) => {
                found.of_orders.insert(
                    number,
                    SaleOfOrder {
                        sale_id: sale.id,
                        sale_number: sale.numero,
                    },
                );
            }
            None => found.others.push(OtherSale {
                sale_number: sale.numero,
                date: sale.date(),
                total: sale.total().map(crate::money::cents),
                customer: sale.cliente.and_then(|cliente| cliente.nome),
            }),
        }
    }
    Ok(found)
}
