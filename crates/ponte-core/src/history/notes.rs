//! The sales in Conta Azul that are sales of Nuvemshop orders, found by the note Ponte writes
//! on each (`Pedido Nuvemshop #N`): what proves an order is already sold, whoever — this
//! installation, an earlier one, another computer — sent it. The other sales of the period
//! are kept too: one typed by hand for an order (as the article tells merchants to do before
//! the activation date) has no note, and is recognised by its customer, total and date.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;

use crate::contaazul::ContaAzulClient;
use crate::error::Result;
use crate::nuvemshop::Order;
use crate::rules::sale::order_of_note;
use crate::store::Store;
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
    /// A sale without Ponte's note that looks like this order's, typed by hand: the same
    /// customer's name, the same total, dated from the order's day to `reach` days after it.
    /// Each such sale stands for one order only (`taken` remembers which).
    pub fn typed_for(
        &self,
        order: &Order,
        reach: Duration,
        taken: &mut Vec<usize>,
    ) -> Option<&OtherSale> {
        let name = order.buyer_name()?;
        let day = business_date(order.created_at);
        let (index, sale) = self.others.iter().enumerate().find(|(index, sale)| {
            !taken.contains(index)
                && sale.total == Some(crate::money::cents(order.total))
                && sale
                    .customer
                    .as_deref()
                    .is_some_and(|customer| crate::rules::same_text(customer, name))
                && sale
                    .date
                    .is_none_or(|date| day <= date && date <= day + reach)
        })?;
        taken.push(index);
        Some(sale)
    }
}

/// The sales dated within `inicio..=fim`. Sales the ledger records as an order's are known
/// without a call; every other sale's notes are read (one call each: the search does not
/// return them).
pub async fn sales_in_period(
    contaazul: &ContaAzulClient,
    store: &Store,
    inicio: NaiveDate,
    fim: NaiveDate,
) -> Result<SalesInPeriod> {
    let known: HashMap<String, u64> = store.imported_sales()?.into_iter().collect();
    let mut found = SalesInPeriod::default();
    for sale in contaazul.vendas_between(inicio, fim).await? {
        let order_number = match known.get(&sale.id) {
            Some(number) => Some(*number),
            None => contaazul
                .venda_notes(&sale.id)
                .await?
                .as_deref()
                .and_then(order_of_note),
        };
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
