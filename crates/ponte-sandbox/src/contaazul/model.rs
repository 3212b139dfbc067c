//! The simulated Conta Azul company: people, products, sales, sellers and OAuth state.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::limits::WindowLimiter;
use crate::config::ContaAzulConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TipoPessoa {
    #[serde(rename = "Física")]
    Fisica,
    #[serde(rename = "Jurídica")]
    Juridica,
    #[serde(rename = "Estrangeira")]
    Estrangeira,
}

impl TipoPessoa {
    pub fn as_str(self) -> &'static str {
        match self {
            TipoPessoa::Fisica => "Física",
            TipoPessoa::Juridica => "Jurídica",
            TipoPessoa::Estrangeira => "Estrangeira",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Pessoa {
    pub id: Uuid,
    pub id_legado: i64,
    pub nome: String,
    pub tipo_pessoa: TipoPessoa,
    /// CPF or CNPJ digits.
    pub documento: Option<String>,
    pub email: Option<String>,
    pub telefone_comercial: Option<String>,
    pub telefone_celular: Option<String>,
    pub perfis: Vec<String>,
    pub ativo: bool,
    pub data_criacao: DateTime<Utc>,
    /// Created through the API (by an integration) rather than seeded.
    pub criado_pela_api: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Produto {
    pub id: Uuid,
    pub id_legado: i64,
    pub nome: String,
    pub codigo_sku: Option<String>,
    pub valor_venda: Decimal,
    pub custo_medio: Decimal,
    /// Available stock. Creating a sale does not move it: the sale awaits review.
    pub saldo: Decimal,
    pub ativo: bool,
    pub data_criacao: DateTime<Utc>,
    pub criado_pela_api: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Vendedor {
    pub id: Uuid,
    pub nome: String,
    pub id_legado: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct VendaItem {
    pub id_item: Uuid,
    pub id_produto: Uuid,
    pub nome_produto: String,
    pub descricao: Option<String>,
    pub quantidade: Decimal,
    pub valor: Decimal,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Desconto {
    pub tipo: String,
    pub valor: Decimal,
}

#[derive(Clone, Debug, Serialize)]
pub struct Parcela {
    pub id: Uuid,
    pub numero: u32,
    pub data_vencimento: NaiveDate,
    pub valor: Decimal,
    pub descricao: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Venda {
    pub id: Uuid,
    pub id_legado: i64,
    pub numero: i64,
    pub id_cliente: Uuid,
    pub id_vendedor: Option<Uuid>,
    pub data_venda: NaiveDate,
    pub situacao: String,
    pub observacoes: Option<String>,
    pub observacoes_pagamento: Option<String>,
    pub itens: Vec<VendaItem>,
    pub frete: Decimal,
    pub desconto: Option<Desconto>,
    pub tipo_pagamento: Option<String>,
    pub opcao_condicao_pagamento: String,
    pub parcelas: Vec<Parcela>,
    pub criado_em: DateTime<Utc>,
    pub versao: i64,
    /// Until then the sale exists (its number is taken, `GET /v1/venda/{id}` finds it) but
    /// searches do not list it yet: a lagging search index.
    #[serde(skip)]
    pub hidden_until: Option<Instant>,
}

impl Venda {
    pub fn valor_bruto(&self) -> Decimal {
        self.itens
            .iter()
            .map(|item| crate::money::cents(item.quantidade * item.valor))
            .sum()
    }

    pub fn valor_desconto(&self) -> Decimal {
        discount_amount(self.valor_bruto(), self.desconto.as_ref())
    }

    pub fn total(&self) -> Decimal {
        self.valor_bruto() - self.valor_desconto() + self.frete
    }
}

pub(crate) fn discount_amount(gross: Decimal, desconto: Option<&Desconto>) -> Decimal {
    match desconto {
        None => Decimal::ZERO,
        Some(d) if d.tipo == "PORCENTAGEM" => {
            crate::money::cents(gross * d.valor / Decimal::from(100))
        }
        Some(d) => crate::money::cents(d.valor),
    }
}

/// A seeded customer (*Cliente*), as a test or the demo describes it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewPessoa {
    #[serde(alias = "name")]
    pub nome: String,
    /// CPF (11 digits) or CNPJ (14 digits); decides the person type.
    #[serde(alias = "document", alias = "cpf", alias = "cnpj")]
    pub documento: Option<String>,
    pub email: Option<String>,
    pub telefone_celular: Option<String>,
    pub ativo: Option<bool>,
}

/// A seeded product, with its stock balance.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewProduto {
    #[serde(alias = "name")]
    pub nome: String,
    #[serde(alias = "sku")]
    pub codigo_sku: Option<String>,
    #[serde(alias = "price")]
    pub valor_venda: Decimal,
    #[serde(alias = "stock")]
    pub saldo: Decimal,
    pub ativo: Option<bool>,
}

pub(crate) struct CodeGrant {
    pub expires: Instant,
    pub redirect_uri: String,
}

pub(crate) struct ContaAzulState {
    pub codes: HashMap<String, CodeGrant>,
    /// Access token → expiry.
    pub access_tokens: HashMap<String, Instant>,
    /// The refresh tokens that still work: each is single-use.
    pub refresh_tokens: HashSet<String>,
    pub pessoas: Vec<Pessoa>,
    pub produtos: Vec<Produto>,
    pub vendas: Vec<Venda>,
    pub vendedores: Vec<Vendedor>,
    /// *Verificar estoque ao criar uma venda*.
    pub verificar_estoque: bool,
    /// How long a new sale stays out of searches (zero: visible at once).
    pub sale_search_lag: std::time::Duration,
    pub limiter: WindowLimiter,
    first_sale_number: i64,
    next_legacy_id: i64,
}

impl ContaAzulState {
    pub fn new(config: &ContaAzulConfig) -> Self {
        ContaAzulState {
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashSet::new(),
            pessoas: Vec::new(),
            produtos: Vec::new(),
            vendas: Vec::new(),
            vendedores: Vec::new(),
            verificar_estoque: false,
            sale_search_lag: std::time::Duration::ZERO,
            limiter: WindowLimiter::new(config.requests_per_second, config.requests_per_minute),
            first_sale_number: config.first_sale_number,
            next_legacy_id: 41_000_001,
        }
    }

    pub fn clear_data(&mut self) {
        self.pessoas.clear();
        self.produtos.clear();
        self.vendas.clear();
        self.vendedores.clear();
        self.verificar_estoque = false;
        self.sale_search_lag = std::time::Duration::ZERO;
    }

    /// Keeps a sale out of searches for `hidden` from now.
    pub fn hide_sale(&mut self, id: Uuid, hidden: std::time::Duration) {
        if let Some(venda) = self.vendas.iter_mut().find(|venda| venda.id == id) {
            venda.hidden_until = Some(Instant::now() + hidden);
        }
    }

    pub fn legacy_id(&mut self) -> i64 {
        self.next_legacy_id += 1;
        self.next_legacy_id
    }

    pub fn next_sale_number(&self) -> i64 {
        self.vendas
            .iter()
            .map(|venda| venda.numero + 1)
            .max()
            .unwrap_or(self.first_sale_number)
            .max(self.first_sale_number)
    }

    pub fn add_vendedor(&mut self, nome: &str) -> Vendedor {
        let vendedor = Vendedor {
            id: Uuid::new_v4(),
            nome: nome.to_string(),
            id_legado: self.legacy_id(),
        };
        self.vendedores.push(vendedor.clone());
        vendedor
    }

    pub fn add_pessoa(&mut self, new: NewPessoa) -> Pessoa {
        let documento = new
            .documento
            .map(|doc| doc.chars().filter(char::is_ascii_digit).collect::<String>())
            .filter(|doc| !doc.is_empty());
        let tipo_pessoa = if documento.as_ref().is_some_and(|doc| doc.len() == 14) {
            TipoPessoa::Juridica
        } else {
            TipoPessoa::Fisica
        };
        let pessoa = Pessoa {
            id: Uuid::new_v4(),
            id_legado: self.legacy_id(),
            nome: new.nome,
            tipo_pessoa,
            documento,
            email: new.email,
            telefone_comercial: None,
            telefone_celular: new.telefone_celular,
            perfis: vec!["Cliente".into()],
            ativo: new.ativo.unwrap_or(true),
            data_criacao: Utc::now(),
            criado_pela_api: false,
        };
        self.pessoas.push(pessoa.clone());
        pessoa
    }

    /// A sale the merchant typed in Conta Azul's screens (as the article says to do for the
    /// sales before the activation date): the customer by name, one line, no note.
    pub fn type_sale(&mut self, customer: &str, total: Decimal, date: NaiveDate) -> Venda {
        let id_cliente = match self.pessoas.iter().find(|p| p.nome == customer) {
            Some(pessoa) => pessoa.id,
            None => {
                self.add_pessoa(NewPessoa {
                    nome: customer.into(),
                    ..NewPessoa::default()
                })
                .id
            }
        };
        let produto = match self.produtos.iter().find(|p| p.nome == "Venda de balcão") {
            Some(produto) => produto.clone(),
            None => self.add_produto(NewProduto {
                nome: "Venda de balcão".into(),
                codigo_sku: None,
                valor_venda: total,
                saldo: Decimal::ZERO,
                ativo: None,
            }),
        };
        let venda = Venda {
            id: Uuid::new_v4(),
            id_legado: self.legacy_id(),
            numero: self.next_sale_number(),
            id_cliente,
            id_vendedor: None,
            data_venda: date,
            situacao: "APROVADO".into(),
            observacoes: None,
            observacoes_pagamento: None,
            itens: vec![VendaItem {
                id_item: Uuid::new_v4(),
                id_produto: produto.id,
                nome_produto: produto.nome.clone(),
                descricao: None,
                quantidade: Decimal::ONE,
                valor: total,
            }],
            frete: Decimal::ZERO,
            desconto: None,
            tipo_pagamento: Some("DINHEIRO".into()),
            opcao_condicao_pagamento: "À vista".into(),
            parcelas: Vec::new(),
            criado_em: Utc::now(),
            versao: 1,
            hidden_until: None,
        };
        self.vendas.push(venda.clone());
        venda
    }

    pub fn add_produto(&mut self, new: NewProduto) -> Produto {
        let produto = Produto {
            id: Uuid::new_v4(),
            id_legado: self.legacy_id(),
            nome: new.nome,
            codigo_sku: new.codigo_sku,
            valor_venda: new.valor_venda,
            custo_medio: Decimal::ZERO,
            saldo: new.saldo,
            ativo: new.ativo.unwrap_or(true),
            data_criacao: Utc::now(),
            criado_pela_api: false,
        };
        self.produtos.push(produto.clone());
        produto
    }

    pub fn pessoa(&self, id: Uuid) -> Option<&Pessoa> {
        self.pessoas.iter().find(|pessoa| pessoa.id == id)
    }

    pub fn produto(&self, id: Uuid) -> Option<&Produto> {
        self.produtos.iter().find(|produto| produto.id == id)
    }

    pub fn vendedor(&self, id: Uuid) -> Option<&Vendedor> {
        self.vendedores.iter().find(|vendedor| vendedor.id == id)
    }
}
