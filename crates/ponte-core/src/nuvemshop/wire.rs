//! Nuvemshop's order, as Ponte reads it. The API's quirks are absorbed here, in one place:
//! numbers that come as strings (`"number": "101"`, `"quantity": "1"`), money as decimal
//! strings, timestamps with `+0000`, `-03:00` or `Z`, `completed_at` as an object (ignored).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

#[derive(Clone, Debug, Deserialize)]
pub struct Order {
    #[serde(deserialize_with = "lenient::u64")]
    pub id: u64,
    #[serde(deserialize_with = "lenient::u64")]
    pub number: u64,
    #[serde(deserialize_with = "lenient::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "lenient::timestamp")]
    pub updated_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "lenient::optional_timestamp")]
    pub paid_at: Option<DateTime<Utc>>,
    pub payment_status: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub currency: Option<String>,
    #[serde(default)]
    pub customer: Option<Customer>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub contact_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub contact_email: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub contact_phone: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub contact_identification: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub billing_phone: Option<String>,
    #[serde(default)]
    pub products: Vec<Line>,
    #[serde(deserialize_with = "lenient::money")]
    pub subtotal: Decimal,
    #[serde(default, deserialize_with = "lenient::optional_money")]
    pub discount: Option<Decimal>,
    #[serde(default, deserialize_with = "lenient::optional_money")]
    pub shipping_cost_customer: Option<Decimal>,
    #[serde(deserialize_with = "lenient::money")]
    pub total: Decimal,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub gateway: Option<String>,
    #[serde(default)]
    pub payment_details: Option<PaymentDetails>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Customer {
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub identification: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub phone: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Line {
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub name: Option<String>,
    #[serde(deserialize_with = "lenient::money")]
    pub price: Decimal,
    #[serde(deserialize_with = "lenient::i64")]
    pub quantity: i64,
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub sku: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct PaymentDetails {
    #[serde(default, deserialize_with = "lenient::optional_string")]
    pub method: Option<String>,
    #[serde(default, deserialize_with = "lenient::optional_u64")]
    pub installments: Option<u64>,
}

impl Order {
    /// Reads one order out of a page. On failure, the order's id (when it has one) so that the
    /// ledger can still record it as failed.
    pub fn parse(value: &Value) -> Result<Order, (Option<u64>, String)> {
        serde_json::from_value::<Order>(value.clone()).map_err(|error| {
            let id = match value.get("id") {
                Some(Value::Number(n)) => n.as_u64(),
                Some(Value::String(s)) => s.trim().parse().ok(),
                _ => None,
            };
            (id, error.to_string())
        })
    }

    /// The buyer's name: the customer's, else the order contact's.
    pub fn buyer_name(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.name.as_deref())
            .or(self.contact_name.as_deref())
            .map(str::trim)
            .filter(|name| !name.is_empty())
    }

    pub fn buyer_document(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.identification.as_deref())
            .or(self.contact_identification.as_deref())
            .map(str::trim)
            .filter(|doc| !doc.is_empty())
    }

    pub fn buyer_email(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.email.as_deref())
            .or(self.contact_email.as_deref())
            .map(str::trim)
            .filter(|email| !email.is_empty())
    }

    pub fn buyer_phone(&self) -> Option<&str> {
        self.customer
            .as_ref()
            .and_then(|c| c.phone.as_deref())
            .or(self.contact_phone.as_deref())
            .map(str::trim)
            .filter(|phone| !phone.is_empty())
    }
}

mod lenient {
    use super::*;
    use serde::de::Error;

    fn text_or_number(value: Value) -> Option<String> {
        match value {
            Value::String(text) => Some(text.trim().to_string()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        }
    }

    pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        let value = Value::deserialize(d)?;
        text_or_number(value.clone())
            .and_then(|text| text.parse::<u64>().ok())
            .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {value}")))
    }

    pub fn optional_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
        let value = Value::deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        Ok(text_or_number(value).and_then(|text| text.parse::<u64>().ok()))
    }

    pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        let value = Value::deserialize(d)?;
        text_or_number(value.clone())
            .and_then(|text| {
                text.parse::<i64>().ok().or_else(|| {
                    // "2.0" happens; "2.5" is not a quantity Ponte can trust.
                    text.parse::<Decimal>()
                        .ok()
                        .filter(|d| d.fract().is_zero())
                        .and_then(|d| i64::try_from(d).ok())
                })
            })
            .ok_or_else(|| D::Error::custom(format!("expected a whole number, got {value}")))
    }

    pub fn money<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let value = Value::deserialize(d)?;
        text_or_number(value.clone())
            .and_then(|text| text.parse::<Decimal>().ok())
            .ok_or_else(|| D::Error::custom(format!("expected an amount, got {value}")))
    }

    pub fn optional_money<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
        let value = Value::deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        text_or_number(value.clone())
            .and_then(|text| text.parse::<Decimal>().ok())
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected an amount, got {value}")))
    }

    pub fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let value = Value::deserialize(d)?;
        value
            .as_str()
            .and_then(crate::time::parse_timestamp)
            .ok_or_else(|| D::Error::custom(format!("expected a timestamp, got {value}")))
    }

    pub fn optional_timestamp<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let value = Value::deserialize(d)?;
        if value.is_null() {
            return Ok(None);
        }
        value
            .as_str()
            .and_then(crate::time::parse_timestamp)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("expected a timestamp, got {value}")))
    }

    pub fn optional_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        let value = Value::deserialize(d)?;
        Ok(match value {
            Value::Null => None,
            other => text_or_number(other),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLES: &str = include_str!("../../../../specs/nuvemshop-order-examples.json");

    #[test]
    fn the_official_examples_parse_quirks_and_all() {
        let examples: Value = serde_json::from_str(EXAMPLES).unwrap();
        let list = Order::parse(&examples["GET /orders (list)"][0]).unwrap();
        assert_eq!(list.id, 450789469);
        assert_eq!(list.total, "5660.00".parse::<Decimal>().unwrap());
        assert_eq!(list.products[0].quantity, 1, "\"1\" as a string");
        assert_eq!(
            list.payment_details.as_ref().unwrap().installments,
            Some(6),
            "\"6\" as a string"
        );
        assert_eq!(list.created_at.to_rfc3339(), "2022-02-23T12:25:18+00:00");
        assert_eq!(list.buyer_name(), Some("John Doe"));
        assert_eq!(list.buyer_document(), Some("41913703"));
    }

    #[test]
    fn a_broken_order_still_gives_its_id() {
        let value = serde_json::json!({ "id": "77", "number": 1, "total": { "oops": 1 } });
        let (id, error) = Order::parse(&value).unwrap_err();
        assert_eq!(id, Some(77));
        assert!(!error.is_empty());
        let (id, _) = Order::parse(&serde_json::json!({ "number": 1 })).unwrap_err();
        assert_eq!(id, None);
    }
}
