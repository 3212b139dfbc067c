//! Issue 22: Conta Azul's limits (10 calls a second, 600 a minute) are the account's, and
//! several Ponte processes share one data directory (the window, `ponte backfill`,
//! `ponte reconcile`). Two processes calling Conta Azul as fast as they can stay under the
//! limits together: not one call is refused.

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_at_full_speed_stay_under_the_accounts_limit_together() {
    let cli = cli().await;
    cli.ready().await;
    let control = cli.sandbox.control();
    control.reset_calls();
    let before = control.contaazul_rate_refusals();
    let started = std::time::Instant::now();
    // Each `ponte sellers` is a fresh process whose first call would leave at once.
    let loop_of = |runs: usize| {
        let cli = &cli;
        async move {
            for _ in 0..runs {
                let output = cli.run(&["sellers", "--json"]).await;
                assert_eq!(output.code, 0, "{}", output.stderr);
            }
        }
    };
    tokio::join!(loop_of(20), loop_of(20));
    let elapsed = started.elapsed();
    let calls = control.calls().get(
        ponte_sandbox::Service::Contaazul,
        "GET /v1/venda/vendedores",
    );
    assert!(calls >= 40, "{calls}");
    assert_eq!(
        control.contaazul_rate_refusals() - before,
        0,
        "{calls} calls in {elapsed:?}"
    );
    // 40 calls at most 10 a second take about four seconds.
    assert!(
        elapsed >= std::time::Duration::from_millis(3_500),
        "{elapsed:?}"
    );
}
