//! What an installation asks after its connect: Conta Azul refreshes, which need the app's
//! secret (the broker adds it), and, when the merchant disconnects, the end of its key.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::db::now_seconds;
use crate::exchange::{basic_auth, read_capped};
use crate::routes::{bearer, error, too_many, unavailable, unknown_service};
use crate::storage::Known;
use crate::{BrokerState, Service};

/// Why a request's key gets it nothing.
enum Refused {
    /// Missing, unknown, revoked, or another service's.
    UnknownKey,
    Unavailable,
}

impl Refused {
    /// An OAuth-shaped error (`unknown_installation`) the app reads as "connect again".
    fn answer(self) -> Response {
        match self {
            Refused::UnknownKey => error(
                StatusCode::UNAUTHORIZED,
                "unknown_installation",
                "this installation's key is missing, unknown or revoked; connect again",
            ),
            Refused::Unavailable => unavailable(),
        }
    }
}

/// The Conta Azul installation behind `Authorization: Bearer …`.
async fn installation(broker: &BrokerState, headers: &HeaderMap) -> Result<Known, Refused> {
    let key = bearer(headers).ok_or(Refused::UnknownKey)?.to_string();
    match broker
        .db(move |db| db.installation(&key, now_seconds()))
        .await
    {
        Ok(Some(known)) if known.service == Service::Contaazul => Ok(known),
        Ok(_) => Err(Refused::UnknownKey),
        Err(e) => {
            tracing::error!(error = %e, "installation lookup failed");
            Err(Refused::Unavailable)
        }
    }
}

/// `POST /refresh/contaazul`: Conta Azul's refresh needs the client secret, so the broker adds
/// it and forwards the answer as it came, for a Conta Azul installation only. Nothing is
/// stored; nothing of the body is logged.
pub(crate) async fn refresh(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(service): Path<String>,
    body: Bytes,
) -> Response {
    match Service::from_path(&service) {
        Some(Service::Contaazul) => {}
        Some(Service::Nuvemshop) => {
            return error(
                StatusCode::NOT_FOUND,
                "unknown_service",
                "Nuvemshop tokens do not expire; only contaazul refreshes",
            )
        }
        None => return unknown_service(),
    }
    if let Err(wait) = broker.guards.refresh.check(broker.caller(peer, &headers)) {
        return too_many(wait);
    }
    let known = match installation(&broker, &headers).await {
        Ok(known) => known,
        Err(refused) => return refused.answer(),
    };
    if let Err(wait) = broker.guards.refresh_per_installation.check(&known.digest) {
        return too_many(wait);
    }
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    let app = &broker.config.contaazul;
    if params.get("grant_type").map(String::as_str) != Some("refresh_token") {
        return error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "only refresh_token",
        );
    }
    if params
        .get("client_id")
        .is_some_and(|id| *id != app.client_id)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client_id",
        );
    }
    let Some(refresh_token) = params.get("refresh_token").filter(|t| !t.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "refresh_token is required",
        );
    };
    let Ok(_slot) = broker.guards.outbound.slot().await else {
        return too_many(std::time::Duration::from_secs(5));
    };
    let upstream = broker
        .http
        .post(app.token_url.clone())
        .header(header::AUTHORIZATION, basic_auth(app))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ])
        .send()
        .await;
    let response = match upstream {
        Ok(response) => response,
        Err(e) => {
            tracing::warn!(error = %e.without_url(), "Conta Azul refresh unreachable");
            // Not an OAuth error: the app keeps its refresh token and tries later.
            return (StatusCode::BAD_GATEWAY, "Conta Azul could not be reached").into_response();
        }
    };
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let body = match read_capped(response).await {
        Ok(body) => body,
        Err(e) => {
            tracing::warn!(error = %e, "Conta Azul refresh answer unreadable");
            return (
                StatusCode::BAD_GATEWAY,
                "Conta Azul's answer could not be read",
            )
                .into_response();
        }
    };
    tracing::info!(status = status.as_u16(), "Conta Azul refresh forwarded");
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `DELETE /installation`: the merchant disconnected; the key stops working at once (and a
/// store's queued events go with its last installation).
pub(crate) async fn revoke(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(wait) = broker.guards.claim.check(&broker.caller(peer, &headers)) {
        return too_many(wait);
    }
    let Some(key) = bearer(&headers) else {
        return error(StatusCode::UNAUTHORIZED, "unknown_installation", "no key");
    };
    let key = key.to_string();
    match broker.db(move |db| db.revoke(&key)).await {
        Ok(true) => {
            tracing::info!("installation revoked");
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(
            StatusCode::UNAUTHORIZED,
            "unknown_installation",
            "unknown or already revoked",
        ),
        Err(e) => {
            tracing::error!(error = %e, "revoke failed");
            unavailable()
        }
    }
}
