//! The other answers a real service might give where the public documents are silent, switchable
//! while the sandbox runs. [`crate::assumptions`] holds the answer the sandbox gives by default;
//! each field here names one of those facts and the alternatives seen in other sources or simply
//! possible. Ponte must keep working whichever holds, and `ponte doctor` must tell which one does.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Answers {
    pub contaazul: ContaAzulAnswers,
    pub nuvemshop: NuvemshopAnswers,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContaAzulAnswers {
    /// `GET /v1/produtos` ignores `status` (documented only by the n8n node and an SDK): every
    /// product is listed whatever the filter asks, each still with its own `status`.
    pub products_status_ignored: bool,
    /// The `tipo_pagamento` names `POST /v1/venda` takes.
    pub payment_types: PaymentTypeNames,
    /// The page sizes lists take, when not the documented `10, 20, 50, 100, 200, 500, 1000`.
    pub page_sizes: Option<Vec<usize>>,
    /// What `GET /v1/pessoas/conta-conectada` answers.
    pub connected_company: ConnectedCompany,
    /// What `GET /v1/venda/proximo-numero` answers.
    pub next_number: NextNumber,
    /// A sale may be created under a number another sale has.
    pub duplicate_sale_numbers: bool,
}

/// The spellings of the payment types the Sales OpenAPI and the current `createVenda` page
/// disagree on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentTypeNames {
    /// Either spelling.
    #[default]
    Both,
    /// The Sales OpenAPI's: `LINK_PAGAMENTO`, `COBRANCA_PIX`.
    SalesSpec,
    /// The current page's: `CARTAO_CREDITO_VIA_LINK`, `PIX_COBRANCA`.
    CurrentPage,
}

impl PaymentTypeNames {
    /// Whether `POST /v1/venda` takes this `tipo_pagamento` (the names both agree on always).
    pub fn accepts(self, tipo: &str) -> bool {
        match self {
            PaymentTypeNames::Both => true,
            PaymentTypeNames::SalesSpec => {
                !matches!(tipo, "CARTAO_CREDITO_VIA_LINK" | "PIX_COBRANCA")
            }
            PaymentTypeNames::CurrentPage => !matches!(tipo, "LINK_PAGAMENTO" | "COBRANCA_PIX"),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectedCompany {
    /// The official .NET SDK's `Empresa`: `razao_social`, `nome_fantasia`, `documento`…
    #[default]
    SdkFields,
    /// Only a `nome`.
    NameOnly,
    /// None of the names.
    NoName,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextNumber {
    /// A bare integer (documented).
    #[default]
    Bare,
    /// `{"proximo_numero": n}`.
    Object,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NuvemshopAnswers {
    /// How a query past the 10,000-result cap is refused.
    pub result_cap: ResultCap,
    /// Lists come without `X-Total-Count`.
    pub no_total_count: bool,
    /// The LGPD webhooks set in the partner panel come unsigned (only API-created webhooks are
    /// documented as signed).
    pub lgpd_unsigned: bool,
}

/// The cap's answer, undocumented: status, and whether page 1 already fails.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultCap {
    /// 422 for a page past the cap.
    #[default]
    Unprocessable,
    /// 400 for a page past the cap.
    BadRequest,
    /// 400 for any page of a query that matches more than the cap, page 1 included.
    WholeQuery,
    /// 404 "Last page is N" past the cap, as if the list ended there.
    NotFoundPastCap,
    /// An empty page past the cap.
    EmptyPastCap,
}
