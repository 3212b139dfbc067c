//! Where Ponte keeps its data on each system, and the one move of an earlier version's data.
//!
//! On Windows a per-user install puts the program in `%LOCALAPPDATA%\Ponte`, where earlier
//! versions kept the data too: an uninstall could take it along, and the uninstaller's *remove
//! data* box (which removes the app identifier's folder) removed nothing of it. The data lives
//! in `%LOCALAPPDATA%\br.app.ponte`, the identifier's folder, apart from the program; an earlier
//! version's data is moved there once, the keychain's key that seals the tokens with it. On
//! macOS and Linux nothing changes: `Ponte/` in the local application-data directory.

use std::path::Path;

use crate::error::Result;
use crate::secrets::KeychainKey;

pub use crate::config::{default_dirs, APP_IDENTIFIER};

/// The ledger and the tokens: moved, or the app does not open on an earlier version's data.
const LEDGER: [&str; 6] = [
    "ponte.sqlite3",
    "ponte.sqlite3-wal",
    "ponte.sqlite3-shm",
    "tokens.sealed",
    "tokens.json",
    "tokens.lost",
];

/// Folders whose files move one by one: the log file of this very start is already open in
/// the new `logs/`, so the folder itself cannot be renamed onto it.
const FOLDERS: [&str; 2] = ["logs", "lgpd"];

/// Moves an earlier version's data from `earlier` to `dir`, once: only when `dir` holds no
/// ledger yet and `earlier` does. The program's files are not touched. The keychain's key moves
/// with the sealed tokens (its entry is named after the folder). `true` when something moved.
pub fn adopt_earlier(
    earlier: &Path,
    dir: &Path,
    entry: crate::secrets::EntryOpener,
) -> Result<bool> {
    if dir.join("ponte.sqlite3").exists() || !earlier.join("ponte.sqlite3").exists() {
        return Ok(false);
    }
    crate::files::create_private_dir(dir)?;
    for name in LEDGER {
        let from = earlier.join(name);
        if from.exists() {
            std::fs::rename(&from, dir.join(name))?;
        }
    }
    for folder in FOLDERS {
        if let Err(error) = move_files(&earlier.join(folder), &dir.join(folder)) {
            tracing::warn!(%error, folder, "some files of an earlier version stayed behind");
        }
    }
    // Without its key the sealed tokens are put aside at the next read and the merchant
    // connects again: worse than a moved key, better than no start.
    if let Err(error) =
        KeychainKey::with_entries(earlier, entry).move_to(&KeychainKey::with_entries(dir, entry))
    {
        tracing::warn!(%error, "the keychain's key did not move with the data");
    }
    tracing::info!("the data of an earlier version moved to the data directory");
    Ok(true)
}

/// Moves the files of `from` into `to`, keeping any of the same name already there.
fn move_files(from: &Path, to: &Path) -> std::io::Result<()> {
    if !from.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(to)?;
    for file in std::fs::read_dir(from)? {
        let file = file?;
        let target = to.join(file.file_name());
        if !target.exists() {
            std::fs::rename(file.path(), target)?;
        }
    }
    let _ = std::fs::remove_dir(from);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::{FileStore, KeySource, Secret, TokenStore};

    #[test]
    fn an_earlier_versions_data_moves_once_with_its_key() {
        let root = tempfile::tempdir().unwrap();
        let earlier = root.path().join("Ponte");
        let dir = root.path().join("br.app.ponte");
        std::fs::create_dir_all(earlier.join("logs")).unwrap();
        std::fs::write(earlier.join("ponte.sqlite3"), b"ledger").unwrap();
        std::fs::write(earlier.join("logs/ponte.log"), b"log").unwrap();
        std::fs::write(earlier.join("ponte-app.exe"), b"the program").unwrap();
        // This start's log file is already open in the new folder.
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        std::fs::write(dir.join("logs/ponte.log.today"), b"now").unwrap();
        let entry = crate::secrets::tests_support::mock_entry;
        let sealed = FileStore::sealed(
            earlier.join("tokens.sealed"),
            Box::new(KeychainKey::with_entries(&earlier, entry)),
        );
        sealed.set("contaazul", &Secret::new("refresh")).unwrap();

        assert!(adopt_earlier(&earlier, &dir, entry).unwrap());
        assert_eq!(std::fs::read(dir.join("ponte.sqlite3")).unwrap(), b"ledger");
        assert!(dir.join("logs/ponte.log").exists());
        assert_eq!(
            std::fs::read(dir.join("logs/ponte.log.today")).unwrap(),
            b"now"
        );
        assert!(earlier.join("ponte-app.exe").exists(), "the program stays");
        assert!(!earlier.join("ponte.sqlite3").exists());
        let moved = FileStore::sealed(
            dir.join("tokens.sealed"),
            Box::new(KeychainKey::with_entries(&dir, entry)),
        );
        assert_eq!(
            moved.get("contaazul").unwrap(),
            Some(Secret::new("refresh"))
        );
        assert!(!moved.lost(), "opened with the key that moved along");
        // Once: a second start finds the ledger where it is.
        assert!(!adopt_earlier(&earlier, &dir, entry).unwrap());
        let _ = KeychainKey::with_entries(&dir, entry).key();
    }
}
