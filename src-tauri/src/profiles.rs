//! Every profile at work while Ponte is open (issue 26): each its own ledger and data
//! directory lock, its runner (passes, instant import through its own broker installation,
//! LGPD requests) and its connects in progress. The window shows one of them at a time and
//! hears of the others through their summaries.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ponte_core::app::profiles::ProfileSummary;
use ponte_core::app::TrayState;
use ponte_core::error::Problem;
use ponte_core::lock::DataDirLock;
use ponte_core::profiles::ProfileName;
use ponte_core::App;
use tauri::AppHandle;

use crate::commands::Connecting;
use crate::runner::Runner;

/// A profile at a glance, kept between its events: the switcher, *Todas as lojas* and the
/// tray read it for every profile, and reading twenty ledgers at every event of any of them
/// is what twenty stores open at once cannot afford.
pub struct Glance {
    app: Arc<App>,
    now: std::sync::Mutex<Option<ProfileSummary>>,
}

impl Glance {
    pub fn new(app: Arc<App>) -> Arc<Glance> {
        Arc::new(Glance {
            app,
            now: Default::default(),
        })
    }

    /// As last read (read now the first time).
    pub fn get(&self) -> ProfileSummary {
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        now.get_or_insert_with(|| read(&self.app)).clone()
    }

    /// Read again after one of the profile's events: whether anything it shows changed.
    pub fn refresh(&self) -> bool {
        let fresh = read(&self.app);
        let mut now = self.now.lock().unwrap_or_else(|p| p.into_inner());
        let changed = now.as_ref() != Some(&fresh);
        *now = Some(fresh);
        changed
    }
}

/// A profile's summary; a ledger that cannot be read shows it as needing the merchant.
fn read(app: &App) -> ProfileSummary {
    let name = &app.config.profile;
    app.summary().unwrap_or_else(|error| {
        tracing::warn!(%error, profile = %name, "a profile's summary was not read");
        let message = error.problem().message;
        ProfileSummary {
            name: name.clone(),
            default: name.is_default(),
            title: ponte_core::app::profiles::title_of(name, None),
            store_name: None,
            company_name: None,
            enabled: false,
            imported_today: 0,
            counts: Default::default(),
            attention: TrayState::SwitchedOff,
            line: message.clone(),
            attention_message: Some(message),
        }
    })
}

/// One profile, open.
pub struct Profile {
    pub app: Arc<App>,
    pub glance: Arc<Glance>,
    pub runner: Runner,
    /// Connects waiting for the browser, each one the merchant may cancel.
    pub connecting: Connecting,
    _lock: DataDirLock,
}

impl Profile {
    /// Starts the profile's runner over its opened ledger (whose lock it keeps).
    pub fn start(handle: &AppHandle, lock: DataDirLock, app: App) -> Arc<Profile> {
        let app = Arc::new(app);
        let glance = Glance::new(app.clone());
        Arc::new(Profile {
            runner: Runner::start(handle.clone(), app.clone(), glance.clone()),
            glance,
            app,
            connecting: Default::default(),
            _lock: lock,
        })
    }

    pub fn name(&self) -> &ProfileName {
        &self.app.config.profile
    }

    pub fn summary(&self) -> ProfileSummary {
        self.glance.get()
    }
}

/// The open profiles and the one the window shows.
pub struct Profiles {
    open: RwLock<BTreeMap<ProfileName, Arc<Profile>>>,
    shown: RwLock<ProfileName>,
}

impl Profiles {
    /// `first` is the profile the window shows at the start.
    pub fn new(first: Arc<Profile>) -> Profiles {
        let shown = first.name().clone();
        Profiles {
            open: RwLock::new(BTreeMap::from([(shown.clone(), first)])),
            shown: RwLock::new(shown),
        }
    }

    pub fn insert(&self, profile: Arc<Profile>) {
        let name = profile.name().clone();
        self.open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name, profile);
    }

    /// Every open profile: the default first, then by name (as `ponte profiles` lists them).
    pub fn all(&self) -> Vec<Arc<Profile>> {
        let open = self.open.read().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<Arc<Profile>> = open.values().cloned().collect();
        all.sort_by_key(|profile| (!profile.name().is_default(), profile.name().clone()));
        all
    }

    /// `name`, open; refused when it is not.
    pub fn open(&self, name: &ProfileName) -> Result<Arc<Profile>, Problem> {
        self.get(name).ok_or_else(|| unknown(name))
    }

    pub fn get(&self, name: &ProfileName) -> Option<Arc<Profile>> {
        self.open
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    /// More than one profile open: the tray and notifications name the store.
    pub fn several(&self) -> bool {
        self.open.read().unwrap_or_else(|p| p.into_inner()).len() > 1
    }

    /// The profile the window shows.
    pub fn shown(&self) -> Arc<Profile> {
        let name = self.shown.read().unwrap_or_else(|p| p.into_inner()).clone();
        self.get(&name)
            .or_else(|| self.all().into_iter().next())
            .expect("one profile at least is open")
    }

    /// The default profile (the data directory a Ponte without profiles used), whose ledger
    /// keeps this computer's own choices (starting with the computer); the first one open when
    /// the default could not be.
    pub fn main(&self) -> Arc<Profile> {
        self.all()
            .into_iter()
            .next()
            .expect("one profile at least is open")
    }

    pub fn is_shown(&self, name: &ProfileName) -> bool {
        *self.shown.read().unwrap_or_else(|p| p.into_inner()) == *name
    }

    /// The window shows `name` from now on.
    pub fn show(&self, name: &ProfileName) -> Result<Arc<Profile>, Problem> {
        let profile = self.open(name)?;
        *self.shown.write().unwrap_or_else(|p| p.into_inner()) = name.clone();
        Ok(profile)
    }

    /// Takes `name` out (to be removed): the window shows the default profile then.
    pub fn take(&self, name: &ProfileName) -> Result<Arc<Profile>, Problem> {
        let taken = self
            .open
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
            .ok_or_else(|| unknown(name))?;
        if self.is_shown(name) {
            *self.shown.write().unwrap_or_else(|p| p.into_inner()) = ProfileName::default_profile();
        }
        Ok(taken)
    }
}

fn unknown(name: &ProfileName) -> Problem {
    Problem::saying(
        ponte_core::problem::ProblemCode::UnknownProfile,
        format!("O perfil \"{name}\" não está aberto neste Ponte."),
    )
}

/// The title a notification gets: the store's name first when there are several.
pub fn titled(handle: &AppHandle, glance: &Glance, title: &str) -> String {
    use tauri::Manager;
    let several = handle
        .try_state::<crate::Shell>()
        .is_some_and(|shell| shell.profiles.several());
    named(several.then(|| glance.get().title).as_deref(), title)
}

/// `text` preceded by the store it is about, when there is one to tell apart from others.
pub fn named(store: Option<&str>, text: &str) -> String {
    match store {
        Some(store) => format!("{store} · {text}"),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 26: with several stores, a notification says which one it is about.
    #[test]
    fn a_notification_names_its_store_when_there_are_several() {
        assert_eq!(
            named(Some("Loja Dois"), "Pedido #101 não importado"),
            "Loja Dois · Pedido #101 não importado"
        );
        assert_eq!(
            named(None, "Pedido #101 não importado"),
            "Pedido #101 não importado"
        );
    }
}
