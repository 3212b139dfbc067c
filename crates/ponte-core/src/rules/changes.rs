//! What can happen to an order after its sale was sent: cancelled, its money returned, edited
//! — each a [`Flag`] the merchant is told once, with which sale to look at. Ponte never changes
//! a sale; these are the rules that notice, and the words that tell.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::money::brl;
use crate::nuvemshop::wire::Order;
use crate::rules::customer::customer_draft;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    Cancelled,
    Refunded,
    Edited,
    /// Ponte imported it, but its sale is no longer in Conta Azul.
    SaleNotFound,
    /// Not imported by Ponte, but Conta Azul has a sale like it without Ponte's note (typed by
    /// hand): not imported, so as not to duplicate it.
    LooksTyped,
}

impl Flag {
    pub(crate) const ALL: [Flag; 5] = [
        Flag::Cancelled,
        Flag::Refunded,
        Flag::Edited,
        Flag::SaleNotFound,
        Flag::LooksTyped,
    ];

    /// As stored and serialised (`cancelled`, …).
    pub fn name(self) -> &'static str {
        match self {
            Flag::Cancelled => "cancelled",
            Flag::Refunded => "refunded",
            Flag::Edited => "edited",
            Flag::SaleNotFound => "sale_not_found",
            Flag::LooksTyped => "looks_typed",
        }
    }

    pub fn from_name(name: &str) -> Option<Flag> {
        Flag::ALL.into_iter().find(|flag| flag.name() == name)
    }
}

/// An order cancelled, or its money returned, in Nuvemshop: the flag, and for a refund how
/// the money went back in the admin's words. `None` while the order still stands.
pub fn after_import_change(order: &Order) -> Option<(Flag, Option<&'static str>)> {
    if order.status.as_deref() == Some("cancelled") {
        Some((Flag::Cancelled, None))
    } else if money_returned(&order.payment_status) {
        Some((Flag::Refunded, Some(returned_as(&order.payment_status))))
    } else {
        None
    }
}

/// What the merchant is told of an imported order cancelled, refunded or edited since (Ponte
/// never changes the sale). `detail`: how the money went back, or what was edited.
pub fn after_import_message(flag: Flag, detail: Option<&str>, sale_number: Option<i64>) -> String {
    let sale_text = sale_number.map_or_else(|| "sua venda".to_string(), |n| format!("a venda {n}"));
    match flag {
        Flag::Cancelled => format!(
            "Pedido cancelado na Nuvemshop depois de importado. Confira {sale_text} na Conta \
             Azul e cancele-a, se for o caso; o Ponte não muda vendas."
        ),
        Flag::Edited => format!(
            "Pedido alterado na Nuvemshop depois de importado{}. Confira {sale_text} na Conta \
             Azul; o Ponte não muda vendas.",
            detail
                .map(|changes| format!(": {changes}"))
                .unwrap_or_default()
        ),
        _ => format!(
            "Pagamento devolvido na Nuvemshop ({}) depois da importação. Confira {sale_text} \
             na Conta Azul; o Ponte não muda vendas.",
            detail.unwrap_or("devolvido")
        ),
    }
}

/// Payment states in which the buyer's money did not stay with the store.
fn money_returned(payment_status: &str) -> bool {
    matches!(
        payment_status,
        "refunded" | "voided" | "charged_back" | "partially_refunded"
    )
}

/// A payment state in which the money went back, as the merchant's admin says it.
fn returned_as(payment_status: &str) -> &'static str {
    match payment_status {
        "refunded" => "reembolsado",
        "partially_refunded" => "reembolsado em parte",
        "voided" => "cancelado",
        "charged_back" => "contestado pelo comprador",
        _ => "devolvido",
    }
}

/// What changed in an order since its import, as the merchant would say it.
pub fn changes_since_import(before: &Order, now: &Order) -> Vec<String> {
    let mut changes = Vec::new();
    if before.total != now.total {
        changes.push(format!(
            "o total passou de {} para {}",
            brl(before.total),
            brl(now.total)
        ));
    }
    let lines = |order: &Order| {
        let mut lines: Vec<(String, Decimal, i64)> = order
            .products
            .iter()
            .map(|line| {
                (
                    crate::rules::same_text_key(line.name.as_deref().unwrap_or_default()),
                    line.price,
                    line.quantity,
                )
            })
            .collect();
        lines.sort();
        lines
    };
    if lines(before) != lines(now) {
        changes.push("os itens mudaram".into());
    }
    if before.shipping_cost_customer.unwrap_or_default()
        != now.shipping_cost_customer.unwrap_or_default()
    {
        changes.push("o frete mudou".into());
    }
    let customer = |order: &Order| {
        customer_draft(order)
            .ok()
            .map(|draft| (draft.name, draft.document.map(|d| d.digits().to_string())))
    };
    if customer(before) != customer(now) {
        changes.push("o cliente mudou".into());
    }
    changes
}
