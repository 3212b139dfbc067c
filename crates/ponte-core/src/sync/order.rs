//! Step 2 for one order: from its ledger row and Conta Azul's answers, the next thing to do —
//! prepare its sale, send it, look it up by number — carried out until it is imported, failed
//! or left to wait (R8, R9, R13–R21).

use super::*;

/// An order's sale with everything resolved but its number.
pub(super) struct Prepared {
    draft: SaleDraft,
    customer_id: String,
    product_ids: Vec<String>,
    /// The keys whose ids came from an earlier pass: forgotten if Conta Azul refuses the sale.
    remembered: Vec<(Remembered, String)>,
}

impl Engine {
    /// Takes one order as far as it can go in this pass. `Err` only for what ends the pass.
    pub(super) async fn advance(
        &self,
        ledger: &LedgerOrder,
        seller: &Seller,
        shared: &PassShared,
        turn: Turn<'_>,
    ) -> Result<Outcome> {
        let mut progress = ledger.progress();
        // Only an order without a number waits for its turn to take one; the others go ahead.
        let turn = matches!(progress, Progress::Queued).then_some(turn);
        match self
            .steps(ledger, &mut progress, seller, shared, turn)
            .await
        {
            Ok(outcome) => Ok(outcome),
            // Switched off before it created anything: as it was.
            Err(Error::Disabled) => Ok(Outcome::Interrupted),
            Err(error) if ends_the_pass(&error) => Err(error),
            Err(error) => {
                let now = self.clock.now();
                match progress {
                    // Before any sale was sent: a passing trouble is tried again, and shown if
                    // it persists; anything else is this order's failure.
                    Progress::Queued if error.is_transient() => self.defer(ledger, &error),
                    Progress::Queued => self.fail(
                        ledger.order_id,
                        Problem::unexpected_answer(service_of(&error))
                            .with_details(error.to_string()),
                    ),
                    // The sale may exist: never failed on a doubt (a retry would send it under
                    // a new number). It keeps its number and is looked at again later.
                    Progress::Sent { .. } => {
                        let pause = backoff(ledger.attempts + 1);
                        tracing::warn!(order = ledger.order_id, %error, ?pause, "waiting on an order whose sale may exist");
                        self.store
                            .wait_after_trouble(ledger.order_id, now + pause, now)?;
                        Ok(Outcome::Deferred)
                    }
                }
            }
        }
    }

    /// Carries out `decide::next_step` until the order is imported, failed or waiting.
    pub(super) async fn steps(
        &self,
        ledger: &LedgerOrder,
        progress: &mut Progress,
        seller: &Seller,
        shared: &PassShared,
        mut turn: Option<Turn<'_>>,
    ) -> Result<Outcome> {
        let id = ledger.order_id;
        let mut answer = Answer::Start;
        let mut prepared: Option<Prepared> = None;
        let mut sends = 0;
        // The last send was refused (so saved nothing) and its ids are being looked up again.
        let mut refused = false;
        // Nothing was sent for it before this pass: a refusal leaves no doubt about its sale.
        let first_sent_now = matches!(progress, Progress::Queued);
        loop {
            let now = self.clock.now();
            let unique = crate::contaazul::assumptions::SALE_NUMBERS_UNIQUE;
            match next_step(progress, answer, now, unique) {
                Step::Imported { sale_id, numero } => {
                    self.store.mark_imported(id, &sale_id, numero, now)?;
                    tracing::info!(order = ledger.number, sale = numero, "imported");
                    if shared.write_owner_note {
                        self.write_owner_note(id, numero).await?;
                    }
                    return Ok(Outcome::Imported);
                }
                Step::Fail(problem) => return self.fail(id, problem),
                Step::Wait { until } => {
                    tracing::info!(order = ledger.number, %until, "the sale may exist; waiting before sending again");
                    self.store.wait(id, until, now)?;
                    return Ok(Outcome::Deferred);
                }
                Step::LookUp { numero, why } => {
                    answer = Answer::Found(self.look_up(numero, ledger.number, why).await?);
                }
                // Bounded, so that no run of answers keeps the pass on one order.
                Step::Send { .. } if sends >= MAX_SENDS => {
                    return match progress {
                        Progress::Queued => {
                            self.defer(ledger, &Error::NotFound("too many sends".into()))
                        }
                        Progress::Sent { .. } => {
                            self.store.wait(id, now + RECHECK, now)?;
                            Ok(Outcome::Deferred)
                        }
                    };
                }
                Step::Send { numero } => {
                    let sale = match prepared.take() {
                        Some(sale) => sale,
                        None => match self.prepare(ledger, shared).await? {
                            Ok(sale) => sale,
                            // Its sale may exist: never failed on that (a retry would send it
                            // under a new number). It waits, and is looked up again.
                            Err(problem)
                                if matches!(progress, Progress::Sent { .. })
                                    && !(refused && first_sent_now) =>
                            {
                                tracing::warn!(order = ledger.number, code = %problem.code, "cannot rebuild a sale that may exist; waiting");
                                let pause = backoff(ledger.attempts + 1);
                                self.store.wait_after_trouble(id, now + pause, now)?;
                                return Ok(Outcome::Deferred);
                            }
                            Err(problem) => return self.fail(id, problem),
                        },
                    };
                    if let Some(turn) = &turn {
                        turn.wait().await;
                    }
                    // R4: nothing is sent once switched off, even by an order already in flight.
                    if self.stopping(shared)? {
                        return Err(Error::Disabled);
                    }
                    let numero = match numero {
                        // A sale that may exist is sent again only under its own number (R8).
                        Some(numero) => numero,
                        // Handed out once in the pass, whatever its sale's fate.
                        None => loop {
                            if let Some(numero) = shared.numbering.hand_out() {
                                let Some(company) = &shared.company else {
                                    break numero;
                                };
                                // One turn per company: another profile may hold the number.
                                let numero = company.hand_out_number(numero)?;
                                shared.numbering.settle(numero);
                                break numero;
                            }
                            shared
                                .numbering
                                .read(self.contaazul.next_sale_number().await?);
                        },
                    };
                    // R8: the number and the moment are on disk before the sale is sent.
                    let now = self.clock.now();
                    self.store.begin_import(id, numero, now)?;
                    // Numbered: the next order may take its number while this sale travels.
                    turn = None;
                    let taken = matches!(progress, Progress::Sent { numero: kept, taken: true, .. } if *kept == numero);
                    *progress = Progress::Sent {
                        numero,
                        sent_at: now,
                        taken,
                    };
                    fail_point!("after_intent");
                    sends += 1;
                    answer = self.send(&sale, seller, numero, &shared.payments).await?;
                    if let Answer::Refused(problem) = &answer {
                        // A stock refusal is about stock; any other may be about an id
                        // remembered from an earlier pass (a product deactivated or deleted
                        // since): those are looked up afresh and the sale goes again, once.
                        if !sale.remembered.is_empty()
                            && problem.code != crate::problem::ProblemCode::StockValidation
                        {
                            tracing::info!(
                                order = ledger.number,
                                "refused with remembered ids; looking them up again"
                            );
                            for (kind, key) in &sale.remembered {
                                self.store.forget_id(*kind, key)?;
                                if let Some(company) = &shared.company {
                                    company.forget(*kind, key)?;
                                }
                                match kind {
                                    Remembered::Customer => shared.customers.forget(key),
                                    Remembered::Product => shared.products.forget(key),
                                }
                            }
                            answer = Answer::RefusedWithStaleIds;
                            refused = true;
                            continue;
                        }
                    }
                    if answer == Answer::NumberTaken {
                        // Someone else numbered a sale: read the next number again.
                        shared.numbering.forget();
                        self.store.mark_number_taken(id, now)?;
                        if let Progress::Sent { taken, .. } = progress {
                            *taken = true;
                        }
                    }
                    prepared = Some(sale);
                }
            }
        }
    }

    /// Sends the sale and says what Conta Azul's answer means for it.
    pub(super) async fn send(
        &self,
        sale: &Prepared,
        seller: &Seller,
        numero: i64,
        payments: &crate::rules::payment::PaymentMapping,
    ) -> Result<Answer> {
        let venda = new_venda(
            &sale.draft,
            &sale.customer_id,
            &sale.product_ids,
            &seller.id,
            numero,
            payments,
            self.note_store.as_deref(),
        );
        Ok(match self.contaazul.create_venda(&venda).await {
            Ok(Ok(created)) => {
                fail_point!("after_sale_created");
                Answer::Created {
                    sale_id: created.id,
                    numero: created.numero,
                }
            }
            Ok(Err(refused)) => {
                let message = crate::contaazul::assumptions::error_message(&refused.body);
                if crate::contaazul::assumptions::is_number_taken(refused.status, &message) {
                    Answer::NumberTaken
                } else {
                    let descriptions: Vec<String> = sale
                        .draft
                        .lines
                        .iter()
                        .map(|l| l.description.clone())
                        .collect();
                    let mut problem =
                        classify_refusal(refused.status, &refused.body, &descriptions);
                    if problem.code == crate::problem::ProblemCode::StockValidation {
                        problem.message.push_str(&self.stock_shortfall(sale).await);
                    }
                    Answer::Refused(problem)
                }
            }
            // Never received: nothing can have been saved.
            Err(Error::Unreachable { .. } | Error::Api { status: 429, .. }) => Answer::NotReceived,
            // A 5xx, no answer, or an answer that does not decode: it may have been saved.
            Err(
                error @ (Error::NoAnswer { .. } | Error::Api { .. } | Error::Unreadable { .. }),
            ) => {
                tracing::warn!(%error, numero, "no trustworthy answer to a sale; looking before sending again");
                Answer::Unknown
            }
            Err(error) => return Err(error),
        })
    }

    /// Beside a stock refusal (R19): each line's balance in Conta Azul against the quantity
    /// ordered, where the balance is short and can be read; empty otherwise (the refusal is
    /// what matters, never lost for want of a balance).
    pub(super) async fn stock_shortfall(&self, sale: &Prepared) -> String {
        // What the order asks of each product, lines of the same product added up.
        let mut wanted: Vec<(&str, &str, rust_decimal::Decimal)> = Vec::new();
        for (line, id) in sale.draft.lines.iter().zip(&sale.product_ids) {
            match wanted
                .iter_mut()
                .find(|(known, _, _)| *known == id.as_str())
            {
                Some((_, _, quantity)) => *quantity += line.quantity,
                None => wanted.push((id, &line.description, line.quantity)),
            }
        }
        let mut short = Vec::new();
        for (id, description, quantity) in wanted {
            let Ok(Some(product)) = self.contaazul.produto(id).await else {
                continue;
            };
            let balance = crate::contaazul::assumptions::product_balance(&product);
            if let Some(balance) = balance.filter(|balance| *balance < quantity) {
                short.push(format!(
                    "“{description}”: saldo {}, no pedido {}",
                    balance.normalize(),
                    quantity.normalize()
                ));
            }
        }
        if short.is_empty() {
            String::new()
        } else {
            format!(" Na Conta Azul, {}.", short.join("; "))
        }
    }

    /// Every sale listed with this number, and whether one of them is this order's (by its
    /// note, read from each sale: R8).
    pub(super) async fn look_up(&self, numero: i64, order_number: u64, why: Why) -> Result<Lookup> {
        let holders = self.contaazul.vendas_by_number(numero).await?;
        let mut ours = None;
        for sale in &holders {
            let notes = self.contaazul.venda_notes(&sale.id).await?;
            if notes
                .is_some_and(|notes| is_note_of(&notes, order_number, self.note_store.as_deref()))
            {
                ours = Some(sale.id.clone());
                break;
            }
        }
        Ok(Lookup {
            ours,
            holders: holders.len(),
            why,
        })
    }

    /// The sale of an order with its customer and products resolved, or the order's problem.
    pub(super) async fn prepare(
        &self,
        ledger: &LedgerOrder,
        shared: &PassShared,
    ) -> Result<std::result::Result<Prepared, Problem>> {
        let parsed = ledger
            .payload
            .as_deref()
            .ok_or_else(|| "no payload".to_string())
            .and_then(|payload| {
                serde_json::from_str::<serde_json::Value>(payload).map_err(|e| e.to_string())
            })
            .and_then(|value| Order::parse(&value).map_err(|(_, e)| e));
        let order = match parsed {
            Ok(order) => order,
            Err(detail) => return Ok(Err(Problem::invalid_order(detail))),
        };
        let (customer, draft) = match (customer_draft(&order), sale_draft(&order)) {
            (Ok(customer), Ok(draft)) => (customer, draft),
            (Err(problem), _) | (_, Err(problem)) => return Ok(Err(problem)),
        };
        let mut remembered = Vec::new();
        let customer_key = customer_key(&customer);
        let customer_id = match self.resolve_customer(&customer, shared).await? {
            Ok(Resolved {
                id,
                remembered: old,
            }) => {
                if old {
                    remembered.push((Remembered::Customer, customer_key));
                }
                id
            }
            Err(problem) => return Ok(Err(problem)),
        };
        fail_point!("after_customer");
        let mut product_ids = Vec::with_capacity(draft.lines.len());
        for line in &draft.lines {
            match self.resolve_product(line, shared).await? {
                Ok(Resolved {
                    id,
                    remembered: old,
                }) => {
                    if old {
                        remembered
                            .push((Remembered::Product, product_key(line, shared.match_by_sku)));
                    }
                    product_ids.push(id);
                }
                Err(problem) => return Ok(Err(problem)),
            }
            fail_point!("after_product");
        }
        Ok(Ok(Prepared {
            draft,
            customer_id,
            product_ids,
            remembered,
        }))
    }
}
