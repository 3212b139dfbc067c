// *O que vai acontecer*: the customer and products an order would use or create, and why —
// on an order's card and in the backfill's preview, one renderer for both.

import { all, call, el, isolated, one } from "./dom.js";

export const PLAN_MARKS = { reuse: "usar", create: "criar", problem: "problema" };

/** *O que vai acontecer*: the customer and products an order would use or create, and why.
 * Open plans are kept across re-renders (the lists are rebuilt on every event). */
export const openPlans = new Map();

export function planList(orderId, plan) {
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
export function restorePlans(container) {
  for (const card of all("[data-order]", container)) {
    const plan = openPlans.get(Number(card.dataset.order));
    if (plan && !one(".plan", card)) card.append(planList(card.dataset.order, plan));
  }
}

export async function togglePlan(orderId) {
  if (openPlans.has(orderId)) {
    openPlans.delete(orderId);
    for (const shown of all(`.plan[data-order="${orderId}"]`)) shown.remove();
    return;
  }
  const plan = await call("order_plan", { orderId });
  openPlans.set(orderId, plan);
  // Found again: the list may have been rebuilt while Conta Azul was asked.
  for (const card of all(`article[data-order="${orderId}"]`)) {
    if (!one(".plan", card)) card.append(planList(orderId, plan));
  }
}
