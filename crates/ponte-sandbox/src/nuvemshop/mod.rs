//! The Nuvemshop simulator: app authorization on the store's host and the `/v1/{store_id}` API.

pub(crate) mod bucket;
pub mod model;
pub(crate) mod oauth;
mod orders;
mod sibling;
pub mod webhooks;
pub(crate) mod wire;

use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use crate::assumptions::{nuvemshop_error, NUVEMSHOP_ACCEPTS_AUTHORIZATION_HEADER};
use crate::http::{header_str, is_json, json_response, original_path};
use crate::AppState;

pub use model::{NewCustomer, NewLine, NewOrder, OrderStatus, PaymentStatus};

pub(crate) fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/store", get(orders::store))
        .route("/orders", get(orders::list))
        .route("/orders/{id}", get(orders::get_one).put(orders::update))
        .route("/webhooks", get(webhooks::list).post(webhooks::create))
        .route("/webhooks/{id}", axum::routing::delete(webhooks::delete))
        .route_layer(from_fn(require_json_writes))
        .route_layer(from_fn_with_state(state.clone(), rate_limit))
        .route_layer(from_fn_with_state(state.clone(), suspended))
        .route_layer(from_fn_with_state(state.clone(), authenticate))
        .route_layer(from_fn(require_user_agent))
        .route_layer(from_fn(crate::http::reject_long_urls));

    Router::new()
        .route(
            "/apps/{app_id}/authorize",
            get(oauth::consent_page).post(oauth::consent),
        )
        .route("/apps/authorize/token", post(oauth::token))
        .nest("/v1/{store_id}", api)
        .fallback(not_found)
        .with_state(state)
}

async fn not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &nuvemshop_error(StatusCode::NOT_FOUND, "Not Found"),
    )
}

/// Nuvemshop refuses requests that do not identify the app (400).
async fn require_user_agent(request: Request, next: Next) -> Response {
    let present = header_str(request.headers(), header::USER_AGENT.as_str())
        .is_some_and(|agent| !agent.trim().is_empty());
    if !present {
        return json_response(
            StatusCode::BAD_REQUEST,
            &nuvemshop_error(
                StatusCode::BAD_REQUEST,
                "A User-Agent header identifying the app and a contact is required, \
                 e.g. 'MyApp (dev@example.com)'",
            ),
        );
    }
    next.run(request).await
}

/// The token goes in the non-standard `Authentication: bearer <token>` header, and it must be
/// the store's current token for the store in the path.
async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Inside the nested router the URI lost its `/v1/{store_id}` prefix; the original has it.
    let path_store = original_path(&request)
        .split('/')
        .nth(2)
        .and_then(|segment| segment.parse::<u64>().ok());
    let mut presented = header_str(request.headers(), "authentication");
    if presented.is_none() && NUVEMSHOP_ACCEPTS_AUTHORIZATION_HEADER {
        presented = header_str(request.headers(), header::AUTHORIZATION.as_str());
    }
    let token = presented.and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_string())
    });
    let (valid, sibling) = state.with(|world| {
        let store = &world.nuvemshop;
        let valid = token.is_some()
            && store.current_token.as_deref() == token.as_deref()
            && path_store == Some(store.store_id);
        let sibling = path_store.filter(|id| {
            token.is_some() && store.sibling_tokens.get(id).map(String::as_str) == token.as_deref()
        });
        (valid, sibling)
    });
    if let Some(id) = sibling {
        return sibling::answer(request.method(), original_path(&request), id);
    }
    if !valid {
        return json_response(
            StatusCode::UNAUTHORIZED,
            &nuvemshop_error(StatusCode::UNAUTHORIZED, "Invalid access token"),
        );
    }
    next.run(request).await
}

/// A store whose plan or app charge is unpaid gets 402 on every call until it pays.
async fn suspended(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if state.with(|world| world.nuvemshop.suspended) {
        return json_response(
            StatusCode::PAYMENT_REQUIRED,
            &crate::assumptions::nuvemshop_payment_required(),
        );
    }
    next.run(request).await
}

/// The leaky bucket: every answer carries its state; past it, 429.
async fn rate_limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.with(|world| world.nuvemshop.bucket.admit()) {
        Ok(snapshot) => {
            let mut response = next.run(request).await;
            snapshot.write_headers(response.headers_mut());
            response
        }
        Err(snapshot) => {
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &nuvemshop_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests: the bucket is full",
                ),
            );
            snapshot.write_headers(response.headers_mut());
            response
        }
    }
}

/// Writes must declare a JSON body, or the API answers 415.
async fn require_json_writes(request: Request, next: Next) -> Response {
    let writes = matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::PATCH
    );
    if writes && !is_json(request.headers()) {
        return json_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            &nuvemshop_error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type must be application/json; charset=utf-8",
            ),
        );
    }
    next.run(request).await
}
