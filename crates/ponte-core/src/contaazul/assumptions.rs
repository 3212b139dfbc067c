//! What the Conta Azul documentation leaves UNCONFIRMED, and what Ponte assumes, in one place.

// How a CPF/CNPJ is sent in `documentos` on `GET /v1/pessoas` is not documented: the create
// examples are formatted (`123.456.789-09`), public clients of the API search with the digits.
// Ponte searches with the digits, then, when nothing matches, with the formatted document, and
// compares digits itself (`rules::customer`).

/// A person's `nome`: at most 200 characters (documented).
pub const PERSON_NAME_MAX_CHARS: usize = 200;
/// A person's `email`: at most 100 characters (documented).
pub const EMAIL_MAX_CHARS: usize = 100;
/// A phone number's length is not documented; 40 characters hold any real one.
pub const PHONE_MAX_CHARS: usize = 40;
/// A product's `nome`: the limit is UNCONFIRMED; 120 characters is what Conta Azul's product
/// screen has been seen to take. Ponte cuts descriptions to it, the same way for the search
/// and for the creation, so a long description still finds the product it created.
pub const PRODUCT_NAME_MAX_CHARS: usize = 120;

/// `GET /v1/produtos` filters by `status` (`ATIVO`, `INATIVO`): documented by the official n8n
/// node and the .NET SDK, not by an official spec. Ponte reads the catalogue per status and
/// takes a product's own `status` over the listing's; a product listed under both is one
/// product (`rules::product`), so an API that ignores the filter costs a second listing, never
/// an order. `ponte doctor` checks it.
pub const PRODUCTS_FILTERED_BY_STATUS: bool = true;

// Whether `nomes` and `busca` match exactly or partially is not documented: Ponte treats every
// search answer as candidates only and compares names and descriptions itself (`rules::same_text`,
// R10, R12), so either behaviour is safe.

/// The answer to a sale refused by *Verificar estoque ao criar uma venda* is not documented.
/// Ponte recognises it as a 400 whose message speaks of stock (`estoque`) and names the product
/// when the message quotes it.
pub fn is_stock_validation(status: u16, message: &str) -> bool {
    let lower = message.to_lowercase();
    status == 400 && lower.contains("estoque") && !lower.contains("não encontrado")
}

/// A refused sale whose cause is the product (missing, inactive), by its message (R20).
pub fn is_product_problem(status: u16, message: &str) -> bool {
    let lower = message.to_lowercase();
    status == 400
        && (lower.contains("produto") || lower.contains("item"))
        && (lower.contains("não encontrado") || lower.contains("inativo"))
}

/// Conta Azul refuses a sale whose `numero` another sale already has (UNCONFIRMED: the API
/// hands out "the next free number" from `proximo-numero`, and refusals quoting the taken
/// number have been reported). Ponte relies on it to send a sale again under the same number
/// after an answer was lost; without it, Ponte waits `sync::LOOKUP_GRACE` first (R8).
pub const SALE_NUMBERS_UNIQUE: bool = true;

/// A sale number taken between `proximo-numero` and the create: try again with a fresh number.
pub fn is_number_taken(status: u16, message: &str) -> bool {
    status == 400
        && message
            .to_lowercase()
            .contains("já existe uma venda com o número")
}

/// `tipo_pagamento` names the Sales OpenAPI (`LINK_PAGAMENTO`, `COBRANCA_PIX`) and the current
/// `createVenda` page with the official n8n node (`CARTAO_CREDITO_VIA_LINK`, `PIX_COBRANCA`)
/// spell differently: which `POST /v1/venda` takes is UNCONFIRMED. Ponte offers neither
/// (`rules::payment::CONTAAZUL_TYPES`), keeps one a merchant already chose, and reads a refusal
/// naming the field as a setting to change (`is_payment_type_refused`).
pub const DISPUTED_PAYMENT_TYPES: [&str; 4] = [
    "LINK_PAGAMENTO",
    "CARTAO_CREDITO_VIA_LINK",
    "COBRANCA_PIX",
    "PIX_COBRANCA",
];

/// A sale refused for its `tipo_pagamento` (the answer is undocumented: a 400 whose message
/// names the field or speaks of the payment type).
pub fn is_payment_type_refused(status: u16, message: &str) -> bool {
    let lower = message.to_lowercase();
    status == 400
        && (lower.contains("tipo_pagamento")
            || lower.contains("tipo de pagamento")
            || lower.contains("forma de pagamento"))
}

/// The error text of an answer: `{"error": "..."}` (observed), `{"message": "..."}`, or the
/// raw body.
pub fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            ["error", "message", "mensagem"]
                .iter()
                .find_map(|key| value.get(key).and_then(|v| v.as_str()).map(str::to_string))
        })
        .unwrap_or_else(|| body.trim().to_string())
}

/// What `GET /v1/venda/proximo-numero` said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextNumber {
    Given(i64),
    /// `null`: no number given.
    None,
    /// An answer that holds no number at all.
    Unreadable,
}

/// `proximo-numero` answers a bare integer (documented), possibly `null` for a company without
/// sales (UNCONFIRMED); an object holding the number (`{"proximo_numero": n}`, as some
/// wrappers show it) is read too.
pub fn next_number_from(value: &serde_json::Value) -> NextNumber {
    use serde_json::Value;
    match value {
        Value::Null => NextNumber::None,
        Value::Number(number) => number
            .as_i64()
            .filter(|n| *n > 0)
            .map_or(NextNumber::Unreadable, NextNumber::Given),
        Value::Object(fields) => ["proximo_numero", "numero", "proximoNumero"]
            .iter()
            .find_map(|key| fields.get(*key))
            .map_or(NextNumber::Unreadable, next_number_from),
        _ => NextNumber::Unreadable,
    }
}

/// The longest product code (`codigo_sku`) Conta Azul takes: UNCONFIRMED. A longer SKU is not
/// used to match or create a product (the description decides).
pub const PRODUCT_CODE_MAX_CHARS: usize = 60;

/// The connected company's name, as the dashboard shows it: `GET /v1/pessoas/conta-conectada`
/// answers the company with `nome_fantasia` and `razao_social` per the official .NET SDK's
/// `Empresa` (UNCONFIRMED against the live API); the trade name first.
pub fn company_name(company: &serde_json::Value) -> Option<String> {
    ["nome_fantasia", "razao_social", "nome"]
        .into_iter()
        .filter_map(|key| company.get(key)?.as_str())
        .map(crate::rules::text::clean_text)
        .find(|name| !name.is_empty())
}

/// Which company a Conta Azul connection is, so that profiles connected to one company share
/// its customers, products, sale numbers and rate limits (`company`). UNCONFIRMED which
/// field identifies it: `id_empresa` (in the changelog summary of 2026-07-10, not in the SDK),
/// else the company's `documento` (CNPJ, in the SDK's `Empresa`). Never its name: two
/// companies with one name would then share ids each only has. `None`: the profile imports
/// as if alone (its own turn, its own schedule).
pub fn company_key(company: &serde_json::Value) -> Option<String> {
    let text = |key: &str| {
        company
            .get(key)
            .and_then(|value| match value {
                serde_json::Value::String(text) => Some(text.trim().to_string()),
                serde_json::Value::Number(number) => Some(number.to_string()),
                _ => None,
            })
            .filter(|text| !text.is_empty())
    };
    if let Some(id) = text("id_empresa") {
        return Some(format!("id:{id}"));
    }
    let digits: String = text("documento")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (!digits.is_empty()).then(|| format!("documento:{digits}"))
}

/// A product's available stock as `GET /v1/produtos/{id}` answers it: `estoque.
/// quantidade_disponivel` per the official .NET SDK (`EstoqueDoProduto`, UNCONFIRMED against
/// the live API), else the list's `saldo`.
pub fn product_balance(product: &serde_json::Value) -> Option<rust_decimal::Decimal> {
    let number = |value: &serde_json::Value| match value {
        serde_json::Value::Number(number) => number.to_string().parse().ok(),
        serde_json::Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    number(&product["estoque"]["quantidade_disponivel"]).or_else(|| number(&product["saldo"]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_company_is_known_by_its_id_then_its_cnpj_then_its_name() {
        use serde_json::json;
        let all = json!({"id_empresa": 77, "documento": "11.222.333/0001-81", "razao_social": "A"});
        assert_eq!(company_key(&all).as_deref(), Some("id:77"));
        let sdk = json!({"documento": "11.222.333/0001-81", "razao_social": "A"});
        assert_eq!(
            company_key(&sdk).as_deref(),
            Some("documento:11222333000181")
        );
        let named = json!({"nome_fantasia": "Loja Ana", "documento": ""});
        assert_eq!(company_key(&named), None, "a name is not an identity");
        assert_eq!(company_key(&json!({})), None);
    }

    #[test]
    fn the_company_is_named_by_its_trade_name_then_its_legal_name() {
        let both = serde_json::json!({"razao_social": "Aurora Comércio Ltda", "nome_fantasia": " Aurora "});
        assert_eq!(company_name(&both).as_deref(), Some("Aurora"));
        let legal =
            serde_json::json!({"razao_social": "Aurora Comércio Ltda", "nome_fantasia": ""});
        assert_eq!(
            company_name(&legal).as_deref(),
            Some("Aurora Comércio Ltda")
        );
        assert_eq!(company_name(&serde_json::json!({"id": 1})), None);
    }

    #[test]
    fn stock_validation_is_told_apart_from_other_refusals() {
        assert!(is_stock_validation(
            400,
            "Não há estoque suficiente para o produto \"Caneca\". Disponível: 0, solicitado: 2."
        ));
        assert!(!is_stock_validation(500, "estoque"));
        assert!(!is_stock_validation(
            400,
            "Produto ou serviço não encontrado: 1b2"
        ));
        assert!(is_product_problem(
            400,
            "Produto ou serviço não encontrado: 1b2"
        ));
        assert!(is_product_problem(
            400,
            "O produto \"Caneca\" está inativo e não pode ser vendido"
        ));
        assert!(is_number_taken(400, "Já existe uma venda com o número 12."));
        assert_eq!(error_message(r#"{"error":"x"}"#), "x");
        assert_eq!(error_message(r#"{"message":"y"}"#), "y");
        assert_eq!(error_message("plain"), "plain");
    }
}
