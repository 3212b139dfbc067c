// What must hold before a release is built, and after its updater key signed something:
//
//   node scripts/release/check.js            the tag, the version and the build variables
//   node scripts/release/check.js FILE SIG   SIG (a .sig the Tauri CLI wrote) verifies FILE
//                                            under the updater public key the app carries
//
// The first guards against a build that installs but cannot connect (an empty variable) or that
// updates forever (a tag the app's version does not match) or that no update will ever reach (the
// development key, whose private half was never kept). The second proves the secret signing key
// and the public key in tauri.conf.json are a pair. Tested by check.test.js.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

/** The development key committed before the first release: its private half was not kept. */
const DEVELOPMENT_KEY_ID = "DF9ABAB1DB1C2FDE";

/** The version the app carries: the workspace's, which tauri.conf.json does not repeat. */
function workspaceVersion(cargoToml) {
  const section = cargoToml.split(/^\[workspace\.package\]\s*$/m)[1] || "";
  const match = section.split(/^\[/m)[0].match(/^version\s*=\s*"([^"]+)"/m);
  return match ? match[1] : null;
}

/** A minisign public key as tauri.conf.json holds it (base64 of the key file). */
function publicKey(pubkeyBase64) {
  const text = Buffer.from(pubkeyBase64, "base64").toString("utf8");
  const line = text.split("\n").find((l) => l && !l.startsWith("untrusted comment:"));
  const raw = Buffer.from(line || "", "base64");
  if (raw.length !== 42 || raw.subarray(0, 2).toString() !== "Ed") {
    throw new Error("the updater public key is not a minisign Ed25519 key");
  }
  return {
    id: Buffer.from(raw.subarray(2, 10)).reverse().toString("hex").toUpperCase(),
    keyId: raw.subarray(2, 10),
    key: crypto.createPublicKey({
      key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw.subarray(10)]),
      format: "der",
      type: "spki",
    }),
  };
}

/** Problems with a release about to be built; empty when it may go. */
function releaseProblems({ tag, cargoToml, tauriConf, env }) {
  const problems = [];
  const version = workspaceVersion(cargoToml);
  if (!version) problems.push("Cargo.toml has no [workspace.package] version");
  if (tauriConf.version !== undefined) {
    problems.push("tauri.conf.json repeats a version: leave it to Cargo.toml, the one source");
  }
  if (!/^v\d+\.\d+\.\d+$/.test(tag || "")) {
    problems.push(`the tag ${JSON.stringify(tag)} is not vX.Y.Z`);
  } else if (version && tag !== `v${version}`) {
    problems.push(`the tag ${tag} and the app's version ${version} differ: installed copies would update forever`);
  }
  for (const name of ["PONTE_BUILD_NUVEMSHOP_CLIENT_ID", "PONTE_BUILD_CONTAAZUL_CLIENT_ID"]) {
    if (!(env[name] || "").trim()) problems.push(`${name} is empty: set the repository variable`);
  }
  const broker = (env.PONTE_BUILD_BROKER_URL || "").trim();
  if (!/^https:\/\/[^\s/]+/.test(broker)) {
    problems.push(`PONTE_BUILD_BROKER_URL must be the broker's https address, not ${JSON.stringify(broker)}`);
  }
  try {
    const key = publicKey(((tauriConf.plugins || {}).updater || {}).pubkey || "");
    if (key.id === DEVELOPMENT_KEY_ID) {
      problems.push("the updater public key is the development key: generate the release key (docs/release.md)");
    }
  } catch (error) {
    problems.push(error.message);
  }
  return problems;
}

/** Whether `signature` (the text of a .sig the Tauri CLI wrote) signs `data` under `pubkey`. */
function verifies(data, signature, pubkeyBase64) {
  const key = publicKey(pubkeyBase64);
  const lines = Buffer.from(signature.trim(), "base64").toString("utf8").split("\n");
  const raw = Buffer.from(lines[1] || "", "base64");
  const trusted = (lines[2] || "").replace(/^trusted comment: /, "");
  const global = Buffer.from(lines[3] || "", "base64");
  if (raw.length !== 74 || !raw.subarray(2, 10).equals(key.keyId)) return false;
  const algorithm = raw.subarray(0, 2).toString();
  const message =
    algorithm === "ED" ? crypto.createHash("blake2b512").update(data).digest() : data;
  const sig = raw.subarray(10);
  return (
    crypto.verify(null, message, key.key, sig) &&
    crypto.verify(null, Buffer.concat([sig, Buffer.from(trusted)]), key.key, global)
  );
}

function main(args) {
  const root = path.join(__dirname, "..", "..");
  const tauriConf = JSON.parse(fs.readFileSync(path.join(root, "tauri.conf.json"), "utf8"));
  if (args.length === 2) {
    const ok = verifies(fs.readFileSync(args[0]), fs.readFileSync(args[1], "utf8"), tauriConf.plugins.updater.pubkey);
    console.log(ok ? "the signing key and the app's public key are a pair" : "the signature does not verify under the app's public key");
    return ok ? 0 : 1;
  }
  const problems = releaseProblems({
    tag: process.env.GITHUB_REF_NAME,
    cargoToml: fs.readFileSync(path.join(root, "Cargo.toml"), "utf8"),
    tauriConf,
    env: process.env,
  });
  for (const problem of problems) console.error(`::error::${problem}`);
  return problems.length === 0 ? 0 : 1;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));

module.exports = { releaseProblems, verifies, publicKey, workspaceVersion, DEVELOPMENT_KEY_ID };
