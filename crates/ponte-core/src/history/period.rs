//! A period the merchant chooses: São Paulo dates, both days included.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Sao_Paulo;
use serde::{Deserialize, Serialize};

use crate::problem::Problem;
use crate::time::br_date;

/// The longest period one backfill or reconciliation takes: a year, so that a wrong date
/// does not start reading a store's whole history.
pub const MAX_DAYS: i64 = 366;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

fn invalid(message: String, hint: &str) -> Problem {
    Problem::bad_period(message, hint)
}

/// `2026-10-01` or `01/10/2026`.
pub fn parse_date(text: &str) -> Result<NaiveDate, Problem> {
    let text = text.trim();
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(text, "%d/%m/%Y"))
        .map_err(|_| {
            invalid(
                format!("Data não reconhecida: “{text}”."),
                "Escreva a data como 31/10/2026 (ou 2026-10-31).",
            )
        })
}

impl Period {
    /// A period that ends no later than `today` and spans at most [`MAX_DAYS`].
    pub fn new(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<Period, Problem> {
        if from > to {
            return Err(invalid(
                format!(
                    "O período começa ({}) depois de terminar ({}).",
                    br_date(from),
                    br_date(to)
                ),
                "Escolha a data inicial antes da final.",
            ));
        }
        if to > today {
            return Err(invalid(
                format!("O período termina no futuro ({}).", br_date(to)),
                "Escolha uma data final até hoje.",
            ));
        }
        if (to - from).num_days() + 1 > MAX_DAYS {
            return Err(invalid(
                format!(
                    "O período tem {} dias; o limite é {MAX_DAYS}.",
                    (to - from).num_days() + 1
                ),
                "Escolha um período de até um ano; para mais, faça em partes.",
            ));
        }
        Ok(Period { from, to })
    }

    pub fn parse(from: &str, to: &str, today: NaiveDate) -> Result<Period, Problem> {
        Period::new(parse_date(from)?, parse_date(to)?, today)
    }

    /// The first instant of the first day, in São Paulo.
    pub fn start(&self) -> DateTime<Utc> {
        midnight(self.from)
    }

    /// The first instant after the last day, in São Paulo (exclusive).
    pub fn end(&self) -> DateTime<Utc> {
        midnight(self.to + Duration::days(1))
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start() <= at && at < self.end()
    }

    /// `01/10/2026 a 31/10/2026`
    pub fn label(&self) -> String {
        format!("{} a {}", br_date(self.from), br_date(self.to))
    }
}

/// Midnight of a São Paulo date (Brazil has had no daylight saving since 2019, and none ever
/// skipped midnight's hour in a way a listing would notice: the earliest instant is taken).
fn midnight(date: NaiveDate) -> DateTime<Utc> {
    let naive = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    Sao_Paulo
        .from_local_datetime(&naive)
        .earliest()
        .map(|at| at.with_timezone(&Utc))
        // A midnight skipped by a clock change (daylight saving began at 00:00, UTC−2 after
        // it): the day began at 01:00, 03:00 UTC.
        .unwrap_or_else(|| naive.and_utc() + Duration::hours(3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemCode;

    fn day(text: &str) -> NaiveDate {
        parse_date(text).unwrap()
    }

    #[test]
    fn a_period_is_sao_paulo_days_both_included() {
        let period = Period::parse("01/10/2026", "2026-10-31", day("2026-11-30")).unwrap();
        assert_eq!(period.start().to_rfc3339(), "2026-10-01T03:00:00+00:00");
        assert_eq!(period.end().to_rfc3339(), "2026-11-01T03:00:00+00:00");
        assert!(period.contains(period.end() - Duration::seconds(1)));
        assert!(!period.contains(period.end()));
        assert_eq!(period.label(), "01/10/2026 a 31/10/2026");
    }

    #[test]
    fn a_day_whose_midnight_was_skipped_starts_at_one_oclock() {
        // Daylight saving began at midnight on 2018-11-04 in São Paulo.
        let period = Period::parse("04/11/2018", "04/11/2018", day("2026-11-30")).unwrap();
        assert_eq!(period.start().to_rfc3339(), "2018-11-04T03:00:00+00:00");
        assert_eq!(period.end().to_rfc3339(), "2018-11-05T02:00:00+00:00");
    }

    #[test]
    fn reversed_future_and_too_long_periods_are_refused_in_portuguese() {
        let today = day("2026-11-30");
        for (from, to, says) in [
            ("2026-10-31", "2026-10-01", "depois de terminar"),
            ("2026-11-01", "2026-12-01", "no futuro"),
            ("2025-01-01", "2026-11-30", "o limite é 366"),
            ("31/02/2026", "2026-10-01", "não reconhecida"),
            ("ontem", "2026-10-01", "não reconhecida"),
        ] {
            let problem = Period::parse(from, to, today).unwrap_err();
            assert!(
                problem.message.contains(says),
                "{from}..{to}: {}",
                problem.message
            );
            assert_eq!(problem.code, ProblemCode::BadRequest);
        }
        assert!(Period::parse("2025-12-01", "2026-11-30", today).is_ok());
    }
}
