//! R18–R21: why Conta Azul refused a sale, and what the merchant does about it.

use crate::contaazul::assumptions::{
    error_message, is_payment_type_refused, is_product_problem, is_stock_validation,
};
use crate::problem::Problem;

/// Classifies a refused sale. `descriptions` are the order's lines, to name the product.
pub fn classify_refusal(status: u16, body: &str, descriptions: &[String]) -> Problem {
    let message = error_message(body);
    let named = descriptions
        .iter()
        .find(|description| message.contains(description.as_str()))
        .cloned()
        .or_else(|| quoted(&message));
    if is_stock_validation(status, &message) {
        return Problem::stock_validation(named.as_deref()).with_details(message);
    }
    if is_payment_type_refused(status, &message) {
        return Problem::payment_type_refused(&message).with_details(message);
    }
    if is_product_problem(status, &message) {
        return Problem::product_refused(named.as_deref()).with_details(message);
    }
    // R21: anything else goes to support with a report.
    Problem::sale_refused(&message).with_details(message)
}

fn quoted(message: &str) -> Option<String> {
    let start = message.find(['"', '“'])?;
    let rest = &message[start + message[start..].chars().next()?.len_utf8()..];
    let end = rest.find(['"', '”'])?;
    Some(rest[..end].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r19_stock_validation_names_the_product_and_the_setting_to_change() {
        let body = r#"{"error":"Não há estoque suficiente para o produto \"Caneca Cerâmica\". Disponível: 0, solicitado: 2."}"#;
        let problem = classify_refusal(400, body, &["Caneca Cerâmica".into()]);
        assert_eq!(problem.code, crate::problem::ProblemCode::StockValidation);
        assert!(problem.message.contains("“Caneca Cerâmica”"));
        assert!(problem
            .message
            .contains("Verificar estoque ao criar uma venda"));
        assert!(problem.hint.contains(
            "Configurações e plano > Mais configurações > Estoque > Configurações do estoque > Permissões do estoque"
        ));
        assert!(problem.hint.contains("Tentar novamente"));
        assert!(problem.details.unwrap().contains("Disponível: 0"));
    }

    #[test]
    fn r20_product_refusals_point_to_the_stock_screen() {
        let body = r#"{"error":"O produto \"Vela\" está inativo e não pode ser vendido"}"#;
        let problem = classify_refusal(400, body, &[]);
        assert_eq!(problem.code, crate::problem::ProblemCode::ProductProblem);
        assert!(problem.message.contains("“Vela”"));
        assert!(problem.hint.contains("Mostrar produtos com saldo zero"));
    }

    /// Issue 22: the Sales OpenAPI and the current `createVenda` page spell two payment types
    /// differently; whichever Conta Azul refuses is a setting to change, not a support case.
    #[test]
    fn a_refused_payment_type_points_to_the_payment_settings() {
        for body in [
            r#"{"error":"tipo_pagamento inválido: LINK_PAGAMENTO"}"#,
            r#"{"message":"condicao_pagamento.tipo_pagamento: value not in enum"}"#,
        ] {
            let problem = classify_refusal(400, body, &[]);
            assert_eq!(
                problem.code,
                crate::problem::ProblemCode::PaymentTypeRefused
            );
            assert!(
                problem.hint.contains("Forma de pagamento na Conta Azul"),
                "{problem:?}"
            );
            assert!(problem.hint.contains("Tentar novamente"));
        }
    }

    #[test]
    fn r21_anything_else_offers_the_support_report() {
        let problem = classify_refusal(400, r#"{"error":"Cliente não encontrado: 12"}"#, &[]);
        assert_eq!(problem.code, crate::problem::ProblemCode::ContaazulRefused);
        assert!(problem.hint.contains("Copiar relatório para o suporte"));
        assert!(problem.message.contains("Cliente não encontrado"));
    }
}
