//! The integration's settings: activation date (R2), toggle (R4), why it switched itself off
//! (R5), seller (R13), poll interval, poll cursor.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::config::DEFAULT_POLL_INTERVAL;
use crate::error::{Problem, Result};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Seller {
    pub id: String,
    pub name: String,
}

#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub activated_at: Option<DateTime<Utc>>,
    pub enabled: bool,
    pub disabled_reason: Option<Problem>,
    pub seller: Option<Seller>,
    pub poll_interval: Option<Duration>,
    /// The newest `updated_at` seen among listed orders.
    pub cursor: Option<DateTime<Utc>>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub nuvemshop_store_id: Option<String>,
    /// `minhaloja.lojavirtualnuvem.com.br`: where the store's admin lives.
    pub nuvemshop_domain: Option<String>,
    /// The store's name, as the dashboard shows it instead of its id.
    pub nuvemshop_store_name: Option<String>,
    /// The Conta Azul company's name, likewise.
    pub contaazul_company_name: Option<String>,
    pub options: Options,
}

/// What the merchant may switch on beyond the article; each off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Options {
    /// R10, beyond: a line whose SKU is a Conta Azul product's code selects that product; the
    /// description decides when none has it.
    pub match_by_sku: bool,
    /// Writes *Venda N na Conta Azul* into the Nuvemshop order's private note (`owner_note`;
    /// the app needs the `write_orders` scope).
    pub write_owner_note: bool,
    /// Why the last note could not be written, for *Configurações*; cleared when one is.
    pub owner_note_problem: Option<String>,
}

impl Settings {
    pub fn poll_interval(&self) -> Duration {
        self.poll_interval.unwrap_or(DEFAULT_POLL_INTERVAL)
    }

    /// The interval as *Configurações* and `ponte settings` show it.
    pub fn poll_interval_minutes(&self) -> u64 {
        self.poll_interval().as_secs().div_ceil(60)
    }
}

use crate::time::stored_time as parse_time;

impl Store {
    pub(crate) fn get_setting(&self, key: &str) -> Result<Option<String>> {
        self.with(|conn| {
            Ok(conn
                .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                    row.get(0)
                })
                .optional()?)
        })
    }

    pub(crate) fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        self.with(|conn| {
            match value {
                Some(value) => conn.execute(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    params![key, value],
                )?,
                None => conn.execute("DELETE FROM settings WHERE key = ?1", [key])?,
            };
            Ok(())
        })
    }

    pub fn settings(&self) -> Result<Settings> {
        let seller = match (
            self.get_setting("seller_id")?,
            self.get_setting("seller_name")?,
        ) {
            (Some(id), Some(name)) => Some(Seller { id, name }),
            _ => None,
        };
        Ok(Settings {
            activated_at: parse_time(self.get_setting("activated_at")?),
            enabled: self.get_setting("enabled")?.as_deref() == Some("true"),
            disabled_reason: self
                .get_setting("disabled_reason")?
                .and_then(|json| serde_json::from_str(&json).ok()),
            seller,
            poll_interval: self
                .get_setting("poll_interval_seconds")?
                .and_then(|s| s.parse().ok())
                .map(Duration::from_secs),
            cursor: parse_time(self.get_setting("cursor")?),
            last_sync_at: parse_time(self.get_setting("last_sync_at")?),
            nuvemshop_store_id: self.get_setting("nuvemshop_store_id")?,
            nuvemshop_domain: self.get_setting("nuvemshop_domain")?,
            nuvemshop_store_name: self.get_setting("nuvemshop_store_name")?,
            contaazul_company_name: self.get_setting("contaazul_company_name")?,
            options: Options {
                match_by_sku: self.get_setting("match_by_sku")?.as_deref() == Some("true"),
                write_owner_note: self.get_setting("write_owner_note")?.as_deref() == Some("true"),
                owner_note_problem: self.get_setting("owner_note_problem")?,
            },
        })
    }

    pub fn set_match_by_sku(&self, on: bool) -> Result<()> {
        self.set_setting("match_by_sku", on.then_some("true"))
    }

    pub fn set_write_owner_note(&self, on: bool) -> Result<()> {
        self.set_setting("owner_note_problem", None)?;
        self.set_setting("write_owner_note", on.then_some("true"))
    }

    /// *Iniciar o Ponte com o computador*, as the merchant chose it; `None` before any choice.
    pub fn start_with_computer(&self) -> Result<Option<bool>> {
        Ok(self
            .get_setting("start_with_computer")?
            .map(|value| value == "true"))
    }

    pub fn set_start_with_computer(&self, on: bool) -> Result<()> {
        self.set_setting(
            "start_with_computer",
            Some(if on { "true" } else { "false" }),
        )
    }

    pub fn set_owner_note_problem(&self, problem: Option<&str>) -> Result<()> {
        self.set_setting("owner_note_problem", problem)
    }

    /// R2, R4, R13 in one transaction: the activation date (kept from the first time), the
    /// seller, switched on, and no reason left for having been off.
    pub fn activate(&self, seller: &Seller, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let upsert = "INSERT INTO settings (key, value) VALUES (?1, ?2)
                          ON CONFLICT (key) DO UPDATE SET value = excluded.value";
            tx.execute(
                "INSERT INTO settings (key, value) VALUES ('activated_at', ?1)
                 ON CONFLICT (key) DO NOTHING",
                [now.to_rfc3339()],
            )?;
            tx.execute(upsert, params!["seller_id", seller.id])?;
            tx.execute(upsert, params!["seller_name", seller.name])?;
            tx.execute(upsert, params!["enabled", "true"])?;
            tx.execute("DELETE FROM settings WHERE key = 'disabled_reason'", [])?;
            let activated: String = tx.query_row(
                "SELECT value FROM settings WHERE key = 'activated_at'",
                [],
                |row| row.get(0),
            )?;
            tx.commit()?;
            Ok(parse_time(Some(activated)).unwrap_or(now))
        })
    }

    pub fn set_seller(&self, seller: &Seller) -> Result<()> {
        self.set_setting("seller_id", Some(&seller.id))?;
        self.set_setting("seller_name", Some(&seller.name))
    }

    /// R4. Switching on clears why it had switched itself off.
    pub fn set_enabled(&self, enabled: bool) -> Result<()> {
        self.set_setting("enabled", Some(if enabled { "true" } else { "false" }))?;
        if enabled {
            self.set_setting("disabled_reason", None)?;
        }
        Ok(())
    }

    /// R5: off, and why.
    pub fn disable_with_reason(&self, reason: &Problem) -> Result<()> {
        let json = serde_json::to_string(reason).unwrap_or_default();
        self.set_setting("enabled", Some("false"))?;
        self.set_setting("disabled_reason", Some(&json))
    }

    pub fn set_poll_interval(&self, interval: Duration) -> Result<()> {
        self.set_setting(
            "poll_interval_seconds",
            Some(&interval.as_secs().to_string()),
        )
    }

    pub fn set_last_sync(&self, at: DateTime<Utc>) -> Result<()> {
        self.set_setting("last_sync_at", Some(&at.to_rfc3339()))
    }

    /// `true` the first time it is asked for `key` (and never again): one-time notices and
    /// choices the shell makes once on the merchant's behalf.
    pub fn first_time(&self, key: &str) -> Result<bool> {
        let key = format!("once:{key}");
        if self.get_setting(&key)?.is_some() {
            return Ok(false);
        }
        self.set_setting(&key, Some("done"))?;
        Ok(true)
    }

    /// Where one look for orders cancelled or refunded since resumes (`listing`:
    /// `status=cancelled`, …): the newest `updated_at` it read.
    pub fn watch_cursor(&self, listing: &str) -> Result<Option<DateTime<Utc>>> {
        Ok(parse_time(
            self.get_setting(&format!("watch_cursor:{listing}"))?,
        ))
    }

    pub fn set_watch_cursor(&self, listing: &str, at: DateTime<Utc>) -> Result<()> {
        self.set_setting(&format!("watch_cursor:{listing}"), Some(&at.to_rfc3339()))
    }

    /// Instant import's state as the listener last saved it (`ACTIVE`, …).
    pub fn instant_state(&self) -> Result<Option<String>> {
        self.get_setting("instant_state")
    }

    pub fn set_instant_state(&self, state: &str) -> Result<()> {
        self.set_setting("instant_state", Some(state))
    }

    pub fn set_nuvemshop_domain(&self, domain: Option<&str>) -> Result<()> {
        self.set_setting("nuvemshop_domain", domain)
    }

    pub fn set_nuvemshop_store_name(&self, name: Option<&str>) -> Result<()> {
        self.set_setting("nuvemshop_store_name", name)
    }

    pub fn set_contaazul_company_name(&self, name: Option<&str>) -> Result<()> {
        self.set_setting("contaazul_company_name", name)
    }

    /// Which Conta Azul company this profile imports into (`assumptions::company_key`).
    pub fn contaazul_company_key(&self) -> Result<Option<String>> {
        self.get_setting("contaazul_company_key")
    }

    pub fn set_contaazul_company_key(&self, key: Option<&str>) -> Result<()> {
        self.set_setting("contaazul_company_key", key)
    }

    pub fn set_nuvemshop_store_id(&self, store_id: Option<&str>) -> Result<()> {
        self.set_setting("nuvemshop_store_id", store_id)
    }

    /// The last `ponte doctor` as JSON (its shape is the doctor's), for the support report.
    pub fn set_last_diagnosis(&self, json: &str) -> Result<()> {
        self.set_setting("last_diagnosis", Some(json))
    }

    pub fn last_diagnosis(&self) -> Result<Option<String>> {
        self.get_setting("last_diagnosis")
    }

    /// The Nuvemshop token's scopes as granted at its connect (`read_orders,write_orders`).
    pub fn set_nuvemshop_scopes(&self, scopes: Option<&str>) -> Result<()> {
        self.set_setting("nuvemshop_scopes", scopes)
    }

    pub fn nuvemshop_scopes(&self) -> Result<Option<String>> {
        self.get_setting("nuvemshop_scopes")
    }
}

impl Store {
    /// The merchant's payment mapping (R14, beyond); empty: the article's rule for every order.
    pub fn payment_mapping(&self) -> Result<crate::rules::payment::PaymentMapping> {
        Ok(self
            .get_setting("payment_mapping")?
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default())
    }

    pub fn set_payment_mapping(
        &self,
        mapping: &crate::rules::payment::PaymentMapping,
    ) -> Result<()> {
        let json = (!mapping.is_empty())
            .then(|| serde_json::to_string(mapping))
            .transpose()
            .map_err(|error| crate::error::Error::Config(format!("JSON: {error}")))?;
        self.set_setting("payment_mapping", json.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r2_the_first_activation_date_stays() {
        let store = Store::open_in_memory().unwrap();
        let seller = Seller {
            id: "s".into(),
            name: "Ana".into(),
        };
        let first = crate::time::parse_timestamp("2026-11-29T10:00:00Z").unwrap();
        let later = crate::time::parse_timestamp("2026-12-05T10:00:00Z").unwrap();
        assert_eq!(store.activate(&seller, first).unwrap(), first);
        let reason = Problem::of(crate::problem::ProblemCode::NuvemshopAccessChanged);
        store.disable_with_reason(&reason).unwrap();
        assert_eq!(store.activate(&seller, later).unwrap(), first);
        assert_eq!(store.settings().unwrap().disabled_reason, None);
        let settings = store.settings().unwrap();
        assert_eq!(settings.activated_at, Some(first));
        assert!(settings.enabled);
        assert_eq!(settings.seller, Some(seller));
    }

    #[test]
    fn r5_switching_off_keeps_the_reason_until_switched_on() {
        let store = Store::open_in_memory().unwrap();
        store.set_enabled(true).unwrap();
        let reason = Problem::of(crate::problem::ProblemCode::NuvemshopAccessChanged);
        store.disable_with_reason(&reason).unwrap();
        let settings = store.settings().unwrap();
        assert!(!settings.enabled);
        assert_eq!(settings.disabled_reason, Some(reason));
        store.set_enabled(true).unwrap();
        assert_eq!(store.settings().unwrap().disabled_reason, None);
    }
}
