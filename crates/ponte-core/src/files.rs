//! Files Ponte writes for the merchant (data requests, spreadsheets, sales) and the folders
//! they go to: a file is always new (never one already there, whoever made it), a folder Ponte
//! creates is private to the user and one it finds is left as it is, and a folder the merchant
//! names is a local one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Creates a folder the merchant chose (and its missing parents); those it creates are private
/// to the user (0700 on Unix). A folder already there keeps its permissions: it may be shared
/// on purpose. (Ponte's own data directory is `config::create_private_dir`, always private.)
pub fn create_folder(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_folder(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        // Made meanwhile by another process: fine.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {
            return Ok(())
        }
        Err(error) => return Err(error),
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Writes `bytes` to a new file named `name` in `dir`, or `name (2)`, `name (3)`… when taken:
/// nothing already there is overwritten. The path written.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    for attempt in 1..=1000 {
        let candidate = if attempt == 1 {
            dir.join(name)
        } else {
            dir.join(format!("{stem} ({attempt}){extension}"))
        };
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(&candidate) {
            Ok(mut file) => {
                file.write_all(bytes)?;
                file.sync_all()?;
                return Ok(candidate);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("no free name for {name} in {}", dir.display()),
    ))
}

/// Why a folder the merchant named cannot hold Ponte's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderRefusal {
    /// Not a whole path (it would depend on where Ponte was started).
    Relative,
    /// A network share (`\\server\share`, `//server/share`): Ponte writes only on this computer.
    Network,
}

/// A folder the merchant named: a whole, local path.
pub fn check_local_folder(text: &str) -> Result<PathBuf, FolderRefusal> {
    let text = text.trim();
    if text.starts_with("\\\\") || text.starts_with("//") {
        return Err(FolderRefusal::Network);
    }
    let path = PathBuf::from(text);
    if !path.is_absolute() {
        return Err(FolderRefusal::Relative);
    }
    Ok(path)
}

/// The merchant's Downloads folder, else home, else `fallback`.
pub fn downloads(fallback: &Path) -> PathBuf {
    dirs::download_dir()
        .filter(|dir| dir.is_dir())
        .or_else(dirs::home_dir)
        .unwrap_or_else(|| fallback.to_path_buf())
}

/// Creates the data directory (and its parents) readable by this user only: it holds the
/// ledger, with customers' names, and the token file.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_file_never_replaces_one_already_there() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("venda.pdf"), b"the merchant's own").unwrap();
        let first = write_new(dir.path(), "venda.pdf", b"one").unwrap();
        let second = write_new(dir.path(), "venda.pdf", b"two").unwrap();
        assert_eq!(first, dir.path().join("venda (2).pdf"));
        assert_eq!(second, dir.path().join("venda (3).pdf"));
        assert_eq!(
            std::fs::read(dir.path().join("venda.pdf")).unwrap(),
            b"the merchant's own"
        );
        assert_eq!(
            write_new(dir.path(), "sem-extensao", b"x").unwrap(),
            dir.path().join("sem-extensao")
        );
    }

    #[cfg(unix)]
    #[test]
    fn folders_ponte_creates_are_private_and_those_it_finds_are_left_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("compartilhada");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        create_folder(&shared).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(
            mode(&shared),
            0o755,
            "an existing folder keeps its permissions"
        );
        let made = shared.join("lgpd").join("2026");
        create_folder(&made).unwrap();
        assert_eq!(mode(&made), 0o700);
        assert_eq!(mode(made.parent().unwrap()), 0o700);
    }

    #[test]
    fn a_named_folder_is_a_whole_local_path() {
        assert_eq!(check_local_folder("pasta"), Err(FolderRefusal::Relative));
        assert_eq!(
            check_local_folder("\\\\servidor\\compartilhada"),
            Err(FolderRefusal::Network)
        );
        assert_eq!(
            check_local_folder("//servidor/c"),
            Err(FolderRefusal::Network)
        );
        let here = std::env::temp_dir();
        assert_eq!(check_local_folder(here.to_str().unwrap()), Ok(here));
    }
}
