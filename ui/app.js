// Ponte's window: renders what the core reports and calls its commands. It refreshes on the
// core's events, never by polling.
"use strict";

const { invoke } = window.__TAURI__.core;
const { listen } = window.__TAURI__.event;

const PAGE_SIZE = 25;
const money = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
const $ = (id) => document.getElementById(id);

const ui = {
  overview: null,
  tab: "imported",
  page: 0,
  search: "",
  connecting: {},
  authorizeUrls: {},
  codeForms: {},
};

function formatMoney(text) {
  const value = Number(text);
  return Number.isFinite(value) ? money.format(value).replace(/\u00a0/g, " ") : "—";
}
/** A count with its word in the number it needs: `1 pedido`, `3 pedidos` (never `pedido(s)`). */
function count(n, one, many) {
  return `${new Intl.NumberFormat("pt-BR").format(n)} ${n === 1 ? one : many}`;
}
function formatDate(iso) {
  return iso ? new Date(iso).toLocaleDateString("pt-BR", { timeZone: "America/Sao_Paulo" }) : "—";
}
function formatTime(iso) {
  if (!iso) return "—";
  const at = new Date(iso);
  const time = at.toLocaleTimeString("pt-BR", { hour: "2-digit", minute: "2-digit", timeZone: "America/Sao_Paulo" });
  const today = new Date().toLocaleDateString("pt-BR", { timeZone: "America/Sao_Paulo" });
  return formatDate(iso) === today ? time : `${formatDate(iso)} ${time}`;
}
/** A name from the store, as plain text in its own writing direction: an Arabic or Hebrew
 * name, or a stray direction mark, never reorders the number or amount beside it. */
function isolated(text, fallback = "—") {
  return el("bdi", { class: "name", text: text || fallback });
}
function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

let toastTimer;
function toast(message, isError = false) {
  const node = $("toast");
  node.textContent = message;
  node.classList.toggle("error", isError);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 5000);
}

/** Calls a command; a failure shows its Portuguese message and hint, never a raw error. */
async function call(command, args = {}) {
  try {
    return await invoke(command, args);
  } catch (problem) {
    toastProblem(problem);
    throw problem;
  }
}

/** A problem's Portuguese message and what to do, in the toast. */
function toastProblem(problem) {
  const message = problem && problem.message ? `${problem.message} ${problem.hint || ""}` : "Algo deu errado. Tente de novo.";
  toast(message.trim(), true);
}

/**
 * The end of every action's promise. A problem a command answered was already shown by `call`;
 * anything else is a fault of the window itself: logged with its reason and told, never
 * swallowed.
 */
function shown(error) {
  if (error && error.code) return;
  console.error("Ponte window:", error);
  toast("Algo deu errado nesta tela. Tente de novo; se continuar, feche e abra o Ponte.", true);
}

function show(screen) {
  for (const id of ["loading", "screen-connect", "screen-activate", "screen-dashboard"]) {
    $(id).hidden = id !== screen;
  }
}

/**
 * Reads the overview and shows the screen it calls for. A `background` refresh (an order
 * imported, a link handed over) leaves the forms being filled alone: the activation screen
 * once shown, and the settings but for the LGPD requests, which arrive by themselves.
 */
async function refresh({ background = false } = {}) {
  ui.overview = await call("overview");
  const { status, demo } = ui.overview;
  // A ponte:// link the system handed over that belongs to no connect in progress.
  if (ui.overview.link_notice) toastProblem(ui.overview.link_notice);
  $("demo-banner").hidden = !demo;
  // Demo mode never starts with the computer: the offer is for a real store.
  $("activate-autostart-row").hidden = demo;
  const connected = status.nuvemshop.connected && status.contaazul.connected;
  if (!connected && !status.activated_at) {
    renderConnect();
    show("screen-connect");
  } else if (!status.activated_at) {
    if (background && !$("screen-activate").hidden) return;
    await renderActivate();
    show("screen-activate");
  } else {
    renderDashboard();
    show("screen-dashboard");
    if (background && ui.tab === "settings") await renderLgpd();
    else await renderTab();
  }
}

// ---- First run ------------------------------------------------------------------------

function renderConnect() {
  const { status } = ui.overview;
  // Installs that start in the Nuvemshop admin come back with a code (through the broker only).
  document.getElementById("pairing").hidden = !ui.overview.pairing_codes || status.nuvemshop.connected;
  for (const account of ["nuvemshop", "contaazul"]) {
    const step = document.querySelector(`.step[data-account="${account}"]`);
    const stateNode = step.querySelector('[data-role="state"]');
    const button = step.querySelector('[data-role="connect"]');
    const connected = status[account].connected;
    step.classList.toggle("done", connected);
    button.hidden = connected;
    button.disabled = Boolean(ui.connecting[account]);
    stateNode.replaceChildren();
    if (connected) {
      stateNode.append(el("span", { class: "ok", text: "Conectado" }));
    } else if (ui.connecting[account]) {
      stateNode.append(el("p", { class: "waiting", text: "Continue no navegador para autorizar o acesso." }));
      const url = ui.authorizeUrls[account];
      if (url) {
        stateNode.append(el("p", { class: "note", text: "Se o navegador não abriu, copie este endereço:" }));
        stateNode.append(el("code", { class: "authorize-url", "data-account": account, text: url }));
      }
      if (ui.overview.pairing_codes) stateNode.append(returnCodeForm(account));
    } else if (ui.connecting[`${account}-error`]) {
      const problem = ui.connecting[`${account}-error`];
      stateNode.append(el("p", { class: "error", text: problem.message }));
      stateNode.append(el("p", { class: "note", text: problem.hint || "" }));
      button.textContent = "Tentar novamente";
    }
  }
}

async function connect(account) {
  ui.connecting[account] = true;
  delete ui.connecting[`${account}-error`];
  renderConnect();
  try {
    await invoke("connect", { account });
  } catch (problem) {
    ui.connecting[`${account}-error`] = problem || { message: "A autorização não foi concluída." };
  } finally {
    delete ui.connecting[account];
    delete ui.authorizeUrls[account];
    delete ui.codeForms[account];
  }
  await refresh();
  // The step may no longer be on screen: still drop its stale link.
  renderConnect();
}

/**
 * Through the broker, the page the browser lands on after the authorization sends it back to
 * Ponte; where the browser blocks that, the page shows a code to type here. One form per
 * connect, kept across re-renders so that a half-typed code stays.
 */
function returnCodeForm(account) {
  if (ui.codeForms[account]) return ui.codeForms[account];
  const input = el("input", {
    type: "text", class: "return-code", id: `return-code-${account}`, autocomplete: "off",
    autocapitalize: "characters", spellcheck: "false", maxlength: "12", placeholder: "ABCD-2345",
    required: "",
  });
  const error = el("p", { class: "error", role: "alert" });
  error.hidden = true;
  const submit = el("button", { type: "submit", class: "secondary", text: "Usar código" });
  const form = el("form", {
    class: "pairing return-code-form", "data-account": account,
    onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        await invoke("enter_return_code", { account, code: input.value });
      } catch (problem) {
        error.textContent = problem && problem.message ? `${problem.message} ${problem.hint || ""}` : "O código não foi aceito.";
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    },
  }, [
    el("label", { for: input.id, text: "A página do navegador mostrou um código em vez de voltar ao Ponte? Digite-o aqui:" }),
    el("div", { class: "pairing-row" }, [input, submit]),
    error,
  ]);
  input.addEventListener("input", () => (error.hidden = true));
  ui.codeForms[account] = form;
  return form;
}

async function usePairingCode(event) {
  event.preventDefault();
  const input = document.getElementById("pairing-code");
  const error = document.getElementById("pairing-error");
  const submit = document.getElementById("pairing-submit");
  error.hidden = true;
  submit.disabled = true;
  try {
    await invoke("connect_with_pairing_code", { code: input.value });
    input.value = "";
  } catch (problem) {
    error.textContent = problem && problem.message ? `${problem.message} ${problem.hint || ""}` : "O código não foi aceito.";
    error.hidden = false;
  } finally {
    submit.disabled = false;
  }
  await refresh();
  renderConnect();
}

// ---- Activation -----------------------------------------------------------------------

async function fillSellers(select, chosenId) {
  const sellers = await call("sellers");
  select.replaceChildren(...sellers.map((s) => el("option", { value: s.id, text: s.name })));
  if (chosenId) select.value = chosenId;
  return sellers;
}

async function renderActivate() {
  $("activate-error").hidden = true;
  await fillSellers($("activate-seller"));
}

// ---- Dashboard ------------------------------------------------------------------------

/** A new version Ponte found by itself: offered, installed only on the merchant's click. */
function renderUpdate(offer) {
  $("update-banner").hidden = !offer;
  if (offer) $("update-message").textContent = `A versão ${offer.version} do Ponte está disponível.`;
}

function renderDashboard() {
  const { status, schedule, poll_interval_minutes: interval } = ui.overview;
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
  for (const account of ["nuvemshop", "contaazul"]) {
    const connected = status[account].connected;
    const stateNode = document.querySelector(`[data-account-state="${account}"]`);
    stateNode.textContent = connected ? "Conectado" : "Não conectado";
    stateNode.className = connected ? "ok" : "off";
    const action = document.querySelector(`[data-account-action="${account}"]`);
    action.textContent = connected ? "Desconectar" : "Conectar";
    action.dataset.connected = String(connected);
  }
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
  // The store's name where it is known; its id otherwise (and on hover).
  const storeId = status.nuvemshop.store_id;
  $("store-id").textContent = status.nuvemshop.store_name || (storeId ? `Loja ${storeId}` : "");
  $("store-id").title = storeId ? `Loja ${storeId}` : "";
  $("company-name").textContent = status.contaazul.company_name || "";
  ui.adminOrdersUrl = status.nuvemshop.admin_orders_url;
  // Webhooks through the broker, or only the periodic check, and why; nothing of it while
  // the integration is off (nothing is imported then).
  $("instant").hidden = !status.enabled;
  $("instant").classList.toggle("active", status.instant.active);
  $("instant-message").textContent = status.instant.message;
  $("erasure-banner").hidden = !status.store_erasure_requested;
  renderChanged(status.changed_after_import);
  $("interval").value = String(interval);
}

/** Imported orders cancelled or refunded in Nuvemshop since: the sale is the merchant's to
 * look at, until *Já conferi*. */
function renderChanged(changed) {
  const cards = changed.map((c) =>
    el("article", { class: "failure changed-order", "data-order": c.order_id, "data-flag": c.flag }, [
      el("h4", { text: c.sale_number ? `Pedido #${c.number} · Venda ${c.sale_number}` : `Pedido #${c.number}` }),
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

async function checkChanged(orderId) {
  await call("check_changed", { orderId });
  await refresh();
}

const NAMES = { nuvemshop: "Nuvemshop", contaazul: "Conta Azul" };

/** Shows the authorization link while the browser step is under way. */
function showAuthLink(service, url) {
  $("auth-link").replaceChildren(
    el("p", { text: "Continue no navegador para autorizar o acesso. Se ele não abriu, copie este endereço:" }),
    el("code", { class: "authorize-url", "data-account": service, text: url }),
    ...(ui.overview && ui.overview.pairing_codes ? [returnCodeForm(service)] : [])
  );
  $("auth-link").hidden = false;
}

async function connectFromDashboard(account) {
  toast("Continue no navegador para autorizar o acesso.");
  try {
    await call("connect", { account });
    toast(`${NAMES[account]} conectada. Os pedidos pagos nesse meio-tempo serão importados agora.`);
  } finally {
    $("auth-link").hidden = true;
    delete ui.codeForms[account];
    await refresh();
  }
}

function renderSchedule(schedule) {
  if (!schedule) return;
  $("last-check").textContent = schedule.running ? "verificando agora…" : formatTime(schedule.last_check_at);
  const enabled = ui.overview && ui.overview.status.enabled;
  $("next-check").textContent = enabled ? formatTime(schedule.next_check_at) : "—";
}

function selectTab(tab) {
  ui.tab = tab;
  for (const button of document.querySelectorAll(".tab")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === tab));
  }
  for (const name of ["imported", "failed", "queued", "skipped", "period", "settings"]) {
    $(`panel-${name}`).hidden = name !== tab;
  }
  renderTab();
}

async function renderTab() {
  if (ui.tab === "imported") return renderImported();
  if (ui.tab === "failed") return renderFailed();
  if (ui.tab === "queued") return renderQueued();
  if (ui.tab === "skipped") return renderSkipped();
  if (ui.tab === "period") return renderPeriod();
  return renderSettings();
}

/** The last 14 days of imports as small bars (a day without sales keeps its place). */
async function renderPerDay() {
  const days = await call("imported_per_day", { days: 14 });
  const most = Math.max(1, ...days.map((day) => day.count));
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

async function renderImported() {
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

async function renderFailed() {
  const result = await call("orders", { state: "failed", search: null, page: 0, pageSize: 200 });
  const cards = result.items.map((o) => {
    const problem = o.error || { message: "", hint: "" };
    return el("article", { class: "failure", "data-order": o.order_id, "data-code": problem.code || "" }, [
      el("h4", {}, [`Pedido #${o.number} · `, isolated(o.customer_name, "cliente sem nome"), ` · ${formatMoney(o.total)}`]),
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

const PLAN_MARKS = { reuse: "usar", create: "criar", problem: "problema" };

/** *O que vai acontecer*: the customer and products an order would use or create, and why.
 * Open plans are kept across re-renders (the lists are rebuilt on every event). */
const openPlans = new Map();

function planList(orderId, plan) {
  const items = [];
  if (plan.problem) items.push(el("li", { class: "problem" }, [el("span", { class: "mark", text: "problema" }), plan.problem]));
  for (const choice of [plan.customer, ...plan.products].filter(Boolean)) {
    items.push(
      el("li", { class: choice.action }, [
        el("span", { class: "mark", text: PLAN_MARKS[choice.action] }),
        isolated(choice.name),
        el("span", { class: "muted", text: `— ${choice.why}` }),
      ])
    );
  }
  return el("ul", { class: "plan", "data-order": orderId }, items);
}

/** Puts the open plans back into the cards just rendered. */
function restorePlans(container) {
  for (const card of container.querySelectorAll("[data-order]")) {
    const plan = openPlans.get(Number(card.dataset.order));
    if (plan && !card.querySelector(".plan")) card.append(planList(card.dataset.order, plan));
  }
}

async function togglePlan(orderId) {
  if (openPlans.has(orderId)) {
    openPlans.delete(orderId);
    for (const shown of document.querySelectorAll(`.plan[data-order="${orderId}"]`)) shown.remove();
    return;
  }
  const plan = await call("order_plan", { orderId });
  openPlans.set(orderId, plan);
  // Found again: the list may have been rebuilt while Conta Azul was asked.
  for (const card of document.querySelectorAll(`article[data-order="${orderId}"]`)) {
    if (!card.querySelector(".plan")) card.append(planList(orderId, plan));
  }
}

/** *Na fila*: the orders waiting for the next pass (and those whose sale is being checked). */
async function renderQueued() {
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
async function openSale(orderId) {
  const path = await call("open_sale", { orderId });
  toast(`Venda salva em ${path}`);
}

/** *Detalhes* of an imported order: what was done and Conta Azul's answers, masked. */
async function showDetails(orderId) {
  $("details-text").textContent = await call("support_report", { orderId });
  $("details").showModal();
}

// ---- Conferir período ----------------------------------------------------------------

/** `YYYY-MM-DD` of a São Paulo day, `offset` days from today (UTC−3: Brazil keeps no
 * daylight saving since 2019, and a locale's date format is not relied on). */
function isoDay(offset = 0) {
  return new Date(Date.now() - 3 * 3600000 + offset * 86400000).toISOString().slice(0, 10);
}

function periodArgs() {
  return { from: $("period-from").value, to: $("period-to").value };
}

function renderPeriod() {
  if (!$("period-from").value) $("period-from").value = isoDay(-30);
  if (!$("period-to").value) $("period-to").value = isoDay(0);
  $("period-to").max = isoDay(0);
  return renderBackfillHistory();
}

async function renderBackfillHistory() {
  const records = await call("backfills");
  $("backfill-history").replaceChildren(
    ...records.map((record) =>
      el("p", {
        class: "backfill-record",
        text: `Importação de ${formatDay(record.from)} a ${formatDay(record.to)}, confirmada em ${formatDate(record.confirmed_at)}: ${count(record.queued, "pedido", "pedidos")} na fila, ${record.recorded} já na Conta Azul.`,
      })
    )
  );
}

/** `2026-10-01` → `01/10/2026` (a date without time: no time zone moves it). */
function formatDay(day) {
  const [year, month, date] = day.split("-");
  return `${date}/${month}/${year}`;
}

/** While a period is read (a long one takes a while), what is happening. */
async function working(message, task) {
  $("period-working").dataset.message = message;
  $("period-working").textContent = message;
  $("period-working").hidden = false;
  for (const id of ["reconcile", "backfill-preview"]) $(id).disabled = true;
  try {
    return await task();
  } finally {
    $("period-working").hidden = true;
    for (const id of ["reconcile", "backfill-preview"]) $(id).disabled = false;
  }
}

/**
 * The order's page in the store's admin, opened in the system browser (a real link would let
 * a middle click open it inside Ponte's window, which shows only Ponte's pages).
 */
function adminLink(orderId) {
  if (!ui.adminOrdersUrl) return "";
  return el("button", {
    type: "button",
    class: "link admin-link",
    "data-url": `${ui.adminOrdersUrl}${orderId}`,
    title: `${ui.adminOrdersUrl}${orderId}`,
    text: "Ver pedido na Nuvemshop",
    onclick: () => call("open_in_store", { orderId }).catch(shown),
  });
}

async function reconcilePeriod(event) {
  if (event) event.preventDefault();
  const args = periodArgs();
  const report = await working("Conferindo o período na Nuvemshop e na Conta Azul…", () => call("reconcile", args));
  $("backfill-result").hidden = true;
  const result = $("reconcile-result");
  const parts = [
    el("h3", { text: `Conferência de ${formatDay(report.period.from)} a ${formatDay(report.period.to)}` }),
    el("p", {
      class: "reconcile-summary",
      text: `Pedidos pagos na Nuvemshop: ${report.paid} · com venda na Conta Azul: ${report.matched} · a caminho: ${report.on_the_way}`,
    }),
  ];
  if (report.missing.length === 0) {
    parts.push(el("p", { class: "ok", text: "Nenhum pedido pago faltando na Conta Azul." }));
  } else {
    parts.push(
      el("div", { class: "head" }, [
        el("h3", { text: `Faltando na Conta Azul (${report.missing.length})` }),
        el("button", {
          class: "primary small",
          id: "import-all-missing",
          text: "Importar todos",
          onclick: () => importMissing(args, report.missing.map((m) => m.order_id)).catch(shown),
        }),
      ]),
      el("table", { class: "table missing-table" }, [
        el("thead", {}, [el("tr", {}, ["Pedido", "Cliente", "Total", "Data", "Por quê", ""].map((h) => el("th", { text: h })))]),
        el(
          "tbody",
          {},
          report.missing.map((m) =>
            el("tr", { "data-order": m.order_id }, [
              el("td", { text: `#${m.number}` }),
              el("td", {}, [isolated(m.customer_name)]),
              el("td", { class: "num", text: formatMoney(m.total) }),
              el("td", { text: formatDate(m.created_at) }),
              el("td", { text: m.reason }),
              el("td", {}, [
                el("button", {
                  class: "secondary small",
                  text: m.sale_number != null ? "Registrar" : "Importar",
                  onclick: () => importMissing(args, [m.order_id]).catch(shown),
                }),
              ]),
            ])
          )
        ),
      ])
    );
  }
  if (report.flagged.length > 0) {
    parts.push(el("h3", { text: `Para conferir (${report.flagged.length})` }));
    for (const flag of report.flagged) {
      parts.push(
        el("div", { class: "flag", "data-order": flag.order_id, "data-flag": flag.flag }, [
          el("strong", { text: `Pedido #${flag.number}${flag.sale_number != null ? ` · Venda ${flag.sale_number}` : ""}` }),
          el("p", { text: flag.message }),
          adminLink(flag.order_id),
        ])
      );
    }
  }
  result.replaceChildren(...parts);
  result.hidden = false;
}

async function importMissing(args, orderIds) {
  const planned = await call("import_missing", { ...args, orderIds });
  toast(`${count(planned.queued, "pedido", "pedidos")} na fila, ${planned.recorded} já na Conta Azul, ${planned.recorded === 1 ? "só registrado" : "só registrados"}. O Ponte importa agora.`);
  await reconcilePeriod();
}

function namesBlock(title, names) {
  return el("div", {}, [
    el("strong", { text: `${title} (${names.length})` }),
    el("span", { class: "muted", text: names.length ? names.join(", ") : "nenhum" }),
  ]);
}

async function previewBackfill() {
  const args = periodArgs();
  const preview = await working("Lendo os pedidos do período e procurando clientes e produtos na Conta Azul…", () =>
    call("backfill_preview", args)
  );
  $("reconcile-result").hidden = true;
  // `until` is exclusive (midnight after the last day, or the activation moment).
  const until = formatDate(new Date(new Date(preview.until).getTime() - 1000).toISOString());
  const parts = [
    el("h3", { text: `Pedidos pagos de ${formatDay(preview.period.from)} a ${until}, antes da ativação` }),
    el("p", { class: "backfill-summary", text: `${count(preview.orders.length, "pedido", "pedidos")} a importar, total ${formatMoney(preview.total)}` }),
    el("div", { class: "names" }, [
      namesBlock("Clientes novos", preview.new_customers),
      namesBlock("Clientes reutilizados", preview.reused_customers),
      namesBlock("Produtos novos", preview.new_products),
      namesBlock("Produtos reutilizados", preview.reused_products),
    ]),
  ];
  if (preview.already_in_ponte > 0) parts.push(el("p", { class: "note", text: preview.already_in_ponte === 1 ? "1 pedido do período já está no Ponte." : `${count(preview.already_in_ponte, "pedido", "pedidos")} do período já estão no Ponte.` }));
  for (const order of preview.already_in_contaazul) {
    parts.push(el("p", { class: "note", text: `Pedido #${order.number}: a venda ${order.sale_number} já está na Conta Azul e será só registrada.` }));
  }
  for (const order of preview.not_imported) {
    parts.push(el("p", { class: "note", text: `Pedido #${order.number} não será importado: ${order.reason}` }));
  }
  if (preview.would_fail > 0) {
    parts.push(el("p", { class: "warning", text: preview.would_fail === 1 ? "1 pedido com problema: será importado e ficará em Pedidos não importados, com o que fazer." : `${count(preview.would_fail, "pedido", "pedidos")} com problema: serão importados e ficarão em Pedidos não importados, com o que fazer.` }));
  }
  if (preview.plans.length > 0) {
    parts.push(
      el("details", { class: "plans" }, [
        el("summary", { text: "O que vai acontecer com cada pedido" }),
        ...preview.plans.map((plan) => {
          const box = el("div", { class: "queued" }, [el("strong", { text: `Pedido #${plan.number}` })]);
          const items = [plan.customer, ...plan.products].filter(Boolean).map((choice) =>
            el("li", { class: choice.action }, [el("span", { class: "mark", text: PLAN_MARKS[choice.action] }), isolated(choice.name), el("span", { class: "muted", text: `— ${choice.why}` })])
          );
          if (plan.problem) items.unshift(el("li", { class: "problem" }, [el("span", { class: "mark", text: "problema" }), plan.problem]));
          box.append(el("ul", { class: "plan" }, items));
          return box;
        }),
      ])
    );
  }
  parts.push(
    el("p", {
      class: "note",
      text: "O Ponte reconhece as vendas que ele mesmo lançou, por esta ou outra instalação, e deixa de fora o pedido que tem na Conta Azul uma venda lançada à mão do mesmo cliente e valor. Uma venda lançada à mão com outro nome ou outro valor não é reconhecida: confira a lista acima antes de confirmar.",
    })
  );
  if (preview.orders.length > 0 || preview.already_in_contaazul.length > 0) {
    parts.push(
      el("div", { class: "confirm-row" }, [
        el("button", { class: "primary", id: "backfill-confirm", text: "Confirmar importação", onclick: (event) => confirmBackfill(args, event.target).catch(shown) }),
        el("button", { class: "secondary", text: "Cancelar", onclick: () => ($("backfill-result").hidden = true) }),
      ])
    );
  } else {
    parts.push(el("p", { class: "ok", text: "Nada a importar neste período." }));
  }
  $("backfill-result").replaceChildren(...parts);
  $("backfill-result").hidden = false;
}

async function confirmBackfill(args, button) {
  button.disabled = true;
  let planned;
  try {
    planned = await call("backfill", args);
  } finally {
    button.disabled = false;
  }
  toast(`${count(planned.queued, "pedido", "pedidos")} na fila; ${planned.recorded} já na Conta Azul. O Ponte importa agora — acompanhe a barra de progresso.`);
  $("backfill-result").hidden = true;
  await renderBackfillHistory();
}

async function renderSkipped() {
  const result = await call("orders", { state: "skipped", search: null, page: 0, pageSize: 200 });
  $("skipped-rows").replaceChildren(
    ...result.items.map((o) =>
      el("tr", {}, [
        el("td", { text: `#${o.number}` }),
        el("td", {}, [isolated(o.customer_name)]),
        el("td", { class: "num", text: formatMoney(o.total) }),
        el("td", { text: o.skip_reason || "" }),
      ])
    )
  );
  $("skipped-empty").hidden = result.items.length > 0;
}

async function renderSettings() {
  const seller = ui.overview.status.seller;
  await fillSellers($("settings-seller"), seller && seller.id);
  renderPayments(await call("payments"));
  renderOptions(await call("options"));
  await renderAbout();
  await renderLgpd();
  renderDiagnosis(await call("diagnosis"));
}

/** The table as last loaded: *Usar sugestão* fills it at once, so a *Salvar* right after saves it. */
let shownPayments = null;

/** *Forma de pagamento na Conta Azul*: one row per way of paying; no choice = the article's rule. */
function renderPayments(payments, useSuggested = false) {
  shownPayments = payments;
  const rows = payments.rows.map((row) => {
    const choice = useSuggested ? row.suggested : row.choice;
    const select = el("select", { "data-method": row.method, "aria-label": `${row.label} na Conta Azul` }, [
      el("option", { value: "", text: "Dinheiro, à vista (padrão)" }),
      ...payments.types.map(([code, label]) => el("option", { value: code, text: label })),
    ]);
    select.value = choice ? choice.tipo_pagamento : "";
    const installments = el("input", { type: "checkbox", "data-installments": row.method, "aria-label": `Parcelas do pedido: ${row.label}` });
    installments.checked = Boolean(choice && choice.installments);
    return el("tr", {}, [el("td", { text: row.label }), el("td", {}, [select]), el("td", {}, [installments])]);
  });
  $("payments-rows").replaceChildren(...rows);
}

async function savePayments() {
  const mapping = {};
  for (const select of document.querySelectorAll("#payments-rows select[data-method]")) {
    if (!select.value) continue;
    const installments = document.querySelector(`#payments-rows input[data-installments="${select.dataset.method}"]`);
    mapping[select.dataset.method] = { tipo_pagamento: select.value, installments: installments.checked };
  }
  await call("set_payments", { mapping });
  toast("Formas de pagamento salvas. Valem para as próximas vendas importadas.");
}

/** *Produtos e pedidos*: SKU matching and the note, each off until the merchant turns it on. */
function renderOptions(options) {
  $("match-by-sku").checked = options.match_by_sku;
  $("write-owner-note").checked = options.write_owner_note;
  $("owner-note-problem").hidden = !(options.write_owner_note && options.owner_note_problem);
  $("owner-note-problem").textContent = options.owner_note_problem || "";
}

async function saveOptions() {
  const options = await call("set_options", {
    matchBySku: $("match-by-sku").checked,
    writeOwnerNote: $("write-owner-note").checked,
  });
  renderOptions(options);
  toast("Preferência salva. Vale para os próximos pedidos importados.");
}

async function renderAbout() {
  const about = await call("about");
  $("app-version").textContent = about.version;
  renderAutostart(about.autostart);
}

/** *Iniciar o Ponte com o computador*, and why the system will not, when it will not. */
function renderAutostart(state) {
  $("autostart").checked = state.on;
  $("autostart-note").hidden = !state.note;
  $("autostart-note").textContent = state.note || "";
}

async function checkUpdate() {
  $("update-state").textContent = "Verificando…";
  $("install-update").hidden = true;
  try {
    const offer = await invoke("check_update");
    if (offer) {
      $("update-state").textContent = `A versão ${offer.version} está disponível. O Ponte termina o pedido em andamento, instala e reinicia.`;
      $("install-update").hidden = false;
    } else {
      $("update-state").textContent = "O Ponte está na versão mais recente.";
    }
  } catch (problem) {
    $("update-state").textContent = (problem && problem.message) || "Não foi possível verificar atualizações agora.";
  }
}

async function installUpdate() {
  for (const id of ["install-update", "update-now"]) $(id).disabled = true;
  $("update-state").textContent = "Baixando a atualização…";
  $("update-message").textContent = "Baixando a atualização…";
  try {
    await invoke("install_update");
  } catch (problem) {
    const said = (problem && problem.message) || "A atualização não pôde ser instalada.";
    $("update-state").textContent = said;
    $("update-message").textContent = said;
    for (const id of ["install-update", "update-now"]) $(id).disabled = false;
  }
}

async function setAutostart() {
  const wanted = $("autostart").checked;
  try {
    renderAutostart(await invoke("set_autostart", { enabled: wanted }));
    toast(wanted ? "O Ponte vai abrir com o computador, na bandeja." : "O Ponte não vai mais abrir com o computador.");
  } catch (problem) {
    $("autostart").checked = !wanted;
    toast((problem && problem.message) || "Não foi possível mudar o início automático.", true);
  }
}

const LGPD_STATES = {
  done: "feito",
  awaiting_confirmation: "aguardando sua confirmação",
  ignored: "ignorado",
  failed: "ainda não atendido",
};

const LGPD_KINDS = {
  customers_redact: "Exclusão de dados de cliente",
  customers_data_request: "Pedido de dados de cliente",
  store_redact: "Exclusão dos dados da loja",
};

async function renderLgpd() {
  const { folder, requests } = await call("lgpd");
  $("lgpd-folder").value = folder;
  $("lgpd-empty").hidden = requests.length > 0;
  $("lgpd-list").replaceChildren(
    ...requests.map((request) => {
      const state = LGPD_STATES[request.state] || request.state;
      const orders = request.orders === 1 ? "1 pedido" : `${request.orders} pedidos`;
      const item = el("li", {}, [
        el("strong", { text: LGPD_KINDS[request.kind] || request.kind }),
        el("span", { class: "muted", text: `${formatDate(request.received_at)} · ${orders} · ${state}` }),
      ]);
      if (request.file) item.append(el("span", { class: "muted", text: `Arquivo: ${request.file}` }));
      if (request.note) item.append(el("span", { class: request.state === "failed" ? "error" : "muted", text: request.note }));
      return item;
    })
  );
}

const VERDICTS = {
  holds: { mark: "✓", text: "Confere", tone: "ok" },
  does_not_hold: { mark: "✗", text: "Não confere", tone: "warn" },
  could_not_tell: { mark: "?", text: "Não foi possível saber", tone: "muted" },
};

/** *Diagnóstico*: one item per assumption, what the service answered and what Ponte does. */
function renderDiagnosis(diagnosis) {
  $("doctor-when").textContent = diagnosis
    ? `Última verificação: ${formatTime(diagnosis.ran_at)}`
    : "Ainda não verificado.";
  const checks = diagnosis ? diagnosis.checks : [];
  $("doctor-list").replaceChildren(
    ...checks.map((check) => {
      const verdict = VERDICTS[check.verdict] || VERDICTS.could_not_tell;
      const service = check.service === "nuvemshop" ? "Nuvemshop" : "Conta Azul";
      return el("li", { class: `doctor-${verdict.tone}` }, [
        el("strong", { text: `${verdict.mark} ${verdict.text} · ${service}` }),
        el("span", { text: check.assumption }),
        el("span", { class: "muted", text: `Resposta: ${check.answer}` }),
        el("span", { class: "muted", text: `O Ponte: ${check.consequence}` }),
      ]);
    })
  );
}

async function runDoctor() {
  const button = $("doctor-run");
  button.disabled = true;
  $("doctor-when").textContent = "Verificando…";
  try {
    renderDiagnosis(await call("run_doctor"));
  } finally {
    button.disabled = false;
  }
}

/** The folder is picked in the system's own folder picker, never typed. */
async function chooseLgpdFolder(useDefault) {
  const folder = await call("choose_lgpd_folder", { default: useDefault });
  if (folder) toast(`Os pedidos de dados serão gravados em ${folder}`);
  await renderLgpd();
}

async function confirmErasure() {
  const erased = await call("confirm_store_erasure");
  toast(`Dados da loja apagados deste computador (${erased} pedidos).`);
  await refresh();
}

async function retry(orderId) {
  await call("retry_order", { orderId });
  toast("Pedido de volta à fila: o Ponte tenta importar agora.");
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = el("textarea", {});
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

async function copyReport(orderId) {
  await copyText(await call("support_report", { orderId }));
  toast("Relatório copiado. Cole na mensagem para o suporte, com a URL do pedido na Nuvemshop.");
}

// ---- Wiring ---------------------------------------------------------------------------

/** Passes of at least this many orders (a catch-up) show their progress. */
const LONG_PASS = 10;

/** A long catch-up's progress bar: shown while a pass of many orders runs, gone at its end. */
function showProgress(event) {
  if (!event) return;
  // A period being read (a backfill, a reconciliation): how far the listing got.
  if (event.kind === "orders_listed" && !$("period-working").hidden) {
    const base = $("period-working").dataset.message || "";
    $("period-working").textContent = `${base} ${count(event.count, "pedido lido", "pedidos lidos")} da Nuvemshop.`;
    return;
  }
  if (event.kind === "progress" && event.total >= LONG_PASS && event.done < event.total) {
    $("progress-bar").max = event.total;
    $("progress-bar").value = event.done;
    const number = new Intl.NumberFormat("pt-BR");
    $("progress-text").textContent = `Importando pedidos: ${number.format(event.done)} de ${number.format(event.total)}`;
    $("progress").hidden = false;
  } else if (event.kind === "sync_finished" || (event.kind === "progress" && event.done >= event.total)) {
    $("progress").hidden = true;
  }
}

let refreshTimer;
/** Whether a refresh the merchant asked for waits among the debounced ones: it wins. */
let refreshFull = false;
function refreshSoon({ background = false } = {}) {
  if (!background) refreshFull = true;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    const full = refreshFull;
    refreshFull = false;
    refresh({ background: !full }).catch(shown);
  }, 150);
}

/** *Tentar novamente todos*: every failed order back in the queue; the pass follows. */
async function retryAll() {
  const retried = await call("retry_all_failed");
  toast(`${count(retried, "pedido", "pedidos")} de volta à fila.`);
  refreshSoon();
}

/** *Exportar planilha*: the list goes to the Downloads folder as a CSV Excel opens. */
async function exportList(state) {
  const path = await call("export_csv", { state });
  toast(`Planilha salva em ${path}`);
}

function wire() {
  document.getElementById("pairing-form").addEventListener("submit", usePairingCode);
  $("lgpd-folder-choose").addEventListener("click", () => chooseLgpdFolder(false).catch(shown));
  $("lgpd-folder-default").addEventListener("click", () => chooseLgpdFolder(true).catch(shown));
  $("check-update").addEventListener("click", checkUpdate);
  $("doctor-run").addEventListener("click", () => runDoctor().catch(() => renderDiagnosis(null)));
  $("retry-all").addEventListener("click", () => retryAll().catch(shown));
  $("payments-suggested").addEventListener("click", () => shownPayments && renderPayments(shownPayments, true));
  $("payments-save").addEventListener("click", () => savePayments().catch(shown));
  for (const button of document.querySelectorAll("button.export")) {
    button.addEventListener("click", () => exportList(button.dataset.state).catch(shown));
  }
  $("install-update").addEventListener("click", installUpdate);
  $("update-now").addEventListener("click", installUpdate);
  $("autostart").addEventListener("change", setAutostart);
  for (const id of ["match-by-sku", "write-owner-note"]) {
    $(id).addEventListener("change", () => saveOptions().catch(() => refreshSoon()));
  }
  $("confirm-erasure").addEventListener("click", () => confirmErasure().catch(shown));
  $("period-form").addEventListener("submit", (event) => reconcilePeriod(event).catch(shown));
  $("backfill-preview").addEventListener("click", () => previewBackfill().catch(shown));
  $("details-close").addEventListener("click", () => $("details").close());
  $("details-copy").addEventListener("click", () => copyText($("details-text").textContent).then(() => toast("Copiado.")));
  document.getElementById("pairing-code").addEventListener("input", () => {
    document.getElementById("pairing-error").hidden = true;
  });
  for (const button of document.querySelectorAll('[data-role="connect"]')) {
    button.addEventListener("click", () => connect(button.dataset.account));
  }
  $("activate").addEventListener("click", async () => {
    const sellerId = $("activate-seller").value;
    try {
      await invoke("activate", { sellerId, autostart: $("activate-autostart").checked });
      await refresh();
    } catch (problem) {
      $("activate-error").hidden = false;
      $("activate-error").textContent = `${problem.message} ${problem.hint || ""}`;
    }
  });
  $("toggle").addEventListener("click", async () => {
    const enabled = $("toggle").getAttribute("aria-checked") !== "true";
    await call("set_enabled", { enabled });
    await refresh();
  });
  $("sync-now").addEventListener("click", async () => {
    await call("sync_now");
    toast("Verificando novos pedidos…");
  });
  $("redo").addEventListener("click", async () => {
    const attention = ui.overview.status.attention;
    const account = (attention && attention.reconnect) || "nuvemshop";
    $("redo").disabled = true;
    try {
      await connectFromDashboard(account);
    } finally {
      $("redo").disabled = false;
    }
  });
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  }
  let searchTimer;
  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      ui.search = $("search").value.trim();
      ui.page = 0;
      renderImported();
    }, 200);
  });
  $("prev-page").addEventListener("click", () => { ui.page = Math.max(0, ui.page - 1); renderImported(); });
  $("next-page").addEventListener("click", () => { ui.page += 1; renderImported(); });
  $("interval").addEventListener("change", async () => {
    await call("set_poll_interval", { minutes: Number($("interval").value) });
    toast("Intervalo de verificação atualizado.");
  });
  $("settings-seller").addEventListener("change", async () => {
    await call("set_seller", { sellerId: $("settings-seller").value });
    toast("Vendedor atualizado para as próximas vendas.");
    refreshSoon();
  });
  for (const button of document.querySelectorAll("[data-account-action]")) {
    button.addEventListener("click", async () => {
      const account = button.dataset.accountAction;
      if (button.dataset.connected === "true") {
        await call("disconnect", { account });
        refreshSoon();
      } else {
        await connectFromDashboard(account);
      }
    });
  }
  listen("ponte://event", (event) => {
    showProgress(event.payload);
    refreshSoon({ background: true });
  });
  listen("ponte://schedule", (event) => {
    if (ui.overview) ui.overview.schedule = event.payload;
    renderSchedule(event.payload);
  });
  listen("ponte://update", (event) => {
    if (ui.overview) ui.overview.update = event.payload;
    renderUpdate(event.payload);
  });
  listen("ponte://link", () => refreshSoon({ background: true }));
  listen("ponte://authorize-url", (event) => {
    const { service, url } = event.payload;
    ui.authorizeUrls[service] = url;
    if (!$("screen-dashboard").hidden) showAuthLink(service, url);
    else renderConnect();
  });
}

wire();
refresh().catch(() => toast("O Ponte não conseguiu carregar seus dados. Feche e abra de novo.", true));
