//! R7: the scheduler both shells run: a pass at once, another on demand without waiting for
//! the interval, nothing while not ready, and a clean stop.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use ponte_core::error::Error;
use ponte_core::scheduler::{Scheduler, Turn};

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn r7_a_pass_at_once_another_on_demand_and_a_clean_stop() {
    let world = world().await;
    let control = world.control();
    let app = Arc::new(world.ready_app().await);
    app.set_poll_interval_minutes(60).unwrap();
    let first = caneca_for(&control, "Maria Silva", CPF_MARIA);

    let scheduler = Scheduler::new(app.clone());
    let turns = Arc::new(std::sync::Mutex::new(Vec::new()));
    let running = {
        let scheduler = scheduler.clone();
        let turns = turns.clone();
        tokio::spawn(async move {
            scheduler
                .run(|turn| {
                    turns
                        .lock()
                        .unwrap()
                        .push(matches!(turn, Turn::Pass(Ok(_))));
                    true
                })
                .await
        })
    };
    eventually("the first pass runs at once", || {
        sales_for(&control, first.number) == 1
    })
    .await;
    eventually("the schedule says when the next one is", || {
        let schedule = scheduler.schedule();
        !schedule.running && schedule.next_check_at.is_some()
    })
    .await;
    let schedule = scheduler.schedule();
    let gap = schedule.next_check_at.unwrap() - schedule.last_check_at.unwrap();
    assert_eq!(
        gap,
        chrono::Duration::minutes(60),
        "the configured interval"
    );

    // *Sincronizar agora*: no waiting for the hour.
    let second = caneca_for(&control, "João Lima", CPF_JOAO);
    scheduler.sync_now();
    eventually("a pass on demand", || {
        sales_for(&control, second.number) == 1
    })
    .await;

    scheduler.stop();
    tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("stops")
        .unwrap();
    assert!(turns.lock().unwrap().iter().all(|ok| *ok));
    assert!(scheduler.schedule().next_check_at.is_none());
}

#[tokio::test]
async fn r4_r7_nothing_runs_while_switched_off() {
    let world = world().await;
    let control = world.control();
    let app = Arc::new(world.ready_app().await);
    app.disable().unwrap();
    caneca_for(&control, "Maria Silva", CPF_MARIA);
    let scheduler = Scheduler::new(app.clone());
    match scheduler.turn().await {
        Turn::NotReady(Error::Disabled) => {}
        other => panic!("{other:?}"),
    }
    assert!(control.sales().is_empty());
    assert_eq!(scheduler.schedule().next_check_at, None);
    app.enable(None).await.unwrap();
    assert!(matches!(scheduler.turn().await, Turn::Pass(Ok(_))));
    assert_eq!(control.sales().len(), 1);
}

/// Issue 13: demo mode checks every 15 seconds, whatever the merchant's interval says.
#[tokio::test]
async fn a_configured_check_interval_overrides_the_merchants() {
    let mut world = world().await;
    world.config.check_every = Some(Duration::from_secs(15));
    let app = Arc::new(world.ready_app().await);
    app.set_poll_interval_minutes(60).unwrap();
    let scheduler = Scheduler::new(app.clone());
    assert!(matches!(scheduler.turn().await, Turn::Pass(Ok(_))));
    let schedule = scheduler.schedule();
    assert_eq!(
        schedule.next_check_at.unwrap() - schedule.last_check_at.unwrap(),
        chrono::Duration::seconds(15)
    );
}
