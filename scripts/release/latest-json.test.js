// `node --test scripts/release/`: the updater's manifest as the publish job merges it, from the
// asset names tauri-action uploads (its current form, `Ponte_0.2.0_universal.app.tar.gz`, and
// the older one without the version).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { latestJson, REQUIRED } = require("./latest-json.js");

const release = {
  owner: "ponte-app",
  repo: "ponte",
  tag: "v0.2.0",
  notes: "Correções.",
  pubDate: "2026-12-06T12:00:00Z",
};
const uploaded = [
  "Ponte_0.2.0_x64-setup.exe",
  "Ponte_0.2.0_x64-setup.exe.sig",
  "Ponte_0.2.0_universal.dmg",
  "Ponte_0.2.0_universal.app.tar.gz",
  "Ponte_0.2.0_universal.app.tar.gz.sig",
  "Ponte_0.2.0_amd64.AppImage",
  "Ponte_0.2.0_amd64.AppImage.sig",
  "Ponte_0.2.0_amd64.deb",
  "Ponte_0.2.0_amd64.deb.sig",
];
const signature = (name) => `signature of ${name}\n`;

test("every platform key resolves to the tag's permanent address", () => {
  const { manifest, missing } = latestJson(release, uploaded, signature);
  assert.deepStrictEqual(missing, []);
  assert.strictEqual(manifest.version, "0.2.0");
  assert.strictEqual(manifest.notes, "Correções.");
  const base = "https://github.com/ponte-app/ponte/releases/download/v0.2.0/";
  const expected = {
    "windows-x86_64-nsis": "Ponte_0.2.0_x64-setup.exe",
    "windows-x86_64": "Ponte_0.2.0_x64-setup.exe",
    "darwin-aarch64-app": "Ponte_0.2.0_universal.app.tar.gz",
    "darwin-x86_64-app": "Ponte_0.2.0_universal.app.tar.gz",
    "darwin-aarch64": "Ponte_0.2.0_universal.app.tar.gz",
    "darwin-x86_64": "Ponte_0.2.0_universal.app.tar.gz",
    "linux-x86_64-appimage": "Ponte_0.2.0_amd64.AppImage",
    "linux-x86_64": "Ponte_0.2.0_amd64.AppImage",
    "linux-x86_64-deb": "Ponte_0.2.0_amd64.deb",
  };
  assert.deepStrictEqual(Object.keys(manifest.platforms).sort(), Object.keys(expected).sort());
  for (const [key, asset] of Object.entries(expected)) {
    assert.strictEqual(manifest.platforms[key].url, base + asset, key);
    assert.ok(!manifest.platforms[key].url.includes("untagged"), key);
    assert.strictEqual(manifest.platforms[key].signature, `signature of ${asset}.sig`, key);
  }
});

test("a .deb install is never served the AppImage", () => {
  const { manifest } = latestJson(release, uploaded, signature);
  assert.ok(manifest.platforms["linux-x86_64-deb"].url.endsWith(".deb"));
});

test("the older asset name of the macOS update is found too", () => {
  const older = uploaded.map((n) => n.replace("Ponte_0.2.0_universal.app", "Ponte_universal.app"));
  const { manifest, missing } = latestJson(release, older, signature);
  assert.deepStrictEqual(missing, []);
  assert.ok(manifest.platforms["darwin-aarch64"].url.endsWith("/Ponte_universal.app.tar.gz"));
});

test("a platform without its signed artefact is missing, and the release must not go out", () => {
  const noWindows = uploaded.filter((n) => !n.endsWith("-setup.exe.sig"));
  const { manifest, missing } = latestJson(release, noWindows, signature);
  assert.deepStrictEqual(missing, ["windows-x86_64-nsis"]);
  assert.ok(!("windows-x86_64" in manifest.platforms));
  const empty = latestJson(release, uploaded, () => "   ");
  assert.deepStrictEqual(empty.missing, REQUIRED);
});
