//! Conta Azul's OAuth2 authorization-code flow: consent, code, token, rotating refresh tokens.

use std::collections::HashMap;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::Engine;
use serde_json::json;

use super::model::CodeGrant;
use crate::assumptions::CONTAAZUL_INVALID_GRANT_STATUS;
use crate::http::{header_str, html_response, json_response, random_hex, Rejection};
use crate::pages::{self, ContaAzulConsent};
use crate::AppState;

/// The fixed scope the new API uses.
pub(crate) const SCOPES: [&str; 3] = ["openid", "profile", "aws.cognito.signin.user.admin"];

fn error_page(title: &str, text: &str) -> Response {
    html_response(
        StatusCode::BAD_REQUEST,
        pages::message("Conta Azul", title, text, true),
    )
}

/// Checks what the authorize request carries; an unknown client or a redirect URI other than
/// the registered one gets an error page, never a redirect.
fn check_client(state: &AppState, params: &HashMap<String, String>) -> Result<(), Rejection> {
    let config = &state.config.contaazul;
    if params.get("client_id").map(String::as_str) != Some(config.client_id.as_str()) {
        return Err(error_page(
            "Aplicativo não reconhecido",
            "O client_id informado não corresponde a um aplicativo cadastrado.",
        )
        .into());
    }
    if params.get("redirect_uri").map(String::as_str) != Some(config.redirect_uri.as_str()) {
        return Err(error_page(
            "Endereço de retorno inválido",
            "O redirect_uri deve ser exatamente o cadastrado no portal do desenvolvedor.",
        )
        .into());
    }
    Ok(())
}

fn redirect_error(redirect_uri: &str, error: &str, client_state: Option<&String>) -> Response {
    let mut target = url::Url::parse(redirect_uri).expect("registered redirect URI is valid");
    target.query_pairs_mut().append_pair("error", error);
    if let Some(client_state) = client_state {
        target.query_pairs_mut().append_pair("state", client_state);
    }
    Redirect::to(target.as_str()).into_response()
}

fn scope_is_valid(scope: Option<&String>) -> bool {
    scope.is_none_or(|scope| {
        scope
            .split([' ', '+'])
            .filter(|part| !part.is_empty())
            .all(|part| SCOPES.contains(&part))
    })
}

pub(super) async fn consent_page(
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Err(rejection) = check_client(&state, &params) {
        return rejection.into_response();
    }
    let redirect_uri = &state.config.contaazul.redirect_uri;
    if params.get("response_type").map(String::as_str) != Some("code") {
        return redirect_error(
            redirect_uri,
            "unsupported_response_type",
            params.get("state"),
        );
    }
    if !scope_is_valid(params.get("scope")) {
        return redirect_error(redirect_uri, "invalid_scope", params.get("state"));
    }
    html_response(
        StatusCode::OK,
        pages::contaazul_consent(ContaAzulConsent {
            company: &state.config.contaazul.company_name,
            client_id: &state.config.contaazul.client_id,
            redirect_uri,
            state: params.get("state").map(String::as_str),
            scope: params.get("scope").map(String::as_str),
        }),
    )
}

pub(super) async fn consent(
    State(state): State<AppState>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Err(rejection) = check_client(&state, &form) {
        return rejection.into_response();
    }
    let config = &state.config.contaazul;
    if form.get("decision").map(String::as_str) != Some("allow") {
        return redirect_error(&config.redirect_uri, "access_denied", form.get("state"));
    }
    Redirect::to(&approve(&state, form.get("state").map(String::as_str))).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header_str(headers, header::AUTHORIZATION.as_str())?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

/// `POST /oauth2/token`: form body, HTTP Basic client authentication.
pub(super) async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let config = &state.config.contaazul;
    let form_encoded = header_str(&headers, header::CONTENT_TYPE.as_str())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Content-Type must be application/x-www-form-urlencoded",
        );
    }
    match basic_credentials(&headers) {
        Some((id, secret)) if id == config.client_id && secret == config.client_secret => {}
        _ => {
            return oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "Client authentication failed",
            )
        }
    }
    let params: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let param = |name: &str| params.get(name).map(String::as_str).unwrap_or("");
    let ttl = config.access_token_ttl;

    let outcome = state.with(|world| {
        let company = &mut world.contaazul;
        match param("grant_type") {
            "authorization_code" => match company.codes.remove(param("code")) {
                Some(grant)
                    if grant.expires >= Instant::now()
                        && grant.redirect_uri == param("redirect_uri") =>
                {
                    Ok(())
                }
                Some(grant) if grant.expires < Instant::now() => {
                    Err("Authorization code has expired")
                }
                Some(_) => Err("redirect_uri does not match the authorization request"),
                None => Err("Invalid authorization code"),
            },
            "refresh_token" => {
                // Rotation: every refresh token works once.
                if company.refresh_tokens.remove(param("refresh_token")) {
                    Ok(())
                } else {
                    Err("Invalid Refresh Token")
                }
            }
            _ => Err("unsupported"),
        }
        .map(|()| {
            let access = crate::assumptions::contaazul_access_token(random_hex);
            let refresh = crate::assumptions::contaazul_refresh_token(random_hex);
            company
                .access_tokens
                .insert(access.clone(), Instant::now() + ttl);
            company.refresh_tokens.insert(refresh.clone());
            (access, refresh)
        })
    });
    match outcome {
        Ok((access, refresh)) => json_response(
            StatusCode::OK,
            &json!({
                "access_token": access,
                "refresh_token": refresh,
                "expires_in": ttl.as_secs(),
                "token_type": "Bearer",
            }),
        ),
        Err("unsupported") => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "grant_type must be authorization_code or refresh_token",
        ),
        Err(description) => {
            oauth_error(CONTAAZUL_INVALID_GRANT_STATUS, "invalid_grant", description)
        }
    }
}

/// The merchant clicked *Autorizar*: a fresh code, and where the browser goes with it.
pub(crate) fn approve(state: &AppState, client_state: Option<&str>) -> String {
    let config = &state.config.contaazul;
    let code = random_hex(24);
    let grant = CodeGrant {
        expires: Instant::now() + config.code_ttl,
        redirect_uri: config.redirect_uri.clone(),
    };
    state.with(|world| world.contaazul.codes.insert(code.clone(), grant));
    let mut target =
        url::Url::parse(&config.redirect_uri).expect("registered redirect URI is valid");
    target.query_pairs_mut().append_pair("code", &code);
    if let Some(client_state) = client_state {
        target.query_pairs_mut().append_pair("state", client_state);
    }
    target.into()
}

/// Whether an authorize request names the registered client and redirect URI.
pub(crate) fn is_registered(state: &AppState, params: &HashMap<String, String>) -> bool {
    check_client(state, params).is_ok()
}
