//! Tokens. A [`Secret`] never prints and cannot be serialised. Tokens live in a 0600 file of the
//! data directory, sealed under a key kept in the OS keychain (or, when the configuration asks
//! for it, plain: tests, headless machines). They never reach a log, the database or the UI.

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
    /// Tokens kept earlier could not be opened (sealed under a key the keychain no longer
    /// has) and were put aside: the merchant connects again.
    fn lost(&self) -> bool {
        false
    }
    /// The merchant connected again: what was put aside goes.
    fn forget_lost(&self) {}
}

pub fn open_store(config: &Config) -> Box<dyn TokenStore> {
    match config.token_store {
        TokenStoreKind::File => Box::new(FileStore::new(config.data_dir.join("tokens.json"))),
        TokenStoreKind::Keychain => Box::new(FileStore::sealed(
            config.data_dir.join("tokens.sealed"),
            Box::new(KeychainKey::new(&config.data_dir)),
        )),
    }
}

/// The key that seals the token file.
pub trait KeySource: Send + Sync {
    /// The key, made (and kept) the first time.
    fn key(&self) -> Result<[u8; 32]>;
}

/// The sealing key in the OS keychain: 44 bytes of base64, within Windows Credential Manager's
/// 2,560 bytes an entry whatever the size of the tokens it protects (Conta Azul's two tokens
/// together are about 3 KB).
pub struct KeychainKey {
    /// Stable for one data directory across Ponte versions and Rust toolchains.
    user: String,
    entry: EntryOpener,
}

/// Opens a keychain entry: the OS's own store, or another `keyring-core` store in tests.
pub type EntryOpener = fn(&str, &str) -> keyring_core::Result<keyring_core::Entry>;

pub(crate) fn os_keychain_entry(
    service: &str,
    user: &str,
) -> keyring_core::Result<keyring_core::Entry> {
    keyring::Entry::new(service, user).map(|entry| entry.inner)
}

impl KeychainKey {
    pub fn new(data_dir: &std::path::Path) -> Self {
        Self::with_entries(data_dir, os_keychain_entry)
    }

    pub fn with_entries(data_dir: &std::path::Path, entry: EntryOpener) -> Self {
        let profile = crate::stable_hash(data_dir.to_string_lossy().as_bytes());
        KeychainKey {
            user: format!("{profile:016x}:key"),
            entry,
        }
    }
}

impl KeychainKey {
    fn open(&self) -> Result<keyring_core::Entry> {
        (self.entry)("Ponte", &self.user)
            .map_err(|error| Error::Secrets(format!("keychain unavailable: {error}")))
    }

    /// The data moved to another directory: its key goes with it (the entry is named after the
    /// directory).
    pub fn move_to(&self, to: &KeychainKey) -> Result<()> {
        let from = self.open()?;
        match from.get_password() {
            Ok(key) => {
                to.open()?
                    .set_password(&key)
                    .map_err(|error| Error::Secrets(format!("keychain write failed: {error}")))?;
                let _ = from.delete_credential();
                Ok(())
            }
            Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(Error::Secrets(format!("keychain read failed: {error}"))),
        }
    }

    /// The merchant removed Ponte and its data: the key goes too.
    pub fn forget(&self) -> Result<()> {
        match self.open()?.delete_credential() {
            Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
            Err(error) => Err(Error::Secrets(format!("keychain delete failed: {error}"))),
        }
    }
}

impl KeySource for KeychainKey {
    fn key(&self) -> Result<[u8; 32]> {
        use base64::Engine;
        let entry = (self.entry)("Ponte", &self.user)
            .map_err(|error| Error::Secrets(format!("keychain unavailable: {error}")))?;
        match entry.get_password() {
            Ok(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .ok()
                .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
                .ok_or_else(|| Error::Secrets("the keychain's key for Ponte is damaged".into())),
            Err(keyring_core::Error::NoEntry) => {
                let mut key = [0u8; 32];
                rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut key);
                entry
                    .set_password(&base64::engine::general_purpose::STANDARD.encode(key))
                    .map_err(|error| Error::Secrets(format!("keychain write failed: {error}")))?;
                Ok(key)
            }
            Err(error) => Err(Error::Secrets(format!("keychain read failed: {error}"))),
        }
    }
}

/// A JSON file readable only by its owner, replaced atomically on every write, and sealed
/// (ChaCha20-Poly1305) when it has a key.
pub struct FileStore {
    path: PathBuf,
    seal: Option<Box<dyn KeySource>>,
    guard: Mutex<()>,
}

/// What a sealed file starts with: a version, so that a later format can be told apart.
const SEALED: &[u8] = b"PONTE-SEALED-1\n";

impl FileStore {
    pub fn new(path: PathBuf) -> Self {
        FileStore {
            path,
            seal: None,
            guard: Mutex::new(()),
        }
    }

    pub fn sealed(path: PathBuf, key: Box<dyn KeySource>) -> Self {
        FileStore {
            path,
            seal: Some(key),
            guard: Mutex::new(()),
        }
    }

    fn cipher(&self) -> Result<Option<chacha20poly1305::ChaCha20Poly1305>> {
        use chacha20poly1305::KeyInit;
        Ok(match &self.seal {
            Some(source) => Some(chacha20poly1305::ChaCha20Poly1305::new(
                &source.key()?.into(),
            )),
            None => None,
        })
    }

    /// The file's contents, unsealed. A keychain that cannot be reached is an error of its
    /// own (`Error::Io`-free `Secrets` from `cipher`), told apart by the caller from a key that
    /// does not fit.
    fn open_bytes(&self, bytes: Vec<u8>) -> Result<Vec<u8>> {
        use chacha20poly1305::aead::Aead;
        let Some(cipher) = self.cipher().map_err(|error| match error {
            Error::Secrets(why) => Error::Io(std::io::Error::other(why)),
            other => other,
        })?
        else {
            return Ok(bytes);
        };
        let damaged = || Error::Secrets("the sealed token file cannot be opened".into());
        let body = bytes.strip_prefix(SEALED).ok_or_else(damaged)?;
        if body.len() < 12 {
            return Err(damaged());
        }
        let (nonce, sealed) = body.split_at(12);
        cipher
            .decrypt(chacha20poly1305::Nonce::from_slice(nonce), sealed)
            .map_err(|_| damaged())
    }

    fn seal_bytes(&self, plain: Vec<u8>) -> Result<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, AeadCore};
        let Some(cipher) = self.cipher()? else {
            return Ok(plain);
        };
        let nonce = chacha20poly1305::ChaCha20Poly1305::generate_nonce(&mut rand::rngs::OsRng);
        let sealed = cipher
            .encrypt(&nonce, plain.as_slice())
            .map_err(|_| Error::Secrets("the token file could not be sealed".into()))?;
        Ok([SEALED, nonce.as_slice(), &sealed].concat())
    }

    /// Where a sealed file that no key opens is put aside.
    fn lost_path(&self) -> PathBuf {
        self.path.with_extension("lost")
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => {
                let plain = match self.open_bytes(bytes) {
                    Ok(plain) => plain,
                    // The keychain gave a key, and it does not open the file: the key it was
                    // sealed under is gone (the keychain was reset, the profile restored
                    // without it). Those tokens are lost for good; put aside, they no longer
                    // block a new connect.
                    Err(error) if self.seal.is_some() && !matches!(error, Error::Io(_)) => {
                        tracing::warn!(%error, "the sealed token file cannot be opened; put aside");
                        std::fs::rename(&self.path, self.lost_path())?;
                        return Ok(BTreeMap::new());
                    }
                    Err(error) => return Err(error),
                };
                serde_json::from_slice(&plain)
                    .map_err(|error| Error::Secrets(format!("token file is damaged: {error}")))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(error) => Err(Error::Io(error)),
        }
    }

    fn write(&self, tokens: &BTreeMap<String, String>) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::config::create_private_dir(dir)?;
        }
        let temporary = self.path.with_extension("tmp");
        let bytes = serde_json::to_vec(tokens).map_err(|e| Error::Secrets(e.to_string()))?;
        let bytes = self.seal_bytes(bytes)?;
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
        rename_retrying(&temporary, &self.path)?;
        // The rename itself must survive a crash too: sync the directory that holds it.
        #[cfg(unix)]
        if let Some(dir) = self.path.parent() {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    }
}

/// Replaces `to` with `from`. On Windows an antivirus or the indexer may hold the file for a
/// moment ("access denied"): a rotated refresh token is single-use, so the rename is tried
/// again for a few seconds rather than given up.
fn rename_retrying(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    retrying(|| std::fs::rename(from, to))
}

fn retrying(mut attempt: impl FnMut() -> std::io::Result<()>) -> std::io::Result<()> {
    let mut wait = std::time::Duration::from_millis(25);
    for _ in 0..10 {
        match attempt() {
            Err(error) if error.kind() == std::io::ErrorKind::PermissionDenied => {
                std::thread::sleep(wait);
                wait = (wait * 2).min(std::time::Duration::from_millis(800));
            }
            done => return done,
        }
    }
    attempt()
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

    fn lost(&self) -> bool {
        self.lost_path().exists()
    }

    fn forget_lost(&self) {
        let _ = std::fs::remove_file(self.lost_path());
    }
}

/// An in-memory keychain for the tests of the modules that use one.
#[cfg(test)]
pub(crate) mod tests_support {
    pub fn mock_entry(service: &str, user: &str) -> keyring_core::Result<keyring_core::Entry> {
        use std::sync::OnceLock;
        static STORE: OnceLock<std::sync::Arc<keyring_core::mock::Store>> = OnceLock::new();
        let store = STORE.get_or_init(|| keyring_core::mock::Store::new().unwrap());
        keyring_core::api::CredentialStoreApi::build(store.as_ref(), service, user, None)
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

    struct FixedKey([u8; 32]);

    impl KeySource for FixedKey {
        fn key(&self) -> Result<[u8; 32]> {
            Ok(self.0)
        }
    }

    #[test]
    fn a_file_held_for_a_moment_is_written_once_it_is_let_go() {
        let mut denied = 3;
        let outcome = retrying(|| {
            if denied > 0 {
                denied -= 1;
                Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            } else {
                Ok(())
            }
        });
        assert!(outcome.is_ok());
        let mut calls = 0;
        let other = retrying(|| {
            calls += 1;
            Err(std::io::Error::from(std::io::ErrorKind::NotFound))
        });
        assert!(
            other.is_err() && calls == 1,
            "only a held file is waited for"
        );
    }

    /// Issue 20: a key the keychain lost leaves the sealed file unopenable; it is put aside
    /// (and said), and the next connect works.
    #[test]
    fn a_file_sealed_under_a_lost_key_is_put_aside_and_the_next_connect_works() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.sealed");
        let before = FileStore::sealed(path.clone(), Box::new(FixedKey([1; 32])));
        before.set("contaazul", &Secret::new("old")).unwrap();
        let after = FileStore::sealed(path.clone(), Box::new(FixedKey([2; 32])));
        assert!(!after.lost());
        assert_eq!(after.get("contaazul").unwrap(), None);
        assert!(after.lost(), "put aside, to be told");
        after.set("contaazul", &Secret::new("new")).unwrap();
        assert_eq!(after.get("contaazul").unwrap(), Some(Secret::new("new")));
        after.forget_lost();
        assert!(!after.lost());
    }

    #[test]
    fn sealed_tokens_of_any_size_round_trip_and_never_lie_in_the_clear() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.sealed");
        let store = FileStore::sealed(path.clone(), Box::new(FixedKey([7; 32])));
        let refresh = format!("eyJ{}", "r".repeat(4_000));
        let nuvemshop = "n".repeat(4_000);
        store
            .set("contaazul", &Secret::new(refresh.clone()))
            .unwrap();
        store
            .set("nuvemshop", &Secret::new(nuvemshop.clone()))
            .unwrap();
        assert_eq!(store.get("contaazul").unwrap(), Some(Secret::new(refresh)));
        assert_eq!(
            store.get("nuvemshop").unwrap(),
            Some(Secret::new(nuvemshop))
        );
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.starts_with(SEALED));
        assert!(
            !bytes.windows(40).any(|w| w == "r".repeat(40).as_bytes()),
            "sealed"
        );

        // Neither another key nor a tampered file yields a token: both are put aside.
        let wrong = FileStore::sealed(path.clone(), Box::new(FixedKey([8; 32])));
        assert_eq!(wrong.get("contaazul").unwrap(), None);
        assert!(wrong.lost());
        let mut tampered = bytes.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        std::fs::write(&path, tampered).unwrap();
        assert_eq!(store.get("contaazul").unwrap(), None);
        assert!(!path.exists());
    }

    use super::tests_support::mock_entry;

    /// Issue 9: a 4,000-character token through every store Ponte has: the plain file (tests,
    /// headless machines), the sealed file under a fixed key, and the sealed file under a key
    /// the keychain keeps, whose entry stays far within Windows' 2,560 bytes (UTF-16).
    #[test]
    fn a_4000_character_token_round_trips_through_every_store() {
        let dir = tempfile::tempdir().unwrap();
        let token = Secret::new(format!("eyJ{}", "x".repeat(3_997)));
        assert_eq!(token.expose().len(), 4_000);
        let keychain = KeychainKey::with_entries(dir.path(), mock_entry);
        let stores: Vec<(&str, FileStore)> = vec![
            ("plain", FileStore::new(dir.path().join("tokens.json"))),
            (
                "sealed",
                FileStore::sealed(dir.path().join("a.sealed"), Box::new(FixedKey([3; 32]))),
            ),
            (
                "keychain",
                FileStore::sealed(
                    dir.path().join("b.sealed"),
                    Box::new(KeychainKey::with_entries(dir.path(), mock_entry)),
                ),
            ),
        ];
        for (name, store) in &stores {
            store.set("contaazul", &token).unwrap();
            store.set("nuvemshop", &token).unwrap();
            assert_eq!(
                store.get("contaazul").unwrap().as_ref(),
                Some(&token),
                "{name}"
            );
            assert_eq!(
                store.get("nuvemshop").unwrap().as_ref(),
                Some(&token),
                "{name}"
            );
        }
        // The keychain holds only the key, the same one on every read.
        let key = keychain.key().unwrap();
        assert_eq!(keychain.key().unwrap(), key);
        let stored = mock_entry("Ponte", &keychain.user)
            .unwrap()
            .get_password()
            .unwrap();
        assert!(
            stored.encode_utf16().count() * 2 <= 2_560,
            "{} bytes",
            stored.len()
        );
    }

    #[test]
    fn the_keychain_entry_name_is_stable() {
        // Not the standard hasher: it may change between Rust releases and lose the key.
        let key = KeychainKey::new(std::path::Path::new("/home/ana/.local/share/Ponte"));
        assert_eq!(
            key.user,
            format!(
                "{:016x}:key",
                crate::stable_hash(b"/home/ana/.local/share/Ponte")
            )
        );
        assert_eq!(
            crate::stable_hash(b"a"),
            0xaf63dc4c8601ec8c,
            "FNV-1a, fixed"
        );
    }
}
