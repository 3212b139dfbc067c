// The window's shared pieces: the DOM and formatting helpers, the toast, and `call`, through
// which every command goes (a failure shows its Portuguese message and hint).

/** @typedef {import("../src-tauri/window-types/Answers").Answers} Answers */
/** @typedef {import("../src-tauri/window-types/Overview").Overview} Overview */

const tauriInvoke = window.__TAURI__.core.invoke;
/**
 * A command, its failure left to the caller. The answer has the type the command's Rust answer
 * has (src-tauri/window-types/, generated): a field read that no answer carries fails `tsc`.
 * @template {keyof Answers} C
 * @param {C} command
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<Answers[C]>}
 */
export const invoke = (command, args = {}) => tauriInvoke(command, args);
export const { listen } = window.__TAURI__.event;
// Dates and times as a Brazilian reads them, whatever the system's language.
export { formatDate, formatTime } from "./dates.js";

export const PAGE_SIZE = 25;
export const money = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
/**
 * An element of the page by its id (every id the script asks for is checked to be in the page).
 * @param {string} id
 * @returns {any}
 */
export const $ = (id) => document.getElementById(id);
/**
 * The first element under `root` a selector finds, or null.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any}
 */
export const one = (selector, root = document) => root.querySelector(selector);
/**
 * Every element under `root` a selector finds.
 * @param {string} selector
 * @param {ParentNode} [root]
 * @returns {any[]}
 */
export const all = (selector, root = document) => [...root.querySelectorAll(selector)];

/**
 * What the window holds between refreshes.
 * @type {{ overview: Overview | null, tab: string, page: number, search: string,
 *   connecting: Record<string, boolean>, connectErrors: Record<string, { message: string, hint?: string }>,
 *   authorizeUrls: Record<string, string>, codeForms: Record<string, boolean>,
 *   adminOrdersUrl: string | null, openedOrder: number | null, storesShown: boolean }}
 */
export const ui = {
  overview: null,
  tab: "imported",
  page: 0,
  search: "",
  connecting: {},
  connectErrors: {},
  authorizeUrls: {},
  codeForms: {},
  adminOrdersUrl: null,
  // The order whose notification was clicked: its card stays marked.
  openedOrder: null,
  // *Todas as lojas* is on screen (it stays until a store is opened).
  storesShown: false,
};

export function formatMoney(text) {
  const value = Number(text);
  return Number.isFinite(value) ? money.format(value).replace(/\u00a0/g, " ") : "—";
}
/** A count with its word in the number it needs: `1 pedido`, `3 pedidos` (never `pedido(s)`). */
export function count(n, one, many) {
  return `${new Intl.NumberFormat("pt-BR").format(n)} ${n === 1 ? one : many}`;
}
/** A name from the store, as plain text in its own writing direction: an Arabic or Hebrew
 * name, or a stray direction mark, never reorders the number or amount beside it. */
export function isolated(text, fallback = "—") {
  return el("bdi", { class: "name", text: text || fallback });
}
export function el(tag, props = {}, children = []) {
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

/** Puts text on the clipboard (the system's, or the page's selection where that is refused). */
export async function copyText(text) {
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

export let toastTimer;
export function toast(message, isError = false) {
  const node = $("toast");
  node.textContent = message;
  node.classList.toggle("error", isError);
  node.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (node.hidden = true), 5000);
}

/**
 * Calls a command; a failure shows its Portuguese message and hint, never a raw error. Its
 * answer has the type the command's Rust answer has (src-tauri/window-types/).
 * @template {keyof Answers} C
 * @param {C} command
 * @param {Record<string, unknown>} [args]
 * @returns {Promise<Answers[C]>}
 */
export async function call(command, args = {}) {
  try {
    return await invoke(command, args);
  } catch (problem) {
    toastProblem(problem);
    throw problem;
  }
}

/** A problem's Portuguese message and what to do, in the toast. */
export function toastProblem(problem) {
  const message = problem && problem.message ? `${problem.message} ${problem.hint || ""}` : "Algo deu errado. Tente de novo.";
  toast(message.trim(), true);
}

/**
 * The end of every action's promise. A problem a command answered was already shown by `call`;
 * anything else is a fault of the window itself: logged with its reason and told, never
 * swallowed.
 */
export function shown(error) {
  if (error && error.code) return;
  console.error("Ponte window:", error);
  toast("Algo deu errado nesta tela. Tente de novo; se continuar, feche e abra o Ponte.", true);
}

/** Shows one screen; a screen newly shown takes the focus on its heading, so that a screen
 * reader says where the merchant now is (and the keyboard starts from there). */
export function show(screen) {
  const changed = $(screen).hidden;
  for (const id of ["loading", "screen-stores", "screen-connect", "screen-activate", "screen-dashboard"]) {
    $(id).hidden = id !== screen;
  }
  const heading = one("h1", $(screen));
  if (changed && heading && screen !== "loading") {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

/** How the window re-reads the core's state: `main.js` says how (it knows every screen), the
 * screens only ask. */
/** @typedef {{ background?: boolean }} RefreshOptions */
/** @type {{ now: (options?: RefreshOptions) => Promise<void>, soon: (options?: RefreshOptions) => void }} */
let refresher = { now: async () => {}, soon: () => {} };
/**
 * @param {(options?: RefreshOptions) => Promise<void>} now
 * @param {(options?: RefreshOptions) => void} soon
 */
export function onRefresh(now, soon) {
  refresher = { now, soon };
}
/** @param {RefreshOptions} [options] */
export function refresh(options) {
  return refresher.now(options);
}
/** @param {RefreshOptions} [options] */
export function refreshSoon(options) {
  return refresher.soon(options);
}
