//! Small helpers shared by the three listeners.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub(crate) fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        bytes,
    )
        .into_response()
}

pub(crate) fn html_response(status: StatusCode, html: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response()
}

pub(crate) fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// `true` when the request declares a JSON body (`application/json`, any parameters).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    header_str(headers, header::CONTENT_TYPE.as_str())
        .map(|value| {
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        })
        .unwrap_or(false)
}

/// A random token of `len` lowercase hex characters.
pub(crate) fn random_hex(len: usize) -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from_digit(rng.gen_range(0..16), 16).unwrap_or('0'))
        .collect()
}

/// A finished answer carried through `Result` when a request ends early; boxed so that the
/// `Result`s of the happy path stay small.
pub(crate) struct Rejection(Box<Response>);

impl From<Response> for Rejection {
    fn from(response: Response) -> Self {
        Rejection(Box::new(response))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// 414 for a request line longer than the services accept (`assumptions::MAX_URL_BYTES`).
pub(crate) async fn reject_long_urls(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let uri = request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|uri| uri.0.clone())
        .unwrap_or_else(|| request.uri().clone());
    let length = uri.path_and_query().map_or(0, |pq| pq.as_str().len());
    if length > crate::assumptions::MAX_URL_BYTES {
        return (StatusCode::URI_TOO_LONG, "URI Too Long").into_response();
    }
    next.run(request).await
}

/// The path the client asked for, before any router nested it.
pub(crate) fn original_path(request: &axum::extract::Request) -> &str {
    request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map(|uri| uri.0.path())
        .unwrap_or_else(|| request.uri().path())
}
