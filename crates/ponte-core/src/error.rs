//! Errors. Inside, a typed [`Error`] with English text for logs; at every boundary a merchant
//! sees, a [`Problem`]: a stable code the UI branches on, a Portuguese message and hint, and
//! the raw details for the support report.

use serde::{Deserialize, Serialize};

pub use crate::problem::{Problem, ProblemCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Nuvemshop,
    Contaazul,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Nuvemshop => "Nuvemshop",
            Service::Contaazul => "Conta Azul",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not connected to {}", .0.name())]
    NotConnected(Service),
    #[error("the integration is switched off")]
    Disabled,
    #[error("no seller chosen")]
    NoSeller,
    #[error("the Nuvemshop token stopped working (401)")]
    NuvemshopAccessRevoked,
    #[error("the Conta Azul refresh token was rejected (invalid_grant)")]
    ContaAzulAccessRevoked,
    #[error("Nuvemshop answered 402: the store or the app is suspended for lack of payment")]
    NuvemshopSuspended,
    /// The request never reached the service (the connection could not be made): nothing
    /// it asked for can have happened.
    #[error("could not reach {}: {detail}", .service.name())]
    Unreachable { service: Service, detail: String },
    /// The request may have reached the service, but no answer came back (a timeout, a
    /// connection cut mid-way): what it asked for may or may not have happened.
    #[error("no answer from {}: {detail}", .service.name())]
    NoAnswer { service: Service, detail: String },
    // Logs see the answer with personal data masked.
    #[error("{} answered {status}: {}", .service.name(), crate::privacy::redact(.body))]
    Api {
        service: Service,
        status: u16,
        body: String,
    },
    #[error("{} sent an answer Ponte cannot read: {}", .service.name(), crate::privacy::redact(.detail))]
    Unreadable { service: Service, detail: String },
    #[error("authorization failed: {0}")]
    Authorization(String),
    #[error("the authorization did not come back in time")]
    AuthorizationTimeout,
    /// Ponte's connect broker did not answer (its URL is compiled in, or `PONTE_BROKER_URL`).
    #[error("the connect broker could not be reached: {0}")]
    BrokerUnreachable(String),
    #[error("the pairing code was refused: {0:?}")]
    PairingCode(PairingRefusal),
    /// The code the broker's page showed after a consent, typed in Ponte, was not accepted.
    #[error("the return code was refused: {0:?}")]
    ReturnCode(ReturnCodeRefusal),
    #[error("another Ponte is using the data directory {0}")]
    Locked(String),
    #[error("database: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("the database was written by a newer Ponte (schema {found}, this one knows {known})")]
    DatabaseTooNew { found: i64, known: i64 },
    #[error("secret store: {0}")]
    Secrets(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    NotFound(String),
    #[error("simulated crash at {0}")]
    SimulatedCrash(&'static str),
    /// A value the merchant gave is out of bounds (a usage error: exit 2 in the CLI).
    #[error("invalid input: {}", .0.message)]
    Invalid(Problem),
}

pub use crate::problem::{PairingRefusal, ReturnCodeRefusal};

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Transient: worth trying again later without the merchant doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. }
            | Error::NoAnswer { .. }
            | Error::Unreadable { .. }
            | Error::BrokerUnreachable(_) => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// What the merchant reads, in Portuguese.
    pub fn problem(&self) -> Problem {
        let details = self.to_string();
        let problem = match self {
            Error::NotConnected(service) => Problem::not_connected(service.name()),
            Error::Disabled => Problem::of(ProblemCode::IntegrationDisabled),
            Error::NoSeller => Problem::of(ProblemCode::NoSeller),
            Error::NuvemshopAccessRevoked => Problem::of(ProblemCode::NuvemshopAccessChanged),
            Error::ContaAzulAccessRevoked => Problem::of(ProblemCode::ContaazulAccessChanged),
            Error::NuvemshopSuspended => Problem::of(ProblemCode::NuvemshopSuspended),
            Error::Unreachable { service, .. } | Error::NoAnswer { service, .. } => {
                Problem::unreachable(service.name())
            }
            Error::Api {
                service, status, ..
            } if *status == 429 || *status >= 500 => Problem::service_busy(service.name()),
            Error::Api { service, .. } | Error::Unreadable { service, .. } => {
                Problem::unexpected_service_answer(service.name())
            }
            Error::Authorization(_) => Problem::of(ProblemCode::AuthorizationFailed),
            Error::AuthorizationTimeout => Problem::of(ProblemCode::AuthorizationTimeout),
            Error::BrokerUnreachable(_) => Problem::of(ProblemCode::ConnectServiceUnreachable),
            Error::PairingCode(refusal) => Problem::pairing_code_refused(*refusal),
            Error::ReturnCode(refusal) => Problem::return_code_refused(*refusal),
            Error::Locked(_) => Problem::of(ProblemCode::DataDirLocked),
            Error::DatabaseTooNew { .. } => Problem::of(ProblemCode::DatabaseTooNew),
            Error::Database(_) | Error::Io(_) | Error::Secrets(_) => {
                Problem::of(ProblemCode::LocalStorage)
            }
            Error::Config(_) => Problem::of(ProblemCode::Configuration),
            Error::NotFound(_) => Problem::of(ProblemCode::NotFound),
            Error::SimulatedCrash(_) => Problem::of(ProblemCode::Crash),
            Error::Invalid(problem) => return problem.clone(),
        };
        problem.with_details(details)
    }
}
