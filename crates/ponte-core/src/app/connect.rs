//! Connecting the two accounts (R1): through the broker, as a merchant's Ponte does, or
//! directly (development and the README's CLI contract), and disconnecting.
//!
//! Through the broker, the tokens come only to the Ponte that started the connect and that
//! the merchant's browser came back to: the claim carries the verifier (never sent before)
//! and the return code the broker's page handed to this Ponte's loopback listener, or that the
//! merchant typed here ([`App::enter_return_code`]) when the browser could not come back.

use std::collections::HashMap;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use crate::app::{App, NUVEMSHOP_TOKEN};
use crate::error::{Error, Result, ReturnCodeRefusal, Service};
use crate::oauth::broker::{BrokerClient, ClaimAnswer, Claimed};
use crate::oauth::{self, Browser};
use crate::problem::{Problem, ProblemCode};
use crate::secrets::Secret;
use crate::sync::Event;

/// Stops a background task when the connect that started it ends, however it ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A code the merchant typed, and where to say whether it worked.
struct TypedCode {
    code: String,
    reply: oneshot::Sender<Result<()>>,
}

/// A connect through the broker waiting for its return code.
struct Waiting {
    /// The connect's `state`: what a `ponte://` link must carry to be this connect's.
    state: String,
    codes: mpsc::Sender<TypedCode>,
}

/// The connects waiting for a typed code, one per service at most.
#[derive(Default)]
pub(crate) struct WaitingForCodes(std::sync::Mutex<HashMap<Service, Waiting>>);

impl WaitingForCodes {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Service, Waiting>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The scheme the bundles register (`tauri.conf.json`, `plugins.deep-link`).
pub const LINK_SCHEME: &str = "ponte";

/// `ponte://connected/{service}?state=…&code=…`, the broker's page's way back when the browser
/// cannot reach the loopback listener: the service, the `state` and the return code.
fn parse_return_link(link: &str) -> Option<(Service, String, String)> {
    let url = url::Url::parse(link).ok()?;
    if url.scheme() != LINK_SCHEME || url.host_str() != Some("connected") {
        return None;
    }
    let service = match url.path() {
        "/nuvemshop" => Service::Nuvemshop,
        "/contaazul" => Service::Contaazul,
        _ => return None,
    };
    let mut state = None;
    let mut code = None;
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "state" if state.is_none() => state = Some(value.into_owned()),
            "code" if code.is_none() => code = Some(value.into_owned()),
            _ => return None,
        }
    }
    Some((service, state?, code?))
}

/// Takes a service's place in [`WaitingForCodes`] while its connect runs.
struct WaitingSlot<'a> {
    waiting: &'a WaitingForCodes,
    service: Service,
}

impl Drop for WaitingSlot<'_> {
    fn drop(&mut self) {
        self.waiting.lock().remove(&self.service);
    }
}

/// Hands a code to the connect waiting for it, and its answer back.
async fn deliver(waiting: mpsc::Sender<TypedCode>, code: &str) -> Result<()> {
    let no_connect = || Error::ReturnCode(ReturnCodeRefusal::NoConnect);
    let (reply, answer) = oneshot::channel();
    waiting
        .send(TypedCode {
            code: code.to_string(),
            reply,
        })
        .await
        .map_err(|_| no_connect())?;
    answer.await.map_err(|_| no_connect())?
}

impl App {
    /// R1: the authorize page in the system browser, and the token kept. Through the broker
    /// (a merchant's Ponte) or direct (development, the README's CLI contract): see
    /// [`Config::broker_url`]. `show_url` receives the authorize URL before the browser opens.
    pub async fn connect(
        &self,
        service: Service,
        browser: &dyn Browser,
        show_url: impl FnOnce(&str),
    ) -> Result<()> {
        match self.config.broker_url.clone() {
            Some(broker) => {
                self.connect_through_broker(&broker, service, browser, show_url)
                    .await?
            }
            None => self.connect_direct(service, browser, show_url).await?,
        }
        tracing::info!(service = service.name(), "connected");
        if service == Service::Contaazul {
            self.keep_company_name().await?;
        }
        self.resume_after_reconnect().await?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// An install that started in the Nuvemshop admin: the broker showed the merchant a
    /// pairing code, typed here.
    pub async fn connect_with_pairing_code(&self, code: &str) -> Result<()> {
        let Some(broker) = self.config.broker_url.clone() else {
            return Err(Error::Config(
                "pairing codes need the connect broker (PONTE_BROKER_URL)".into(),
            ));
        };
        let claimed = BrokerClient::new(&self.config, &broker)?.pair(code).await?;
        if claimed.service() != Service::Nuvemshop {
            return Err(Error::Authorization(
                "a pairing code for another service".into(),
            ));
        }
        self.keep_claimed(&broker, claimed).await?;
        tracing::info!("connected to Nuvemshop with a pairing code");
        self.resume_after_reconnect().await?;
        self.events.send(Event::SettingsChanged);
        Ok(())
    }

    /// The code the broker's page showed after the merchant authorized, typed here because the
    /// browser could not come back to Ponte on its own. `Ok` once the connect has its tokens.
    pub async fn enter_return_code(&self, service: Service, code: &str) -> Result<()> {
        if oauth::broker::normalise_code(code).is_none() {
            return Err(Error::ReturnCode(ReturnCodeRefusal::Malformed));
        }
        let waiting = self
            .waiting_for_codes
            .lock()
            .get(&service)
            .map(|waiting| waiting.codes.clone())
            .ok_or(Error::ReturnCode(ReturnCodeRefusal::NoConnect))?;
        deliver(waiting, code).await
    }

    /// The broker's page's `ponte://` link, opened by the system (a second launch handed over,
    /// or the launch itself): the return code delivered as if typed, to the connect whose
    /// `state` the link carries, and to no other. `Ok` with the service once it has its tokens.
    pub async fn return_through_link(&self, link: &str) -> Result<Service> {
        let not_this = || Error::ReturnCode(ReturnCodeRefusal::NotThisConnect);
        let Some((service, state, code)) = parse_return_link(link) else {
            tracing::warn!("a ponte:// link that is not a way back from the broker was ignored");
            return Err(not_this());
        };
        let waiting = self
            .waiting_for_codes
            .lock()
            .get(&service)
            .filter(|waiting| waiting.state == state)
            .map(|waiting| waiting.codes.clone());
        let Some(waiting) = waiting else {
            tracing::warn!(
                service = service.name(),
                "a ponte:// link for no connect in progress here was ignored"
            );
            return Err(not_this());
        };
        deliver(waiting, &code).await?;
        Ok(service)
    }

    /// The broker holds the secrets and receives the redirect; Ponte registers the connect,
    /// opens the browser, and claims the tokens with its verifier and the return code: at once
    /// when the broker's page sends the browser back to the loopback listener with it, or when
    /// the merchant types it. Asked every few seconds meanwhile, so that a refusal is heard.
    async fn connect_through_broker(
        &self,
        broker: &str,
        service: Service,
        browser: &dyn Browser,
        show_url: impl FnOnce(&str),
    ) -> Result<()> {
        let (client_id, variable) = match service {
            Service::Nuvemshop => (&self.config.nuvemshop_client_id, "NUVEMSHOP_CLIENT_ID"),
            Service::Contaazul => (&self.config.contaazul_client_id, "CONTAAZUL_CLIENT_ID"),
        };
        if client_id.trim().is_empty() {
            return Err(Error::Config(format!(
                "this build has no {} client id (PONTE_BUILD_{variable} at build time, or \
                 PONTE_{variable})",
                service.name()
            )));
        }
        let client = BrokerClient::new(&self.config, broker)?;
        // RFC 8252 §7.3: any free loopback port; the broker's page names it.
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let state = oauth::new_state();
        let verifier = oauth::broker::new_verifier();
        client.start(service, &state, &verifier, port).await?;
        let url = oauth::authorize_url(&self.config, service, &state);
        show_url(&url);
        browser.open(&url)?;

        let (arrived, mut returns) = mpsc::channel(4);
        let path = match service {
            Service::Nuvemshop => "/connected/nuvemshop",
            Service::Contaazul => "/connected/contaazul",
        };
        let listening = tokio::spawn(oauth::serve_returns(
            listener,
            path.into(),
            state.clone(),
            arrived,
        ));
        let _stop_listening = AbortOnDrop(listening);
        let (typed_codes, mut typed) = mpsc::channel(4);
        self.waiting_for_codes.lock().insert(
            service,
            Waiting {
                state: state.clone(),
                codes: typed_codes,
            },
        );
        let _slot = WaitingSlot {
            waiting: &self.waiting_for_codes,
            service,
        };

        let deadline = tokio::time::Instant::now() + self.config.authorization_timeout;
        // The code the browser brought back, until the broker accepts or refuses it.
        let mut returned: Option<String> = None;
        let claimed = loop {
            match client.claim(&state, &verifier, returned.as_deref()).await {
                Ok(ClaimAnswer::Ready(claimed)) => break claimed,
                Ok(ClaimAnswer::Refused(error)) => return Err(refused(&error)),
                Ok(ClaimAnswer::Pending | ClaimAnswer::Authorized) => {}
                Err(Error::ReturnCode(ReturnCodeRefusal::Wrong | ReturnCodeRefusal::Malformed))
                    if returned.is_some() =>
                {
                    // Not from the broker's page (it carried this connect's state, but not a
                    // code the broker gave): forget it; the merchant can still type the code.
                    tracing::warn!("a visit to the loopback listener brought a wrong code");
                    returned = None;
                }
                // A blip on the way to the broker: the connect is still there.
                Err(error) if error.is_transient() => {
                    tracing::warn!(%error, "claim failed; trying again");
                }
                Err(error) => return Err(error),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::AuthorizationTimeout);
            }
            tokio::select! {
                Some(code) = returns.recv() => {
                    if code.is_some() {
                        returned = code;
                    }
                }
                Some(TypedCode { code, reply }) = typed.recv() => {
                    match client.claim(&state, &verifier, Some(&code)).await {
                        Ok(ClaimAnswer::Ready(claimed)) => {
                            let _ = reply.send(Ok(()));
                            break claimed;
                        }
                        Ok(ClaimAnswer::Refused(error)) => {
                            let _ = reply.send(Err(refused(&error)));
                            return Err(refused(&error));
                        }
                        Ok(ClaimAnswer::Pending | ClaimAnswer::Authorized) => {
                            let _ = reply.send(Err(Error::ReturnCode(ReturnCodeRefusal::NotYet)));
                        }
                        Err(Error::ReturnCode(ReturnCodeRefusal::Burnt)) => {
                            let _ = reply.send(Err(Error::ReturnCode(ReturnCodeRefusal::Burnt)));
                            return Err(Error::ReturnCode(ReturnCodeRefusal::Burnt));
                        }
                        Err(error) => {
                            let _ = reply.send(Err(error));
                        }
                    }
                }
                _ = tokio::time::sleep(self.config.claim_every) => {}
                _ = tokio::time::sleep_until(deadline) => {}
            }
        };
        if claimed.service() != service {
            return Err(Error::Authorization(
                "the broker answered for another service".into(),
            ));
        }
        self.keep_claimed(broker, claimed).await
    }

    /// Keeps what a claim gave: the tokens and the installation's key, the previous key
    /// revoked at the broker (a reconnect leaves no working key behind).
    async fn keep_claimed(&self, broker: &str, claimed: Claimed) -> Result<()> {
        let previous = match &claimed {
            Claimed::Nuvemshop { .. } => self.tokens.get(crate::instant::feed::EVENTS_KEY)?,
            Claimed::Contaazul { .. } => self.contaazul_auth.broker_key()?,
        };
        match claimed {
            Claimed::Nuvemshop {
                access_token,
                store_id,
                scope,
                events,
            } => {
                self.keep_nuvemshop(&access_token, &store_id, scope.as_deref())
                    .await?;
                match events {
                    Some((key, cursor)) => {
                        self.tokens.set(crate::instant::feed::EVENTS_KEY, &key)?;
                        self.store.set_events_cursor(cursor)?;
                    }
                    None => self.tokens.delete(crate::instant::feed::EVENTS_KEY)?,
                }
            }
            Claimed::Contaazul {
                access_token,
                refresh_token,
                expires_in,
                key,
            } => {
                self.contaazul_auth
                    .keep_claimed(&access_token, &refresh_token, expires_in, key.as_ref())
                    .await?;
            }
        }
        if let Some(previous) = previous {
            revoke_at(&self.config, broker, &previous).await;
        }
        Ok(())
    }

    /// Development and the README's CLI contract: the secrets from `PONTE_*`, the code back on
    /// the loopback listener, exchanged here.
    async fn connect_direct(
        &self,
        service: Service,
        browser: &dyn Browser,
        show_url: impl FnOnce(&str),
    ) -> Result<()> {
        let (id, secret, variable) = match service {
            Service::Nuvemshop => (
                &self.config.nuvemshop_client_id,
                &self.config.nuvemshop_client_secret,
                "PONTE_NUVEMSHOP_CLIENT_ID / PONTE_NUVEMSHOP_CLIENT_SECRET",
            ),
            Service::Contaazul => (
                &self.config.contaazul_client_id,
                &self.config.contaazul_client_secret,
                "PONTE_CONTAAZUL_CLIENT_ID / PONTE_CONTAAZUL_CLIENT_SECRET",
            ),
        };
        if id.trim().is_empty() || secret.trim().is_empty() {
            // Without the app's credentials the service would only show an error page.
            return Err(Error::Config(format!("{variable} are not set")));
        }
        let listener = TcpListener::bind(("127.0.0.1", self.config.redirect_port))
            .await
            .map_err(|error| {
                Error::Authorization(format!(
                    "port {} is busy: {error}",
                    self.config.redirect_port
                ))
            })?;
        let state = oauth::new_state();
        let url = oauth::authorize_url(&self.config, service, &state);
        show_url(&url);
        browser.open(&url)?;
        let path = match service {
            Service::Nuvemshop => "/callback/nuvemshop",
            Service::Contaazul => "/callback/contaazul",
        };
        let code =
            oauth::wait_for_code(listener, path, &state, self.config.authorization_timeout).await?;
        match service {
            Service::Nuvemshop => {
                let (token, store_id, scope) =
                    oauth::exchange_nuvemshop_code(&self.config, &code).await?;
                self.keep_nuvemshop(&token, &store_id, scope.as_deref())
                    .await
            }
            Service::Contaazul => self.contaazul_auth.exchange_code(&code).await,
        }
    }

    async fn keep_nuvemshop(
        &self,
        token: &Secret,
        store_id: &str,
        scope: Option<&str>,
    ) -> Result<()> {
        if let Some((other, title)) =
            crate::app::profiles::profile_with_store(&self.config, store_id)?
        {
            tracing::warn!(profile = %other, "this store is connected in another profile; not kept");
            return Err(Error::Invalid(Problem::saying(
                ProblemCode::StoreInAnotherProfile,
                format!("Essa loja da Nuvemshop já está no Ponte: {title} (perfil {other})."),
            )));
        }
        self.tokens.set(NUVEMSHOP_TOKEN, token)?;
        self.store.set_nuvemshop_store_id(Some(store_id))?;
        // What the token may do, for `ponte doctor` (an answer without it keeps none).
        self.store.set_nuvemshop_scopes(scope)?;
        // The store's domain makes the admin links of the support report (R21).
        match self.nuvemshop_client()?.store().await {
            Ok(store) => {
                let domain = store
                    .get("original_domain")
                    .and_then(|d| d.as_str())
                    .filter(|d| crate::nuvemshop::client::is_host_name(d));
                self.store.set_nuvemshop_domain(domain)?;
                self.store
                    .set_nuvemshop_store_name(store_name(&store).as_deref())?;
            }
            Err(error) => tracing::warn!(%error, "could not read the store's domain"),
        }
        Ok(())
    }

    /// The Conta Azul company's name, for the dashboard, and which company it is, for the
    /// profiles that share it; a company the API does not name (or an answer that fails)
    /// leaves it unnamed, never the connect failed.
    pub(crate) async fn keep_company_name(&self) -> Result<()> {
        match self.contaazul_client()?.conta_conectada().await {
            Ok(company) => {
                use crate::contaazul::assumptions::{company_key, company_name};
                self.store
                    .set_contaazul_company_name(company_name(&company).as_deref())?;
                self.store
                    .set_contaazul_company_key(company_key(&company).as_deref())?;
                // Its company's members from the moment it is connected, the profiles already
                // importing there included: every profile's next pass, in whichever process,
                // knows the company is shared before this one's first.
                if let (Some(company), Some(key)) =
                    (self.company()?, self.store.contaazul_company_key()?)
                {
                    for other in crate::app::profiles::profiles_in_company(&self.config, &key)? {
                        company.join(other.as_str())?;
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "could not read the Conta Azul company's name"),
        }
        Ok(())
    }

    /// R5: after *Refazer a integração*, an integration that switched itself off because an
    /// account's access changed comes back on, with its seller, once both accounts are
    /// connected. One the merchant switched off stays off.
    async fn resume_after_reconnect(&self) -> Result<()> {
        let status = self.status()?;
        let switched_itself_off = status.disabled_reason.as_ref().is_some_and(|reason| {
            matches!(
                reason.code,
                ProblemCode::NuvemshopAccessChanged | ProblemCode::ContaazulAccessChanged
            )
        });
        if status.activated_at.is_some()
            && switched_itself_off
            && status.nuvemshop.connected
            && status.contaazul.connected
        {
            self.enable(None).await?;
            tracing::info!("integration back on after reconnecting (R5)");
        }
        Ok(())
    }

    /// Forgets an account's access here, and its installation's key at the broker (nothing in
    /// either account is touched).
    pub async fn disconnect(&self, service: Service) -> Result<()> {
        let key = match service {
            Service::Nuvemshop => self.tokens.get(crate::instant::feed::EVENTS_KEY)?,
            Service::Contaazul => self.contaazul_auth.broker_key()?,
        };
        if let (Some(key), Some(broker)) = (key, self.config.broker_url.as_deref()) {
            revoke_at(&self.config, broker, &key).await;
        }
        match service {
            Service::Nuvemshop => {
                self.tokens.delete(NUVEMSHOP_TOKEN)?;
                self.tokens.delete(crate::instant::feed::EVENTS_KEY)?;
                self.store.set_nuvemshop_store_id(None)?;
                self.store.set_nuvemshop_domain(None)?;
                self.store.set_nuvemshop_store_name(None)?;
                self.store.set_nuvemshop_scopes(None)?;
            }
            Service::Contaazul => {
                self.contaazul_auth.forget().await?;
                // Its company's other profiles import alone from now on, if they are alone.
                if let Some(key) = self.store.contaazul_company_key()? {
                    if let Some(company) =
                        crate::company::Company::existing(&self.config.base_dir, &key)?
                    {
                        company.leave(self.config.profile.as_str())?;
                    }
                }
                // Joined again (or another company) once connected again.
                *self.company_book.lock().unwrap_or_else(|p| p.into_inner()) = None;
                self.store.set_contaazul_company_name(None)?;
                self.store.set_contaazul_company_key(None)?;
            }
        }
        self.events.send(Event::SettingsChanged);
        Ok(())
    }
}

fn refused(error: &str) -> Error {
    Error::Authorization(format!("the service answered {error}"))
}

/// Revokes a key at the broker. A broker that cannot be reached now only delays it: the key
/// is forgotten anyway after 180 days unused.
async fn revoke_at(config: &crate::config::Config, broker: &str, key: &Secret) {
    let revoked = match BrokerClient::new(config, broker) {
        Ok(client) => client.revoke(key).await,
        Err(error) => Err(error),
    };
    if let Err(error) = revoked {
        tracing::warn!(%error, "the installation's key could not be revoked at the broker");
    }
}

/// The store's name from `GET /store`: `name` is one text per language (`{"pt": …}`), or a
/// plain text; cleaned and kept short, as the dashboard shows it.
fn store_name(store: &serde_json::Value) -> Option<String> {
    let name = store.get("name")?;
    let text = match name {
        serde_json::Value::String(text) => text.as_str(),
        serde_json::Value::Object(by_language) => ["pt", "es", "en"]
            .iter()
            .find_map(|language| by_language.get(*language)?.as_str())
            .or_else(|| by_language.values().find_map(|v| v.as_str()))?,
        _ => return None,
    };
    let clean = crate::rules::clean_text(text);
    let short: String = clean.chars().take(80).collect();
    (!short.trim().is_empty()).then(|| short.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stores_name_is_read_in_any_of_its_shapes() {
        use serde_json::json;
        assert_eq!(
            store_name(&json!({"name": {"pt": " Loja\u{0} da Ana ", "es": "Tienda"}})),
            Some("Loja da Ana".into())
        );
        assert_eq!(
            store_name(&json!({"name": {"es": "Tienda"}})),
            Some("Tienda".into())
        );
        assert_eq!(store_name(&json!({"name": "Loja"})), Some("Loja".into()));
        assert_eq!(store_name(&json!({"name": {"pt": "  "}})), None);
        assert_eq!(store_name(&json!({"id": 1})), None);
        let long = "x".repeat(500);
        assert_eq!(
            store_name(&json!({ "name": long }))
                .unwrap()
                .chars()
                .count(),
            80
        );
    }
}
