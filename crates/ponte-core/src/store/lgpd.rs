//! LGPD requests carried out on the local data: a customer's personal data removed from the
//! ledger and the audit (the order stays, as a number and amounts), a customer's data written
//! out for the merchant, the store's data erased. Each request is recorded with its date.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, OptionalExtension};
use serde::Serialize;

use super::Store;
use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LgpdKind {
    CustomersRedact,
    CustomersDataRequest,
    StoreRedact,
}

impl LgpdKind {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LgpdState {
    Done,
    /// `store/redact` while the store is still connected: the merchant confirms first.
    AwaitingConfirmation,
}

#[derive(Clone, Debug, Serialize)]
pub struct LgpdRequest {
    pub id: i64,
    pub kind: LgpdKind,
    pub received_at: DateTime<Utc>,
    /// Nuvemshop's id of the customer (redact) or of the request (data request).
    pub reference: Option<String>,
    pub orders: u64,
    pub state: LgpdState,
    pub done_at: Option<DateTime<Utc>>,
    pub file: Option<String>,
}

/// What an order becomes when its customer asked to be forgotten and it was not imported.
pub const REDACTED_SKIP_REASON: &str =
    "Dados do cliente removidos a pedido do cliente (LGPD): o pedido não será importado.";

fn placeholders(count: usize) -> String {
    vec!["?"; count].join(",")
}

impl Store {
    /// Whether this request was carried out already: the same broker event, or the same kind
    /// and reference within the two days Nuvemshop keeps re-delivering.
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
                    "SELECT 1 FROM lgpd_requests WHERE event_id = ?1
                        OR (kind = ?2 AND reference = ?3 AND received_at >= ?4)",
                    params![event_id, kind.as_str(), reference, since],
                    |_| Ok(()),
                )
                .optional()?
                .is_some())
        })
    }

    /// `customers/redact`: the customer's name, the order as Nuvemshop sent it, error details
    /// and every request and answer about these orders go; each order stays as its number,
    /// total, state and sale. Orders not imported yet will not be.
    pub fn redact_customer(
        &self,
        event_id: i64,
        customer_id: &str,
        order_ids: &[u64],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let ids: Vec<i64> = order_ids.iter().map(|id| *id as i64).collect();
            let list = placeholders(ids.len());
            let mut touched = 0;
            if !ids.is_empty() {
                touched = tx.execute(
                    &format!(
                        "UPDATE orders SET customer_name = NULL,
                            payload = json_object('id', order_id, 'number', number,
                                                  'total', total, 'lgpd_redacted', 1),
                            error_details = NULL,
                            state = CASE WHEN state = 'imported' THEN state ELSE 'skipped' END,
                            skip_reason = CASE WHEN state = 'imported' THEN skip_reason ELSE ?1 END,
                            next_attempt_at = NULL,
                            updated_at = ?2
                         WHERE order_id IN ({list})"
                    ),
                    params_from_iter(
                        [
                            rusqlite::types::Value::from(REDACTED_SKIP_REASON.to_string()),
                            rusqlite::types::Value::from(now.to_rfc3339()),
                        ]
                        .into_iter()
                        .chain(ids.iter().map(|id| rusqlite::types::Value::from(*id))),
                    ),
                )?;
                // The customers remembered by digest of name and CPF: all forgotten (the next
                // pass reads them again), rather than kept for a customer who asked to go.
                tx.execute("DELETE FROM remembered_ids WHERE kind = 'customer'", [])?;
                // Requests keep their method, path and status; bodies and queries held
                // names, documents, e-mails and phones.
                tx.execute(
                    &format!(
                        "UPDATE audit SET request_body = NULL, response_body = NULL,
                            url = CASE WHEN instr(url, '?') > 0
                                       THEN substr(url, 1, instr(url, '?') - 1) ELSE url END
                         WHERE order_id IN ({list})"
                    ),
                    params_from_iter(ids.iter()),
                )?;
            }
            tx.execute(
                "INSERT INTO lgpd_requests (event_id, kind, received_at, reference, orders,
                                            state, done_at)
                 VALUES (?1, 'customers_redact', ?2, ?3, ?4, 'done', ?2)",
                params![event_id, now.to_rfc3339(), customer_id, touched as i64],
            )?;
            tx.commit()?;
            Ok(touched as u64)
        })
    }

    /// `customers/data_request`: everything Ponte holds on these orders (the ledger rows, the
    /// order as Nuvemshop sent it, the exchanges with Conta Azul), as one JSON file in `dir`.
    pub fn export_customer(
        &self,
        event_id: i64,
        request_id: &str,
        customer_id: Option<&str>,
        order_ids: &[u64],
        dir: &Path,
        now: DateTime<Utc>,
    ) -> Result<PathBuf> {
        let ids: Vec<i64> = order_ids.iter().map(|id| *id as i64).collect();
        let (orders, exchanges) = self.with(|conn| {
            let list = placeholders(ids.len().max(1));
            let ids_or_none: Vec<i64> = if ids.is_empty() { vec![-1] } else { ids.clone() };
            let mut statement = conn.prepare(&format!(
                "SELECT order_id, number, state, customer_name, total, created_at, paid_at,
                        payload, sale_number, sale_id, imported_at
                 FROM orders WHERE order_id IN ({list}) ORDER BY order_id"
            ))?;
            let orders = statement
                .query_map(params_from_iter(ids_or_none.iter()), |row| {
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
                        "pedido_como_a_nuvemshop_enviou": payload
                            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok()),
                    }))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            let mut statement = conn.prepare(&format!(
                "SELECT order_id, at, method, url, request_body, status, response_body
                 FROM audit WHERE order_id IN ({list}) ORDER BY id"
            ))?;
            let exchanges = statement
                .query_map(params_from_iter(ids_or_none.iter()), |row| {
                    Ok(serde_json::json!({
                        "pedido_id": row.get::<_, i64>("order_id")?,
                        "em": row.get::<_, String>("at")?,
                        "requisicao": format!("{} {}", row.get::<_, String>("method")?, row.get::<_, String>("url")?),
                        "corpo_enviado": row.get::<_, Option<String>>("request_body")?,
                        "status": row.get::<_, Option<i64>>("status")?,
                        "resposta": row.get::<_, Option<String>>("response_body")?,
                    }))
                })?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            Ok((orders, exchanges))
        })?;
        crate::config::create_private_dir(dir)?;
        let safe_id: String = request_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(40)
            .collect();
        let path = dir.join(format!("ponte-lgpd-solicitacao-{safe_id}.json"));
        let document = serde_json::json!({
            "solicitacao": request_id,
            "cliente_nuvemshop_id": customer_id,
            "gerado_em": now.to_rfc3339(),
            "descricao": "Dados pessoais que o Ponte guarda neste computador sobre os pedidos \
                          indicados pela Nuvemshop.",
            "pedidos": orders,
            "trocas_com_a_conta_azul": exchanges,
        });
        let text = serde_json::to_string_pretty(&document)
            .map_err(|e| Error::Config(format!("JSON: {e}")))?;
        std::fs::write(&path, text)?;
        let touched = orders_len(&document);
        self.with(|conn| {
            conn.execute(
                "INSERT INTO lgpd_requests (event_id, kind, received_at, reference, orders,
                                            state, done_at, file)
                 VALUES (?1, 'customers_data_request', ?2, ?3, ?4, 'done', ?2, ?5)",
                params![
                    event_id,
                    now.to_rfc3339(),
                    request_id,
                    touched,
                    path.display().to_string()
                ],
            )?;
            Ok(())
        })?;
        Ok(path)
    }

    /// `store/redact` while the store is still connected: recorded for the merchant to confirm.
    pub fn record_store_redact_request(
        &self,
        event_id: i64,
        store_id: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.with(|conn| {
            conn.execute(
                "INSERT INTO lgpd_requests (event_id, kind, received_at, reference, state)
                 VALUES (?1, 'store_redact', ?2, ?3, 'awaiting_confirmation')",
                params![event_id, now.to_rfc3339(), store_id],
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
                    'nuvemshop_store_name', 'instant_state',
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
                "SELECT id, kind, received_at, reference, orders, state, done_at, file
                 FROM lgpd_requests ORDER BY id DESC",
            )?;
            let rows = statement.query_map([], |row| {
                Ok((
                    row.get::<_, i64>("id")?,
                    row.get::<_, String>("kind")?,
                    row.get::<_, String>("received_at")?,
                    row.get::<_, Option<String>>("reference")?,
                    row.get::<_, i64>("orders")?,
                    row.get::<_, String>("state")?,
                    row.get::<_, Option<String>>("done_at")?,
                    row.get::<_, Option<String>>("file")?,
                ))
            })?;
            let mut requests = Vec::new();
            for row in rows {
                let (id, kind, received_at, reference, orders, state, done_at, file) = row?;
                requests.push(LgpdRequest {
                    id,
                    kind: LgpdKind::parse(&kind)
                        .ok_or_else(|| Error::Config(format!("unknown LGPD kind {kind}")))?,
                    received_at: crate::time::stored_time(Some(received_at)).unwrap_or_default(),
                    reference,
                    orders: orders.max(0) as u64,
                    state: if state == "done" {
                        LgpdState::Done
                    } else {
                        LgpdState::AwaitingConfirmation
                    },
                    done_at: crate::time::stored_time(done_at),
                    file,
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

fn orders_len(document: &serde_json::Value) -> i64 {
    document["pedidos"].as_array().map_or(0, |a| a.len() as i64)
}
