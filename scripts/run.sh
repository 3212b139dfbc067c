#!/usr/bin/env bash
# Runs the Ponte desktop app in sandbox mode (simulated Nuvemshop and Conta Azul, a demo store
# that keeps selling) on a fresh Debian/Ubuntu machine, installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

ensure_packages "${APP_PACKAGES[@]}"
ensure_rust

exec cargo run --locked -p ponte-app --features sandbox -- --sandbox "$@"
