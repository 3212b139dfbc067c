//! What importing an order would do and why, found without creating anything: the customer
//! reused or created (R11–R12), each product reused or created (R10), or the problem that
//! would stop it. The backfill's preview and the queue's *o que vai acontecer* read it.

use serde::Serialize;

use crate::error::Result;
use crate::nuvemshop::Order;
use crate::rules::customer::customer_draft;
use crate::rules::product::ProductMatch;
use crate::rules::sale::sale_draft;
use crate::store::Remembered;
use crate::sync::shared::PassShared;
use crate::sync::{customer_key, product_key, Engine};

/// What would happen to one customer or product.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Reuse,
    Create,
    /// It cannot be used as it is: the order would fail.
    Problem,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The customer's name or the product's description, as the sale would carry it.
    pub name: String,
    pub action: Action,
    /// Why, in the merchant's words: *mesmo nome e CPF*, *nenhuma descrição igual*…
    pub why: String,
}

/// An order's plan: its customer and products, or the problem that stops it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OrderPlan {
    pub order_id: u64,
    pub number: u64,
    pub customer: Option<Choice>,
    pub products: Vec<Choice>,
    /// The order cannot become a sale as it is (R18): why.
    pub problem: Option<String>,
}

impl OrderPlan {
    pub fn would_fail(&self) -> bool {
        self.problem.is_some()
            || self
                .customer
                .iter()
                .chain(&self.products)
                .any(|choice| choice.action == Action::Problem)
    }
}

impl Engine {
    /// What plans share: the catalogue and customer base read once, the merchant's options.
    pub(crate) fn plan_shared(&self) -> Result<PassShared> {
        Ok(PassShared::matching_by_sku(
            self.store.settings()?.options.match_by_sku,
        ))
    }

    /// What importing `order` would do, asked of Conta Azul without creating anything. `shared`
    /// keeps what several orders share (the catalogue, the customer base) read once.
    pub(crate) async fn plan_order(&self, order: &Order, shared: &PassShared) -> Result<OrderPlan> {
        let mut plan = OrderPlan {
            order_id: order.id,
            number: order.number,
            customer: None,
            products: Vec::new(),
            problem: None,
        };
        let (customer, draft) = match (customer_draft(order), sale_draft(order)) {
            (Ok(customer), Ok(draft)) => (customer, draft),
            (Err(problem), _) | (_, Err(problem)) => {
                plan.problem = Some(format!("{} {}", problem.message, problem.hint));
                return Ok(plan);
            }
        };
        let document = match &customer.document {
            Some(document) if document.digits().len() == 11 => "CPF",
            Some(_) => "CNPJ",
            None => "sem CPF/CNPJ",
        };
        let remembered = self
            .store
            .remembered_id(Remembered::Customer, &customer_key(&customer))?;
        let found = match remembered {
            Some(id) => Some(id),
            None => self.find_customer(&customer, shared).await?,
        };
        plan.customer = Some(match found {
            Some(_) if document == "sem CPF/CNPJ" => Choice {
                name: customer.name.clone(),
                action: Action::Reuse,
                why: "cliente reutilizado: mesmo nome, e nenhum dos dois tem CPF/CNPJ".into(),
            },
            Some(_) => Choice {
                name: customer.name.clone(),
                action: Action::Reuse,
                why: format!("cliente reutilizado: mesmo nome e {document}"),
            },
            None if document == "sem CPF/CNPJ" => Choice {
                name: customer.name.clone(),
                action: Action::Create,
                why: "cliente novo: nenhum cliente sem CPF/CNPJ com o mesmo nome".into(),
            },
            None => Choice {
                name: customer.name.clone(),
                action: Action::Create,
                why: format!("cliente novo: nenhum cliente com o mesmo nome e {document}"),
            },
        });
        for line in &draft.lines {
            let key = product_key(line, shared.match_by_sku);
            let by_sku = key.starts_with("sku:");
            let remembered = self.store.remembered_id(Remembered::Product, &key)?;
            let matched = match remembered {
                Some(id) => Some(ProductMatch::Reuse(id)),
                None => self.find_product_by_sku(line, shared).await?,
            };
            let by_sku = by_sku && matched.is_some();
            let matched = match matched {
                Some(matched) => matched,
                None => self.find_product(&line.description, shared).await?,
            };
            plan.products.push(match matched {
                ProductMatch::Reuse(_) if by_sku => Choice {
                    name: line.description.clone(),
                    action: Action::Reuse,
                    why: format!(
                        "produto reutilizado: mesmo SKU ({})",
                        line.sku.as_deref().unwrap_or_default()
                    ),
                },
                ProductMatch::Reuse(_) => Choice {
                    name: line.description.clone(),
                    action: Action::Reuse,
                    why: "produto reutilizado: mesma descrição".into(),
                },
                ProductMatch::Create if shared.match_by_sku && line.sku.is_some() => Choice {
                    name: line.description.clone(),
                    action: Action::Create,
                    why: "produto novo: nenhum produto com o mesmo SKU ou a mesma descrição".into(),
                },
                ProductMatch::Create => Choice {
                    name: line.description.clone(),
                    action: Action::Create,
                    why: "produto novo: nenhuma descrição igual".into(),
                },
                ProductMatch::Unusable(problem) => Choice {
                    name: line.description.clone(),
                    action: Action::Problem,
                    why: format!("{} {}", problem.message, problem.hint),
                },
            });
        }
        Ok(plan)
    }
}
