//! The protocol between Ponte and its connect broker, written once: the broker serves these
//! types and the app reads them, so the two cannot disagree on a field's name or a status's
//! spelling. Plain data (serde only): tokens are `String` here, wrapped as secrets by each side
//! the moment they arrive.
//!
//! | route | request | answer |
//! |---|---|---|
//! | `POST /connect/{service}/start` | [`StartRequest`] | 201 [`StartAnswer`] |
//! | `POST /connect/claim` | [`ClaimRequest`] | [`ClaimAnswer`] (202 while pending) |
//! | `POST /connect/pair` | [`PairRequest`] | [`ClaimAnswer`] |
//! | `GET /events?after=N&wait=S` | | [`EventsPage`] |
//! | `POST /events/ack` | [`AckRequest`] | `{}` |
//! | any refusal | | [`Refusal`] |

use serde::{Deserialize, Serialize};

/// A connect registered before the browser opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRequest {
    pub state: String,
    /// SHA-256 of the verifier, hex: the broker never sees the verifier before the claim.
    pub verifier_hash: String,
    /// The loopback listener the broker's page sends the browser back to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartAnswer {
    /// Seconds the connect waits for its claim.
    pub expires_in: u64,
    /// The redirect registered with the service.
    pub redirect_uri: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub state: String,
    pub verifier: String,
    /// The one-time code the broker's page handed to the merchant's Ponte.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_code: Option<String>,
}

/// An install started in the Nuvemshop admin, claimed by the code its page showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairRequest {
    pub code: String,
}

/// Where a connect stands.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "lowercase")]
pub enum ClaimAnswer {
    /// The merchant has not finished in the browser yet.
    Pending,
    /// The service answered; the tokens need the return code.
    Authorized,
    /// The service (or the merchant) said no: its error code.
    Refused { error: String },
    /// The tokens, once, with the installation's key.
    Ready {
        tokens: Tokens,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        installation: Option<InstallationKey>,
    },
}

/// One service's tokens, as the claim hands them over.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "service", rename_all = "lowercase")]
pub enum Tokens {
    Nuvemshop {
        access_token: String,
        store_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<String>,
    },
    Contaazul {
        access_token: String,
        refresh_token: String,
        expires_in: u64,
    },
}

impl Tokens {
    /// Nuvemshop's store: its installation reads the store's events.
    pub fn store_id(&self) -> Option<&str> {
        match self {
            Tokens::Nuvemshop { store_id, .. } => Some(store_id),
            Tokens::Contaazul { .. } => None,
        }
    }
}

/// Never the tokens themselves.
impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tokens::Nuvemshop { store_id, .. } => write!(f, "Tokens::Nuvemshop({store_id})"),
            Tokens::Contaazul { expires_in, .. } => write!(f, "Tokens::Contaazul({expires_in}s)"),
        }
    }
}

/// Never the tokens themselves.
impl std::fmt::Debug for ClaimAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ClaimAnswer::Pending => write!(f, "Pending"),
            ClaimAnswer::Authorized => write!(f, "Authorized"),
            ClaimAnswer::Refused { error } => write!(f, "Refused({error})"),
            ClaimAnswer::Ready { tokens, .. } => write!(f, "Ready({tokens:?})"),
        }
    }
}

/// The key an installation of Ponte carries to refresh and to read its store's events, and
/// (Nuvemshop) where its events start.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallationKey {
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<i64>,
}

/// A page of the store's events, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsPage {
    pub events: Vec<FeedEvent>,
    /// The last event's id (the broker's word; the app keeps its own cursor).
    #[serde(default)]
    pub cursor: i64,
}

/// One webhook, as the store's installations read it: never a name, an e-mail, a document or an
/// amount.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEvent {
    pub id: i64,
    pub event: String,
    pub resource_id: String,
    /// The customer a customer request is about: its orders are checked against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub orders: Vec<String>,
    /// An LGPD request that came without Nuvemshop's signature.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AckRequest {
    pub up_to: i64,
}

/// Why the broker said no: a stable code and, for people, a description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub error: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The wire shapes as the broker has always served them.
    #[test]
    fn claim_answers_keep_their_wire_shape() {
        let ready = ClaimAnswer::Ready {
            tokens: Tokens::Nuvemshop {
                access_token: "t".into(),
                store_id: "1".into(),
                scope: Some("read_orders".into()),
            },
            installation: Some(InstallationKey {
                key: "k".into(),
                cursor: Some(3),
            }),
        };
        assert_eq!(
            serde_json::to_value(&ready).unwrap(),
            json!({"status": "ready",
                   "tokens": {"service": "nuvemshop", "access_token": "t", "store_id": "1",
                              "scope": "read_orders"},
                   "installation": {"key": "k", "cursor": 3}})
        );
        for (answer, wire) in [
            (ClaimAnswer::Pending, json!({"status": "pending"})),
            (ClaimAnswer::Authorized, json!({"status": "authorized"})),
            (
                ClaimAnswer::Refused {
                    error: "access_denied".into(),
                },
                json!({"status": "refused", "error": "access_denied"}),
            ),
        ] {
            assert_eq!(serde_json::to_value(&answer).unwrap(), wire);
            assert_eq!(serde_json::from_value::<ClaimAnswer>(wire).unwrap(), answer);
        }
        assert!(!format!("{ready:?}").contains("\"t\""));
    }

    #[test]
    fn a_verified_event_says_nothing_of_verification() {
        let event = FeedEvent {
            id: 1,
            event: "order/paid".into(),
            resource_id: "9".into(),
            customer: None,
            orders: vec![],
            unverified: false,
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"id": 1, "event": "order/paid", "resource_id": "9"})
        );
    }
}
