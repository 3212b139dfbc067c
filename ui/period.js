// *Conferir período*: a period's orders against Conta Azul's sales, and the import of orders
// from before the activation.

import { $, call, count, el, formatDate, formatMoney, isolated, shown, toast, ui } from "./dom.js";
import { dayFromTyped, formatDay, isoDay, maskDay } from "./dates.js";
import { planList } from "./plans.js";

// ---- Conferir período ----------------------------------------------------------------

export function periodArgs() {
  return { from: $("period-from").value, to: $("period-to").value };
}

export function renderPeriod() {
  if (!$("period-from").value) $("period-from").value = formatDay(isoDay(-30));
  if (!$("period-to").value) $("period-to").value = formatDay(isoDay(0));
  return renderBackfillHistory();
}

/**
 * The period's two fields take dd/mm/aaaa whatever the system's language: the slashes come as
 * the digits are typed, and a field that is not a day of the calendar says so under the fields
 * (the period's own rules — not in the future, at most a year — are the core's, in its answer).
 */
export function setUpPeriodFields() {
  for (const id of ["period-from", "period-to"]) {
    const field = $(id);
    field.addEventListener("input", (/** @type {InputEvent} */ event) => {
      // Deleting leaves the rest as it is, so that a slash can be deleted too.
      if (!(event.inputType || "").startsWith("delete")) field.value = maskDay(field.value);
      if (field.getAttribute("aria-invalid") === "true" && dayFromTyped(field.value)) markDay(field, true);
    });
    field.addEventListener("change", () => markDay(field, field.value === "" || dayFromTyped(field.value) !== null));
  }
}

/** A field marked right or wrong; the message names the first wrong one. */
function markDay(field, right) {
  field.setAttribute("aria-invalid", String(!right));
  const wrong = ["period-from", "period-to"].find((id) => $(id).getAttribute("aria-invalid") === "true");
  $("period-error").textContent = wrong
    ? `${wrong === "period-from" ? "De" : "Até"}: “${$(wrong).value}” não é uma data. Escreva dd/mm/aaaa, por exemplo 06/11/2026.`
    : "";
  $("period-error").hidden = !wrong;
}

/** Whether both fields hold a day; if not, the first wrong one is focused, the message shown. */
function periodIsValid() {
  for (const id of ["period-from", "period-to"]) markDay($(id), dayFromTyped($(id).value) !== null);
  const wrong = ["period-from", "period-to"].find((id) => $(id).getAttribute("aria-invalid") === "true");
  if (wrong) $(wrong).focus();
  return !wrong;
}

export async function renderBackfillHistory() {
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

/** While a period is read (a long one takes a while), what is happening. */
export async function working(message, task) {
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
export function adminLink(orderId) {
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

export async function reconcilePeriod(event) {
  if (event) event.preventDefault();
  if (!periodIsValid()) return;
  const args = periodArgs();
  const report = await working("Conferindo o período na Nuvemshop e na Conta Azul…", () => call("reconcile", args));
  $("backfill-result").hidden = true;
  const result = $("reconcile-result");
  const parts = [
    el("h2", { text: `Conferência de ${formatDay(report.period.from)} a ${formatDay(report.period.to)}` }),
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
        el("h2", { text: `Faltando na Conta Azul (${report.missing.length})` }),
        el("button", {
          class: "primary small",
          id: "import-all-missing",
          text: "Importar todos",
          onclick: () => importMissing(args, report.missing.map((m) => m.order_id)).catch(shown),
        }),
      ]),
      el("table", { class: "table missing-table" }, [
        el("thead", {}, [
          el("tr", {}, [
            ...["Pedido", "Cliente", "Total", "Data", "Por quê"].map((h) => el("th", { text: h })),
            el("th", {}, [el("span", { class: "visually-hidden", text: "Ação" })]),
          ]),
        ]),
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
    parts.push(el("h2", { text: `Para conferir (${report.flagged.length})` }));
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

export async function importMissing(args, orderIds) {
  const planned = await call("import_missing", { ...args, orderIds });
  toast(`${count(planned.queued, "pedido", "pedidos")} na fila, ${planned.recorded} já na Conta Azul, ${planned.recorded === 1 ? "só registrado" : "só registrados"}. O Ponte importa agora.`);
  await reconcilePeriod();
}

export function namesBlock(title, names) {
  return el("div", {}, [
    el("strong", { text: `${title} (${names.length})` }),
    el("span", { class: "muted", text: names.length ? names.join(", ") : "nenhum" }),
  ]);
}

export async function previewBackfill() {
  if (!periodIsValid()) return;
  const args = periodArgs();
  const preview = await working("Lendo os pedidos do período e procurando clientes e produtos na Conta Azul…", () =>
    call("backfill_preview", args)
  );
  $("reconcile-result").hidden = true;
  // `until` is exclusive (midnight after the last day, or the activation moment).
  const until = formatDate(new Date(new Date(preview.until).getTime() - 1000).toISOString());
  const parts = [
    el("h2", { text: `Pedidos pagos de ${formatDay(preview.period.from)} a ${until}, antes da ativação` }),
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
          box.append(planList(plan.order_id, plan));
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

export async function confirmBackfill(args, button) {
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

export async function renderSkipped() {
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
