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

/// The pages' only style and script, static so that the policy can name them by hash.
const STYLE: &str = r#"
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: #f4f6f8;
         color: #1d2733; margin: 0; display: flex; min-height: 100vh; align-items: center;
         justify-content: center; }
  main { background: #fff; border-radius: 12px; box-shadow: 0 2px 16px rgba(0,0,0,.08);
         padding: 32px 40px; max-width: 460px; width: 100%; box-sizing: border-box; }
  .brand { color: #0b6bcb; font-weight: 700; margin-bottom: 16px; }
  h1 { font-size: 1.35rem; margin: 0 0 8px; }
  .code { font: 700 2rem/1.2 ui-monospace, "SF Mono", Consolas, monospace; letter-spacing: .12em;
          background: #e8f1fb; border-radius: 8px; padding: 12px 16px; text-align: center;
          margin: 16px 0; user-select: all; }
  .warning { background: #fff4e5; border-left: 4px solid #b35c00; padding: 8px 12px;
             font-size: .95rem; }
  a.button { display: inline-block; margin-top: 16px; background: #0b6bcb; color: #fff;
             border-radius: 8px; padding: 10px 20px; text-decoration: none; font-weight: 600; }
  a.button.secondary { background: #e8f1fb; color: #0b6bcb; margin-top: 0; }
  .error { color: #a4161a; }
"#;

/// Browsers allow a script's top-level navigation to the loopback listener (never a fetch):
/// the address is the page's own "Voltar ao Ponte" link.
const SCRIPT: &str = "var back=document.getElementById(\"voltar\");\
if(back){setTimeout(function(){location.replace(back.href);},400);}";

fn sha256_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    )
}

/// No inline code but the two above, no other origin, no framing, no form.
static POLICY: std::sync::LazyLock<HeaderValue> = std::sync::LazyLock::new(|| {
    let policy = format!(
        "default-src 'none'; style-src {}; script-src {}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        sha256_source(STYLE),
        sha256_source(SCRIPT)
    );
    HeaderValue::from_str(&policy).expect("an ASCII policy")
});

fn layout(title: &str, body: &str, script: bool) -> String {
    let script = if script {
        format!("<script>{SCRIPT}</script>")
    } else {
        String::new()
    };
    format!(
        r#"<!doctype html>
<html lang="pt-BR">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title} — Ponte</title>
<style>{STYLE}</style>
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
    headers.insert(header::CONTENT_SECURITY_POLICY, POLICY.clone());
    response
}

/// Never typed anywhere but Ponte: the code is worth the account to whoever started the
/// connect, and a stranger may have sent the link.
const NEVER_ELSEWHERE: &str = "Use este código só no Ponte do seu computador. Nunca o digite em \
     outro lugar nem o passe a ninguém, nem a quem disser ser do suporte: com ele, outra pessoa \
     passaria a ter acesso à sua conta.";

/// The connect went through. The way back carries the return code to the app's loopback
/// listener; where the browser blocks it, the `ponte://` link (the system hands it to Ponte),
/// and the same code, shown to be typed.
pub fn ready(
    service_name: &str,
    return_code: &str,
    return_to: Option<&str>,
    app_link: &str,
) -> Response {
    let link = return_to
        .map(|url| {
            format!(
                r#"<a class="button" id="voltar" href="{}">Voltar ao Ponte</a>"#,
                escape(url)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<h1>Pronto, volte ao Ponte</h1><p>O acesso à {} foi autorizado. O Ponte termina a \
         conexão sozinho; pode fechar esta aba.</p>{link}<p>Se o Ponte continuar esperando, \
         abra-o por este link:</p><a class=\"button secondary\" id=\"abrir\" href=\"{}\">\
         Abrir o Ponte</a><p>ou digite nele este código:</p>\
         <div class=\"code\" id=\"codigo\">{}</div><p class=\"warning\">{NEVER_ELSEWHERE}</p>",
        escape(service_name),
        escape(app_link),
        escape(return_code)
    );
    html(StatusCode::OK, layout("Pronto", &body, return_to.is_some()))
}

/// An install started in the Nuvemshop admin has no `state`: the merchant types this code.
pub fn pairing_code(code: &str, minutes: u64) -> Response {
    let body = format!(
        "<h1>Quase lá</h1><p>Abra o Ponte, clique em <strong>Conectar com Nuvemshop</strong> e \
         digite este código em <strong>Já instalou pela Nuvemshop?</strong>:</p>\
         <div class=\"code\" id=\"codigo\">{}</div><p>O código vale por {minutes} minutos e \
         pode ser usado uma vez.</p><p class=\"warning\">{NEVER_ELSEWHERE}</p>",
        escape(code)
    );
    html(StatusCode::OK, layout("Código de conexão", &body, false))
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
    html(status, layout(title, &body, false))
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
            "ABCD-2345",
            Some("http://127.0.0.1:1/x?</script><b>\"onclick=\"x"),
            "ponte://connected/contaazul?state=\"><script>x",
        ))
        .await;
        assert!(!page.contains("</script><b>"));
        assert!(!page.contains("\"onclick"));
        assert!(!page.contains("\"><script>x"));
        assert!(page.contains("Pronto, volte ao Ponte"));
    }

    #[tokio::test]
    async fn the_policy_allows_exactly_the_pages_own_style_and_script() {
        let response = ready(
            "Conta Azul",
            "ABCD-2345",
            Some("http://127.0.0.1:5000/x"),
            "ponte://connected/contaazul?state=s&code=ABCD-2345",
        );
        let policy = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let page = body(response).await;
        let inline = |open: &str, close: &str| {
            page.split(open)
                .nth(1)
                .and_then(|rest| rest.split(close).next())
                .unwrap()
                .to_string()
        };
        assert!(policy.contains(&sha256_source(&inline("<style>", "</style>"))));
        assert!(policy.contains(&sha256_source(&inline("<script>", "</script>"))));
        assert!(page.contains("id=\"voltar\" href=\"http://127.0.0.1:5000/x\""));
        assert!(page.contains(
            "id=\"abrir\" href=\"ponte://connected/contaazul?state=s&amp;code=ABCD-2345\""
        ));
        assert!(page.contains("Nunca o digite em outro lugar"));
        // Without a way back to the loopback, the link and the code, and no script.
        let codeless = body(ready("Conta Azul", "ABCD-2345", None, "ponte://x")).await;
        assert!(!codeless.contains("<script>") && codeless.contains("ABCD-2345"));
    }
}
