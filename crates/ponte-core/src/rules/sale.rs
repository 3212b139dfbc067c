//! R9, R13, R14 and R15: the sale an order becomes.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::contaazul::wire::{
    ComposicaoDeValor, CondicaoPagamento, Desconto, NewVenda, Parcela, VendaItem,
};
use crate::error::Problem;
use crate::money::cents;
use crate::nuvemshop::Order;
use crate::time::business_date;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaleLine {
    pub description: String,
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
}

pub fn sale_draft(order: &Order) -> Result<SaleDraft, Problem> {
    if order.products.is_empty() {
        return Err(Problem::new(
            "ORDER_WITHOUT_PRODUCTS",
            "O pedido não tem produtos.",
            "Confira o pedido na Nuvemshop. Se estiver certo, lance a venda manualmente na Conta Azul.",
        ));
    }
    let mut lines = Vec::with_capacity(order.products.len());
    for (index, line) in order.products.iter().enumerate() {
        let Some(description) = line
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
        else {
            return Err(Problem::new(
                "LINE_WITHOUT_NAME",
                format!("O item {} do pedido não tem descrição.", index + 1),
                "Confira os produtos do pedido na Nuvemshop e clique em Tentar novamente.",
            ));
        };
        if line.quantity <= 0 {
            return Err(Problem::new(
                "INVALID_QUANTITY",
                format!("O item “{description}” tem quantidade {}.", line.quantity),
                "Confira as quantidades do pedido na Nuvemshop e clique em Tentar novamente.",
            ));
        }
        if line.price < Decimal::ZERO {
            return Err(Problem::new(
                "INVALID_PRICE",
                format!("O item “{description}” tem preço negativo."),
                "Confira os preços do pedido na Nuvemshop e clique em Tentar novamente.",
            ));
        }
        lines.push(SaleLine {
            description: description.to_string(),
            quantity: Decimal::from(line.quantity),
            unit_price: line.price,
        });
    }
    let items: Decimal = lines.iter().map(|l| cents(l.quantity * l.unit_price)).sum();
    // R9: the buyer's shipping becomes the sale's freight.
    let freight = cents(
        order
            .shipping_cost_customer
            .unwrap_or_default()
            .max(Decimal::ZERO),
    );
    // BEYOND (R9): carry the order's discounts so the sale total is the order total. Whatever
    // the order took off (coupon, gateway, promotion) is the gap between items + freight and
    // the total.
    let gap = cents(items + freight - order.total);
    let discount = gap.max(Decimal::ZERO);
    let total = items + freight - discount;
    if total < Decimal::ZERO {
        return Err(Problem::new(
            "INVALID_TOTAL",
            "O total do pedido não confere com os itens.",
            "Lance esta venda manualmente na Conta Azul.",
        ));
    }
    let paid = order.paid_at.unwrap_or(order.created_at);
    Ok(SaleDraft {
        order_number: order.number,
        lines,
        freight,
        discount,
        total,
        sale_date: business_date(paid),
    })
}

/// The request, once the customer, products (one id per line, in order), seller and sale
/// number are known.
pub fn new_venda(
    draft: &SaleDraft,
    customer_id: &str,
    product_ids: &[String],
    seller_id: &str,
    numero: i64,
) -> NewVenda {
    let date = draft.sale_date.format("%Y-%m-%d").to_string();
    NewVenda {
        id_cliente: customer_id.to_string(),
        numero,
        // R15: created awaiting the merchant's review; never APROVADO.
        situacao: "EM_ANDAMENTO",
        data_venda: date.clone(),
        // R13: the seller chosen at activation.
        id_vendedor: seller_id.to_string(),
        observacoes: format!("Pedido Nuvemshop #{}", draft.order_number),
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
        // R14: cash, one installment, due on the sale date.
        condicao_pagamento: CondicaoPagamento {
            tipo_pagamento: "DINHEIRO",
            opcao_condicao_pagamento: "À vista".into(),
            parcelas: vec![Parcela {
                data_vencimento: date,
                valor: draft.total,
                descricao: None,
            }],
        },
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::nuvemshop::Order;

    /// A paid order as the API sends it: 2 × 59.90 + 39.90, coupon 15.97, shipping 18.50.
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
        let venda = new_venda(&draft, "c1", &["p1".into(), "p2".into()], "s1", 42);
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
        let venda = new_venda(&draft, "c", &["a".into(), "b".into()], "s", 1);
        assert_eq!(venda.composicao_de_valor.frete, Decimal::ZERO);
        assert!(venda.composicao_de_valor.desconto.is_none());
        assert_eq!(venda.condicao_pagamento.parcelas[0].valor, d("159.70"));
    }

    #[test]
    fn bad_lines_fail_with_a_hint() {
        let mut zero = order();
        zero.products[0].quantity = 0;
        assert_eq!(sale_draft(&zero).unwrap_err().code, "INVALID_QUANTITY");
        let mut negative = order();
        negative.products[1].quantity = -1;
        assert_eq!(sale_draft(&negative).unwrap_err().code, "INVALID_QUANTITY");
        let mut unnamed = order();
        unnamed.products[0].name = None;
        assert_eq!(sale_draft(&unnamed).unwrap_err().code, "LINE_WITHOUT_NAME");
        let mut empty = order();
        empty.products.clear();
        assert_eq!(
            sale_draft(&empty).unwrap_err().code,
            "ORDER_WITHOUT_PRODUCTS"
        );
    }
}
