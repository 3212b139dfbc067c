//! R3 and R6: which orders are imported.

use chrono::{DateTime, Utc};

use crate::nuvemshop::wire::Order;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Eligibility {
    Import,
    /// Kept in the ledger with the reason, never imported automatically.
    Skip(String),
    /// Not (yet) paid: nothing to do until it is.
    NotYet,
}

/// R3, as the article says it, wherever a merchant is told about the activation date.
pub const BEFORE_ACTIVATION: &str =
    "Vendas realizadas antes da data de ativação devem ser lançadas manualmente na Conta Azul.";

/// Why an order the listing sent without its id is kept aside: without it, Ponte cannot tell
/// it from the others, read it again or import it exactly once.
pub fn without_id_reason() -> String {
    "A Nuvemshop enviou este pedido sem identificação, e sem ela o Ponte não consegue \
     importá-lo com segurança. Lance esta venda manualmente na Conta Azul."
        .into()
}

pub fn eligibility(order: &Order, activated_at: DateTime<Utc>) -> Eligibility {
    // R6: only orders whose payment is confirmed (*marcadas como recebidas*).
    if order.payment_status != "paid" {
        return Eligibility::NotYet;
    }
    // R3: no retroactive import.
    if order.created_at < activated_at {
        return Eligibility::Skip(format!(
            "Pedido feito antes da data de ativação. {BEFORE_ACTIVATION}"
        ));
    }
    match order.currency.as_deref() {
        None | Some("BRL") => Eligibility::Import,
        Some(other) => Eligibility::Skip(format!(
            "Pedido em {other}: a Conta Azul registra vendas em reais. Lance esta venda \
             manualmente na Conta Azul."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::sale::tests::order;

    fn at(text: &str) -> DateTime<Utc> {
        crate::time::parse_timestamp(text).unwrap()
    }

    #[test]
    fn r6_only_paid_orders_are_imported() {
        let activation = at("2026-11-01T00:00:00Z");
        for status in ["pending", "authorized", "abandoned", "refunded", "voided"] {
            let mut pending = order();
            pending.payment_status = status.into();
            assert_eq!(
                eligibility(&pending, activation),
                Eligibility::NotYet,
                "{status}"
            );
        }
        assert_eq!(eligibility(&order(), activation), Eligibility::Import);
    }

    #[test]
    fn r3_orders_created_before_activation_are_skipped_with_the_reason() {
        let paid = order();
        let after_it = paid.created_at + chrono::Duration::seconds(1);
        match eligibility(&paid, after_it) {
            Eligibility::Skip(reason) => assert!(reason.contains("lançadas manualmente")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            eligibility(&paid, paid.created_at),
            Eligibility::Import,
            "at the activation instant"
        );
    }

    #[test]
    fn orders_in_another_currency_are_skipped() {
        let mut dollars = order();
        dollars.currency = Some("USD".into());
        assert!(
            matches!(eligibility(&dollars, at("2020-01-01T00:00:00Z")), Eligibility::Skip(r) if r.contains("USD"))
        );
    }
}
