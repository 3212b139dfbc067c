//! The dashboard's lists as a spreadsheet: CSV the way Brazilian spreadsheets open it — UTF-8
//! with a byte-order mark (so accents survive Excel), `;` between fields, a decimal comma —
//! with the columns the merchant sees on screen.

use rust_decimal::Decimal;

use crate::error::{Error, Result};
use crate::money::cents;
use crate::store::{LedgerOrder, OrderState};
use crate::time::{br_date, business_date};

const BOM: &[u8] = "\u{feff}".as_bytes();

/// The lists that can be exported, each with the columns of its screen.
pub fn columns(state: OrderState) -> &'static [&'static str] {
    match state {
        OrderState::Imported => &[
            "Pedido",
            "Cliente",
            "Total",
            "Data",
            "Venda na Conta Azul",
            "Situação",
        ],
        OrderState::Failed => &[
            "Pedido",
            "Cliente",
            "Total",
            "Data",
            "Motivo",
            "O que fazer",
        ],
        OrderState::Skipped => &["Pedido", "Cliente", "Total", "Data", "Motivo"],
        OrderState::Queued | OrderState::Importing => &["Pedido", "Cliente", "Total", "Data"],
    }
}

/// The list's name in a file name.
pub fn file_stem(state: OrderState) -> &'static str {
    match state {
        OrderState::Imported => "vendas-importadas",
        OrderState::Failed => "pedidos-nao-importados",
        OrderState::Skipped => "pedidos-ignorados",
        OrderState::Queued => "pedidos-na-fila",
        OrderState::Importing => "pedidos-importando",
    }
}

/// The orders of one list (all in `state`) as CSV bytes.
pub fn orders_csv(state: OrderState, orders: &[LedgerOrder]) -> Result<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(b';')
        .terminator(csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    let csv_error = |error: csv::Error| Error::Config(format!("CSV: {error}"));
    writer.write_record(columns(state)).map_err(csv_error)?;
    for order in orders.iter().filter(|o| o.state == state) {
        let mut row = vec![
            format!("#{}", order.number),
            text(order.customer_name.as_deref().unwrap_or("")),
            order
                .total
                .as_deref()
                .map(decimal_comma)
                .unwrap_or_default(),
            order
                .paid_at
                .or(order.created_at)
                .map(|at| br_date(business_date(at)))
                .unwrap_or_default(),
        ];
        match state {
            OrderState::Imported => {
                row.push(order.sale_number.map(|n| n.to_string()).unwrap_or_default());
                row.push("Revisão Pendente".into());
            }
            OrderState::Failed => {
                let problem = order.error.as_ref();
                row.push(text(problem.map(|p| p.message.as_str()).unwrap_or("")));
                row.push(text(problem.map(|p| p.hint.as_str()).unwrap_or("")));
            }
            OrderState::Skipped => row.push(text(order.skip_reason.as_deref().unwrap_or(""))),
            OrderState::Queued | OrderState::Importing => {}
        }
        writer.write_record(&row).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|error| Error::Config(format!("CSV: {error}")))
}

/// `1234,50`: a number a Brazilian spreadsheet reads as one (no thousands separator, which it
/// would take for text).
fn decimal_comma(total: &str) -> String {
    match total.trim().parse::<Decimal>() {
        Ok(value) => format!("{:.2}", cents(value)).replace('.', ","),
        Err(_) => text(total),
    }
}

/// A field a spreadsheet shows as text: one whose first visible character starts a formula
/// (`=`, `+`, `-`, `@`, or their full-width forms, which spreadsheets read the same) gets a
/// leading apostrophe, so that a customer named `=HYPERLINK(…)` is a name, not a link. Blanks
/// and control characters before it do not hide it.
fn text(value: &str) -> String {
    const FORMULA: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];
    let first = value
        .chars()
        .find(|c| !c.is_whitespace() && !c.is_control() && *c != '\u{feff}');
    if value.starts_with(['\t', '\r']) || first.is_some_and(|c| FORMULA.contains(&c)) {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::{Problem, ProblemCode};
    use chrono::{TimeZone, Utc};

    fn order(number: u64, state: OrderState) -> LedgerOrder {
        LedgerOrder {
            order_id: number,
            number,
            state,
            customer_name: Some("José Conceição".into()),
            total: Some("1234.5".into()),
            created_at: None,
            // 01:30 UTC on the 1st is still the 30th in São Paulo.
            paid_at: Some(Utc.with_ymd_and_hms(2026, 12, 1, 1, 30, 0).unwrap()),
            payload: None,
            sale_number: Some(77),
            sale_id: Some("venda-77".into()),
            error: None,
            skip_reason: None,
            attempts: 0,
            updated_at: Utc::now(),
            imported_at: None,
            sent_at: None,
            number_taken: false,
        }
    }

    #[test]
    fn imported_sales_open_as_a_brazilian_spreadsheet_expects() {
        let mut tricky = order(102, OrderState::Imported);
        tricky.customer_name = Some("=HYPERLINK(\"x\"); \"Ana\"".into());
        let bytes = orders_csv(
            OrderState::Imported,
            &[order(101, OrderState::Imported), tricky],
        )
        .unwrap();
        assert!(bytes.starts_with(BOM), "UTF-8 with a BOM");
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Pedido;Cliente;Total;Data;Venda na Conta Azul;Situação"
        );
        assert_eq!(
            lines[1],
            "#101;José Conceição;1234,50;30/11/2026;77;Revisão Pendente"
        );
        assert_eq!(
            lines[2],
            "#102;\"'=HYPERLINK(\"\"x\"\"); \"\"Ana\"\"\";1234,50;30/11/2026;77;Revisão Pendente",
            "quoted, and not a formula"
        );
        assert_eq!(lines[3], "", "ends with a line break");
    }

    #[test]
    fn a_formula_is_text_whatever_comes_before_it_or_however_it_is_written() {
        for formula in [
            "=1+1",
            " =HYPERLINK(\"x\")",
            "\u{a0}\u{a0}+55",
            "\n-2",
            "＝HYPERLINK(\"x\")",
            " ＋1",
            "－1",
            "＠SUM(A1)",
            "\u{feff}=1",
        ] {
            assert!(text(formula).starts_with('\''), "{formula:?}");
        }
        for plain in ["Ana", "R$ 10", "", "   ", "Loja-1"] {
            assert_eq!(text(plain), plain);
        }
    }

    #[test]
    fn failed_orders_carry_the_reason_and_what_to_do() {
        let mut failed = order(7, OrderState::Failed);
        failed.error = Some(Problem::of(ProblemCode::StockValidation));
        failed.customer_name = None;
        let other = order(8, OrderState::Imported);
        let bytes = orders_csv(OrderState::Failed, &[failed, other]).unwrap();
        let text = String::from_utf8(bytes[BOM.len()..].to_vec()).unwrap();
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "only the list asked for");
        let problem = Problem::of(ProblemCode::StockValidation);
        assert_eq!(&rows[0][0], "#7");
        assert_eq!(&rows[0][1], "", "an erased or missing name stays empty");
        assert_eq!(&rows[0][4], problem.message);
        assert_eq!(&rows[0][5], problem.hint);
    }
}
