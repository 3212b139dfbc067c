//! R10: each line's product, selected when a Conta Azul product has exactly the same
//! description, created otherwise.

use rust_decimal::Decimal;

use crate::contaazul::assumptions::{PRODUCT_CODE_MAX_CHARS, PRODUCT_NAME_MAX_CHARS};
use crate::contaazul::wire::{NewProduto, NewProdutoEstoque, ProdutoSummary};
use crate::problem::Problem;
use crate::rules::same_text;
use crate::rules::text::clean_text_within;

/// A line's description as Conta Azul takes it for a product's name (R10): cleaned and cut to
/// the field's length, the same for the search, the comparison and the creation.
pub fn product_name(description: &str) -> String {
    clean_text_within(description, PRODUCT_NAME_MAX_CHARS)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProductMatch {
    Reuse(String),
    Create,
    /// R20: a product with this description exists but cannot be sold.
    Unusable(Problem),
}

/// Each product once: a product listed twice under one id (by a listing per `status` that the
/// API does not filter, `contaazul::assumptions::PRODUCTS_FILTERED_BY_STATUS`) is one product;
/// only different ids make two.
fn distinct<'a>(candidates: impl Iterator<Item = &'a ProdutoSummary>) -> Vec<&'a ProdutoSummary> {
    let mut seen = std::collections::HashSet::new();
    candidates.filter(|p| seen.insert(p.id.as_str())).collect()
}

pub fn match_product(description: &str, candidates: &[ProdutoSummary]) -> ProductMatch {
    let same = distinct(
        candidates
            .iter()
            .filter(|candidate| same_text(&candidate.nome, description)),
    );
    let active: Vec<&&ProdutoSummary> = same.iter().filter(|p| p.is_active()).collect();
    match (active.as_slice(), same.is_empty()) {
        ([only], _) => ProductMatch::Reuse(only.id.clone()),
        ([], true) => ProductMatch::Create,
        ([], false) => ProductMatch::Unusable(Problem::product_inactive(description)),
        (_, _) => ProductMatch::Unusable(Problem::product_ambiguous(description)),
    }
}

/// A line's SKU as a product code: trimmed; none when empty or longer than the field.
pub fn product_sku(sku: Option<&str>) -> Option<String> {
    let sku = sku?.trim();
    (!sku.is_empty() && sku.chars().count() <= PRODUCT_CODE_MAX_CHARS).then(|| sku.to_string())
}

/// R10, beyond (matching by SKU switched on): the product whose code is exactly the line's
/// SKU; `None` when no product has it, and the description decides.
pub fn match_by_sku(
    sku: &str,
    description: &str,
    candidates: &[ProdutoSummary],
) -> Option<ProductMatch> {
    let same = distinct(
        candidates
            .iter()
            .filter(|candidate| candidate.sku() == Some(sku)),
    );
    let active: Vec<&&ProdutoSummary> = same.iter().filter(|p| p.is_active()).collect();
    let named = format!("{description} (SKU {sku})");
    match (active.as_slice(), same.is_empty()) {
        (_, true) => None,
        ([only], _) => Some(ProductMatch::Reuse(only.id.clone())),
        ([], false) => Some(ProductMatch::Unusable(Problem::product_inactive(&named))),
        (_, _) => Some(ProductMatch::Unusable(Problem::product_ambiguous(&named))),
    }
}

/// A product created for a line: its description, and the line's price as the sale price;
/// its SKU as the code when products are matched by SKU.
pub fn new_product(description: &str, price: Decimal, sku: Option<&str>) -> NewProduto {
    NewProduto {
        nome: description.to_string(),
        codigo_sku: sku.map(str::to_string),
        formato: "SIMPLES",
        estoque: NewProdutoEstoque { valor_venda: price },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn produto(id: &str, nome: &str, status: &str) -> ProdutoSummary {
        ProdutoSummary {
            id: id.into(),
            nome: nome.into(),
            status: Some(status.into()),
            codigo: None,
            codigo_sku: None,
            saldo: None,
        }
    }

    /// Issue 22: Conta Azul may ignore `status` on `GET /v1/produtos` (documented by the n8n
    /// node and an SDK only): each product then comes in both listings under its one id. It is
    /// one product, reused; two ids with the description stay ambiguous (R10).
    #[test]
    fn r10_a_product_listed_twice_under_one_id_is_one_product() {
        let twice = vec![
            produto("1", "Caneca", "ATIVO"),
            produto("2", "Prato", "INATIVO"),
            produto("1", "Caneca", "ATIVO"),
            produto("2", "Prato", "INATIVO"),
        ];
        assert_eq!(
            match_product("Caneca", &twice),
            ProductMatch::Reuse("1".into())
        );
        assert!(matches!(
            match_product("Prato", &twice),
            ProductMatch::Unusable(problem) if problem.code == crate::problem::ProblemCode::ProductInactive
        ));
        let coded_twice = vec![
            coded("1", "Caneca", "CAN-1", "ATIVO"),
            coded("1", "Caneca", "CAN-1", "ATIVO"),
        ];
        assert_eq!(
            match_by_sku("CAN-1", "Caneca", &coded_twice),
            Some(ProductMatch::Reuse("1".into()))
        );
        let two_ids = vec![
            produto("1", "Caneca", "ATIVO"),
            produto("3", "Caneca", "ATIVO"),
        ];
        assert!(matches!(
            match_product("Caneca", &two_ids),
            ProductMatch::Unusable(problem) if problem.code == crate::problem::ProblemCode::ProductAmbiguous
        ));
    }

    #[test]
    fn r10_the_same_description_selects_the_product() {
        let candidates = vec![
            produto("1", "Camiseta Básica (P)", "ATIVO"),
            produto("2", "Camiseta Básica (PP)", "ATIVO"),
        ];
        assert_eq!(
            match_product("camiseta básica (p)", &candidates),
            ProductMatch::Reuse("1".into())
        );
    }

    #[test]
    fn r10_no_product_with_that_description_means_creating_one() {
        let candidates = vec![produto("2", "Camiseta Básica (PP)", "ATIVO")];
        assert_eq!(
            match_product("Camiseta Básica (P)", &candidates),
            ProductMatch::Create
        );
        assert_eq!(match_product("Camiseta", &[]), ProductMatch::Create);
        let created = new_product("Camiseta", "59.90".parse().unwrap(), None);
        assert_eq!(created.nome, "Camiseta");
        assert_eq!(
            created.estoque.valor_venda,
            "59.90".parse::<Decimal>().unwrap()
        );
    }

    fn coded(id: &str, nome: &str, sku: &str, status: &str) -> ProdutoSummary {
        ProdutoSummary {
            codigo: Some(sku.into()),
            ..produto(id, nome, status)
        }
    }

    #[test]
    fn r10_beyond_a_sku_selects_its_product_whatever_the_description() {
        let candidates = vec![
            coded("1", "Camiseta azul tamanho P", "CAM-P", "ATIVO"),
            coded("2", "Camiseta azul tamanho M", "CAM-M", "ATIVO"),
        ];
        assert_eq!(
            match_by_sku("CAM-P", "Camiseta Azul (P)", &candidates),
            Some(ProductMatch::Reuse("1".into()))
        );
        assert_eq!(
            match_by_sku("CAM-G", "Camiseta Azul (G)", &candidates),
            None
        );
        let inactive = vec![coded("3", "Caneca", "CAN-1", "INATIVO")];
        assert!(matches!(
            match_by_sku("CAN-1", "Caneca", &inactive),
            Some(ProductMatch::Unusable(p)) if p.code == crate::problem::ProblemCode::ProductInactive
        ));
        let twice = vec![coded("4", "A", "X", "ATIVO"), coded("5", "B", "X", "ATIVO")];
        assert!(matches!(
            match_by_sku("X", "A", &twice),
            Some(ProductMatch::Unusable(p)) if p.code == crate::problem::ProblemCode::ProductAmbiguous
        ));
        assert_eq!(product_sku(Some("  CAM-P ")), Some("CAM-P".into()));
        assert_eq!(product_sku(Some("   ")), None);
        assert_eq!(
            product_sku(Some(&"9".repeat(61))),
            None,
            "longer than the field"
        );
        assert_eq!(
            new_product("Caneca", Decimal::ONE, Some("CAN-1"))
                .codigo_sku
                .as_deref(),
            Some("CAN-1")
        );
    }

    #[test]
    fn r20_inactive_or_ambiguous_products_fail_with_the_stock_screen_hint() {
        let inactive = vec![produto("1", "Caneca", "INATIVO")];
        match match_product("Caneca", &inactive) {
            ProductMatch::Unusable(problem) => {
                assert_eq!(problem.code, crate::problem::ProblemCode::ProductInactive);
                assert!(problem.hint.contains("Estoque > Situação de estoque"));
                assert!(problem.hint.contains("Mostrar produtos com saldo zero"));
            }
            other => panic!("{other:?}"),
        }
        let twice = vec![
            produto("1", "Caneca", "ATIVO"),
            produto("2", "caneca", "ATIVO"),
        ];
        assert!(
            matches!(match_product("Caneca", &twice), ProductMatch::Unusable(p) if p.code == crate::problem::ProblemCode::ProductAmbiguous)
        );
        let one_active = vec![
            produto("1", "Caneca", "INATIVO"),
            produto("2", "Caneca", "ATIVO"),
        ];
        assert_eq!(
            match_product("Caneca", &one_active),
            ProductMatch::Reuse("2".into())
        );
    }
}
