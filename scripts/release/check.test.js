// `node --test scripts/release/`: the release's checks, and the signature check against keys
// the pinned Tauri CLI makes and signs with (as the workflow's secret key does).
"use strict";
const test = require("node:test");
const assert = require("node:assert");
const { execFileSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { releaseProblems, verifies, publicKey, workspaceVersion, DEVELOPMENT_KEY_ID } = require("./check.js");

const root = path.join(__dirname, "..", "..");
const cargoToml = fs.readFileSync(path.join(root, "Cargo.toml"), "utf8");
const tauriConf = JSON.parse(fs.readFileSync(path.join(root, "tauri.conf.json"), "utf8"));
const version = workspaceVersion(cargoToml);
const tauri = path.join(root, "node_modules", ".bin", process.platform === "win32" ? "tauri.cmd" : "tauri");

function keyPair(dir, name) {
  const env = { ...process.env };
  delete env.CI;
  execFileSync(tauri, ["signer", "generate", "--ci", "-w", path.join(dir, name), "-p", "senha"], { env, stdio: "ignore" });
  return {
    private: path.join(dir, name),
    public: fs.readFileSync(path.join(dir, `${name}.pub`), "utf8").trim(),
  };
}

function sign(dir, key, file) {
  const env = { ...process.env };
  delete env.CI;
  execFileSync(tauri, ["signer", "sign", "-f", key.private, "-p", "senha", file], { env, stdio: "ignore" });
  return fs.readFileSync(`${file}.sig`, "utf8");
}

test("a release goes only with its tag, its variables and the release key", () => {
  const env = {
    PONTE_BUILD_BROKER_URL: "https://conectar.ponte.app.br",
    PONTE_BUILD_NUVEMSHOP_CLIENT_ID: "8132",
    PONTE_BUILD_CONTAAZUL_CLIENT_ID: "ca-client",
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ponte-release-"));
  const release = { ...tauriConf, plugins: { updater: { pubkey: keyPair(dir, "release").public } } };
  assert.deepStrictEqual(releaseProblems({ tag: `v${version}`, cargoToml, tauriConf: release, env }), []);

  const said = (args) => releaseProblems({ tag: `v${version}`, cargoToml, tauriConf: release, env, ...args }).join("\n");
  assert.match(said({ tag: "v9.9.9" }), /update forever/);
  assert.match(said({ tag: "0.1.0" }), /not vX\.Y\.Z/);
  assert.match(said({ env: { ...env, PONTE_BUILD_BROKER_URL: "" } }), /PONTE_BUILD_BROKER_URL/);
  assert.match(said({ env: { ...env, PONTE_BUILD_BROKER_URL: "http://conectar.example" } }), /https/);
  assert.match(said({ env: { ...env, PONTE_BUILD_CONTAAZUL_CLIENT_ID: "  " } }), /CONTAAZUL_CLIENT_ID is empty/);
  assert.match(said({ tauriConf: { ...release, version: "0.1.0" } }), /one source/);
  // What the repository carries today: the development key, refused for a release.
  assert.strictEqual(publicKey(tauriConf.plugins.updater.pubkey).id, DEVELOPMENT_KEY_ID);
  assert.match(said({ tauriConf }), /development key/);
});

test("a signature verifies only under its own key, for its own file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ponte-sign-"));
  const release = keyPair(dir, "release");
  const other = keyPair(dir, "other");
  const file = path.join(dir, "Ponte_setup.exe");
  fs.writeFileSync(file, "an installer");
  const signature = sign(dir, release, file);
  assert.ok(verifies(fs.readFileSync(file), signature, release.public));
  assert.ok(!verifies(fs.readFileSync(file), signature, other.public), "another key's pair");
  assert.ok(!verifies(Buffer.from("an installer, changed"), signature, release.public), "another file");
  assert.ok(!verifies(fs.readFileSync(file), signature, tauriConf.plugins.updater.pubkey), "the development key");
});
