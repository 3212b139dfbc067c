// The dashboard: the switch, the counters and the chart, the order lists and their cards.

import { formatDay } from "./dates.js";
import { $, all, call, copyText, count, el, formatDate, formatMoney, formatTime, isolated, one, PAGE_SIZE, refresh, refreshSoon, shown, toast, ui } from "./dom.js";
import { restorePlans, togglePlan } from "./plans.js";
import { cancelConnect, returnCodeForm } from "./connect.js";
import { adminLink, renderPeriod, renderSkipped } from "./period.js";
import { copyReport, renderAccounts, renderSettings, retry } from "./settings.js";

// ---- Dashboard ------------------------------------------------------------------------

/** A new version Ponte found by itself: offered, installed only on the merchant's click. */
export function renderUpdate(offer) {
  $("update-banner").hidden = !offer;
  if (offer) $("update-message").textContent = offer.banner;
}

export function renderDashboard() {
  const { status, schedule } = ui.overview;
  renderUpdate(ui.overview.update);
  const attention = status.attention;
  $("disabled-banner").hidden = !attention;
  if (attention) {
    $("disabled-message").textContent = attention.problem.message;
    $("disabled-hint").textContent = attention.problem.hint;
    const account = attention.reconnect;
    $("redo").hidden = !account;
    $("redo").textContent = account && attention.problem.code === "NOT_CONNECTED" ? `Conectar com ${NAMES[account]}` : "Refazer a integração";
  }
  renderAccounts();
  $("toggle").setAttribute("aria-checked", String(status.enabled));
  $("toggle-label").textContent = status.label;
  $("activated-at").textContent = formatDate(status.activated_at);
  $("seller-name").textContent = status.seller ? status.seller.name : "—";
  renderSchedule(schedule);
  const c = status.counts;
  $("count-imported").textContent = c.imported;
  $("count-failed").textContent = c.failed;
  $("count-queued").textContent = c.queued + c.importing;
  $("count-skipped").textContent = c.skipped;
  $("badge-failed").hidden = c.failed === 0;
  $("badge-failed").textContent = c.failed;
  ui.adminOrdersUrl = status.nuvemshop.admin_orders_url;
  // Webhooks through the broker, or only the periodic check, and why; nothing of it while
  // the integration is off (nothing is imported then).
  $("instant").hidden = !status.enabled;
  $("instant").classList.toggle("active", status.instant.active);
  $("instant-message").textContent = status.instant.message;
  $("erasure-banner").hidden = !status.store_erasure_requested;
  renderChanged(status.changed_after_import);
}

/** Imported orders cancelled or refunded in Nuvemshop since: the sale is the merchant's to
 * look at, until *Já conferi*. */
export function renderChanged(changed) {
  const cards = changed.map((c) =>
    el("article", { class: "failure changed-order", "data-order": c.order_id, "data-flag": c.flag }, [
      el("h3", { text: c.sale_number ? `Pedido #${c.number} · Venda ${c.sale_number}` : `Pedido #${c.number}` }),
      el("p", { class: "reason", text: c.message }),
      el("div", { class: "actions" }, [
        el("button", { class: "primary small checked", text: "Já conferi", onclick: () => checkChanged(c.order_id).catch(() => refreshSoon()) }),
        el("button", { class: "secondary small open-sale", text: "Ver venda", onclick: () => openSale(c.order_id).catch(shown) }),
        adminLink(c.order_id),
      ]),
    ])
  );
  $("changed-list").replaceChildren(...cards);
  $("changed-card").hidden = cards.length === 0;
}

export async function checkChanged(orderId) {
  await call("check_changed", { orderId });
  await refresh();
}

export const NAMES = { nuvemshop: "Nuvemshop", contaazul: "Conta Azul" };

/** Shows the authorization link while the browser step is under way. */
export function showAuthLink(service, url) {
  $("auth-link").replaceChildren(
    el("p", { text: "Continue no navegador para autorizar o acesso. Se ele não abriu, copie este endereço e abra-o no navegador:" }),
    el("div", { class: "copy-row" }, [
      el("code", { class: "authorize-url", "data-account": service, text: url }),
      el("button", {
        class: "secondary small copy-link",
        type: "button",
        "data-account": service,
        text: "Copiar",
        onclick: () => copyText(url).then(() => toast("Endereço copiado. Cole-o na barra do navegador.")),
      }),
    ]),
    ...(ui.overview && ui.overview.pairing_codes ? [returnCodeForm(service)] : []),
    el("button", {
      class: "link cancel-connect",
      type: "button",
      "data-account": service,
      text: "Cancelar e começar de novo",
      onclick: () => cancelConnect(service).catch(shown),
    })
  );
  $("auth-link").hidden = false;
}

export async function connectFromDashboard(account) {
  toast("Continue no navegador para autorizar o acesso.");
  try {
    const connected = await call("connect", { account });
    toast(
      connected
        ? `${NAMES[account]} conectada. Os pedidos pagos nesse meio-tempo serão importados agora.`
        : "Conexão cancelada. Clique de novo para começar outra vez."
    );
  } finally {
    $("auth-link").hidden = true;
    delete ui.codeForms[account];
    await refresh();
  }
}

export function renderSchedule(schedule) {
  if (!schedule) return;
  $("last-check").textContent = schedule.running ? "verificando…" : formatTime(schedule.last_check_at);
  const enabled = ui.overview && ui.overview.status.enabled;
  $("next-check").textContent = enabled ? formatTime(schedule.next_check_at) : "—";
}

export function selectTab(tab) {
  ui.tab = tab;
  for (const button of all(".tab")) {
    const selected = button.dataset.tab === tab;
    button.setAttribute("aria-selected", String(selected));
    // One tab in the keyboard's path, the selected one; the arrows move between them.
    button.tabIndex = selected ? 0 : -1;
  }
  for (const name of ["imported", "failed", "queued", "skipped", "period", "settings"]) {
    $(`panel-${name}`).hidden = name !== tab;
  }
  return renderTab();
}

/**
 * A click on an order's notification: its card — in *Pedidos não importados*, or the
 * dashboard's *mudou na Nuvemshop* — brought into view, marked and focused.
 * @param {number} orderId
 */
export async function openOrder(orderId) {
  if ($("screen-dashboard").hidden) return;
  const changed = one(`.changed-order[data-order="${orderId}"]`);
  let card = changed;
  if (!card) {
    await selectTab("failed");
    card = one(`#failed-list .failure[data-order="${orderId}"]`);
  }
  if (!card) {
    toast("Esse pedido não está mais em Pedidos não importados: talvez já tenha sido importado.");
    return;
  }
  ui.openedOrder = orderId;
  for (const marked of all(".failure.opened")) marked.classList.remove("opened");
  card.classList.add("opened");
  card.tabIndex = -1;
  card.scrollIntoView({ block: "center" });
  card.focus();
}

export async function renderTab() {
  if (ui.tab === "imported") return renderImported();
  if (ui.tab === "failed") return renderFailed();
  if (ui.tab === "queued") return renderQueued();
  if (ui.tab === "skipped") return renderSkipped();
  if (ui.tab === "period") return renderPeriod();
  return renderSettings();
}

/** The last 14 days of imports as small bars (a day without sales keeps its place). */
export async function renderPerDay() {
  const days = await call("imported_per_day", { days: 14 });
  const most = Math.max(1, ...days.map((day) => day.count));
  // The chart as text, for a screen reader: one line per day.
  $("per-day-text").replaceChildren(
    ...days.map((day) => el("li", { text: `${formatDay(day.date)}: ${count(day.count, "venda", "vendas")}` }))
  );
  $("per-day").replaceChildren(
    ...days.map((day) => {
      const [, month, date] = day.date.split("-");
      const label = `${date}/${month}: ${count(day.count, "venda", "vendas")}`;
      const bar = el("div", { class: "bar" });
      // Through the CSSOM: the CSP allows no inline style attribute.
      bar.style.height = `${Math.round((day.count / most) * 100)}%`;
      return el("div", { class: "bar-slot", title: label, "data-date": day.date, "data-count": day.count }, [
        bar,
        el("span", { class: "bar-day", text: date, "aria-hidden": "true" }),
      ]);
    })
  );
}

export async function renderImported() {
  renderPerDay().catch(shown);
  const result = await call("orders", { state: "imported", search: ui.search || null, page: ui.page, pageSize: PAGE_SIZE });
  const rows = result.items.map((o) =>
    el("tr", { "data-order": o.order_id }, [
      el("td", { text: `#${o.number}` }),
      el("td", {}, [isolated(o.customer_name)]),
      el("td", { class: "num", text: formatMoney(o.total) }),
      el("td", { text: formatDate(o.paid_at || o.created_at) }),
      el("td", { class: "sale-number", text: o.sale_number != null ? `Venda ${o.sale_number}` : "—" }),
      el("td", {}, [el("span", { class: "pill", text: "Revisão Pendente" })]),
      el("td", { class: "row-actions" }, [
        el("button", { class: "secondary small sale-button", text: "Ver venda", title: "A venda como a Conta Azul a imprime (PDF)", onclick: () => openSale(o.order_id).catch(shown) }),
        el("button", { class: "secondary small details-button", text: "Detalhes", onclick: () => showDetails(o.order_id).catch(shown) }),
      ]),
    ])
  );
  $("imported-rows").replaceChildren(...rows);
  const empty = result.total === 0;
  $("imported-empty").hidden = !empty;
  $("imported-empty").textContent = ui.search
    ? "Nenhuma venda encontrada para essa busca."
    : "Nenhuma venda importada ainda. Assim que um pedido for marcado como recebido na Nuvemshop, ele aparece aqui em até um ciclo de verificação.";
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  $("page-info").textContent = `Página ${ui.page + 1} de ${pages} · ${count(result.total, "venda", "vendas")}`;
  $("prev-page").disabled = ui.page === 0;
  $("next-page").disabled = ui.page + 1 >= pages;
}

export async function renderFailed() {
  const result = await call("orders", { state: "failed", search: null, page: 0, pageSize: 200 });
  const cards = result.items.map((o) => {
    const problem = o.error || { code: "", message: "", hint: "" };
    const opened = o.order_id === ui.openedOrder ? " opened" : "";
    return el("article", { class: `failure${opened}`, "data-order": o.order_id, "data-code": problem.code }, [
      el("h3", {}, [`Pedido #${o.number} · `, isolated(o.customer_name, "cliente sem nome"), ` · ${formatMoney(o.total)}`]),
      el("p", { class: "reason" }, [el("span", { class: "label", text: "Motivo: " }), problem.message]),
      el("p", { class: "todo" }, [el("span", { class: "label", text: "O que fazer: " }), problem.hint]),
      el("div", { class: "actions" }, [
        el("button", { class: "primary small retry", text: "Tentar novamente", onclick: () => retry(o.order_id) }),
        el("button", { class: "secondary small report", text: "Copiar relatório para o suporte", onclick: () => copyReport(o.order_id) }),
        el("button", { class: "secondary small plan-button", text: "O que vai acontecer", onclick: () => togglePlan(o.order_id).catch(shown) }),
        adminLink(o.order_id),
      ]),
    ]);
  });
  $("failed-list").replaceChildren(...cards);
  restorePlans($("failed-list"));
  $("failed-empty").hidden = cards.length > 0;
  $("retry-all").disabled = cards.length === 0;
  $("export-failed").disabled = cards.length === 0;
}

/** *Na fila*: the orders waiting for the next pass (and those whose sale is being checked). */
export async function renderQueued() {
  const [queued, importing] = await Promise.all([
    call("orders", { state: "queued", search: null, page: 0, pageSize: 200 }),
    call("orders", { state: "importing", search: null, page: 0, pageSize: 200 }),
  ]);
  const cards = [...importing.items, ...queued.items].map((o) =>
    el("article", { class: "queued", "data-order": o.order_id }, [
      el("header", {}, [
        el("span", {}, [
          el("strong", { text: `Pedido #${o.number}` }),
          " · ",
          isolated(o.customer_name, "cliente sem nome"),
          ` · ${formatMoney(o.total)} · ${formatDate(o.paid_at || o.created_at)}`,
          o.state === "importing" ? el("span", { class: "muted", text: " · enviado, confirmando na Conta Azul" }) : "",
        ]),
        o.state === "queued"
          ? el("button", { class: "secondary small plan-button", text: "O que vai acontecer", onclick: () => togglePlan(o.order_id).catch(shown) })
          : "",
      ]),
    ])
  );
  $("queued-list").replaceChildren(...cards);
  restorePlans($("queued-list"));
  $("queued-empty").hidden = cards.length > 0;
}

/** *Ver venda*: the sale as Conta Azul prints it, saved and opened. */
export async function openSale(orderId) {
  const path = await call("open_sale", { orderId });
  toast(`Venda salva em ${path}`);
}

/** *Detalhes* of an imported order: what was done and Conta Azul's answers, masked. */
export async function showDetails(orderId) {
  $("details-text").textContent = await call("support_report", { orderId });
  $("details").showModal();
}
