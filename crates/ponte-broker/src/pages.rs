//! The pages the merchant's browser lands on after each service's consent, in Portuguese.
//! They never carry a token: at most a top-level navigation back to the app on this machine.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn layout(title: &str, body: &str, script: Option<&str>) -> String {
    let script = script
        .map(|script| format!("<script>{script}</script>"))
        .unwrap_or_default();
    format!(
        r#"<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} — Ponte</title>
<style>
  body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f8;
         color: #1d2733; margin: 0; display: flex; min-height: 100vh; align-items: center;
         justify-content: center; }}
  main {{ background: #fff; border-radius: 12px; box-shadow: 0 2px 16px rgba(0,0,0,.08);
          padding: 32px 40px; max-width: 460px; width: 100%; box-sizing: border-box; }}
  .brand {{ color: #0b6bcb; font-weight: 700; margin-bottom: 16px; }}
  h1 {{ font-size: 1.35rem; margin: 0 0 8px; }}
  .code {{ font: 700 2rem/1.2 ui-monospace, "SF Mono", Consolas, monospace; letter-spacing: .12em;
           background: #e8f1fb; border-radius: 8px; padding: 12px 16px; text-align: center;
           margin: 16px 0; user-select: all; }}
  a.button {{ display: inline-block; margin-top: 16px; background: #0b6bcb; color: #fff;
              border-radius: 8px; padding: 10px 20px; text-decoration: none; font-weight: 600; }}
  .error {{ color: #a4161a; }}
</style>
</head>
<body><main><div class="brand">Ponte</div>{body}</main>{script}</body>
</html>"#
    )
}

pub fn html(status: StatusCode, page: String) -> Response {
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The code sits in this page's URL: it must not travel on as a referrer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; \
             frame-ancestors 'none'",
        ),
    );
    response
}

/// The connect went through: back to Ponte, by a top-level navigation (browsers allow a
/// script navigation to the loopback listener or the `ponte://` link, never a fetch).
pub fn ready(service_name: &str, return_to: Option<&str>) -> Response {
    let link = return_to
        .map(|url| {
            format!(
                r#"<a class="button" href="{}">Voltar ao Ponte</a>"#,
                escape(url)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Pronto, volte ao Ponte</h1><p>O acesso à {} foi autorizado. O Ponte termina a \
         conexão sozinho; pode fechar esta aba.</p>{link}",
        escape(service_name)
    );
    let script = return_to.map(|url| {
        // JSON is a valid JavaScript string literal; `<` is escaped so it cannot end the tag.
        let literal = serde_json::to_string(url)
            .unwrap_or_else(|_| "\"\"".into())
            .replace('<', "\\u003c");
        format!("setTimeout(function(){{location.replace({literal});}},400);")
    });
    html(StatusCode::OK, layout("Pronto", &body, script.as_deref()))
}

/// An install started in the Nuvemshop admin has no `state`: the merchant types this code.
pub fn pairing_code(code: &str, minutes: u64) -> Response {
    let body = format!(
        "<h1>Quase lá</h1><p>Abra o Ponte, clique em <strong>Conectar com Nuvemshop</strong> e \
         digite este código em <strong>Já instalou pela Nuvemshop?</strong>:</p>\
         <div class=\"code\" id=\"codigo\">{}</div><p>O código vale por {minutes} minutos e \
         pode ser usado uma vez.</p>",
        escape(code)
    );
    html(StatusCode::OK, layout("Código de conexão", &body, None))
}

pub fn problem(status: StatusCode, title: &str, text: &str, return_to: Option<&str>) -> Response {
    let link = return_to
        .map(|url| {
            format!(
                r#"<a class="button" href="{}">Voltar ao Ponte</a>"#,
                escape(url)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1 class=\"error\">{}</h1><p>{}</p>{link}",
        escape(title),
        escape(text)
    );
    html(status, layout(title, &body, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn the_return_link_cannot_break_out_of_the_script() {
        let page = body(ready(
            "Conta Azul",
            Some("http://127.0.0.1:1/x?</script><b>"),
        ))
        .await;
        assert!(!page.contains("</script><b>"));
        assert!(page.contains("Pronto, volte ao Ponte"));
    }
}
