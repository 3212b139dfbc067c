//! The orders the tests place in the simulated store.

use ponte_sandbox::nuvemshop::{NewCustomer, NewLine, NewOrder, PaymentStatus};
use ponte_sandbox::Control;

pub fn order(control: &Control, name: &str, cpf: &str, product: &str) -> u64 {
    control.create_order(order_of(name, cpf, product)).number
}

/// A paid order of one product at R$ 89,90.
pub fn order_of(name: &str, cpf: &str, product: &str) -> NewOrder {
    NewOrder {
        customer: NewCustomer {
            name: name.into(),
            email: "cliente@exemplo.com.br".into(),
            identification: Some(cpf.into()),
            phone: Some("+5511987654321".into()),
            billing_phone: None,
        },
        products: vec![NewLine {
            name: product.into(),
            price: "89.90".parse().unwrap(),
            quantity: 1,
            sku: None,
            variant_values: vec![],
        }],
        payment_status: Some(PaymentStatus::Paid),
        ..NewOrder::default()
    }
}
