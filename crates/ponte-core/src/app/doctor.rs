//! `ponte doctor`: what Ponte assumes where the services' documents are silent, asked of the
//! accounts it is connected to. Every check reads, none writes: nothing is created or changed
//! in either account. Each says what Ponte assumes, what the service answered, whether the
//! assumption holds, and what Ponte does either way (`docs/contract.md` lists them all, with
//! the one place in the code that holds each).
//!
//! The checks' sentences are what a merchant and their support read, in Portuguese.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::app::App;
use crate::contaazul::assumptions::{company_name, next_number_from, NextNumber};
use crate::contaazul::{ContaAzulClient, CATALOGUE_PAGE_SIZE};
use crate::error::{Error, Result, Service};
use crate::http::Reply;
use crate::instant::feed::WEBHOOK_EVENTS;
use crate::nuvemshop::client::PER_PAGE;
use crate::nuvemshop::NuvemshopClient;
use crate::store::OrderState;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Holds,
    DoesNotHold,
    CouldNotTell,
}

impl Verdict {
    /// As the merchant reads it.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Holds => "Confere",
            Verdict::DoesNotHold => "Não confere",
            Verdict::CouldNotTell => "Não foi possível saber",
        }
    }
}

/// One assumption, asked of the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Check {
    /// Stable: `contaazul.products_status_filter`, …
    pub id: String,
    pub service: Service,
    /// What Ponte assumes.
    pub assumption: String,
    /// What the service answered.
    pub answer: String,
    pub verdict: Verdict,
    /// What Ponte does about it.
    pub consequence: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Diagnosis {
    pub ran_at: DateTime<Utc>,
    pub checks: Vec<Check>,
}

impl Diagnosis {
    /// The lines the support report carries.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "Diagnóstico de {}:\n",
            crate::time::format_business(self.ran_at)
        );
        for check in &self.checks {
            text.push_str(&format!(
                "- {} ({}): {} — {}\n",
                check.id,
                check.service.name(),
                check.verdict.label(),
                check.answer
            ));
        }
        text
    }
}

struct Ask {
    id: &'static str,
    service: Service,
    assumption: &'static str,
}

impl Ask {
    fn says(&self, verdict: Verdict, answer: impl Into<String>, consequence: &str) -> Check {
        Check {
            id: self.id.to_string(),
            service: self.service,
            assumption: self.assumption.to_string(),
            answer: answer.into(),
            verdict,
            consequence: consequence.to_string(),
        }
    }

    /// The question could not be asked (not connected, the service unreachable).
    fn unasked(&self, error: &Error, consequence: &str) -> Check {
        let problem = error.problem();
        self.says(
            Verdict::CouldNotTell,
            format!("Não foi possível perguntar: {}", problem.message),
            consequence,
        )
    }
}

fn json(reply: &Reply) -> Option<Value> {
    serde_json::from_str(&reply.body).ok()
}

fn products(count: usize) -> String {
    match count {
        1 => "1 produto".to_string(),
        n => format!("{n} produtos"),
    }
}

fn http(reply: &Reply) -> String {
    format!("HTTP {}", reply.status)
}

impl App {
    /// Runs every check, keeps the result for the support report, and returns it.
    pub async fn doctor(&self) -> Result<Diagnosis> {
        let mut checks = Vec::new();
        match self.contaazul_client() {
            Ok(client) => {
                checks.push(products_status_filter(&client).await);
                checks.push(page_size(&client).await);
                checks.push(connected_company(&client).await);
                checks.push(next_number(&client).await);
                checks.push(self.known_sale_by_number(&client).await);
            }
            Err(error) => {
                for ask in CONTAAZUL_ASKS {
                    checks.push(ask.unasked(&error, "Conecte a Conta Azul e verifique de novo."));
                }
            }
        }
        match self.nuvemshop_client() {
            Ok(client) => {
                let since = self
                    .store
                    .settings()?
                    .activated_at
                    .unwrap_or_else(|| self.clock.now() - Duration::days(30));
                let (check, total) = total_count(&client, since).await;
                checks.push(check);
                checks.push(result_cap(&client, since, total).await);
                checks.push(self.webhooks(&client).await);
            }
            Err(error) => {
                for ask in [TOTAL_COUNT, RESULT_CAP, WEBHOOKS] {
                    checks.push(ask.unasked(&error, "Conecte a Nuvemshop e verifique de novo."));
                }
            }
        }
        checks.push(self.scopes()?);
        let diagnosis = Diagnosis {
            ran_at: self.clock.now(),
            checks,
        };
        let json = serde_json::to_string(&diagnosis).unwrap_or_default();
        self.store.set_last_diagnosis(&json)?;
        Ok(diagnosis)
    }

    /// The last diagnosis, when one ran.
    /// The last diagnosis; one this version cannot read (written by a newer one) is none.
    pub fn last_diagnosis(&self) -> Result<Option<Diagnosis>> {
        Ok(self
            .store
            .last_diagnosis()?
            .and_then(|json| serde_json::from_str(&json).ok()))
    }

    async fn known_sale_by_number(&self, client: &ContaAzulClient) -> Check {
        let ask = KNOWN_SALE;
        let consequence = "Antes de enviar de novo uma venda cuja resposta se perdeu, o Ponte \
                           procura pelo número e, sem resposta clara, espera e procura de novo: \
                           nenhuma venda é criada duas vezes.";
        let latest = self.store.in_state(OrderState::Imported).map(|orders| {
            orders
                .into_iter()
                .filter(|o| o.sale_number.is_some() && o.sale_id.is_some())
                .max_by_key(|o| o.imported_at)
        });
        let order = match latest {
            Ok(Some(order)) => order,
            Ok(None) => {
                return ask.says(
                    Verdict::CouldNotTell,
                    "Ainda não há venda importada para procurar.",
                    consequence,
                )
            }
            Err(error) => return ask.unasked(&error, consequence),
        };
        let (Some(number), Some(sale_id)) = (order.sale_number, order.sale_id) else {
            return ask.says(
                Verdict::CouldNotTell,
                "Sem venda para procurar.",
                consequence,
            );
        };
        let text = number.to_string();
        let query = [
            ("numeros", text.as_str()),
            ("pagina", "1"),
            ("tamanho_pagina", "10"),
        ];
        let reply = match client.probe("/v1/venda/busca", &query).await {
            Ok(reply) => reply,
            Err(error) => return ask.unasked(&error, consequence),
        };
        let found: Vec<Value> = json(&reply)
            .and_then(|v| v.get("itens").and_then(Value::as_array).cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|sale| sale.get("numero").and_then(Value::as_i64) == Some(number))
            .collect();
        let ours = found
            .iter()
            .any(|sale| sale.get("id").and_then(Value::as_str) == Some(sale_id.as_str()));
        match (reply.is_success(), found.len(), ours) {
            (false, _, _) => ask.says(Verdict::CouldNotTell, http(&reply), consequence),
            (true, 1, true) => ask.says(
                Verdict::Holds,
                format!("A venda {number} foi encontrada pelo número, uma só."),
                consequence,
            ),
            (true, 0, _) => ask.says(
                Verdict::DoesNotHold,
                format!(
                    "A busca pelo número não encontrou a venda {number} (importada em {}).",
                    order
                        .imported_at
                        .map(crate::time::format_business)
                        .unwrap_or_default()
                ),
                consequence,
            ),
            (true, n, _) => ask.says(
                Verdict::DoesNotHold,
                format!("A busca pelo número {number} encontrou {n} vendas com esse número."),
                consequence,
            ),
        }
    }

    async fn webhooks(&self, client: &NuvemshopClient) -> Check {
        let ask = WEBHOOKS;
        let Some(broker) = self.config.broker_url.as_deref() else {
            return ask.says(
                Verdict::CouldNotTell,
                "O Ponte fala direto com a Nuvemshop, sem o serviço de conexão: não há \
                 webhooks a conferir.",
                "Só a verificação periódica traz os pedidos pagos.",
            );
        };
        let consequence = "Ao ligar a importação instantânea, o Ponte registra os que faltam e \
                           apaga os que apontam para um endereço antigo.";
        let url = format!("{broker}/webhooks/nuvemshop");
        let registered = match client.webhooks().await {
            Ok(registered) => registered,
            Err(error) => return ask.unasked(&error, consequence),
        };
        let missing: Vec<&str> = WEBHOOK_EVENTS
            .into_iter()
            .filter(|event| {
                !registered
                    .iter()
                    .any(|hook| hook.event == *event && hook.url == url)
            })
            .collect();
        let elsewhere = registered
            .iter()
            .filter(|hook| hook.url != url && WEBHOOK_EVENTS.contains(&hook.event.as_str()))
            .count();
        if missing.is_empty() && elsewhere == 0 {
            return ask.says(
                Verdict::Holds,
                format!(
                    "Os {} webhooks apontam para o serviço de conexão.",
                    WEBHOOK_EVENTS.len()
                ),
                consequence,
            );
        }
        let mut answer = Vec::new();
        if !missing.is_empty() {
            answer.push(format!("faltam {}", missing.join(", ")));
        }
        if elsewhere > 0 {
            answer.push(format!("{elsewhere} apontam para outro endereço"));
        }
        ask.says(Verdict::DoesNotHold, answer.join("; "), consequence)
    }

    fn scopes(&self) -> Result<Check> {
        let ask = SCOPES;
        let settings = self.store.settings()?;
        let mut needed = vec!["read_orders"];
        if settings.options.write_owner_note {
            needed.push("write_orders");
        }
        let consequence = "Sem read_orders nenhum pedido é lido; sem write_orders a anotação \
                           no pedido não é escrita. Para conceder, clique em Refazer a \
                           integração e autorize a loja de novo.";
        let Some(scopes) = self.store.nuvemshop_scopes()? else {
            return Ok(ask.says(
                Verdict::CouldNotTell,
                "As permissões não foram informadas quando a loja foi conectada.",
                consequence,
            ));
        };
        let granted: Vec<&str> = scopes
            .split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let lacking: Vec<&str> = needed
            .into_iter()
            .filter(|scope| !granted.contains(scope))
            .collect();
        Ok(if lacking.is_empty() {
            ask.says(
                Verdict::Holds,
                format!("Permissões: {}.", granted.join(", ")),
                consequence,
            )
        } else {
            ask.says(
                Verdict::DoesNotHold,
                format!(
                    "Permissões: {}; faltam {}.",
                    granted.join(", "),
                    lacking.join(", ")
                ),
                consequence,
            )
        })
    }
}

const PRODUCTS_STATUS: Ask = Ask {
    id: "contaazul.products_status_filter",
    service: Service::Contaazul,
    assumption: "GET /v1/produtos filtra por situação (status=ATIVO ou INATIVO).",
};
const PAGE_SIZE: Ask = Ask {
    id: "contaazul.page_size",
    service: Service::Contaazul,
    assumption: "As listas aceitam páginas de 1000 registros (tamanho_pagina=1000).",
};
const CONNECTED_COMPANY: Ask = Ask {
    id: "contaazul.connected_company",
    service: Service::Contaazul,
    assumption: "GET /v1/pessoas/conta-conectada traz nome_fantasia e razao_social.",
};
const NEXT_NUMBER: Ask = Ask {
    id: "contaazul.next_number",
    service: Service::Contaazul,
    assumption: "GET /v1/venda/proximo-numero responde só o número.",
};
const KNOWN_SALE: Ask = Ask {
    id: "contaazul.sale_by_number",
    service: Service::Contaazul,
    assumption: "Uma venda criada aparece na busca pelo número (numeros), e só ela tem esse \
                 número.",
};
const CONTAAZUL_ASKS: [Ask; 5] = [
    PRODUCTS_STATUS,
    PAGE_SIZE,
    CONNECTED_COMPANY,
    NEXT_NUMBER,
    KNOWN_SALE,
];
const TOTAL_COUNT: Ask = Ask {
    id: "nuvemshop.total_count",
    service: Service::Nuvemshop,
    assumption: "A lista de pedidos informa o total no cabeçalho X-Total-Count.",
};
const RESULT_CAP: Ask = Ask {
    id: "nuvemshop.result_cap",
    service: Service::Nuvemshop,
    assumption: "Uma consulta não passa do 10.000º resultado: além dele, a Nuvemshop recusa \
                 ou encerra a lista.",
};
const WEBHOOKS: Ask = Ask {
    id: "nuvemshop.webhooks",
    service: Service::Nuvemshop,
    assumption: "Os webhooks do Ponte (order/paid, order/updated, order/cancelled, \
                 order/edited, app/uninstalled) apontam para o serviço de conexão.",
};
const SCOPES: Ask = Ask {
    id: "nuvemshop.scopes",
    service: Service::Nuvemshop,
    assumption: "O acesso à loja permite ler pedidos (read_orders) e, com a anotação no \
                 pedido ligada, escrevê-la (write_orders).",
};

async fn products_status_filter(client: &ContaAzulClient) -> Check {
    let ask = PRODUCTS_STATUS;
    let consequence = "Um produto listado nas duas situações é um só produto, com a situação \
                       que ele mesmo informa: nenhum pedido falha por isso.";
    let mut listed = Vec::new();
    for status in ["ATIVO", "INATIVO"] {
        let query = [
            ("status", status),
            ("pagina", "1"),
            ("tamanho_pagina", "100"),
        ];
        let reply = match client.probe("/v1/produtos", &query).await {
            Ok(reply) if reply.is_success() => reply,
            Ok(reply) => return ask.says(Verdict::CouldNotTell, http(&reply), consequence),
            Err(error) => return ask.unasked(&error, consequence),
        };
        let items = json(&reply)
            .and_then(|v| v.get("items").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        listed.push((status, items));
    }
    let ids = |items: &[Value]| -> Vec<String> {
        items
            .iter()
            .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_string))
            .collect()
    };
    let (active, inactive) = (&listed[0].1, &listed[1].1);
    if active.is_empty() && inactive.is_empty() {
        return ask.says(
            Verdict::CouldNotTell,
            "Não há produtos cadastrados para comparar.",
            consequence,
        );
    }
    let inactive_ids = ids(inactive);
    let in_both = ids(active)
        .iter()
        .filter(|id| inactive_ids.contains(id))
        .count();
    let mislabelled = listed
        .iter()
        .flat_map(|(status, items)| items.iter().map(move |item| (status, item)))
        .filter(|(status, item)| {
            item.get("status")
                .and_then(Value::as_str)
                .is_some_and(|own| own != **status)
        })
        .count();
    if in_both == 0 && mislabelled == 0 {
        return ask.says(
            Verdict::Holds,
            format!(
                "Ativos e inativos vêm separados ({} e {} na primeira página).",
                active.len(),
                inactive.len()
            ),
            consequence,
        );
    }
    ask.says(
        Verdict::DoesNotHold,
        format!(
            "O filtro não separa: {} nas duas listas, {} com outra situação que a pedida.",
            products(in_both),
            products(mislabelled)
        ),
        consequence,
    )
}

async fn page_size(client: &ContaAzulClient) -> Check {
    let ask = PAGE_SIZE;
    let consequence = "Se a Conta Azul recusar, o Ponte passa a pedir páginas menores (500, \
                       200, 100): mais chamadas para catálogos grandes, nada se perde.";
    let size = CATALOGUE_PAGE_SIZE.to_string();
    let query = [("pagina", "1"), ("tamanho_pagina", size.as_str())];
    match client.probe("/v1/produtos", &query).await {
        Ok(reply) if reply.is_success() => ask.says(
            Verdict::Holds,
            format!("Aceitou tamanho_pagina={size}."),
            consequence,
        ),
        Ok(reply) if reply.status == 400 => ask.says(
            Verdict::DoesNotHold,
            format!(
                "Recusou tamanho_pagina={size} ({}: {}).",
                http(&reply),
                crate::contaazul::assumptions::error_message(&reply.body)
            ),
            consequence,
        ),
        Ok(reply) => ask.says(Verdict::CouldNotTell, http(&reply), consequence),
        Err(error) => ask.unasked(&error, consequence),
    }
}

async fn connected_company(client: &ContaAzulClient) -> Check {
    let ask = CONNECTED_COMPANY;
    let consequence = "O painel mostra o nome que vier (nome fantasia, razão social ou nome); \
                       sem nenhum, mostra só que a Conta Azul está conectada.";
    let reply = match client.probe("/v1/pessoas/conta-conectada", &[]).await {
        Ok(reply) if reply.is_success() => reply,
        Ok(reply) => return ask.says(Verdict::CouldNotTell, http(&reply), consequence),
        Err(error) => return ask.unasked(&error, consequence),
    };
    let company = json(&reply).unwrap_or(Value::Null);
    let has = |key: &str| company.get(key).and_then(Value::as_str).is_some();
    if has("nome_fantasia") || has("razao_social") {
        return ask.says(
            Verdict::Holds,
            "Veio o nome da empresa (nome_fantasia/razao_social).",
            consequence,
        );
    }
    let answer = match company_name(&company) {
        Some(_) => "Veio só um campo nome.",
        None => "Não veio nenhum nome da empresa.",
    };
    ask.says(Verdict::DoesNotHold, answer, consequence)
}

async fn next_number(client: &ContaAzulClient) -> Check {
    let ask = NEXT_NUMBER;
    let consequence = "O Ponte lê o número também de dentro de um objeto; sem número, numera \
                       a partir da maior venda.";
    let reply = match client.probe("/v1/venda/proximo-numero", &[]).await {
        Ok(reply) if reply.is_success() => reply,
        Ok(reply) => return ask.says(Verdict::CouldNotTell, http(&reply), consequence),
        Err(error) => return ask.unasked(&error, consequence),
    };
    let value = json(&reply).unwrap_or(Value::Null);
    match (&value, next_number_from(&value)) {
        (Value::Number(_), NextNumber::Given(n)) => {
            ask.says(Verdict::Holds, format!("Respondeu {n}."), consequence)
        }
        (_, NextNumber::Given(n)) => ask.says(
            Verdict::DoesNotHold,
            format!("Respondeu um objeto com o número {n}."),
            consequence,
        ),
        (_, NextNumber::None) => ask.says(
            Verdict::DoesNotHold,
            "Respondeu sem número (null).",
            consequence,
        ),
        (_, NextNumber::Unreadable) => ask.says(
            Verdict::DoesNotHold,
            format!(
                "Respondeu algo sem número: {}",
                crate::http::truncate(&reply.body, 200)
            ),
            "O Ponte não consegue numerar as vendas assim: envie este diagnóstico ao suporte.",
        ),
    }
}

/// The orders listing's `X-Total-Count`, and the total it gave.
async fn total_count(client: &NuvemshopClient, since: DateTime<Utc>) -> (Check, Option<u64>) {
    let ask = TOTAL_COUNT;
    let consequence = "Sem o total, o Ponte lê as páginas até o limite e divide a janela \
                       quando todas vêm cheias: mais chamadas, nada se perde.";
    let since = crate::time::nuvemshop_filter(since);
    let query = [
        ("created_at_min", since.as_str()),
        ("per_page", "1"),
        ("fields", "id"),
    ];
    let reply = match client.probe("/orders", &query).await {
        Ok(reply) => reply,
        Err(error) => return (ask.unasked(&error, consequence), None),
    };
    let total: Option<u64> = reply
        .headers
        .get("x-total-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let check = match (reply.is_success(), total) {
        (true, Some(total)) => ask.says(
            Verdict::Holds,
            format!("X-Total-Count: {total}."),
            consequence,
        ),
        (true, None) => ask.says(
            Verdict::DoesNotHold,
            "A lista veio sem X-Total-Count.",
            consequence,
        ),
        (false, _) if reply.status == 404 => ask.says(
            Verdict::CouldNotTell,
            "Nenhum pedido desde a ativação para contar.",
            consequence,
        ),
        (false, _) => ask.says(Verdict::CouldNotTell, http(&reply), consequence),
    };
    (check, total)
}

async fn result_cap(client: &NuvemshopClient, since: DateTime<Utc>, total: Option<u64>) -> Check {
    let ask = RESULT_CAP;
    let consequence = "O Ponte nunca pede além do limite: divide a janela de tempo quando o \
                       total passa dele, quando todas as páginas vêm cheias ou quando a \
                       Nuvemshop recusa a consulta.";
    let cap = client.result_window();
    let past = (cap / u64::from(PER_PAGE) + 1).to_string();
    let per_page = PER_PAGE.to_string();
    let since = crate::time::nuvemshop_filter(since);
    let query = [
        ("created_at_min", since.as_str()),
        ("per_page", per_page.as_str()),
        ("page", past.as_str()),
        ("fields", "id"),
    ];
    let reply = match client.probe("/orders", &query).await {
        Ok(reply) => reply,
        Err(error) => return ask.unasked(&error, consequence),
    };
    let over_cap = total.is_some_and(|total| total > cap);
    let listed = json(&reply)
        .and_then(|v| v.as_array().map(Vec::len))
        .unwrap_or(0);
    match reply.status {
        404 if !over_cap => ask.says(
            Verdict::CouldNotTell,
            format!(
                "A loja tem menos de {cap} pedidos no período: a página {past} é só o fim da \
                 lista (HTTP 404)."
            ),
            consequence,
        ),
        404 => ask.says(
            Verdict::Holds,
            format!("Além do limite, a lista termina (HTTP 404, página {past})."),
            consequence,
        ),
        status if (400..500).contains(&status) => ask.says(
            Verdict::Holds,
            format!("Além do limite, a consulta foi recusada (HTTP {status})."),
            consequence,
        ),
        status if (200..300).contains(&status) && listed == 0 => ask.says(
            Verdict::Holds,
            format!("Além do limite, veio uma página vazia (HTTP {status})."),
            consequence,
        ),
        status if (200..300).contains(&status) => ask.says(
            Verdict::DoesNotHold,
            format!("A página {past} trouxe {listed} pedidos: o limite é maior que {cap}."),
            "O Ponte divide janelas antes do necessário: mais chamadas, nada se perde.",
        ),
        _ => ask.says(Verdict::CouldNotTell, http(&reply), consequence),
    }
}
