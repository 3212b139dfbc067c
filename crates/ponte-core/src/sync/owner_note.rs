//! Opt-in: the sale's number written into the Nuvemshop order's private note (`owner_note`),
//! so that the store's admin says where the order went. Best effort: the sale is what matters,
//! and a note that cannot be written never fails the order.

use serde_json::Value;

use super::Engine;
use crate::error::{Error, Result};

/// The line Ponte adds to an order's private note once its sale is in Conta Azul.
pub fn sale_line(numero: i64) -> String {
    format!("Venda {numero} na Conta Azul (Ponte)")
}

/// The merchant's note with the line added after it; `None` when it already has the line.
pub fn with_sale_line(existing: Option<&str>, numero: i64) -> Option<String> {
    let line = sale_line(numero);
    match existing.map(str::trim_end).filter(|note| !note.is_empty()) {
        Some(note) if note.lines().any(|l| l.trim() == line) => None,
        Some(note) => Some(format!("{note}\n{line}")),
        None => Some(line),
    }
}

/// What *Configurações* says when the note could not be written.
const NO_PERMISSION: &str = "A Nuvemshop não deixou o Ponte escrever a nota do pedido: o \
    aplicativo precisa da permissão de editar pedidos (write_orders). Reconecte a loja para \
    concedê-la, ou desligue esta opção.";
const NOT_WRITTEN: &str = "A nota do último pedido não pôde ser escrita na Nuvemshop agora; as \
    próximas vendas tentam de novo.";

impl Engine {
    /// Adds the sale's line to the order's private note, keeping what the merchant wrote.
    pub(super) async fn write_owner_note(&self, order_id: u64, numero: i64) -> Result<()> {
        // Read fresh: the merchant may have edited the note since the order was listed. This
        // read also proves the token still works: a refusal of the write after it is the
        // write's permission, never the integration's access (R5).
        let order = match self.nuvemshop.order(order_id).await {
            Ok(order) => order,
            Err(error @ (Error::NuvemshopAccessRevoked | Error::NuvemshopSuspended)) => {
                return Err(error)
            }
            Err(error) => return self.note_not_written(order_id, &error, NOT_WRITTEN),
        };
        let existing = order.get("owner_note").and_then(Value::as_str);
        let Some(note) = with_sale_line(existing, numero) else {
            return self.store.set_owner_note_problem(None);
        };
        match self.nuvemshop.set_owner_note(order_id, &note).await {
            Ok(()) => self.store.set_owner_note_problem(None),
            Err(error @ Error::NuvemshopSuspended) => Err(error),
            Err(
                error @ (Error::NuvemshopAccessRevoked
                | Error::Api {
                    status: 401 | 403, ..
                }),
            ) => self.note_not_written(order_id, &error, NO_PERMISSION),
            Err(error) => self.note_not_written(order_id, &error, NOT_WRITTEN),
        }
    }

    fn note_not_written(&self, order_id: u64, error: &Error, problem: &str) -> Result<()> {
        tracing::warn!(order = order_id, %error, "could not write the sale into the order's note");
        self.store.set_owner_note_problem(Some(problem))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_merchants_note_is_kept_and_the_line_added_once() {
        assert_eq!(
            with_sale_line(None, 42).as_deref(),
            Some("Venda 42 na Conta Azul (Ponte)")
        );
        assert_eq!(
            with_sale_line(Some("Embrulhar para presente\n"), 42).as_deref(),
            Some("Embrulhar para presente\nVenda 42 na Conta Azul (Ponte)")
        );
        assert_eq!(
            with_sale_line(Some("Presente\nVenda 42 na Conta Azul (Ponte)"), 42),
            None
        );
        assert_eq!(
            with_sale_line(Some("   "), 7).as_deref(),
            Some("Venda 7 na Conta Azul (Ponte)")
        );
    }
}
