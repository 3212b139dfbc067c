//! `GET /v1/venda/{id}/imprimir`: the sale as a one-page PDF, as the Sales API documents it
//! (`application/pdf`). Conta Azul's own layout is not public; this page carries what a
//! merchant checks — number, date, customer, items, freight, total, notes.

use rust_decimal::Decimal;

use super::model::Venda;

/// Text as a PDF string in WinAnsiEncoding (Latin-1 covers Portuguese); other characters
/// become `?`.
fn pdf_text(text: &str) -> Vec<u8> {
    let mut out = vec![b'('];
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(c as u8);
            }
            c if (c as u32) < 0x20 => out.push(b' '),
            c if (c as u32) <= 0xFF => out.push(c as u32 as u8),
            _ => out.push(b'?'),
        }
    }
    out.push(b')');
    out
}

fn money(value: Decimal) -> String {
    format!("R$ {}", crate::money::cents(value)).replace('.', ",")
}

pub fn sale_pdf(venda: &Venda, cliente: Option<&str>) -> Vec<u8> {
    let mut lines = vec![
        format!("Venda {}", venda.numero),
        format!("Data: {}", venda.data_venda.format("%d/%m/%Y")),
        format!("Cliente: {}", cliente.unwrap_or("-")),
        String::new(),
    ];
    for item in &venda.itens {
        lines.push(format!(
            "{} x {}  {}",
            item.quantidade.normalize(),
            item.nome_produto,
            money(item.valor)
        ));
    }
    lines.push(String::new());
    lines.push(format!("Frete: {}", money(venda.frete)));
    lines.push(format!("Total: {}", money(venda.total())));
    if let Some(notes) = &venda.observacoes {
        lines.push(format!("Observações: {notes}"));
    }
    let mut content = b"BT /F1 12 Tf 50 790 Td 16 TL\n".to_vec();
    for line in &lines {
        content.extend(pdf_text(line));
        content.extend(b" Tj T*\n");
    }
    content.extend(b"ET\n");

    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
          /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_vec(),
        [
            format!("<< /Length {} >>\nstream\n", content.len()).into_bytes(),
            content,
            b"endstream".to_vec(),
        ]
        .concat(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    for (index, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", index + 1).into_bytes());
        pdf.extend(object);
        pdf.extend(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).into_bytes());
    for offset in offsets {
        pdf.extend(format!("{offset:010} 00000 n \n").into_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .into_bytes(),
    );
    pdf
}
