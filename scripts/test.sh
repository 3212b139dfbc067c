#!/usr/bin/env bash
# Runs every test of Ponte on a fresh Debian/Ubuntu machine, installing what is missing:
# the unit and HTTP tests, then the desktop app in a real (virtual) window over WebDriver.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh
. scripts/postgres.sh

ensure_packages "${APP_PACKAGES[@]}" "${WINDOW_TEST_PACKAGES[@]}" "${BROKER_TEST_PACKAGES[@]}"
ensure_npm
ensure_rust
command -v tauri-driver >/dev/null 2>&1 || cargo install tauri-driver --locked --version 2.1.0
# The Tauri CLI, pinned in package.json: it builds the .deb below.
npm ci --no-audit --no-fund --loglevel=error
# The release's own checks and updater manifest (docs/release.md), with the pinned Tauri CLI.
node --test scripts/release/
# The window's date formats, on an English system in another time zone too.
node --test tests/ui/
LANG=en_US.UTF-8 TZ=Asia/Tokyo node --test tests/ui/
# The window's modules against what the commands answer (src-tauri/window-types/, generated from
# the Rust types and checked current by `cargo test -p ponte-app`).
npx --no-install tsc -p tsconfig.json

# A CI run builds a fresh clone once: incremental caches would only take disk (gigabytes of it).
if [ -n "${CI:-}" ]; then export CARGO_INCREMENTAL=0; fi
# The whole run needs about 8 GiB under target/; say so plainly rather than fail mid-build.
free_kib=$(df -Pk . | awk 'NR == 2 { print $4 }')
if [ "${free_kib:-0}" -lt $((6 * 1024 * 1024)) ]; then
  echo "warning: only $((free_kib / 1024)) MiB free here; the tests need about 8 GiB" >&2
fi

xvfb_pid=""
cleanup() {
  stop_postgres
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

cargo build --locked -p bare-tauri
cargo test --locked --workspace --exclude ponte-e2e
# The broker's tests again on Postgres (a throwaway server), the two-instance ones with them,
# and the app's connect, refresh, webhooks and LGPD through a broker on it.
start_postgres
PONTE_BROKER_TEST_POSTGRES="$PONTE_TEST_POSTGRES_URL" cargo test --locked -p ponte-broker
PONTE_BROKER_TEST_POSTGRES="$PONTE_TEST_POSTGRES_URL" \
  cargo test --locked -p ponte-core --test broker_connect --test instant
# The load benchmark through two instances on it, on a tiny input.
cargo run --locked -q -p ponte-bench -- --broker 40 --rate 20 --seconds 3 --instances 2 \
  --postgres "$PONTE_TEST_POSTGRES_URL"
# The benchmark runs (on a tiny input: its figures are recorded in docs/benchmarks.md).
cargo run --locked -q -p ponte-bench -- --orders 6 --latency-ms 0 --catalogue 8
cargo run --locked -q -p ponte-bench -- --dashboard 2000
cargo run --locked -q -p ponte-bench -- --payments 2 --over 1 --webhooks --latency-ms 0
# The broker under many stores (real connects, long polls, signed webhooks): fails on a lost or
# repeated delivery.
cargo run --locked -q -p ponte-bench -- --broker 40 --rate 20 --seconds 3
# A merchant's build has no simulators in it: it must keep building without them.
cargo check --locked -p ponte-cli -p ponte-app --no-default-features

# The app the window tests drive, with *Modo demonstração* (asked for by name: a merchant's
# build never has the simulators).
cargo build --locked -p ponte-app --features sandbox

# The window tests: a virtual display of their own unless one is already there.
if [ -z "${DISPLAY:-}" ]; then
  display=99
  while [ -e "/tmp/.X${display}-lock" ]; do display=$((display + 1)); done
  # Wider than the window (1280 px): a panel's tray stays in sight beside it.
  Xvfb ":${display}" -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 &
  xvfb_pid=$!
  export DISPLAY=":${display}"
  sleep 1
fi
cargo test --locked -p ponte-e2e --test desktop -- --test-threads=1
# The app against a bare Tauri app, briefly (the figures come from release builds).
cargo run --locked -q -p ponte-bench -- --app-vs-bare target/debug/ponte-app \
  --bare target/debug/bare-tauri --ledger 1000 --runs 1 --idle-secs 2

# The Linux package as a merchant gets it: built by the Tauri CLI, unpacked into a scratch root
# (as dpkg would install it), and the installed binary started in sandbox mode, in a window.
npx tauri build --debug --bundles deb --features sandbox -- --package ponte-app
deb=$(ls target/debug/bundle/deb/Ponte_*_amd64.deb)
scratch=$(mktemp -d)
dpkg-deb -x "$deb" "$scratch"
test -f "$scratch/usr/share/applications/Ponte.desktop"
# ponte:// (the broker's page's way back) opens the installed Ponte.
grep -q 'x-scheme-handler/ponte' "$scratch/usr/share/applications/Ponte.desktop"
grep -q '^Exec=ponte-app %u$' "$scratch/usr/share/applications/Ponte.desktop"
PONTE_APP_BINARY="$scratch/usr/bin/ponte-app" \
  cargo test --locked -p ponte-e2e --test desktop -- --test-threads=1 \
  sandbox_mode_shows_the_demo_banner_and_the_first_run
rm -rf "$scratch"
