//! R18–R21: why Conta Azul refused a sale, and what the merchant does about it.

use crate::contaazul::assumptions::{error_message, is_product_problem, is_stock_validation};
use crate::error::Problem;
use crate::rules::product::product_problem;

/// Classifies a refused sale. `descriptions` are the order's lines, to name the product.
pub fn classify_refusal(status: u16, body: &str, descriptions: &[String]) -> Problem {
    let message = error_message(body);
    let named = descriptions
        .iter()
        .find(|description| message.contains(description.as_str()))
        .cloned()
        .or_else(|| quoted(&message));
    if is_stock_validation(status, &message) {
        let product = named.unwrap_or_else(|| "do pedido".to_string());
        return Problem::new(
            "STOCK_VALIDATION",
            format!(
                "A Conta Azul recusou a venda: Verificar estoque ao criar uma venda está ativado e \
                 o produto “{product}” não tem estoque suficiente."
            ),
            "Desative a verificação em Configurações e plano > Mais configurações > Estoque > \
             Configurações do estoque > Permissões do estoque, ou ajuste o estoque do produto. \
             Depois clique em Tentar novamente.",
        )
        .with_details(message);
    }
    if is_product_problem(status, &message) {
        let what = named
            .map(|name| format!("A Conta Azul recusou o produto “{name}”."))
            .unwrap_or_else(|| "A Conta Azul recusou um produto do pedido.".to_string());
        return product_problem("PRODUCT_PROBLEM", what).with_details(message);
    }
    // R21: anything else goes to support with a report.
    Problem::new(
        "CONTAAZUL_REFUSED",
        format!("A Conta Azul recusou a venda: {message}"),
        "Clique em Tentar novamente. Se o erro continuar, use Copiar relatório para o suporte \
         e envie o relatório com a URL do pedido na Nuvemshop.",
    )
    .with_details(message)
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
        assert_eq!(problem.code, "STOCK_VALIDATION");
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
        assert_eq!(problem.code, "PRODUCT_PROBLEM");
        assert!(problem.message.contains("“Vela”"));
        assert!(problem.hint.contains("Mostrar produtos com saldo zero"));
    }

    #[test]
    fn r21_anything_else_offers_the_support_report() {
        let problem = classify_refusal(400, r#"{"error":"Cliente não encontrado: 12"}"#, &[]);
        assert_eq!(problem.code, "CONTAAZUL_REFUSED");
        assert!(problem.hint.contains("Copiar relatório para o suporte"));
        assert!(problem.message.contains("Cliente não encontrado"));
    }
}
