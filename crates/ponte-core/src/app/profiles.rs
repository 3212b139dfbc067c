//! Every profile at a glance: what the window's overview and `ponte profiles` show, each
//! profile read from its own ledger.

use serde::Serialize;

use super::{App, TrayState};
use crate::config::Config;
use crate::error::Result;
use crate::profiles::{self, ProfileName};
use crate::store::Counts;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct ProfileSummary {
    #[ts(type = "string")]
    pub name: ProfileName,
    /// The data directory a Ponte without profiles used.
    pub default: bool,
    /// What the switcher, the tray and notifications call it ([`title_of`]).
    pub title: String,
    pub store_name: Option<String>,
    pub company_name: Option<String>,
    pub enabled: bool,
    /// Sales imported today (São Paulo's day).
    pub imported_today: u64,
    pub counts: Counts,
    /// What needs the merchant, as the tray would show this profile alone.
    pub attention: TrayState,
    /// The dashboard banner's sentence when something needs the merchant.
    pub attention_message: Option<String>,
    /// The tray's line for it (`Status::line`).
    pub line: String,
}

impl Serialize for ProfileName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// What the window's switcher, the tray and notifications call a profile: its store, once
/// connected.
pub fn title_of(name: &ProfileName, store_name: Option<&str>) -> String {
    match store_name {
        Some(store) => store.to_string(),
        None if name.is_default() => "Loja principal".to_string(),
        None => format!("Nova loja ({name})"),
    }
}

impl App {
    /// This profile at a glance.
    pub fn summary(&self) -> Result<ProfileSummary> {
        let status = self.status()?;
        let imported_today = self.imported_per_day(1)?.first().map_or(0, |day| day.count);
        Ok(ProfileSummary {
            name: self.config.profile.clone(),
            default: self.config.profile.is_default(),
            title: title_of(&self.config.profile, status.nuvemshop.store_name.as_deref()),
            store_name: status.nuvemshop.store_name.clone(),
            company_name: status.contaazul.company_name.clone(),
            enabled: status.enabled,
            imported_today,
            counts: status.counts.clone(),
            attention: status.tray_state(),
            attention_message: status.attention.as_ref().map(|a| a.problem.message.clone()),
            line: status.line(),
        })
    }
}

/// Every profile under `config`'s base directory, the default first, each opened for reading
/// its summary.
pub fn overview(config: &Config) -> Result<Vec<ProfileSummary>> {
    profiles::list(&config.base_dir)?
        .into_iter()
        .map(|name| App::open(config.clone().for_profile(name))?.summary())
        .collect()
}

/// The other profiles under `config`'s base directory, each opened for reading.
fn others(config: &Config) -> Result<Vec<App>> {
    profiles::list(&config.base_dir)?
        .into_iter()
        .filter(|name| *name != config.profile)
        .map(|name| App::open(config.clone().for_profile(name)))
        .collect()
}

/// The other profile under `config`'s base directory connected to the Nuvemshop store
/// `store_id`, with its title: one store in two profiles would import each order twice.
pub fn profile_with_store(
    config: &Config,
    store_id: &str,
) -> Result<Option<(ProfileName, String)>> {
    if !profiles::several(&config.base_dir) {
        return Ok(None);
    }
    for other in others(config)? {
        let settings = other.settings()?;
        if settings.nuvemshop_store_id.as_deref() == Some(store_id) {
            let name = other.config.profile.clone();
            let title = title_of(&name, settings.nuvemshop_store_name.as_deref());
            return Ok(Some((name, title)));
        }
    }
    Ok(None)
}

/// The other profiles under `config`'s base directory connected to the Conta Azul company `key`.
pub fn profiles_in_company(config: &Config, key: &str) -> Result<Vec<ProfileName>> {
    let mut members = Vec::new();
    for other in others(config)? {
        if other.store.contaazul_company_key()?.as_deref() == Some(key) {
            members.push(other.config.profile.clone());
        }
    }
    Ok(members)
}

/// Makes a profile under `config`'s base directory (its ledger created, nothing connected);
/// an existing one is left as it is.
pub fn add(config: &Config, name: &ProfileName) -> Result<App> {
    App::open(config.clone().for_profile(name.clone()))
}

/// What removing a profile takes from this computer, as the confirmation says it: the store
/// by its name (the merchant's word), the profile's beside it.
pub fn removal_notice(summary: &ProfileSummary) -> String {
    let which = match &summary.store_name {
        Some(store) => format!("a loja {store} (perfil {})", summary.name),
        None => format!("o perfil {}", summary.name),
    };
    format!(
        "Remover {which} do Ponte apaga deste computador o histórico de pedidos, as \
         configurações e o acesso às contas. {}",
        what_removal_keeps(summary)
    )
}

/// What removing a profile keeps: everything in both accounts.
pub fn what_removal_keeps(summary: &ProfileSummary) -> String {
    let named =
        |name: &Option<String>| name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
    format!(
        "Nada muda na Nuvemshop{} nem na Conta Azul{}: os pedidos e as vendas já importadas \
         continuam lá.",
        named(&summary.store_name),
        named(&summary.company_name)
    )
}

/// Removes a profile from this computer: the accounts' access forgotten here and at the
/// broker, then its folder. Refused while another Ponte (a `ponte sync`, a window) uses it.
pub async fn remove(config: &Config, name: &ProfileName) -> Result<()> {
    profiles::must_exist(&config.base_dir, name)?;
    let config = config.clone().for_profile(name.clone());
    {
        let _lock = crate::lock::DataDirLock::acquire(&config.data_dir)?;
        let app = App::open(config.clone())?;
        for service in [
            crate::error::Service::Nuvemshop,
            crate::error::Service::Contaazul,
        ] {
            app.disconnect(service).await?;
        }
        if config.token_store == crate::config::TokenStoreKind::Keychain {
            crate::secrets::KeychainKey::new(&config.data_dir).forget()?;
        }
        // The ledger closed and the lock let go before the folder goes: Windows deletes no
        // file that is open.
    }
    profiles::remove(&config.base_dir, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(store: Option<&str>, company: Option<&str>) -> ProfileSummary {
        let name = ProfileName::parse("loja-2").unwrap();
        ProfileSummary {
            title: title_of(&name, store),
            name,
            default: false,
            store_name: store.map(str::to_string),
            company_name: company.map(str::to_string),
            enabled: true,
            imported_today: 0,
            counts: Counts::default(),
            attention: TrayState::Fine,
            attention_message: None,
            line: "Integração ativada".into(),
        }
    }

    /// Issue 26: the confirmation names the store and says that both accounts keep everything.
    #[test]
    fn a_removal_says_which_store_goes_and_what_stays() {
        let both = removal_notice(&summary(Some("Loja Dois"), Some("Empresa X")));
        assert_eq!(
            both,
            "Remover a loja Loja Dois (perfil loja-2) do Ponte apaga deste computador o histórico \
             de pedidos, as configurações e o acesso às contas. Nada muda na Nuvemshop (Loja \
             Dois) nem na Conta Azul (Empresa X): os pedidos e as vendas já importadas \
             continuam lá."
        );
        let never_connected = removal_notice(&summary(None, None));
        assert!(never_connected.starts_with("Remover o perfil loja-2 do Ponte"));
        assert!(never_connected.contains("Nada muda na Nuvemshop nem na Conta Azul:"));
        assert_eq!(summary(None, None).title, "Nova loja (loja-2)");
    }
}
