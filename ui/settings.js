// *Configurações*: interval, seller, accounts, payment table, options, updates, autostart,
// LGPD requests and the diagnosis.

import { $, all, call, copyText, count, el, formatDate, formatTime, invoke, one, refresh, toast, ui } from "./dom.js";
import { fillSellers } from "./connect.js";

/** *Configurações*, built from its template the first time it is opened. */
export function buildSettings() {
  const panel = $("panel-settings");
  if (!panel.firstElementChild) panel.append($("settings-template").content.cloneNode(true));
}

/** Whether *Configurações* has been opened (its controls exist). */
export function settingsBuilt() {
  return Boolean($("panel-settings").firstElementChild);
}

/** *Contas* and the check interval, as the overview has them. */
export function renderAccounts() {
  if (!settingsBuilt()) return;
  const { status, poll_interval_minutes: interval } = ui.overview;
  for (const account of ["nuvemshop", "contaazul"]) {
    const connected = status[account].connected;
    const stateNode = one(`[data-account-state="${account}"]`);
    // The row names the store and the company beside it (#store-id, #company-name).
    stateNode.textContent = connected ? "Conectado" : "Não conectado";
    stateNode.className = connected ? "ok" : "off";
    const action = one(`[data-account-action="${account}"]`);
    action.textContent = connected ? "Desconectar" : "Conectar";
    action.dataset.connected = String(connected);
  }
  // The store's name where it is known; its id otherwise (and on hover).
  const storeId = status.nuvemshop.store_id;
  $("store-id").textContent = status.nuvemshop.store_name || (storeId ? `Loja ${storeId}` : "");
  $("store-id").title = storeId ? `Loja ${storeId}` : "";
  $("company-name").textContent = status.contaazul.company_name || "";
  $("interval").value = String(interval);
  // Removal is for a store added beside the first one (whose data is Ponte's own folder).
  const shownProfile = ui.overview.profiles.find((p) => p.name === ui.overview.profile);
  $("remove-store-card").hidden = !shownProfile || shownProfile.default;
  // The confirmation stays through the refreshes its store's imports bring.
  if ($("remove-confirm").dataset.profile !== ui.overview.profile) $("remove-confirm").hidden = true;
}

export async function renderSettings() {
  buildSettings();
  renderAccounts();
  const seller = ui.overview.status.seller;
  await fillSellers($("settings-seller"), seller && seller.id);
  renderPayments(await call("payments"));
  renderOptions(await call("options"));
  await renderAbout();
  await renderLgpd();
  renderDiagnosis(await call("diagnosis"));
}

/** The table as last loaded: *Usar sugestão* fills it at once, so a *Salvar* right after saves it. */
export let shownPayments = null;

/** *Forma de pagamento na Conta Azul*: one row per way of paying; no choice = the article's rule. */
export function renderPayments(payments, useSuggested = false) {
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

export async function savePayments() {
  const mapping = {};
  for (const select of all("#payments-rows select[data-method]")) {
    if (!select.value) continue;
    const installments = one(`#payments-rows input[data-installments="${select.dataset.method}"]`);
    mapping[select.dataset.method] = { tipo_pagamento: select.value, installments: installments.checked };
  }
  await call("set_payments", { mapping });
  toast("Formas de pagamento salvas. Valem para as próximas vendas importadas.");
}

/** *Produtos e pedidos*: SKU matching and the note, each off until the merchant turns it on. */
export function renderOptions(options) {
  $("match-by-sku").checked = options.match_by_sku;
  $("write-owner-note").checked = options.write_owner_note;
  $("owner-note-problem").hidden = !(options.write_owner_note && options.owner_note_problem);
  $("owner-note-problem").textContent = options.owner_note_problem || "";
}

export async function saveOptions() {
  const options = await call("set_options", {
    matchBySku: $("match-by-sku").checked,
    writeOwnerNote: $("write-owner-note").checked,
  });
  renderOptions(options);
  toast("Preferência salva. Vale para os próximos pedidos importados.");
}

export async function renderAbout() {
  const about = await call("about");
  $("app-version").textContent = about.version;
  renderAutostart(about.autostart);
}

/** *Iniciar o Ponte com o computador*, and why the system will not, when it will not. */
export function renderAutostart(state) {
  $("autostart").checked = state.on;
  $("autostart-note").hidden = !state.note;
  $("autostart-note").textContent = state.note || "";
}

export async function checkUpdate() {
  $("update-state").textContent = "Verificando…";
  $("install-update").hidden = true;
  try {
    const { offer, said } = await invoke("check_update");
    $("update-state").textContent = said;
    $("install-update").hidden = !offer;
  } catch (problem) {
    $("update-state").textContent = (problem && problem.message) || "Não foi possível verificar atualizações agora.";
  }
}

/** What *Sobre o Ponte* says about the update, once it has been opened. */
function updateState(said) {
  if ($("update-state")) $("update-state").textContent = said;
}

function updateButtonsDisabled(disabled) {
  for (const id of ["install-update", "update-now"]) if ($(id)) $(id).disabled = disabled;
}

export async function installUpdate() {
  updateButtonsDisabled(true);
  updateState("Baixando a atualização…");
  $("update-message").textContent = "Baixando a atualização…";
  try {
    await invoke("install_update");
  } catch (problem) {
    const said = (problem && problem.message) || "A atualização não pôde ser instalada.";
    updateState(said);
    $("update-message").textContent = said;
    updateButtonsDisabled(false);
  }
}

export async function setAutostart() {
  const wanted = $("autostart").checked;
  try {
    const state = await invoke("set_autostart", { enabled: wanted });
    renderAutostart(state);
    toast(state.said);
  } catch (problem) {
    $("autostart").checked = !wanted;
    toast((problem && problem.message) || "Não foi possível mudar o início automático.", true);
  }
}

export async function renderLgpd() {
  const { folder, requests } = await call("lgpd");
  $("lgpd-folder").value = folder;
  $("lgpd-empty").hidden = requests.length > 0;
  $("lgpd-list").replaceChildren(
    ...requests.map((request) => {
      const orders = count(request.orders, "pedido", "pedidos");
      const item = el("li", {}, [
        el("strong", { text: request.kind_label }),
        el("span", { class: "muted", text: `${formatDate(request.received_at)} · ${orders} · ${request.state_label}` }),
      ]);
      if (request.file) item.append(el("span", { class: "muted", text: `Arquivo: ${request.file}` }));
      if (request.note) item.append(el("span", { class: request.state === "failed" ? "error" : "muted", text: request.note }));
      return item;
    })
  );
}

export const VERDICTS = {
  holds: { mark: "✓", text: "Confere", tone: "ok" },
  does_not_hold: { mark: "✗", text: "Não confere", tone: "warn" },
  could_not_tell: { mark: "?", text: "Não foi possível saber", tone: "muted" },
};

/** *Diagnóstico*: one item per assumption, what the service answered and what Ponte does. */
export function renderDiagnosis(diagnosis) {
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

export async function runDoctor() {
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
export async function chooseLgpdFolder(useDefault) {
  const folder = await call("choose_lgpd_folder", { default: useDefault });
  if (folder) toast(`Os pedidos de dados serão gravados em ${folder}`);
  await renderLgpd();
}

export async function confirmErasure() {
  const erased = await call("confirm_store_erasure");
  toast(`Dados da loja apagados deste computador (${erased} pedidos).`);
  await refresh();
}

export async function retry(orderId) {
  await call("retry_order", { orderId });
  toast("Pedido de volta à fila: o Ponte tenta importar agora.");
}

export async function copyReport(orderId) {
  await copyText(await call("support_report", { orderId }));
  toast("Relatório copiado. Cole na mensagem para o suporte, com a URL do pedido na Nuvemshop.");
}
