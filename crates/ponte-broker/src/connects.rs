//! Pending connects: a row per started connect (under the digest of its `state`) or per pairing
//! code (under the digest of the code), holding the sealed tokens once the service sent the
//! browser back, until the app claims them once or ten minutes pass.
//!
//! A started connect's tokens go only to the app that started it *and* saw where the browser
//! came back: the claim needs the verifier (whose hash the start gave) and the one-time return
//! code the broker's page handed to that app's loopback listener, or that the merchant typed
//! into it. Without the code a claim learns that consent happened, never the tokens. Wrong
//! verifiers and wrong codes together burn the connect after five.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use crate::db::{Db, Result};
use crate::installations;
use crate::storage::{
    decide_claim, Claim, ClaimRow, ClaimStep, Proof, Settled, Started, MAX_WRONG_ATTEMPTS,
};
use crate::Service;

/// Rows stay this long after they expire, so that a late claim hears "expired", not "unknown".
const KEEP_EXPIRED_SECONDS: i64 = 3600;

impl Db {
    /// Records a started connect; `false` when its id is already taken (a reused `state`).
    pub fn start(
        &self,
        id: &str,
        service: Service,
        verifier_digest: &str,
        return_port: Option<u16>,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = self.db().execute(
            "INSERT INTO connects (id, service, verifier_digest, return_port, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO NOTHING",
            params![id, service.path(), verifier_digest, return_port, expires_at],
        )?;
        Ok(inserted == 1)
    }

    pub fn started(&self, id: &str, now: i64) -> Result<Option<Started>> {
        let row = self
            .db()
            .query_row(
                "SELECT service, return_port, expires_at, outcome FROM connects
                 WHERE id = ?1 AND verifier_digest IS NOT NULL",
                [id],
                |row| {
                    Ok((
                        row.get::<_, String>("service")?,
                        row.get::<_, Option<u16>>("return_port")?,
                        row.get::<_, i64>("expires_at")?,
                        row.get::<_, String>("outcome")?,
                    ))
                },
            )
            .optional()?;
        Ok(row.and_then(|(service, return_port, expires_at, outcome)| {
            Some(Started {
                service: Service::from_path(&service)?,
                return_port,
                expired: expires_at <= now,
                settled: outcome != "pending",
            })
        }))
    }

    /// The service answered: tokens (sealed) or a refusal. Only a pending, unexpired connect
    /// takes it; `false` otherwise.
    pub fn settle(&self, id: &str, outcome: Settled, now: i64) -> Result<bool> {
        let (kind, sealed, return_digest, store_id, refusal) = match outcome {
            Settled::Ready {
                sealed,
                return_digest,
                store_id,
            } => ("ready", Some(sealed), Some(return_digest), store_id, None),
            Settled::Refused(reason) => ("refused", None, None, None, Some(reason)),
        };
        let changed = self.db().execute(
            "UPDATE connects SET outcome = ?2, sealed = ?3, return_digest = ?4, store_id = ?5,
                                 refusal = ?6
             WHERE id = ?1 AND outcome = 'pending' AND expires_at > ?7",
            params![id, kind, sealed, return_digest, store_id, refusal, now],
        )?;
        Ok(changed == 1)
    }

    /// A pairing code's result: an install that started in the Nuvemshop admin.
    pub fn add_paired(
        &self,
        id: &str,
        service: Service,
        sealed: &[u8],
        store_id: Option<&str>,
        expires_at: i64,
    ) -> Result<bool> {
        let inserted = self.db().execute(
            "INSERT INTO connects (id, service, expires_at, outcome, sealed, store_id)
             VALUES (?1, ?2, ?3, 'ready', ?4, ?5) ON CONFLICT (id) DO NOTHING",
            params![id, service.path(), expires_at, sealed, store_id],
        )?;
        Ok(inserted == 1)
    }

    /// Takes the result of a connect, once. The tokens leave the database with the answer,
    /// in the same transaction that issues the installation's key.
    pub fn claim(&self, id: &str, proof: Proof<'_>, now: i64) -> Result<Claim> {
        let mut db = self.db();
        let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let row = tx
            .query_row(
                "SELECT service, verifier_digest, return_digest, store_id, expires_at, outcome,
                        sealed, refusal
                 FROM connects WHERE id = ?1",
                [id],
                |row| {
                    Ok(ClaimRow {
                        service: row.get("service")?,
                        verifier_digest: row.get("verifier_digest")?,
                        return_digest: row.get("return_digest")?,
                        store_id: row.get("store_id")?,
                        expires_at: row.get("expires_at")?,
                        outcome: row.get("outcome")?,
                        sealed: row.get("sealed")?,
                        refusal: row.get("refusal")?,
                    })
                },
            )
            .optional()?;
        let answer = match decide_claim(row, proof, now) {
            ClaimStep::Answer(answer) => return Ok(answer),
            ClaimStep::Wrong(answer) => {
                let burnt = wrong_attempt(&tx, id)?;
                tx.commit()?;
                return Ok(if burnt { Claim::Burnt } else { answer });
            }
            ClaimStep::Hand {
                service,
                sealed,
                store_id,
            } => {
                let installation = installations::issue(&tx, service, store_id.as_deref(), now)?;
                Claim::Ready(service, sealed, installation)
            }
            ClaimStep::Refuse(reason) => Claim::Refused(reason),
        };
        tx.execute(
            "UPDATE connects SET outcome = 'claimed', sealed = NULL, return_digest = NULL
             WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(answer)
    }

    /// Drops expired tokens at once and forgets rows an hour after they expired.
    pub(crate) fn purge_connects(&self, now: i64, batch: i64) -> Result<i64> {
        let db = self.db();
        let wiped = db.execute(
            "UPDATE connects SET sealed = NULL, return_digest = NULL WHERE id IN
                (SELECT id FROM connects WHERE sealed IS NOT NULL AND expires_at <= ?1 LIMIT ?2)",
            params![now, batch],
        )?;
        let deleted = db.execute(
            "DELETE FROM connects WHERE id IN
                (SELECT id FROM connects WHERE expires_at <= ?1 LIMIT ?2)",
            params![now - KEEP_EXPIRED_SECONDS, batch],
        )?;
        Ok((wiped + deleted) as i64)
    }

    /// How many rows still hold sealed tokens (tests: nothing left behind).
    pub fn sealed_rows(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM connects WHERE sealed IS NOT NULL")
    }

    pub fn rows(&self) -> Result<i64> {
        self.count("SELECT COUNT(*) FROM connects")
    }
}

/// Counts a wrong verifier or code; `true` when it burnt the connect (its tokens dropped).
fn wrong_attempt(tx: &rusqlite::Transaction<'_>, id: &str) -> Result<bool> {
    tx.execute(
        "UPDATE connects SET wrong_attempts = wrong_attempts + 1,
            outcome = CASE WHEN wrong_attempts + 1 >= ?2 AND outcome <> 'claimed'
                           THEN 'burnt' ELSE outcome END,
            sealed = CASE WHEN wrong_attempts + 1 >= ?2 THEN NULL ELSE sealed END,
            return_digest = CASE WHEN wrong_attempts + 1 >= ?2 THEN NULL ELSE return_digest END
         WHERE id = ?1",
        params![id, MAX_WRONG_ATTEMPTS],
    )?;
    let outcome: String =
        tx.query_row("SELECT outcome FROM connects WHERE id = ?1", [id], |row| {
            row.get(0)
        })?;
    Ok(outcome == "burnt")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seal::digest;
    use std::path::Path;

    fn db() -> Db {
        Db::open(Path::new(":memory:")).unwrap()
    }

    fn ready(store: Option<&str>) -> Settled {
        Settled::Ready {
            sealed: vec![1, 2],
            return_digest: digest("code"),
            store_id: store.map(str::to_string),
        }
    }

    fn with(verifier: &str, code: Option<&str>) -> (String, Option<String>) {
        (digest(verifier), code.map(digest))
    }

    fn claim(db: &Db, id: &str, proof: &(String, Option<String>), now: i64) -> Claim {
        db.claim(
            id,
            Proof::Verifier {
                verifier_digest: &proof.0,
                return_digest: proof.1.as_deref(),
            },
            now,
        )
        .unwrap()
    }

    #[test]
    fn a_result_is_claimed_once_with_its_verifier_and_its_return_code() {
        let db = db();
        let verifier = digest("v");
        assert!(db
            .start("s", Service::Contaazul, &verifier, Some(5000), 100)
            .unwrap());
        assert!(!db
            .start("s", Service::Contaazul, &verifier, None, 100)
            .unwrap());
        assert_eq!(claim(&db, "s", &with("v", None), 10), Claim::Pending);
        assert!(db.settle("s", ready(None), 10).unwrap());
        assert!(!db.settle("s", ready(None), 10).unwrap());
        assert_eq!(
            claim(&db, "s", &with("w", Some("code")), 10),
            Claim::WrongVerifier
        );
        assert_eq!(
            claim(&db, "s", &with("v", None), 10),
            Claim::Authorized,
            "without the return code: consent happened, nothing more"
        );
        assert_eq!(
            claim(&db, "s", &with("v", Some("guess")), 10),
            Claim::WrongReturnCode
        );
        let Claim::Ready(service, sealed, installation) =
            claim(&db, "s", &with("v", Some("code")), 10)
        else {
            panic!("the tokens");
        };
        assert_eq!((service, sealed), (Service::Contaazul, vec![1, 2]));
        assert_eq!(installation.cursor, None);
        assert_eq!(
            claim(&db, "s", &with("v", Some("code")), 10),
            Claim::AlreadyClaimed
        );
        assert_eq!(db.sealed_rows().unwrap(), 0);
        assert_eq!(claim(&db, "nope", &with("v", None), 10), Claim::Unknown);
    }

    #[test]
    fn expired_and_burnt_results_are_never_handed_out() {
        let db = db();
        let verifier = digest("v");
        db.start("late", Service::Nuvemshop, &verifier, None, 100)
            .unwrap();
        db.settle("late", ready(Some("1")), 50).unwrap();
        assert_eq!(
            claim(&db, "late", &with("v", Some("code")), 100),
            Claim::Expired
        );
        db.purge(100).unwrap();
        assert_eq!(db.sealed_rows().unwrap(), 0);

        // Wrong verifiers and wrong codes count together.
        db.start("guessed", Service::Nuvemshop, &verifier, None, 100)
            .unwrap();
        db.settle("guessed", ready(Some("1")), 50).unwrap();
        for attempt in 0..MAX_WRONG_ATTEMPTS - 1 {
            let proof = if attempt % 2 == 0 {
                with("x", None)
            } else {
                with("v", Some("guess"))
            };
            assert!(matches!(
                claim(&db, "guessed", &proof, 50),
                Claim::WrongVerifier | Claim::WrongReturnCode
            ));
        }
        assert_eq!(
            claim(&db, "guessed", &with("v", Some("wrong")), 50),
            Claim::Burnt
        );
        assert_eq!(
            claim(&db, "guessed", &with("v", Some("code")), 50),
            Claim::Burnt
        );
        assert_eq!(db.sealed_rows().unwrap(), 0);
    }

    #[test]
    fn a_settle_after_expiry_is_refused_and_a_refusal_needs_no_code() {
        let db = db();
        db.start("s", Service::Contaazul, &digest("v"), None, 100)
            .unwrap();
        assert!(!db.settle("s", Settled::Refused("x".into()), 100).unwrap());
        assert!(db
            .settle("s", Settled::Refused("access_denied".into()), 10)
            .unwrap());
        assert_eq!(
            claim(&db, "s", &with("v", None), 10),
            Claim::Refused("access_denied".into())
        );
    }

    #[test]
    fn a_pairing_code_is_claimed_without_verifier_and_only_so() {
        let db = db();
        db.add_paired("p", Service::Nuvemshop, &[9], Some("5120101"), 100)
            .unwrap();
        assert_eq!(claim(&db, "p", &with("v", None), 10), Claim::Unknown);
        let Claim::Ready(_, sealed, installation) = db.claim("p", Proof::PairingCode, 10).unwrap()
        else {
            panic!("the tokens");
        };
        assert_eq!(sealed, vec![9]);
        assert_eq!(installation.cursor, Some(0));
        assert_eq!(
            db.claim("p", Proof::PairingCode, 10).unwrap(),
            Claim::AlreadyClaimed
        );
        db.start("s", Service::Contaazul, &digest("v"), None, 100)
            .unwrap();
        assert_eq!(
            db.claim("s", Proof::PairingCode, 10).unwrap(),
            Claim::Unknown
        );
    }

    #[test]
    fn expired_rows_go_an_hour_later_and_purges_take_batches() {
        let db = db();
        for n in 0..2_500 {
            db.start(
                &format!("s{n}"),
                Service::Contaazul,
                &digest("v"),
                None,
                100,
            )
            .unwrap();
        }
        db.start("young", Service::Contaazul, &digest("v"), None, 10_000)
            .unwrap();
        db.purge(100 + KEEP_EXPIRED_SECONDS - 1).unwrap();
        assert_eq!(
            db.rows().unwrap(),
            2_501,
            "a late claim still hears 'expired'"
        );
        db.purge(100 + KEEP_EXPIRED_SECONDS).unwrap();
        assert_eq!(db.rows().unwrap(), 1);
        // The purges walk indexes of what is due.
        let plan: String = db
            .db()
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM connects WHERE sealed IS NOT NULL \
                 AND expires_at <= 1 LIMIT 5",
                [],
                |row| row.get(3),
            )
            .unwrap();
        assert!(plan.contains("connects_sealed_expiry"), "{plan}");
    }
}
