//! Fault switches: what a flaky network and a struggling service do to a client.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::http::json_response;
use crate::serve::ConnectionCut;
use crate::{assumptions, AppState};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Nuvemshop,
    Contaazul,
}

/// What happens to a matching request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    /// Waits this long, then answers normally.
    Latency { millis: u64 },
    /// Answers 500 without touching the data.
    ServerError,
    /// Answers 429 as the service does when its rate limit is exceeded.
    TooManyRequests,
    /// Closes the connection without answering, before the request reaches the service.
    Drop,
    /// Lets the service handle the request, then cuts the answer's body in half: the client
    /// receives malformed JSON for a request that did take effect.
    TruncateBody,
    /// Lets the service handle the request (so it takes effect), then closes the connection
    /// without answering: the client cannot tell whether it worked.
    DropAfterHandling,
    /// Answers this status and JSON body without touching the data: a refusal of a search
    /// (`400`, `404`, `414`), or an odd success (`200` with `null`).
    Answer {
        status: u16,
        body: serde_json::Value,
    },
    /// Lets the service handle the request, then answers 500; a sale it created stays out of
    /// `GET /v1/venda/busca` for `hidden_millis`, as a lagging search index would keep it.
    SavedThenServerError { hidden_millis: u64 },
}

/// One switch: a fault applied to the requests of one service that match, `times` times
/// (or for as long as it is on, when `times` is absent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    pub service: Service,
    #[serde(flatten)]
    pub fault: Fault,
    /// `GET`, `POST`, …; any method when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// A piece of the request path (`/v1/venda`); any path when absent.
    #[serde(default)]
    pub path_contains: Option<String>,
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    pub fn new(service: Service, fault: Fault) -> Self {
        FaultRule {
            service,
            fault,
            method: None,
            path_contains: None,
            times: None,
        }
    }

    pub fn on(mut self, method: &str, path_contains: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self.path_contains = Some(path_contains.to_string());
        self
    }

    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    fn matches(&self, service: Service, method: &str, path: &str) -> bool {
        self.service == service
            && self.times != Some(0)
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    pub fn add(&mut self, rule: FaultRule) {
        self.rules.push(rule);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn rules(&self) -> &[FaultRule] {
        &self.rules
    }

    /// The faults that apply to this request, each rule's count taken once.
    fn take(&mut self, service: Service, method: &str, path: &str) -> Vec<Fault> {
        let mut hits = Vec::new();
        for rule in &mut self.rules {
            if rule.matches(service, method, path) {
                if let Some(times) = rule.times.as_mut() {
                    *times -= 1;
                }
                hits.push(rule.fault.clone());
            }
        }
        self.rules.retain(|rule| rule.times != Some(0));
        hits
    }
}

pub(crate) async fn nuvemshop_faults(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    apply(Service::Nuvemshop, state, request, next).await
}

pub(crate) async fn contaazul_faults(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    apply(Service::Contaazul, state, request, next).await
}

async fn apply(service: Service, state: AppState, request: Request, next: Next) -> Response {
    let method = request.method().as_str().to_string();
    // The query too: a rule may aim at one listing (`status=cancelled`) of an endpoint.
    let path = match request.uri().query() {
        Some(query) => format!("{}?{query}", crate::http::original_path(&request)),
        None => crate::http::original_path(&request).to_string(),
    };
    let hits = state.with(|world| world.faults.take(service, &method, &path));
    if hits.is_empty() {
        return next.run(request).await;
    }
    tracing::debug!(?service, %method, %path, ?hits, "fault injected");

    let delay: u64 = hits
        .iter()
        .map(|fault| match fault {
            Fault::Latency { millis } => *millis,
            _ => 0,
        })
        .sum();
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let cut = request.extensions().get::<ConnectionCut>().cloned();
    let terminal = hits
        .into_iter()
        .find(|fault| !matches!(fault, Fault::Latency { .. }));
    match terminal {
        None => next.run(request).await,
        Some(Fault::ServerError) => server_error(service),
        Some(Fault::TooManyRequests) => too_many_requests(service, &state),
        Some(Fault::Drop) => cut_connection(cut).await,
        Some(Fault::DropAfterHandling) => {
            let _ = next.run(request).await;
            cut_connection(cut).await
        }
        Some(Fault::TruncateBody) => truncate(next.run(request).await).await,
        Some(Fault::Answer { status, body }) => json_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            &body,
        ),
        Some(Fault::SavedThenServerError { hidden_millis }) => {
            let response = next.run(request).await;
            if response.status().is_success() {
                let hidden = Duration::from_millis(hidden_millis);
                if let Some(id) = created_id(response).await {
                    state.with(|world| world.contaazul.hide_sale(id, hidden));
                }
            }
            server_error(service)
        }
        Some(Fault::Latency { .. }) => unreachable!("latency is not terminal"),
    }
}

fn server_error(service: Service) -> Response {
    let body = match service {
        Service::Nuvemshop => {
            assumptions::nuvemshop_error(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
        Service::Contaazul => assumptions::contaazul_error("Erro interno no servidor"),
    };
    json_response(StatusCode::INTERNAL_SERVER_ERROR, &body)
}

/// A 429 as the service itself would send it, headers included.
fn too_many_requests(service: Service, state: &AppState) -> Response {
    match service {
        Service::Nuvemshop => {
            let snapshot = state.with(|world| world.nuvemshop.bucket.snapshot());
            let mut response = json_response(
                StatusCode::TOO_MANY_REQUESTS,
                &assumptions::nuvemshop_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests: the bucket is full",
                ),
            );
            // A forced 429 reports a full bucket, as a real one would.
            let full = crate::nuvemshop::bucket::BucketSnapshot {
                remaining: 0,
                reset_millis: snapshot.reset_millis.max(500),
                ..snapshot
            };
            full.write_headers(response.headers_mut());
            response
        }
        Service::Contaazul => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            &assumptions::contaazul_too_many_requests(),
        ),
    }
}

async fn cut_connection(cut: Option<ConnectionCut>) -> Response {
    match cut {
        Some(ConnectionCut(token)) => {
            token.cancel();
            // The connection task drops this future with the connection; nothing is sent.
            std::future::pending::<Response>().await
        }
        None => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// The `id` of what a create answered.
async fn created_id(response: Response) -> Option<uuid::Uuid> {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("id")?.as_str()?.parse().ok()
}

async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(0..bytes.len() / 2);
    parts.headers.insert(
        axum::http::header::CONTENT_LENGTH,
        HeaderValue::from(half.len()),
    );
    Response::from_parts(parts, Body::from(half))
}
