use std::collections::HashMap;

use ponte_sandbox::{Sandbox, SandboxConfig};
use reqwest::header::LOCATION;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

pub const USER_AGENT: &str = "Ponte tests (dev@ponte.example)";

pub struct Harness {
    pub sandbox: Sandbox,
    /// Sends a User-Agent and never follows redirects, so tests see every hop.
    pub http: Client,
}

pub async fn start() -> Harness {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut SandboxConfig)) -> Harness {
    let mut config = SandboxConfig::with_redirect_port(47999);
    adjust(&mut config);
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    ponte_sandbox::install_tls_provider();
    let http = Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Harness { sandbox, http }
}

pub fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .expect("absolute redirect")
        .query_pairs()
        .into_owned()
        .collect()
}

impl Harness {
    pub fn store_id(&self) -> u64 {
        self.sandbox.config().nuvemshop.store_id
    }

    /// `{api}/{store_id}{path}`
    pub fn ns(&self, path: &str) -> String {
        format!(
            "{}/{}{}",
            self.sandbox.nuvemshop_api_url(),
            self.store_id(),
            path
        )
    }

    pub fn ca(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.contaazul_url(), path)
    }

    /// The merchant clicks *Instalar*: returns the redirect's query (code and state).
    pub async fn nuvemshop_consent(&self, state: &str) -> HashMap<String, String> {
        let app_id = &self.sandbox.config().nuvemshop.app_id;
        let response = self
            .http
            .post(format!(
                "{}/apps/{app_id}/authorize",
                self.sandbox.nuvemshop_url()
            ))
            .form(&[("state", state), ("decision", "install")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let location = response.headers()[LOCATION].to_str().unwrap().to_string();
        assert!(
            location.starts_with(&self.sandbox.config().nuvemshop.redirect_url),
            "{location}"
        );
        query_of(&location)
    }

    pub async fn nuvemshop_exchange(&self, code: &str) -> Value {
        let config = &self.sandbox.config().nuvemshop;
        self.http
            .post(format!(
                "{}/apps/authorize/token",
                self.sandbox.nuvemshop_url()
            ))
            .json(&serde_json::json!({
                "client_id": config.app_id,
                "client_secret": config.client_secret,
                "grant_type": "authorization_code",
                "code": code,
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The whole installation: consent, redirect, token.
    pub async fn nuvemshop_token(&self) -> String {
        let query = self.nuvemshop_consent("s").await;
        let token = self.nuvemshop_exchange(&query["code"]).await;
        token["access_token"].as_str().expect("a token").to_string()
    }

    pub async fn ns_get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.ns(path))
            .header("Authentication", format!("bearer {token}"))
            .send()
            .await
            .unwrap()
    }

    pub async fn contaazul_consent(&self, state: &str) -> HashMap<String, String> {
        let config = &self.sandbox.config().contaazul;
        let response = self
            .http
            .post(self.ca("/oauth2/authorize"))
            .form(&[
                ("client_id", config.client_id.as_str()),
                ("redirect_uri", config.redirect_uri.as_str()),
                ("state", state),
                ("decision", "allow"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        query_of(response.headers()[LOCATION].to_str().unwrap())
    }

    pub async fn contaazul_token_request(&self, form: &[(&str, &str)]) -> Response {
        let config = &self.sandbox.config().contaazul;
        self.http
            .post(self.ca("/oauth2/token"))
            .basic_auth(&config.client_id, Some(&config.client_secret))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// The whole authorization: consent, redirect, token. Returns the token answer.
    pub async fn contaazul_tokens(&self) -> Value {
        let code = self.contaazul_consent("s").await["code"].clone();
        let redirect_uri = self.sandbox.config().contaazul.redirect_uri.clone();
        let response = self
            .contaazul_token_request(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", &redirect_uri),
            ])
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn contaazul_access(&self) -> String {
        self.contaazul_tokens().await["access_token"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn ca_get(&self, token: &str, path: &str) -> Response {
        self.http
            .get(self.ca(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn ca_post(&self, token: &str, path: &str, body: &Value) -> Response {
        self.http
            .post(self.ca(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }
}

/// Asserts the status and returns the JSON body, showing the body when the status differs.
pub async fn expect_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(actual, status, "body: {text}");
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
}
