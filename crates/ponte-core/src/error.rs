//! Errors. Inside, a typed [`Error`] with English text for logs; at every boundary a merchant
//! sees, a [`Problem`]: a stable code the UI branches on, a Portuguese message and hint, and
//! the raw details for the support report.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub code: String,
    pub message: String,
    pub hint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl Problem {
    pub fn new(code: &str, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Problem {
            code: code.to_string(),
            message: message.into(),
            hint: hint.into(),
            details: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
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
    #[error("could not reach {}: {detail}", .service.name())]
    Unreachable { service: Service, detail: String },
    #[error("{} answered {status}: {body}", .service.name())]
    Api {
        service: Service,
        status: u16,
        body: String,
    },
    #[error("{} sent an answer Ponte cannot read: {detail}", .service.name())]
    Unreadable { service: Service, detail: String },
    #[error("authorization failed: {0}")]
    Authorization(String),
    #[error("the authorization did not come back in time")]
    AuthorizationTimeout,
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
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Transient: worth trying again later without the merchant doing anything.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Unreachable { .. } | Error::Unreadable { .. } => true,
            Error::Api { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }

    /// What the merchant reads, in Portuguese.
    pub fn problem(&self) -> Problem {
        let details = self.to_string();
        let problem = match self {
            Error::NotConnected(service) => Problem::new(
                "NOT_CONNECTED",
                format!("A {} ainda não está conectada.", service.name()),
                format!(
                    "Clique em Conectar com {} e autorize o acesso no navegador.",
                    service.name()
                ),
            ),
            Error::Disabled => Problem::new(
                "INTEGRATION_DISABLED",
                "A integração está desativada.",
                "Ligue a chave Integração ativada para voltar a importar as vendas.",
            ),
            Error::NoSeller => Problem::new(
                "NO_SELLER",
                "Nenhum vendedor foi escolhido.",
                "Escolha o vendedor que aparecerá nas vendas criadas pela integração.",
            ),
            Error::NuvemshopAccessRevoked => Problem::new(
                "NUVEMSHOP_ACCESS_CHANGED",
                "A integração foi desativada porque o acesso à Nuvemshop mudou.",
                "Clique em Refazer a integração e autorize o aplicativo na Nuvemshop de novo. \
                 Os pedidos pagos nesse meio-tempo serão importados depois.",
            ),
            Error::ContaAzulAccessRevoked => Problem::new(
                "CONTAAZUL_ACCESS_CHANGED",
                "A integração foi desativada porque o acesso à Conta Azul mudou.",
                "Clique em Refazer a integração e autorize o acesso à Conta Azul de novo. \
                 Os pedidos pagos nesse meio-tempo serão importados depois.",
            ),
            Error::Unreachable { service, .. } => Problem::new(
                "UNREACHABLE",
                format!("Não foi possível falar com a {}.", service.name()),
                "Verifique a conexão com a internet. O Ponte tentará de novo sozinho.",
            ),
            Error::Api {
                service, status, ..
            } if *status == 429 || *status >= 500 => Problem::new(
                "SERVICE_BUSY",
                format!("A {} está instável ou ocupada no momento.", service.name()),
                "Nada a fazer: o Ponte tentará de novo sozinho em instantes.",
            ),
            Error::Api { service, .. } | Error::Unreadable { service, .. } => Problem::new(
                "UNEXPECTED_ANSWER",
                format!("A {} respondeu de um jeito inesperado.", service.name()),
                "Tente de novo. Se continuar, copie o relatório para o suporte.",
            ),
            Error::Authorization(_) => Problem::new(
                "AUTHORIZATION_FAILED",
                "A autorização não foi concluída.",
                "Se a página não carregar, limpe o cache e verifique as configurações de cookies \
                 do navegador. Depois tente conectar de novo.",
            ),
            Error::AuthorizationTimeout => Problem::new(
                "AUTHORIZATION_TIMEOUT",
                "O navegador não voltou para o Ponte a tempo.",
                "Tente conectar de novo e conclua a autorização no navegador. Se a página não \
                 carregar, limpe o cache e verifique as configurações de cookies do navegador.",
            ),
            Error::Locked(_) => Problem::new(
                "DATA_DIR_LOCKED",
                "Outro Ponte já está sincronizando com estes dados.",
                "Feche a outra janela ou espere a sincronização dela terminar.",
            ),
            Error::DatabaseTooNew { .. } => Problem::new(
                "DATABASE_TOO_NEW",
                "Os dados foram gravados por uma versão mais nova do Ponte.",
                "Instale a versão mais recente do Ponte.",
            ),
            Error::Database(_) | Error::Io(_) | Error::Secrets(_) => Problem::new(
                "LOCAL_STORAGE",
                "O Ponte não conseguiu ler ou gravar seus dados neste computador.",
                "Verifique se há espaço em disco e permissão na pasta de dados. \
                 Se continuar, copie o relatório para o suporte.",
            ),
            Error::Config(_) => Problem::new(
                "CONFIGURATION",
                "A configuração do Ponte está incompleta.",
                "Confira as variáveis de ambiente PONTE_* e tente de novo.",
            ),
            Error::NotFound(_) => Problem::new(
                "NOT_FOUND",
                "Não encontrado.",
                "Confira o número informado.",
            ),
            Error::SimulatedCrash(_) => Problem::new("CRASH", "Interrompido.", "Tente de novo."),
        };
        problem.with_details(details)
    }
}
