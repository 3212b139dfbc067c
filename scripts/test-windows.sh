#!/usr/bin/env bash
# The tests that run without a window, built for Windows and run under Wine, on a Linux machine:
# the core (data directory, keychain fallback, files, the ledger), the CLI, and the desktop app's
# own (the autostart entry through the registry). Wine is not Windows: GitHub's Windows runner
# runs the same tests natively on every push (.github/workflows/test.yml); this catches what a
# Windows build gets wrong before a push. Needs rustup (it adds the windows-gnu target). Under
# Wine a debug build runs slower: a test that bounds a duration can miss its bound here.
#
#   scripts/test-windows.sh            # everything
#   scripts/test-windows.sh data_dir   # a filter, passed to every test binary
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup.sh

TARGET=x86_64-pc-windows-gnu
ensure_packages gcc-mingw-w64-x86-64 wine64 "${APP_PACKAGES[@]}"
ensure_rust
rustup target add "$TARGET" >/dev/null

# Rust's standard library draws randomness from ProcessPrng (bcryptprimitives.dll), which
# Debian's Wine does not have yet: a two-line stand-in over RtlGenRandom, in a prefix of our own.
export WINEPREFIX="${WINEPREFIX:-$PWD/target/$TARGET/wineprefix}"
export WINEDEBUG=-all
shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$shim" ]; then
  wineboot --init >/dev/null 2>&1 || true
  work=$(mktemp -d)
  cat >"$work/prng.c" <<'C'
#include <windows.h>
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x10000000 ? 0x10000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
C
  printf 'LIBRARY bcryptprimitives\nEXPORTS\nProcessPrng\n' >"$work/prng.def"
  x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" "$work/prng.c" "$work/prng.def" -ladvapi32
  rm -rf "$work"
fi

# The test harnesses only (not the programs built for them to start).
binaries=$(cargo test --locked --target "$TARGET" -p ponte-core -p ponte-cli -p ponte-app \
  --lib --tests --no-run --message-format=json 2>/dev/null \
  | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])')
# The desktop app's tests load WebView2's loader, which Tauri's build leaves beside the target.
cp "target/$TARGET/debug/WebView2Loader.dll" "target/$TARGET/debug/deps/" 2>/dev/null || true

failed=0
for binary in $binaries; do
  echo "== $(basename "$binary")"
  if ! wine "$binary" --test-threads=1 "$@"; then
    failed=1
  fi
done
wineserver -k 2>/dev/null || true
exit "$failed"
