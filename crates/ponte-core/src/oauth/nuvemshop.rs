//! Nuvemshop's token endpoint is not standard OAuth: a JSON body, no refresh token, the store
//! id in `user_id`, and errors that may come with HTTP 200. Handled by hand, here.

use serde_json::{json, Value};

use crate::config::Config;
use crate::error::{Error, Result};
use crate::secrets::Secret;

/// The access token and the store id.
/// The token, the store's id and the granted scopes (when the answer says them).
pub async fn exchange_code(
    config: &Config,
    code: &str,
) -> Result<(Secret, String, Option<String>)> {
    let http = crate::http::client_builder()
        .user_agent(&config.user_agent)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
    let response = http
        .post(format!(
            "{}/apps/authorize/token",
            config.nuvemshop_auth_url
        ))
        .json(&json!({
            "client_id": config.nuvemshop_client_id,
            "client_secret": config.nuvemshop_client_secret,
            "grant_type": "authorization_code",
            "code": code,
        }))
        .send()
        .await
        .map_err(|error| Error::Authorization(format!("token request failed: {error}")))?;
    let status = response.status();
    let body: Value = response.json().await.map_err(|error| {
        Error::Authorization(format!("token answer unreadable ({status}): {error}"))
    })?;
    // The body decides, whatever the status.
    if let Some(error) = body.get("error").and_then(Value::as_str) {
        let description = body
            .get("error_description")
            .and_then(Value::as_str)
            .unwrap_or("");
        return Err(Error::Authorization(format!(
            "Nuvemshop refused the code: {error} {description}"
        )));
    }
    let token = body
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Authorization(format!("no access token in the answer ({status})")))?;
    let store_id = ["user_id", "store_id"]
        .iter()
        .find_map(|key| match body.get(*key) {
            Some(Value::String(id)) if !id.is_empty() => Some(id.clone()),
            Some(Value::Number(id)) => Some(id.to_string()),
            _ => None,
        })
        .ok_or_else(|| Error::Authorization("no store id (user_id) in the answer".into()))?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok((Secret::new(token), store_id, scope))
}
