//! The demo: a store that keeps selling. Realistic Brazilian buyers (valid CPFs and CNPJs,
//! phones, returning customers), products with variants, shipping, coupons, Pix, card and
//! boleto; some orders wait for payment and are paid later, and now and then one asks for a
//! product Conta Azul has no stock of, so stock validation stops it.

use std::collections::VecDeque;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use crate::contaazul::model::{NewPessoa, NewProduto};
use crate::nuvemshop::model::{Address, NewCustomer, NewLine, NewOrder, PaymentStatus};
use crate::AppState;

/// A sellable variant, named as it appears on an order line.
#[derive(Clone, Debug)]
pub struct CatalogItem {
    pub name: String,
    pub sku: String,
    pub price: Decimal,
    pub variant_values: Vec<String>,
    /// Stock Conta Azul holds for it in the demo company.
    pub stock: Decimal,
}

fn money(text: &str) -> Decimal {
    text.parse().expect("catalog prices are valid decimals")
}

/// The product whose Conta Azul stock is zero: orders with it fail stock validation.
pub const OUT_OF_STOCK_PRODUCT: &str = "Luminária de Mesa Cobre";

pub fn catalog() -> Vec<CatalogItem> {
    let mut items = Vec::new();
    let mut add = |base: &str, sku: &str, price: &str, variants: &[&[&str]], stock: u32| {
        if variants.is_empty() {
            items.push(CatalogItem {
                name: base.to_string(),
                sku: sku.to_string(),
                price: money(price),
                variant_values: Vec::new(),
                stock: Decimal::from(stock),
            });
        }
        for values in variants {
            items.push(CatalogItem {
                name: format!("{base} ({})", values.join(", ")),
                sku: format!(
                    "{sku}-{}",
                    values
                        .iter()
                        .map(|v| v.chars().next().unwrap_or('X'))
                        .collect::<String>()
                )
                .to_uppercase(),
                price: money(price),
                variant_values: values.iter().map(|v| v.to_string()).collect(),
                stock: Decimal::from(stock),
            });
        }
    };
    add(
        "Camiseta Básica Algodão",
        "CAM",
        "59.90",
        &[
            &["P", "Preta"],
            &["M", "Preta"],
            &["G", "Branca"],
            &["M", "Verde"],
        ],
        60,
    );
    add("Caneca Cerâmica 350 ml", "CAN", "39.90", &[], 80);
    add("Ecobag Algodão Cru", "ECO", "34.90", &[], 80);
    add("Vela Aromática Lavanda", "VEL", "49.90", &[], 50);
    add("Kit Pincéis de Maquiagem 8 peças", "PIN", "89.90", &[], 30);
    add(
        "Tênis Casual Couro",
        "TEN",
        "299.90",
        &[&["38"], &["40"], &["42"]],
        20,
    );
    add(
        "Garrafa Térmica 500 ml",
        "GAR",
        "79.90",
        &[&["Azul"], &["Verde"]],
        40,
    );
    add(OUT_OF_STOCK_PRODUCT, "LUM", "189.00", &[], 0);
    items
}

const FIRST_NAMES: &[&str] = &[
    "Ana",
    "Bruno",
    "Camila",
    "Diego",
    "Eduarda",
    "Felipe",
    "Gabriela",
    "Henrique",
    "Isabela",
    "João",
    "Larissa",
    "Marcos",
    "Natália",
    "Otávio",
    "Patrícia",
    "Rafael",
    "Sabrina",
    "Thiago",
    "Vanessa",
    "Wagner",
    "Beatriz",
    "Lucas",
    "Juliana",
    "Pedro",
];
const LAST_NAMES: &[&str] = &[
    "Silva",
    "Santos",
    "Oliveira",
    "Souza",
    "Rodrigues",
    "Ferreira",
    "Alves",
    "Pereira",
    "Lima",
    "Gomes",
    "Costa",
    "Ribeiro",
    "Martins",
    "Carvalho",
    "Almeida",
    "Araújo",
    "Barbosa",
    "Rocha",
];
const COMPANIES: &[&str] = &[
    "Papelaria Aurora Ltda",
    "Café do Largo Comércio ME",
    "Studio Jabuticaba Design Ltda",
    "Mercearia Dois Irmãos ME",
];
const AREA_CODES: &[&str] = &["11", "21", "31", "41", "48", "51", "61", "71", "81", "85"];
const CITIES: &[(&str, &str, &str)] = &[
    ("São Paulo", "São Paulo", "01310-100"),
    ("Rio de Janeiro", "Rio de Janeiro", "22041-001"),
    ("Belo Horizonte", "Minas Gerais", "30130-010"),
    ("Curitiba", "Paraná", "80010-000"),
    ("Florianópolis", "Santa Catarina", "88010-400"),
    ("Porto Alegre", "Rio Grande do Sul", "90010-150"),
    ("Recife", "Pernambuco", "50030-230"),
];

/// A buyer of the demo store.
#[derive(Clone, Debug)]
pub struct Buyer {
    pub name: String,
    pub email: String,
    /// Formatted CPF or CNPJ.
    pub identification: String,
    pub phone: String,
    pub city: usize,
}

fn strip_accents(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ã' => 'a',
            'é' | 'ê' => 'e',
            'í' => 'i',
            'ó' | 'ô' | 'õ' => 'o',
            'ú' => 'u',
            'ç' => 'c',
            other => other,
        })
        .collect()
}

fn phone(rng: &mut StdRng) -> String {
    let area = AREA_CODES.choose(rng).unwrap_or(&"11");
    format!("+55{area}9{:08}", rng.gen_range(10_000_000..99_999_999))
}

/// The CNPJ of the demo's `n`-th further company (*Adicionar loja* in sandbox mode): valid, the
/// same for the same `n`, and each `n` its own, so that Ponte tells the companies apart.
pub fn company_document(n: u64) -> String {
    let cnpj: cnpj::Cnpj = StdRng::seed_from_u64(0xC0_FFEE + n).gen();
    cnpj.to_string()
}

pub fn buyers(rng: &mut StdRng, count: usize) -> Vec<Buyer> {
    let mut buyers = Vec::with_capacity(count);
    for index in 0..count {
        let company = index % 6 == 5;
        let (name, identification) = if company {
            let name = COMPANIES[(index / 6) % COMPANIES.len()].to_string();
            let cnpj: cnpj::Cnpj = rng.gen();
            (name, cnpj.to_string())
        } else {
            let first = FIRST_NAMES.choose(rng).unwrap_or(&"Ana");
            let last = LAST_NAMES.choose(rng).unwrap_or(&"Silva");
            let cpf: cpf::Cpf = rng.gen();
            (format!("{first} {last}"), cpf.to_string())
        };
        let handle: String = strip_accents(&name.to_lowercase())
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(".");
        buyers.push(Buyer {
            email: format!("{handle}{}@exemplo.com.br", rng.gen_range(1..99)),
            name,
            identification,
            phone: phone(rng),
            city: rng.gen_range(0..CITIES.len()),
        });
    }
    buyers
}

/// Sellers, the catalog with its stock, and the returning customers Conta Azul already knows.
fn seed(state: &AppState, buyers: &[Buyer]) {
    state.with(|world| {
        let company = &mut world.contaazul;
        if !company.vendedores.is_empty() {
            return;
        }
        company.add_vendedor("Ana Souza");
        company.add_vendedor("Carlos Mendes");
        for item in catalog() {
            company.add_produto(NewProduto {
                nome: item.name,
                codigo_sku: Some(item.sku),
                valor_venda: item.price,
                saldo: item.stock,
                ativo: Some(true),
            });
        }
        for buyer in buyers.iter().take(5) {
            company.add_pessoa(NewPessoa {
                nome: buyer.name.clone(),
                documento: Some(buyer.identification.clone()),
                email: Some(buyer.email.clone()),
                telefone_celular: Some(buyer.phone.clone()),
                ativo: Some(true),
            });
        }
        // Same CPF as a returning buyer, registered under another spelling of the name:
        // by the article's rule, that buyer still gets a customer of their own.
        if let Some(buyer) = buyers.first() {
            company.add_pessoa(NewPessoa {
                nome: format!("{} (cadastro antigo)", buyer.name),
                documento: Some(buyer.identification.clone()),
                email: None,
                telefone_celular: None,
                ativo: Some(true),
            });
        }
        company.verificar_estoque = true;
    });
}

/// One new order: who buys, what, how it ships and how it is paid.
pub fn next_order(rng: &mut StdRng, buyers: &[Buyer], sequence: u64) -> NewOrder {
    let catalog = catalog();
    let buyer = &buyers[rng.gen_range(0..buyers.len())];
    let sellable: Vec<&CatalogItem> = catalog
        .iter()
        .filter(|item| item.stock > Decimal::ZERO)
        .collect();
    let line_count = *[1, 1, 1, 2, 2, 3].choose(rng).unwrap_or(&1);
    let mut chosen: Vec<&CatalogItem> =
        sellable.choose_multiple(rng, line_count).copied().collect();
    if sequence % 9 == 8 {
        if let Some(out_of_stock) = catalog
            .iter()
            .find(|item| item.name == OUT_OF_STOCK_PRODUCT)
        {
            chosen.push(out_of_stock);
        }
    }
    let products: Vec<NewLine> = chosen
        .into_iter()
        .map(|item| NewLine {
            name: item.name.clone(),
            price: item.price,
            quantity: *[1, 1, 1, 2].choose(rng).unwrap_or(&1),
            sku: Some(item.sku.clone()),
            variant_values: item.variant_values.clone(),
        })
        .collect();
    let subtotal: Decimal = products
        .iter()
        .map(|line| line.price * Decimal::from(line.quantity))
        .sum();
    let shipping = if rng.gen_bool(0.6) {
        money(
            ["12.90", "18.50", "24.90", "32.40"]
                .choose(rng)
                .unwrap_or(&"18.50"),
        )
    } else {
        Decimal::ZERO
    };
    let (coupon_code, discount_coupon) = if rng.gen_bool(0.15) {
        (
            Some("BEMVINDO10".to_string()),
            (subtotal / Decimal::from(10)).round_dp(2),
        )
    } else {
        (None, Decimal::ZERO)
    };
    let (gateway, method, installments, card, pending_chance) = match rng.gen_range(0..20) {
        0..=6 => ("mercadopago", "pix", 1, None, 0.3),
        7..=15 => (
            "mercadopago",
            "credit_card",
            rng.gen_range(1..=6),
            Some(*["visa", "mastercard", "elo"].choose(rng).unwrap_or(&"visa")),
            0.1,
        ),
        _ => ("pagseguro", "boleto", 1, None, 0.6),
    };
    let paid = !rng.gen_bool(pending_chance);
    let (city, province, zipcode) = CITIES[buyer.city];
    NewOrder {
        customer: NewCustomer {
            name: buyer.name.clone(),
            email: buyer.email.clone(),
            identification: Some(buyer.identification.clone()),
            phone: Some(buyer.phone.clone()),
            billing_phone: Some(buyer.phone.clone()),
        },
        products,
        shipping_cost_customer: shipping,
        discount_coupon,
        discount_gateway: Decimal::ZERO,
        coupon_code,
        gateway: Some(gateway.into()),
        payment_method: Some(method.into()),
        installments: Some(installments),
        credit_card_company: card.map(str::to_string),
        payment_status: Some(if paid {
            PaymentStatus::Paid
        } else {
            PaymentStatus::Pending
        }),
        created_at: None,
        currency: None,
        note: None,
        address: Some(Address {
            address: "Rua das Flores".into(),
            number: rng.gen_range(10..2000).to_string(),
            floor: None,
            locality: "Centro".into(),
            city: city.into(),
            province: province.into(),
            zipcode: zipcode.into(),
        }),
        raw_patch: None,
    }
}

/// The running generator; dropping it stops it.
pub(crate) struct DemoHandle {
    task: tokio::task::JoinHandle<()>,
}

impl DemoHandle {
    pub fn start(state: AppState, interval: Duration, seed_value: u64) -> DemoHandle {
        let mut rng = StdRng::seed_from_u64(seed_value);
        let pool = buyers(&mut rng, 24);
        seed(&state, &pool);
        let task = tokio::spawn(async move {
            let mut pending: VecDeque<u64> = VecDeque::new();
            let mut sequence = 0u64;
            let mut ticker = tokio::time::interval(interval);
            loop {
                ticker.tick().await;
                if !pending.is_empty() && rng.gen_bool(0.5) {
                    if let Some(id) = pending.pop_front() {
                        state.with(|world| world.nuvemshop.mark_paid(id));
                    }
                }
                let order = next_order(&mut rng, &pool, sequence);
                sequence += 1;
                let created = state.with(|world| world.nuvemshop.create_order(order));
                if created.payment_status == PaymentStatus::Pending {
                    pending.push_back(created.id);
                }
                tracing::debug!(order = created.id, number = created.number, "demo order");
            }
        });
        DemoHandle { task }
    }
}

impl Drop for DemoHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_buyers_have_valid_documents_and_phones() {
        let mut rng = StdRng::seed_from_u64(7);
        let pool = buyers(&mut rng, 24);
        for buyer in &pool {
            let digits: String = buyer
                .identification
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            match digits.len() {
                11 => assert!(cpf::valid(&digits), "{}", buyer.identification),
                14 => assert!(cnpj::valid(&digits), "{}", buyer.identification),
                other => panic!("unexpected document length {other}"),
            }
            assert!(
                buyer.phone.starts_with("+55") && buyer.phone.len() == 14,
                "{}",
                buyer.phone
            );
            assert!(buyer.email.is_ascii() && buyer.email.contains('@'));
        }
        assert!(
            pool.iter().any(|b| b.identification.len() == 18),
            "some buyers are companies"
        );
    }

    #[test]
    fn every_ninth_order_asks_for_the_out_of_stock_product() {
        let mut rng = StdRng::seed_from_u64(1);
        let pool = buyers(&mut rng, 24);
        let orders: Vec<NewOrder> = (0..18).map(|n| next_order(&mut rng, &pool, n)).collect();
        let with_lamp = |order: &NewOrder| {
            order
                .products
                .iter()
                .any(|l| l.name == OUT_OF_STOCK_PRODUCT)
        };
        assert!(with_lamp(&orders[8]) && with_lamp(&orders[17]));
        assert_eq!(orders.iter().filter(|o| with_lamp(o)).count(), 2);
        assert!(orders.iter().all(|o| o
            .products
            .iter()
            .all(|l| l.quantity > 0 && l.price > Decimal::ZERO)));
    }
}
