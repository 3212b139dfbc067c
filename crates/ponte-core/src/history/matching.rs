//! What importing an order would do and why, found without creating anything: the customer
//! reused or created (R11–R12), each product reused or created (R10), or the problem that
//! would stop it. The backfill's preview and the queue's *o que vai acontecer* read it.

use serde::Serialize;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::error::Result;
use crate::nuvemshop::Order;
use crate::rules::customer::customer_draft;
use crate::rules::product::ProductMatch;
use crate::rules::sale::{sale_draft, SaleLine};
use crate::store::Remembered;
use crate::sync::shared::PassShared;
use crate::sync::{customer_key, product_key, Engine};

/// What would happen to one customer or product.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Reuse,
    Create,
    /// It cannot be used as it is: the order would fail.
    Problem,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Choice {
    /// The customer's name or the product's description, as the sale would carry it.
    pub name: String,
    pub action: Action,
    /// Why, in the merchant's words: *mesmo nome e CPF*, *nenhuma descrição igual*…
    pub why: String,
}

/// An order's plan: its customer and products, or the problem that stops it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
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

/// What the plans of several orders share: what a pass shares (the catalogue and customer base
/// read once, the merchant's options), each customer and product asked of Conta Azul once, and
/// which earlier order of the plan creates it (a later one then reuses it, as the pass would).
pub(crate) struct Planning {
    shared: PassShared,
    customers: Mutex<HashMap<String, Known>>,
    products: Mutex<HashMap<String, (Known, ProductMatch, bool)>>,
}

#[derive(Clone, Copy)]
enum Known {
    /// As Conta Azul has it (or not).
    AsFound,
    /// Created by the import of this earlier order.
    CreatedFor(u64),
}

impl Engine {
    /// What plans share: the catalogue and customer base read once, the merchant's options.
    pub(crate) fn planning(&self) -> Result<Planning> {
        Ok(Planning {
            shared: PassShared::matching_by_sku(self.store.settings()?.options.match_by_sku),
            customers: Mutex::default(),
            products: Mutex::default(),
        })
    }

    /// What importing `order` would do, asked of Conta Azul without creating anything.
    pub(crate) async fn plan_order(&self, order: &Order, planning: &Planning) -> Result<OrderPlan> {
        let shared = &planning.shared;
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
        let key = customer_key(&customer);
        let known = lock(&planning.customers).get(&key).copied();
        let found = match known {
            Some(Known::CreatedFor(_)) => None,
            Some(Known::AsFound) => Some(String::new()),
            None => match self.store.remembered_id(Remembered::Customer, &key)? {
                Some(id) => Some(id),
                None => self.find_customer(&customer, shared).await?,
            },
        };
        if known.is_none() {
            let entry = match found {
                Some(_) => Known::AsFound,
                None => Known::CreatedFor(order.number),
            };
            lock(&planning.customers).insert(key, entry);
        }
        plan.customer = Some(match found {
            _ if matches!(known, Some(Known::CreatedFor(_))) => Choice {
                name: customer.name.clone(),
                action: Action::Reuse,
                why: format!(
                    "cliente reutilizado: criado para o pedido #{}",
                    match known {
                        Some(Known::CreatedFor(number)) => number,
                        _ => order.number,
                    }
                ),
            },
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
            let known = lock(&planning.products).get(&key).cloned();
            let (known, matched, by_sku) = match known {
                Some(known) => known,
                None => {
                    let (matched, by_sku) = self.plan_product(line, &key, shared).await?;
                    let entry = match matched {
                        ProductMatch::Create => Known::CreatedFor(order.number),
                        _ => Known::AsFound,
                    };
                    lock(&planning.products).insert(key, (entry, matched.clone(), by_sku));
                    (Known::AsFound, matched, by_sku)
                }
            };
            if let Known::CreatedFor(number) = known {
                plan.products.push(Choice {
                    name: line.description.clone(),
                    action: Action::Reuse,
                    why: format!("produto reutilizado: criado para o pedido #{number}"),
                });
                continue;
            }
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

impl Engine {
    /// A line's product as Conta Azul has it: remembered, by SKU, or by description; and
    /// whether the SKU chose it.
    async fn plan_product(
        &self,
        line: &SaleLine,
        key: &str,
        shared: &PassShared,
    ) -> Result<(ProductMatch, bool)> {
        if let Some(id) = self.store.remembered_id(Remembered::Product, key)? {
            return Ok((ProductMatch::Reuse(id), key.starts_with("sku:")));
        }
        if let Some(matched) = self.find_product_by_sku(line, shared).await? {
            return Ok((matched, true));
        }
        Ok((self.find_product(&line.description, shared).await?, false))
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
