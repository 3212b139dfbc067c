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
