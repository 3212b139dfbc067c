//! Time is UTC inside; business dates (a sale's date) are São Paulo dates. The clock is
//! injected so that tests decide what "now" is.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use chrono_tz::America::Sao_Paulo;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(0)
    }
}

pub type SharedClock = Arc<dyn Clock>;

pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// The date a merchant in Brazil calls "today" at `at`.
pub fn business_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Sao_Paulo).date_naive()
}

/// A moment as Ponte stores it (RFC 3339, written by `to_rfc3339`); `None` when absent or
/// unreadable.
pub fn stored_time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Nuvemshop sends `+0000`, `-03:00` and `Z` offsets (and the odd bare date); one parser takes
/// them all and answers UTC.
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%d %H:%M:%S%z",
    ] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|naive| naive.and_utc())
}

/// The form Nuvemshop's filters take: `2026-11-29T12:25:18+0000`.
pub fn nuvemshop_filter(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

/// `29/11/2026`
/// A moment as the merchant reads it: São Paulo's date and time, `06/12/2026 14:05`.
pub fn format_business(at: DateTime<Utc>) -> String {
    at.with_timezone(&Sao_Paulo)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

pub fn br_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offset_style_parses_to_the_same_instant() {
        let utc = parse_timestamp("2026-11-29T12:25:18Z").unwrap();
        assert_eq!(parse_timestamp("2026-11-29T12:25:18+0000"), Some(utc));
        assert_eq!(parse_timestamp("2026-11-29T09:25:18-03:00"), Some(utc));
        assert_eq!(parse_timestamp("2026-11-29T07:25:18-0500"), Some(utc));
        assert_eq!(parse_timestamp("2026-11-29T12:25:18.000Z"), Some(utc));
        assert!(parse_timestamp("29/11/2026").is_none());
    }

    #[test]
    fn the_business_date_is_the_sao_paulo_date() {
        // 01:30 UTC on the 30th is still the 29th in São Paulo (UTC−3).
        let late_evening = parse_timestamp("2026-11-30T01:30:00Z").unwrap();
        assert_eq!(
            business_date(late_evening),
            NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
        );
        assert_eq!(br_date(business_date(late_evening)), "29/11/2026");
    }
}
