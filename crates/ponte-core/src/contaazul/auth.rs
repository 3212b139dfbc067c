//! Conta Azul tokens: the access token lasts an hour; every refresh returns a new refresh
//! token and kills the old one. So: one refresh at a time, and the new pair is persisted
//! before the new access token is used.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::http::header::AUTHORIZATION;
use oauth2::http::HeaderValue;
use oauth2::{
    AsyncHttpClient, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    RedirectUrl, RefreshToken, RequestTokenError, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::config::Config;
use crate::error::{Error, Result, Service};
use crate::secrets::{Secret, TokenStore};
use crate::time::SharedClock;

pub const TOKEN_KEY: &str = "contaazul";
/// Where this installation's key to the broker lives: every refresh through the broker
/// carries it (a refresh token alone buys nothing there).
pub const BROKER_KEY: &str = "broker-contaazul";
/// Refresh a little before the hour is up, so a request never leaves with a dying token.
const EXPIRY_MARGIN: Duration = Duration::seconds(60);

/// What the token store keeps under `contaazul` (as one secret).
#[derive(Clone, Serialize, Deserialize)]
pub struct StoredTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredTokens")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// oauth2's requests sent by the app's own HTTP client (one `reqwest` in the app), with the
/// installation's key on a refresh through the broker.
struct OAuthHttp {
    http: reqwest::Client,
    key: Option<HeaderValue>,
}

impl<'c> AsyncHttpClient<'c> for OAuthHttp {
    type Error = oauth2::HttpClientError<reqwest::Error>;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = std::result::Result<oauth2::HttpResponse, Self::Error>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, mut request: oauth2::HttpRequest) -> Self::Future {
        Box::pin(async move {
            if let Some(key) = &self.key {
                request.headers_mut().insert(AUTHORIZATION, key.clone());
            }
            let (parts, body) = request.into_parts();
            let answer = self
                .http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body)
                .send()
                .await
                .map_err(Box::new)?;
            let mut response = oauth2::http::Response::builder().status(answer.status());
            if let Some(headers) = response.headers_mut() {
                *headers = answer.headers().clone();
            }
            let body = answer.bytes().await.map_err(Box::new)?;
            Ok(response.body(body.to_vec())?)
        })
    }
}

type OAuthClient =
    BasicClient<EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct ContaAzulAuth {
    oauth: OAuthClient,
    http: reqwest::Client,
    store: Arc<dyn TokenStore>,
    clock: SharedClock,
    current: Mutex<Option<StoredTokens>>,
    /// Where the cross-process refresh lock lives.
    data_dir: std::path::PathBuf,
    /// Rotated tokens that could not be saved yet: kept in memory and saved at the next chance,
    /// since the refresh token they replace is already spent.
    unsaved: std::sync::atomic::AtomicBool,
    /// Refreshes go to the broker, with the installation's key.
    through_broker: bool,
}

impl ContaAzulAuth {
    pub fn new(config: &Config, store: Arc<dyn TokenStore>, clock: SharedClock) -> Result<Self> {
        // Through the broker, refreshes go to it without a secret (the client id travels in the
        // body) and it adds the app's Basic authentication; direct, Basic is oauth2's default,
        // as Conta Azul requires.
        let token_url = match &config.broker_url {
            Some(broker) => format!("{broker}/refresh/contaazul"),
            None => format!("{}/oauth2/token", config.contaazul_auth_url),
        };
        let token_url = TokenUrl::new(token_url)
            .map_err(|error| Error::Config(format!("Conta Azul token URL: {error}")))?;
        let redirect = RedirectUrl::new(config.redirect_url(Service::Contaazul))
            .map_err(|error| Error::Config(format!("redirect URL: {error}")))?;
        let mut oauth = BasicClient::new(ClientId::new(config.contaazul_client_id.clone()))
            .set_redirect_uri(redirect)
            .set_token_uri(token_url);
        if config.broker_url.is_none() {
            oauth =
                oauth.set_client_secret(ClientSecret::new(config.contaazul_client_secret.clone()));
        }
        let http = crate::http::client_builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|error| Error::Config(format!("HTTP client: {error}")))?;
        Ok(ContaAzulAuth {
            oauth,
            http,
            store,
            clock,
            current: Mutex::new(None),
            data_dir: config.data_dir.clone(),
            unsaved: std::sync::atomic::AtomicBool::new(false),
            through_broker: config.broker_url.is_some(),
        })
    }

    pub fn is_connected(&self) -> Result<bool> {
        Ok(self.store.get(TOKEN_KEY)?.is_some())
    }

    fn persist(&self, tokens: &StoredTokens) -> Result<()> {
        let json = serde_json::to_string(tokens).map_err(|e| Error::Secrets(e.to_string()))?;
        self.store.set(TOKEN_KEY, &Secret::new(json))
    }

    fn load(&self) -> Result<Option<StoredTokens>> {
        match self.store.get(TOKEN_KEY)? {
            None => Ok(None),
            Some(secret) => serde_json::from_str(secret.expose())
                .map(Some)
                .map_err(|_| Error::Secrets("stored Conta Azul tokens are damaged".into())),
        }
    }

    fn tokens_from<T: TokenResponse>(
        &self,
        response: &T,
        previous_refresh: Option<&str>,
    ) -> Result<StoredTokens> {
        let refresh = response
            .refresh_token()
            .map(|token| token.secret().clone())
            .or_else(|| previous_refresh.map(str::to_string))
            .ok_or_else(|| Error::Authorization("Conta Azul sent no refresh token".into()))?;
        let lifetime = response
            .expires_in()
            .and_then(|d| Duration::from_std(d).ok())
            .unwrap_or(Duration::hours(1));
        Ok(StoredTokens {
            access_token: response.access_token().secret().clone(),
            refresh_token: refresh,
            expires_at: self.clock.now() + lifetime,
        })
    }

    /// Exchanges the code the browser brought back, and keeps the tokens.
    pub async fn exchange_code(&self, code: &str) -> Result<()> {
        let response = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .request_async(&OAuthHttp {
                http: self.http.clone(),
                key: None,
            })
            .await
            .map_err(|error| match error {
                RequestTokenError::ServerResponse(answer) => {
                    Error::Authorization(format!("Conta Azul refused the code: {}", answer.error()))
                }
                other => Error::Authorization(format!("token exchange failed: {other}")),
            })?;
        let tokens = self.tokens_from(&response, None)?;
        self.keep(tokens).await
    }

    /// Tokens a connect through the broker claimed, and the installation's key that its
    /// refreshes will carry.
    pub async fn keep_claimed(
        &self,
        access_token: &Secret,
        refresh_token: &Secret,
        expires_in: u64,
        key: Option<&Secret>,
    ) -> Result<()> {
        match key {
            Some(key) => self.store.set(BROKER_KEY, key)?,
            None => self.store.delete(BROKER_KEY)?,
        }
        let lifetime = Duration::seconds(i64::try_from(expires_in).unwrap_or(3600).min(86_400));
        self.keep(StoredTokens {
            access_token: access_token.expose().to_string(),
            refresh_token: refresh_token.expose().to_string(),
            expires_at: self.clock.now() + lifetime,
        })
        .await
    }

    async fn keep(&self, tokens: StoredTokens) -> Result<()> {
        self.persist(&tokens)?;
        self.unsaved
            .store(false, std::sync::atomic::Ordering::SeqCst);
        *self.current.lock().await = Some(tokens);
        Ok(())
    }

    /// A working access token, refreshed (once, under the lock) when it is about to expire.
    pub async fn access_token(&self) -> Result<Secret> {
        let mut current = self.current.lock().await;
        if current.is_none() {
            *current = self.load()?;
        }
        let Some(tokens) = current.as_ref() else {
            return Err(Error::NotConnected(Service::Contaazul));
        };
        self.save_if_unsaved(tokens);
        if tokens.expires_at - EXPIRY_MARGIN > self.clock.now() {
            return Ok(Secret::new(tokens.access_token.clone()));
        }
        let renewed = self.refresh(tokens).await?;
        let access = Secret::new(renewed.access_token.clone());
        *current = Some(renewed);
        Ok(access)
    }

    /// After a 401: refresh, unless another request already did since `rejected` was handed out.
    pub async fn refresh_after_rejection(&self, rejected: &Secret) -> Result<Secret> {
        let mut current = self.current.lock().await;
        if current.is_none() {
            *current = self.load()?;
        }
        let Some(tokens) = current.as_ref() else {
            return Err(Error::NotConnected(Service::Contaazul));
        };
        if tokens.access_token != rejected.expose() {
            return Ok(Secret::new(tokens.access_token.clone()));
        }
        let renewed = self.refresh(tokens).await?;
        let access = Secret::new(renewed.access_token.clone());
        *current = Some(renewed);
        Ok(access)
    }

    /// Called with the in-process lock held; takes the cross-process one too: never two
    /// refreshes at once, and never with a refresh token another process already spent.
    async fn refresh(&self, tokens: &StoredTokens) -> Result<StoredTokens> {
        let _turn =
            crate::lock::RefreshLock::acquire(&self.data_dir, std::time::Duration::from_secs(60))
                .await?;
        let unsaved = self.unsaved.load(std::sync::atomic::Ordering::SeqCst);
        if let Some(stored) = self.load()?.filter(|_| !unsaved) {
            if stored.refresh_token != tokens.refresh_token {
                // Another process refreshed since these were read: its tokens are the live ones.
                tracing::info!("Conta Azul tokens refreshed by another Ponte; using those");
                if stored.expires_at - EXPIRY_MARGIN > self.clock.now() {
                    return Ok(stored);
                }
                return self.refresh_with(&stored).await;
            }
        }
        self.refresh_with(tokens).await
    }

    async fn refresh_with(&self, tokens: &StoredTokens) -> Result<StoredTokens> {
        let key = if self.through_broker {
            self.store.get(BROKER_KEY)?
        } else {
            None
        };
        let http = OAuthHttp {
            http: self.http.clone(),
            key: key.and_then(|key| {
                let mut value = HeaderValue::from_str(&format!("Bearer {}", key.expose())).ok()?;
                value.set_sensitive(true);
                Some(value)
            }),
        };
        let result = self
            .oauth
            .exchange_refresh_token(&RefreshToken::new(tokens.refresh_token.clone()))
            .request_async(&http)
            .await;
        let response = match result {
            Ok(response) => response,
            Err(RequestTokenError::ServerResponse(answer))
                if *answer.error() == BasicErrorResponseType::InvalidGrant =>
            {
                // R5: the refresh token was rejected; reconnecting is the only way back.
                return Err(Error::ContaAzulAccessRevoked);
            }
            Err(RequestTokenError::ServerResponse(answer))
                if matches!(answer.error(), BasicErrorResponseType::Extension(code)
                    if code == "unknown_installation") =>
            {
                // The broker no longer knows this installation (forgotten, revoked, or never
                // given a key): reconnecting issues a new one, as after R5.
                tracing::warn!("the broker refused this installation's key");
                return Err(Error::ContaAzulAccessRevoked);
            }
            Err(RequestTokenError::ServerResponse(answer))
                if matches!(answer.error(), BasicErrorResponseType::Extension(code)
                    if code == "too_many_requests" || code == "unavailable") =>
            {
                return Err(Error::Unreachable {
                    service: Service::Contaazul,
                    detail: "token refresh: the connect broker is busy".into(),
                })
            }
            Err(RequestTokenError::ServerResponse(answer)) => {
                return Err(Error::Authorization(format!(
                    "Conta Azul refused the refresh: {}",
                    answer.error()
                )))
            }
            Err(other) => {
                return Err(Error::Unreachable {
                    service: Service::Contaazul,
                    detail: format!("token refresh: {other}"),
                })
            }
        };
        let renewed = self.tokens_from(&response, Some(&tokens.refresh_token))?;
        // The old refresh token is dead from here on: keep the new one before anything else.
        // Should saving fail, the new tokens stay in memory and are saved at the next chance;
        // failing here would lose the only refresh token that still works.
        if let Err(error) = self.persist(&renewed) {
            tracing::error!(%error, "rotated Conta Azul tokens not saved yet; kept in memory");
            self.unsaved
                .store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            self.unsaved
                .store(false, std::sync::atomic::Ordering::SeqCst);
        }
        tracing::info!(expires_at = %renewed.expires_at, "Conta Azul tokens refreshed");
        Ok(renewed)
    }

    /// Rotated tokens are waiting in memory to be saved: the merchant is told (R5 would follow
    /// if Ponte closed now).
    pub fn has_unsaved_tokens(&self) -> bool {
        self.unsaved.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn save_if_unsaved(&self, tokens: &StoredTokens) {
        if self.unsaved.load(std::sync::atomic::Ordering::SeqCst) {
            match self.persist(tokens) {
                Ok(()) => {
                    tracing::info!("rotated Conta Azul tokens saved");
                    self.unsaved
                        .store(false, std::sync::atomic::Ordering::SeqCst);
                }
                Err(error) => tracing::error!(%error, "rotated Conta Azul tokens still not saved"),
            }
        }
    }

    /// This installation's key to the broker, if it has one.
    pub fn broker_key(&self) -> Result<Option<Secret>> {
        self.store.get(BROKER_KEY)
    }

    pub async fn forget(&self) -> Result<()> {
        *self.current.lock().await = None;
        self.store.delete(BROKER_KEY)?;
        self.store.delete(TOKEN_KEY)
    }
}
