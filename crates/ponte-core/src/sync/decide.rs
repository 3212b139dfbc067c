//! The engine's next step for one order, as a pure function of where the order stands in the
//! ledger and the last answer Conta Azul gave (R8). The engine carries out what this decides;
//! every branch is a row of the table test below.
//!
//! The hard case is a sale whose creation got no trustworthy answer (a timeout, a cut
//! connection, a 5xx, a body that does not decode, a crash): Conta Azul may have saved it.
//! Such an order keeps its sale number. It is looked up by that number (every sale carrying
//! it, each recognised by its note), and after an unanswered send it first gives the search
//! index [`INDEX_SETTLE`] to catch up. It is sent again only under the *same* number, which
//! Conta Azul refuses if a sale holds it. Only a refusal naming a sale that the search lists
//! and that is not this order's, or a number held for longer than any index lags
//! ([`LOOKUP_GRACE`]) by a sale never listed, gives the order a fresh number.
//!
//! That the same number protects depends on Conta Azul keeping sale numbers unique, which its
//! documentation does not state (`contaazul::assumptions::SALE_NUMBERS_UNIQUE`). Without it,
//! nothing is sent again before [`LOOKUP_GRACE`] has passed with the search still not listing
//! the sale.

use chrono::{DateTime, Duration, Utc};

use crate::problem::Problem;

/// How long after a send that got no answer the search index is given to list the sale before
/// Ponte considers sending again. Indexes usually catch up within seconds; this is minutes, so
/// that the ordinary lag never comes near a second send.
pub const INDEX_SETTLE: Duration = Duration::minutes(2);

/// How long a number can be held by a sale that no search lists before Ponte concludes the
/// holder is not this order's sale. Mistaking a lagging index for a missing sale creates a
/// sale twice, so this is generous: half an hour, far beyond any lag seen in normal operation.
pub const LOOKUP_GRACE: Duration = Duration::minutes(30);

/// How often an order whose sale may exist is looked up again while it waits.
pub const RECHECK: Duration = Duration::minutes(1);

/// How long a sale that was not received (no connection, 429) waits before it is sent again.
pub const RETRY_PAUSE: Duration = Duration::seconds(30);

pub use crate::store::Progress;

/// Why Conta Azul was searched for the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// Picking the order up again (a new pass, after a crash).
    Resume,
    /// The send just made got no answer to trust.
    NoAnswer,
    /// Conta Azul said the number is already used.
    Taken,
}

/// What a search for a sale number found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The sale, among those carrying the number, whose note is this order's.
    pub ours: Option<String>,
    /// How many sales carrying the number the search lists.
    pub holders: usize,
    pub why: Why,
}

/// The last thing Conta Azul said about this order's sale.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Nothing asked yet in this pass.
    Start,
    Created {
        sale_id: String,
        numero: i64,
    },
    /// Refused for a reason of the order (R18–R21).
    Refused(Problem),
    /// Refused because a sale already holds the number.
    NumberTaken,
    /// Not received (no connection could be made, 429): this send saved nothing.
    NotReceived,
    /// Refused, so saved nothing, for an id Ponte remembered from an earlier pass; the ids were
    /// looked up afresh and the sale goes again at once, under its number.
    RefusedWithStaleIds,
    /// No answer to trust: the sale may or may not have been saved.
    Unknown,
    Found(Lookup),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Resolve the customer and products and send the sale: under this number, or under a
    /// fresh one from `proximo-numero` when `None`.
    Send {
        numero: Option<i64>,
    },
    /// Search Conta Azul for the number and read the note of every sale that carries it.
    LookUp {
        numero: i64,
        why: Why,
    },
    Imported {
        sale_id: String,
        numero: i64,
    },
    Fail(Problem),
    /// Send nothing before `until`; the order keeps its number.
    Wait {
        until: DateTime<Utc>,
    },
}

/// `numbers_unique`: whether Conta Azul refuses a second sale with a number already used.
pub fn next_step(
    progress: &Progress,
    answer: Answer,
    now: DateTime<Utc>,
    numbers_unique: bool,
) -> Step {
    let (numero, sent_at, taken) = match progress {
        Progress::Sent {
            numero,
            sent_at,
            taken,
        } => (*numero, *sent_at, *taken),
        Progress::Queued => {
            return match answer {
                Answer::Created { sale_id, numero } => Step::Imported { sale_id, numero },
                Answer::Refused(problem) => Step::Fail(problem),
                _ => Step::Send { numero: None },
            }
        }
    };
    let found = match answer {
        Answer::Created { sale_id, numero } => return Step::Imported { sale_id, numero },
        Answer::Refused(problem) => return Step::Fail(problem),
        // Picked up again, or just sent without an answer: look before anything else.
        Answer::Start => {
            let why = if taken { Why::Taken } else { Why::Resume };
            return Step::LookUp { numero, why };
        }
        Answer::Unknown => {
            return Step::LookUp {
                numero,
                why: Why::NoAnswer,
            }
        }
        Answer::NumberTaken => {
            return Step::LookUp {
                numero,
                why: Why::Taken,
            }
        }
        Answer::RefusedWithStaleIds => {
            return Step::Send {
                numero: Some(numero),
            }
        }
        Answer::NotReceived => {
            return Step::Wait {
                until: now + RETRY_PAUSE,
            }
        }
        Answer::Found(found) => found,
    };
    if let Some(sale_id) = found.ours {
        return Step::Imported { sale_id, numero };
    }
    let graced = now >= sent_at + LOOKUP_GRACE;
    let wait_for_grace = Step::Wait {
        until: (sent_at + LOOKUP_GRACE).min(now + RECHECK),
    };
    match (found.why, found.holders) {
        // The number is held, and the search lists who holds it: not this order's sale, and
        // only one sale can hold a number. A fresh number.
        (Why::Taken, 1..) => Step::Send { numero: None },
        // Held by a sale no search lists: maybe this order's, not yet indexed. Once it has
        // stayed unlisted for longer than any index lags, it is not.
        (Why::Taken, 0) if graced => Step::Send { numero: None },
        (Why::Taken, 0) => wait_for_grace,
        // Just sent without an answer: the index gets time to list it before anything else.
        (Why::NoAnswer, _) => Step::Wait {
            until: (sent_at + INDEX_SETTLE).max(now + RETRY_PAUSE),
        },
        // Not listed when picked up again. The same number once more: Conta Azul refuses it
        // if the sale was saved after all. Where numbers may repeat, only after the grace.
        (Why::Resume, _) if numbers_unique || graced => Step::Send {
            numero: Some(numero),
        },
        (Why::Resume, _) => wait_for_grace,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn found(ours: Option<&str>, holders: usize, why: Why) -> Answer {
        Answer::Found(Lookup {
            ours: ours.map(str::to_string),
            holders,
            why,
        })
    }

    fn sent(taken: bool) -> Progress {
        Progress::Sent {
            numero: 7,
            sent_at: at(0),
            taken,
        }
    }

    #[test]
    fn r8_every_branch() {
        use Why::*;
        let refused = Problem::of(ProblemCode::StockValidation);
        let send = |numero| Step::Send { numero };
        let look = |why| Step::LookUp { numero: 7, why };
        let imported = |id: &str| Step::Imported {
            sale_id: id.into(),
            numero: 7,
        };
        let wait = |minutes| Step::Wait { until: at(minutes) };
        let created = Answer::Created {
            sale_id: "s".into(),
            numero: 7,
        };
        let g = LOOKUP_GRACE.num_minutes();
        let settle = INDEX_SETTLE.num_minutes();
        let recheck = RECHECK.num_minutes();
        let (free, held) = (sent(false), sent(true));
        #[rustfmt::skip]
        let table: Vec<(Progress, Answer, i64, bool, Step)> = vec![
            // A new order: resolve and send under a fresh number.
            (Progress::Queued, Answer::Start, 0, true, send(None)),
            // The answers that settle it.
            (free.clone(), created.clone(), 0, true, imported("s")),
            (free.clone(), Answer::Refused(refused.clone()), 0, true, Step::Fail(refused.clone())),
            // Picked up again (a new pass, a crash): look before anything else.
            (free.clone(), Answer::Start, 5, true, look(Resume)),
            (held.clone(), Answer::Start, 5, true, look(Taken)),
            // No answer to trust: look at once…
            (free.clone(), Answer::Unknown, 0, true, look(NoAnswer)),
            // …and, not listed yet, give the index time before anything else.
            (free.clone(), found(None, 0, NoAnswer), 0, true, wait(settle)),
            (free.clone(), found(None, 0, NoAnswer), 0, false, wait(settle)),
            // Refused for a stale remembered id: the same number, at once.
            (free.clone(), Answer::RefusedWithStaleIds, 0, true, send(Some(7))),
            // Not received: the same number, a little later.
            (free.clone(), Answer::NotReceived, 0, true, Step::Wait { until: at(0) + RETRY_PAUSE }),
            // Found by number and note: imported, whatever the reason for looking.
            (free.clone(), found(Some("s"), 2, NoAnswer), 0, true, imported("s")),
            (free.clone(), found(Some("s"), 2, Resume), 3, false, imported("s")),
            (held.clone(), found(Some("s"), 1, Taken), 1, true, imported("s")),
            // Not listed when picked up again: the same number, which Conta Azul refuses if taken.
            (free.clone(), found(None, 0, Resume), 3, true, send(Some(7))),
            (free.clone(), found(None, 1, Resume), 3, true, send(Some(7))),
            // Where numbers may repeat: only after the grace period.
            (free.clone(), found(None, 0, Resume), 3, false, wait(3 + recheck)),
            (free.clone(), found(None, 0, Resume), g - 1, false, wait(g)),
            (free.clone(), found(None, 1, Resume), g, false, send(Some(7))),
            // Refused as "number taken": find who holds it.
            (free.clone(), Answer::NumberTaken, 0, true, look(Taken)),
            // Held by a listed sale that is not this order's: ours was never saved.
            (held.clone(), found(None, 1, Taken), 0, true, send(None)),
            // Held by a sale no search lists yet: maybe ours. Wait, look again.
            (held.clone(), found(None, 0, Taken), 2, true, wait(2 + recheck)),
            (held.clone(), found(None, 0, Taken), g - 1, true, wait(g)),
            // Unlisted for longer than any index lags: not ours.
            (held.clone(), found(None, 0, Taken), g, true, send(None)),
        ];
        for (row, (progress, answer, minutes, unique, expected)) in table.into_iter().enumerate() {
            let step = next_step(&progress, answer.clone(), at(minutes), unique);
            assert_eq!(
                step, expected,
                "row {row}: {progress:?} + {answer:?} at +{minutes} min"
            );
        }
    }

    #[test]
    fn r8_a_sale_that_may_exist_gets_a_fresh_number_only_with_proof() {
        // Within the grace period, whatever a search answers, a fresh number comes only after
        // Conta Azul refused the kept number and listed the sale that holds it; and right
        // after a send without an answer, nothing is sent at all.
        for unique in [true, false] {
            for minutes in [0, 1, 14, LOOKUP_GRACE.num_minutes() - 1] {
                for holders in [0, 1, 3] {
                    for why in [Why::Resume, Why::NoAnswer] {
                        let step =
                            next_step(&sent(false), found(None, holders, why), at(minutes), unique);
                        assert_ne!(
                            step,
                            Step::Send { numero: None },
                            "{minutes} min, {holders}"
                        );
                    }
                }
                for answer in [
                    Answer::Start,
                    Answer::Unknown,
                    Answer::NotReceived,
                    found(None, 0, Why::Taken),
                ] {
                    let step = next_step(&sent(true), answer, at(minutes), unique);
                    assert_ne!(step, Step::Send { numero: None });
                }
                let step = next_step(&sent(false), found(None, 0, Why::NoAnswer), at(0), unique);
                assert!(matches!(step, Step::Wait { .. }), "{step:?}");
            }
        }
        assert!(INDEX_SETTLE >= Duration::minutes(1), "minutes, not seconds");
        assert!(LOOKUP_GRACE >= Duration::minutes(5));
    }
}
