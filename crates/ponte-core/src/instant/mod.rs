//! Instant import: Nuvemshop's webhooks reach the broker (a desktop cannot receive them); Ponte
//! long-polls its store's events there with the installation's key. `order/paid` (and updates,
//! cancellations) start a pass at once; the LGPD requests are carried out on the local data.
//! The periodic check stays on regardless: a lost webhook costs minutes, never an order.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::error::{Error, Result, Service};
use crate::problem::InstantState;
use crate::scheduler::Scheduler;
use crate::store::LgpdState;

pub mod feed;

pub use crate::app::instant::InstantStatus;
use feed::{Feed, FeedError, FeedPage, LONG_POLL, MAX_EVENT_BACKOFF};
pub use feed::{FeedEvent, APP_UNINSTALLED, ORDER_EVENTS, WEBHOOK_EVENTS};

/// The longest pause after the broker failed to answer.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// Reads the store's events for as long as the scheduler runs: order events wake it at once;
/// LGPD requests are carried out. The shells spawn this beside [`Scheduler::run`].
pub async fn listen(scheduler: Arc<Scheduler>) {
    let app = scheduler.app().clone();
    let mut settings = app.subscribe();
    let mut backoff = Duration::from_secs(1);
    // A request that cannot be carried out is tried again, less and less often.
    let mut event_backoff = Duration::from_secs(1);
    let mut registered = false;
    app.set_instant(InstantState::Starting);
    let mut seen = None;
    while !scheduler.is_stopped() {
        // Held from the first turn it is free (a `ponte status` may be checking it just then).
        if seen.is_none() {
            seen = crate::lock::ListenerLock::try_hold(&app.config.data_dir);
        }
        let feed = match app.feed() {
            Ok(Ok(feed)) => feed,
            Ok(Err(state)) => {
                app.set_instant(state);
                registered = false;
                // Connecting or reconnecting changes the settings: look again then.
                tokio::select! {
                    _ = settings.recv() => {}
                    _ = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
                continue;
            }
            Err(error) => {
                tracing::warn!(%error, "instant import cannot start");
                tokio::time::sleep(MAX_BACKOFF).await;
                continue;
            }
        };
        if !registered {
            match app.ensure_webhooks().await {
                Ok(()) => registered = true,
                Err(Error::NotConnected(Service::Nuvemshop)) => continue,
                Err(error) => {
                    tracing::warn!(%error, "webhooks not registered yet");
                    app.set_instant(InstantState::NotRegistered);
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    continue;
                }
            }
        }
        let after = app.store.events_cursor().unwrap_or(0);
        // Until the broker has answered once, ask without waiting: "active" must be known.
        let wait = if app.instant_status().active {
            LONG_POLL
        } else {
            Duration::ZERO
        };
        match feed.read(after, wait).await {
            Ok(page) => {
                app.set_instant(InstantState::Active);
                backoff = Duration::from_secs(1);
                match handle(&app, &scheduler, &feed, after, page).await {
                    Ok(()) => event_backoff = Duration::from_secs(1),
                    Err(error) => {
                        tracing::warn!(%error, ?event_backoff, "events not handled yet");
                        tokio::select! {
                            _ = tokio::time::sleep(event_backoff) => {}
                            _ = settings.recv() => {}
                        }
                        event_backoff = (event_backoff * 2).min(MAX_EVENT_BACKOFF);
                    }
                }
            }
            Err(FeedError::UnknownKey) => {
                app.set_instant(InstantState::NeedsReconnect);
                tokio::select! {
                    _ = settings.recv() => {}
                    _ = tokio::time::sleep(MAX_BACKOFF) => {}
                }
            }
            Err(FeedError::Other(error)) => {
                tracing::warn!(%error, "broker events unreachable");
                app.set_instant(InstantState::BrokerUnreachable);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// Handles a page of events in order; the cursor moves (and the broker hears) only past what
/// was handled, and only forwards: an event at or before the cursor, or out of order, ends the
/// page (the broker is not taken at its word). An LGPD request that fails is recorded with why,
/// for the merchant to see, and tried again later.
async fn handle(
    app: &App,
    scheduler: &Scheduler,
    feed: &Feed,
    after: i64,
    page: FeedPage,
) -> Result<()> {
    let mut handled: Option<i64> = None;
    let mut wake = false;
    let mut outcome = Ok(());
    for event in &page.events {
        if event.id <= handled.unwrap_or(after) {
            tracing::warn!(
                id = event.id,
                after = handled.unwrap_or(after),
                "an event out of order from the broker: the page ends here"
            );
            break;
        }
        if event.event == APP_UNINSTALLED {
            if let Err(error) = app.app_uninstalled().await {
                // The next pass meets the same refusal and switches off as R5 says.
                tracing::warn!(%error, "app/uninstalled not checked");
            }
        } else if ORDER_EVENTS.contains(&event.event.as_str()) {
            wake = true;
            if event.event == "order/edited" {
                if let Err(error) = app.notice_edit(&event.resource_id).await {
                    tracing::warn!(%error, "an edited order not compared with its sale");
                }
            }
        } else if let Err(error) = app.carry_out_lgpd(event).await {
            report_failure(app, event, &error);
            outcome = Err(error);
            break;
        }
        handled = Some(event.id);
    }
    if wake {
        scheduler.sync_now();
    }
    if let Some(cursor) = handled.filter(|c| *c > app.store.events_cursor().unwrap_or(0)) {
        app.store.set_events_cursor(cursor)?;
        if let Err(error) = feed.ack(cursor).await {
            // The cursor is ours; the broker keeps the events a little longer.
            tracing::debug!(%error, "ack not delivered");
        }
    }
    outcome
}

/// An LGPD request that could not be carried out: recorded as failed, with what went wrong in
/// Portuguese (the list in *Configurações* shows it), until a later try succeeds.
fn report_failure(app: &App, event: &FeedEvent, error: &Error) {
    let kind = match event.event.as_str() {
        "customers/redact" => crate::store::LgpdKind::CustomersRedact,
        "customers/data_request" => crate::store::LgpdKind::CustomersDataRequest,
        _ => crate::store::LgpdKind::StoreRedact,
    };
    let problem = error.problem();
    let note = format!(
        "Ainda não foi possível atender: {} {} O Ponte tentará de novo sozinho.",
        problem.message, problem.hint
    );
    if let Err(error) = app.store.record_lgpd_outcome(
        event.id,
        kind,
        &event.resource_id,
        LgpdState::Failed,
        &note,
        app.clock.now(),
    ) {
        tracing::warn!(%error, "an LGPD request's failure not recorded");
    }
    app.events.send(crate::sync::Event::SettingsChanged);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secrets::Secret;
    use feed::MAX_PAGE_BYTES;

    fn app() -> (tempfile::TempDir, Arc<App>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let config = crate::config::Config::from_lookup(|name| match name {
            "PONTE_DATA_DIR" => Some(path.clone()),
            "PONTE_TOKEN_STORE" => Some("file".into()),
            _ => None,
        })
        .unwrap();
        (dir, Arc::new(App::open(config).unwrap()))
    }

    fn event(id: i64) -> FeedEvent {
        FeedEvent {
            id,
            event: "order/paid".into(),
            resource_id: "1".into(),
            customer: None,
            orders: vec![],
            unverified: false,
        }
    }

    /// Issue 20: the broker is not taken at its word on where the feed goes on.
    #[tokio::test]
    async fn the_cursor_moves_only_forwards_past_events_handled_here() {
        let (_dir, app) = app();
        let scheduler = Scheduler::new(app.clone());
        // Nothing listens there: the acknowledgement fails quietly, the cursor is ours.
        let feed = Feed::new("http://127.0.0.1:9", Secret::new(String::from("k")), "test").unwrap();
        app.store.set_events_cursor(4).unwrap();
        // The broker's cursor says 0 whatever came: Ponte keeps its own.
        let page = |ids: &[i64]| FeedPage {
            events: ids.iter().map(|id| event(*id)).collect(),
            cursor: 0,
        };
        handle(&app, &scheduler, &feed, 4, page(&[])).await.unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            4,
            "an empty page moves nothing"
        );
        handle(&app, &scheduler, &feed, 4, page(&[3, 9]))
            .await
            .unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            4,
            "an event from before ends the page"
        );
        handle(&app, &scheduler, &feed, 4, page(&[6, 5, 7]))
            .await
            .unwrap();
        assert_eq!(
            app.store.events_cursor().unwrap(),
            6,
            "out of order: up to the last in order"
        );
    }

    #[tokio::test]
    async fn an_answer_larger_than_a_page_is_not_read() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut request = vec![0u8; 4096];
            let _ = stream.read(&mut request).await;
            let body = vec![b' '; MAX_PAGE_BYTES + 1];
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&body).await;
        });
        let feed = Feed::new(
            &format!("http://127.0.0.1:{port}"),
            Secret::new(String::from("k")),
            "test",
        )
        .unwrap();
        match feed.read(0, Duration::ZERO).await {
            Err(FeedError::Other(Error::BrokerUnreachable(why))) => {
                assert!(why.contains("too large"), "{why}")
            }
            _ => panic!("a page past the cap was read"),
        }
    }

    #[tokio::test]
    async fn a_request_listing_more_orders_than_a_customer_has_is_ignored_and_said_so() {
        let (_dir, app) = app();
        let flood = FeedEvent {
            id: 1,
            event: "customers/redact".into(),
            resource_id: "7".into(),
            customer: Some("7".into()),
            orders: (0..crate::store::MAX_ORDERS_PER_REQUEST as u64 + 1)
                .map(|id| id.to_string())
                .collect(),
            unverified: false,
        };
        app.carry_out_lgpd(&flood).await.unwrap();
        let request = &app.lgpd_requests().unwrap()[0];
        assert_eq!(request.state, LgpdState::Ignored);
        assert!(request.note.as_deref().unwrap().contains("5001 pedidos"));
        // Under the cap, thousands of ids are fine (no statement over SQLite's limits).
        let many = FeedEvent {
            id: 2,
            orders: (0..crate::store::MAX_ORDERS_PER_REQUEST as u64)
                .map(|id| id.to_string())
                .collect(),
            ..flood
        };
        app.carry_out_lgpd(&many).await.unwrap();
        assert_eq!(app.lgpd_requests().unwrap()[0].state, LgpdState::Done);
    }
}
