//! A count of the calls each simulated endpoint received, so tests assert on what really
//! crossed the wire (how many sales were posted, how many token refreshes happened…).

use std::collections::BTreeMap;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use crate::faults::Service;
use crate::AppState;

/// Calls per endpoint, keyed `"POST /v1/venda"` (the route as declared, path parameters in
/// braces), whatever the answer was.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CallCounts {
    pub nuvemshop: BTreeMap<String, u64>,
    pub contaazul: BTreeMap<String, u64>,
}

impl CallCounts {
    pub fn get(&self, service: Service, endpoint: &str) -> u64 {
        let map = match service {
            Service::Nuvemshop => &self.nuvemshop,
            Service::Contaazul => &self.contaazul,
        };
        map.get(endpoint).copied().unwrap_or(0)
    }

    pub fn total(&self, service: Service) -> u64 {
        match service {
            Service::Nuvemshop => self.nuvemshop.values().sum(),
            Service::Contaazul => self.contaazul.values().sum(),
        }
    }

    fn record(&mut self, service: Service, endpoint: String) {
        let map = match service {
            Service::Nuvemshop => &mut self.nuvemshop,
            Service::Contaazul => &mut self.contaazul,
        };
        *map.entry(endpoint).or_default() += 1;
    }
}

pub(crate) async fn count_nuvemshop(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    record(Service::Nuvemshop, &state, &request);
    next.run(request).await
}

pub(crate) async fn count_contaazul(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    record(Service::Contaazul, &state, &request);
    next.run(request).await
}

fn record(service: Service, state: &AppState, request: &Request) {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let endpoint = format!("{} {}", request.method(), route);
    state.with(|world| world.calls.record(service, endpoint));
}
