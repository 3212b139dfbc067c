// Ponte's window: renders what the core reports and calls its commands. It refreshes on the
// core's events, never by polling. This module starts it and wires its buttons.

import { $, all, call, copyText, count, invoke, listen, one, onRefresh, show, shown, toast, toastProblem, ui } from "./dom.js";
import { connect, renderActivate, renderConnect, usePairingCode } from "./connect.js";
import { connectFromDashboard, openOrder, renderDashboard, renderImported, renderSchedule, renderTab, renderUpdate, selectTab, showAuthLink } from "./dashboard.js";
import { previewBackfill, reconcilePeriod, setUpPeriodFields } from "./period.js";
import { addStore, askToRemoveStore, openStore, removeStore, renderStoreCards, renderStores, showStores } from "./stores.js";
import { checkUpdate, chooseLgpdFolder, confirmErasure, installUpdate, renderDiagnosis, renderLgpd, renderPayments, runDoctor, saveOptions, savePayments, setAutostart, shownPayments } from "./settings.js";

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
  renderStores();
  if (ui.storesShown) {
    renderStoreCards();
    show("screen-stores");
    return;
  }
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

// ---- Wiring ---------------------------------------------------------------------------

/** Passes of at least this many orders (a catch-up) show their progress. */
export const LONG_PASS = 10;

/** A long catch-up's progress bar: shown while a pass of many orders runs, gone at its end. */
export function showProgress(event) {
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

export let refreshTimer;
/** Whether a refresh the merchant asked for waits among the debounced ones: it wins. */
export let refreshFull = false;
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
export async function retryAll() {
  const retried = await call("retry_all_failed");
  toast(`${count(retried, "pedido", "pedidos")} de volta à fila.`);
  refreshSoon();
}

/** *Exportar planilha*: the list goes to the Downloads folder as a CSV Excel opens. */
export async function exportList(state) {
  const path = await call("export_csv", { state });
  toast(`Planilha salva em ${path}`);
}

/**
 * *Configurações* is built when first opened (settings.js): its controls answer through the
 * panel, which is there from the start.
 */
function wireSettings() {
  /** @type {Record<string, () => unknown>} */
  const clicks = {
    "lgpd-folder-choose": () => chooseLgpdFolder(false).catch(shown),
    "lgpd-folder-default": () => chooseLgpdFolder(true).catch(shown),
    "check-update": checkUpdate,
    "doctor-run": () => runDoctor().catch(() => renderDiagnosis(null)),
    "payments-suggested": () => shownPayments && renderPayments(shownPayments, true),
    "payments-save": () => savePayments().catch(shown),
    "install-update": installUpdate,
    "remove-store": () => askToRemoveStore().catch(shown),
    "remove-cancel": () => {
      $("remove-confirm").hidden = true;
      $("remove-store").focus();
    },
    "remove-confirmed": () => removeStore().catch(shown),
  };
  /** @type {Record<string, () => unknown>} */
  const changes = {
    autostart: setAutostart,
    "match-by-sku": () => saveOptions().catch(() => refreshSoon()),
    "write-owner-note": () => saveOptions().catch(() => refreshSoon()),
    interval: async () => {
      await call("set_poll_interval", { minutes: Number($("interval").value) });
      toast("Intervalo de verificação atualizado.");
    },
    "settings-seller": async () => {
      await call("set_seller", { sellerId: $("settings-seller").value });
      toast("Vendedor atualizado para as próximas vendas.");
      refreshSoon();
    },
  };
  const panel = $("panel-settings");
  panel.addEventListener("click", async (/** @type {MouseEvent} */ event) => {
    const button = /** @type {HTMLElement} */ (event.target).closest("button");
    if (!button) return;
    if (clicks[button.id]) return clicks[button.id]();
    const account = button.dataset.accountAction;
    if (!account) return;
    if (button.dataset.connected === "true") {
      await call("disconnect", { account });
      refreshSoon();
    } else {
      await connectFromDashboard(account);
    }
  });
  panel.addEventListener("change", (/** @type {Event} */ event) => {
    const id = /** @type {HTMLElement} */ (event.target).id;
    if (changes[id]) Promise.resolve(changes[id]()).catch(shown);
  });
}

function wireStores() {
  $("store-switch").addEventListener("change", () => openStore($("store-switch").value).catch(shown));
  $("stores-all").addEventListener("click", showStores);
  $("add-store").addEventListener("click", () => addStore().catch(shown));
  $("give-up-store").addEventListener("click", () => removeStore().catch(shown));
  $("store-cards").addEventListener("click", (/** @type {MouseEvent} */ event) => {
    const button = /** @type {HTMLElement | null} */ (/** @type {HTMLElement} */ (event.target).closest("button[data-open-profile]"));
    if (button) openStore(button.dataset.openProfile).catch(shown);
  });
  // Another store's orders and switch: its line in the switcher and its card follow.
  listen("ponte://other-profile", () => refreshSoon({ background: true }));
}

export function wire() {
  wireStores();
  $("pairing-form").addEventListener("submit", usePairingCode);
  $("retry-all").addEventListener("click", () => retryAll().catch(shown));
  for (const button of all("button.export")) {
    button.addEventListener("click", () => exportList(button.dataset.state).catch(shown));
  }
  $("update-now").addEventListener("click", installUpdate);
  wireSettings();
  $("confirm-erasure").addEventListener("click", () => confirmErasure().catch(shown));
  setUpPeriodFields();
  $("period-form").addEventListener("submit", (event) => reconcilePeriod(event).catch(shown));
  $("backfill-preview").addEventListener("click", () => previewBackfill().catch(shown));
  $("details-close").addEventListener("click", () => $("details").close());
  $("details-copy").addEventListener("click", () => copyText($("details-text").textContent).then(() => toast("Copiado.")));
  $("pairing-code").addEventListener("input", () => {
    $("pairing-error").hidden = true;
  });
  for (const button of all('[data-role="connect"]')) {
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
  for (const tab of all(".tab")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  }
  // The tabs as a screen reader and the keyboard expect them: ← → Home End move and select.
  one(".tabs").addEventListener("keydown", (/** @type {KeyboardEvent} */ event) => {
    const tabs = all(".tab");
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (to === undefined) return;
    event.preventDefault();
    const next = tabs[(to + tabs.length) % tabs.length];
    next.focus();
    selectTab(next.dataset.tab);
  });
  // The dashboard's note on sales before the activation leads to their import.
  $("go-backfill").addEventListener("click", () => {
    selectTab("period");
    $("period-from").focus();
  });
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
  // The notification's store is shown by then: its dashboard first, then the card.
  listen("ponte://open-order", (event) => {
    ui.storesShown = false;
    refresh()
      .then(() => openOrder(event.payload))
      .catch(shown);
  });
  listen("ponte://authorize-url", (event) => {
    const { service, url } = event.payload;
    ui.authorizeUrls[service] = url;
    if (!$("screen-dashboard").hidden) showAuthLink(service, url);
    else renderConnect();
  });
}

wire();
onRefresh(refresh, refreshSoon);
refresh().catch(() => toast("O Ponte não conseguiu carregar seus dados. Feche e abra de novo.", true));
