//! Ponte's side of the connect broker (`ponte-broker`): register a connect (its `state` and the
//! hash of a verifier that never leaves this process), then claim the tokens over Ponte's own
//! connection with the verifier and the return code: the code the broker's page handed back
//! to this Ponte's loopback listener, or that the merchant typed. The browser carries only the
//! service's code to the broker, and the return code back. The claim also issues this
//! installation's key, which later refreshes and the events feed carry.

use std::time::Duration;

use ponte_protocol as wire;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, PairingRefusal, Result, ReturnCodeRefusal, Service};
use crate::secrets::Secret;

/// Answers from the broker are small; anything larger is refused.
const MAX_ANSWER: usize = 64 * 1024;

/// What a connect gives.
pub enum Claimed {
    Nuvemshop {
        access_token: Secret,
        store_id: String,
        /// The token's scopes, as Nuvemshop granted them (`read_orders,write_orders`).
        scope: Option<String>,
        /// The installation's key to the store's webhook events, and where they start.
        events: Option<(Secret, i64)>,
    },
    Contaazul {
        access_token: Secret,
        refresh_token: Secret,
        expires_in: u64,
        /// The installation's key, which every refresh through the broker carries.
        key: Option<Secret>,
    },
}

impl Claimed {
    pub fn service(&self) -> Service {
        match self {
            Claimed::Nuvemshop { .. } => Service::Nuvemshop,
            Claimed::Contaazul { .. } => Service::Contaazul,
        }
    }
}

pub enum ClaimAnswer {
    /// The merchant has not finished in the browser yet.
    Pending,
    /// The service gave the tokens; the broker waits for the return code.
    Authorized,
    Ready(Claimed),
    /// The service (or the merchant) said no: its error code.
    Refused(String),
}

/// The secret half of a connect: 32 random bytes, hex.
pub fn new_verifier() -> Secret {
    Secret::new(hex::encode(rand::random::<[u8; 32]>()))
}

/// A code read off a broker page as typed (any case, spaces or a dash): eight letters and
/// digits, or `None`. Which eight is the broker's to judge.
pub fn normalise_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == 8 && code.chars().all(|c| c.is_ascii_alphanumeric())).then_some(code)
}

pub fn verifier_hash(verifier: &Secret) -> String {
    hex::encode(Sha256::digest(verifier.expose().as_bytes()))
}

fn path(service: Service) -> &'static str {
    match service {
        Service::Nuvemshop => "nuvemshop",
        Service::Contaazul => "contaazul",
    }
}

pub struct BrokerClient {
    http: reqwest::Client,
    base: String,
}

impl BrokerClient {
    pub fn new(config: &Config, base: &str) -> Result<BrokerClient> {
        let http = crate::http::client_builder()
            .user_agent(&config.user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
        Ok(BrokerClient {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    async fn post(
        &self,
        path: &str,
        body: impl serde::Serialize,
    ) -> Result<(u16, serde_json::Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let bytes = crate::http::read_capped(response, MAX_ANSWER)
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?
            .ok_or_else(|| Error::BrokerUnreachable("answer too large".into()))?;
        let value = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, value))
    }

    fn refusal(status: u16, body: &serde_json::Value) -> Error {
        let code = body
            .get("error")
            .and_then(|e| e.as_str())
            .unwrap_or("unknown");
        if status >= 500 {
            return Error::BrokerUnreachable(format!("{status} {code}"));
        }
        Error::Authorization(format!("the connect broker answered {status} {code}"))
    }

    /// Registers a connect before the browser opens; `port` is the loopback listener the
    /// broker's page sends the browser back to.
    pub async fn start(
        &self,
        service: Service,
        state: &str,
        verifier: &Secret,
        port: u16,
    ) -> Result<()> {
        let (status, body) = self
            .post(
                &format!("/connect/{}/start", path(service)),
                wire::StartRequest {
                    state: state.to_string(),
                    verifier_hash: verifier_hash(verifier),
                    port: Some(port),
                },
            )
            .await?;
        match status {
            201 => Ok(()),
            _ => Err(Self::refusal(status, &body)),
        }
    }

    /// Asks for the connect's result; the tokens come only with the return code.
    pub async fn claim(
        &self,
        state: &str,
        verifier: &Secret,
        return_code: Option<&str>,
    ) -> Result<ClaimAnswer> {
        let return_code = match return_code {
            Some(code) => {
                Some(normalise_code(code).ok_or(Error::ReturnCode(ReturnCodeRefusal::Malformed))?)
            }
            None => None,
        };
        let asked_with_code = return_code.is_some();
        let request = wire::ClaimRequest {
            state: state.to_string(),
            verifier: verifier.expose().to_string(),
            return_code,
        };
        let (status, body) = self.post("/connect/claim", request).await?;
        let error = body.get("error").and_then(|e| e.as_str()).unwrap_or("");
        match (status, error) {
            (202, _) => Self::claimed(body),
            // Slow down and keep waiting: the claim is still there.
            (429, _) => Ok(ClaimAnswer::Pending),
            (200, _) => Self::claimed(body),
            (403, "wrong_return_code") => Err(Error::ReturnCode(ReturnCodeRefusal::Wrong)),
            (400, _) if asked_with_code => Err(Error::ReturnCode(ReturnCodeRefusal::Malformed)),
            (410, "burnt") => Err(Error::ReturnCode(ReturnCodeRefusal::Burnt)),
            _ => Err(Self::refusal(status, &body)),
        }
    }

    /// The merchant disconnected: the broker forgets this installation's key. A key the
    /// broker no longer knows is as good as revoked.
    pub async fn revoke(&self, key: &Secret) -> Result<()> {
        let answer = self
            .http
            .delete(format!("{}/installation", self.base))
            .bearer_auth(key.expose())
            .send()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?;
        match answer.status().as_u16() {
            204 | 401 => Ok(()),
            status => Err(Error::BrokerUnreachable(format!(
                "revoking answered {status}"
            ))),
        }
    }

    /// The tokens of an install that started in the Nuvemshop admin, by its pairing code.
    pub async fn pair(&self, code: &str) -> Result<Claimed> {
        let Some(normalised) = normalise_code(code) else {
            return Err(Error::PairingCode(PairingRefusal::Malformed));
        };
        let (status, body) = self
            .post("/connect/pair", wire::PairRequest { code: normalised })
            .await?;
        match status {
            200 => match Self::claimed(body)? {
                ClaimAnswer::Ready(claimed) => Ok(claimed),
                _ => Err(Error::PairingCode(PairingRefusal::Unknown)),
            },
            400 => Err(Error::PairingCode(PairingRefusal::Malformed)),
            404 => Err(Error::PairingCode(PairingRefusal::Unknown)),
            410 => Err(Error::PairingCode(PairingRefusal::ExpiredOrUsed)),
            429 => Err(Error::PairingCode(PairingRefusal::TooManyAttempts)),
            _ => Err(Self::refusal(status, &body)),
        }
    }

    fn claimed(body: serde_json::Value) -> Result<ClaimAnswer> {
        let claim: wire::ClaimAnswer = serde_json::from_value(body)
            .map_err(|e| Error::Authorization(format!("unreadable claim answer: {e}")))?;
        Ok(match claim {
            wire::ClaimAnswer::Pending => ClaimAnswer::Pending,
            wire::ClaimAnswer::Authorized => ClaimAnswer::Authorized,
            wire::ClaimAnswer::Refused { error } => ClaimAnswer::Refused(error),
            wire::ClaimAnswer::Ready {
                tokens:
                    wire::Tokens::Nuvemshop {
                        access_token,
                        store_id,
                        scope,
                    },
                installation,
            } => ClaimAnswer::Ready(Claimed::Nuvemshop {
                access_token: Secret::new(access_token),
                store_id,
                scope,
                events: installation.map(|installation| {
                    (
                        Secret::new(installation.key),
                        installation.cursor.unwrap_or(0),
                    )
                }),
            }),
            wire::ClaimAnswer::Ready {
                tokens:
                    wire::Tokens::Contaazul {
                        access_token,
                        refresh_token,
                        expires_in,
                    },
                installation,
            } => ClaimAnswer::Ready(Claimed::Contaazul {
                access_token: Secret::new(access_token),
                refresh_token: Secret::new(refresh_token),
                expires_in,
                key: installation.map(|installation| Secret::new(installation.key)),
            }),
        })
    }
}
