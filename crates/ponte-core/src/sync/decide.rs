//! The engine's next step for one order, as a pure function of where the order stands in the
//! ledger and the last answer Conta Azul gave (R8). The engine carries out what this decides;
//! every branch is a row of the table test below.
//!
//! The hard case is a sale whose creation got no trustworthy answer (a timeout, a cut
//! connection, a 5xx, a body that does not decode, a crash): Conta Azul may have saved it.
//! Such an order keeps its sale number. It is looked up by that number (every sale carrying
//! it, each recognised by its note) before anything is sent again; then it is sent again only
//! under the *same* number, which Conta Azul refuses if a sale holds it. Only a refusal naming
//! a sale that the search lists and that is not this order's, or a number held for longer than
//! any index lags by a sale never listed, gives the order a fresh number.
//!
//! That the same number protects depends on Conta Azul keeping sale numbers unique, which its
//! documentation does not state (`contaazul::assumptions::SALE_NUMBERS_UNIQUE`). Without it,
//! nothing is sent again before [`LOOKUP_GRACE`] has passed with the search still not listing
//! the sale.

use chrono::{DateTime, Duration, Utc};

use crate::problem::Problem;

/// How long a search that does not list a sale may still be a lagging index rather than a
/// sale that was never saved. Indexes lag behind writes by seconds usually and by minutes when
/// the service is under load; mistaking one for the other creates a sale twice, so this is
/// generous: half an hour.
pub const LOOKUP_GRACE: Duration = Duration::minutes(30);

/// How often an order whose sale may exist is looked up again while it waits.
pub const RECHECK: Duration = Duration::minutes(1);

/// How long a sale that was not received (no connection, 429) waits before it is sent again.
pub const RETRY_PAUSE: Duration = Duration::seconds(30);

/// Where an order stands, as far as sending its sale goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Nothing sent yet.
    Queued,
    /// The sale was (or may have been) sent under `numero`, first at `sent_at`; no answer said
    /// it was saved.
    Sent { numero: i64, sent_at: DateTime<Utc> },
}

/// What a search for a sale number found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    /// The sale, among those carrying the number, whose note is this order's.
    pub ours: Option<String>,
    /// How many sales carrying the number the search lists.
    pub holders: usize,
    /// The search was made because Conta Azul said the number is already used.
    pub after_taken: bool,
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
    /// Refused for a reason of the order (R18–R21): nothing was saved.
    Refused(Problem),
    /// Refused because a sale already holds the number.
    NumberTaken,
    /// Not received (no connection could be made, 429): this send saved nothing.
    NotReceived,
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
        after_taken: bool,
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
    let (numero, sent_at) = match (progress, &answer) {
        (_, Answer::Created { sale_id, numero }) => {
            return Step::Imported {
                sale_id: sale_id.clone(),
                numero: *numero,
            }
        }
        (_, Answer::Refused(problem)) => return Step::Fail(problem.clone()),
        (Progress::Queued, _) => return Step::Send { numero: None },
        (Progress::Sent { numero, sent_at }, _) => (*numero, *sent_at),
    };
    let graced = now >= sent_at + LOOKUP_GRACE;
    let wait = Step::Wait {
        until: (sent_at + LOOKUP_GRACE).min(now + RECHECK),
    };
    match answer {
        Answer::Created { .. } | Answer::Refused(_) => unreachable!("settled above"),
        // Before anything else, after a crash or an answer that cannot be trusted: look.
        Answer::Start | Answer::Unknown => Step::LookUp {
            numero,
            after_taken: false,
        },
        Answer::NotReceived => Step::Wait {
            until: now + RETRY_PAUSE,
        },
        Answer::NumberTaken => Step::LookUp {
            numero,
            after_taken: true,
        },
        Answer::Found(Lookup {
            ours: Some(sale_id),
            ..
        }) => Step::Imported { sale_id, numero },
        // Refused as taken, and the search lists who holds the number: not this order's sale,
        // and only one sale can hold it. A fresh number.
        Answer::Found(Lookup {
            after_taken: true,
            holders: 1..,
            ..
        }) => Step::Send { numero: None },
        // Taken by a sale no search lists yet: it may be this order's, not yet indexed. Once
        // it has stayed unlisted for longer than any index lags, it is not.
        Answer::Found(Lookup {
            after_taken: true,
            holders: 0,
            ..
        }) => {
            if graced {
                Step::Send { numero: None }
            } else {
                wait
            }
        }
        // Not listed. The same number again: Conta Azul refuses it if the sale was saved
        // after all. Where numbers may repeat, only once the index has had its time.
        Answer::Found(Lookup {
            after_taken: false, ..
        }) => {
            if numbers_unique || graced {
                Step::Send {
                    numero: Some(numero),
                }
            } else {
                wait
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_790_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn found(ours: Option<&str>, holders: usize, after_taken: bool) -> Answer {
        Answer::Found(Lookup {
            ours: ours.map(str::to_string),
            holders,
            after_taken,
        })
    }

    fn sent() -> Progress {
        Progress::Sent {
            numero: 7,
            sent_at: at(0),
        }
    }

    #[test]
    fn r8_every_branch() {
        let refused = Problem::of(ProblemCode::StockValidation);
        let send = |numero| Step::Send { numero };
        let look = |after_taken| Step::LookUp {
            numero: 7,
            after_taken,
        };
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
        let recheck = RECHECK.num_minutes();
        #[rustfmt::skip]
        let table: Vec<(Progress, Answer, i64, bool, Step)> = vec![
            // A new order: resolve and send under a fresh number.
            (Progress::Queued, Answer::Start, 0, true, send(None)),
            // The answers that settle it.
            (sent(), created.clone(), 0, true, imported("s")),
            (sent(), Answer::Refused(refused.clone()), 0, true, Step::Fail(refused.clone())),
            // After a crash, or an answer that cannot be trusted: look before anything else.
            (sent(), Answer::Start, 5, true, look(false)),
            (sent(), Answer::Unknown, 0, true, look(false)),
            (sent(), Answer::Start, 5, false, look(false)),
            // Not received: the same number, a little later.
            (sent(), Answer::NotReceived, 0, true, Step::Wait { until: at(0) + RETRY_PAUSE }),
            // Found by number and note: imported, whether or not the number was refused.
            (sent(), found(Some("s"), 2, false), 1, true, imported("s")),
            (sent(), found(Some("s"), 1, true), 1, false, imported("s")),
            // Not listed: again under the same number, which Conta Azul refuses if it holds it.
            (sent(), found(None, 0, false), 0, true, send(Some(7))),
            (sent(), found(None, 1, false), 3, true, send(Some(7))),
            // Where numbers may repeat: only after the grace period.
            (sent(), found(None, 0, false), 1, false, wait(1 + recheck)),
            (sent(), found(None, 0, false), g - 1, false, wait(g)),
            (sent(), found(None, 1, false), g, false, send(Some(7))),
            // Refused as "number taken": find who holds it.
            (sent(), Answer::NumberTaken, 0, true, look(true)),
            // Held by a listed sale that is not this order's: ours was never saved.
            (sent(), found(None, 1, true), 0, true, send(None)),
            // Held by a sale no search lists yet: maybe ours. Wait, look again.
            (sent(), found(None, 0, true), 2, true, wait(2 + recheck)),
            (sent(), found(None, 0, true), g - 1, true, wait(g)),
            // Unlisted for longer than any index lags: not ours.
            (sent(), found(None, 0, true), g, true, send(None)),
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
        // Conta Azul refused the kept number and listed the sale that holds it.
        for unique in [true, false] {
            for minutes in [0, 1, 14, LOOKUP_GRACE.num_minutes() - 1] {
                for holders in [0, 1, 3] {
                    let step = next_step(&sent(), found(None, holders, false), at(minutes), unique);
                    assert_ne!(
                        step,
                        Step::Send { numero: None },
                        "{minutes} min, {holders}"
                    );
                }
                for answer in [
                    Answer::Start,
                    Answer::Unknown,
                    Answer::NotReceived,
                    found(None, 0, true),
                ] {
                    let step = next_step(&sent(), answer, at(minutes), unique);
                    assert_ne!(step, Step::Send { numero: None });
                }
            }
        }
        assert!(LOOKUP_GRACE >= Duration::minutes(5), "minutes, not seconds");
    }
}
