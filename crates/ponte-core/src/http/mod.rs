//! HTTP shared by both API clients: one `reqwest` client per API, pacing under its rate limit,
//! retries decided by a pure function, and a record of every exchange for the order's audit.

mod pacer;
pub mod retry;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde::{Deserialize, Serialize};

pub use pacer::Pacer;
use retry::{Decision, Outcome};

use crate::error::{Error, Result, Service};

/// One request and its answer, as kept in an order's audit. Headers (and so tokens) are never
/// recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub request_body: Option<String>,
    pub status: Option<u16>,
    pub response_body: String,
}

/// An answer, whatever its status.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
    /// The bytes of a PDF answer (a sale printed by Conta Azul); its `body` then only says
    /// what it is, for the audit.
    pub pdf: Option<Vec<u8>>,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self, service: Service) -> Result<T> {
        serde_json::from_str(&self.body).map_err(|error| Error::Unreadable {
            service,
            detail: format!("{error} in {}", truncate(&self.body, 300)),
        })
    }

    pub fn into_error(self, service: Service) -> Error {
        Error::Api {
            service,
            status: self.status,
            body: truncate(&self.body, 2000),
        }
    }
}

/// The TLS of every HTTP client: rustls with *ring*, the provider the updater uses too, so the
/// app carries one TLS stack and one `reqwest`. Installed once per process, before a client is
/// built (reqwest asks for the process's provider).
pub fn install_tls_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A client builder with the TLS provider in place.
pub fn client_builder() -> reqwest::ClientBuilder {
    install_tls_provider();
    reqwest::Client::builder()
}

/// The largest answer Ponte reads. Its biggest pages are well under a megabyte; a service (or
/// something pretending to be one) sending more is not read into memory.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// A URL as logs and error messages show it: without its query, which may carry a CPF.
pub(crate) fn without_query(url: &str) -> &str {
    url.split('?').next().unwrap_or(url)
}

/// The body, or `None` when it is larger than `max` bytes: never read into memory whole.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    max: usize,
) -> reqwest::Result<Option<Vec<u8>>> {
    if response
        .content_length()
        .is_some_and(|length| length > max as u64)
    {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Whether an answer is a PDF: kept as bytes, never as text.
fn is_pdf(headers: &HeaderMap) -> bool {
    headers
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/pdf"))
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

tokio::task_local! {
    /// The order whose import the current future serves; several orders are imported at once
    /// on one task, so their exchanges are told apart by it.
    static ORDER: u64;
}

/// Runs `future` as part of importing `order_id`: the exchanges it makes go to that order's
/// audit.
pub async fn for_order<F: std::future::Future>(order_id: u64, future: F) -> F::Output {
    ORDER.scope(order_id, future).await
}

/// Collects the exchanges made while orders are being imported, each with its order. Requests
/// made outside an order (listings, connecting) are not kept: nobody reads them, and a listing
/// of thousands of orders would otherwise stay in memory.
#[derive(Clone, Default)]
pub struct Recorder {
    exchanges: Arc<Mutex<Vec<(u64, Exchange)>>>,
}

impl Recorder {
    fn push(&self, exchange: Exchange) {
        if let Ok(order_id) = ORDER.try_with(|order_id| *order_id) {
            self.exchanges
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((order_id, exchange));
        }
    }

    /// Forgets what a pass that ended early left behind.
    pub fn clear(&self) {
        self.exchanges
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// The exchanges made for `order_id` so far, in the order they were made.
    pub fn take_for(&self, order_id: u64) -> Vec<Exchange> {
        let mut all = self.exchanges.lock().unwrap_or_else(|p| p.into_inner());
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut *all)
            .into_iter()
            .partition(|(order, _)| *order == order_id);
        *all = others;
        mine.into_iter().map(|(_, exchange)| exchange).collect()
    }
}

pub struct Request {
    pub method: Method,
    pub url: String,
    pub body: Option<serde_json::Value>,
    /// Safe to send twice (GET, or a write that cannot have taken effect).
    pub idempotent: bool,
}

impl Request {
    pub fn get(url: String) -> Self {
        Request {
            method: Method::GET,
            url,
            body: None,
            idempotent: true,
        }
    }

    pub fn post(url: String, body: serde_json::Value) -> Self {
        Request {
            method: Method::POST,
            url,
            body: Some(body),
            idempotent: false,
        }
    }

    /// A DELETE: once gone, gone again.
    pub fn delete(url: String) -> Self {
        Request {
            method: Method::DELETE,
            url,
            body: None,
            idempotent: true,
        }
    }

    /// A PUT that sets a field to a value: the same twice is the same as once.
    pub fn put(url: String, body: serde_json::Value) -> Self {
        Request {
            method: Method::PUT,
            url,
            body: Some(body),
            idempotent: true,
        }
    }
}

/// What the API client adds to every request: the auth header (and, for Nuvemshop, nothing
/// else changes between services).
pub struct Transport {
    pub service: Service,
    pub http: reqwest::Client,
    pub pacer: Pacer,
    pub recorder: Recorder,
}

impl Transport {
    pub fn new(service: Service, user_agent: &str, pacer: Pacer) -> Result<Self> {
        let http = crate::http::client_builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| Error::Config(format!("HTTP client: {error}")))?;
        Ok(Transport {
            service,
            http,
            pacer,
            recorder: Recorder::default(),
        })
    }

    /// Sends with pacing and retries; `authorize` adds the credentials to each attempt.
    pub async fn send(
        &self,
        request: &Request,
        authorize: impl Fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<Reply> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.pacer.wait().await;
            let mut builder = self.http.request(request.method.clone(), &request.url);
            if let Some(body) = &request.body {
                builder = builder
                    .header("Content-Type", "application/json; charset=utf-8")
                    .body(body.to_string());
            }
            let result = authorize(builder).send().await;
            let (outcome, reply) = match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match read_capped(response, MAX_BODY_BYTES).await {
                        Ok(None) => {
                            return Err(Error::Unreadable {
                                service: self.service,
                                detail: format!(
                                    "{} {} answered more than {MAX_BODY_BYTES} bytes",
                                    request.method,
                                    without_query(&request.url)
                                ),
                            })
                        }
                        Ok(Some(bytes)) => {
                            let (body, pdf) = if is_pdf(&headers) {
                                (format!("(PDF, {} bytes)", bytes.len()), Some(bytes))
                            } else {
                                (String::from_utf8_lossy(&bytes).into_owned(), None)
                            };
                            (
                                None,
                                Some(Reply {
                                    status,
                                    headers,
                                    body,
                                    pdf,
                                }),
                            )
                        }
                        Err(error) => (Some(classify(&error)), None),
                    }
                }
                Err(error) => (Some(classify(&error)), None),
            };
            self.recorder.push(Exchange {
                method: request.method.to_string(),
                url: request.url.clone(),
                request_body: request.body.as_ref().map(|b| b.to_string()),
                status: reply.as_ref().map(|r| r.status),
                response_body: reply
                    .as_ref()
                    .map(|r| truncate(&r.body, 20_000))
                    .unwrap_or_else(|| {
                        format!("({})", outcome.map(|o| o.describe()).unwrap_or(""))
                    }),
            });
            let decision = match (&reply, outcome) {
                (Some(reply), _) => retry::decide(
                    attempt,
                    Outcome::Answered {
                        status: reply.status,
                        headers: &reply.headers,
                    },
                    request.idempotent,
                ),
                (None, Some(outcome)) => retry::decide(attempt, outcome, request.idempotent),
                (None, None) => Decision::GiveUp,
            };
            match decision {
                Decision::Accept => {
                    return reply.ok_or_else(|| Error::Unreachable {
                        service: self.service,
                        detail: "no answer".into(),
                    })
                }
                Decision::RetryAfter(wait) => {
                    tracing::info!(service = ?self.service, attempt, ?wait, url = %without_query(&request.url), "retrying");
                    tokio::time::sleep(wait).await;
                }
                Decision::GiveUp => {
                    if let Some(reply) = reply {
                        return Ok(reply);
                    }
                    let detail = format!(
                        "{} {} failed after {attempt} attempt(s): {}",
                        request.method,
                        without_query(&request.url),
                        outcome.map(|o| o.describe()).unwrap_or("no answer")
                    );
                    return Err(match outcome {
                        // Never connected: the request cannot have taken effect.
                        Some(Outcome::ConnectFailed) => Error::Unreachable {
                            service: self.service,
                            detail,
                        },
                        _ => Error::NoAnswer {
                            service: self.service,
                            detail,
                        },
                    });
                }
            }
        }
    }
}

fn classify(error: &reqwest::Error) -> Outcome<'static> {
    if error.is_connect() {
        Outcome::ConnectFailed
    } else if error.is_timeout() {
        Outcome::TimedOut
    } else {
        Outcome::Broken
    }
}
