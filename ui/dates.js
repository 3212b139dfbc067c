// Dates as a Brazilian reads and types them — 06/11/2026, 14:05 — on a computer set to any
// language: the day's parts come from the São Paulo clock and are put in order here, never by
// the system's locale (an English system would write 11/6/2026, read in Brazil as 11 June).

const SAO_PAULO = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/Sao_Paulo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

/**
 * An instant's day and time on São Paulo's clock, each part two digits (the year four).
 * @param {Date} at
 */
export function saoPaulo(at) {
  /** @type {Record<string, string>} */
  const parts = {};
  for (const part of SAO_PAULO.formatToParts(at)) parts[part.type] = part.value;
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute };
}

/**
 * `29/11/2026` for an instant (its São Paulo day), `—` for none.
 * @param {string | null | undefined} iso
 */
export function formatDate(iso) {
  if (!iso) return "—";
  const { year, month, day } = saoPaulo(new Date(iso));
  return `${day}/${month}/${year}`;
}

/**
 * `14:05` today, `28/11/2026 14:05` another day, `—` for none (São Paulo's clock).
 * @param {string | null | undefined} iso
 * @param {Date} [now]
 */
export function formatTime(iso, now = new Date()) {
  if (!iso) return "—";
  const at = new Date(iso);
  const { hour, minute } = saoPaulo(at);
  const date = formatDate(iso);
  return date === formatDate(now.toISOString()) ? `${hour}:${minute}` : `${date} ${hour}:${minute}`;
}

/**
 * `YYYY-MM-DD` of the São Paulo day `offset` days from `now`.
 * @param {number} [offset]
 * @param {Date} [now]
 */
export function isoDay(offset = 0, now = new Date()) {
  const { year, month, day } = saoPaulo(new Date(now.getTime() + offset * 86400000));
  return `${year}-${month}-${day}`;
}

/**
 * `2026-10-01` → `01/10/2026` (a date without time: no time zone moves it).
 * @param {string} day
 */
export function formatDay(day) {
  const [year, month, date] = day.split("-");
  return `${date}/${month}/${year}`;
}

/**
 * What a date field shows while it is typed: the digits, with the slashes put in as the day and
 * the month are complete (`0611` → `06/11`, `06112026` → `06/11/2026`); anything else dropped.
 * @param {string} typed
 */
export function maskDay(typed) {
  const digits = typed.replace(/\D/g, "").slice(0, 8);
  if (digits.length <= 2) return digits;
  if (digits.length <= 4) return `${digits.slice(0, 2)}/${digits.slice(2)}`;
  return `${digits.slice(0, 2)}/${digits.slice(2, 4)}/${digits.slice(4)}`;
}

/**
 * `06/11/2026` → `2026-11-06`; null when it is not a day of the calendar (31/02/2026, 6/11/26).
 * @param {string} typed
 * @returns {string | null}
 */
export function dayFromTyped(typed) {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(typed.trim());
  if (!match) return null;
  const [, day, month, year] = match;
  const date = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
  const valid =
    date.getUTCFullYear() === Number(year) && date.getUTCMonth() === Number(month) - 1 && date.getUTCDate() === Number(day);
  return valid ? `${year}-${month}-${day}` : null;
}
