// Several stores (issue 26): the switcher in the top bar, *Todas as lojas* (every store at a
// glance, each one opening), *Adicionar loja*, and a store's removal from Configurações. A store
// that needs the merchant is seen from any other: marked in the switcher and counted on
// *Todas as lojas*.

import { $, call, count, el, refresh, show, toast, ui } from "./dom.js";

/** What a store's state says in a word, for the overview's cards. */
const ATTENTION = {
  fine: "Tudo certo",
  orders_failed: "Pedidos não importados",
  switched_off: "Integração desativada",
  access_lost: "Conecte de novo",
};

/** @param {import("../src-tauri/window-types/ProfileSummary").ProfileSummary} p */
function needsTheMerchant(p) {
  return p.attention === "orders_failed" || p.attention === "access_lost";
}

/** The switcher and *Todas as lojas*' count, from the overview. */
export function renderStores() {
  const { profiles, profile, status } = ui.overview;
  const several = profiles.length > 1;
  // *Adicionar loja* once the first store imports (or there are several already).
  $("stores").hidden = !several && !status.activated_at;
  $("store-switch-row").hidden = !several;
  $("stores-all").hidden = !several;
  // The other stores that need the merchant are marked; the shown one says it on its own
  // dashboard (and its name stays whole in the closed list).
  const options = profiles.map((p) =>
    el("option", {
      value: p.name,
      text: p.name !== profile && needsTheMerchant(p) ? `${p.title} — precisa de atenção` : p.title,
    })
  );
  $("store-switch").replaceChildren(...options);
  $("store-switch").value = profile;
  const others = profiles.filter((p) => p.name !== profile && needsTheMerchant(p));
  $("stores-attention").hidden = others.length === 0;
  $("stores-attention").textContent = String(others.length);
  $("stores-all").setAttribute(
    "aria-label",
    others.length ? `Todas as lojas: ${count(others.length, "outra loja precisa", "outras lojas precisam")} de atenção` : "Todas as lojas"
  );
  $("stores-all").title = others.map((p) => `${p.title}: ${p.attention_message || ATTENTION[p.attention]}`).join("\n");
  $("new-store-note").hidden = !several || profile === profiles[0].name;
}

/** *Todas as lojas*: a card per store. */
export function renderStoreCards() {
  const { profiles, profile } = ui.overview;
  const cards = profiles.map((p) =>
    el("article", { class: `store-card${needsTheMerchant(p) ? " attention" : ""}`, "data-profile": p.name }, [
      el("h2", { text: p.title }),
      el("p", { class: "muted", text: p.company_name ? `Conta Azul: ${p.company_name}` : "Conta Azul não conectada" }),
      el("dl", { class: "store-figures" }, [
        el("div", {}, [el("dt", { text: "Importadas hoje" }), el("dd", { "data-figure": "imported-today", text: String(p.imported_today) })]),
        el("div", {}, [el("dt", { text: "Não importados" }), el("dd", { "data-figure": "failed", text: String(p.counts.failed) })]),
      ]),
      el("p", {
        class: needsTheMerchant(p) ? "error" : p.enabled ? "ok" : "muted",
        text: p.attention_message || (p.enabled ? "Integração ativada" : ATTENTION[p.attention]),
      }),
      el("button", {
        class: p.name === profile ? "secondary small" : "primary small",
        type: "button",
        "data-open-profile": p.name,
        text: p.name === profile ? "Voltar para esta loja" : "Abrir",
      }),
    ])
  );
  $("store-cards").replaceChildren(...cards);
}

/** The window shows `name` from now on, at the tab it was on (settings side by side). */
export async function openStore(name) {
  await call("show_profile", { name });
  ui.storesShown = false;
  ui.page = 0;
  ui.search = "";
  ui.authorizeUrls = {};
  ui.connectErrors = {};
  await refresh();
}

/** *Todas as lojas*. */
export function showStores() {
  ui.storesShown = true;
  renderStoreCards();
  show("screen-stores");
}

/** *Adicionar loja*: a new store, at its first step. */
export async function addStore() {
  $("add-store").disabled = true;
  try {
    await call("add_store");
    ui.storesShown = false;
    ui.authorizeUrls = {};
    ui.connectErrors = {};
    await refresh();
  } finally {
    $("add-store").disabled = false;
  }
}

/** *Remover esta loja…*: what goes and what stays, before the merchant confirms. */
export async function askToRemoveStore() {
  $("remove-notice").textContent = await call("store_removal", { name: ui.overview.profile });
  $("remove-confirm").dataset.profile = ui.overview.profile;
  $("remove-confirm").hidden = false;
  $("remove-cancel").focus();
}

/** Removal confirmed (or *Desistir desta loja*, for a store never connected). */
export async function removeStore() {
  const removed = ui.overview.profiles.find((p) => p.name === ui.overview.profile);
  await call("remove_store", { name: ui.overview.profile });
  if ($("remove-confirm")) $("remove-confirm").hidden = true;
  toast(`${removed ? removed.title : "A loja"} foi removida do Ponte.`);
  await refresh();
}
