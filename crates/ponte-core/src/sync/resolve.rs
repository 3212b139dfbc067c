//! The customer (R11, R12) and the products (R10) of a sale: remembered from an earlier pass,
//! found in Conta Azul, or created there, each once per pass however many orders share them.

use super::*;

impl Engine {
    /// R11–R12: the customer's id — remembered from an earlier pass, reused or created; a
    /// refusal becomes the order's problem.
    pub(super) async fn resolve_customer(
        &self,
        draft: &CustomerDraft,
        shared: &PassShared,
    ) -> Result<std::result::Result<Resolved, Problem>> {
        let key = customer_key(draft);
        let cell = shared.customers.cell(&key);
        let resolved = cell
            .get_or_try_init(|| {
                self.remembered_or(Remembered::Customer, &key, async {
                    self.in_company(Remembered::Customer, &key, shared, async {
                        self.find_or_create_customer(draft, shared).await
                    })
                    .await
                })
            })
            .await;
        unresolved(resolved)
    }

    /// In a company other profiles import into, `resolve` (a lookup, then maybe a creation)
    /// runs in this process's turn, after what the other profiles found or created there:
    /// the same buyer or product in two stores is one customer or product in the company.
    /// The id, and whether it came from the company's memory (another profile's lookup or
    /// creation, maybe long ago: like an id remembered from an earlier pass, it is looked up
    /// afresh if the sale is refused).
    async fn in_company(
        &self,
        kind: Remembered,
        key: &str,
        shared: &PassShared,
        resolve: impl std::future::Future<Output = Result<std::result::Result<String, Problem>>>,
    ) -> Result<std::result::Result<(String, bool), Problem>> {
        let fresh = |resolved: std::result::Result<String, Problem>| resolved.map(|id| (id, false));
        let Some(company) = &shared.company else {
            return Ok(fresh(resolve.await?));
        };
        let _turn = company.creation_turn().await?;
        if let Some(id) = company.known(kind, key)? {
            return Ok(Ok((id, true)));
        }
        let resolved = resolve.await?;
        if let Ok(id) = &resolved {
            company.record(kind, key, id)?;
        }
        Ok(fresh(resolved))
    }

    /// The id remembered for `key`, or what `resolve` finds (then remembered): with whether
    /// `resolve` took it from a memory too (the company's), rather than from Conta Azul now.
    pub(super) async fn remembered_or(
        &self,
        kind: Remembered,
        key: &str,
        resolve: impl std::future::Future<Output = Result<std::result::Result<(String, bool), Problem>>>,
    ) -> std::result::Result<Resolved, Unresolved> {
        match self.store.remembered_id(kind, key) {
            Ok(Some(id)) => {
                return Ok(Resolved {
                    id,
                    remembered: true,
                })
            }
            Ok(None) => {}
            Err(error) => return Err(Unresolved::Error(error)),
        }
        match resolve.await {
            Ok(Ok((id, from_memory))) => {
                self.store
                    .remember_id(kind, key, &id, self.clock.now())
                    .map_err(Unresolved::Error)?;
                Ok(Resolved {
                    id,
                    remembered: from_memory,
                })
            }
            Ok(Err(problem)) => Err(Unresolved::Problem(problem)),
            Err(error) => Err(Unresolved::Error(error)),
        }
    }

    pub(super) async fn find_or_create_customer(
        &self,
        draft: &CustomerDraft,
        shared: &PassShared,
    ) -> Result<std::result::Result<String, Problem>> {
        let found = self.find_customer(draft, shared).await?;
        if let Some(id) = found {
            return Ok(Ok(id));
        }
        // R4: nothing is created once switched off.
        if self.stopping(shared)? {
            return Err(Error::Disabled);
        }
        Ok(
            match self.contaazul.create_pessoa(&draft.to_new_pessoa()).await? {
                Ok(id) => Ok(id),
                Err(refused) => {
                    let message = crate::contaazul::assumptions::error_message(&refused.body);
                    Err(Problem::customer_refused(&draft.name, &message).with_details(refused.body))
                }
            },
        )
    }

    /// R10: the product with the same description (or, matching by SKU, the same code), or a
    /// new one. Active products are asked for first; only when none has the description are
    /// the inactive ones, so that an inactive namesake is reported (R20) rather than duplicated.
    pub(super) async fn resolve_product(
        &self,
        line: &SaleLine,
        shared: &PassShared,
    ) -> Result<std::result::Result<Resolved, Problem>> {
        let key = product_key(line, shared.match_by_sku);
        let cell = shared.products.cell(&key);
        let resolved = cell
            .get_or_try_init(|| {
                self.remembered_or(Remembered::Product, &key, async {
                    self.in_company(Remembered::Product, &key, shared, async {
                        self.find_or_create_product(line, shared).await
                    })
                    .await
                })
            })
            .await;
        unresolved(resolved)
    }

    pub(super) async fn find_or_create_product(
        &self,
        line: &SaleLine,
        shared: &PassShared,
    ) -> Result<std::result::Result<String, Problem>> {
        let matched = match self.find_product_by_sku(line, shared).await? {
            Some(matched) => matched,
            None => self.find_product(&line.description, shared).await?,
        };
        Ok(match matched {
            ProductMatch::Reuse(id) => Ok(id),
            ProductMatch::Unusable(problem) => Err(problem),
            ProductMatch::Create => {
                // R4: nothing is created once switched off.
                if self.stopping(shared)? {
                    return Err(Error::Disabled);
                }
                let sku = line.sku.as_deref().filter(|_| shared.match_by_sku);
                match self
                    .contaazul
                    .create_produto(&new_product(&line.description, line.unit_price, sku))
                    .await?
                {
                    Ok(id) => Ok(id),
                    Err(refused) => Err(classify_refusal(
                        refused.status,
                        &refused.body,
                        std::slice::from_ref(&line.description),
                    )),
                }
            }
        })
    }

    /// The active and inactive products when each status fits one page (the common case for a
    /// store's first import), or `None` for a catalogue searched product by product.
    pub(super) async fn whole_catalogue(&self) -> Result<Option<Vec<ProdutoSummary>>> {
        let (mut all, total_active) = self.contaazul.produtos_first_page("ATIVO").await?;
        if total_active > all.len() as u64 {
            return Ok(None);
        }
        let (inactive, total_inactive) = self.contaazul.produtos_first_page("INATIVO").await?;
        if total_inactive > inactive.len() as u64 {
            return Ok(None);
        }
        all.extend(inactive);
        Ok(Some(all))
    }
}

/// The key a line's product is resolved and remembered by: its SKU when matching by SKU (and
/// the line has one), its description otherwise (R10).
pub(crate) fn product_key(line: &SaleLine, match_by_sku: bool) -> String {
    match line.sku.as_deref().filter(|_| match_by_sku) {
        Some(sku) => format!("sku:{sku}"),
        None => crate::rules::same_text_key(&line.description),
    }
}

/// The key a customer is matched by (R12): its name and document.
pub(crate) fn customer_key(draft: &CustomerDraft) -> String {
    format!(
        "{}|{}",
        crate::rules::same_text_key(&draft.name),
        draft.document.as_ref().map(|d| d.digits()).unwrap_or("")
    )
}

/// A resolution as the order takes it: an id, this order's problem, or an error.
fn unresolved(
    resolved: std::result::Result<&Resolved, Unresolved>,
) -> Result<std::result::Result<Resolved, Problem>> {
    match resolved {
        Ok(resolved) => Ok(Ok(resolved.clone())),
        Err(Unresolved::Problem(problem)) => Ok(Err(problem)),
        Err(Unresolved::Error(error)) => Err(error),
    }
}
