//! Money in the sandbox is `Decimal`, rounded to cents where a service rounds.

use rust_decimal::{Decimal, RoundingStrategy};

pub(crate) fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `"5190.00"`: Nuvemshop's decimal strings.
pub(crate) fn two_places(value: Decimal) -> String {
    format!("{:.2}", cents(value))
}

/// A JSON number read exactly (serde_json keeps the shortest decimal representation).
pub(crate) fn from_json_number(value: &serde_json::Value) -> Option<Decimal> {
    match value {
        serde_json::Value::Number(number) => {
            let text = number.to_string();
            text.parse::<Decimal>()
                .ok()
                .or_else(|| Decimal::from_scientific(&text).ok())
        }
        _ => None,
    }
}

/// A Decimal as a JSON number, the way Conta Azul sends money.
pub(crate) fn to_json_number(value: Decimal) -> serde_json::Value {
    let text = value.normalize().to_string();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_numbers_are_read_exactly() {
        assert_eq!(
            from_json_number(&json!(59.9)),
            Some("59.9".parse().unwrap())
        );
        assert_eq!(from_json_number(&json!(0.1)), Some("0.1".parse().unwrap()));
        assert_eq!(from_json_number(&json!(10)), Some(Decimal::from(10)));
        assert_eq!(from_json_number(&json!("10")), None);
    }

    #[test]
    fn money_renders_with_two_places() {
        assert_eq!(two_places("5190".parse().unwrap()), "5190.00");
        assert_eq!(two_places("0.125".parse().unwrap()), "0.13");
        assert_eq!(to_json_number("124.80".parse().unwrap()), json!(124.8));
    }
}
