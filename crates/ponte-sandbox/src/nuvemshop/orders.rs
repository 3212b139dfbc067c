//! `GET /store`, `GET /orders` (filters, pages, `Link`, `X-Total-Count`, 404 past the last
//! page), `GET /orders/{id}` and `PUT /orders/{id}`.

use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::model::{Order, PaymentStatus};
use super::wire::{render_order, select_fields, Rendering};
use crate::answers::ResultCap;
use crate::assumptions::{
    nuvemshop_error, NUVEMSHOP_DATE_FILTERS_INCLUSIVE, NUVEMSHOP_MAX_PER_PAGE,
    NUVEMSHOP_ORDERS_NEWEST_FIRST,
};
use crate::http::{header_str, json_response, Rejection};
use crate::query::Query;
use crate::AppState;

const DEFAULT_PER_PAGE: u32 = 30;

pub(super) async fn store(State(state): State<AppState>) -> Response {
    let (id, name) =
        state.with(|world| (world.nuvemshop.store_id, world.nuvemshop.store_name.clone()));
    json_response(
        StatusCode::OK,
        &json!({
            "id": id,
            "name": { "pt": name },
            "description": { "pt": "Loja simulada pelo Ponte" },
            "country": "BR",
            "main_currency": "BRL",
            "main_language": "pt",
            "languages": { "pt": { "currency": "BRL", "active": true } },
            "business_id": "12.345.678/0001-95",
            "business_name": "Loja Demonstração Comércio Ltda",
            "email": "contato@loja-demonstracao.com.br",
            "original_domain": "loja-demonstracao.lojavirtualnuvem.com.br",
            "plan_name": "impulso",
            "created_at": "2024-03-01T12:00:00+0000",
        }),
    )
}

/// A 422 in the documented validation shape: `{"<field>": ["message"]}`.
fn invalid(field: &str, message: &str) -> Response {
    let mut body = Map::new();
    body.insert(field.to_string(), json!([message]));
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &Value::Object(body))
}

fn reject_invalid(field: &str, message: &str) -> Rejection {
    invalid(field, message).into()
}

/// Nuvemshop timestamps and filters come as `+0000`, `-03:00`, `Z`, or a bare date.
pub(crate) fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    if let Ok(naive) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S") {
        return Some(naive.and_utc());
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

struct Filters {
    payment_status: Option<PaymentStatus>,
    status: Option<String>,
    created_min: Option<DateTime<Utc>>,
    created_max: Option<DateTime<Utc>>,
    updated_min: Option<DateTime<Utc>>,
    updated_max: Option<DateTime<Utc>>,
    since_id: Option<u64>,
    q: Option<String>,
}

fn in_range(at: DateTime<Utc>, min: Option<DateTime<Utc>>, max: Option<DateTime<Utc>>) -> bool {
    let above = min.is_none_or(|min| {
        if NUVEMSHOP_DATE_FILTERS_INCLUSIVE {
            at >= min
        } else {
            at > min
        }
    });
    let below = max.is_none_or(|max| {
        if NUVEMSHOP_DATE_FILTERS_INCLUSIVE {
            at <= max
        } else {
            at < max
        }
    });
    above && below
}

impl Filters {
    fn parse(query: &Query) -> Result<Filters, Rejection> {
        let payment_status = match query.get("payment_status") {
            None | Some("any") => None,
            Some(value) => Some(
                PaymentStatus::parse(value)
                    .ok_or_else(|| reject_invalid("payment_status", "is invalid"))?,
            ),
        };
        let status = match query.get("status") {
            None | Some("any") => None,
            Some(value @ ("open" | "closed" | "cancelled")) => Some(value.to_string()),
            Some(_) => return Err(reject_invalid("status", "is invalid")),
        };
        let date = |name: &str| -> Result<Option<DateTime<Utc>>, Rejection> {
            match query.get(name) {
                None => Ok(None),
                Some(text) => parse_timestamp(text)
                    .map(Some)
                    .ok_or_else(|| reject_invalid(name, "is not a valid ISO 8601 date")),
            }
        };
        let since_id = match query.get("since_id") {
            None => None,
            Some(text) => Some(
                text.parse::<u64>()
                    .map_err(|_| reject_invalid("since_id", "is not a number"))?,
            ),
        };
        Ok(Filters {
            payment_status,
            status,
            created_min: date("created_at_min")?,
            created_max: date("created_at_max")?,
            updated_min: date("updated_at_min")?,
            updated_max: date("updated_at_max")?,
            since_id,
            q: query.get("q").map(str::to_lowercase),
        })
    }

    fn accepts(&self, order: &Order) -> bool {
        self.payment_status
            .is_none_or(|status| order.payment_status == status)
            && self
                .status
                .as_deref()
                .is_none_or(|status| order.status.as_str() == status)
            && in_range(order.created_at, self.created_min, self.created_max)
            && in_range(order.updated_at, self.updated_min, self.updated_max)
            && self.since_id.is_none_or(|since| order.id > since)
            && self.q.as_deref().is_none_or(|q| {
                order.number.to_string() == q
                    || order.customer.name.to_lowercase().contains(q)
                    || order.customer.email.to_lowercase().contains(q)
            })
    }
}

fn page_param(query: &Query, name: &str, default: u32) -> Result<u32, Rejection> {
    match query.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<u32>()
            .map_err(|_| reject_invalid(name, "is not a number")),
    }
}

fn fields(query: &Query) -> Vec<String> {
    query
        .get("fields")
        .map(|fields| {
            fields
                .split(',')
                .map(|field| field.trim().to_string())
                .filter(|field| !field.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The `Link` header: the docs say to follow it rather than build page URLs.
fn link_header(headers: &HeaderMap, uri: &Uri, query: &Query, page: u32, last: u32) -> String {
    let host = header_str(headers, header::HOST.as_str()).unwrap_or("127.0.0.1");
    let url_for = |target: u32| {
        let mut serializer = url::form_urlencoded::Serializer::new(String::new());
        for key in query
            .keys()
            .filter(|key| *key != "page")
            .collect::<std::collections::BTreeSet<_>>()
        {
            for value in query.list_raw(key) {
                serializer.append_pair(key, value);
            }
        }
        serializer.append_pair("page", &target.to_string());
        format!("http://{host}{}?{}", uri.path(), serializer.finish())
    };
    let mut links = Vec::new();
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", url_for(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", url_for(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", url_for(1)));
        links.push(format!("<{}>; rel=\"prev\"", url_for(page - 1)));
    }
    links.join(", ")
}

pub(super) async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let query = Query::parse(uri.query());
    let filters = match Filters::parse(&query) {
        Ok(filters) => filters,
        Err(rejection) => return rejection.into_response(),
    };
    let page = match page_param(&query, "page", 1) {
        Ok(page) => page.max(1),
        Err(rejection) => return rejection.into_response(),
    };
    let per_page = match page_param(&query, "per_page", DEFAULT_PER_PAGE) {
        Ok(per_page) => per_page.clamp(1, NUVEMSHOP_MAX_PER_PAGE),
        Err(rejection) => return rejection.into_response(),
    };
    let (mut matching, store_id, answers) = state.with(|world| {
        let store = &world.nuvemshop;
        let orders: Vec<Order> = store
            .orders
            .values()
            .filter(|order| filters.accepts(order))
            .cloned()
            .collect();
        (orders, store.store_id, world.answers.nuvemshop.clone())
    });
    let cap = state.config.nuvemshop.result_window;
    let past_cap = u64::from(page) * u64::from(per_page) > cap;
    let cap_message =
        format!("page * per_page cannot exceed {cap} results; narrow the query with filters");
    // How the cap is answered is undocumented: each plausible way, as the answers say.
    match answers.result_cap {
        ResultCap::Unprocessable if past_cap => {
            return json_response(
                StatusCode::UNPROCESSABLE_ENTITY,
                &nuvemshop_error(StatusCode::UNPROCESSABLE_ENTITY, &cap_message),
            );
        }
        ResultCap::BadRequest if past_cap => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &nuvemshop_error(StatusCode::BAD_REQUEST, &cap_message),
            );
        }
        ResultCap::WholeQuery if matching.len() as u64 > cap => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &nuvemshop_error(StatusCode::BAD_REQUEST, &cap_message),
            );
        }
        ResultCap::NotFoundPastCap if past_cap => {
            let last = cap / u64::from(per_page);
            return json_response(
                StatusCode::NOT_FOUND,
                &nuvemshop_error(StatusCode::NOT_FOUND, &format!("Last page is {last}")),
            );
        }
        ResultCap::EmptyPastCap if past_cap => {
            return json_response(StatusCode::OK, &Value::Array(Vec::new()));
        }
        _ => {}
    }
    matching.sort_by_key(|order| (order.created_at, order.id));
    if NUVEMSHOP_ORDERS_NEWEST_FIRST {
        matching.reverse();
    }
    let total = matching.len() as u64;
    let last_page = total.div_ceil(u64::from(per_page)) as u32;
    if total == 0 || page > last_page {
        return json_response(
            StatusCode::NOT_FOUND,
            &nuvemshop_error(StatusCode::NOT_FOUND, &format!("Last page is {last_page}")),
        );
    }
    let wanted = fields(&query);
    let start = ((page - 1) * per_page) as usize;
    let body: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(per_page as usize)
        .map(|order| select_fields(render_order(order, store_id, Rendering::List), &wanted))
        .collect();
    let mut response = json_response(StatusCode::OK, &body);
    let response_headers = response.headers_mut();
    if !answers.no_total_count {
        response_headers.insert("x-total-count", HeaderValue::from(total));
    }
    let link = link_header(&headers, &uri, &query, page, last_page);
    if let Ok(value) = HeaderValue::from_str(&link) {
        if !link.is_empty() {
            response_headers.insert(header::LINK, value);
        }
    }
    response
}

fn order_not_found() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &nuvemshop_error(StatusCode::NOT_FOUND, "Order not found"),
    )
}

pub(super) async fn get_one(
    State(state): State<AppState>,
    Path((_store, id)): Path<(String, String)>,
    uri: Uri,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return order_not_found();
    };
    let wanted = fields(&Query::parse(uri.query()));
    let found = state.with(|world| {
        world
            .nuvemshop
            .orders
            .get(&id)
            .map(|order| render_order(order, world.nuvemshop.store_id, Rendering::Single))
    });
    match found {
        Some(order) => json_response(StatusCode::OK, &select_fields(order, &wanted)),
        None => order_not_found(),
    }
}

/// Only `owner_note` can change through the API.
pub(super) async fn update(
    State(state): State<AppState>,
    Path((_store, id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return order_not_found();
    };
    if !state
        .config
        .nuvemshop
        .scopes
        .split(',')
        .any(|scope| scope.trim() == "write_orders")
    {
        let status = StatusCode::from_u16(crate::assumptions::NUVEMSHOP_MISSING_SCOPE_STATUS)
            .unwrap_or(StatusCode::FORBIDDEN);
        return json_response(
            status,
            &json!({
                "code": status.as_u16(),
                "message": "Forbidden",
                "description": "This app does not have the write_orders scope",
            }),
        );
    }
    let Ok(Value::Object(changes)) = serde_json::from_slice::<Value>(&body) else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({ "error": "Problems parsing JSON" }),
        );
    };
    if let Some(field) = changes.keys().find(|key| *key != "owner_note") {
        return invalid(field, "cannot be updated");
    }
    let note = match changes.get("owner_note") {
        Some(Value::String(note)) => note.clone(),
        Some(Value::Null) | None => String::new(),
        Some(_) => return invalid("owner_note", "must be a string"),
    };
    let updated = state.with(|world| {
        let store_id = world.nuvemshop.store_id;
        world
            .nuvemshop
            .set_owner_note(id, note)
            .map(|order| render_order(&order, store_id, Rendering::Single))
    });
    match updated {
        Some(order) => json_response(StatusCode::OK, &order),
        None => order_not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_timestamp_form_parses_to_the_same_instant() {
        let expected = parse_timestamp("2022-02-23T12:25:18Z").unwrap();
        assert_eq!(parse_timestamp("2022-02-23T12:25:18+0000"), Some(expected));
        assert_eq!(parse_timestamp("2022-02-23T09:25:18-03:00"), Some(expected));
        assert_eq!(parse_timestamp("2022-02-23T09:25:18-0300"), Some(expected));
        assert!(parse_timestamp("2022-02-23").is_some());
        assert!(parse_timestamp("ontem").is_none());
    }
}
