//! An ordered parallel map: items are mapped on every thread of rayon's pool and consumed
//! in input order, without a barrier between batches.
//!
//! Each worker loops: take the next item (numbered), map it, deposit the result. Whoever
//! deposits the result the consumer is waiting for becomes the writer and consumes every
//! consecutive result that is ready, while the others go on mapping. The weight of items
//! taken but not yet consumed is bounded, so memory stays bounded when one item is slow.

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use crate::error::Result;

/// The input side: the items, their numbering and the weight in flight.
struct Feed<I> {
    items: I,
    next: u64,
    in_flight: usize,
    /// No more items will be taken: the input ended, or consuming stopped.
    stopped: bool,
}

/// The output side: mapped results waiting for their turn.
struct Ready<T> {
    results: BTreeMap<u64, (usize, Result<T>)>,
    next: u64,
    /// A worker is consuming (results leave `results` in order only through it).
    writing: bool,
    /// The first error, which ends the run.
    error: Option<crate::Error>,
}

struct Shared<I, T, C> {
    feed: Mutex<Feed<I>>,
    space: Condvar,
    ready: Mutex<Ready<T>>,
    consume: Mutex<C>,
}

/// A panic in a worker poisons the locks; rayon re-raises it in the caller, so the other
/// workers may simply go on.
fn lock<X>(m: &Mutex<X>) -> MutexGuard<'_, X> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Map `items` through `map` on rayon's pool and pass the results to `consume` in input
/// order. At most `budget` weight (by `weight`) is taken and not yet consumed, except
/// that one item is always allowed. Stops at the first error from the input, `map` or
/// `consume`, after consuming every result before it.
pub(crate) fn for_each_ordered<S, T, I, W, F, C>(
    items: I,
    weight: W,
    budget: usize,
    map: F,
    consume: C,
) -> Result<()>
where
    I: Iterator<Item = Result<S>> + Send,
    S: Send,
    T: Send,
    W: Fn(&S) -> usize + Sync,
    F: Fn(S) -> Result<T> + Sync,
    C: FnMut(T) -> Result<()> + Send,
{
    let shared = Shared {
        feed: Mutex::new(Feed {
            items,
            next: 0,
            in_flight: 0,
            stopped: false,
        }),
        space: Condvar::new(),
        ready: Mutex::new(Ready {
            results: BTreeMap::new(),
            next: 0,
            writing: false,
            error: None,
        }),
        consume: Mutex::new(consume),
    };
    let work = || worker(&shared, &weight, budget, &map);
    let threads = rayon::current_num_threads().max(1);
    rayon::scope(|s| {
        for _ in 1..threads {
            s.spawn(|_| work());
        }
        work();
    });
    let error = lock(&shared.ready).error.take();
    error.map_or(Ok(()), Err)
}

fn worker<S, T, I, W, F, C>(shared: &Shared<I, T, C>, weight: &W, budget: usize, map: &F)
where
    I: Iterator<Item = Result<S>>,
    W: Fn(&S) -> usize,
    F: Fn(S) -> Result<T>,
    C: FnMut(T) -> Result<()>,
{
    // A panic in `map` or `consume` would leave its item unconsumed and the others
    // waiting for it; stopping the feed lets them finish so rayon can re-raise it.
    let _stop_on_panic = StopOnPanic(shared);
    while let Some((seq, w, item)) = take(shared, weight, budget) {
        let result = item.and_then(map);
        let mut ready = lock(&shared.ready);
        ready.results.insert(seq, (w, result));
        if ready.writing || ready.error.is_some() {
            continue;
        }
        ready.writing = true;
        write_ready(shared, ready);
    }
}

struct StopOnPanic<'a, I, T, C>(&'a Shared<I, T, C>);

impl<I, T, C> Drop for StopOnPanic<'_, I, T, C> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            lock(&self.0.feed).stopped = true;
            self.0.space.notify_all();
        }
    }
}

/// The next item with its number and weight, waiting while the budget is spent; `None`
/// once no more items are to be taken.
fn take<S, T, I, W, C>(
    shared: &Shared<I, T, C>,
    weight: &W,
    budget: usize,
) -> Option<(u64, usize, Result<S>)>
where
    I: Iterator<Item = Result<S>>,
    W: Fn(&S) -> usize,
{
    let mut feed = lock(&shared.feed);
    while !feed.stopped && feed.in_flight > 0 && feed.in_flight >= budget {
        feed = shared
            .space
            .wait(feed)
            .unwrap_or_else(PoisonError::into_inner);
    }
    if feed.stopped {
        return None;
    }
    let Some(item) = feed.items.next() else {
        feed.stopped = true;
        shared.space.notify_all();
        return None;
    };
    // An error ends the input: it is consumed (reported) in its turn.
    feed.stopped = item.is_err();
    let w = item.as_ref().map_or(0, weight);
    let seq = feed.next;
    feed.next += 1;
    feed.in_flight += w;
    Some((seq, w, item))
}

/// Consume results in order for as long as the next one is ready; the caller holds the
/// writer role (`writing` set) and gives it up here.
fn write_ready<'a, S, T, I, C>(shared: &'a Shared<I, T, C>, mut ready: MutexGuard<'a, Ready<T>>)
where
    I: Iterator<Item = Result<S>>,
    C: FnMut(T) -> Result<()>,
{
    let mut batch = Vec::new();
    loop {
        let ready_now = &mut *ready;
        while let Some(entry) = ready_now.results.first_entry() {
            if *entry.key() != ready_now.next {
                break;
            }
            batch.push(entry.remove());
            ready_now.next += 1;
        }
        if batch.is_empty() {
            ready.writing = false;
            return;
        }
        drop(ready);
        let mut consumed = 0;
        let mut failed = None;
        {
            let mut consume = lock(&shared.consume);
            for (w, result) in batch.drain(..) {
                consumed += w;
                if let Err(e) = result.and_then(&mut *consume) {
                    failed = Some(e);
                    break;
                }
            }
        }
        batch.clear();
        {
            let mut feed = lock(&shared.feed);
            feed.in_flight -= consumed.min(feed.in_flight);
            if failed.is_some() {
                feed.stopped = true;
            }
        }
        shared.space.notify_all();
        ready = lock(&shared.ready);
        if let Some(e) = failed {
            ready.error = Some(e);
            ready.results.clear();
            ready.writing = false;
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    fn err(i: usize) -> Error {
        Error::io(format!("item {i}"), std::io::Error::other("failed"))
    }

    /// Runs `for_each_ordered` on a pool of `threads` over `weights`; the input fails at
    /// `bad_input`, `map` at `bad_map`, `consume` at `bad_consume`. Returns what was
    /// consumed, the outcome, and the largest weight ever taken and not yet consumed.
    fn run(
        threads: usize,
        weights: &[usize],
        budget: usize,
        bad: [Option<usize>; 3],
    ) -> (Vec<usize>, Result<()>, usize) {
        let [bad_input, bad_map, bad_consume] = bad;
        let (taken, max_ahead) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let consumed_weight = AtomicUsize::new(0);
        let mut got = Vec::new();
        let items = weights.iter().enumerate().map(|(i, &w)| {
            if Some(i) == bad_input {
                Err(err(i))
            } else {
                Ok((i, w))
            }
        });
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let result = pool.install(|| {
            for_each_ordered(
                items,
                |&(_, w)| {
                    let ahead = taken.fetch_add(w, SeqCst) + w - consumed_weight.load(SeqCst);
                    max_ahead.fetch_max(ahead, SeqCst);
                    w
                },
                budget,
                |(i, w)| {
                    // Uneven work, so results arrive out of order.
                    std::thread::sleep(std::time::Duration::from_micros((i % 3 * 50) as u64));
                    if Some(i) == bad_map {
                        Err(err(i))
                    } else {
                        Ok((i, w))
                    }
                },
                |(i, w)| {
                    if Some(i) == bad_consume {
                        return Err(err(i));
                    }
                    got.push(i);
                    consumed_weight.fetch_add(w, SeqCst);
                    Ok(())
                },
            )
        });
        (got, result, max_ahead.load(SeqCst))
    }

    #[test]
    fn a_panicking_map_is_raised_not_hung() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        let items = (0..100usize).map(Ok);
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                for_each_ordered(
                    items,
                    |_| 1,
                    2,
                    |i| if i == 3 { panic!("boom") } else { Ok(i) },
                    |_| Ok(()),
                )
            })
        }));
        assert!(outcome.is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn consumes_in_order_within_the_budget(
            weights in proptest::collection::vec(0usize..5, 0..60),
            budget in 0usize..12,
            threads in 1usize..4,
        ) {
            let (got, result, ahead) = run(threads, &weights, budget, [None; 3]);
            prop_assert!(result.is_ok());
            prop_assert_eq!(got, (0..weights.len()).collect::<Vec<_>>());
            // One item may always be taken, so the bound is the budget plus one weight.
            prop_assert!(ahead <= budget + weights.iter().max().copied().unwrap_or(0));
        }

        #[test]
        fn stops_at_the_first_error_after_everything_before_it(
            n in 1usize..40,
            at in 0usize..40,
            which in 0usize..3,
            threads in 1usize..4,
        ) {
            let at = at % n;
            let mut bad = [None; 3];
            bad[which] = Some(at);
            let (got, result, _) = run(threads, &vec![1; n], 6, bad);
            prop_assert_eq!(got, (0..at).collect::<Vec<_>>());
            let e = result.err().map(|e| e.to_string()).unwrap_or_default();
            prop_assert!(e.contains(&format!("item {at}")), "{}", e);
        }
    }
}
