//! What an operator watches, in Prometheus' (OpenMetrics) text format, served on a listener of
//! its own (`PONTE_BROKER_METRICS_LISTEN`, never the public one): requests by route and
//! status, webhooks accepted and refused, events queued and delivered, long polls open, claim
//! outcomes and the time database calls take.
//!
//! Every label's values come from a fixed list (a route is named by its template, an unknown
//! path is `other`): no caller can make a series of its own.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub outcome: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub webhooks: Family<OutcomeLabels, Counter>,
    pub events_queued: Counter,
    pub events_delivered: Counter,
    pub long_polls_open: Gauge,
    pub claims: Family<OutcomeLabels, Counter>,
    pub database_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut registry = Registry::with_prefix("ponte_broker");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "requests",
            "Requests answered, by route and status",
            requests.clone(),
        );
        let webhooks = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "webhooks",
            "Nuvemshop webhooks, by outcome (accepted, duplicate, refused)",
            webhooks.clone(),
        );
        let events_queued = Counter::default();
        registry.register(
            "events_queued",
            "Events queued for a store",
            events_queued.clone(),
        );
        let events_delivered = Counter::default();
        registry.register(
            "events_delivered",
            "Events handed to an installation by /events",
            events_delivered.clone(),
        );
        let long_polls_open = Gauge::default();
        registry.register(
            "long_polls_open",
            "Long polls of /events waiting now",
            long_polls_open.clone(),
        );
        let claims = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "claims",
            "Claims of a connect's result, by outcome",
            claims.clone(),
        );
        // 0.5 ms to 4 s.
        let database_seconds = Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 4.0,
        ]);
        registry.register(
            "database_seconds",
            "Time a database call takes, waiting for a connection included",
            database_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            webhooks,
            events_queued,
            events_delivered,
            long_polls_open,
            claims,
            database_seconds,
        }
    }
}

impl Metrics {
    /// The text a Prometheus scrape reads.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String");
        text
    }

    pub fn request(&self, path: &str, status: u16) {
        self.requests
            .get_or_create(&RequestLabels {
                route: route_of(path),
                status,
            })
            .inc();
    }

    pub fn webhook(&self, outcome: &'static str) {
        self.webhooks
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    pub fn claim(&self, outcome: &'static str) {
        self.claims.get_or_create(&OutcomeLabels { outcome }).inc();
    }
}

/// A path as its route's template; anything else is `other`.
pub fn route_of(path: &str) -> &'static str {
    const SERVICES: [&str; 2] = ["nuvemshop", "contaazul"];
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["healthz"] => "/healthz",
        ["livez"] => "/livez",
        ["readyz"] => "/readyz",
        ["connect", "claim"] => "/connect/claim",
        ["connect", "pair"] => "/connect/pair",
        ["connect", service, "start"] if SERVICES.contains(service) => "/connect/{service}/start",
        ["callback", service] if SERVICES.contains(service) => "/callback/{service}",
        ["refresh", service] if SERVICES.contains(service) => "/refresh/{service}",
        ["installation"] => "/installation",
        ["events"] => "/events",
        ["events", "ack"] => "/events/ack",
        ["webhooks", "nuvemshop"] => "/webhooks/nuvemshop",
        ["webhooks", "nuvemshop", _] => "/webhooks/nuvemshop/{kind}",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_named_by_their_template_and_nothing_else_makes_a_series() {
        assert_eq!(
            route_of("/connect/nuvemshop/start"),
            "/connect/{service}/start"
        );
        assert_eq!(route_of("/callback/contaazul"), "/callback/{service}");
        assert_eq!(
            route_of("/webhooks/nuvemshop/store-redact"),
            "/webhooks/nuvemshop/{kind}"
        );
        assert_eq!(route_of("/events"), "/events");
        for stranger in [
            "/",
            "/admin",
            "/connect/evil/start",
            "/events/ack/x",
            "/a/b/c/d",
        ] {
            assert_eq!(route_of(stranger), "other", "{stranger}");
        }
    }

    #[test]
    fn the_text_is_prometheus_s() {
        let metrics = Metrics::default();
        metrics.request("/events", 200);
        metrics.request("/events", 200);
        metrics.request("/whatever", 404);
        metrics.webhook("accepted");
        metrics.claim("ready");
        metrics.long_polls_open.set(3);
        metrics.database_seconds.observe(0.002);
        let text = metrics.render();
        assert!(
            text.contains(r#"ponte_broker_requests_total{route="/events",status="200"} 2"#),
            "{text}"
        );
        assert!(text.contains(r#"ponte_broker_requests_total{route="other",status="404"} 1"#));
        assert!(text.contains(r#"ponte_broker_webhooks_total{outcome="accepted"} 1"#));
        assert!(text.contains(r#"ponte_broker_claims_total{outcome="ready"} 1"#));
        assert!(text.contains("ponte_broker_long_polls_open 3"));
        assert!(text.contains("ponte_broker_database_seconds_count 1"));
        assert!(text.ends_with("# EOF\n"));
    }
}
