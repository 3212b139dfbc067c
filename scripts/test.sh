#!/usr/bin/env bash
# Runs every test of Ponte on a fresh Debian/Ubuntu machine, installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

ensure_packages build-essential pkg-config ca-certificates
ensure_rust

cargo test --workspace --locked
