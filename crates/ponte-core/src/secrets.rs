//! Tokens. A [`Secret`] never prints and cannot be serialised; tokens live in the OS keychain,
//! or in a 0600 file when the configuration asks for it (tests, headless machines). They never
//! reach a log, the database or the UI.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::config::{Config, TokenStoreKind};
use crate::error::{Error, Result};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The only way to the value: at the moment it goes into a request.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where tokens are kept, by name (`nuvemshop`, `contaazul`).
pub trait TokenStore: Send + Sync {
    fn get(&self, name: &str) -> Result<Option<Secret>>;
    fn set(&self, name: &str, value: &Secret) -> Result<()>;
    fn delete(&self, name: &str) -> Result<()>;
}

pub fn open_store(config: &Config) -> Box<dyn TokenStore> {
    match config.token_store {
        TokenStoreKind::File => Box::new(FileStore::new(config.data_dir.join("tokens.json"))),
        TokenStoreKind::Keychain => Box::new(KeychainStore::new(&config.data_dir)),
    }
}

/// The OS keychain. Entries are namespaced by data directory, so two profiles (or a test run
/// and the merchant's real app) never share a token.
pub struct KeychainStore {
    profile: String,
}

impl KeychainStore {
    pub fn new(data_dir: &std::path::Path) -> Self {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        data_dir.hash(&mut hasher);
        KeychainStore {
            profile: format!("{:016x}", hasher.finish()),
        }
    }

    fn entry(&self, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new("Ponte", &format!("{}:{name}", self.profile))
            .map_err(|error| Error::Secrets(format!("keychain unavailable: {error}")))
    }
}

impl TokenStore for KeychainStore {
    fn get(&self, name: &str) -> Result<Option<Secret>> {
        match self.entry(name)?.get_password() {
            Ok(value) => Ok(Some(Secret::new(value))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(error) => Err(Error::Secrets(format!("keychain read failed: {error}"))),
        }
    }

    fn set(&self, name: &str, value: &Secret) -> Result<()> {
        self.entry(name)?
            .set_password(value.expose())
            .map_err(|error| Error::Secrets(format!("keychain write failed: {error}")))
    }

    fn delete(&self, name: &str) -> Result<()> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(error) => Err(Error::Secrets(format!("keychain delete failed: {error}"))),
        }
    }
}

/// A JSON file readable only by its owner, replaced atomically on every write.
pub struct FileStore {
    path: PathBuf,
    guard: Mutex<()>,
}

impl FileStore {
    pub fn new(path: PathBuf) -> Self {
        FileStore {
            path,
            guard: Mutex::new(()),
        }
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|error| Error::Secrets(format!("token file is damaged: {error}"))),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(error) => Err(Error::Io(error)),
        }
    }

    fn write(&self, tokens: &BTreeMap<String, String>) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::config::create_private_dir(dir)?;
        }
        let temporary = self.path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(tokens).map_err(|e| Error::Secrets(e.to_string()))?;
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.create(true).write(true).truncate(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            let mut file = options.open(&temporary)?;
            file.write_all(&bytes)?;
            // The rotated refresh token must survive a crash right after this call.
            file.sync_all()?;
        }
        std::fs::rename(&temporary, &self.path)?;
        // The rename itself must survive a crash too: sync the directory that holds it.
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

impl TokenStore for FileStore {
    fn get(&self, name: &str) -> Result<Option<Secret>> {
        let _guard = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.read()?.remove(name).map(Secret::new))
    }

    fn set(&self, name: &str, value: &Secret) -> Result<()> {
        let _guard = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        let mut tokens = self.read()?;
        tokens.insert(name.to_string(), value.expose().to_string());
        self.write(&tokens)
    }

    fn delete(&self, name: &str) -> Result<()> {
        let _guard = self.guard.lock().unwrap_or_else(|p| p.into_inner());
        let mut tokens = self.read()?;
        if tokens.remove(name).is_some() {
            self.write(&tokens)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_never_prints() {
        let secret = Secret::new("abc123");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(secret)), "Some(<redacted>)");
    }

    #[test]
    fn the_file_store_keeps_tokens_in_an_owner_only_file() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("Ponte");
        let store = FileStore::new(dir.join("tokens.json"));
        assert_eq!(store.get("contaazul").unwrap(), None);
        store.set("contaazul", &Secret::new("r1")).unwrap();
        store.set("nuvemshop", &Secret::new("n1")).unwrap();
        store.set("contaazul", &Secret::new("r2")).unwrap();
        assert_eq!(store.get("contaazul").unwrap(), Some(Secret::new("r2")));
        store.delete("contaazul").unwrap();
        assert_eq!(store.get("contaazul").unwrap(), None);
        assert_eq!(store.get("nuvemshop").unwrap(), Some(Secret::new("n1")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &std::path::Path| {
                std::fs::metadata(path).unwrap().permissions().mode() & 0o777
            };
            assert_eq!(mode(&dir.join("tokens.json")), 0o600);
            assert_eq!(mode(&dir), 0o700, "the data directory is the user's only");
            let tokens = "x".repeat(4_000);
            store.set("long", &Secret::new(tokens.clone())).unwrap();
            assert_eq!(store.get("long").unwrap(), Some(Secret::new(tokens)));
        }
    }
}
