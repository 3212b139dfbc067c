//! Money is `Decimal`, never `f64`: parsed leniently at the edge, rounded to cents where the
//! services round.

use rust_decimal::{Decimal, RoundingStrategy};

pub fn cents(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `R$ 1.234,56`, the way a Brazilian merchant reads money.
pub fn brl(value: Decimal) -> String {
    // rusty-money knows BRL's separators; the merchant's screens put a space after the symbol.
    rusty_money::Money::from_decimal(cents(value), rusty_money::iso::BRL)
        .to_string()
        .replacen("R$", "R$ ", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn brl_groups_thousands_and_uses_a_decimal_comma() {
        assert_eq!(brl(d("1234.56")), "R$ 1.234,56");
        assert_eq!(brl(d("0.5")), "R$ 0,50");
        assert_eq!(brl(d("1000000")), "R$ 1.000.000,00");
        assert_eq!(brl(d("-12.345")), "-R$ 12,35");
        assert_eq!(brl(d("999.999")), "R$ 1.000,00");
    }

    #[test]
    fn cents_round_half_away_from_zero() {
        assert_eq!(cents(d("0.125")), d("0.13"));
        assert_eq!(cents(d("2.675")), d("2.68"));
    }
}
