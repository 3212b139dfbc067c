//! R14, and beyond it: how an order's payment becomes the sale's payment condition. The
//! article's rule is the default — *Dinheiro*, one installment due on the sale date. A merchant
//! may map each way of paying in Nuvemshop to a Conta Azul payment type, and let card
//! installments become the sale's installments. A change applies to the sales sent after it.

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::contaazul::assumptions::DISPUTED_PAYMENT_TYPES;

use crate::contaazul::wire::{CondicaoPagamento, Parcela};

/// How the buyer paid, as far as the sale's payment condition goes.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    CreditCard,
    DebitCard,
    Pix,
    Boleto,
    Transfer,
    Wallet,
    Cash,
    Other,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 8] = [
        PaymentMethod::CreditCard,
        PaymentMethod::DebitCard,
        PaymentMethod::Pix,
        PaymentMethod::Boleto,
        PaymentMethod::Transfer,
        PaymentMethod::Wallet,
        PaymentMethod::Cash,
        PaymentMethod::Other,
    ];

    /// What the merchant reads in *Configurações*.
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::CreditCard => "Cartão de crédito",
            PaymentMethod::DebitCard => "Cartão de débito",
            PaymentMethod::Pix => "Pix",
            PaymentMethod::Boleto => "Boleto",
            PaymentMethod::Transfer => "Transferência bancária",
            PaymentMethod::Wallet => "Carteira digital",
            PaymentMethod::Cash => "Dinheiro",
            PaymentMethod::Other => "Outras formas",
        }
    }

    /// The order's `payment_details.method`, with its `gateway` as a hint when the method is
    /// missing. UNCONFIRMED: Nuvemshop documents `credit_card` only (its example order); the
    /// other codes are those its payment apps are known to send, read leniently here and
    /// nowhere else. Anything unknown is [`PaymentMethod::Other`].
    pub fn of_order(method: Option<&str>, gateway: Option<&str>) -> PaymentMethod {
        let clean = |text: &str| text.trim().to_lowercase().replace(['-', ' '], "_");
        if let Some(method) = method.map(clean).filter(|m| !m.is_empty()) {
            return match method.as_str() {
                "credit_card" | "creditcard" | "cartao_credito" | "cartao_de_credito" => {
                    PaymentMethod::CreditCard
                }
                "debit_card" | "debitcard" | "cartao_debito" | "cartao_de_debito" => {
                    PaymentMethod::DebitCard
                }
                "pix" => PaymentMethod::Pix,
                "boleto" | "ticket" | "bank_slip" => PaymentMethod::Boleto,
                "wire_transfer" | "bank_transfer" | "transfer" | "transferencia" => {
                    PaymentMethod::Transfer
                }
                "wallet" | "digital_wallet" | "account_money" => PaymentMethod::Wallet,
                "cash" | "dinheiro" => PaymentMethod::Cash,
                _ => PaymentMethod::Other,
            };
        }
        match gateway.map(clean).as_deref() {
            Some(gateway) if gateway.contains("boleto") => PaymentMethod::Boleto,
            Some(gateway) if gateway.contains("pix") => PaymentMethod::Pix,
            _ => PaymentMethod::Other,
        }
    }
}

/// Conta Azul's payment types (`tipo_pagamento`) a merchant may choose: those the Sales OpenAPI
/// and the current `createVenda` page spell alike. A link payment is spelled `LINK_PAGAMENTO`
/// by the first and `CARTAO_CREDITO_VIA_LINK` by the second, so it is not offered
/// (`contaazul::assumptions::DISPUTED_PAYMENT_TYPES`).
pub const CONTAAZUL_TYPES: [(&str, &str); 11] = [
    ("DINHEIRO", "Dinheiro"),
    ("CARTAO_CREDITO", "Cartão de crédito"),
    ("CARTAO_DEBITO", "Cartão de débito"),
    ("PIX_PAGAMENTO_INSTANTANEO", "Pix"),
    ("BOLETO_BANCARIO", "Boleto bancário"),
    ("TRANSFERENCIA_BANCARIA", "Transferência bancária"),
    ("DEPOSITO_BANCARIO", "Depósito bancário"),
    ("CARTEIRA_DIGITAL", "Carteira digital"),
    ("CREDITO_LOJA", "Crédito loja"),
    ("VALE_PRESENTE", "Vale-presente"),
    ("OUTRO", "Outro"),
];

/// What one way of paying becomes in Conta Azul.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct PaymentChoice {
    /// One of [`CONTAAZUL_TYPES`].
    pub tipo_pagamento: String,
    /// The order's installments become the sale's (monthly, from the sale date).
    pub installments: bool,
}

/// The merchant's table; a way of paying not in it follows the article (*Dinheiro*, one
/// installment). Empty: the article's rule for every order.
pub type PaymentMapping = BTreeMap<PaymentMethod, PaymentChoice>;

/// The table *Configurações* offers with one click: each way of paying as its own type,
/// credit card installments kept.
pub fn suggested_mapping() -> PaymentMapping {
    let choice = |tipo: &str, installments: bool| PaymentChoice {
        tipo_pagamento: tipo.into(),
        installments,
    };
    PaymentMapping::from([
        (PaymentMethod::CreditCard, choice("CARTAO_CREDITO", true)),
        (PaymentMethod::DebitCard, choice("CARTAO_DEBITO", false)),
        (
            PaymentMethod::Pix,
            choice("PIX_PAGAMENTO_INSTANTANEO", false),
        ),
        (PaymentMethod::Boleto, choice("BOLETO_BANCARIO", false)),
        (
            PaymentMethod::Transfer,
            choice("TRANSFERENCIA_BANCARIA", false),
        ),
        (PaymentMethod::Wallet, choice("CARTEIRA_DIGITAL", false)),
        (PaymentMethod::Cash, choice("DINHEIRO", false)),
        (PaymentMethod::Other, choice("OUTRO", false)),
    ])
}

/// A mapping the merchant wrote is checked before it is kept: known types only. A spelling the
/// documents disagree on, kept from an earlier version or typed in the CLI, is kept: if Conta
/// Azul refuses it, the order says to change it (`Problem::payment_type_refused`).
pub fn check_mapping(mapping: &PaymentMapping) -> Result<(), String> {
    for (method, choice) in mapping {
        let tipo = choice.tipo_pagamento.as_str();
        if !CONTAAZUL_TYPES.iter().any(|(offered, _)| *offered == tipo)
            && !DISPUTED_PAYMENT_TYPES.contains(&tipo)
        {
            return Err(format!(
                "“{}” não é uma forma de pagamento da Conta Azul (em {})",
                choice.tipo_pagamento,
                method.label()
            ));
        }
    }
    Ok(())
}

/// The types *Configurações* lists as `(code, label)`: the offered ones, and a disputed
/// spelling the merchant's table already has, so that opening and saving the table never
/// changes it unseen.
pub fn types_to_list(mapping: &PaymentMapping) -> Vec<(String, String)> {
    let mut types: Vec<(String, String)> = CONTAAZUL_TYPES
        .iter()
        .map(|(code, label)| (code.to_string(), label.to_string()))
        .collect();
    for choice in mapping.values() {
        let code = &choice.tipo_pagamento;
        if !types.iter().any(|(listed, _)| listed == code) {
            types.push((code.clone(), format!("{code} (escolhida antes)")));
        }
    }
    types
}

/// The most installments Ponte splits a sale into: Brazilian cards stop at 12 (some at 18 or
/// 24); more is more likely bad data.
pub const MAX_INSTALLMENTS: u32 = 24;

/// The sale's payment condition: the article's (R14) unless the mapping says otherwise for
/// this way of paying.
pub fn payment_condition(
    mapping: &PaymentMapping,
    method: PaymentMethod,
    installments: u32,
    total: Decimal,
    sale_date: NaiveDate,
) -> CondicaoPagamento {
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    let Some(choice) = mapping.get(&method) else {
        return CondicaoPagamento {
            tipo_pagamento: "DINHEIRO".into(),
            opcao_condicao_pagamento: "À vista".into(),
            parcelas: vec![Parcela {
                data_vencimento: date(sale_date),
                valor: total,
                descricao: None,
            }],
        };
    };
    let count = if choice.installments {
        installments.clamp(1, MAX_INSTALLMENTS)
    } else {
        1
    };
    // Equal installments in cents; the first takes what does not divide, so they add up to the
    // total exactly (Conta Azul checks that they do).
    let cents_total = (total * Decimal::from(100)).round();
    let each = (cents_total / Decimal::from(count)).floor();
    let first = cents_total - each * Decimal::from(count - 1);
    let parcelas = (0..count)
        .map(|k| Parcela {
            data_vencimento: date(sale_date + Months::new(k)),
            valor: (if k == 0 { first } else { each }) / Decimal::from(100),
            descricao: (count > 1).then(|| format!("Parcela {} de {count}", k + 1)),
        })
        .collect();
    CondicaoPagamento {
        tipo_pagamento: choice.tipo_pagamento.clone(),
        opcao_condicao_pagamento: if count > 1 {
            format!("{count}x")
        } else {
            "À vista".into()
        },
        parcelas,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 22: only the types the Sales OpenAPI and the current `createVenda` page spell alike
    /// are offered; a disputed one already in the table stays listed and can be saved again.
    #[test]
    fn only_agreed_spellings_are_offered_and_a_chosen_one_stays_listed() {
        for (offered, _) in CONTAAZUL_TYPES {
            assert!(!DISPUTED_PAYMENT_TYPES.contains(&offered), "{offered}");
        }
        let listed = types_to_list(&suggested_mapping());
        assert_eq!(listed.len(), CONTAAZUL_TYPES.len());
        let mut mapping = suggested_mapping();
        mapping.insert(
            PaymentMethod::Other,
            PaymentChoice {
                tipo_pagamento: "LINK_PAGAMENTO".into(),
                installments: false,
            },
        );
        assert!(check_mapping(&mapping).is_ok());
        let listed = types_to_list(&mapping);
        assert_eq!(listed.len(), CONTAAZUL_TYPES.len() + 1);
        assert_eq!(listed.last().unwrap().0, "LINK_PAGAMENTO");
    }

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 31).unwrap()
    }

    #[test]
    fn r14_without_a_mapping_every_order_is_cash_in_one_installment() {
        for method in PaymentMethod::ALL {
            let condition = payment_condition(&PaymentMapping::new(), method, 6, d("100"), day());
            assert_eq!(condition.tipo_pagamento, "DINHEIRO");
            assert_eq!(condition.opcao_condicao_pagamento, "À vista");
            assert_eq!(condition.parcelas.len(), 1);
            assert_eq!(condition.parcelas[0].valor, d("100"));
            assert_eq!(condition.parcelas[0].data_vencimento, "2026-01-31");
        }
    }

    #[test]
    fn card_installments_add_up_to_the_total_month_after_month() {
        let mapping = suggested_mapping();
        let condition =
            payment_condition(&mapping, PaymentMethod::CreditCard, 3, d("100.00"), day());
        assert_eq!(condition.tipo_pagamento, "CARTAO_CREDITO");
        assert_eq!(condition.opcao_condicao_pagamento, "3x");
        let values: Vec<Decimal> = condition.parcelas.iter().map(|p| p.valor).collect();
        assert_eq!(values, vec![d("33.34"), d("33.33"), d("33.33")]);
        let dates: Vec<&str> = condition
            .parcelas
            .iter()
            .map(|p| p.data_vencimento.as_str())
            .collect();
        // The end of January is followed by the end of February, not by March.
        assert_eq!(dates, vec!["2026-01-31", "2026-02-28", "2026-03-31"]);
        // Installments switched off for Pix: one, whatever the order says.
        let pix = payment_condition(&mapping, PaymentMethod::Pix, 3, d("100"), day());
        assert_eq!(
            (pix.tipo_pagamento.as_str(), pix.parcelas.len()),
            ("PIX_PAGAMENTO_INSTANTANEO", 1)
        );
        // Absurd installment counts are bounded.
        let many = payment_condition(&mapping, PaymentMethod::CreditCard, 500, d("1"), day());
        assert_eq!(many.parcelas.len(), MAX_INSTALLMENTS as usize);
        assert_eq!(
            many.parcelas.iter().map(|p| p.valor).sum::<Decimal>(),
            d("1")
        );
    }

    #[test]
    fn the_order_says_how_it_was_paid_in_any_of_its_spellings() {
        use PaymentMethod::*;
        for (method, gateway, expected) in [
            (Some("credit_card"), Some("pagseguro"), CreditCard),
            (Some("Credit-Card"), None, CreditCard),
            (Some("pix"), Some("mercadopago"), Pix),
            (Some("boleto"), None, Boleto),
            (Some("wire_transfer"), Some("offline"), Transfer),
            (Some("something_new"), None, Other),
            (None, Some("boleto_paghiper"), Boleto),
            (None, Some("offline"), Other),
            (Some("  "), None, Other),
        ] {
            assert_eq!(
                PaymentMethod::of_order(method, gateway),
                expected,
                "{method:?} {gateway:?}"
            );
        }
    }

    #[test]
    fn only_conta_azul_types_are_kept() {
        assert!(check_mapping(&suggested_mapping()).is_ok());
        let mut wrong = suggested_mapping();
        wrong.get_mut(&PaymentMethod::Pix).unwrap().tipo_pagamento = "PIX".into();
        assert!(check_mapping(&wrong).unwrap_err().contains("Pix"));
    }
}
