//! The loopback redirect listener on 127.0.0.1: it accepts the one callback that carries the
//! expected `state`, answers the browser with a page in Portuguese, and closes.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::error::{Error, Result};

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html lang=\"pt-BR\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;background:#f4f6f8;color:#1d2733;display:flex;\
         min-height:100vh;align-items:center;justify-content:center;margin:0}}main{{background:#fff;\
         padding:32px 40px;border-radius:12px;box-shadow:0 2px 16px rgba(0,0,0,.08);max-width:440px}}\
         </style></head><body><main><h1>{title}</h1><p>{text}</p></main></body></html>"
    )
}

async fn answer(stream: &mut TcpStream, status: &str, body: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Connection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Reads the request line: `GET /callback/x?code=…&state=… HTTP/1.1`.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buffer = vec![0u8; 8192];
    let mut filled = 0;
    while filled < buffer.len() {
        let read = stream.read(&mut buffer[filled..]).await.ok()?;
        if read == 0 {
            break;
        }
        filled += read;
        if buffer[..filled].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let head = String::from_utf8_lossy(&buffer[..filled]);
    let mut parts = head.lines().next()?.split_whitespace();
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_string)
}

/// Waits for the browser to come back to `path` with a code and the `state` sent out.
pub async fn wait_for_code(
    listener: TcpListener,
    path: &str,
    state: &str,
    timeout: Duration,
) -> Result<String> {
    tokio::time::timeout(timeout, accept_callback(listener, path, state))
        .await
        .map_err(|_| Error::AuthorizationTimeout)?
}

/// How long one connection may take to send its request line: a client that connects and
/// says nothing must not hold the connect.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// Accepts connections until one asks for `path` with the expected `state`; everything else
/// is answered and ignored. Returns that connection (still to be answered) and its query.
async fn accept_matching(
    listener: &TcpListener,
    path: &str,
    expected_state: &str,
) -> Result<(TcpStream, std::collections::HashMap<String, String>)> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let Ok(Some(target)) =
            tokio::time::timeout(REQUEST_TIMEOUT, read_target(&mut stream)).await
        else {
            continue;
        };
        let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
            answer(&mut stream, "400 Bad Request", "").await;
            continue;
        };
        if url.path() != path {
            // The browser asks for a favicon and the like: not ours.
            answer(&mut stream, "404 Not Found", "").await;
            continue;
        }
        let params: std::collections::HashMap<String, String> =
            url.query_pairs().into_owned().collect();
        if params.get("state").map(String::as_str) != Some(expected_state) {
            // Not this connect's callback (a stale tab, another program, a forgery): it is
            // answered and ignored; the connect goes on waiting for its own.
            tracing::warn!("a callback without this connect's state was ignored");
            answer(
                &mut stream,
                "400 Bad Request",
                &page(
                    "Link de autorização inválido",
                    "Volte ao Ponte e clique em Conectar de novo.",
                ),
            )
            .await;
            continue;
        }
        return Ok((stream, params));
    }
}

async fn accept_callback(
    listener: TcpListener,
    path: &str,
    expected_state: &str,
) -> Result<String> {
    let (mut stream, params) = accept_matching(&listener, path, expected_state).await?;
    if let Some(error) = params.get("error") {
        answer(
            &mut stream,
            "200 OK",
            &page(
                "Autorização não concluída",
                "Volte ao Ponte para tentar de novo.",
            ),
        )
        .await;
        return Err(Error::Authorization(format!(
            "the service answered {error}"
        )));
    }
    let Some(code) = params.get("code").filter(|c| !c.is_empty()) else {
        answer(
            &mut stream,
            "400 Bad Request",
            &page(
                "Autorização incompleta",
                "Volte ao Ponte e clique em Conectar de novo.",
            ),
        )
        .await;
        return Err(Error::Authorization("the callback has no code".into()));
    };
    answer(
        &mut stream,
        "200 OK",
        &page("Conectado!", "Pode fechar esta aba e voltar ao Ponte."),
    )
    .await;
    Ok(code.clone())
}

/// Through the broker: its page sends the browser here once the service answered, with the
/// return code the claim needs (a refusal's page comes without one). Each visit carrying this
/// connect's `state` is answered and reported on `arrived`; other visits are turned away.
pub async fn serve_returns(
    listener: TcpListener,
    path: String,
    state: String,
    arrived: tokio::sync::mpsc::Sender<Option<String>>,
) {
    loop {
        let Ok((mut stream, params)) = accept_matching(&listener, &path, &state).await else {
            return;
        };
        answer(
            &mut stream,
            "200 OK",
            &page("Pronto!", "Pode fechar esta aba e voltar ao Ponte."),
        )
        .await;
        let code = params.get("code").filter(|c| !c.is_empty()).cloned();
        if arrived.send(code).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn bind() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        (listener, port)
    }

    async fn get(port: u16, target: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        stream
            .write_all(format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
    }

    #[tokio::test]
    async fn r1_the_callback_with_the_right_state_gives_the_code() {
        let (listener, port) = bind().await;
        let waiting = tokio::spawn(wait_for_code(
            listener,
            "/callback/nuvemshop",
            "s1",
            Duration::from_secs(5),
        ));
        assert!(get(port, "/favicon.ico").await.starts_with("HTTP/1.1 404"));
        let page = get(port, "/callback/nuvemshop?code=abc&state=s1").await;
        assert!(page.contains("Conectado!"));
        assert_eq!(waiting.await.unwrap().unwrap(), "abc");
    }

    #[tokio::test]
    async fn r1_a_wrong_state_is_ignored_and_the_connect_goes_on() {
        let (listener, port) = bind().await;
        let waiting = tokio::spawn(wait_for_code(
            listener,
            "/callback/x",
            "s1",
            Duration::from_secs(10),
        ));
        // A client that connects and says nothing does not hold the listener.
        let _silent = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let forged = get(port, "/callback/x?code=abc&state=forged").await;
        assert!(forged.starts_with("HTTP/1.1 400"));
        let stale_error = get(port, "/callback/x?error=access_denied&state=old").await;
        assert!(stale_error.starts_with("HTTP/1.1 400"));
        assert!(!waiting.is_finished(), "still waiting for its own callback");
        let page = get(port, "/callback/x?code=good&state=s1").await;
        assert!(page.contains("Conectado!"));
        assert_eq!(waiting.await.unwrap().unwrap(), "good");
    }

    #[tokio::test]
    async fn r1_an_error_with_this_connects_state_ends_it() {
        let (listener, port) = bind().await;
        let waiting = tokio::spawn(wait_for_code(
            listener,
            "/callback/x",
            "s1",
            Duration::from_secs(5),
        ));
        get(port, "/callback/x?error=access_denied&state=s1").await;
        assert!(
            matches!(waiting.await.unwrap(), Err(Error::Authorization(e)) if e.contains("access_denied"))
        );
    }

    #[tokio::test]
    async fn r1_no_callback_in_time_is_a_timeout() {
        let (listener, _) = bind().await;
        let result = wait_for_code(listener, "/callback/x", "s", Duration::from_millis(50)).await;
        assert!(matches!(result, Err(Error::AuthorizationTimeout)));
        assert!(result.unwrap_err().problem().hint.contains("cookies"));
    }
}
