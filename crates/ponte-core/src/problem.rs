//! What a merchant reads when something did not work: a stable [`ProblemCode`] the window and
//! the CLI branch on, a Portuguese message and a Portuguese hint (what to do). Every sentence
//! of that kind lives in this module, so the two shells say the same thing the same way.

use serde::{Deserialize, Serialize};

/// Why an order was not imported, or why a command did not work. Serialised as
/// `SCREAMING_SNAKE_CASE` (`STOCK_VALIDATION`): the codes are part of the CLI's JSON contract
/// and are stored in the ledger, so a code is never renamed.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
    ts_rs::TS,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum ProblemCode {
    // An order that cannot become a sale as it is (R18).
    InvalidOrderData,
    OrderWithoutProducts,
    LineWithoutName,
    InvalidQuantity,
    InvalidPrice,
    CustomerWithoutName,
    InvalidDocument,
    // Conta Azul refused something (R19–R21).
    StockValidation,
    ProductProblem,
    ProductInactive,
    ProductAmbiguous,
    CustomerRefused,
    PaymentTypeRefused,
    ContaazulRefused,
    // The integration as a whole.
    NotConnected,
    IntegrationDisabled,
    NoSeller,
    NuvemshopAccessChanged,
    ContaazulAccessChanged,
    NuvemshopSuspended,
    Unreachable,
    ServiceBusy,
    UnexpectedAnswer,
    AuthorizationFailed,
    AuthorizationTimeout,
    DataDirLocked,
    DatabaseTooNew,
    LocalStorage,
    Configuration,
    NotFound,
    BadRequest,
    BadInterval,
    Crash,
    ConnectServiceUnreachable,
    PairingCodeRefused,
    ReturnCodeRefused,
    // Several stores in one Ponte.
    BadProfileName,
    UnknownProfile,
    StoreInAnotherProfile,
}

/// The *Integração ativada* switch's words, as every screen, the tray and the CLI say them.
pub fn integration_label(enabled: bool) -> &'static str {
    if enabled {
        "Integração ativada"
    } else {
        "Integração desativada"
    }
}

/// A count as the merchant reads it, with the word in the number it needs: `1 pedido`,
/// `3 pedidos`, `0 pedidos` (never `pedido(s)`).
pub fn count(n: impl Into<u64>, one: &str, many: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Why a pairing code (an install started in the Nuvemshop admin) was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairingRefusal {
    /// Not 8 letters and digits.
    Malformed,
    Unknown,
    /// Older than 10 minutes, or already used.
    ExpiredOrUsed,
    TooManyAttempts,
}

impl PairingRefusal {
    pub(crate) fn message(self) -> &'static str {
        match self {
            PairingRefusal::Malformed => "O código tem 8 letras e números, como ABCD-2345.",
            PairingRefusal::Unknown => "Código não encontrado.",
            PairingRefusal::ExpiredOrUsed => "Este código expirou ou já foi usado.",
            PairingRefusal::TooManyAttempts => {
                "Muitas tentativas seguidas. Espere um minuto e tente de novo."
            }
        }
    }
}

/// Why the code the broker's page showed after a consent was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReturnCodeRefusal {
    /// Not 8 letters and digits.
    Malformed,
    /// Not this connect's code.
    Wrong,
    /// Too many wrong codes: the broker dropped the authorization.
    Burnt,
    /// The service has not answered the broker yet.
    NotYet,
    /// No connect is waiting for a code.
    NoConnect,
    /// A `ponte://` link that is not the way back of a connect in progress here.
    NotThisConnect,
}

const RETRY_OR_REPORT: &str =
    "Clique em Tentar novamente. Se continuar, use Copiar relatório para o suporte.";

/// The R20 hint: look the product up the way the article says.
const PRODUCT_HINT: &str = "Confira o cadastro em Estoque > Situação de estoque: pesquise pela \
     descrição exata do produto e, em Exibir opções de busca avançada, marque Mostrar produtos \
     com saldo zero. Ajuste o cadastro e clique em Tentar novamente.";

impl ProblemCode {
    /// `STOCK_VALIDATION`: the code as the CLI prints it and the ledger stores it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub const ALL: &'static [ProblemCode] = <ProblemCode as strum::VariantArray>::VARIANTS;

    /// The code read back from the ledger; an unknown one is an error, never a guess.
    pub fn parse(text: &str) -> Option<ProblemCode> {
        text.parse().ok()
    }

    /// What the merchant does about it, in Portuguese.
    pub fn hint(self) -> &'static str {
        match self {
            ProblemCode::InvalidOrderData => {
                "Confira o pedido na Nuvemshop (itens, quantidades, preços e total). Se estiver \
                 certo, lance esta venda manualmente na Conta Azul; se não, corrija-o e clique em \
                 Tentar novamente."
            }
            ProblemCode::OrderWithoutProducts => {
                "Confira o pedido na Nuvemshop. Se estiver certo, lance a venda manualmente na \
                 Conta Azul."
            }
            ProblemCode::LineWithoutName => {
                "Confira os produtos do pedido na Nuvemshop e clique em Tentar novamente."
            }
            ProblemCode::InvalidQuantity => {
                "Confira as quantidades do pedido na Nuvemshop e clique em Tentar novamente."
            }
            ProblemCode::InvalidPrice => {
                "Confira os preços do pedido na Nuvemshop e clique em Tentar novamente."
            }
            ProblemCode::CustomerWithoutName => {
                "Confira os dados do cliente no pedido na Nuvemshop e clique em Tentar novamente."
            }
            ProblemCode::InvalidDocument => {
                "Corrija o CPF ou CNPJ do cliente na Nuvemshop e clique em Tentar novamente, ou \
                 lance esta venda manualmente na Conta Azul."
            }
            ProblemCode::StockValidation => {
                "Desative a verificação em Configurações e plano > Mais configurações > Estoque > \
                 Configurações do estoque > Permissões do estoque, ou ajuste o estoque do produto. \
                 Depois clique em Tentar novamente."
            }
            ProblemCode::ProductProblem
            | ProblemCode::ProductInactive
            | ProblemCode::ProductAmbiguous => PRODUCT_HINT,
            ProblemCode::CustomerRefused => {
                "Confira os dados do cliente no pedido (nome, CPF/CNPJ, e-mail) e clique em \
                 Tentar novamente. Se continuar, use Copiar relatório para o suporte."
            }
            ProblemCode::PaymentTypeRefused => {
                "Em Configurações > Forma de pagamento na Conta Azul, escolha outra forma para \
                 este meio de pagamento (ou deixe Dinheiro, à vista) e clique em Salvar. Depois \
                 clique em Tentar novamente."
            }
            ProblemCode::ContaazulRefused => {
                "Clique em Tentar novamente. Se o erro continuar, use Copiar relatório para o \
                 suporte e envie o relatório com a URL do pedido na Nuvemshop."
            }
            ProblemCode::NotConnected => "Clique em Conectar e autorize o acesso no navegador.",
            ProblemCode::IntegrationDisabled => {
                "Ligue a chave Integração ativada para voltar a importar as vendas."
            }
            ProblemCode::NoSeller => {
                "Escolha o vendedor que aparecerá nas vendas criadas pela integração."
            }
            ProblemCode::NuvemshopAccessChanged => {
                "Clique em Refazer a integração e autorize o aplicativo na Nuvemshop de novo. \
                 Os pedidos pagos nesse meio-tempo serão importados depois."
            }
            ProblemCode::ContaazulAccessChanged => {
                "Clique em Refazer a integração e autorize o acesso à Conta Azul de novo. \
                 Os pedidos pagos nesse meio-tempo serão importados depois."
            }
            ProblemCode::NuvemshopSuspended => {
                "Regularize o pagamento do plano da loja ou do aplicativo na Nuvemshop e depois \
                 ligue a chave Integração ativada. Os pedidos pagos nesse meio-tempo serão \
                 importados depois."
            }
            ProblemCode::Unreachable => {
                "Verifique a conexão com a internet. O Ponte tentará de novo sozinho."
            }
            ProblemCode::ServiceBusy => {
                "Nada a fazer: o Ponte tentará de novo sozinho em instantes."
            }
            ProblemCode::UnexpectedAnswer => {
                "Tente de novo. Se continuar, copie o relatório para o suporte."
            }
            ProblemCode::AuthorizationFailed => {
                "Se a página não carregar, limpe o cache e verifique as configurações de cookies \
                 do navegador. Depois tente conectar de novo."
            }
            ProblemCode::AuthorizationTimeout => {
                "Tente conectar de novo e conclua a autorização no navegador. Se a página não \
                 carregar, limpe o cache e verifique as configurações de cookies do navegador."
            }
            ProblemCode::DataDirLocked => {
                "Feche a outra janela ou espere a sincronização dela terminar."
            }
            ProblemCode::DatabaseTooNew => "Instale a versão mais recente do Ponte.",
            ProblemCode::LocalStorage => {
                "Verifique se há espaço em disco e permissão na pasta de dados. Se continuar, \
                 copie o relatório para o suporte."
            }
            ProblemCode::Configuration => {
                "Instale a versão mais recente do Ponte. Se você configurou o Ponte com \
                 variáveis de ambiente (PONTE_*), confira-as e tente de novo."
            }
            ProblemCode::NotFound => "Confira o número informado.",
            ProblemCode::BadRequest => "Confira o que foi pedido e tente de novo.",
            ProblemCode::BadInterval => "Escolha um valor entre 1 e 1440 minutos.",
            ProblemCode::BadProfileName => {
                "Escolha um nome com letras sem acento, números e hífen, como loja-2."
            }
            ProblemCode::UnknownProfile => {
                "Confira o nome com ponte profiles, ou adicione a loja com ponte profiles add."
            }
            ProblemCode::StoreInAnotherProfile => {
                "Cada loja entra uma vez no Ponte, senão as vendas seriam lançadas duas vezes. \
                 Para conectar outra loja, saia desta conta no painel da Nuvemshop e entre na \
                 outra antes de autorizar."
            }
            ProblemCode::Crash => "Tente de novo.",
            ProblemCode::ConnectServiceUnreachable => {
                "Verifique a conexão com a internet e clique em Conectar de novo."
            }
            ProblemCode::PairingCodeRefused => {
                "Confira o código na página da Nuvemshop. Se passou de 10 minutos, instale o \
                 aplicativo de novo pela Nuvemshop para receber outro, ou clique em Conectar \
                 com Nuvemshop."
            }
            ProblemCode::ReturnCodeRefused => {
                "Confira o código que a página do navegador mostrou depois da autorização e \
                 digite-o de novo. Depois de cinco erros, a autorização é cancelada por \
                 segurança."
            }
        }
    }

    /// The message when nothing more specific is known, in Portuguese.
    pub fn message(self) -> &'static str {
        match self {
            ProblemCode::InvalidOrderData => {
                "Os dados deste pedido vieram num formato que o Ponte não entende."
            }
            ProblemCode::OrderWithoutProducts => "O pedido não tem produtos.",
            ProblemCode::LineWithoutName => "Um item do pedido não tem descrição.",
            ProblemCode::InvalidQuantity => "Um item do pedido tem quantidade inválida.",
            ProblemCode::InvalidPrice => "Um item do pedido tem preço negativo.",
            ProblemCode::CustomerWithoutName => "O pedido não tem o nome do cliente.",
            ProblemCode::InvalidDocument => "O CPF/CNPJ do cliente no pedido não é válido.",
            ProblemCode::StockValidation => {
                "A Conta Azul recusou a venda: Verificar estoque ao criar uma venda está ativado \
                 e um produto do pedido não tem estoque suficiente."
            }
            ProblemCode::ProductProblem => "A Conta Azul recusou um produto do pedido.",
            ProblemCode::ProductInactive => "Um produto do pedido está inativo na Conta Azul.",
            ProblemCode::ProductAmbiguous => {
                "Há mais de um produto com a mesma descrição na Conta Azul."
            }
            ProblemCode::CustomerRefused => "A Conta Azul não aceitou o cadastro do cliente.",
            ProblemCode::PaymentTypeRefused => {
                "A Conta Azul não aceitou a forma de pagamento escolhida para este pedido."
            }
            ProblemCode::ContaazulRefused => "A Conta Azul recusou a venda.",
            ProblemCode::NotConnected => "Uma das contas ainda não está conectada.",
            ProblemCode::IntegrationDisabled => "A integração está desativada.",
            ProblemCode::NoSeller => "Nenhum vendedor foi escolhido.",
            ProblemCode::NuvemshopAccessChanged => {
                "A integração foi desativada porque o acesso à Nuvemshop mudou."
            }
            ProblemCode::ContaazulAccessChanged => {
                "A integração foi desativada porque o acesso à Conta Azul mudou."
            }
            ProblemCode::NuvemshopSuspended => {
                "Loja suspensa na Nuvemshop: a integração foi desativada porque a Nuvemshop \
                 suspendeu o acesso da loja ou do aplicativo por falta de pagamento."
            }
            ProblemCode::Unreachable => "Não foi possível falar com o serviço.",
            ProblemCode::ServiceBusy => "O serviço está instável ou ocupado no momento.",
            ProblemCode::UnexpectedAnswer => "O serviço respondeu de um jeito inesperado.",
            ProblemCode::AuthorizationFailed => "A autorização não foi concluída.",
            ProblemCode::AuthorizationTimeout => "O navegador não voltou para o Ponte a tempo.",
            ProblemCode::DataDirLocked => "Outro Ponte já está sincronizando com estes dados.",
            ProblemCode::DatabaseTooNew => {
                "Os dados foram gravados por uma versão mais nova do Ponte."
            }
            ProblemCode::LocalStorage => {
                "O Ponte não conseguiu ler ou gravar seus dados neste computador."
            }
            ProblemCode::Configuration => "Esta instalação do Ponte está incompleta.",
            ProblemCode::NotFound => "Não encontrado.",
            ProblemCode::BadRequest => "Pedido inválido.",
            ProblemCode::BadInterval => "O intervalo deve ficar entre 1 minuto e 24 horas.",
            ProblemCode::BadProfileName => "Esse nome de perfil não serve.",
            ProblemCode::UnknownProfile => "Esse perfil não existe neste computador.",
            ProblemCode::StoreInAnotherProfile => "Essa loja já está em outro perfil do Ponte.",
            ProblemCode::Crash => "Interrompido.",
            ProblemCode::ConnectServiceUnreachable => {
                "Não foi possível falar com o serviço de conexão do Ponte."
            }
            ProblemCode::PairingCodeRefused => "O código de conexão não foi aceito.",
            ProblemCode::ReturnCodeRefused => "O código não foi aceito.",
        }
    }
}

/// `problem.code == "STOCK_VALIDATION"`: codes compare with their names.
impl PartialEq<&str> for ProblemCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Problem {
    pub code: ProblemCode,
    pub message: String,
    pub hint: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
}

impl From<ProblemCode> for Problem {
    fn from(code: ProblemCode) -> Self {
        Problem {
            code,
            message: code.message().to_string(),
            hint: code.hint().to_string(),
            details: None,
        }
    }
}

impl Problem {
    /// The code's own message and hint.
    pub fn of(code: ProblemCode) -> Self {
        code.into()
    }

    /// The code's hint with a more precise message.
    pub fn saying(code: ProblemCode, message: impl Into<String>) -> Self {
        Problem {
            message: message.into(),
            ..code.into()
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }

    /// A folder the merchant named for Ponte's files, refused.
    pub fn folder_refused(refusal: crate::files::FolderRefusal) -> Self {
        let message = match refusal {
            crate::files::FolderRefusal::Relative => "Informe o caminho completo da pasta.",
            crate::files::FolderRefusal::Network => {
                "Escolha uma pasta deste computador: pastas de rede não são aceitas."
            }
        };
        Problem::saying(ProblemCode::BadRequest, message)
    }

    /// The code typed to finish a connect, refused: what happened and what to do.
    pub fn return_code_refused(refusal: ReturnCodeRefusal) -> Self {
        use ReturnCodeRefusal::*;
        let again = "Clique em Conectar de novo e autorize o acesso no navegador.";
        let (message, hint) = match refusal {
            Malformed => ("O código tem 8 letras e números, como ABCD-2345.", None),
            Wrong => ("Código incorreto.", None),
            Burnt => (
                "Muitas tentativas com o código errado: esta autorização foi cancelada por \
                 segurança.",
                Some(again),
            ),
            NotYet => (
                "A autorização ainda não foi concluída no navegador.",
                Some(
                    "Conclua a autorização na página que abriu no navegador e digite o código \
                     que aparecer no final.",
                ),
            ),
            NoConnect => (
                "Nenhuma conexão está esperando um código agora.",
                Some(again),
            ),
            NotThisConnect => (
                "Este link de volta não é de uma conexão em andamento neste Ponte (talvez o \
                 Ponte tenha sido fechado durante a autorização).",
                Some(again),
            ),
        };
        let problem = Problem::saying(ProblemCode::ReturnCodeRefused, message);
        match hint {
            Some(hint) => Problem {
                hint: hint.to_string(),
                ..problem
            },
            None => problem,
        }
    }

    // --- Order problems that name what is wrong -----------------------------------------------

    pub fn invalid_order(detail: impl Into<String>) -> Self {
        Problem::of(ProblemCode::InvalidOrderData).with_details(detail)
    }

    /// The order can be read, but its numbers cannot be right (overflow, absurd sizes, a total
    /// that does not match its lines).
    pub fn implausible_order(what: &str) -> Self {
        Problem::saying(
            ProblemCode::InvalidOrderData,
            format!("Os valores deste pedido não fecham: {what}."),
        )
    }

    pub fn line_without_name(position: usize) -> Self {
        Problem::saying(
            ProblemCode::LineWithoutName,
            format!("O item {position} do pedido não tem descrição."),
        )
    }

    pub fn invalid_quantity(description: &str, quantity: i64) -> Self {
        Problem::saying(
            ProblemCode::InvalidQuantity,
            format!("O item “{description}” tem quantidade {quantity}."),
        )
    }

    pub fn negative_price(description: &str) -> Self {
        Problem::saying(
            ProblemCode::InvalidPrice,
            format!("O item “{description}” tem preço negativo."),
        )
    }

    pub fn invalid_document(text: &str) -> Self {
        Problem::saying(
            ProblemCode::InvalidDocument,
            format!("O CPF/CNPJ do cliente no pedido não é válido ({text})."),
        )
    }

    // --- Conta Azul refusals (R19–R21) ---------------------------------------------------------

    pub fn stock_validation(product: Option<&str>) -> Self {
        let product = product.unwrap_or("do pedido");
        Problem::saying(
            ProblemCode::StockValidation,
            format!(
                "A Conta Azul recusou a venda: Verificar estoque ao criar uma venda está ativado \
                 e o produto “{product}” não tem estoque suficiente."
            ),
        )
    }

    pub fn product_refused(product: Option<&str>) -> Self {
        match product {
            Some(name) => Problem::saying(
                ProblemCode::ProductProblem,
                format!("A Conta Azul recusou o produto “{name}”."),
            ),
            None => Problem::of(ProblemCode::ProductProblem),
        }
    }

    pub fn product_inactive(description: &str) -> Self {
        Problem::saying(
            ProblemCode::ProductInactive,
            format!("O produto “{description}” está inativo na Conta Azul."),
        )
    }

    pub fn product_ambiguous(description: &str) -> Self {
        Problem::saying(
            ProblemCode::ProductAmbiguous,
            format!("Há mais de um produto com a descrição “{description}” na Conta Azul."),
        )
    }

    pub fn customer_refused(name: &str, message: &str) -> Self {
        Problem::saying(
            ProblemCode::CustomerRefused,
            format!("A Conta Azul não aceitou o cadastro do cliente “{name}”: {message}"),
        )
    }

    /// R5, when Nuvemshop said why: the merchant removed the app from the store.
    pub fn app_removed_from_store() -> Self {
        Problem::saying(
            ProblemCode::NuvemshopAccessChanged,
            "O aplicativo Ponte foi removido da loja na Nuvemshop, e a integração foi \
             desativada."
                .to_string(),
        )
    }

    /// A backfill's period that starts after the activation date.
    pub fn period_after_activation(activation_date: &str) -> Self {
        Problem {
            message: format!("O período começa depois da data de ativação ({activation_date})."),
            hint: "Os pedidos pagos desde a ativação já são importados automaticamente. \
                   Escolha um período anterior a ela."
                .into(),
            ..ProblemCode::BadRequest.into()
        }
    }

    /// A period the merchant typed that cannot be read or used.
    pub fn bad_period(message: String, hint: &str) -> Self {
        Problem {
            message,
            hint: hint.into(),
            ..ProblemCode::BadRequest.into()
        }
    }

    /// A backfill asked for before the integration was ever switched on.
    pub fn never_activated() -> Self {
        Problem {
            message: "A integração ainda não foi ativada.".into(),
            hint: "Ative a integração primeiro: os pedidos pagos desde a ativação são \
                   importados automaticamente, e a importação de pedidos anteriores vale para \
                   antes dessa data."
                .into(),
            ..ProblemCode::IntegrationDisabled.into()
        }
    }

    /// A payment table naming a type Conta Azul does not have.
    pub fn unknown_payment_type(reason: &str) -> Self {
        Problem {
            message: format!("Forma de pagamento não reconhecida: {reason}."),
            hint: "Escolha uma das formas de pagamento da lista.".into(),
            ..ProblemCode::Configuration.into()
        }
    }

    /// Something of the merchant's computer failed (a setting the window changes in the
    /// system): `message` says what.
    pub fn of_the_system(message: &str) -> Self {
        Problem {
            message: message.to_string(),
            ..ProblemCode::Unreachable.into()
        }
    }

    /// The desktop window could not be built.
    pub fn window_not_created() -> Self {
        Problem {
            message: "A janela do Ponte não pôde ser criada.".into(),
            hint: "Reinicie o computador e abra o Ponte de novo. Se continuar, envie o registro \
                   ao suporte."
                .into(),
            ..ProblemCode::Crash.into()
        }
    }

    /// *Modo demonstração* could not start its simulated services.
    pub fn demo_not_started() -> Self {
        Problem {
            message: "O modo demonstração não pôde começar.".into(),
            hint: "Feche outros programas que usem a rede local e abra o Ponte de novo.".into(),
            ..ProblemCode::Configuration.into()
        }
    }

    /// Windows without the WebView2 runtime.
    pub fn webview_missing() -> Self {
        Problem {
            message: "O Ponte precisa do Microsoft Edge WebView2, que não está instalado neste \
                      computador."
                .into(),
            hint: "Instale o WebView2 Runtime pelo site da Microsoft \
                   (developer.microsoft.com/microsoft-edge/webview2) e abra o Ponte de novo."
                .into(),
            ..ProblemCode::Configuration.into()
        }
    }

    /// `ponte payments --set` with an entry it cannot read.
    pub fn unknown_payment_entry(why: &str) -> Self {
        Problem {
            message: format!("Forma de pagamento não reconhecida: {why}."),
            hint: "Use METODO=TIPO, como credit_card=CARTAO_CREDITO:parcelas ou \
                   pix=PIX_PAGAMENTO_INSTANTANEO."
                .into(),
            ..ProblemCode::Configuration.into()
        }
    }

    /// `ponte connect contaazul --code`: pairing codes come from the Nuvemshop admin only.
    pub fn pairing_code_for_contaazul() -> Self {
        Problem {
            message: "O código de conexão vale só para a Nuvemshop.".into(),
            ..ProblemCode::BadRequest.into()
        }
    }

    pub fn pairing_code_refused(refusal: PairingRefusal) -> Self {
        Problem {
            message: refusal.message().to_string(),
            ..Problem::of(ProblemCode::PairingCodeRefused)
        }
    }

    pub fn payment_type_refused(message: &str) -> Self {
        Problem::saying(
            ProblemCode::PaymentTypeRefused,
            format!("A Conta Azul não aceitou a forma de pagamento da venda: {message}"),
        )
    }

    pub fn sale_refused(message: &str) -> Self {
        Problem::saying(
            ProblemCode::ContaazulRefused,
            format!("A Conta Azul recusou a venda: {message}"),
        )
    }

    /// An answer Ponte did not expect while importing one order (a 4xx on a search, a body
    /// that does not decode): that order fails, the others go on.
    pub fn unexpected_answer(service: &str) -> Self {
        Problem {
            message: format!("A {service} respondeu de um jeito inesperado a este pedido."),
            hint: RETRY_OR_REPORT.to_string(),
            ..ProblemCode::UnexpectedAnswer.into()
        }
    }

    // --- The integration -----------------------------------------------------------------------

    pub fn not_connected(service: &str) -> Self {
        Problem {
            code: ProblemCode::NotConnected,
            message: format!("A {service} ainda não está conectada."),
            hint: format!("Clique em Conectar com {service} e autorize o acesso no navegador."),
            details: None,
        }
    }

    /// An account disconnected after activation: nothing is imported until it is back.
    pub fn disconnected(service: &str) -> Self {
        Problem {
            code: ProblemCode::NotConnected,
            message: format!(
                "A {service} não está conectada: nenhuma venda é importada até reconectar."
            ),
            hint: "Os pedidos pagos nesse meio-tempo serão importados depois de conectar."
                .to_string(),
            details: None,
        }
    }

    /// The accesses kept on this computer could not be opened (their key left the keychain).
    pub fn tokens_lost() -> Self {
        Problem {
            message: "É preciso conectar as contas de novo: o acesso guardado neste computador \
                      não pôde ser aberto (a chave no chaveiro do sistema mudou)."
                .to_string(),
            hint: "Clique em Refazer a integração. Nada se perde: os pedidos pagos nesse \
                   meio-tempo serão importados depois."
                .to_string(),
            ..ProblemCode::NotConnected.into()
        }
    }

    /// Conta Azul's rotated access could not be written to this computer yet.
    pub fn tokens_not_saved() -> Self {
        Problem {
            message: "O Ponte não conseguiu gravar neste computador o novo acesso à Conta Azul."
                .to_string(),
            hint: "Verifique se há espaço em disco e permissão na pasta de dados. A integração \
                   continua enquanto o Ponte estiver aberto; se ele for fechado antes de gravar, \
                   será preciso conectar a Conta Azul de novo."
                .to_string(),
            ..ProblemCode::LocalStorage.into()
        }
    }

    pub fn unreachable(service: &str) -> Self {
        Problem::saying(
            ProblemCode::Unreachable,
            format!("Não foi possível falar com a {service}."),
        )
    }

    pub fn service_busy(service: &str) -> Self {
        Problem::saying(
            ProblemCode::ServiceBusy,
            format!("A {service} está instável ou ocupada no momento."),
        )
    }

    pub fn unexpected_service_answer(service: &str) -> Self {
        Problem::saying(
            ProblemCode::UnexpectedAnswer,
            format!("A {service} respondeu de um jeito inesperado."),
        )
    }

    pub fn unknown_account(name: &str) -> Self {
        Problem::saying(
            ProblemCode::BadRequest,
            format!("Conta desconhecida: {name}"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_word_the_number_needs() {
        assert_eq!(count(1u64, "pedido", "pedidos"), "1 pedido");
        assert_eq!(count(0u64, "pedido", "pedidos"), "0 pedidos");
        assert_eq!(count(12u64, "venda", "vendas"), "12 vendas");
    }

    #[test]
    fn every_code_reads_back_and_serialises_as_its_name() {
        for &code in ProblemCode::ALL {
            assert_eq!(ProblemCode::parse(code.as_str()), Some(code));
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::Value::String(code.as_str().to_string())
            );
            assert!(
                !code.hint().is_empty() && !code.message().is_empty(),
                "{code}"
            );
        }
        assert_eq!(ProblemCode::parse("SOMETHING_ELSE"), None);
    }

    #[test]
    fn r19_r20_hints_say_where_to_look() {
        assert!(ProblemCode::StockValidation
            .hint()
            .contains("Configurações do estoque > Permissões do estoque"));
        assert!(ProblemCode::ProductInactive
            .hint()
            .contains("Mostrar produtos com saldo zero"));
        assert!(Problem::stock_validation(Some("Caneca"))
            .message
            .contains("“Caneca”"));
    }
}

/// Whether sales arrive within seconds (the broker's webhooks) or at the next periodic check,
/// and why; the dashboard's line under the toggle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstantState {
    Active,
    Starting,
    /// Nothing listens in this process (`ponte status` while no `ponte sync` or window runs):
    /// instant import comes on with the app.
    Idle,
    /// Ponte connects directly (development): no broker, no webhooks.
    NoBroker,
    NotConnected,
    /// Connected before instant import existed, or the broker forgot this installation.
    NeedsReconnect,
    BrokerUnreachable,
    /// Nuvemshop did not accept the webhook registration.
    NotRegistered,
}

impl InstantState {
    pub fn is_active(self) -> bool {
        self == InstantState::Active
    }

    pub fn message(self) -> &'static str {
        match self {
            InstantState::Active => "Importação instantânea ativa: as vendas pagas chegam à \
                 Conta Azul em segundos, e a verificação periódica continua como garantia.",
            InstantState::Starting => "Ligando a importação instantânea…",
            InstantState::Idle => "A importação instantânea funciona enquanto o Ponte está \
                 aberto; ao abri-lo, as vendas pagas nesse meio-tempo são importadas.",
            InstantState::NoBroker => "Só a verificação periódica está funcionando: este Ponte \
                 foi configurado sem o serviço de conexão, que recebe os avisos da Nuvemshop.",
            InstantState::NotConnected => "Só a verificação periódica está funcionando: conecte \
                 a Nuvemshop para receber os avisos de vendas pagas.",
            InstantState::NeedsReconnect => "Só a verificação periódica está funcionando: \
                 desconecte e conecte a Nuvemshop de novo para ativar a importação instantânea.",
            InstantState::BrokerUnreachable => "Só a verificação periódica está funcionando: o \
                 serviço de conexão do Ponte não responde agora. O Ponte tenta de novo sozinho.",
            InstantState::NotRegistered => "Só a verificação periódica está funcionando: a \
                 Nuvemshop ainda não aceitou o aviso de vendas pagas. O Ponte tenta de novo sozinho.",
        }
    }
}

/// The title of the notification for an order that failed: its number, never its buyer.
pub fn order_not_imported_title(number: u64) -> String {
    format!("Pedido #{number} não importado")
}

/// The notification for several orders that failed in one check: one notification, not one
/// each (a catch-up may fail dozens at once).
pub fn orders_not_imported(numbers: &[u64]) -> (String, String) {
    let title = count(
        numbers.len() as u64,
        "pedido não importado",
        "pedidos não importados",
    );
    let listed: Vec<String> = numbers.iter().take(3).map(|n| format!("#{n}")).collect();
    let more = numbers.len().saturating_sub(3);
    let which = match more {
        0 => listed.join(", "),
        n => format!("{} e mais {n}", listed.join(", ")),
    };
    let body = format!("Pedidos {which}: veja em Pedidos não importados o que fazer com cada um.");
    (title, body)
}

/// The title of the notification for an imported order changed in Nuvemshop since.
pub fn order_changed_title(number: u64) -> String {
    format!("Pedido #{number} mudou na Nuvemshop")
}

/// macOS: a login item must point at the app where it stays.
pub const MOVE_TO_APPLICATIONS: &str = "Para abrir com o computador, o Ponte precisa estar na \
     pasta Aplicativos: arraste-o para lá, abra-o de lá e ligue esta opção de novo.";

/// The title of the system's folder picker for the data requests' files.
pub const LGPD_FOLDER_PICKER: &str = "Pasta dos arquivos de pedidos de dados (LGPD)";

/// `--sandbox` asked of a merchant's build, which has no simulators.
pub const NO_DEMO_IN_THIS_BUILD: &str = "Este Ponte foi instalado sem o modo demonstração.";

/// What the *Verificar atualizações* button says when it cannot tell.
pub const UPDATE_CHECK_FAILED: &str =
    "Não foi possível verificar atualizações agora. Confira a internet e tente de novo mais tarde.";
/// When the update could not be installed.
pub const UPDATE_INSTALL_FAILED: &str =
    "A atualização não pôde ser instalada. O Ponte continua na versão atual; tente de novo mais tarde.";
/// The dashboard's banner for a version found.
pub fn update_banner(version: &str) -> String {
    format!("A versão {version} do Ponte está disponível.")
}
/// *Configurações › Sobre o Ponte*, on a version found.
pub fn update_offered(version: &str) -> String {
    format!(
        "A versão {version} está disponível. O Ponte termina o pedido em andamento, instala e \
         reinicia."
    )
}
/// The tray's line for a version found.
pub fn update_tray_line(version: &str) -> String {
    format!("Instalar a versão {version}…")
}
/// *Verificar atualizações* found nothing newer.
pub const UP_TO_DATE: &str = "O Ponte está na versão mais recente.";
/// What *Iniciar o Ponte com o computador* now means.
pub fn autostart_said(on: bool) -> &'static str {
    if on {
        "O Ponte vai abrir com o computador, na bandeja."
    } else {
        "O Ponte não vai mais abrir com o computador."
    }
}
/// When the autostart entry could not be changed.
pub const AUTOSTART_FAILED: &str = "Não foi possível mudar o início automático neste computador.";
