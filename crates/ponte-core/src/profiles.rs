//! Several stores and companies in one Ponte: each profile is one Nuvemshop store and one
//! Conta Azul company, with a data directory of its own (ledger, settings, tokens, seller,
//! activation date, payment table).
//!
//! The default profile's data directory is the base directory itself — what a Ponte before
//! profiles used — so a merchant's single store becomes the default profile with nothing moved
//! and nothing to connect again. Every other profile lives in `profiles/NAME/` under it.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::problem::{Problem, ProblemCode};

/// The default profile's name: the data directory a Ponte without profiles used.
pub const DEFAULT_PROFILE: &str = "principal";

/// Where the profiles other than the default live, under the base directory.
const PROFILES_DIR: &str = "profiles";

/// A data directory's ledger.
pub const LEDGER_FILE: &str = "ponte.sqlite3";

/// The longest profile name: a folder name on every system, readable in a list.
const MAX_NAME_CHARS: usize = 32;

/// Names Windows refuses as a folder (whatever the extension or case).
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A profile's name, as its folder is named: lowercase ASCII letters, digits and hyphens,
/// starting with a letter or a digit. Lowercase because Windows' and macOS' file systems do
/// not tell `Loja` from `loja`: two profiles must never share one folder there.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProfileName(String);

impl ProfileName {
    pub fn default_profile() -> ProfileName {
        ProfileName(DEFAULT_PROFILE.to_string())
    }

    /// The name as typed, trimmed and lowercased; refused with what to type instead.
    pub fn parse(typed: &str) -> std::result::Result<ProfileName, Problem> {
        let name = typed.trim().to_lowercase();
        let refuse = |why: &str| {
            Err(Problem::saying(
                ProblemCode::BadProfileName,
                format!("O nome de perfil \"{}\" não serve: {why}.", typed.trim()),
            ))
        };
        if name.is_empty() {
            return refuse("está vazio");
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return refuse("tem mais de 32 caracteres");
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return refuse("use só letras sem acento, números e hífen");
        }
        if name.starts_with('-') {
            return refuse("deve começar por uma letra ou um número");
        }
        if WINDOWS_RESERVED.contains(&name.as_str()) {
            return refuse("é um nome reservado do Windows");
        }
        Ok(ProfileName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_default(&self) -> bool {
        self.0 == DEFAULT_PROFILE
    }

    /// This profile's data directory under `base`.
    pub fn data_dir(&self, base: &Path) -> PathBuf {
        if self.is_default() {
            base.to_path_buf()
        } else {
            base.join(PROFILES_DIR).join(&self.0)
        }
    }
}

impl std::fmt::Display for ProfileName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether the profile has been made (its ledger exists); the default one always has.
pub fn exists(base: &Path, name: &ProfileName) -> bool {
    name.is_default() || ledger_of(&name.data_dir(base)).exists()
}

fn ledger_of(data_dir: &Path) -> PathBuf {
    data_dir.join(LEDGER_FILE)
}

/// Every profile under `base`: the default first, then the others by name. A folder under
/// `profiles/` without a ledger (a profile being made, or left half-removed) is not one; a
/// folder whose name is not a profile's (made by hand) is skipped.
pub fn list(base: &Path) -> Result<Vec<ProfileName>> {
    let mut names = Vec::new();
    match std::fs::read_dir(base.join(PROFILES_DIR)) {
        Ok(entries) => {
            for entry in entries {
                let entry = entry?;
                let Some(folder) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                match ProfileName::parse(&folder) {
                    Ok(name)
                        if name.as_str() == folder
                            && !name.is_default()
                            && ledger_of(&entry.path()).exists() =>
                    {
                        names.push(name)
                    }
                    _ => {}
                }
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(Error::Io(error)),
    }
    names.sort();
    names.insert(0, ProfileName::default_profile());
    Ok(names)
}

/// More than one profile: what the company-wide coordination (`company`) waits for before
/// it costs anything.
pub fn several(base: &Path) -> bool {
    list(base).is_ok_and(|names| names.len() > 1)
}

/// Refuses a profile that was never made, naming those there are.
pub fn must_exist(base: &Path, name: &ProfileName) -> Result<()> {
    if exists(base, name) {
        return Ok(());
    }
    let known = list(base)?
        .iter()
        .map(ProfileName::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::Invalid(Problem::saying(
        ProblemCode::UnknownProfile,
        format!("Não há perfil \"{name}\" neste computador. Perfis: {known}."),
    )))
}

/// Removes a profile's data from this computer: its ledger, settings and tokens (the caller
/// has forgotten the accounts' access first). Nothing in the store or the company is touched.
/// The default profile is the base directory itself and is not removed.
pub fn remove(base: &Path, name: &ProfileName) -> Result<()> {
    if name.is_default() {
        return Err(Error::Invalid(Problem {
            hint: "Para deixar de importar dessa loja, desative a integração ou desconecte as \
                   contas do perfil em Configurações."
                .to_string(),
            ..Problem::saying(
                ProblemCode::BadProfileName,
                "O perfil principal não pode ser removido.",
            )
        }));
    }
    must_exist(base, name)?;
    let dir = name.data_dir(base);
    // The ledger first: a removal interrupted half-way leaves a folder `list` no longer counts.
    std::fs::remove_file(ledger_of(&dir))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_folder_names_on_every_system() {
        assert_eq!(ProfileName::parse(" Loja-2 ").unwrap().as_str(), "loja-2");
        for bad in [
            "",
            "  ",
            "loja são paulo",
            "loja/2",
            "..",
            "-loja",
            "CON",
            "lpt1",
            "ação",
        ] {
            let problem = ProfileName::parse(bad).expect_err(bad);
            assert_eq!(problem.code, ProblemCode::BadProfileName, "{bad:?}");
            assert!(problem.message.contains("não serve"), "{}", problem.message);
        }
        assert!(ProfileName::parse(&"a".repeat(32)).is_ok());
        assert!(ProfileName::parse(&"a".repeat(33)).is_err());
    }

    #[test]
    fn the_default_profile_is_the_base_directory_and_always_listed() {
        let base = tempfile::tempdir().unwrap();
        let default = ProfileName::default_profile();
        assert_eq!(default.data_dir(base.path()), base.path());
        assert_eq!(list(base.path()).unwrap(), vec![default.clone()]);
        assert!(!several(base.path()));
        assert!(exists(base.path(), &default));
    }

    #[test]
    fn a_profile_is_listed_once_its_ledger_exists_and_gone_once_removed() {
        let base = tempfile::tempdir().unwrap();
        let second = ProfileName::parse("loja-2").unwrap();
        let dir = second.data_dir(base.path());
        assert_eq!(dir, base.path().join("profiles").join("loja-2"));
        std::fs::create_dir_all(&dir).unwrap();
        assert!(
            !exists(base.path(), &second),
            "a folder alone is not a profile"
        );
        std::fs::write(ledger_of(&dir), b"").unwrap();
        // Folders a person made by hand are not profiles.
        std::fs::create_dir_all(base.path().join("profiles").join("Não")).unwrap();
        std::fs::create_dir_all(base.path().join("profiles").join("Upper")).unwrap();
        std::fs::write(ledger_of(&base.path().join("profiles").join("Upper")), b"").unwrap();
        let names = list(base.path()).unwrap();
        assert_eq!(names, vec![ProfileName::default_profile(), second.clone()]);
        assert!(several(base.path()));

        let default = remove(base.path(), &ProfileName::default_profile()).unwrap_err();
        assert!(matches!(default, Error::Invalid(p) if p.code == ProblemCode::BadProfileName));
        remove(base.path(), &second).unwrap();
        assert!(!dir.exists());
        let again = remove(base.path(), &second).unwrap_err();
        assert!(matches!(&again, Error::Invalid(p) if p.code == ProblemCode::UnknownProfile));
        assert!(
            again.problem().message.contains("Perfis: principal."),
            "{}",
            again.problem().message
        );
    }
}
