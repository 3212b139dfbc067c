//! What a screen shows, built once for the window and the `ponte` command alike: each is the
//! data a screen needs, already in the merchant's words where words are needed.

use serde::Serialize;

use super::App;
use crate::error::Result;
use crate::rules::payment::{
    suggested_mapping, types_to_list, PaymentChoice, PaymentMethod, CONTAAZUL_TYPES,
};
use crate::store::LgpdRequest;

/// One row of *Configurações › Forma de pagamento na Conta Azul*.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct PaymentRow {
    pub method: PaymentMethod,
    pub label: &'static str,
    pub choice: Option<PaymentChoice>,
    pub suggested: Option<PaymentChoice>,
}

impl PaymentRow {
    /// What the way of paying becomes in Conta Azul, in words.
    pub fn becomes(&self) -> String {
        match &self.choice {
            None => "Dinheiro, à vista (a regra da Conta Azul)".to_string(),
            Some(choice) => {
                let label = CONTAAZUL_TYPES
                    .iter()
                    .find(|(tipo, _)| *tipo == choice.tipo_pagamento)
                    .map_or(choice.tipo_pagamento.as_str(), |(_, label)| label);
                let installments = if choice.installments {
                    "nas parcelas do pedido"
                } else {
                    "à vista"
                };
                format!("{label}, {installments}")
            }
        }
    }
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Payments {
    pub rows: Vec<PaymentRow>,
    /// Conta Azul's payment types: `[code, label]`.
    pub types: Vec<(String, String)>,
}

/// *Configurações › Pedidos LGPD*: where data requests are written, and what was asked.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct Lgpd {
    pub folder: String,
    pub requests: Vec<LgpdRow>,
}

/// One request, with its kind and state in words.
#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct LgpdRow {
    #[serde(flatten)]
    #[ts(flatten)]
    pub request: LgpdRequest,
    pub kind_label: &'static str,
    pub state_label: &'static str,
}

impl App {
    pub fn payments_view(&self) -> Result<Payments> {
        let mapping = self.payment_mapping()?;
        let suggested = suggested_mapping();
        Ok(Payments {
            rows: PaymentMethod::ALL
                .into_iter()
                .map(|method| PaymentRow {
                    method,
                    label: method.label(),
                    choice: mapping.get(&method).cloned(),
                    suggested: suggested.get(&method).cloned(),
                })
                .collect(),
            types: types_to_list(&mapping),
        })
    }

    pub fn lgpd_view(&self) -> Result<Lgpd> {
        Ok(Lgpd {
            folder: self.lgpd_folder()?.display().to_string(),
            requests: self
                .lgpd_requests()?
                .into_iter()
                .map(|request| LgpdRow {
                    kind_label: request.kind.label(),
                    state_label: request.state.label(),
                    request,
                })
                .collect(),
        })
    }
}
