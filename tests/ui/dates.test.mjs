// The window's date formats (ui/dates.js), checked without a window: dd/mm/aaaa and São Paulo's
// clock whatever the machine's language and time zone (the test command runs this under
// LANG=en_US and TZ=Asia/Tokyo too).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

// ui/ holds browser modules (no package.json makes them ES modules for Node): loaded as one.
const source = readFileSync(new URL("../../ui/dates.js", import.meta.url), "utf8");
const dates = await import(`data:text/javascript,${encodeURIComponent(source)}`);

test("an instant is shown as its São Paulo day, day first", () => {
  // 02:30 UTC on 7 November is still 6 November in São Paulo (UTC−3).
  assert.equal(dates.formatDate("2026-11-07T02:30:00Z"), "06/11/2026");
  assert.equal(dates.formatDate("2026-11-07T03:00:00Z"), "07/11/2026");
  assert.equal(dates.formatDate(null), "—");
});

test("a time is shown alone today and with its day before", () => {
  const now = new Date("2026-11-06T18:00:00Z");
  assert.equal(dates.formatTime("2026-11-06T17:05:00Z", now), "14:05");
  assert.equal(dates.formatTime("2026-11-05T23:59:00Z", now), "05/11/2026 20:59");
  // Midnight is 00, never 24.
  assert.equal(dates.formatTime("2026-11-06T03:00:00Z", now), "00:00");
});

test("the day of today and of a month ago, on São Paulo's calendar", () => {
  const now = new Date("2026-12-01T01:00:00Z"); // 30/11 22:00 in São Paulo
  assert.equal(dates.isoDay(0, now), "2026-11-30");
  assert.equal(dates.isoDay(-30, now), "2026-10-31");
  assert.equal(dates.formatDay("2026-10-01"), "01/10/2026");
});

test("the slashes come as the digits are typed, anything else dropped", () => {
  assert.equal(dates.maskDay("0"), "0");
  assert.equal(dates.maskDay("06"), "06");
  assert.equal(dates.maskDay("061"), "06/1");
  assert.equal(dates.maskDay("0611"), "06/11");
  assert.equal(dates.maskDay("06112"), "06/11/2");
  assert.equal(dates.maskDay("06112026"), "06/11/2026");
  assert.equal(dates.maskDay("06/11/2026"), "06/11/2026");
  assert.equal(dates.maskDay("06-11-2026 extra 99"), "06/11/2026");
});

test("a typed date is a day of the calendar or nothing", () => {
  assert.equal(dates.dayFromTyped("06/11/2026"), "2026-11-06");
  assert.equal(dates.dayFromTyped(" 29/02/2028 "), "2028-02-29");
  for (const wrong of ["29/02/2026", "31/04/2026", "00/10/2026", "06/13/2026", "6/11/2026", "06/11/26", "2026-11-06", ""]) {
    assert.equal(dates.dayFromTyped(wrong), null, wrong);
  }
});
