// The updater's latest.json, merged from a release's assets once every platform has uploaded.
// Each URL is the tag's permanent download address (a draft's links die when it is published),
// and each platform gets the per-installer key the updater looks for first
// (`{os}-{arch}-{installer}`, then `{os}-{arch}`): a .deb install is served the .deb, an
// AppImage the AppImage. Used by .github/workflows/release.yml; tested by latest-json.test.js.
"use strict";

/** What each installed copy downloads: the asset name's pattern, and the keys it serves. */
const ENTRIES = [
  {
    what: "Windows (NSIS)",
    match: /_x64-setup\.exe$/,
    keys: ["windows-x86_64-nsis", "windows-x86_64"],
  },
  {
    // One universal build serves both Apple Silicon and Intel Macs.
    what: "macOS (universal .app)",
    match: /_universal\.app\.tar\.gz$/,
    keys: ["darwin-aarch64-app", "darwin-x86_64-app", "darwin-aarch64", "darwin-x86_64"],
  },
  {
    what: "Linux (AppImage)",
    match: /_amd64\.AppImage$/,
    keys: ["linux-x86_64-appimage", "linux-x86_64"],
  },
  {
    what: "Linux (.deb)",
    match: /_amd64\.deb$/,
    keys: ["linux-x86_64-deb"],
  },
];

/** Every platform a release must serve before it is published. */
const REQUIRED = ["windows-x86_64-nsis", "darwin-aarch64-app", "darwin-x86_64-app", "linux-x86_64-appimage"];

/**
 * @param {object} release `{owner, repo, tag, notes, pubDate}`
 * @param {string[]} assetNames the names of the release's assets
 * @param {(name: string) => string} signatureOf the text of `${name}.sig`
 * @returns {{manifest: object, missing: string[]}} the manifest, and the required keys it lacks
 */
function latestJson(release, assetNames, signatureOf) {
  const version = release.tag.replace(/^v/, "");
  const base = `https://github.com/${release.owner}/${release.repo}/releases/download/${release.tag}`;
  const platforms = {};
  for (const entry of ENTRIES) {
    const asset = assetNames.find((name) => entry.match.test(name));
    if (!asset || !assetNames.includes(`${asset}.sig`)) continue;
    const signature = signatureOf(`${asset}.sig`).trim();
    if (!signature) continue;
    const url = `${base}/${encodeURIComponent(asset)}`;
    for (const key of entry.keys) platforms[key] = { signature, url };
  }
  const missing = REQUIRED.filter((key) => !platforms[key]);
  return {
    manifest: { version, notes: release.notes || "", pub_date: release.pubDate, platforms },
    missing,
  };
}

module.exports = { latestJson, ENTRIES, REQUIRED };
