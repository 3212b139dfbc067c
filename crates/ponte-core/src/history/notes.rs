//! The sales in Conta Azul that are sales of Nuvemshop orders, found by the note Ponte writes
//! on each (`Pedido Nuvemshop #N`): what proves an order is already sold, whoever — this
//! installation, an earlier one, another computer — sent it.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::contaazul::ContaAzulClient;
use crate::error::Result;
use crate::rules::sale::order_of_note;
use crate::store::Store;

/// A sale in Conta Azul that is the sale of an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleOfOrder {
    pub sale_id: String,
    pub sale_number: i64,
}

/// The sales dated within `inicio..=fim`, by the number of the order each is the sale of.
/// Sales the ledger records as an order's are known without a call; every other sale's notes
/// are read (one call each: the search does not return them).
pub async fn sales_of_orders(
    contaazul: &ContaAzulClient,
    store: &Store,
    inicio: NaiveDate,
    fim: NaiveDate,
) -> Result<HashMap<u64, SaleOfOrder>> {
    let known: HashMap<String, u64> = store.imported_sales()?.into_iter().collect();
    let mut found = HashMap::new();
    for sale in contaazul.vendas_between(inicio, fim).await? {
        let order_number = match known.get(&sale.id) {
            Some(number) => Some(*number),
            None => contaazul
                .venda_notes(&sale.id)
                .await?
                .as_deref()
                .and_then(order_of_note),
        };
        if let Some(number) = order_number {
            found.insert(
                number,
                SaleOfOrder {
                    sale_id: sale.id,
                    sale_number: sale.numero,
                },
            );
        }
    }
    Ok(found)
}
