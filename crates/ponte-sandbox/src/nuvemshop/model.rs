//! The simulated store: its orders, customers and the app's OAuth state.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use chrono::{DateTime, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::bucket::LeakyBucket;
use crate::config::NuvemshopConfig;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PaymentStatus {
    Pending,
    Authorized,
    Paid,
    Abandoned,
    Refunded,
    Voided,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Authorized => "authorized",
            PaymentStatus::Paid => "paid",
            PaymentStatus::Abandoned => "abandoned",
            PaymentStatus::Refunded => "refunded",
            PaymentStatus::Voided => "voided",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        serde_json::from_value(Value::String(value.to_string())).ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    Open,
    Closed,
    Cancelled,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Open => "open",
            OrderStatus::Closed => "closed",
            OrderStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Customer {
    pub id: u64,
    pub name: String,
    pub email: String,
    pub identification: Option<String>,
    pub phone: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Line {
    pub id: u64,
    pub product_id: u64,
    pub variant_id: u64,
    pub name: String,
    pub price: Decimal,
    pub quantity: i64,
    pub sku: Option<String>,
    pub variant_values: Vec<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Address {
    pub address: String,
    pub number: String,
    pub floor: Option<String>,
    pub locality: String,
    pub city: String,
    pub province: String,
    pub zipcode: String,
}

impl Default for Address {
    fn default() -> Self {
        Address {
            address: "Rua Augusta".into(),
            number: "1508".into(),
            floor: None,
            locality: "Consolação".into(),
            city: "São Paulo".into(),
            province: "São Paulo".into(),
            zipcode: "01304-001".into(),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub id: u64,
    pub number: u64,
    pub token: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub status: OrderStatus,
    pub payment_status: PaymentStatus,
    pub currency: String,
    pub customer: Customer,
    pub billing_phone: Option<String>,
    pub products: Vec<Line>,
    pub shipping_cost_customer: Decimal,
    pub shipping_cost_owner: Decimal,
    pub discount_coupon: Decimal,
    pub discount_gateway: Decimal,
    pub coupon_code: Option<String>,
    pub gateway: String,
    pub gateway_name: String,
    pub payment_method: String,
    pub installments: u32,
    pub credit_card_company: Option<String>,
    pub shipping_option: String,
    pub address: Address,
    pub note: Option<String>,
    pub owner_note: Option<String>,
    pub cancel_reason: Option<String>,
    /// Merged over the rendered JSON: how tests serve a field of the wrong type.
    pub raw_patch: Option<Value>,
}

impl Order {
    pub fn subtotal(&self) -> Decimal {
        self.products
            .iter()
            .map(|line| line.price * Decimal::from(line.quantity))
            .sum()
    }

    pub fn discount(&self) -> Decimal {
        self.discount_coupon + self.discount_gateway
    }

    pub fn total(&self) -> Decimal {
        self.subtotal() - self.discount() + self.shipping_cost_customer
    }
}

/// An order as a test or the demo generator describes it; the store fills in the rest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewOrder {
    pub customer: NewCustomer,
    pub products: Vec<NewLine>,
    pub shipping_cost_customer: Decimal,
    pub discount_coupon: Decimal,
    pub discount_gateway: Decimal,
    pub coupon_code: Option<String>,
    /// `mercadopago`, `pagseguro`, `offline`…; `mercadopago` when absent.
    pub gateway: Option<String>,
    /// `credit_card`, `pix`, `boleto`…; `credit_card` when absent.
    pub payment_method: Option<String>,
    pub installments: Option<u32>,
    pub credit_card_company: Option<String>,
    /// `pending` when absent; `paid` sets `paid_at`.
    pub payment_status: Option<PaymentStatus>,
    /// Now when absent (whole seconds).
    pub created_at: Option<DateTime<Utc>>,
    /// `BRL` when absent.
    pub currency: Option<String>,
    pub note: Option<String>,
    pub address: Option<Address>,
    pub raw_patch: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewCustomer {
    pub name: String,
    pub email: String,
    /// CPF or CNPJ, with or without punctuation.
    pub identification: Option<String>,
    pub phone: Option<String>,
    pub billing_phone: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewLine {
    pub name: String,
    pub price: Decimal,
    pub quantity: i64,
    pub sku: Option<String>,
    pub variant_values: Vec<String>,
}

pub(crate) struct NuvemshopState {
    pub store_id: u64,
    pub store_name: String,
    /// Only one token per app and store is valid: issuing a new one revokes the previous.
    pub current_token: Option<String>,
    /// The same rule for the merchant's other stores (`sibling`): each one's valid token.
    pub sibling_tokens: HashMap<u64, String>,
    /// Authorization codes: when each expires, and the store whose merchant consented.
    pub codes: HashMap<String, (Instant, u64)>,
    pub orders: BTreeMap<u64, Order>,
    pub bucket: LeakyBucket,
    /// The store or the app is suspended for lack of payment: every API call answers 402.
    pub suspended: bool,
    next_order_id: u64,
    next_number: u64,
    next_line_id: u64,
    next_product_id: u64,
    customers: HashMap<String, Customer>,
    products: HashMap<String, (u64, u64)>,
    /// Registered through `POST /webhooks`, per app and store.
    pub webhooks: Vec<crate::nuvemshop::webhooks::Webhook>,
    next_webhook_id: u64,
    /// Deliveries raised and not yet handed to the deliverer.
    pub outbox: Vec<crate::nuvemshop::webhooks::Delivery>,
    /// Where the app's panel sends the LGPD webhooks (`{base}/store-redact`, …).
    pub lgpd_webhook_base: Option<String>,
}

pub(crate) fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

impl NuvemshopState {
    pub fn new(config: &NuvemshopConfig) -> Self {
        NuvemshopState {
            store_id: config.store_id,
            store_name: config.store_name.clone(),
            current_token: None,
            sibling_tokens: HashMap::new(),
            codes: HashMap::new(),
            orders: BTreeMap::new(),
            bucket: LeakyBucket::new(config.bucket_size, config.leak_per_second),
            suspended: false,
            next_order_id: 1_450_789_401,
            next_number: 100,
            next_line_id: 972_900_101,
            next_product_id: 58_208_701,
            customers: HashMap::new(),
            products: HashMap::new(),
            webhooks: Vec::new(),
            next_webhook_id: 3_100_001,
            outbox: Vec::new(),
            lgpd_webhook_base: config.lgpd_webhook_base.clone(),
        }
    }

    pub fn add_webhook(&mut self, event: &str, url: &str) -> crate::nuvemshop::webhooks::Webhook {
        let webhook = crate::nuvemshop::webhooks::Webhook {
            id: self.next_webhook_id,
            event: event.to_string(),
            url: url.to_string(),
            created_at: now(),
            updated_at: now(),
        };
        self.next_webhook_id += 1;
        self.webhooks.push(webhook.clone());
        webhook
    }

    /// An order event: one delivery per webhook registered for it, `{store_id, event, id}`.
    fn raise(&mut self, event: &str, id: u64) {
        let body = serde_json::json!({ "store_id": self.store_id, "event": event, "id": id });
        for webhook in self.webhooks.iter().filter(|w| w.event == event) {
            self.outbox.push(crate::nuvemshop::webhooks::Delivery {
                url: webhook.url.clone(),
                body: body.to_string(),
                signed: true,
            });
        }
    }

    /// A customer of the store, by one of their orders (LGPD requests name customers).
    pub fn customer_of(&self, order_id: u64) -> Option<Customer> {
        let order = self.orders.get(&order_id)?;
        Some(order.customer.clone())
    }

    /// Forgets orders and customers; OAuth state and tokens stay.
    pub fn clear_orders(&mut self) {
        self.orders.clear();
        self.customers.clear();
        self.products.clear();
        self.suspended = false;
    }

    pub fn create_order(&mut self, new: NewOrder) -> Order {
        let now = now();
        let created_at = new.created_at.map(|at| at.trunc_subsecs(0)).unwrap_or(now);
        let id = self.next_order_id;
        self.next_order_id += 1 + id % 7;
        let number = self.next_number;
        self.next_number += 1;

        let customer_key = if new.customer.email.is_empty() {
            new.customer.name.clone()
        } else {
            new.customer.email.to_lowercase()
        };
        let customer_count = self.customers.len() as u64;
        let customer = self
            .customers
            .entry(customer_key)
            .or_insert_with(|| Customer {
                id: 120_000 + customer_count,
                name: new.customer.name.clone(),
                email: new.customer.email.clone(),
                identification: new.customer.identification.clone(),
                phone: new.customer.phone.clone(),
                created_at,
            });
        // Buyers edit their details between orders; the order carries them as typed now.
        customer.name = new.customer.name.clone();
        customer.identification = new.customer.identification.clone();
        customer.phone = new.customer.phone.clone();
        let customer = customer.clone();

        let mut products = Vec::with_capacity(new.products.len());
        for line in new.products {
            let key = line.sku.clone().unwrap_or_else(|| line.name.clone());
            let next_product_id = &mut self.next_product_id;
            let (product_id, variant_id) = *self.products.entry(key).or_insert_with(|| {
                *next_product_id += 1;
                (*next_product_id, *next_product_id * 3 + 1)
            });
            self.next_line_id += 1;
            products.push(Line {
                id: self.next_line_id,
                product_id,
                variant_id,
                name: line.name,
                price: line.price,
                quantity: line.quantity,
                sku: line.sku,
                variant_values: line.variant_values,
            });
        }

        let payment_status = new.payment_status.unwrap_or(PaymentStatus::Pending);
        let gateway = new.gateway.unwrap_or_else(|| "mercadopago".into());
        let gateway_name = match gateway.as_str() {
            "mercadopago" => "Mercado Pago",
            "pagseguro" => "PagSeguro",
            "offline" => "Transferência bancária",
            "nuvempago" => "Nuvem Pago",
            other => other,
        }
        .to_string();
        let order = Order {
            id,
            number,
            token: crate::http::random_hex(40),
            created_at,
            updated_at: now.max(created_at),
            paid_at: (payment_status == PaymentStatus::Paid).then_some(now.max(created_at)),
            cancelled_at: None,
            status: OrderStatus::Open,
            payment_status,
            currency: new.currency.unwrap_or_else(|| "BRL".into()),
            customer,
            billing_phone: new.customer.billing_phone,
            products,
            shipping_cost_customer: new.shipping_cost_customer,
            shipping_cost_owner: new.shipping_cost_customer,
            discount_coupon: new.discount_coupon,
            discount_gateway: new.discount_gateway,
            coupon_code: new.coupon_code,
            gateway,
            gateway_name,
            payment_method: new.payment_method.unwrap_or_else(|| "credit_card".into()),
            installments: new.installments.unwrap_or(1),
            credit_card_company: new.credit_card_company,
            shipping_option: "Correios - PAC".into(),
            address: new.address.unwrap_or_default(),
            note: new.note,
            owner_note: None,
            cancel_reason: None,
            raw_patch: new.raw_patch,
        };
        self.orders.insert(id, order.clone());
        self.raise("order/created", id);
        if order.payment_status == PaymentStatus::Paid {
            self.raise("order/paid", id);
        }
        order
    }

    fn touch(&mut self, id: u64, change: impl FnOnce(&mut Order)) -> Option<Order> {
        let order = self.orders.get_mut(&id)?;
        change(order);
        order.updated_at = now().max(order.updated_at);
        Some(order.clone())
    }

    /// The buyer's payment is confirmed (*marcada como recebida*).
    pub fn mark_paid(&mut self, id: u64) -> Option<Order> {
        let order = self.touch(id, |order| {
            order.payment_status = PaymentStatus::Paid;
            order.paid_at = Some(now());
        })?;
        self.raise("order/paid", id);
        Some(order)
    }

    pub fn set_payment_status(&mut self, id: u64, status: PaymentStatus) -> Option<Order> {
        if status == PaymentStatus::Paid {
            return self.mark_paid(id);
        }
        let order = self.touch(id, |order| order.payment_status = status)?;
        self.raise("order/updated", id);
        Some(order)
    }

    pub fn cancel(&mut self, id: u64) -> Option<Order> {
        let order = self.touch(id, |order| {
            order.status = OrderStatus::Cancelled;
            order.cancelled_at = Some(now());
            order.cancel_reason = Some("customer".into());
            if !crate::assumptions::NUVEMSHOP_CANCEL_KEEPS_PAYMENT_STATUS {
                order.payment_status = PaymentStatus::Voided;
            }
        })?;
        self.raise("order/cancelled", id);
        Some(order)
    }

    pub fn refund(&mut self, id: u64) -> Option<Order> {
        let order = self.touch(id, |order| order.payment_status = PaymentStatus::Refunded)?;
        self.raise("order/updated", id);
        Some(order)
    }

    /// The merchant edits an order in the admin: one line's quantity changes (the totals
    /// follow, computed from the lines).
    pub fn set_line_quantity(&mut self, id: u64, line: usize, quantity: i64) -> Option<Order> {
        if self.orders.get(&id)?.products.len() <= line {
            return None;
        }
        let order = self.touch(id, |order| order.products[line].quantity = quantity)?;
        self.raise("order/updated", id);
        self.raise("order/edited", id);
        Some(order)
    }

    /// The merchant removes the app from the store: its token stops working and the app's
    /// `app/uninstalled` webhooks are called with the app's id.
    pub fn uninstall_app(&mut self, app_id: u64) {
        self.current_token = None;
        self.raise("app/uninstalled", app_id);
    }

    pub fn set_owner_note(&mut self, id: u64, note: String) -> Option<Order> {
        let order = self.touch(id, |order| order.owner_note = Some(note))?;
        self.raise("order/updated", id);
        Some(order)
    }
}
