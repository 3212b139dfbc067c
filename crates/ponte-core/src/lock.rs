//! One writer per data directory: a second `ponte sync` (or a second window) cannot race the
//! first on the ledger or on Conta Azul's single-use refresh token.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

use crate::error::{Error, Result};

/// A lock file of the data directory (the lock is the OS's, on the open file).
fn lock_file(data_dir: &Path, name: &str) -> Result<File> {
    crate::config::create_private_dir(data_dir)?;
    Ok(OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(name))?)
}

/// Held while Conta Azul's tokens are refreshed: the refresh token is single-use, so two
/// processes on one data directory (the app and a `ponte` command) take turns, and the second
/// reads what the first stored instead of spending a dead token.
pub struct RefreshLock {
    _file: File,
}

impl RefreshLock {
    /// Waits for the other process, up to `patience`.
    pub async fn acquire(data_dir: &Path, patience: std::time::Duration) -> Result<RefreshLock> {
        let file = lock_file(data_dir, "contaazul-refresh.lock")?;
        let deadline = std::time::Instant::now() + patience;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(RefreshLock { _file: file }),
                Err(TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                }
                Err(TryLockError::WouldBlock) => {
                    return Err(Error::Locked(data_dir.display().to_string()))
                }
                Err(TryLockError::Error(error)) => return Err(Error::Io(error)),
            }
        }
    }
}

/// Held by the process whose instant-import listener runs (the window, or `ponte sync`): a
/// `ponte status` elsewhere tells from it whether the state the listener saved is current.
pub struct ListenerLock {
    _file: File,
}

impl ListenerLock {
    /// Holds it if no other process does (a second listener on the same data directory is
    /// harmless: the ledger takes each order once).
    pub fn try_hold(data_dir: &Path) -> Option<ListenerLock> {
        let file = lock_file(data_dir, "instant.lock").ok()?;
        file.try_lock().ok()?;
        Some(ListenerLock { _file: file })
    }

    /// Whether another process holds it now.
    pub fn held_elsewhere(data_dir: &Path) -> bool {
        lock_file(data_dir, "instant.lock")
            .is_ok_and(|file| matches!(file.try_lock(), Err(TryLockError::WouldBlock)))
    }
}

/// Held while the engine writes; released when dropped (or when the process dies).
pub struct DataDirLock {
    _file: File,
}

impl DataDirLock {
    pub fn acquire(data_dir: &Path) -> Result<DataDirLock> {
        let file = lock_file(data_dir, "ponte.lock")?;
        match file.try_lock() {
            Ok(()) => Ok(DataDirLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(Error::Locked(data_dir.display().to_string())),
            Err(TryLockError::Error(error)) => Err(Error::Io(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataDirLock::acquire(dir.path()).unwrap();
        assert!(matches!(
            DataDirLock::acquire(dir.path()),
            Err(Error::Locked(_))
        ));
        drop(first);
        assert!(DataDirLock::acquire(dir.path()).is_ok());
    }

    #[test]
    fn a_listener_is_seen_from_outside_while_it_holds_its_lock() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!ListenerLock::held_elsewhere(dir.path()));
        // Another handle on the file stands for another process: the OS lock is per open file.
        let listener = ListenerLock::try_hold(dir.path()).unwrap();
        assert!(ListenerLock::held_elsewhere(dir.path()));
        assert!(ListenerLock::try_hold(dir.path()).is_none());
        drop(listener);
        assert!(!ListenerLock::held_elsewhere(dir.path()));
    }
}
