//! What a support report (R21) and an order's *Detalhes* show of Ponte's exchanges: a buyer's
//! personal data masked. Documents, e-mails and phone numbers are found by their shape
//! ([`redact`]); names and addresses by where they stand in the JSON — a product's
//! `name` is not a person's.

use serde_json::Value;

/// Keys whose text is a person's, wherever they stand.
const PERSONAL_KEYS: &[&str] = &[
    "contact_name",
    "billing_name",
    "billing_business_name",
    "billing_trade_name",
    "cep",
    "billing_address",
    "billing_number",
    "billing_floor",
    "billing_locality",
    "billing_zipcode",
    // The buyer's own note, and the merchant's private one: free text, often an address, a
    // name or a phone.
    "note",
    "owner_note",
];
/// Keys that hold an address (an object, or a list of them).
const ADDRESS_HOLDERS: &[&str] = &[
    "shipping_address",
    "default_address",
    "addresses",
    "billing_address",
    "endereco",
    "enderecos",
];
/// Within an address, what places a person.
const ADDRESS_FIELDS: &[&str] = &[
    "name",
    "address",
    "number",
    "floor",
    "locality",
    "zipcode",
    "logradouro",
    "numero",
    "complemento",
    "bairro",
    "cep",
    "reference",
    "between_streets",
];
/// An object with one of these is a person (a buyer, a Conta Azul customer)…
const PERSON_MARKERS: &[&str] = &[
    "cpf",
    "cnpj",
    "documento",
    "tipo_pessoa",
    "identification",
    "email",
    "perfis",
    "telefone",
    "endereco",
];
/// …and so is an object under one of these keys.
const PERSON_HOLDERS: &[&str] = &["cliente", "customer", "pessoa"];
/// …and these are its names.
const NAME_KEYS: &[&str] = &["name", "nome", "razao_social", "nome_fantasia"];

/// After a customer asked to be forgotten (LGPD), their words (`traces`: name, e-mail,
/// document, phones) are replaced by `[removido]` in every text file of `dir` (the logs), in
/// place: a log being written goes on being written. How many files changed.
pub fn wipe_from_files(dir: &std::path::Path, traces: &[String]) -> usize {
    let mut traces: Vec<&str> = traces
        .iter()
        .map(String::as_str)
        .filter(|t| t.chars().count() >= 4)
        .collect();
    if traces.is_empty() {
        return 0;
    }
    // Longest first: a name is wiped whole before a part of it could be.
    traces.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut changed = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let mut wiped = text.clone();
        for trace in &traces {
            wiped = wiped.replace(trace, "[removido]");
        }
        if wiped != text {
            match std::fs::write(&path, wiped) {
                Ok(()) => changed += 1,
                Err(error) => tracing::warn!(%error, "a log file could not be cleaned"),
            }
        }
    }
    changed
}

/// A name as the report shows it: the first word and the others' initials (*Maria S.*), so
/// that support can still talk about the order; a single word keeps its first letter.
pub fn mask_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    let Some(first) = words.next() else {
        return String::new();
    };
    let rest: Vec<String> = words
        .filter_map(|word| word.chars().next())
        .map(|initial| format!("{initial}."))
        .collect();
    if rest.is_empty() {
        let initial: String = first.chars().take(1).collect();
        return format!("{initial}***");
    }
    format!("{first} {}", rest.join(" "))
}

/// Search parameters whose values are a person's (Conta Azul's people and sales searches).
const PERSONAL_PARAMETERS: &[&str] = &["nomes", "emails", "telefones", "termo_busca"];

/// An exchange's body with personal data masked: names and addresses by their place in the
/// JSON, then documents, e-mails and phones by their shape. A body cut short (the audit keeps
/// 20,000 characters) is no longer JSON: every name-like or address-like value is masked then,
/// a product's name too.
pub fn redact_body(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            mask(&mut value, false, false);
            redact(&value.to_string())
        }
        Err(_) => redact(&mask_fragment(text)),
    }
}

/// A request's address with the values of personal search parameters masked, then documents,
/// e-mails and phones by their shape.
pub fn redact_url(text: &str) -> String {
    let Ok(mut url) = url::Url::parse(text) else {
        return redact(text);
    };
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let value = if PERSONAL_PARAMETERS.contains(&key.as_ref()) {
                    mask_name(&value)
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    redact(url.as_str())
}

/// In text that is not whole JSON: the string value after any name-like or address-like key
/// (`"nome": "…"`) masked.
fn mask_fragment(text: &str) -> String {
    let keys: Vec<&str> = NAME_KEYS
        .iter()
        .chain(PERSONAL_KEYS)
        .chain(ADDRESS_FIELDS)
        .chain(["endereco", "logradouro"].iter())
        .copied()
        .collect();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('"') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some((key, after_key)) = json_string(rest) else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..rest.len() - after_key.len()]);
        rest = after_key;
        let trimmed = rest.trim_start();
        let Some(after_colon) = trimmed.strip_prefix(':') else {
            continue;
        };
        let value_start = after_colon.trim_start();
        if !keys.contains(&key.as_str()) || !value_start.starts_with('"') {
            continue;
        }
        out.push_str(&rest[..rest.len() - value_start.len()]);
        match json_string(value_start) {
            Some((value, after_value)) => {
                out.push_str(&serde_json::Value::String(mask_name(&value)).to_string());
                rest = after_value;
            }
            // Cut inside the value: nothing of it is shown.
            None => {
                out.push_str("\"***");
                return out;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The JSON string at the start of `text` (which starts with `"`), decoded, and what follows
/// it; `None` when the text ends inside it.
fn json_string(text: &str) -> Option<(String, &str)> {
    let mut escaped = false;
    for (index, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                let raw = &text[..=index];
                let decoded = serde_json::from_str::<String>(raw).ok()?;
                return Some((decoded, &text[index + 1..]));
            }
            _ => {}
        }
    }
    None
}

fn mask(value: &mut Value, in_address: bool, held_person: bool) {
    match value {
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| mask(item, in_address, held_person)),
        Value::Object(object) => {
            let person = held_person
                || object
                    .keys()
                    .any(|key| PERSON_MARKERS.contains(&key.as_str()));
            for (key, child) in object.iter_mut() {
                let key = key.as_str();
                match child {
                    Value::String(text) if !text.is_empty() => {
                        // An address written as one text (a Conta Azul customer's).
                        if key == "endereco" {
                            *text = "***".into();
                        } else if NAME_KEYS.contains(&key) && (person || in_address) {
                            *text = mask_name(text);
                        } else if PERSONAL_KEYS.contains(&key)
                            || (in_address && ADDRESS_FIELDS.contains(&key))
                        {
                            *text = "***".into();
                        }
                    }
                    Value::Array(_) | Value::Object(_) => mask(
                        child,
                        in_address || ADDRESS_HOLDERS.contains(&key),
                        PERSON_HOLDERS.contains(&key),
                    ),
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

/// Masks CPFs, CNPJs, e-mails and phone numbers in free text.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String| {
        if !token.is_empty() {
            out.push_str(&redact_token(token));
            token.clear();
        }
    };
    for c in text.chars() {
        if c.is_alphanumeric() || ".-/@+_".contains(c) {
            token.push(c);
        } else {
            flush(&mut token, &mut out);
            out.push(c);
        }
    }
    flush(&mut token, &mut out);
    out
}

fn redact_token(token: &str) -> String {
    if let Some((_, domain)) = token.split_once('@') {
        return format!("***@{domain}");
    }
    let digits = token.chars().filter(char::is_ascii_digit).count();
    let only_document_chars = token
        .chars()
        .all(|c| c.is_ascii_digit() || ".-/+".contains(c));
    // CPF and CNPJ with or without punctuation (11 digits is also a mobile number with DDD).
    if only_document_chars && !token.starts_with('+') && (digits == 11 || digits == 14) {
        return mask_document(token);
    }
    // A local phone number: 9876-5432, 98765-4321.
    if let Some((head, tail)) = token.split_once('-') {
        let all_digits = |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit());
        if all_digits(head) && all_digits(tail) && (4..=5).contains(&head.len()) && tail.len() == 4
        {
            return "****-****".into();
        }
    }
    if only_document_chars && digits >= 10 && token.starts_with('+') {
        return format!("{}****", &token[..token.len().min(6)]);
    }
    token.to_string()
}

/// Hides all but the middle digits of a formatted CPF or CNPJ: `***.456.789-**`, how reports
/// and lists show a document.
pub fn mask_document(formatted: &str) -> String {
    let digit_positions: Vec<usize> = formatted
        .char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| i)
        .collect();
    let keep = if digit_positions.len() == 11 {
        3..9
    } else {
        2..8
    };
    formatted
        .char_indices()
        .map(|(i, c)| {
            let index = digit_positions.iter().position(|p| *p == i);
            match index {
                Some(n) if !keep.contains(&n) => '*',
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r21_the_report_masks_personal_data() {
        let text = r#"{"cpf":"529.982.247-25","email":"maria@exemplo.com.br","telefone_celular":"+5511987654321","nome":"Maria"}"#;
        let redacted = redact(text);
        assert!(!redacted.contains("529.982.247-25"));
        assert!(redacted.contains("***.982.247-**"));
        assert!(!redacted.contains("maria@"));
        assert!(redacted.contains("***@exemplo.com.br"));
        assert!(!redacted.contains("987654321"));
        assert!(redacted.contains("\"nome\":\"Maria\""), "{redacted}");
    }

    #[test]
    fn r21_documents_and_phones_are_masked_with_or_without_punctuation() {
        let text = "GET /v1/pessoas?documentos=52998224725&pagina=1 \
                    cnpj 11222333000181, fone (11) 98765-4321, pedido 1450789401 de 2026-11-30";
        let redacted = redact(text);
        for personal in ["52998224725", "11222333000181", "98765-4321"] {
            assert!(!redacted.contains(personal), "{personal}: {redacted}");
        }
        assert!(redacted.contains("documentos=***982247**"), "{redacted}");
        assert!(
            redacted.contains("pedido 1450789401"),
            "order ids stay: {redacted}"
        );
        assert!(redacted.contains("2026-11-30"), "dates stay: {redacted}");
    }

    #[test]
    fn a_forgotten_customers_words_leave_the_logs() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("ponte.2026-12-06.log");
        std::fs::write(
            &log,
            "WARN refused: cliente Maria Silva (390.533.447-05) maria@exemplo.com.br\nINFO ok\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("other.log"), "nothing of hers\n").unwrap();
        let traces = vec![
            "Maria Silva".to_string(),
            "390.533.447-05".into(),
            "maria@exemplo.com.br".into(),
            "x".into(),
        ];
        assert_eq!(wipe_from_files(dir.path(), &traces), 1);
        let text = std::fs::read_to_string(&log).unwrap();
        assert!(!text.contains("Maria") && !text.contains("390.533") && !text.contains("maria@"));
        assert!(text.contains("INFO ok"), "the rest stays: {text}");
    }

    #[test]
    fn names_keep_the_first_word_and_initials() {
        assert_eq!(mask_name("Maria Sigilo"), "Maria S.");
        assert_eq!(mask_name("  João  da Silva "), "João d. S.");
        assert_eq!(mask_name("Ágata"), "Á***");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn a_nuvemshop_order_keeps_its_products_and_loses_its_buyer() {
        let examples: Value =
            serde_json::from_str(include_str!("../../../specs/nuvemshop-order-examples.json"))
                .unwrap();
        let order = examples["GET /orders (list)"][0].to_string();
        let shown = redact_body(&order);
        for personal in [
            "John Doe",
            "Evergreen Terrace",
            "97475",
            "john.doe@example.com",
        ] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
        assert!(shown.contains("John D."), "the name, masked");
        assert!(
            shown.contains("Pokeball"),
            "a product's name is not personal"
        );
        assert!(shown.contains("Springfield"), "a city places no one");
        assert!(shown.contains("10872"), "the order number");
        let single = redact_body(&examples["GET /orders/{id}"].to_string());
        assert!(
            !single.contains("John Doe") && !single.contains("Evergreen"),
            "{single}"
        );
    }

    #[test]
    fn a_conta_azul_customer_and_sale_lose_their_names_not_their_products() {
        let pessoa = r#"{"nome":"Maria Sigilo","cpf":"390.533.447-05","email":"maria@exemplo.com.br",
            "enderecos":[{"logradouro":"Rua das Flores","numero":"12","cidade":"São Paulo","cep":"01001-000"}]}"#;
        let shown = redact_body(pessoa);
        for personal in [
            "Sigilo",
            "390.533.447-05",
            "maria@",
            "Rua das Flores",
            "01001-000",
        ] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
        assert!(shown.contains("São Paulo"));
        let produto = r#"{"nome":"Caneca Cerâmica","formato":"SIMPLES"}"#;
        assert!(redact_body(produto).contains("Caneca Cerâmica"));
        let venda =
            r#"{"numero":42,"cliente":{"uuid":"u","tipo_pessoa":"Física","nome":"Maria Sigilo"}}"#;
        let shown = redact_body(venda);
        assert!(
            shown.contains("\"numero\":42") && !shown.contains("Sigilo"),
            "{shown}"
        );
        assert_eq!(
            redact_body("not json 390.533.447-05"),
            "not json ***.533.447-**"
        );
    }

    #[test]
    fn a_conta_azul_sale_search_loses_its_customers_address() {
        let busca = r#"{"itens":[{"numero":7,"cliente":{"id":"c","nome":"Maria Sigilo","endereco":"Rua A, 1","cep":"01001-000"}}]}"#;
        let shown = redact_body(busca);
        for personal in ["Sigilo", "Rua A", "01001-000"] {
            assert!(!shown.contains(personal), "{personal} in {shown}");
        }
    }

    #[test]
    fn a_body_cut_short_still_loses_its_names() {
        let list: String = (0..400)
            .map(|i| format!(r#"{{"id":"{i}","nome":"Pessoa Número{i}","documento":"x"}}"#))
            .collect::<Vec<_>>()
            .join(",");
        let cut = crate::http::truncate(&format!(r#"{{"items":[{list}]}}"#), 20_000);
        assert!(serde_json::from_str::<Value>(&cut).is_err(), "cut short");
        let shown = redact_body(&cut);
        assert!(!shown.contains("Número"), "a full name left");
        assert!(shown.contains("Pessoa N."));
        assert_eq!(redact_body(r#"{"nome":"Maria Sig"#), r#"{"nome":"***"#);
    }

    #[test]
    fn search_parameters_naming_a_person_are_masked() {
        let shown =
            redact_url("https://api-v2.contaazul.com/v1/pessoas?nomes=Maria+Sigilo&pagina=1");
        assert!(
            !shown.contains("Sigilo") && shown.contains("pagina=1"),
            "{shown}"
        );
        assert!(shown.contains("nomes=Maria+S."), "{shown}");
        let accented = redact_url("https://x.example/v1/pessoas?nomes=Jos%C3%A9+Ara%C3%BAjo");
        assert!(!accented.contains("Ara"), "{accented}");
    }
}
