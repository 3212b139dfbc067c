//! The consent pages both services show in the merchant's browser. Self-contained HTML: no
//! script and no remote content.

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(title: &str, accent: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f8;
         color: #1d2733; margin: 0; display: flex; min-height: 100vh; align-items: center;
         justify-content: center; }}
  main {{ background: #fff; border-radius: 12px; box-shadow: 0 2px 16px rgba(0,0,0,.08);
          padding: 32px 40px; max-width: 460px; width: 100%; }}
  h1 {{ font-size: 1.35rem; margin: 0 0 8px; }}
  .brand {{ color: {accent}; font-weight: 700; letter-spacing: .02em; margin-bottom: 20px; }}
  .sandbox {{ background: #fff4d6; color: #6b4e00; border-radius: 6px; padding: 6px 10px;
              font-size: .85rem; margin-bottom: 16px; display: inline-block; }}
  ul {{ padding-left: 20px; line-height: 1.7; }}
  .actions {{ display: flex; gap: 12px; margin-top: 24px; }}
  button {{ font: inherit; border-radius: 8px; padding: 10px 20px; cursor: pointer; border: 1px solid #c9d1d9;
            background: #fff; }}
  button.primary {{ background: {accent}; border-color: {accent}; color: #fff; font-weight: 600; }}
  button:focus-visible {{ outline: 3px solid #7aa7ff; outline-offset: 2px; }}
  .error {{ color: #a4161a; }}
</style>
</head>
<body><main>{body}</main></body>
</html>"#
    )
}

pub(crate) fn nuvemshop_consent(app_id: &str, store_name: &str, state: Option<&str>) -> String {
    let state_field = state
        .map(|state| {
            format!(
                r#"<input type="hidden" name="state" value="{}">"#,
                escape(state)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<div class="brand">nuvemshop</div>
<div class="sandbox">Ambiente de demonstração</div>
<h1>Instalar o aplicativo Ponte</h1>
<p>O aplicativo Ponte quer acessar a loja <strong>{store}</strong> para:</p>
<ul>
  <li>Ver os pedidos da loja</li>
  <li>Ver os clientes</li>
  <li>Ver os produtos</li>
</ul>
<form method="post" action="/apps/{app}/authorize">
  {state_field}
  <div class="actions">
    <button class="primary" id="instalar" type="submit" name="decision" value="install">Instalar</button>
    <button id="cancelar" type="submit" name="decision" value="cancel">Cancelar</button>
  </div>
</form>"#,
        store = escape(store_name),
        app = escape(app_id),
    );
    layout("Instalar aplicativo — Nuvemshop", "#2c3357", &body)
}

pub(crate) struct ContaAzulConsent<'a> {
    pub company: &'a str,
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub state: Option<&'a str>,
    pub scope: Option<&'a str>,
}

pub(crate) fn contaazul_consent(consent: ContaAzulConsent<'_>) -> String {
    let hidden = |name: &str, value: Option<&str>| {
        value
            .map(|value| {
                format!(
                    r#"<input type="hidden" name="{name}" value="{}">"#,
                    escape(value)
                )
            })
            .unwrap_or_default()
    };
    let body = format!(
        r#"<div class="brand">Conta Azul</div>
<div class="sandbox">Ambiente de demonstração</div>
<h1>Autorizar o acesso do Ponte</h1>
<p>Você entrou como <strong>ana.souza@empresa-demonstracao.com.br</strong>.</p>
<p>O Ponte quer acessar a empresa <strong>{company}</strong> para criar vendas, clientes e produtos.</p>
<form method="post" action="/oauth2/authorize">
  {client}{redirect}{state}{scope}
  <div class="actions">
    <button class="primary" id="autorizar" type="submit" name="decision" value="allow">Autorizar</button>
    <button id="cancelar" type="submit" name="decision" value="deny">Cancelar</button>
  </div>
</form>"#,
        company = escape(consent.company),
        client = hidden("client_id", Some(consent.client_id)),
        redirect = hidden("redirect_uri", Some(consent.redirect_uri)),
        state = hidden("state", consent.state),
        scope = hidden("scope", consent.scope),
    );
    layout("Autorizar acesso — Conta Azul", "#0b6bcb", &body)
}

pub(crate) fn message(brand: &str, title: &str, text: &str, is_error: bool) -> String {
    let class = if is_error { r#" class="error""# } else { "" };
    let body = format!(
        r#"<div class="brand">{}</div><h1{class}>{}</h1><p>{}</p>"#,
        escape(brand),
        escape(title),
        escape(text)
    );
    layout(title, "#2c3357", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = nuvemshop_consent("1", "<Loja>", Some("\"><script>"));
        assert!(page.contains("&lt;Loja&gt;"));
        assert!(!page.contains("<script>"));
    }
}
