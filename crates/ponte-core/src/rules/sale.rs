//! R9, R13, R14 and R15: the sale an order becomes.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::contaazul::wire::{ComposicaoDeValor, Desconto, NewVenda, VendaItem};
use crate::money::{brl, cents};
use crate::nuvemshop::wire::Order;
use crate::problem::{Problem, ProblemCode};
use crate::rules::payment::{payment_condition, PaymentMapping, PaymentMethod, MAX_INSTALLMENTS};
use crate::rules::product::product_name;
use crate::time::business_date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleLine {
    pub description: String,
    /// The line's SKU, usable as a product code (R10, beyond).
    pub sku: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
}

/// Everything of the sale that does not depend on Conta Azul's ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleDraft {
    pub order_number: u64,
    pub lines: Vec<SaleLine>,
    pub freight: Decimal,
    pub discount: Decimal,
    pub total: Decimal,
    pub sale_date: NaiveDate,
    /// How the buyer paid, and in how many installments (R14, beyond).
    pub payment: PaymentMethod,
    pub installments: u32,
}

/// More lines than any real order of a small store has: a bigger one is more likely broken
/// data than a sale, and is better entered by hand.
pub const MAX_LINES: usize = 250;
/// The most units of one line Ponte takes as plausible.
pub const MAX_QUANTITY: i64 = 100_000;
/// The largest amount (a price, the freight, the total) Ponte takes as plausible: R$ 100
/// million. It also keeps every amount exact where Conta Azul reads JSON numbers as doubles.
pub const MAX_AMOUNT: Decimal = Decimal::from_parts(100_000_000, 0, 0, false, 0);

pub fn sale_draft(order: &Order) -> Result<SaleDraft, Problem> {
    if order.products.is_empty() {
        return Err(Problem::of(ProblemCode::OrderWithoutProducts));
    }
    if order.products.len() > MAX_LINES {
        return Err(Problem::implausible_order(&format!(
            "{} itens num só pedido (o limite é {MAX_LINES})",
            order.products.len()
        )));
    }
    let plausible = |amount: Decimal, what: &str| {
        if amount.abs() > MAX_AMOUNT {
            Err(Problem::implausible_order(&format!(
                "{what} acima de R$ 100 milhões"
            )))
        } else {
            Ok(amount)
        }
    };
    let overflow = || Problem::implausible_order("a soma dos itens é grande demais");
    let mut lines = Vec::with_capacity(order.products.len());
    let mut items = Decimal::ZERO;
    for (index, line) in order.products.iter().enumerate() {
        let description = line.name.as_deref().map(product_name).unwrap_or_default();
        if description.is_empty() {
            return Err(Problem::line_without_name(index + 1));
        }
        if line.quantity <= 0 {
            return Err(Problem::invalid_quantity(&description, line.quantity));
        }
        if line.quantity > MAX_QUANTITY {
            return Err(Problem::implausible_order(&format!(
                "o item “{description}” tem {} unidades",
                line.quantity
            )));
        }
        if line.price < Decimal::ZERO {
            return Err(Problem::negative_price(&description));
        }
        // Cents first: Conta Azul totals each item from the unit price it is sent, so the
        // installment computed here is the one it computes.
        let unit_price = cents(plausible(line.price, "um preço")?);
        let quantity = Decimal::from(line.quantity);
        let line_total = unit_price.checked_mul(quantity).ok_or_else(overflow)?;
        items = plausible(
            items.checked_add(line_total).ok_or_else(overflow)?,
            "a soma dos itens",
        )?;
        lines.push(SaleLine {
            description,
            sku: crate::rules::product::product_sku(line.sku.as_deref()),
            quantity,
            unit_price,
        });
    }
    // R9: the buyer's shipping becomes the sale's freight.
    let freight = cents(plausible(
        order
            .shipping_cost_customer
            .unwrap_or_default()
            .max(Decimal::ZERO),
        "o frete",
    )?);
    let total = cents(plausible(order.total, "o total")?);
    if total < Decimal::ZERO {
        return Err(Problem::implausible_order("o total é negativo"));
    }
    // BEYOND (R9): carry the order's discounts so the sale total is the order total. Whatever
    // the order took off (coupon, gateway, promotion) is the gap between items + freight and
    // the total; a total above items + freight has no sale that matches it.
    let gross = items.checked_add(freight).ok_or_else(overflow)?;
    let discount = gross - total;
    if discount < Decimal::ZERO {
        return Err(Problem::implausible_order(&format!(
            "o total ({}) é maior que a soma dos itens e do frete ({})",
            brl(total),
            brl(gross)
        )));
    }
    let paid = order.paid_at.unwrap_or(order.created_at);
    Ok(SaleDraft {
        order_number: order.number,
        lines,
        freight,
        discount,
        total,
        sale_date: business_date(paid),
        payment: PaymentMethod::of_order(
            order
                .payment_details
                .as_ref()
                .and_then(|p| p.method.as_deref()),
            order.gateway.as_deref(),
        ),
        installments: order
            .payment_details
            .as_ref()
            .and_then(|p| p.installments)
            .map_or(1, |n| n.clamp(1, u64::from(MAX_INSTALLMENTS)) as u32),
    })
}

/// The note that identifies the sale of an order in Conta Azul. Written here and matched by
/// [`is_note_of`] and [`order_of_note`] only, so what Ponte writes is exactly what it
/// recognises. `store`: the Nuvemshop store's id when its company also takes the sales of
/// other stores (issue 26), whose order numbers are counted apart and repeat across them —
/// one store's `#105` must never be taken for another's.
pub fn order_note(order_number: u64, store: Option<&str>) -> String {
    match store {
        None => format!("Pedido Nuvemshop #{order_number}"),
        Some(store) => format!("Pedido Nuvemshop #{order_number} (loja {store})"),
    }
}

/// Whether a sale's notes say it is the sale of this order: exactly the note, so `#12` is
/// never taken for `#123` (surrounding spaces aside, should Conta Azul trim or pad them). The
/// caller found the sale by the number it handed out for this order, never repeated in the
/// company: a note without the store (written before the company had another store) is this
/// order's too.
pub fn is_note_of(notes: &str, order_number: u64, store: Option<&str>) -> bool {
    let notes = notes.trim();
    notes == order_note(order_number, store) || notes == order_note(order_number, None)
}

/// The order whose sale these notes are, when they are exactly the note [`order_note`] writes
/// for `store`: with a store, a note without one (which of the company's stores?) or with
/// another store names none of this store's orders.
pub fn order_of_note(notes: &str, store: Option<&str>) -> Option<u64> {
    let notes = notes.trim();
    let rest = notes.strip_prefix("Pedido Nuvemshop #")?;
    let digits = rest.split(' ').next()?;
    let number: u64 = digits.parse().ok()?;
    (notes == order_note(number, store)).then_some(number)
}

/// The request, once the customer, products (one id per line, in order), seller and sale
/// number are known.
pub fn new_venda(
    draft: &SaleDraft,
    customer_id: &str,
    product_ids: &[String],
    seller_id: &str,
    numero: i64,
    payments: &PaymentMapping,
    note_store: Option<&str>,
) -> NewVenda {
    let date = draft.sale_date.format("%Y-%m-%d").to_string();
    NewVenda {
        id_cliente: customer_id.to_string(),
        numero,
        // R15: created awaiting the merchant's review; never APROVADO.
        situacao: "EM_ANDAMENTO",
        data_venda: date,
        // R13: the seller chosen at activation.
        id_vendedor: seller_id.to_string(),
        observacoes: order_note(draft.order_number, note_store),
        itens: draft
            .lines
            .iter()
            .zip(product_ids)
            .map(|(line, id)| VendaItem {
                id: id.clone(),
                // R10: the line's description goes into the item's details.
                descricao: line.description.clone(),
                quantidade: line.quantity,
                valor: line.unit_price,
            })
            .collect(),
        composicao_de_valor: ComposicaoDeValor {
            frete: draft.freight,
            desconto: (draft.discount > Decimal::ZERO).then_some(Desconto {
                tipo: "VALOR",
                valor: draft.discount,
            }),
        },
        // R14: cash, one installment, due on the sale date — unless the merchant mapped this
        // way of paying.
        condicao_pagamento: payment_condition(
            payments,
            draft.payment,
            draft.installments,
            draft.total,
            draft.sale_date,
        ),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::nuvemshop::Order;

    /// A paid order as the API sends it: 2 × 59.90 + 39.90, coupon 15.97, shipping 18.50.
    #[test]
    fn a_note_names_its_order_and_nothing_else_does() {
        assert_eq!(order_of_note(&order_note(123, None), None), Some(123));
        assert_eq!(order_of_note("  Pedido Nuvemshop #7 ", None), Some(7));
        for other in [
            "Pedido Nuvemshop #",
            "Pedido Nuvemshop #12a",
            "Pedido Nuvemshop #+12",
            "Pedido Nuvemshop #012",
            "Venda balcão",
            "Pedido Nuvemshop #12 e #13",
            "Pedido Nuvemshop #12 (loja 5120101)",
        ] {
            assert_eq!(order_of_note(other, None), None, "{other}");
        }
    }

    /// Issue 26: two stores into one company both have an order #105; each store's notes
    /// name it, and a store reads only its own.
    #[test]
    fn in_a_shared_company_a_note_names_the_store_too() {
        let mine = order_note(105, Some("5120202"));
        assert_eq!(mine, "Pedido Nuvemshop #105 (loja 5120202)");
        assert_eq!(order_of_note(&mine, Some("5120202")), Some(105));
        assert_eq!(
            order_of_note(&mine, Some("5120101")),
            None,
            "another store's"
        );
        assert_eq!(order_of_note(&mine, None), None);
        assert_eq!(
            order_of_note("Pedido Nuvemshop #105", Some("5120202")),
            None,
            "which store's? none proven"
        );
        // Found by the number handed out for the order: with or without the store, its own.
        assert!(is_note_of(&mine, 105, Some("5120202")));
        assert!(is_note_of("Pedido Nuvemshop #105", 105, Some("5120202")));
        assert!(!is_note_of(&mine, 105, Some("5120101")));
        assert!(!is_note_of(&mine, 105, None));
        assert!(!is_note_of("Pedido Nuvemshop #1050", 105, Some("5120202")));
    }

    pub fn order() -> Order {
        Order::parse(&serde_json::json!({
            "id": 1450789401u64, "number": "101",
            "created_at": "2026-11-29T12:00:00+0000", "updated_at": "2026-11-29T12:05:00+0000",
            "paid_at": "2026-11-30T01:30:00+0000",
            "payment_status": "paid", "status": "open", "currency": "BRL",
            "customer": { "name": "Maria Silva", "email": "maria@exemplo.com.br",
                          "identification": "529.982.247-25", "phone": "+5511987654321" },
            "billing_phone": "+551133334444",
            "products": [
                { "name": "Camiseta Básica (M, Preta)", "price": "59.90", "quantity": "2", "sku": "CAM-MP" },
                { "name": "Caneca Cerâmica 350 ml", "price": "39.90", "quantity": 1 }
            ],
            "subtotal": "159.70", "discount": "15.97", "shipping_cost_customer": "18.50", "total": "162.23",
            "gateway": "mercadopago", "payment_details": { "method": "credit_card", "installments": "3" }
        }))
        .unwrap()
    }

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn r9_one_item_per_line_with_freight_and_discount_totalling_the_order() {
        let draft = sale_draft(&order()).unwrap();
        assert_eq!(draft.lines.len(), 2);
        assert_eq!(draft.lines[0].quantity, d("2"));
        assert_eq!(draft.lines[0].unit_price, d("59.90"));
        assert_eq!(draft.freight, d("18.50"));
        assert_eq!(draft.discount, d("15.97"));
        assert_eq!(draft.total, d("162.23"));
    }

    #[test]
    fn r9_r13_r14_r15_the_request_carries_seller_cash_one_installment_and_em_andamento() {
        let draft = sale_draft(&order()).unwrap();
        let venda = new_venda(
            &draft,
            "c1",
            &["p1".into(), "p2".into()],
            "s1",
            42,
            &PaymentMapping::new(),
            None,
        );
        assert_eq!(venda.situacao, "EM_ANDAMENTO");
        assert_eq!(venda.id_vendedor, "s1");
        assert_eq!(venda.numero, 42);
        assert_eq!(venda.observacoes, "Pedido Nuvemshop #101");
        assert_eq!(venda.itens[1].id, "p2");
        assert_eq!(venda.itens[0].descricao, "Camiseta Básica (M, Preta)");
        assert_eq!(venda.condicao_pagamento.tipo_pagamento, "DINHEIRO");
        assert_eq!(venda.condicao_pagamento.opcao_condicao_pagamento, "À vista");
        assert_eq!(venda.condicao_pagamento.parcelas.len(), 1);
        assert_eq!(venda.condicao_pagamento.parcelas[0].valor, d("162.23"));
        // Paid at 01:30 UTC on the 30th: the 29th in São Paulo, and due the same day.
        assert_eq!(venda.data_venda, "2026-11-29");
        assert_eq!(
            venda.condicao_pagamento.parcelas[0].data_vencimento,
            "2026-11-29"
        );
        let discount = venda.composicao_de_valor.desconto.unwrap();
        assert_eq!((discount.tipo, discount.valor), ("VALOR", d("15.97")));
        // The installments add up to items − discount + freight, as Conta Azul demands.
        let items: Decimal = venda.itens.iter().map(|i| i.quantidade * i.valor).sum();
        assert_eq!(
            items - discount.valor + venda.composicao_de_valor.frete,
            d("162.23")
        );
    }

    #[test]
    fn r9_no_shipping_and_no_discount_send_neither() {
        let mut plain = order();
        plain.shipping_cost_customer = None;
        plain.total = d("159.70");
        let draft = sale_draft(&plain).unwrap();
        let venda = new_venda(
            &draft,
            "c",
            &["a".into(), "b".into()],
            "s",
            1,
            &PaymentMapping::new(),
            None,
        );
        assert_eq!(venda.composicao_de_valor.frete, Decimal::ZERO);
        assert!(venda.composicao_de_valor.desconto.is_none());
        assert_eq!(venda.condicao_pagamento.parcelas[0].valor, d("159.70"));
    }

    #[test]
    fn bad_lines_fail_with_a_hint() {
        let mut zero = order();
        zero.products[0].quantity = 0;
        assert_eq!(
            sale_draft(&zero).unwrap_err().code,
            ProblemCode::InvalidQuantity
        );
        let mut negative = order();
        negative.products[1].quantity = -1;
        assert_eq!(
            sale_draft(&negative).unwrap_err().code,
            ProblemCode::InvalidQuantity
        );
        let mut unnamed = order();
        unnamed.products[0].name = None;
        assert_eq!(
            sale_draft(&unnamed).unwrap_err().code,
            ProblemCode::LineWithoutName
        );
        let mut empty = order();
        empty.products.clear();
        assert_eq!(
            sale_draft(&empty).unwrap_err().code,
            ProblemCode::OrderWithoutProducts
        );
    }

    #[test]
    fn r8_the_note_is_matched_exactly() {
        assert_eq!(order_note(12, None), "Pedido Nuvemshop #12");
        assert!(is_note_of("Pedido Nuvemshop #12", 12, None));
        assert!(is_note_of(" Pedido Nuvemshop #12 ", 12, None));
        assert!(!is_note_of("Pedido Nuvemshop #123", 12, None));
        assert!(!is_note_of("Pedido Nuvemshop #12", 123, None));
        assert!(!is_note_of("Pedido Nuvemshop #12 (cópia)", 12, None));
        assert!(!is_note_of("", 12, None));
    }

    #[test]
    fn overflowing_or_absurd_numbers_fail_as_invalid_order_data() {
        let code = |order: Order| sale_draft(&order).unwrap_err().code;
        let mut huge_quantity = order();
        huge_quantity.products[0].quantity = i64::MAX;
        assert_eq!(code(huge_quantity), ProblemCode::InvalidOrderData);
        let mut huge_price = order();
        huge_price.products[0].price = Decimal::MAX;
        assert_eq!(code(huge_price), ProblemCode::InvalidOrderData);
        let mut many_lines = order();
        many_lines.products = vec![many_lines.products[1].clone(); MAX_LINES + 1];
        assert_eq!(code(many_lines), ProblemCode::InvalidOrderData);
        let mut too_much = order();
        too_much.total = d("999.99");
        let problem = sale_draft(&too_much).unwrap_err();
        assert_eq!(problem.code, ProblemCode::InvalidOrderData);
        assert!(problem.message.contains("R$ 999,99"), "{}", problem.message);
        let mut negative_total = order();
        negative_total.total = d("-1");
        assert_eq!(code(negative_total), ProblemCode::InvalidOrderData);
        let mut huge_freight = order();
        huge_freight.shipping_cost_customer = Some(Decimal::MAX);
        assert_eq!(code(huge_freight), ProblemCode::InvalidOrderData);
    }

    #[test]
    fn unit_prices_are_rounded_to_cents_before_the_installment() {
        let mut odd = order();
        odd.products[0].price = d("10.005");
        odd.products[0].quantity = 3;
        odd.products.truncate(1);
        odd.shipping_cost_customer = None;
        odd.total = d("30.03");
        let draft = sale_draft(&odd).unwrap();
        assert_eq!(draft.lines[0].unit_price, d("10.01"));
        let venda = new_venda(
            &draft,
            "c",
            &["p".into()],
            "s",
            1,
            &PaymentMapping::new(),
            None,
        );
        let items: Decimal = venda.itens.iter().map(|i| i.quantidade * i.valor).sum();
        assert_eq!(
            items - draft.discount + draft.freight,
            venda.condicao_pagamento.parcelas[0].valor
        );
        assert_eq!(draft.total, d("30.03"));
    }

    #[test]
    fn long_descriptions_are_cut_the_same_way_for_product_and_item() {
        let mut long = order();
        long.products[0].name = Some("x".repeat(10_000));
        let draft = sale_draft(&long).unwrap();
        assert_eq!(draft.lines[0].description.chars().count(), 120);
        assert_eq!(
            draft.lines[0].description,
            product_name(&"x".repeat(10_000))
        );
    }
}
