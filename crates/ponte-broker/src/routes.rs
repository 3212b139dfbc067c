//! The broker's HTTP surface.
//!
//! | | |
//! |---|---|
//! | `POST /connect/{service}/start` | `{state, verifier_hash, port?}`: a connect the browser is about to begin |
//! | `GET /callback/{service}` | where the service sends the browser back; the code is exchanged at once |
//! | `POST /connect/claim` | `{state, verifier}`: the tokens, once (202 while the merchant is still deciding) |
//! | `POST /connect/pair` | `{code}`: the tokens of an install that started in the Nuvemshop admin |
//! | `POST /refresh/contaazul` | a Conta Azul refresh, forwarded with the app's Basic authentication |
//! | `GET /healthz` | the database answers |

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::claims::{now_seconds, Claim, Settled};
use crate::exchange::{self, basic_auth, read_capped, Tokens};
use crate::limit::client_address;
use crate::seal::digest;
use crate::{pages, pairing, BrokerState, Service};

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({ "error": code, "error_description": description })),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn too_many(wait: Duration) -> Response {
    let mut response = error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "too many attempts from this address; wait and try again",
    );
    let seconds = wait.as_secs().max(1).to_string();
    if let Ok(value) = HeaderValue::from_str(&seconds) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn bad_json(rejection: JsonRejection) -> Response {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "the body is too large",
        );
    }
    error(
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the body must be the documented JSON",
    )
}

fn unknown_service() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "unknown_service",
        "services: nuvemshop, contaazul",
    )
}

/// `state` comes from the app: 16 to 128 URL-safe characters.
fn valid_state(state: &str) -> bool {
    (16..=128).contains(&state.len())
        && state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn valid_digest(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The key a connect is filed under: nothing the browser or a log could show.
fn connect_id(state: &str) -> String {
    digest(&format!("state:{state}"))
}

#[derive(Deserialize)]
pub(crate) struct StartRequest {
    state: String,
    verifier_hash: String,
    #[serde(default)]
    port: Option<u16>,
}

pub(crate) async fn start(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(service): Path<String>,
    body: Result<Json<StartRequest>, JsonRejection>,
) -> Response {
    let Some(service) = Service::from_path(&service) else {
        return unknown_service();
    };
    let address = client_address(peer, &headers, broker.config.trust_forwarded_for);
    if let Err(wait) = broker.start_limit.check(address) {
        return too_many(wait);
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    if !valid_state(&request.state) || !valid_digest(&request.verifier_hash) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "state: 16-128 URL-safe characters; verifier_hash: hex SHA-256",
        );
    }
    if request.port.is_some_and(|port| port < 1024) {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "port: 1024-65535",
        );
    }
    let now = now_seconds();
    let ttl = broker.config.claim_ttl.as_secs() as i64;
    match broker.claims.start(
        &connect_id(&request.state),
        service,
        &request.verifier_hash,
        request.port,
        now + ttl,
    ) {
        Ok(true) => (
            StatusCode::CREATED,
            Json(json!({ "expires_in": ttl, "redirect_uri": broker.config.callback_url(service) })),
        )
            .into_response(),
        Ok(false) => error(
            StatusCode::CONFLICT,
            "state_in_use",
            "start a new connect with a new state",
        ),
        Err(e) => {
            tracing::error!(error = %e, "start not recorded");
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
        }
    }
}

fn return_to(service: Service, state: &str, port: Option<u16>) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("state", state)
        .finish();
    match port {
        Some(port) => format!(
            "http://127.0.0.1:{port}/connected/{}?{query}",
            service.path()
        ),
        None => format!("ponte://connected/{}?{query}", service.path()),
    }
}

pub(crate) async fn callback(
    State(broker): State<BrokerState>,
    Path(service): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Some(service) = Service::from_path(&service) else {
        return pages::problem(
            StatusCode::NOT_FOUND,
            "Endereço desconhecido",
            "Este endereço não pertence a nenhuma conexão do Ponte.",
            None,
        );
    };
    let code = params.get("code").filter(|code| !code.is_empty());
    let refusal = params.get("error").map(|e| exchange::short_code(e));
    let Some(state) = params.get("state").filter(|s| !s.is_empty()) else {
        return install_without_state(&broker, service, code, refusal).await;
    };
    let now = now_seconds();
    let id = connect_id(state);
    let started = match broker.claims.started(&id, now) {
        Ok(Some(started)) if started.service == service => started,
        Ok(_) => {
            tracing::warn!(service = service.path(), "callback for an unknown connect");
            return pages::problem(
                StatusCode::BAD_REQUEST,
                "Link de autorização inválido",
                "Esta autorização não foi iniciada pelo Ponte ou já foi concluída. Volte ao \
                 Ponte e clique em Conectar de novo.",
                None,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "callback lookup failed");
            return pages::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "Serviço indisponível",
                "Tente de novo em alguns minutos: volte ao Ponte e clique em Conectar.",
                None,
            );
        }
    };
    let back = return_to(service, state, started.return_port);
    if started.expired || started.settled {
        return pages::problem(
            StatusCode::GONE,
            "Link de autorização expirado",
            "Este link já foi usado ou passou de 10 minutos. Volte ao Ponte e clique em \
             Conectar de novo.",
            None,
        );
    }
    let outcome = match (refusal, code) {
        (Some(refusal), _) => Err(refusal),
        (None, None) => Err("no_code".to_string()),
        (None, Some(code)) => {
            match exchange::exchange_code(&broker.http, &broker.config, service, code).await {
                Ok(tokens) => Ok(tokens),
                Err(e) => {
                    tracing::warn!(service = service.path(), error = %e, "code exchange failed");
                    Err(e.code())
                }
            }
        }
    };
    let settled = match &outcome {
        Ok(tokens) => {
            let plain = serde_json::to_vec(tokens).expect("tokens serialise");
            Settled::Ready(broker.sealer.seal(&id, &plain))
        }
        Err(reason) => Settled::Refused(reason.clone()),
    };
    if let Err(e) = broker.claims.settle(&id, settled, now_seconds()) {
        tracing::error!(error = %e, "exchange result not recorded");
        return pages::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Serviço indisponível",
            "Tente de novo em alguns minutos: volte ao Ponte e clique em Conectar.",
            None,
        );
    }
    tracing::info!(
        service = service.path(),
        ok = outcome.is_ok(),
        "connect settled"
    );
    match outcome {
        Ok(_) => pages::ready(service.name(), Some(&back)),
        Err(reason) if reason == "access_denied" => pages::problem(
            StatusCode::OK,
            "Autorização não concluída",
            "A autorização foi cancelada. Volte ao Ponte para tentar de novo.",
            Some(&back),
        ),
        Err(_) => pages::problem(
            StatusCode::OK,
            "Não foi possível concluir a conexão",
            "O serviço não aceitou esta autorização (ela vale poucos minutos). Volte ao Ponte e \
             clique em Conectar de novo.",
            Some(&back),
        ),
    }
}

/// Installs that start in the Nuvemshop admin or App Store carry no `state`: the result is
/// kept under a short pairing code the merchant types into Ponte.
async fn install_without_state(
    broker: &BrokerState,
    service: Service,
    code: Option<&String>,
    refusal: Option<String>,
) -> Response {
    let (Service::Nuvemshop, Some(code), None) = (service, code, refusal) else {
        return pages::problem(
            StatusCode::BAD_REQUEST,
            "Autorização incompleta",
            "Volte ao Ponte e clique em Conectar de novo.",
            None,
        );
    };
    let tokens = match exchange::exchange_code(&broker.http, &broker.config, service, code).await {
        Ok(tokens) => tokens,
        Err(e) => {
            tracing::warn!(error = %e, "install without state: exchange failed");
            return pages::problem(
                StatusCode::BAD_GATEWAY,
                "Não foi possível concluir a instalação",
                "A Nuvemshop não aceitou esta autorização. Instale o aplicativo de novo ou, no \
                 Ponte, clique em Conectar com Nuvemshop.",
                None,
            );
        }
    };
    let ttl = broker.config.claim_ttl.as_secs() as i64;
    let plain = serde_json::to_vec(&tokens).expect("tokens serialise");
    for _ in 0..5 {
        let code = pairing::new_code();
        let id = pairing::id(&code);
        match broker.claims.add_paired(
            &id,
            service,
            &broker.sealer.seal(&id, &plain),
            now_seconds() + ttl,
        ) {
            Ok(true) => {
                tracing::info!("install without state: pairing code issued");
                return pages::pairing_code(&code, (ttl / 60) as u64);
            }
            Ok(false) => continue,
            Err(e) => {
                tracing::error!(error = %e, "pairing code not recorded");
                break;
            }
        }
    }
    pages::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Serviço indisponível",
        "Tente de novo em alguns minutos.",
        None,
    )
}

#[derive(Deserialize)]
pub(crate) struct ClaimRequest {
    state: String,
    verifier: String,
}

#[derive(Deserialize)]
pub(crate) struct PairRequest {
    code: String,
}

fn claim_answer(broker: &BrokerState, id: &str, claim: Claim) -> Response {
    match claim {
        Claim::Pending => {
            (StatusCode::ACCEPTED, Json(json!({ "status": "pending" }))).into_response()
        }
        Claim::Ready(_, sealed) => match broker
            .sealer
            .open(id, &sealed)
            .and_then(|plain| serde_json::from_slice::<Tokens>(&plain).ok())
        {
            Some(tokens) => {
                let mut answer = json!({ "status": "ready", "tokens": tokens });
                // A store's installation of Ponte gets its own key to read the store's
                // webhook events, starting after those already queued.
                if let Tokens::Nuvemshop { store_id, .. } = &tokens {
                    let key = hex::encode(rand::random::<[u8; 32]>());
                    match broker
                        .claims
                        .add_installation(&key, store_id)
                        .and_then(|()| broker.claims.last_event_id(store_id))
                    {
                        Ok(cursor) => {
                            answer["events"] = json!({ "key": key, "cursor": cursor });
                        }
                        Err(e) => tracing::error!(error = %e, "installation not recorded"),
                    }
                }
                let mut response = Json(answer).into_response();
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            // Sealed under another key (an instance with a different PONTE_BROKER_KEY).
            None => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unsealable",
                "this result cannot be opened here; connect again",
            ),
        },
        Claim::Refused(reason) => {
            Json(json!({ "status": "refused", "error": reason })).into_response()
        }
        Claim::Unknown => error(StatusCode::NOT_FOUND, "unknown_claim", "no such connect"),
        Claim::Expired => error(
            StatusCode::GONE,
            "expired",
            "the connect expired; connect again",
        ),
        Claim::AlreadyClaimed => error(
            StatusCode::GONE,
            "already_claimed",
            "this result was already taken",
        ),
        Claim::Burnt => error(
            StatusCode::GONE,
            "burnt",
            "too many wrong verifiers; connect again",
        ),
        Claim::WrongVerifier => error(
            StatusCode::FORBIDDEN,
            "wrong_verifier",
            "the verifier does not match",
        ),
    }
}

pub(crate) async fn claim(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ClaimRequest>, JsonRejection>,
) -> Response {
    let address = client_address(peer, &headers, broker.config.trust_forwarded_for);
    if let Err(wait) = broker.claim_limit.check(address) {
        return too_many(wait);
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    if !valid_state(&request.state) || request.verifier.is_empty() || request.verifier.len() > 256 {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "state and verifier are required",
        );
    }
    let id = connect_id(&request.state);
    match broker
        .claims
        .claim(&id, Some(&digest(&request.verifier)), now_seconds())
    {
        Ok(claim) => {
            if !matches!(claim, Claim::Pending) {
                tracing::info!(outcome = ?ClaimLog(&claim), "claim");
            }
            claim_answer(&broker, &id, claim)
        }
        Err(e) => {
            tracing::error!(error = %e, "claim failed");
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
        }
    }
}

pub(crate) async fn pair(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PairRequest>, JsonRejection>,
) -> Response {
    let address = client_address(peer, &headers, broker.config.trust_forwarded_for);
    if let Err(wait) = broker.claim_limit.check(address) {
        return too_many(wait);
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    let Some(code) = pairing::normalise(&request.code) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a pairing code has 8 characters",
        );
    };
    let id = pairing::id(&code);
    match broker.claims.claim(&id, None, now_seconds()) {
        Ok(claim) => {
            tracing::info!(outcome = ?ClaimLog(&claim), "pairing claim");
            claim_answer(&broker, &id, claim)
        }
        Err(e) => {
            tracing::error!(error = %e, "pairing claim failed");
            error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again")
        }
    }
}

/// A claim's outcome for the log, without the sealed bytes.
struct ClaimLog<'a>(&'a Claim);

impl std::fmt::Debug for ClaimLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Claim::Ready(service, _) => write!(f, "ready({})", service.path()),
            Claim::Refused(reason) => write!(f, "refused({reason})"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// Conta Azul's refresh needs the client secret: the broker adds it and forwards the answer as
/// it came. Nothing is stored; nothing of the body is logged.
pub(crate) async fn refresh(
    State(broker): State<BrokerState>,
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

pub(crate) async fn healthz(State(broker): State<BrokerState>) -> Response {
    if broker.claims.healthy() {
        Json(json!({ "status": "ok" })).into_response()
    } else {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the database does not answer",
        )
    }
}

pub(crate) async fn not_found() -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "see the broker's documentation",
    )
}

/// Method, path and status of every request: never a query string or a body.
pub(crate) async fn log_requests(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
