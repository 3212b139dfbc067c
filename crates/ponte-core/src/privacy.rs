//! What a support report (R21) and an order's *Detalhes* show of Ponte's exchanges: a buyer's
//! personal data masked. Documents, e-mails and phone numbers are found by their shape
//! ([`crate::app::redact`]); names and addresses by where they stand in the JSON — a product's
//! `name` is not a person's.

use serde_json::Value;

/// Keys whose text is a person's, wherever they stand.
const PERSONAL_KEYS: &[&str] = &[
    "contact_name",
    "billing_name",
    "billing_address",
    "billing_number",
    "billing_floor",
    "billing_locality",
    "billing_zipcode",
    // The buyer's own note: free text, often an address or a name.
    "note",
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
];
/// …and these are its names.
const NAME_KEYS: &[&str] = &["name", "nome", "razao_social", "nome_fantasia"];

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

/// An exchange's body with personal data masked: names and addresses by their place in the
/// JSON, then documents, e-mails and phones by their shape. A body that is not JSON gets the
/// latter only.
pub fn redact_body(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(mut value) => {
            mask(&mut value, false);
            crate::app::redact(&value.to_string())
        }
        Err(_) => crate::app::redact(text),
    }
}

fn mask(value: &mut Value, in_address: bool) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|item| mask(item, in_address)),
        Value::Object(object) => {
            let person = object
                .keys()
                .any(|key| PERSON_MARKERS.contains(&key.as_str()));
            for (key, child) in object.iter_mut() {
                let key = key.as_str();
                match child {
                    Value::String(text) if !text.is_empty() => {
                        if NAME_KEYS.contains(&key) && (person || in_address) {
                            *text = mask_name(text);
                        } else if PERSONAL_KEYS.contains(&key)
                            || (in_address && ADDRESS_FIELDS.contains(&key))
                        {
                            *text = "***".into();
                        }
                    }
                    Value::Array(_) | Value::Object(_) => {
                        mask(child, in_address || ADDRESS_HOLDERS.contains(&key))
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
