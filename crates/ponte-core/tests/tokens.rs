//! Conta Azul's refresh token is single-use: two processes on one data directory (the app and
//! a `ponte` command) must never spend it twice, or the second locks the merchant out (R5).

mod common;

use common::*;

#[tokio::test]
async fn r5_two_processes_share_one_rotating_refresh_token() {
    let world = world().await;
    let clock = ManualClock::new();
    let first = world.ready_app_with_clock(clock.clone()).await;
    // A second process on the same data directory, which has read the tokens too.
    let second = world.app_with_clock(clock.clone());
    assert_eq!(second.sellers().await.unwrap().len(), 1);
    let refreshes = || {
        world
            .control()
            .calls()
            .get(ponte_sandbox::Service::Contaazul, "POST /oauth2/token")
    };
    let before = refreshes();

    // An hour on, both hold expired access tokens and the same refresh token.
    clock.advance(chrono::Duration::minutes(65));
    assert_eq!(first.sellers().await.unwrap().len(), 1);
    assert_eq!(refreshes(), before + 1, "the first refreshed");
    // The second still holds the spent refresh token in memory: it reads the new one instead.
    assert_eq!(
        second.sellers().await.unwrap().len(),
        1,
        "the second process was not locked out"
    );
    assert_eq!(refreshes(), before + 1, "and did not refresh again");

    // Both at once: one refreshes, the other follows; neither is refused.
    clock.advance(chrono::Duration::minutes(65));
    let (a, b) = tokio::join!(first.sellers(), second.sellers());
    assert!(a.is_ok() && b.is_ok(), "{a:?} {b:?}");
    assert_eq!(refreshes(), before + 2);
    assert!(first.status().unwrap().disabled_reason.is_none());
}

/// A token store whose writes fail while `failing` is set.
struct Flaky {
    inner: ponte_core::secrets::FileStore,
    failing: std::sync::atomic::AtomicBool,
}

impl ponte_core::secrets::TokenStore for Flaky {
    fn get(&self, name: &str) -> ponte_core::error::Result<Option<ponte_core::secrets::Secret>> {
        self.inner.get(name)
    }
    fn set(
        &self,
        name: &str,
        value: &ponte_core::secrets::Secret,
    ) -> ponte_core::error::Result<()> {
        if self.failing.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(ponte_core::Error::Secrets("disk full".into()));
        }
        self.inner.set(name, value)
    }
    fn delete(&self, name: &str) -> ponte_core::error::Result<()> {
        self.inner.delete(name)
    }
}

#[tokio::test]
async fn r5_a_rotated_token_that_cannot_be_saved_is_kept_and_saved_later() {
    let world = world().await;
    let clock = ManualClock::new();
    let app = world.ready_app_with_clock(clock.clone()).await;
    drop(app);
    let store = std::sync::Arc::new(Flaky {
        inner: ponte_core::secrets::FileStore::new(world.config.data_dir.join("tokens.json")),
        failing: std::sync::atomic::AtomicBool::new(true),
    });
    let auth =
        ponte_core::contaazul::ContaAzulAuth::new(&world.config, store.clone(), clock.clone())
            .unwrap();
    clock.advance(chrono::Duration::minutes(65));
    // The refresh works; saving its answer does not: the new tokens are kept in memory, and
    // the merchant is told.
    auth.access_token().await.unwrap();
    assert!(auth.has_unsaved_tokens());
    clock.advance(chrono::Duration::minutes(65));
    auth.access_token()
        .await
        .expect("refreshed with the token kept in memory, not the spent one on disk");
    // Saving works again: the next use saves them, and a new process carries on from there.
    store
        .failing
        .store(false, std::sync::atomic::Ordering::SeqCst);
    auth.access_token().await.unwrap();
    assert!(!auth.has_unsaved_tokens());
    clock.advance(chrono::Duration::minutes(65));
    let later = world.app_with_clock(clock.clone());
    assert_eq!(later.sellers().await.unwrap().len(), 1, "not locked out");
}
