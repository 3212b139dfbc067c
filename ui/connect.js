// The first run: connecting both accounts (through the browser, a pairing code or the code the
// broker's page shows) and the activation with the seller.

import { $, call, copyText, el, invoke, one, refresh, shown, toast, ui } from "./dom.js";

// ---- First run ------------------------------------------------------------------------

export function renderConnect() {
  const { status } = ui.overview;
  // Installs that start in the Nuvemshop admin come back with a code (through the broker only).
  $("pairing").hidden = !ui.overview.pairing_codes || status.nuvemshop.connected;
  for (const account of ["nuvemshop", "contaazul"]) {
    const step = one(`.step[data-account="${account}"]`);
    const stateNode = one('[data-role="state"]', step);
    const button = one('[data-role="connect"]', step);
    const connected = status[account].connected;
    step.classList.toggle("done", connected);
    button.hidden = connected;
    button.disabled = Boolean(ui.connecting[account]);
    stateNode.replaceChildren();
    if (connected) {
      stateNode.append(el("span", { class: "ok", text: connectedTo(account, status) }));
    } else if (ui.connecting[account]) {
      stateNode.append(el("p", { class: "waiting", text: "Continue no navegador para autorizar o acesso." }));
      const url = ui.authorizeUrls[account];
      if (url) {
        stateNode.append(el("p", { class: "note", text: "Se o navegador não abriu, copie este endereço e abra-o no navegador:" }));
        stateNode.append(
          el("div", { class: "copy-row" }, [
            el("code", { class: "authorize-url", "data-account": account, text: url }),
            el("button", {
              class: "secondary small copy-link",
              type: "button",
              "data-account": account,
              text: "Copiar",
              onclick: () => copyText(url).then(() => toast("Endereço copiado. Cole-o na barra do navegador.")),
            }),
          ])
        );
      }
      if (ui.overview.pairing_codes) stateNode.append(returnCodeForm(account));
      stateNode.append(
        el("button", {
          class: "link cancel-connect",
          type: "button",
          "data-account": account,
          text: "Cancelar e começar de novo",
          onclick: () => cancelConnect(account).catch(shown),
        })
      );
    } else if (ui.connectErrors[account]) {
      const problem = ui.connectErrors[account];
      stateNode.append(el("p", { class: "error", text: problem.message }));
      stateNode.append(el("p", { class: "note", text: problem.hint || "" }));
      button.textContent = "Tentar novamente";
    }
  }
}

/** Ends a connect waiting for the browser; the step offers *Conectar* again. */
export async function cancelConnect(account) {
  await call("cancel_connect", { account });
}

/** *Conectado*, with the store's or the company's name once it is known. */
export function connectedTo(account, status) {
  const name = account === "nuvemshop" ? status.nuvemshop.store_name : status.contaazul.company_name;
  return name ? `Conectado — ${name}` : "Conectado";
}

export async function connect(account) {
  ui.connecting[account] = true;
  delete ui.connectErrors[account];
  renderConnect();
  try {
    const connected = await invoke("connect", { account });
    if (!connected) toast("Conexão cancelada. Clique em Conectar para começar de novo.");
  } catch (problem) {
    ui.connectErrors[account] = problem || { message: "A autorização não foi concluída." };
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
export function returnCodeForm(account) {
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

export async function usePairingCode(event) {
  event.preventDefault();
  const input = $("pairing-code");
  const error = $("pairing-error");
  const submit = $("pairing-submit");
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

export async function fillSellers(select, chosenId) {
  const sellers = await call("sellers");
  select.replaceChildren(...sellers.map((s) => el("option", { value: s.id, text: s.name })));
  if (chosenId) select.value = chosenId;
  return sellers;
}

export async function renderActivate() {
  $("activate-error").hidden = true;
  await fillSellers($("activate-seller"));
}
