//! The calls only the broker may make, because they carry an app secret: the code exchange
//! with each service, and Conta Azul's refresh.

use std::time::Duration;

use base64::Engine;
use serde_json::Value;

use crate::config::{AppCredentials, BrokerConfig};
use crate::Service;

/// Answers from the services are read up to this size.
pub const MAX_UPSTREAM_BODY: usize = 64 * 1024;

/// What the app claims: the tokens of one service, never shown to the browser.
pub use ponte_protocol::Tokens;

/// What is sealed while the tokens wait for their claim.
pub fn sealable(tokens: &Tokens) -> Vec<u8> {
    serde_json::to_vec(tokens).expect("tokens serialise")
}

#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The service said no (an expired or used code, a wrong secret): its error code.
    #[error("the service refused: {0}")]
    Refused(String),
    #[error("the service could not be reached: {0}")]
    Unreachable(String),
    #[error("the service's answer was unreadable: {0}")]
    Unreadable(String),
}

impl ExchangeError {
    /// What the app is told (no detail that could hold a secret).
    pub fn code(&self) -> String {
        match self {
            ExchangeError::Refused(error) => format!("exchange_refused:{error}"),
            ExchangeError::Unreachable(_) => "exchange_unreachable".into(),
            ExchangeError::Unreadable(_) => "exchange_unreadable".into(),
        }
    }
}

pub fn http_client() -> reqwest::Client {
    crate::install_tls_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .user_agent("Ponte broker (suporte@ponte.app.br)")
        .build()
        .expect("an HTTP client with static settings")
}

/// Reads an answer, refusing bodies past the cap.
pub async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, ExchangeError> {
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| ExchangeError::Unreachable(e.to_string()))?
    {
        if body.len() + chunk.len() > MAX_UPSTREAM_BODY {
            return Err(ExchangeError::Unreadable("answer too large".into()));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

pub fn basic_auth(app: &AppCredentials) -> String {
    let pair = format!("{}:{}", app.client_id, app.client_secret);
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

fn text(body: &Value, key: &str) -> Option<String> {
    match body.get(key) {
        Some(Value::String(text)) if !text.is_empty() => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

/// Exchanges a code the browser brought back, at once (Conta Azul's codes live 3 minutes,
/// Nuvemshop's 5).
pub async fn exchange_code(
    http: &reqwest::Client,
    config: &BrokerConfig,
    service: Service,
    code: &str,
) -> Result<Tokens, ExchangeError> {
    let app = config.app(service);
    let request = match service {
        // Nuvemshop: JSON body with the secret, no redirect_uri; errors may come with 200.
        Service::Nuvemshop => http.post(app.token_url.clone()).json(&serde_json::json!({
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "authorization_code",
            "code": code,
        })),
        // Conta Azul: form body, Basic client authentication, the registered redirect_uri.
        Service::Contaazul => http
            .post(app.token_url.clone())
            .header(reqwest::header::AUTHORIZATION, basic_auth(app))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &config.callback_url(Service::Contaazul)),
            ]),
    };
    let response = request
        .send()
        .await
        .map_err(|e| ExchangeError::Unreachable(e.without_url().to_string()))?;
    let status = response.status();
    let body = read_capped(response).await?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|_| ExchangeError::Unreadable(format!("not JSON ({status})")))?;
    if let Some(error) = text(&body, "error") {
        return Err(ExchangeError::Refused(short_code(&error)));
    }
    if !status.is_success() {
        return Err(ExchangeError::Refused(format!("http_{}", status.as_u16())));
    }
    let access_token = text(&body, "access_token")
        .ok_or_else(|| ExchangeError::Unreadable("no access_token".into()))?;
    match service {
        Service::Nuvemshop => Ok(Tokens::Nuvemshop {
            access_token,
            store_id: text(&body, "user_id")
                .or_else(|| text(&body, "store_id"))
                .ok_or_else(|| ExchangeError::Unreadable("no user_id".into()))?,
            scope: text(&body, "scope"),
        }),
        Service::Contaazul => Ok(Tokens::Contaazul {
            access_token,
            refresh_token: text(&body, "refresh_token")
                .ok_or_else(|| ExchangeError::Unreadable("no refresh_token".into()))?,
            expires_in: body
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(3600),
        }),
    }
}

/// An OAuth error code kept to its safe alphabet (it reaches the app and the logs).
pub fn short_code(error: &str) -> String {
    error
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_print() {
        let tokens = Tokens::Contaazul {
            access_token: "secret-a".into(),
            refresh_token: "secret-r".into(),
            expires_in: 3600,
        };
        assert!(!format!("{tokens:?}").contains("secret"));
    }

    #[test]
    fn error_codes_keep_a_safe_alphabet() {
        assert_eq!(short_code("invalid_grant<script>"), "invalid_grantscript");
    }
}
