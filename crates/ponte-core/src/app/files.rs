//! What the merchant takes out of Ponte: a list as a spreadsheet, a sale as Conta Azul prints it,
//! an order's support report (personal data masked).

use super::App;
use crate::error::{Error, Result};
use crate::nuvemshop::NuvemshopClient;
use crate::store::OrderState;

impl App {
    /// One of the dashboard's lists as a spreadsheet (`export`: UTF-8 with a BOM, `;`, a
    /// decimal comma).
    pub fn export_csv(&self, state: OrderState) -> Result<Vec<u8>> {
        crate::export::orders_csv(state, &self.orders(Some(state))?)
    }

    /// *Exportar planilha*: the list written to `folder` (by default the Downloads folder),
    /// named after the list and the moment; answers the file's path.
    pub fn export_csv_file(
        &self,
        state: OrderState,
        folder: Option<&std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        let folder = match folder {
            Some(folder) => folder.to_path_buf(),
            None => crate::files::downloads(&self.config.data_dir),
        };
        let at = self
            .clock
            .now()
            .with_timezone(&chrono_tz::America::Sao_Paulo);
        let name = format!(
            "ponte-{}-{}.csv",
            crate::export::file_stem(state),
            at.format("%Y-%m-%d-%H%M%S")
        );
        Ok(crate::files::write_new(
            &folder,
            &name,
            &self.export_csv(state)?,
        )?)
    }

    /// *Ver venda*: an imported order's sale as Conta Azul prints it, written to `to`, or by
    /// default to a new `ponte-venda-N.pdf` in the Downloads folder (`ponte-venda-N (2).pdf`
    /// when that name is taken: nothing is overwritten); answers the file's path.
    pub async fn save_sale_pdf(
        &self,
        order_id: u64,
        to: Option<&std::path::Path>,
    ) -> Result<std::path::PathBuf> {
        let order = self
            .store
            .order(order_id)?
            .filter(|order| order.state == OrderState::Imported)
            .ok_or_else(|| Error::NotFound(format!("no imported order {order_id}")))?;
        let sale_id = order
            .sale_id
            .ok_or_else(|| Error::NotFound(format!("order {order_id} has no sale id")))?;
        let pdf = self
            .contaazul_client()?
            .venda_pdf(&sale_id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("sale {sale_id} is no longer in Conta Azul")))?;
        match to {
            Some(path) => {
                std::fs::write(path, pdf)?;
                Ok(path.to_path_buf())
            }
            None => Ok(crate::files::write_new(
                &crate::files::downloads(&self.config.data_dir),
                &format!("ponte-venda-{}.pdf", order.sale_number.unwrap_or_default()),
                &pdf,
            )?),
        }
    }

    /// R21: what support needs, with personal data masked and no token anywhere.
    pub fn support_report(&self, order_id: u64) -> Result<String> {
        let order = self
            .store
            .order(order_id)?
            .ok_or_else(|| Error::NotFound(format!("no order {order_id}")))?;
        let mut report = format!(
            "Relatório do Ponte para o suporte\n\nPedido Nuvemshop: #{}\nID do pedido: {}\n\
             Total: {}\nURL do pedido: {}\nSituação no Ponte: {} ({})\n",
            order.number,
            order.order_id,
            order
                .total
                .as_deref()
                .and_then(|t| t.parse().ok())
                .map(crate::money::brl)
                .unwrap_or_else(|| "—".into()),
            NuvemshopClient::admin_order_url(
                self.store.settings()?.nuvemshop_domain.as_deref(),
                order.order_id
            ),
            order.state.label(),
            order.state.as_str(),
        );
        if let Some(problem) = &order.error {
            report.push_str(&format!(
                "Motivo: {}\nO que fazer: {}\nCódigo: {}\n",
                crate::privacy::redact(&problem.message),
                problem.hint,
                problem.code
            ));
            if let Some(details) = &problem.details {
                report.push_str(&format!("Detalhes: {}\n", crate::privacy::redact(details)));
            }
        }
        report.push_str("\nRequisições e respostas:\n");
        for exchange in self.store.audit(order_id)? {
            report.push_str(&format!(
                "\n> {} {}\n",
                exchange.method,
                crate::privacy::redact_url(&exchange.url)
            ));
            if let Some(body) = &exchange.request_body {
                report.push_str(&format!("{}\n", crate::privacy::redact_body(body)));
            }
            report.push_str(&format!(
                "< {}\n{}\n",
                exchange
                    .status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "sem resposta".into()),
                crate::privacy::redact_body(&exchange.response_body)
            ));
        }
        // What the services answered where their documents are silent, when it was asked.
        if let Some(diagnosis) = self.last_diagnosis()? {
            report.push('\n');
            report.push_str(&crate::privacy::redact(&diagnosis.summary()));
        }
        // The buyer's name where a message carries it (a refused customer's, for one).
        if let Some(name) = order
            .customer_name
            .as_deref()
            .filter(|name| !name.trim().is_empty())
        {
            report = report.replace(name, &crate::privacy::mask_name(name));
        }
        Ok(report)
    }
}
