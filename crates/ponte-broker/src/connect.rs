//! A connect: the app registers it (`start`), the service sends the merchant's browser back
//! (`callback`: the code is exchanged at once), and the app claims the tokens (`claim`) with
//! its verifier and the return code the broker's page gave back to it. Installs that start in
//! the Nuvemshop admin carry no `state`: their tokens wait under a pairing code (`pair`).

use std::net::SocketAddr;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::codes;
use crate::db::now_seconds;
use crate::exchange::{self, Tokens};
use crate::routes::{bad_json, error, too_many, unavailable, unknown_service, with_retry_after};
use crate::seal::digest;
use crate::storage::Installation;
use crate::storage::{Claim, Proof, Settled};
use crate::{pages, BrokerState, Service};
use ponte_protocol::{
    ClaimAnswer, ClaimRequest, InstallationKey, PairRequest, StartAnswer, StartRequest,
};

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

fn busy_page() -> Response {
    with_retry_after(
        pages::problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Serviço ocupado",
            "Muitas conexões ao mesmo tempo. Recarregue esta página em alguns segundos.",
            None,
        ),
        std::time::Duration::from_secs(5),
    )
}

fn unavailable_page() -> Response {
    pages::problem(
        StatusCode::SERVICE_UNAVAILABLE,
        "Serviço indisponível",
        "Tente de novo em alguns minutos: volte ao Ponte e clique em Conectar.",
        None,
    )
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
    if let Err(wait) = broker.guards.start.check(broker.caller(peer, &headers)) {
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
    let (id, verifier_hash, port) = (
        connect_id(&request.state),
        request.verifier_hash.clone(),
        request.port,
    );
    match broker
        .db(move |db| db.start(&id, service, &verifier_hash, port, now + ttl))
        .await
    {
        Ok(true) => (
            StatusCode::CREATED,
            Json(StartAnswer {
                expires_in: ttl as u64,
                redirect_uri: broker.config.callback_url(service),
            }),
        )
            .into_response(),
        Ok(false) => error(
            StatusCode::CONFLICT,
            "state_in_use",
            "start a new connect with a new state",
        ),
        Err(e) => {
            tracing::error!(error = %e, "start not recorded");
            unavailable()
        }
    }
}

/// The app's loopback listener, told the connect's `state` and, once the service answered,
/// the return code.
fn return_to(service: Service, state: &str, port: u16, return_code: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("state", state);
    if let Some(code) = return_code {
        query.append_pair("code", code);
    }
    format!(
        "http://127.0.0.1:{port}/connected/{}?{}",
        service.path(),
        query.finish()
    )
}

/// The same way back through the system: `ponte://`, which the app's bundles register, for a
/// browser that will not navigate from a public page to the loopback.
fn app_link(service: Service, state: &str, return_code: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("state", state);
    query.append_pair("code", return_code);
    format!("ponte://connected/{}?{}", service.path(), query.finish())
}

pub(crate) async fn callback(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
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
        return install_without_state(&broker, peer, &headers, service, code, refusal).await;
    };
    let now = now_seconds();
    let id = connect_id(state);
    let started = match broker
        .db({
            let id = id.clone();
            move |db| db.started(&id, now)
        })
        .await
    {
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
            return unavailable_page();
        }
    };
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
            // The code lives minutes: waiting for a slot beats refusing, and the page can be
            // reloaded while the code is still good.
            let Ok(_slot) = broker.guards.outbound.slot().await else {
                return busy_page();
            };
            match exchange::exchange_code(&broker.http, &broker.config, service, code).await {
                Ok(tokens) => Ok(tokens),
                Err(e) => {
                    tracing::warn!(service = service.path(), error = %e, "code exchange failed");
                    Err(e.code())
                }
            }
        }
    };
    let return_code = codes::new_code();
    let settled = match &outcome {
        Ok(tokens) => Settled::Ready {
            sealed: broker.sealer.seal(&id, &exchange::sealable(tokens)),
            return_digest: codes::return_digest(&id, &return_code).expect("a fresh code"),
            store_id: tokens.store_id().map(str::to_string),
        },
        Err(reason) => Settled::Refused(reason.clone()),
    };
    let settling = id.clone();
    match broker
        .db(move |db| db.settle(&settling, settled, now_seconds()))
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            // Another tab of the same connect got there first.
            return pages::problem(
                StatusCode::GONE,
                "Link de autorização expirado",
                "Este link já foi usado. Volte ao Ponte.",
                None,
            );
        }
        Err(e) => {
            tracing::error!(error = %e, "exchange result not recorded");
            return unavailable_page();
        }
    }
    tracing::info!(
        service = service.path(),
        ok = outcome.is_ok(),
        "connect settled"
    );
    let back = started
        .return_port
        .map(|port| return_to(service, state, port, None));
    match outcome {
        Ok(_) => {
            let back = started
                .return_port
                .map(|port| return_to(service, state, port, Some(&return_code)));
            let link = app_link(service, state, &return_code);
            pages::ready(service.name(), &return_code, back.as_deref(), &link)
        }
        Err(reason) if reason == "access_denied" => pages::problem(
            StatusCode::OK,
            "Autorização não concluída",
            "A autorização foi cancelada. Volte ao Ponte para tentar de novo.",
            back.as_deref(),
        ),
        Err(_) => pages::problem(
            StatusCode::OK,
            "Não foi possível concluir a conexão",
            "O serviço não aceitou esta autorização (ela vale poucos minutos). Volte ao Ponte e \
             clique em Conectar de novo.",
            back.as_deref(),
        ),
    }
}

/// Installs that start in the Nuvemshop admin or App Store carry no `state`: the result is
/// kept under a short pairing code the merchant types into Ponte. Anyone can call this
/// address with any code, and each call is an exchange carrying the app's secret: limited per
/// address and for everyone.
async fn install_without_state(
    broker: &BrokerState,
    peer: SocketAddr,
    headers: &HeaderMap,
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
    if let Err(wait) = broker.guards.install.check(broker.caller(peer, headers)) {
        return with_retry_after(
            pages::problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Muitas tentativas",
                "Espere um minuto e recarregue esta página.",
                None,
            ),
            wait,
        );
    }
    let tokens = {
        let Ok(_slot) = broker.guards.outbound.slot().await else {
            return busy_page();
        };
        match exchange::exchange_code(&broker.http, &broker.config, service, code).await {
            Ok(tokens) => tokens,
            Err(e) => {
                tracing::warn!(error = %e, "install without state: exchange failed");
                return pages::problem(
                    StatusCode::BAD_GATEWAY,
                    "Não foi possível concluir a instalação",
                    "A Nuvemshop não aceitou esta autorização. Instale o aplicativo de novo ou, \
                     no Ponte, clique em Conectar com Nuvemshop.",
                    None,
                );
            }
        }
    };
    let ttl = broker.config.claim_ttl.as_secs() as i64;
    for _ in 0..5 {
        let code = codes::new_code();
        let id = codes::pairing_id(&code);
        let sealed = broker.sealer.seal(&id, &exchange::sealable(&tokens));
        let store = tokens.store_id().map(str::to_string);
        match broker
            .db(move |db| {
                db.add_paired(&id, service, &sealed, store.as_deref(), now_seconds() + ttl)
            })
            .await
        {
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
    unavailable_page()
}

fn claim_answer(broker: &BrokerState, id: &str, claim: Claim) -> Response {
    match claim {
        Claim::Pending => (StatusCode::ACCEPTED, Json(ClaimAnswer::Pending)).into_response(),
        Claim::Authorized => (StatusCode::ACCEPTED, Json(ClaimAnswer::Authorized)).into_response(),
        Claim::Ready(_, sealed, installation) => match broker
            .sealer
            .open(id, &sealed)
            .and_then(|plain| serde_json::from_slice::<Tokens>(&plain).ok())
        {
            Some(tokens) => ready_answer(tokens, &installation),
            // Sealed under another key (an instance with a different PONTE_BROKER_KEY).
            None => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "unsealable",
                "this result cannot be opened here; connect again",
            ),
        },
        Claim::Refused(reason) => Json(ClaimAnswer::Refused { error: reason }).into_response(),
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
            "too many wrong verifiers or return codes; connect again",
        ),
        Claim::WrongVerifier => error(
            StatusCode::FORBIDDEN,
            "wrong_verifier",
            "the verifier does not match",
        ),
        Claim::WrongReturnCode => error(
            StatusCode::FORBIDDEN,
            "wrong_return_code",
            "the return code does not match",
        ),
    }
}

fn ready_answer(tokens: Tokens, installation: &Installation) -> Response {
    let answer = ClaimAnswer::Ready {
        tokens,
        installation: Some(InstallationKey {
            key: installation.key.clone(),
            cursor: installation.cursor,
        }),
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub(crate) async fn claim(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<ClaimRequest>, JsonRejection>,
) -> Response {
    if let Err(wait) = broker.guards.claim.check(&broker.caller(peer, &headers)) {
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
    let return_digest = match request.return_code.as_deref() {
        None => None,
        Some(code) => match codes::return_digest(&id, code) {
            Some(digest) => Some(digest),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "a return code has 8 letters and digits",
                )
            }
        },
    };
    let verifier_digest = digest(&request.verifier);
    let claiming = id.clone();
    let claimed = broker
        .db(move |db| {
            let proof = Proof::Verifier {
                verifier_digest: &verifier_digest,
                return_digest: return_digest.as_deref(),
            };
            db.claim(&claiming, proof, now_seconds())
        })
        .await;
    match claimed {
        Ok(claim) => {
            broker.metrics.claim(claim.outcome());
            if !matches!(claim, Claim::Pending | Claim::Authorized) {
                tracing::info!(outcome = ?ClaimLog(&claim), "claim");
            }
            claim_answer(&broker, &id, claim)
        }
        Err(e) => {
            tracing::error!(error = %e, "claim failed");
            unavailable()
        }
    }
}

pub(crate) async fn pair(
    State(broker): State<BrokerState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Result<Json<PairRequest>, JsonRejection>,
) -> Response {
    if let Err(wait) = broker.guards.pairing_failures.check() {
        return too_many(wait);
    }
    if let Err(wait) = broker.guards.claim.check(&broker.caller(peer, &headers)) {
        return too_many(wait);
    }
    let Json(request) = match body {
        Ok(body) => body,
        Err(rejection) => return bad_json(rejection),
    };
    let Some(code) = codes::normalise(&request.code) else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "a pairing code has 8 characters",
        );
    };
    let id = codes::pairing_id(&code);
    let claiming = id.clone();
    let claimed = broker
        .db(move |db| db.claim(&claiming, Proof::PairingCode, now_seconds()))
        .await;
    match claimed {
        Ok(claim) => {
            broker.metrics.claim(claim.outcome());
            tracing::info!(outcome = ?ClaimLog(&claim), "pairing claim");
            if claim == Claim::Unknown {
                broker.guards.pairing_failures.failed();
            }
            claim_answer(&broker, &id, claim)
        }
        Err(e) => {
            tracing::error!(error = %e, "pairing claim failed");
            unavailable()
        }
    }
}

/// A claim's outcome for the log, without the sealed bytes or the key.
struct ClaimLog<'a>(&'a Claim);

impl std::fmt::Debug for ClaimLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Claim::Ready(service, ..) => write!(f, "ready({})", service.path()),
            Claim::Refused(reason) => write!(f, "refused({reason})"),
            other => write!(f, "{other:?}"),
        }
    }
}
