//! Ponte's side of the connect broker (`ponte-broker`): register a connect (its `state` and the
//! hash of a verifier that never leaves this process), then claim the tokens with the verifier
//! over Ponte's own connection. The browser carries only the code, to the broker.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, PairingRefusal, Result, Service};
use crate::secrets::Secret;

/// Answers from the broker are small; anything larger is refused.
const MAX_ANSWER: usize = 64 * 1024;

/// What a connect gives.
pub enum Claimed {
    Nuvemshop {
        access_token: Secret,
        store_id: String,
        /// The installation's key to the store's webhook events, and where they start.
        events: Option<(Secret, i64)>,
    },
    Contaazul {
        access_token: Secret,
        refresh_token: Secret,
        expires_in: u64,
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
    Ready(Claimed),
    /// The service (or the merchant) said no: its error code.
    Refused(String),
}

#[derive(Deserialize)]
#[serde(tag = "service", rename_all = "lowercase")]
enum WireTokens {
    Nuvemshop {
        access_token: String,
        store_id: String,
    },
    Contaazul {
        access_token: String,
        refresh_token: String,
        expires_in: u64,
    },
}

#[derive(Deserialize)]
struct WireClaim {
    status: String,
    #[serde(default)]
    tokens: Option<WireTokens>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    events: Option<WireEvents>,
}

#[derive(Deserialize)]
struct WireEvents {
    key: String,
    #[serde(default)]
    cursor: i64,
}

/// The secret half of a connect: 32 random bytes, hex.
pub fn new_verifier() -> Secret {
    Secret::new(hex::encode(rand::random::<[u8; 32]>()))
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
        let http = reqwest::Client::builder()
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

    async fn post(&self, path: &str, body: serde_json::Value) -> Result<(u16, serde_json::Value)> {
        let mut response = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| Error::BrokerUnreachable(e.without_url().to_string()))?
        {
            if bytes.len() + chunk.len() > MAX_ANSWER {
                return Err(Error::BrokerUnreachable("answer too large".into()));
            }
            bytes.extend_from_slice(&chunk);
        }
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
                json!({ "state": state, "verifier_hash": verifier_hash(verifier), "port": port }),
            )
            .await?;
        match status {
            201 => Ok(()),
            _ => Err(Self::refusal(status, &body)),
        }
    }

    pub async fn claim(&self, state: &str, verifier: &Secret) -> Result<ClaimAnswer> {
        let (status, body) = self
            .post(
                "/connect/claim",
                json!({ "state": state, "verifier": verifier.expose() }),
            )
            .await?;
        match status {
            202 => Ok(ClaimAnswer::Pending),
            // Slow down and keep waiting: the claim is still there.
            429 => Ok(ClaimAnswer::Pending),
            200 => Self::claimed(body),
            _ => Err(Self::refusal(status, &body)),
        }
    }

    /// The tokens of an install that started in the Nuvemshop admin, by its pairing code.
    pub async fn pair(&self, code: &str) -> Result<Claimed> {
        let normalised: String = code
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if normalised.len() != 8 || !normalised.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::PairingCode(PairingRefusal::Malformed));
        }
        let (status, body) = self
            .post("/connect/pair", json!({ "code": normalised }))
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
        let claim: WireClaim = serde_json::from_value(body)
            .map_err(|e| Error::Authorization(format!("unreadable claim answer: {e}")))?;
        match (claim.status.as_str(), claim.tokens) {
            (
                "ready",
                Some(WireTokens::Nuvemshop {
                    access_token,
                    store_id,
                }),
            ) => Ok(ClaimAnswer::Ready(Claimed::Nuvemshop {
                access_token: Secret::new(access_token),
                store_id,
                events: claim
                    .events
                    .map(|events| (Secret::new(events.key), events.cursor)),
            })),
            (
                "ready",
                Some(WireTokens::Contaazul {
                    access_token,
                    refresh_token,
                    expires_in,
                }),
            ) => Ok(ClaimAnswer::Ready(Claimed::Contaazul {
                access_token: Secret::new(access_token),
                refresh_token: Secret::new(refresh_token),
                expires_in,
            })),
            ("refused", _) => Ok(ClaimAnswer::Refused(
                claim.error.unwrap_or_else(|| "refused".into()),
            )),
            (other, _) => Err(Error::Authorization(format!(
                "unexpected claim status {other}"
            ))),
        }
    }
}
