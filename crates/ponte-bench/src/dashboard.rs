//! The dashboard's queries over a large ledger (issue 12, item 6).

use std::time::Instant;

/// p50 and p95 of `runs` timings of `query`, in milliseconds.
fn timed(runs: usize, mut query: impl FnMut() -> usize) -> (f64, f64, usize) {
    let mut found = 0;
    let times: Vec<f64> = (0..runs)
        .map(|_| {
            let started = Instant::now();
            found = query();
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let (p50, p95) = crate::percentiles(times);
    (p50, p95, found)
}

/// The dashboard's queries (issue 12, item 6): first page, a deep page, a search, counters.
pub fn run(orders: u64) -> anyhow::Result<()> {
    use ponte_core::store::{OrderFilter, OrderState, Store};
    let dir = tempfile::tempdir()?;
    let store = Store::open(&dir.path().join("ponte.sqlite3"))?;
    crate::world::seed_ledger(&store, orders)?;
    let queued = OrderFilter {
        state: Some(OrderState::Queued),
        search: None,
    };
    // A customer the seeded ledger has (names repeat every 5,000 orders).
    let search = OrderFilter {
        state: None,
        search: Some(format!("cliente {}", orders.clamp(1, 5000) - 1)),
    };
    // A page nine tenths of the way down the list.
    let deep = (store.count_matching(&queued)? as u32) / 10 * 9 / 25 * 25;
    println!("Dashboard over {orders} orders (p50 / p95 of 50 runs; goal p95 < 20 ms)");
    let report = |what: &str, (p50, p95, found): (f64, f64, usize)| {
        let verdict = if p95 < 20.0 { "ok" } else { "over" };
        println!("  {what:<28} {p50:>7.2} ms {p95:>7.2} ms  {verdict}  ({found})");
        found
    };
    // What each query found is checked, not only timed: a fast wrong answer is no answer.
    let queued_count = store.count_matching(&queued)? as usize;
    let first = report(
        "first page + count",
        timed(50, || {
            store.list(&queued, 25, 0).map(|p| p.len()).unwrap_or(0)
                + store.count_matching(&queued).unwrap_or(0) as usize
        }),
    );
    anyhow::ensure!(
        first == queued_count.min(25) + queued_count,
        "the first page and its count found {first}, the ledger has {queued_count} queued"
    );
    let deep_found = report(
        "deep page",
        timed(50, || {
            store.list(&queued, 25, deep).map(|p| p.len()).unwrap_or(0)
        }),
    );
    anyhow::ensure!(
        deep_found == queued_count.saturating_sub(deep as usize).min(25),
        "the deep page at {deep} found {deep_found} of {queued_count}"
    );
    let searched = report(
        "search + count",
        timed(50, || {
            store.list(&search, 25, 0).map(|p| p.len()).unwrap_or(0)
                + store.count_matching(&search).unwrap_or(0) as usize
        }),
    );
    anyhow::ensure!(searched > 0, "the search found nothing");
    report(
        "counters",
        timed(50, || {
            store.counts().map(|c| c.failed as usize).unwrap_or(0)
        }),
    );
    let counts = store.counts()?;
    let counted =
        counts.queued + counts.importing + counts.imported + counts.failed + counts.skipped;
    anyhow::ensure!(
        counted == orders,
        "the counters add up to {counted} for {orders} orders"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use ponte_core::store::{OrderFilter, OrderState, Store};

    /// The dashboard's list stays instant with 100,000 orders: a page, its count and a search,
    /// over the same ledger the benchmark measures.
    #[test]
    fn a_page_of_a_hundred_thousand_orders_comes_back_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("ponte.sqlite3")).unwrap();
        crate::world::seed_ledger(&store, 100_000).unwrap();
        let queued = OrderFilter {
            state: Some(OrderState::Queued),
            search: None,
        };
        let search = OrderFilter {
            state: None,
            search: Some("cliente 4999".into()),
        };
        let timed = |what: &str, f: &dyn Fn() -> usize| {
            let started = Instant::now();
            let found = f();
            let took = started.elapsed();
            assert!(took < Duration::from_millis(250), "{what} took {took:?}");
            found
        };
        assert_eq!(
            timed("a page", &|| store.list(&queued, 25, 0).unwrap().len()),
            25
        );
        assert_eq!(
            timed("a deep page", &|| store
                .list(&queued, 25, 90_000)
                .unwrap()
                .len()),
            25
        );
        assert_eq!(
            timed("the count", &|| store.count_matching(&queued).unwrap()
                as usize),
            98_000
        );
        assert_eq!(
            timed("a search", &|| store.list(&search, 25, 0).unwrap().len()),
            20
        );
        assert_eq!(
            timed("a search count", &|| store.count_matching(&search).unwrap()
                as usize),
            20
        );
        assert_eq!(
            timed("the counters", &|| store.counts().unwrap().failed as usize),
            2_000
        );
    }
}
