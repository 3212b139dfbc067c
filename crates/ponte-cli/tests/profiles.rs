//! Issue 26: several stores and companies in one Ponte. Each profile is a store and a company;
//! two stores into one company — the common case — share its customers, products and sale
//! numbers, and each order is still exactly one sale.

mod common;

use common::*;
use ponte_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

/// A second store on the same redirect port as `cli`'s sandbox (whose company both import
/// into), with its own orders.
async fn second_store(cli: &Cli) -> Sandbox {
    let mut config = SandboxConfig::with_redirect_port(cli.sandbox.config().redirect_port);
    config.nuvemshop.store_id = 5_120_202;
    config.nuvemshop.store_name = "Loja Dois".into();
    Sandbox::start(config).await.unwrap()
}

/// `second_store`, connected as profile `loja-2` (its Nuvemshop, `cli`'s company) and
/// switched on.
async fn second_store_connected(cli: &Cli) -> Sandbox {
    let store_two = second_store(cli).await;
    let connect = cli.profile_command(
        "loja-2",
        &store_two,
        &["connect", "nuvemshop", "--no-browser"],
    );
    connect_by(connect, &store_two.control(), "nuvemshop").await;
    let connect = cli.profile_command(
        "loja-2",
        &store_two,
        &["connect", "contaazul", "--no-browser"],
    );
    connect_by(connect, &cli.sandbox.control(), "contaazul").await;
    let enabled = cli.run_profile("loja-2", &store_two, &["enable"]).await;
    assert_eq!(enabled.code, 0, "{}", enabled.stderr);
    store_two
}

/// R8 (each paid order one sale), R10 (one product per description) and R11–R12 (one customer
/// per buyer) across two stores importing into one company at the same moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_into_one_company_share_customers_products_and_numbers() {
    let cli = cli().await;
    let company = cli.sandbox.control();
    // Whichever way Conta Azul turns out: here it would take two sales under one number, so
    // only Ponte's own turn keeps them apart.
    let mut answers = company.answers();
    answers.contaazul.duplicate_sale_numbers = true;
    company.set_answers(answers);
    cli.ready().await;
    let store_two = second_store_connected(&cli).await;

    // The same buyer (name and CPF) and the same products in both stores, paid after both
    // activations.
    for store in [&cli.sandbox, &store_two] {
        let control = store.control();
        control.create_order(paid_order("Ana Lima", CPFS[0], "Camiseta"));
        control.create_order(paid_order("Bruno Dias", CPFS[1], "Caneca"));
        control.create_order(paid_order("Ana Lima", CPFS[0], "Caneca"));
    }
    store_two
        .control()
        .create_order(paid_order("Carla Reis", CPFS[2], "Boné"));

    // Both profiles' passes at once, each in its own process.
    let (first, second) = tokio::join!(
        cli.run(&["sync", "--once"]),
        cli.run_profile("loja-2", &store_two, &["sync", "--once"]),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(second.code, 0, "{}", second.stderr);

    // Each order exactly one sale.
    let sales = company.sales();
    assert_eq!(sales.len(), 7, "three orders and four: seven sales");
    let mut numbers: Vec<i64> = sales.iter().map(|sale| sale.numero).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 7, "no two sales share a number: {numbers:?}");
    // One customer per buyer, one product per product, whichever store sold first.
    let customers = company.customers();
    for name in ["Ana Lima", "Bruno Dias", "Carla Reis"] {
        let count = customers.iter().filter(|c| c.nome == name).count();
        assert_eq!(count, 1, "{name}: one customer in the company");
    }
    let products = company.products();
    for name in ["Camiseta", "Caneca", "Boné"] {
        let count = products.iter().filter(|p| p.nome == name).count();
        assert_eq!(count, 1, "{name}: one product in the company");
    }

    // Both stores number their orders alike: each sale's note names its store too, so that no
    // store takes another's #N for its own (R8).
    let noted = |store: &str| {
        sales
            .iter()
            .filter(|sale| {
                sale.observacoes
                    .as_deref()
                    .is_some_and(|note| note.ends_with(&format!(" (loja {store})")))
            })
            .count()
    };
    assert_eq!((noted("5120101"), noted("5120202")), (3, 4));

    // The overview tells both apart.
    let listed = cli.run(&["profiles", "--json"]).await;
    assert_eq!(listed.code, 0, "{}", listed.stderr);
    let listed = listed.json();
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "principal");
    assert_eq!(rows[0]["default"], true);
    assert_eq!(rows[0]["store_name"], "Loja Demonstração");
    assert_eq!(rows[0]["imported_today"], 3);
    assert_eq!(rows[1]["name"], "loja-2");
    assert_eq!(rows[1]["store_name"], "Loja Dois");
    assert_eq!(rows[1]["company_name"], rows[0]["company_name"]);
    assert_eq!(rows[1]["imported_today"], 4);
    assert_eq!(rows[1]["counts"]["failed"], 0);
}

#[tokio::test]
async fn a_profile_is_named_made_listed_and_removed_and_the_default_stays() {
    let cli = cli().await;
    // Nothing named: the data directory a single store always had, under its default name.
    cli.ready().await;
    let listed = cli.run(&["profiles", "--json"]).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "principal");
    assert_eq!(listed[0]["store_name"], "Loja Demonstração");
    assert_eq!(listed[0]["enabled"], true);

    // A mistyped name is not an empty Ponte: exit 1, the profiles named.
    let unknown = cli.run(&["--profile", "loja2", "status", "--json"]).await;
    assert_eq!(unknown.code, 1, "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("Perfis: principal."),
        "{}",
        unknown.stderr
    );
    let bad = cli.run(&["--profile", "loja são paulo", "status"]).await;
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("sem acento"), "{}", bad.stderr);

    let added = cli.run(&["profiles", "add", "Loja-2"]).await;
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stdout.contains("Perfil loja-2 criado"),
        "{}",
        added.stdout
    );
    // PONTE_PROFILE and --profile name the same profile; it starts empty and switched off.
    let status = output_of({
        let mut command = cli.command(&["status", "--json"]);
        command.env("PONTE_PROFILE", "loja-2");
        command
    })
    .await;
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert_eq!(status.json()["enabled"], false);
    assert_eq!(status.json()["nuvemshop"]["connected"], false);
    let text = cli.run(&["profiles"]).await.stdout;
    assert!(
        text.contains("principal: Loja Demonstração → Empresa Demonstração")
            && text.contains("loja-2: loja não conectada"),
        "{text}"
    );

    // Removing says what it keeps, and does nothing without --confirm.
    let asked = cli.run(&["profiles", "remove", "loja-2"]).await;
    assert_eq!(asked.code, 0);
    assert!(
        asked.stdout.contains("Nada muda na Nuvemshop"),
        "{}",
        asked.stdout
    );
    assert_eq!(
        cli.run(&["profiles", "--json"])
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // R8: the store the default profile imports cannot be connected again in loja-2 — each
    // of its orders would become two sales.
    let mut again = cli.profile_command(
        "loja-2",
        &cli.sandbox,
        &["connect", "nuvemshop", "--no-browser"],
    );
    let mut child = again.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next_line().await.unwrap().unwrap();
    let url = first.strip_prefix("Open: ").unwrap();
    let redirect = cli.sandbox.control().consent(url).unwrap();
    let _ = reqwest::get(redirect).await;
    let refused = child.wait_with_output().await.unwrap();
    let said = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{said}");
    assert!(
        said.contains(
            "Essa loja da Nuvemshop já está no Ponte: Loja Demonstração (perfil principal)."
        ),
        "{said}"
    );
    let loja_2 = cli
        .run_profile("loja-2", &cli.sandbox, &["status", "--json"])
        .await;
    assert_eq!(
        loja_2.json()["nuvemshop"]["connected"],
        false,
        "nothing kept"
    );

    let removed = cli
        .run(&["profiles", "remove", "loja-2", "--confirm"])
        .await;
    assert_eq!(removed.code, 0, "{}", removed.stderr);
    assert!(!cli.dir.path().join("profiles").join("loja-2").exists());
    let default = cli
        .run(&["profiles", "remove", "principal", "--confirm"])
        .await;
    assert_eq!(default.code, 2);
    // The default profile is untouched throughout: still connected and on.
    let status = cli.run(&["status", "--json"]).await.json();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["contaazul"]["connected"], true);
}

/// Issue 26, the other case: two stores, each into its own company (an accountant's clients).
/// Nothing is shared: each company gets its store's sales, customers and products, numbered
/// on its own, and the notes stay as a single store writes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_into_two_companies_import_apart() {
    let cli = cli().await;
    cli.ready().await;
    let mut config = SandboxConfig::with_redirect_port(cli.sandbox.config().redirect_port);
    config.nuvemshop.store_id = 5_120_303;
    config.nuvemshop.store_name = "Loja Três".into();
    config.contaazul.company_name = "Empresa Três Ltda".into();
    config.contaazul.company_document = "11.444.777/0001-61".into();
    let other = Sandbox::start(config).await.unwrap();
    other.control().add_seller("Ana Souza");
    // Every service of loja-3 is the other sandbox's.
    let command = |args: &[&str]| {
        let mut command = cli.command(args);
        command
            .env("PONTE_PROFILE", "loja-3")
            .envs(other.env_lines());
        command
    };
    connect_by(
        command(&["connect", "nuvemshop", "--no-browser"]),
        &other.control(),
        "nuvemshop",
    )
    .await;
    connect_by(
        command(&["connect", "contaazul", "--no-browser"]),
        &other.control(),
        "contaazul",
    )
    .await;
    assert_eq!(output_of(command(&["enable"])).await.code, 0);
    for store in [&cli.sandbox, &other] {
        let control = store.control();
        control.create_order(paid_order("Ana Lima", CPFS[0], "Camiseta"));
        control.create_order(paid_order("Bruno Dias", CPFS[1], "Caneca"));
    }
    let (first, second) = tokio::join!(
        cli.run(&["sync", "--once"]),
        output_of(command(&["sync", "--once"])),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(second.code, 0, "{}", second.stderr);

    for store in [&cli.sandbox, &other] {
        let company = store.control();
        let sales = company.sales();
        assert_eq!(
            sales.len(),
            2,
            "each company its own store's two sales (R8)"
        );
        let notes: Vec<_> = sales
            .iter()
            .filter_map(|sale| sale.observacoes.clone())
            .collect();
        assert!(
            notes.iter().all(|note| !note.contains("(loja")),
            "a company of one store: notes as ever, {notes:?}"
        );
        let customers = company.customers();
        assert_eq!(
            customers.iter().filter(|c| c.nome == "Ana Lima").count(),
            1,
            "Ana Lima is a customer in each company (R11)"
        );
    }
    let listed = cli.run(&["profiles", "--json"]).await.json();
    assert_eq!(listed[0]["company_name"], "Empresa Demonstração");
    assert_eq!(listed[1]["name"], "loja-3");
    assert_eq!(listed[1]["company_name"], "Empresa Três");
}

/// R8, R11: a customer another store's profile created, deleted in Conta Azul since, is looked
/// up afresh at once when the sale naming it is refused — the order is imported in the same
/// check, not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_another_store_created_then_deleted_is_looked_up_afresh() {
    let cli = cli().await;
    cli.ready().await;
    let company = cli.sandbox.control();
    let store_two = second_store_connected(&cli).await;
    company.create_order(paid_order("Ana Lima", CPFS[0], "Camiseta"));
    assert_eq!(cli.run(&["sync", "--once"]).await.code, 0);
    let ana = company
        .customers()
        .into_iter()
        .find(|c| c.nome == "Ana Lima")
        .unwrap();
    company.delete_customer(&ana.id.to_string()).unwrap();

    store_two
        .control()
        .create_order(paid_order("Ana Lima", CPFS[0], "Camiseta"));
    let synced = cli
        .run_profile("loja-2", &store_two, &["sync", "--once"])
        .await;
    assert_eq!(synced.code, 0, "{}", synced.stderr);
    let status = cli
        .run_profile("loja-2", &store_two, &["status", "--json"])
        .await
        .json();
    assert_eq!(status["counts"]["failed"], 0, "{status}");
    assert_eq!(status["counts"]["imported"], 1, "{status}");
    let again: Vec<_> = company
        .customers()
        .into_iter()
        .filter(|c| c.nome == "Ana Lima")
        .collect();
    assert_eq!(again.len(), 1, "created again, once");
    assert_ne!(again[0].id, ana.id);
    assert_eq!(company.sales().len(), 2);
}
