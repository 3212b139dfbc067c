#!/usr/bin/env bash
# Runs Ponte in sandbox mode on a fresh Debian/Ubuntu machine, installing what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

ensure_packages build-essential pkg-config ca-certificates
ensure_rust

exec cargo run --locked -p ponte-cli -- sandbox "$@"
