//! Conta Azul's OAuth2 (reference §1.1): consent, Basic client auth, single-use codes,
//! expiring access tokens and refresh tokens that rotate on every use.

use std::time::Duration;

use reqwest::header::LOCATION;
use reqwest::StatusCode;

use crate::common::{expect_json, query_of, start, start_with};

#[tokio::test]
async fn the_consent_page_needs_the_registered_client_and_redirect_uri() {
    let h = start().await;
    let config = h.sandbox.config().contaazul.clone();
    let page = h
        .http
        .get(h.ca("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &config.client_id),
            ("redirect_uri", &config.redirect_uri),
            ("state", "st4te"),
            ("scope", "openid profile aws.cognito.signin.user.admin"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(">Autorizar</button>") && html.contains("st4te"));

    let wrong_redirect = h
        .http
        .get(h.ca("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &config.client_id),
            ("redirect_uri", "http://127.0.0.1:1/elsewhere"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        wrong_redirect.status(),
        StatusCode::BAD_REQUEST,
        "an error page, never a redirect"
    );

    let unknown = h
        .http
        .get(h.ca("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", "nobody"),
            ("redirect_uri", &config.redirect_uri),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);

    let bad_scope = h
        .http
        .get(h.ca("/oauth2/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", &config.client_id),
            ("redirect_uri", &config.redirect_uri),
            ("scope", "sales"),
            ("state", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad_scope.status(), StatusCode::SEE_OTHER);
    let query = query_of(bad_scope.headers()[LOCATION].to_str().unwrap());
    assert_eq!(query["error"], "invalid_scope");
    assert_eq!(query["state"], "x");
}

#[tokio::test]
async fn denying_consent_redirects_with_access_denied() {
    let h = start().await;
    let config = h.sandbox.config().contaazul.clone();
    let response = h
        .http
        .post(h.ca("/oauth2/authorize"))
        .form(&[
            ("client_id", config.client_id.as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("state", "s"),
            ("decision", "deny"),
        ])
        .send()
        .await
        .unwrap();
    let query = query_of(response.headers()[LOCATION].to_str().unwrap());
    assert_eq!(query["error"], "access_denied");
}

#[tokio::test]
async fn the_code_exchange_answers_the_documented_shape() {
    let h = start().await;
    let tokens = h.contaazul_tokens().await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string());
    // As large as the real ones: about 1.1 KB and 1.8 KB.
    assert_eq!(
        tokens["access_token"].as_str().unwrap().len(),
        ponte_sandbox::assumptions::CONTAAZUL_ACCESS_TOKEN_BYTES
    );
    assert_eq!(
        tokens["access_token"].as_str().unwrap().split('.').count(),
        3,
        "a JWT"
    );
    assert_eq!(
        tokens["refresh_token"].as_str().unwrap().len(),
        ponte_sandbox::assumptions::CONTAAZUL_REFRESH_TOKEN_BYTES
    );
}

#[tokio::test]
async fn the_token_endpoint_requires_basic_auth_and_a_form_body() {
    let h = start().await;
    let code = h.contaazul_consent("s").await["code"].clone();
    let config = h.sandbox.config().contaazul.clone();
    let no_basic = h
        .http
        .post(h.ca("/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", config.redirect_uri.as_str()),
            ("client_id", config.client_id.as_str()),
            ("client_secret", config.client_secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(no_basic, StatusCode::UNAUTHORIZED).await["error"],
        "invalid_client"
    );

    let json_body = h
        .http
        .post(h.ca("/oauth2/token"))
        .basic_auth(&config.client_id, Some(&config.client_secret))
        .json(&serde_json::json!({ "grant_type": "authorization_code", "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        expect_json(json_body, StatusCode::BAD_REQUEST).await["error"],
        "invalid_request"
    );
}

#[tokio::test]
async fn a_code_works_once_and_only_with_its_redirect_uri() {
    let h = start().await;
    let redirect_uri = h.sandbox.config().contaazul.redirect_uri.clone();
    let code = h.contaazul_consent("s").await["code"].clone();
    let mismatch = h
        .contaazul_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:1/other"),
        ])
        .await;
    assert_eq!(
        expect_json(mismatch, StatusCode::BAD_REQUEST).await["error"],
        "invalid_grant"
    );
    // The failed attempt used the code up.
    let retry = h
        .contaazul_token_request(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &redirect_uri),
        ])
        .await;
    assert_eq!(
        expect_json(retry, StatusCode::BAD_REQUEST).await["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn every_refresh_rotates_the_refresh_token() {
    let h = start().await;
    let first = h.contaazul_tokens().await;
    let refresh_1 = first["refresh_token"].as_str().unwrap().to_string();
    let renewed = expect_json(
        h.contaazul_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_1),
        ])
        .await,
        StatusCode::OK,
    )
    .await;
    let refresh_2 = renewed["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(refresh_1, refresh_2);
    assert_ne!(renewed["access_token"], first["access_token"]);

    let reused = h
        .contaazul_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_1),
        ])
        .await;
    assert_eq!(
        expect_json(reused, StatusCode::BAD_REQUEST).await["error"],
        "invalid_grant"
    );

    let next = h
        .contaazul_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &refresh_2),
        ])
        .await;
    assert_eq!(next.status(), StatusCode::OK);
}

#[tokio::test]
async fn access_tokens_expire_and_a_refresh_brings_a_working_one() {
    let h =
        start_with(|config| config.contaazul.access_token_ttl = Duration::from_millis(400)).await;
    let tokens = h.contaazul_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        h.ca_get(access, "/v1/venda/vendedores").await.status(),
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expired = h.ca_get(access, "/v1/venda/vendedores").await;
    assert_eq!(
        expect_json(expired, StatusCode::UNAUTHORIZED).await["message"],
        "Unauthorized"
    );

    let renewed = expect_json(
        h.contaazul_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await,
        StatusCode::OK,
    )
    .await;
    let fresh = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        h.ca_get(fresh, "/v1/venda/vendedores").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_rejected_refresh_token_answers_invalid_grant() {
    let h = start().await;
    let tokens = h.contaazul_tokens().await;
    h.sandbox.control().reject_refresh_tokens();
    let response = h
        .contaazul_token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(
        expect_json(response, StatusCode::BAD_REQUEST).await["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn expired_access_tokens_get_401_until_refreshed() {
    let h = start().await;
    let access = h.contaazul_access().await;
    h.sandbox.control().expire_access_tokens();
    assert_eq!(
        h.ca_get(&access, "/v1/pessoas").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
