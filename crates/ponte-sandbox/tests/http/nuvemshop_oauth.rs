//! Nuvemshop app installation (reference §1): consent page, redirect, single-use code, token.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::common::{expect_json, start, start_with};

#[tokio::test]
async fn the_consent_page_is_in_portuguese_with_an_instalar_button() {
    let h = start().await;
    let app_id = &h.sandbox.config().nuvemshop.app_id;
    let response = h
        .http
        .get(format!(
            "{}/apps/{app_id}/authorize?state=abc123",
            h.sandbox.nuvemshop_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("lang=\"pt-BR\""));
    assert!(page.contains(">Instalar</button>"));
    assert!(page.contains("Loja Demonstração"));
    assert!(
        page.contains(r#"name="state" value="abc123""#),
        "state is carried to the redirect"
    );

    let unknown = h
        .http
        .get(format!("{}/apps/999/authorize", h.sandbox.nuvemshop_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn instalar_redirects_to_the_registered_url_with_code_and_state() {
    let h = start().await;
    let query = h.nuvemshop_consent("csrf-9").await;
    assert_eq!(query["state"], "csrf-9");
    assert!(query["code"].len() >= 16);
}

#[tokio::test]
async fn cancelling_installs_nothing() {
    let h = start().await;
    let app_id = &h.sandbox.config().nuvemshop.app_id;
    let response = h
        .http
        .post(format!(
            "{}/apps/{app_id}/authorize",
            h.sandbox.nuvemshop_url()
        ))
        .form(&[("state", "s"), ("decision", "cancel")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Instalação cancelada"));
}

#[tokio::test]
async fn the_token_answer_has_the_documented_shape() {
    let h = start().await;
    let code = h.nuvemshop_consent("s").await["code"].clone();
    let token = h.nuvemshop_exchange(&code).await;
    assert_eq!(token["token_type"], "bearer");
    assert_eq!(
        token["user_id"],
        json!(h.store_id().to_string()),
        "user_id is the store id"
    );
    assert!(
        token["scope"].as_str().unwrap().contains(','),
        "scope is one comma-separated string"
    );
    assert_eq!(token["access_token"].as_str().unwrap().len(), 40);
    assert!(
        token.get("refresh_token").is_none(),
        "Nuvemshop has no refresh token"
    );
}

#[tokio::test]
async fn the_token_endpoint_accepts_a_form_body_too() {
    let h = start().await;
    let code = h.nuvemshop_consent("s").await["code"].clone();
    let config = &h.sandbox.config().nuvemshop;
    let response = h
        .http
        .post(format!(
            "{}/apps/authorize/token",
            h.sandbox.nuvemshop_url()
        ))
        .form(&[
            ("client_id", config.app_id.as_str()),
            ("client_secret", config.client_secret.as_str()),
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body = expect_json(response, StatusCode::OK).await;
    assert!(body["access_token"].is_string());
}

#[tokio::test]
async fn a_code_works_once_and_errors_come_in_the_body() {
    let h = start().await;
    let code = h.nuvemshop_consent("s").await["code"].clone();
    assert!(h.nuvemshop_exchange(&code).await["access_token"].is_string());
    // assumptions::NUVEMSHOP_TOKEN_ERROR_STATUS: errors answer 200 with {error, error_description}.
    let again = h.nuvemshop_exchange(&code).await;
    assert_eq!(again["error"], "invalid_grant");
    assert!(again["error_description"].is_string());
    assert!(again.get("access_token").is_none());
}

#[tokio::test]
async fn a_code_expires() {
    let h = start_with(|config| config.nuvemshop.code_ttl = Duration::from_millis(150)).await;
    let code = h.nuvemshop_consent("s").await["code"].clone();
    tokio::time::sleep(Duration::from_millis(250)).await;
    let answer = h.nuvemshop_exchange(&code).await;
    assert_eq!(answer["error"], "invalid_grant");
    assert_eq!(
        answer["error_description"],
        "The authorization code has expired"
    );
}

#[tokio::test]
async fn wrong_client_credentials_are_refused() {
    let h = start().await;
    let code = h.nuvemshop_consent("s").await["code"].clone();
    let answer: serde_json::Value = h
        .http
        .post(format!(
            "{}/apps/authorize/token",
            h.sandbox.nuvemshop_url()
        ))
        .json(&json!({
            "client_id": h.sandbox.config().nuvemshop.app_id,
            "client_secret": "wrong",
            "grant_type": "authorization_code",
            "code": code,
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["error"], "invalid_client");
}

#[tokio::test]
async fn a_new_token_revokes_the_previous_one() {
    let h = start().await;
    let first = h.nuvemshop_token().await;
    assert_eq!(h.ns_get(&first, "/store").await.status(), StatusCode::OK);
    let second = h.nuvemshop_token().await;
    assert_ne!(first, second);
    assert_eq!(
        h.ns_get(&first, "/store").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(h.ns_get(&second, "/store").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_control_api_consents_like_a_merchant_clicking_the_button() {
    let h = start().await;
    let app_id = h.sandbox.config().nuvemshop.app_id.clone();
    let page = format!(
        "{}/apps/{app_id}/authorize?state=xyz",
        h.sandbox.nuvemshop_url()
    );
    let redirect = h.sandbox.control().consent(&page).unwrap();
    let query = crate::common::query_of(&redirect);
    assert_eq!(query["state"], "xyz");
    assert!(h.nuvemshop_exchange(&query["code"]).await["access_token"].is_string());

    let config = h.sandbox.config().contaazul.clone();
    let page = format!(
        "{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&state=s2",
        h.sandbox.contaazul_url(),
        config.client_id,
        config.redirect_uri
    );
    let redirect = h.sandbox.control().consent(&page).unwrap();
    assert!(redirect.starts_with(&config.redirect_uri) && redirect.contains("state=s2"));
    let elsewhere = format!(
        "{}/oauth2/authorize?client_id=nobody",
        h.sandbox.contaazul_url()
    );
    assert!(h.sandbox.control().consent(&elsewhere).is_err());
}
