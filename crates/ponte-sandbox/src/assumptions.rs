//! Every behaviour the API references mark as UNCONFIRMED, decided once, here.
//!
//! The simulators follow the documented contract everywhere else. Where the documents are silent
//! or contradict each other, the choice below is the one that makes a client prove it handles
//! the harder case (an error answered with HTTP 200, a body it cannot rely on, a search that
//! matches more than asked). When a real capture settles a question, change it here and the
//! tests that name it.

use axum::http::StatusCode;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// Nuvemshop
// ---------------------------------------------------------------------------------------------

/// Only the documented `Authentication: bearer …` header authenticates; whether
/// `Authorization: Bearer` also works is UNCONFIRMED, so the sandbox refuses it.
pub const NUVEMSHOP_ACCEPTS_AUTHORIZATION_HEADER: bool = false;

/// The HTTP status of a token-endpoint error is UNCONFIRMED; the official Node template reads
/// `error` out of successful answers, so the sandbox answers errors with 200 and an
/// `{error, error_description}` body. A client must look at the body, not only the status.
pub const NUVEMSHOP_TOKEN_ERROR_STATUS: StatusCode = StatusCode::OK;

/// `user_id` is a string in the docs and a number in the Node template; the sandbox sends a string.
pub fn nuvemshop_user_id(store_id: u64) -> Value {
    Value::String(store_id.to_string())
}

/// Lists are sorted by `created_at` (documented); the direction is not. Newest first.
pub const NUVEMSHOP_ORDERS_NEWEST_FIRST: bool = true;

/// Behaviour for `per_page` above 200 is UNCONFIRMED: the sandbox clamps it to 200.
pub const NUVEMSHOP_MAX_PER_PAGE: u32 = 200;

/// Documented in the changelog only: one query may not reach past 10,000 results. The error's
/// status and body are UNCONFIRMED.
pub const NUVEMSHOP_RESULT_WINDOW: u64 = 10_000;

/// `*_min` and `*_max` date filters are inclusive (UNCONFIRMED).
pub const NUVEMSHOP_DATE_FILTERS_INCLUSIVE: bool = true;

/// The single-order example in the docs carries a non-UTC offset (`-05:00`) while the list
/// example uses `+0000`; the sandbox renders single orders in São Paulo time (`-03:00`) so a
/// client must normalise both.
pub const NUVEMSHOP_SINGLE_ORDER_OFFSET_SECONDS: i32 = -3 * 3600;

/// Cancelling an order does not change `payment_status` (UNCONFIRMED); refunding does.
pub const NUVEMSHOP_CANCEL_KEEPS_PAYMENT_STATUS: bool = true;

/// The generic error shape `{code, message, description}` is documented for 404; the sandbox
/// uses it for 400, 401, 415 and 429 too, whose bodies are UNCONFIRMED. 429 carries no
/// `Retry-After` (UNCONFIRMED): a client must use `X-Rate-Limit-Reset`.
pub fn nuvemshop_error(status: StatusCode, description: &str) -> Value {
    json!({
        "code": status.as_u16(),
        "message": status.canonical_reason().unwrap_or("Error"),
        "description": description,
    })
}

// ---------------------------------------------------------------------------------------------
// Conta Azul
// ---------------------------------------------------------------------------------------------

/// The 401 body after an expired or revoked access token is not documented; this is what an
/// AWS API Gateway authorizer answers.
pub fn contaazul_unauthorized() -> Value {
    json!({ "message": "Unauthorized" })
}

/// 429 is declared on every operation; its body and any rate-limit headers are UNCONFIRMED.
/// The sandbox sends no header: a client must back off on its own.
pub fn contaazul_too_many_requests() -> Value {
    json!({ "message": "Too Many Requests" })
}

/// Conta Azul's tokens are as large as observed (reference: access ≈ 1.1 KB, a JWT; refresh
/// ≈ 1.8 KB, opaque): a client must store them without truncating, and Windows' 2,560-byte
/// credential entries cannot hold both.
pub const CONTAAZUL_ACCESS_TOKEN_BYTES: usize = 1_100;
pub const CONTAAZUL_REFRESH_TOKEN_BYTES: usize = 1_800;

/// A JWT-shaped access token of the observed size (header, payload, signature).
pub fn contaazul_access_token(random_hex: impl Fn(usize) -> String) -> String {
    let header = "eyJraWQiOiJzYW5kYm94IiwiYWxnIjoiUlMyNTYifQ";
    let signature = random_hex(342);
    let payload = random_hex(CONTAAZUL_ACCESS_TOKEN_BYTES - header.len() - signature.len() - 2);
    format!("{header}.{payload}.{signature}")
}

/// An opaque refresh token of the observed size.
pub fn contaazul_refresh_token(random_hex: impl Fn(usize) -> String) -> String {
    let prefix = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.";
    format!(
        "{prefix}{}",
        random_hex(CONTAAZUL_REFRESH_TOKEN_BYTES - prefix.len())
    )
}

/// The token endpoint's error status is UNCONFIRMED; Cognito answers 400 for `invalid_grant`
/// and `invalid_request`, and 401 for `invalid_client`.
pub const CONTAAZUL_INVALID_GRANT_STATUS: StatusCode = StatusCode::BAD_REQUEST;

/// Validation errors are answered as `{"error": "<mensagem>"}` (observed), not RFC 9457.
pub fn contaazul_error(message: impl Into<String>) -> Value {
    json!({ "error": message.into() })
}

/// Observed verbatim for a page size outside the allowed set (in English, as observed).
pub const CONTAAZUL_PAGE_SIZE_ERROR: &str =
    "page size must be one of 10, 20, 50, 100, 200, 500 or 1000";

/// Creating a person or a product answers 200, like the sales spec does for creation
/// (UNCONFIRMED for these two resources).
pub const CONTAAZUL_CREATE_STATUS: StatusCode = StatusCode::OK;

/// Duplicate CPF/CNPJ on create is undocumented. The help article's rules need Conta Azul to
/// keep two customers with one document and different names, so the sandbox allows it.
pub const CONTAAZUL_ALLOWS_DUPLICATE_DOCUMENTS: bool = true;

/// `nomes` on `GET /v1/pessoas`: exact or partial match is UNCONFIRMED; the sandbox matches
/// any person whose name contains the text, ignoring case, so a client must compare exactly.
pub const CONTAAZUL_NAME_FILTER_IS_PARTIAL: bool = true;

/// `GET /v1/produtos` without `status` lists active products only (UNCONFIRMED).
pub const CONTAAZUL_PRODUCTS_DEFAULT_ACTIVE_ONLY: bool = true;

/// A SKU (`codigo_sku`) is unique within the company (UNCONFIRMED).
pub const CONTAAZUL_SKU_UNIQUE: bool = true;

/// When *Verificar estoque ao criar uma venda* is on and a product lacks stock, the real answer
/// is not documented. The sandbox's version: HTTP 400 with the product named in Portuguese.
pub const CONTAAZUL_STOCK_VALIDATION_STATUS: StatusCode = StatusCode::BAD_REQUEST;

pub fn contaazul_stock_validation_error(
    product_name: &str,
    available: &str,
    wanted: &str,
) -> Value {
    contaazul_error(format!(
        "Não há estoque suficiente para o produto \"{product_name}\". \
         Disponível: {available}, solicitado: {wanted}. \
         A configuração \"Verificar estoque ao criar uma venda\" está ativada."
    ))
}

/// Multi-value query parameters: the .NET SDK sends comma-separated values, other clients repeat
/// the key. Which the API accepts is UNCONFIRMED; the sandbox accepts both.
pub const CONTAAZUL_ACCEPTS_COMMA_LISTS: bool = true;

// ---------------------------------------------------------------------------------------------
// Both
// ---------------------------------------------------------------------------------------------

/// The longest request line (path and query) either service accepts; past it, 414 URI Too Long.
/// Neither documents a limit (UNCONFIRMED); 8 KiB is what common gateways and proxies enforce.
pub const MAX_URL_BYTES: usize = 8192;

/// Nuvemshop answers every API call with 402 Payment Required while the store's plan or the
/// app's charge is unpaid (documented); the body is UNCONFIRMED: the generic error shape.
pub fn nuvemshop_payment_required() -> Value {
    nuvemshop_error(
        StatusCode::PAYMENT_REQUIRED,
        "Store or application suspended for lack of payment",
    )
}

/// A sale number is unique within the company: creating a sale with a number already used is
/// refused with 400 (the sales API's own `proximo-numero` exists for this; the exact rule and
/// message are UNCONFIRMED). Sales hidden from searches by index lag still hold their number.
pub const CONTAAZUL_SALE_NUMBERS_UNIQUE: bool = true;

/// Registering a webhook whose event and URL are already registered is refused with 422
/// (UNCONFIRMED: the docs show 422 only for invalid events and URLs).
pub const NUVEMSHOP_DUPLICATE_WEBHOOK_REFUSED: bool = true;

/// Changing an order without the `write_orders` scope: the answer's status and body are
/// UNCONFIRMED; the sandbox answers 403 with the body other scope refusals are reported with.
pub const NUVEMSHOP_MISSING_SCOPE_STATUS: u16 = 403;

/// `GET /v1/pessoas/conta-conectada`'s fields (`razao_social`, `nome_fantasia`, `documento`,
/// `email`, `data_fundacao`) come from the official .NET SDK's `Empresa` model only:
/// UNCONFIRMED against the live API.
pub const CONTAAZUL_CONNECTED_COMPANY: &str = "razao_social, nome_fantasia (SDK's Empresa)";
