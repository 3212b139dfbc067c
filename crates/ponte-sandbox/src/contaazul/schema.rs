//! Conta Azul's published Sales OpenAPI, embedded verbatim: the simulator validates what it
//! receives against the request schemas, as the real API does, and the tests validate what it
//! answers against the response schemas.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::Value;

const SALES_SPEC_YAML: &str = include_str!("../../../../specs/contaazul-sales-openapi.yml");

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        serde_norway::from_str(SALES_SPEC_YAML).expect("the embedded Sales OpenAPI is valid YAML")
    })
}

/// The whole spec as the root document, pointing at one component: its `$ref`s resolve in place.
fn validator(component: &str) -> &'static jsonschema::Validator {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(validator) = cache.get(component) {
        return validator;
    }
    let mut root = spec().clone();
    if let Some(object) = root.as_object_mut() {
        object.insert(
            "$ref".into(),
            Value::String(format!("#/components/schemas/{component}")),
        );
    }
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&root)
        .unwrap_or_else(|error| panic!("schema {component} does not compile: {error}"));
    let leaked: &'static jsonschema::Validator = Box::leak(Box::new(validator));
    cache.insert(component.to_string(), leaked);
    leaked
}

/// Checks `instance` against `#/components/schemas/{component}`; the errors name the path.
pub fn validate(component: &str, instance: &Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> = validator(component)
        .iter_errors(instance)
        .map(|error| {
            let path = error.instance_path().to_string();
            if path.is_empty() {
                error.to_string()
            } else {
                format!("{path}: {error}")
            }
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_spec_rejects_a_sale_without_required_fields() {
        let errors = validate("CriacaoVendaRequest", &json!({ "numero": 1 })).unwrap_err();
        assert!(
            errors.iter().any(|e| e.contains("id_cliente")),
            "{errors:?}"
        );
    }

    #[test]
    fn the_spec_rejects_a_situacao_outside_the_enum() {
        let sale = json!({
            "id_cliente": "123e4567-e89b-12d3-a456-426614174000",
            "numero": 1,
            "situacao": "REVISAO_PENDENTE",
            "data_venda": "2026-11-29",
            "itens": [{ "id": "123e4567-e89b-12d3-a456-426614174001", "quantidade": 1, "valor": 10 }],
            "condicao_pagamento": { "opcao_condicao_pagamento": "À vista",
                "parcelas": [{ "data_vencimento": "2026-11-29", "valor": 10 }] },
        });
        let errors = validate("CriacaoVendaRequest", &sale).unwrap_err();
        assert!(errors.iter().any(|e| e.contains("situacao")), "{errors:?}");
        let mut fixed = sale.clone();
        fixed["situacao"] = json!("EM_ANDAMENTO");
        assert_eq!(validate("CriacaoVendaRequest", &fixed), Ok(()));
    }
}
