use rusqlite::Connection;

use crate::error::{Error, Result};

/// In order; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_ledger.sql"),
    include_str!("../../migrations/0002_sent_at.sql"),
    include_str!("../../migrations/0003_lgpd.sql"),
    include_str!("../../migrations/0004_orders_by_created.sql"),
    include_str!("../../migrations/0005_orders_search.sql"),
    include_str!("../../migrations/0006_remembered_ids.sql"),
    include_str!("../../migrations/0007_imported_by_day.sql"),
    include_str!("../../migrations/0008_backfills.sql"),
    include_str!("../../migrations/0009_changed_after_import.sql"),
    include_str!("../../migrations/0010_lgpd_checked.sql"),
];

pub fn apply(conn: &mut Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        // A downgrade must fail loudly rather than misread newer data.
        return Err(Error::DatabaseTooNew { found, known });
    }
    if found == known {
        return Ok(());
    }
    let tx = conn.transaction()?;
    for sql in &MIGRATIONS[found as usize..] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_a_newer_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.sqlite3");
        let mut conn = Connection::open(&path).unwrap();
        apply(&mut conn).unwrap();
        apply(&mut conn).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(
            apply(&mut conn),
            Err(Error::DatabaseTooNew { found: 99, .. })
        ));
    }
}
