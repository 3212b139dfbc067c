//! Conta Azul's shapes, as Ponte sends and reads them (checked against the published Sales
//! OpenAPI in the tests). Money goes out as JSON numbers, the way the API types it; inside,
//! it stays `Decimal` until this edge.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// People and products come in `{items, totalItems}`…
#[derive(Debug, Deserialize)]
pub struct Items<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(rename = "totalItems", default)]
    pub total_items: u64,
}

/// …sales in `{itens, total_itens}`.
#[derive(Debug, Deserialize)]
pub struct Itens<T> {
    #[serde(default = "Vec::new")]
    pub itens: Vec<T>,
    #[serde(default)]
    pub total_itens: u64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PessoaSummary {
    pub id: String,
    pub nome: String,
    #[serde(default)]
    pub documento: Option<String>,
    #[serde(default)]
    pub ativo: Option<bool>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Perfil {
    pub tipo_perfil: &'static str,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewPessoa {
    pub nome: String,
    pub tipo_pessoa: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpf: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnpj: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telefone_comercial: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub telefone_celular: Option<String>,
    pub perfis: Vec<Perfil>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Created {
    pub id: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ProdutoSummary {
    pub id: String,
    pub nome: String,
    #[serde(default)]
    pub status: Option<String>,
    /// The product's code (its SKU), as the list names it.
    #[serde(default)]
    pub codigo: Option<String>,
    /// The same code, as a product's own answer names it.
    #[serde(default)]
    pub codigo_sku: Option<String>,
    /// The available stock, as the list returns it; kept raw, so that an odd value never
    /// hides the product.
    #[serde(default)]
    pub saldo: Option<serde_json::Value>,
}

impl ProdutoSummary {
    pub fn sku(&self) -> Option<&str> {
        self.codigo
            .as_deref()
            .or(self.codigo_sku.as_deref())
            .map(str::trim)
            .filter(|code| !code.is_empty())
    }

    /// The available stock, when the answer carried a readable one.
    pub fn balance(&self) -> Option<Decimal> {
        match self.saldo.as_ref()? {
            serde_json::Value::Number(number) => number.to_string().parse().ok(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn is_active(&self) -> bool {
        self.status
            .as_deref()
            .is_none_or(|status| status == "ATIVO")
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewProdutoEstoque {
    #[serde(with = "rust_decimal::serde::float")]
    pub valor_venda: Decimal,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewProduto {
    pub nome: String,
    /// The line's SKU, when products are matched by it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub codigo_sku: Option<String>,
    pub formato: &'static str,
    pub estoque: NewProdutoEstoque,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct Vendedor {
    pub id: String,
    pub nome: String,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VendaItem {
    pub id: String,
    pub descricao: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub quantidade: Decimal,
    #[serde(with = "rust_decimal::serde::float")]
    pub valor: Decimal,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Desconto {
    pub tipo: &'static str,
    #[serde(with = "rust_decimal::serde::float")]
    pub valor: Decimal,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ComposicaoDeValor {
    #[serde(with = "rust_decimal::serde::float")]
    pub frete: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub desconto: Option<Desconto>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Parcela {
    pub data_vencimento: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub valor: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub descricao: Option<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CondicaoPagamento {
    pub tipo_pagamento: String,
    pub opcao_condicao_pagamento: String,
    pub parcelas: Vec<Parcela>,
}

/// `POST /v1/venda` (`CriacaoVendaRequest`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewVenda {
    pub id_cliente: String,
    pub numero: i64,
    pub situacao: &'static str,
    pub data_venda: String,
    pub id_vendedor: String,
    pub observacoes: String,
    pub itens: Vec<VendaItem>,
    pub composicao_de_valor: ComposicaoDeValor,
    pub condicao_pagamento: CondicaoPagamento,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VendaCreated {
    pub id: String,
    pub numero: i64,
}

#[derive(Clone, Debug, Deserialize)]
pub struct VendaSummary {
    pub id: String,
    pub numero: i64,
    /// The sale's date (`YYYY-MM-DD`), as the search lists it.
    #[serde(default)]
    pub data: Option<String>,
    /// Its total; kept raw, so that an odd value never hides the sale.
    #[serde(default)]
    pub total: Option<serde_json::Value>,
    #[serde(default)]
    pub cliente: Option<ClienteResumo>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ClienteResumo {
    #[serde(default)]
    pub nome: Option<String>,
}

impl VendaSummary {
    pub fn date(&self) -> Option<chrono::NaiveDate> {
        self.data.as_deref()?.get(..10)?.parse().ok()
    }

    pub fn total(&self) -> Option<Decimal> {
        match self.total.as_ref()? {
            serde_json::Value::Number(number) => number.to_string().parse().ok(),
            serde_json::Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }
    }
}
