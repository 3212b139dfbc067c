//! LGPD requests carried out on the local data: a customer's personal data removed from the
//! ledger and the audit (the order stays, as a number and amounts), a customer's data written
//! out for the merchant, the store's data erased. Each request is recorded with its date.
//!
//! A request is checked against Ponte's own data before anything is done: a customer request
//! touches only the listed orders that are that customer's (by the customer id in the order as
//! Nuvemshop sent it), and the store's erasure waits for the merchant.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LgpdKind {
    CustomersRedact,
    CustomersDataRequest,
    StoreRedact,
}

impl LgpdKind {
    /// What the merchant calls it (*Configurações › Pedidos LGPD*, `ponte lgpd`).
    pub fn label(self) -> &'static str {
        match self {
            LgpdKind::CustomersRedact => "Exclusão de dados de cliente",
            LgpdKind::CustomersDataRequest => "Pedido de dados de cliente",
            LgpdKind::StoreRedact => "Exclusão dos dados da loja",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LgpdKind::CustomersRedact => "customers_redact",
            LgpdKind::CustomersDataRequest => "customers_data_request",
            LgpdKind::StoreRedact => "store_redact",
        }
    }

    fn parse(text: &str) -> Option<LgpdKind> {
        [
            LgpdKind::CustomersRedact,
            LgpdKind::CustomersDataRequest,
            LgpdKind::StoreRedact,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum LgpdState {
    Done,
    /// `store/redact`: the merchant confirms first.
    AwaitingConfirmation,
    /// Not about this store's data (the note says why): nothing was done.
    Ignored,
    /// Could not be carried out yet (the note says why); tried again.
    Failed,
}

impl LgpdState {
    /// Where the request stands, in the merchant's words.
    pub fn label(self) -> &'static str {
        match self {
            LgpdState::Done => "feito",
            LgpdState::AwaitingConfirmation => "aguardando sua confirmação",
            LgpdState::Ignored => "ignorado",
            LgpdState::Failed => "ainda não atendido",
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            LgpdState::Done => "done",
            LgpdState::AwaitingConfirmation => "awaiting_confirmation",
            LgpdState::Ignored => "ignored",
            LgpdState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> LgpdState {
        [
            LgpdState::AwaitingConfirmation,
            LgpdState::Ignored,
            LgpdState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == text)
        .unwrap_or(LgpdState::Done)
    }
}

#[derive(Clone, Debug, Serialize, ts_rs::TS)]
pub struct LgpdRequest {
    pub id: i64,
    pub kind: LgpdKind,
    pub received_at: DateTime<Utc>,
    /// Nuvemshop's id of the customer (redact), of the request (data request), or of the
    /// store (erasure).
    pub reference: Option<String>,
    /// The customer a customer request is about.
    pub customer: Option<String>,
    pub orders: u64,
    pub state: LgpdState,
    pub done_at: Option<DateTime<Utc>>,
    pub file: Option<String>,
    /// Why it was ignored or failed, in Portuguese.
    pub note: Option<String>,
}

/// What a customer's erasure did, for what the store alone cannot reach: the files of earlier
/// data requests about that customer (to delete), and the customer's words as they appeared
/// (to wipe from the logs).
/// No `Debug`: `traces` are the customer's own words.
#[derive(Default)]
pub struct Redaction {
    pub orders: u64,
    pub files: Vec<PathBuf>,
    pub traces: Vec<String>,
}

/// A customer request's orders, as the store found them.
struct Owned {
    /// The listed orders that are the customer's.
    ids: Vec<i64>,
    /// How many listed orders Ponte holds that are someone else's.
    others: u64,
}

/// Order ids per statement: well under SQLite's limit of bound variables.
const IDS_PER_STATEMENT: usize = 500;
/// More orders than this in one customer request is not a customer's: the request is refused.
pub const MAX_ORDERS_PER_REQUEST: usize = 5_000;

/// The customer id of an order as Nuvemshop sent it (`customer.id`), as text.
const CUSTOMER_OF_PAYLOAD: &str =
    "CASE WHEN json_valid(payload) THEN CAST(json_extract(payload, '$.customer.id') AS TEXT) END";

/// What an order becomes when its customer asked to be forgotten and it was not imported.
pub const REDACTED_SKIP_REASON: &str =
    "Dados do cliente removidos a pedido do cliente (LGPD): o pedido não será importado.";

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(",")
}

impl Store {
    /// Whether this request was carried out already (done, or waiting for the merchant): the
    /// same broker event, or the same kind and reference within the two days Nuvemshop keeps
    /// re-delivering. One that failed or was ignored is looked at again.
    pub fn lgpd_seen(
        &self,
        event_id: i64,
        kind: LgpdKind,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let since = (now - chrono::Duration::hours(48)).to_rfc3339();
        self.with(|conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM lgpd_requests WHERE state IN ('done', 'awaiting_confirmation')
                        AND (event_id = ?1 OR (kind = ?2 AND reference = ?3 AND received_at >= ?4))",
                    params![event_id, kind.as_str(), reference, since],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }

    /// The listed orders that are `customer`'s; the rest are counted, never touched.
    fn owned_by(
        conn: &rusqlite::Connection,
        customer: &str,
        order_ids: &[u64],
    ) -> rusqlite::Result<Owned> {
        let mut owned = Owned {
            ids: Vec::new(),
            others: 0,
        };
        for chunk in order_ids.chunks(IDS_PER_STATEMENT) {
            let mut statement = conn.prepare(&format!(
                "SELECT order_id, {CUSTOMER_OF_PAYLOAD} = ?1 FROM orders
                 WHERE order_id IN ({}) ORDER BY order_id",
                placeholders(chunk.len())
            ))?;
            let values = std::iter::once(rusqlite::types::Value::from(customer.to_string())).chain(
                chunk
                    .iter()
                    .map(|id| rusqlite::types::Value::from(*id as i64)),
            );
            let rows = statement.query_map(params_from_iter(values), |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Option<bool>>(1)?))
            })?;
            for row in rows {
                match row? {
                    (id, Some(true)) => owned.ids.push(id),
                    _ => owned.others += 1,
                }
            }
        }
        Ok(owned)
    }

    /// `customers/redact`: for each listed order that is this customer's, the customer's
    /// name, the order as Nuvemshop sent it, the error's particulars and every request and
    /// answer about it go; the order stays as its number, total, state and sale. Orders not
    /// imported yet will not be. Earlier data requests about the customer lose their file (the
    /// paths are returned for deleting), and the WAL is emptied so no copy lingers there.
    pub fn redact_customer(
        &self,
        event_id: i64,
        customer: &str,
        order_ids: &[u64],
        now: DateTime<Utc>,
    ) -> Result<Redaction> {
        let mut redaction = self.with(|conn| {
            let tx = conn.transaction()?;
            let owned = Self::owned_by(&tx, customer, order_ids)?;
            let mut redaction = Redaction::default();
            for chunk in owned.ids.chunks(IDS_PER_STATEMENT) {
                let list = placeholders(chunk.len());
                // What the customer's words looked like, and each error's own code.
                let mut statement = tx.prepare(&format!(
                    "SELECT order_id, customer_name, payload, error_code FROM orders
                     WHERE order_id IN ({list})"
                ))?;
                let rows = statement
                    .query_map(params_from_iter(chunk.iter()), |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, Option<String>>(1)?,
                            row.get::<_, Option<String>>(2)?,
                            row.get::<_, Option<String>>(3)?,
                        ))
                    })?
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                drop(statement);
                for (order_id, name, payload, code) in rows {
                    redaction.traces.extend(name);
                    redaction
                        .traces
                        .extend(payload.as_deref().map(personal_words).unwrap_or_default());
                    // The error stays as its code; its particulars (names, documents) go.
                    let code = code.as_deref().and_then(crate::problem::ProblemCode::parse);
                    tx.execute(
                        "UPDATE orders SET customer_name = NULL,
                            payload = json_object('id', order_id, 'number', number,
                                                  'total', total, 'lgpd_redacted', 1),
                            error_message = ?2, error_hint = ?3, error_details = NULL,
                            state = CASE WHEN state = 'imported' THEN state ELSE 'skipped' END,
                            skip_reason = CASE WHEN state = 'imported' THEN skip_reason ELSE ?4 END,
                            next_attempt_at = NULL,
                            updated_at = ?5
                         WHERE order_id = ?1",
                        params![
                            order_id,
                            code.map(|c| c.message()),
                            code.map(|c| c.hint()),
                            REDACTED_SKIP_REASON,
                            now.to_rfc3339()
                        ],
                    )?;
                    redaction.orders += 1;
                }
                // Requests keep their method, path and status; bodies and queries held
                // names, documents, e-mails and phones.
                tx.execute(
                    &format!(
                        "UPDATE audit SET request_body = NULL, response_body = NULL,
                            url = CASE WHEN instr(url, '?') > 0
                                       THEN substr(url, 1, instr(url, '?') - 1) ELSE url END
                         WHERE order_id IN ({list})"
                    ),
                    params_from_iter(chunk.iter()),
                )?;
            }
            if redaction.orders > 0 {
                // The customers remembered by digest of name and CPF: all forgotten (the next
                // pass reads them again), rather than kept for a customer who asked to go.
                tx.execute("DELETE FROM remembered_ids WHERE kind = 'customer'", [])?;
            }
            // Earlier data requests about this customer: their files go too.
            let mut statement = tx.prepare(
                "SELECT file FROM lgpd_requests
                 WHERE kind = 'customers_data_request' AND customer = ?1 AND file IS NOT NULL",
            )?;
            redaction.files = statement
                .query_map([customer], |row| row.get::<_, String>(0))?
                .collect::<std::result::Result<Vec<_>, _>>()?
                .into_iter()
                .map(PathBuf::from)
                .collect();
            drop(statement);
            tx.execute(
                "UPDATE lgpd_requests SET file = NULL
                 WHERE kind = 'customers_data_request' AND customer = ?1",
                [customer],
            )?;
            let note = not_theirs_note(owned.others);
            record(
                &tx,
                event_id,
                LgpdKind::CustomersRedact,
                customer,
                Some(customer),
                redaction.orders,
                LgpdState::Done,
                note.as_deref(),
                None,
                now,
            )?;
            tx.commit()?;
            Ok(redaction)
        })?;
        // The rows are overwritten (secure_delete); the WAL still holds the old pages until it
        // is checkpointed and emptied.
        self.with(|conn| {
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            Ok(())
        })?;
        redaction.traces.sort();
        redaction.traces.dedup();
        Ok(redaction)
    }

    /// `customers/data_request`: everything Ponte holds on the listed orders that are this
    /// customer's (the ledger rows, the order as Nuvemshop sent it, the exchanges with Conta
    /// Azul), as one new JSON file in `dir`, named by the request and the event (never over
    /// an earlier file). Without a customer to check against, no order goes in.
    pub fn export_customer(
        &self,
        event_id: i64,
        request_id: &str,
        customer: Option<&str>,
        order_ids: &[u64],
        dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<PathBuf> {
        let (orders, exchanges, others) = self.with(|conn| {
            let owned = match customer {
                Some(customer) => Self::owned_by(conn, customer, order_ids)?,
                None => Owned {
                    ids: Vec::new(),
                    others: order_ids.len() as u64,
                },
            };
            let mut orders = Vec::new();
            let mut exchanges = Vec::new();
            for chunk in owned.ids.chunks(IDS_PER_STATEMENT) {
                let list = placeholders(chunk.len());
                let mut statement = conn.prepare(&format!(
                    "SELECT order_id, number, state, customer_name, total, created_at, paid_at,
                            payload, sale_number, sale_id, imported_at
                     FROM orders WHERE order_id IN ({list}) ORDER BY order_id"
                ))?;
                orders.extend(
                    statement
                        .query_map(params_from_iter(chunk.iter()), |row| {
                            let payload: Option<String> = row.get("payload")?;
                            Ok(serde_json::json!({
                                "pedido_id": row.get::<_, i64>("order_id")?,
                                "numero": row.get::<_, i64>("number")?,
                                "situacao_no_ponte": row.get::<_, String>("state")?,
                                "cliente": row.get::<_, Option<String>>("customer_name")?,
                                "total": row.get::<_, Option<String>>("total")?,
                                "criado_em": row.get::<_, Option<String>>("created_at")?,
                                "pago_em": row.get::<_, Option<String>>("paid_at")?,
                                "numero_da_venda": row.get::<_, Option<i64>>("sale_number")?,
                                "venda_id": row.get::<_, Option<String>>("sale_id")?,
                                "importado_em": row.get::<_, Option<String>>("imported_at")?,
                                "pedido_como_a_nuvemshop_enviou": payload.and_then(|text| {
                                    serde_json::from_str::<serde_json::Value>(&text).ok()
                                }),
                            }))
                        })?
                        .collect::<std::result::Result<Vec<_>, _>>()?,
                );
                let mut statement = conn.prepare(&format!(
                    "SELECT order_id, at, method, url, request_body, status, response_body
                     FROM audit WHERE order_id IN ({list}) ORDER BY id"
                ))?;
                exchanges.extend(
                    statement
                        .query_map(params_from_iter(chunk.iter()), |row| {
                            Ok(serde_json::json!({
                                "pedido_id": row.get::<_, i64>("order_id")?,
                                "em": row.get::<_, String>("at")?,
                                "requisicao": format!("{} {}", row.get::<_, String>("method")?, row.get::<_, String>("url")?),
                                "corpo_enviado": row.get::<_, Option<String>>("request_body")?,
                                "status": row.get::<_, Option<i64>>("status")?,
                                "resposta": row.get::<_, Option<String>>("response_body")?,
                            }))
                        })?
                        .collect::<std::result::Result<Vec<_>, _>>()?,
                );
            }
            Ok((orders, exchanges, owned.others))
        })?;
        crate::files::create_folder(dir)?;
        let safe_id: String = request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        let name = if safe_id.is_empty() {
            format!("ponte-lgpd-solicitacao-evento-{event_id}.json")
        } else {
            format!("ponte-lgpd-solicitacao-{safe_id}-evento-{event_id}.json")
        };
        let count = orders.len() as u64;
        let document = serde_json::json!({
            "solicitacao": request_id,
            "cliente_nuvemshop_id": customer,
            "gerado_em": now.to_rfc3339(),
            "descricao": "Dados pessoais que o Ponte guarda neste computador sobre os pedidos \
                          deste cliente indicados pela Nuvemshop.",
            "pedidos": orders,
            "trocas_com_a_conta_azul": exchanges,
        });
        let text = serde_json::to_vec_pretty(&document)
            .map_err(|e| Error::Config(format!("JSON: {e}")))?;
        let path = crate::files::write_new(dir, &name, &text)?;
        let note = match customer {
            None => Some(
                "A solicitação não identifica o cliente: nenhum pedido foi incluído.".to_string(),
            ),
            Some(_) => not_theirs_note(others),
        };
        self.with(|conn| {
            record(
                conn,
                event_id,
                LgpdKind::CustomersDataRequest,
                request_id,
                customer,
                count,
                LgpdState::Done,
                note.as_deref(),
                Some(&path.display().to_string()),
                now,
            )?;
            Ok(())
        })?;
        Ok(path)
    }

    /// A request that could not be carried out (yet) or that is not about this store's data:
    /// recorded with why, in Portuguese. A failed one is replaced when it finally succeeds.
    pub fn record_lgpd_outcome(
        &self,
        event_id: i64,
        kind: LgpdKind,
        reference: &str,
        state: LgpdState,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|conn| {
            record(
                conn,
                event_id,
                kind,
                reference,
                None,
                0,
                state,
                Some(note),
                None,
                now,
            )?;
            Ok(())
        })
    }

    /// Says on a request that it came without Nuvemshop's signature, after what it did.
    pub fn note_unverified(&self, event_id: i64, kind: LgpdKind) -> Result<()> {
        let note = unverified_note(kind);
        self.with(|conn| {
            conn.execute(
                "UPDATE lgpd_requests
                 SET note = CASE WHEN note IS NULL THEN ?2 ELSE note || ' ' || ?2 END
                 WHERE event_id = ?1",
                params![event_id, note],
            )?;
            Ok(())
        })
    }

    /// `store/redact` for the connected store: recorded for the merchant to confirm.
    pub fn record_store_redact_request(
        &self,
        event_id: i64,
        store_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|conn| {
            record(
                conn,
                event_id,
                LgpdKind::StoreRedact,
                store_id,
                None,
                0,
                LgpdState::AwaitingConfirmation,
                None,
                None,
                now,
            )?;
            Ok(())
        })
    }

    /// `store/redact`, carried out: the orders, the audit and the store's settings go (the
    /// integration is switched off); the list of LGPD requests stays, as the record of it.
    pub fn erase_store_data(
        &self,
        request: Option<(i64, &str)>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let (event_id, store_id) = request.unzip();
        self.with(|conn| {
            let tx = conn.transaction()?;
            let orders = tx.execute("DELETE FROM orders", [])?;
            tx.execute("DELETE FROM audit", [])?;
            tx.execute("DELETE FROM remembered_ids", [])?;
            tx.execute("DELETE FROM changed_after_import", [])?;
            tx.execute("DELETE FROM settings WHERE key LIKE 'watch_cursor:%'", [])?;
            tx.execute(
                "DELETE FROM settings WHERE key IN ('nuvemshop_store_id', 'nuvemshop_domain',
                    'nuvemshop_store_name', 'nuvemshop_scopes', 'instant_state',
                    'cursor', 'activated_at', 'disabled_reason', 'events_cursor')",
                [],
            )?;
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('enabled', 'false')
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [],
            )?;
            let updated = tx.execute(
                "UPDATE lgpd_requests SET state = 'done', done_at = ?1, orders = ?2
                 WHERE kind = 'store_redact' AND state = 'awaiting_confirmation'",
                params![now.to_rfc3339(), orders as i64],
            )?;
            if updated == 0 {
                tx.execute(
                    "INSERT OR IGNORE INTO lgpd_requests (event_id, kind, received_at, reference,
                                                          orders, state, done_at)
                     VALUES (?1, 'store_redact', ?2, ?3, ?4, 'done', ?2)",
                    params![event_id, now.to_rfc3339(), store_id, orders as i64],
                )?;
            }
            tx.commit()?;
            Ok(orders as u64)
        })
    }

    pub fn lgpd_requests(&self) -> Result<Vec<LgpdRequest>> {
        self.with(|conn| {
            let mut statement = conn.prepare(
                "SELECT id, kind, received_at, reference, customer, orders, state, done_at, file,
                        note
                 FROM lgpd_requests ORDER BY id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                let kind: String = row.get("kind")?;
                Ok((
                    kind,
                    LgpdRequest {
                        id: row.get("id")?,
                        kind: LgpdKind::StoreRedact,
                        received_at: crate::time::stored_time(Some(row.get("received_at")?))
                            .unwrap_or_default(),
                        reference: row.get("reference")?,
                        customer: row.get("customer")?,
                        orders: row.get::<_, i64>("orders")?.max(0) as u64,
                        state: LgpdState::parse(&row.get::<_, String>("state")?),
                        done_at: crate::time::stored_time(row.get("done_at")?),
                        file: row.get("file")?,
                        note: row.get("note")?,
                    },
                ))
            })?;
            let mut requests = Vec::new();
            for row in rows {
                let (kind, request) = row?;
                requests.push(LgpdRequest {
                    kind: LgpdKind::parse(&kind)
                        .ok_or_else(|| Error::Config(format!("unknown LGPD kind {kind}")))?,
                    ..request
                });
            }
            Ok(requests)
        })
    }

    pub fn events_cursor(&self) -> Result<i64> {
        Ok(self
            .get_setting("events_cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0))
    }

    pub fn set_events_cursor(&self, cursor: i64) -> Result<()> {
        self.set_setting("events_cursor", Some(&cursor.to_string()))
    }

    /// Where data requests are written (`None`: the default, in the data directory).
    pub fn lgpd_folder(&self) -> Result<Option<PathBuf>> {
        Ok(self.get_setting("lgpd_folder")?.map(PathBuf::from))
    }

    pub fn set_lgpd_folder(&self, folder: Option<&Path>) -> Result<()> {
        let text = folder.map(|f| f.display().to_string());
        self.set_setting("lgpd_folder", text.as_deref())
    }
}

/// Records a request once per broker event; a later outcome of the same event (a failure
/// retried, a confirmation) replaces the earlier one.
#[allow(clippy::too_many_arguments)]
fn record(
    conn: &rusqlite::Connection,
    event_id: i64,
    kind: LgpdKind,
    reference: &str,
    customer: Option<&str>,
    orders: u64,
    state: LgpdState,
    note: Option<&str>,
    file: Option<&str>,
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let done_at = (state == LgpdState::Done).then(|| now.to_rfc3339());
    conn.execute(
        "INSERT INTO lgpd_requests (event_id, kind, received_at, reference, customer, orders,
                                    state, done_at, file, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (event_id) DO UPDATE SET customer = excluded.customer,
             orders = excluded.orders, state = excluded.state, done_at = excluded.done_at,
             file = excluded.file, note = excluded.note",
        params![
            event_id,
            kind.as_str(),
            now.to_rfc3339(),
            reference,
            customer,
            orders as i64,
            state.as_str(),
            done_at,
            file,
            note
        ],
    )?;
    Ok(())
}

/// What the merchant reads on a request that came without Nuvemshop's signature.
fn unverified_note(kind: LgpdKind) -> &'static str {
    match kind {
        LgpdKind::StoreRedact => {
            "Recebido sem a assinatura da Nuvemshop: confirme só se você desinstalou o Ponte \
             da loja e pediu a exclusão dos dados."
        }
        _ => {
            "Recebido sem a assinatura da Nuvemshop: o Ponte fez só o que fica neste \
             computador. Confira o pedido no painel da Nuvemshop."
        }
    }
}

/// What the merchant reads when a request listed orders of someone else.
fn not_theirs_note(others: u64) -> Option<String> {
    match others {
        0 => None,
        1 => Some("1 pedido da lista não é deste cliente e ficou como estava.".into()),
        n => Some(format!(
            "{n} pedidos da lista não são deste cliente e ficaram como estavam."
        )),
    }
}

/// The customer's own words in an order as Nuvemshop sent it (names, e-mail, document,
/// phones), to wipe from files outside the ledger. Short values are left out: they would match
/// everywhere.
pub fn personal_words(payload: &str) -> Vec<String> {
    let Ok(order) = serde_json::from_str::<serde_json::Value>(payload) else {
        return Vec::new();
    };
    let mut words = Vec::new();
    let mut take = |value: Option<&serde_json::Value>| {
        if let Some(text) = value.and_then(|v| match v {
            serde_json::Value::String(text) => Some(text.trim().to_string()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        }) {
            if text.chars().count() >= 4 {
                let digits: String = text.chars().filter(char::is_ascii_digit).collect();
                if digits.len() >= 8 && digits.len() != text.len() {
                    words.push(digits);
                }
                words.push(text);
            }
        }
    };
    let customer = order.get("customer");
    for field in ["name", "email", "identification", "phone"] {
        take(customer.and_then(|c| c.get(field)));
    }
    for field in [
        "billing_name",
        "billing_phone",
        "contact_name",
        "contact_email",
        "contact_phone",
        "contact_identification",
    ] {
        take(order.get(field));
    }
    let shipping = order.get("shipping_address");
    for field in ["name", "phone"] {
        take(shipping.and_then(|s| s.get(field)));
    }
    words
}
