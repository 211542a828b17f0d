//! Property tests of exactly-once accounting: random task histories, split into random pages
//! with random duplicates, polled at random times with random failed polls.

use std::time::Duration;

use cloud_task_exporter::accounting::{Account, PollResult, Rules};
use cloud_task_exporter::model::{Listing, Mapped, Task, TaskState};
use cloud_task_exporter::provider::Pager;
use proptest::prelude::*;

use crate::support::{BUCKETS, ts};

#[derive(Debug, Clone)]
struct Life {
    appears: usize,
    ends: Option<usize>,
    result: TaskState,
    resource: usize,
}

fn life() -> impl Strategy<Value = Life> {
    (
        0usize..8,
        proptest::option::of(0usize..8),
        prop::sample::select(TaskState::RESULTS.to_vec()),
        0usize..3,
    )
        .prop_map(|(appears, ends, result, resource)| Life {
            appears,
            ends: ends.map(|e| e.max(appears)),
            result,
            resource,
        })
}

fn view(id: usize, l: &Life, poll: usize) -> Option<Task> {
    if l.appears > poll {
        return None;
    }
    let done = l.ends.is_some_and(|e| e <= poll);
    let mapped = if done {
        if l.result == TaskState::Unknown {
            Mapped::terminal_unknown()
        } else {
            Mapped::known(l.result)
        }
    } else {
        Mapped::known(TaskState::Running)
    };
    let mut t = Task::new(
        id.to_string(),
        format!("vm{}", l.resource),
        "backup",
        "x",
        mapped,
    );
    t.started = Some(ts("2024-05-01T10:00:00Z"));
    if done {
        t.finished = Some(ts("2024-05-01T10:05:00Z"));
    }
    Some(t)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn counters_equal_distinct_completions_after_baseline(
        lives in prop::collection::vec(life(), 0..40),
        page_size in 1usize..7,
        dup_seed in prop::collection::vec(0usize..100, 8),
        failed in prop::collection::vec(any::<bool>(), 8),
        reverse in any::<bool>(),
    ) {
        let mut account = Account::new(&["backup"], &[]);
        let mut first_success: Option<usize> = None;
        let mut ends_logged = 0u64;
        for poll in 0..8 {
            // A failed poll (never the last) applies nothing.
            if failed[poll] && poll < 7 {
                continue;
            }
            first_success.get_or_insert(poll);
            let mut list: Vec<Task> = lives.iter().enumerate().filter_map(|(i, l)| view(i, l, poll)).collect();
            if reverse { list.reverse(); }
            // Pages, with a duplicate of an earlier task re-served on each later page (a shift).
            let mut pager = Pager::new("prop", 1000);
            let pages: Vec<Vec<Task>> = list.chunks(page_size).map(|c| c.to_vec()).collect();
            for (pi, page) in pages.iter().enumerate() {
                let mut page = page.clone();
                if pi > 0 && !list.is_empty() {
                    page.push(list[dup_seed[poll] % list.len()].clone());
                }
                pager.add_page(page);
            }
            let poll = PollResult { listed: vec![("u".to_string(), Listing::of(pager.into_tasks()))], failed: vec![] };
            let now = ts("2024-05-01T12:00:00Z");
            let report = account.apply(&poll, now,
        &Rules {
            lookback: Duration::from_secs(86400),
            buckets: &BUCKETS,
            max_task_types: 32,
        },
    );
            ends_logged += report.transitions.iter().filter(|t| !t.to.is_active()).count() as u64;
        }
        let baseline = first_success.unwrap();
        let expected = lives.iter().filter(|l| l.ends.is_some_and(|e| e <= 7 && e > baseline)).count() as u64;
        let counted: u64 = account.tallies.completions.values().sum();
        prop_assert_eq!(counted, expected);
        let observed: u64 = account.tallies.durations.values().map(|h| h.count).sum();
        prop_assert_eq!(observed, expected);
        // One log line per counted end; the history holds every end once, baseline included.
        prop_assert_eq!(ends_logged, expected);
        let ended = lives.iter().filter(|l| l.ends.is_some_and(|e| e <= 7)).count() as u64;
        let in_history: u64 = account.tallies.history.pairs.values().flat_map(|p| &p.days).map(|d| u64::from(d.ok) + u64::from(d.bad) + u64::from(d.other)).sum();
        prop_assert_eq!(in_history, ended);
        // Per result too.
        for r in TaskState::RESULTS {
            let want = lives.iter().filter(|l| l.result == r && l.ends.is_some_and(|e| e <= 7 && e > baseline)).count() as u64;
            let got: u64 = account.tallies.completions.iter().filter(|((_, _, res), _)| *res == r).map(|(_, n)| *n).sum();
            prop_assert_eq!(got, want, "result {}", r.as_label());
        }
    }
}
