//! App installation: the consent page, the redirect with a code, and the token exchange.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde_json::json;

use crate::assumptions::{nuvemshop_user_id, NUVEMSHOP_TOKEN_ERROR_STATUS};
use crate::http::{html_response, is_json, json_response, random_hex};
use crate::{pages, AppState};

fn app_not_found() -> Response {
    html_response(
        StatusCode::NOT_FOUND,
        pages::message(
            "nuvemshop",
            "Aplicativo não encontrado",
            "Confira o endereço de instalação.",
            true,
        ),
    )
}

pub(super) async fn consent_page(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let config = &state.config.nuvemshop;
    if app_id != config.app_id {
        return app_not_found();
    }
    html_response(
        StatusCode::OK,
        pages::nuvemshop_consent(
            &app_id,
            &config.store_name,
            query.get("state").map(String::as_str),
        ),
    )
}

pub(super) async fn consent(
    State(state): State<AppState>,
    Path(app_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let config = &state.config.nuvemshop;
    if app_id != config.app_id {
        return app_not_found();
    }
    if form.get("decision").map(String::as_str) != Some("install") {
        return html_response(
            StatusCode::OK,
            pages::message(
                "nuvemshop",
                "Instalação cancelada",
                "O aplicativo não foi instalado.",
                false,
            ),
        );
    }
    // 303: the browser follows with a GET to Ponte's loopback listener.
    Redirect::to(&approve(
        &state,
        form.get("state").map(String::as_str),
        None,
    ))
    .into_response()
}

fn token_error(error: &str, description: &str) -> Response {
    json_response(
        NUVEMSHOP_TOKEN_ERROR_STATUS,
        &json!({ "error": error, "error_description": description }),
    )
}

/// `POST /apps/authorize/token`, with a JSON body (the docs) or a form body (the old PHP SDK).
pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params: HashMap<String, String> = if is_json(&headers) {
        match serde_json::from_slice::<HashMap<String, serde_json::Value>>(&body) {
            Ok(map) => map
                .into_iter()
                .map(|(key, value)| {
                    let text = match value {
                        serde_json::Value::String(text) => text,
                        other => other.to_string(),
                    };
                    (key, text)
                })
                .collect(),
            Err(_) => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &json!({ "error": "Problems parsing JSON" }),
                )
            }
        }
    } else {
        url::form_urlencoded::parse(&body).into_owned().collect()
    };
    let config = &state.config.nuvemshop;
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");

    if param("client_id") != config.app_id || param("client_secret") != config.client_secret {
        return token_error("invalid_client", "The client credentials are invalid");
    }
    if param("grant_type") != "authorization_code" {
        return token_error(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server",
        );
    }
    let code = param("code").to_string();
    let outcome = state.with(|world| {
        let store = &mut world.nuvemshop;
        match store.codes.remove(&code) {
            None => Err((
                "invalid_grant",
                "The authorization code is invalid or was already used",
            )),
            Some((expires, _)) if expires < Instant::now() => {
                Err(("invalid_grant", "The authorization code has expired"))
            }
            Some((_, store_id)) => {
                let token = random_hex(40);
                // A new token for the same app and store revokes the previous one. Another
                // store's answers as a store without orders (`sibling`).
                if store_id == store.store_id {
                    store.current_token = Some(token.clone());
                } else {
                    store.sibling_tokens.insert(store_id, token.clone());
                }
                Ok((token, store_id))
            }
        }
    });
    match outcome {
        Ok((token, store_id)) => json_response(
            StatusCode::OK,
            &json!({
                "access_token": token,
                "token_type": "bearer",
                "scope": state.config.nuvemshop.scopes,
                "user_id": nuvemshop_user_id(store_id),
            }),
        ),
        Err((error, description)) => token_error(error, description),
    }
}

/// The merchant clicked *Instalar*: a fresh code, and where the browser goes with it. `store`:
/// the merchant is logged in to another store than the simulated one (its token is issued, its
/// API answers as a store without orders: `sibling`), as the broker's load benchmark's
/// thousands of stores are.
pub(crate) fn approve(state: &AppState, client_state: Option<&str>, store: Option<u64>) -> String {
    let config = &state.config.nuvemshop;
    let code = random_hex(32);
    let expires = Instant::now() + config.code_ttl;
    let store = store.unwrap_or(config.store_id);
    state.with(|world| world.nuvemshop.codes.insert(code.clone(), (expires, store)));
    let mut target =
        url::Url::parse(&config.redirect_url).expect("registered redirect URL is valid");
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(client_state) = client_state {
        target.query_pairs_mut().append_pair("state", client_state);
    }
    target.into()
}
