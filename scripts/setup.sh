# Shared by run.sh and test.sh: installs what a fresh Debian/Ubuntu machine lacks.

# What the desktop app needs to build on Linux (WebKitGTK, GTK, the tray, librsvg).
APP_PACKAGES=(build-essential pkg-config ca-certificates file libwebkit2gtk-4.1-dev libgtk-3-dev
  libayatana-appindicator3-dev librsvg2-dev libxdo-dev)
# What the window tests add: a virtual display, the WebKit WebDriver, fonts; NSIS, which
# compiles the Windows installer's hooks; GLib's gio, which starts the autostart entry.
WINDOW_TEST_PACKAGES=(xvfb xauth webkit2gtk-driver fonts-dejavu-core dbus-x11 x11-utils imagemagick
  nsis libglib2.0-bin dunst trayer)

# What the broker's tests add: a real Postgres server (a throwaway cluster, scripts/postgres.sh).
BROKER_TEST_PACKAGES=(postgresql)

# ensure_packages PKG…: installs the Debian packages that are not installed yet.
ensure_packages() {
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
}

# ensure_npm: Node's npm, for the Tauri CLI pinned in package.json (bundles, icons, keys). A
# machine whose Node already brings npm (NodeSource's) keeps it: Debian's npm would conflict.
ensure_npm() {
  command -v npm >/dev/null 2>&1 || ensure_packages nodejs npm
}

# ensure_rust: Ponte needs a Rust toolchain (1.89 or newer) with cargo.
ensure_rust() {
  if [ -f "$HOME/.cargo/env" ]; then
    # shellcheck disable=SC1091
    . "$HOME/.cargo/env"
  fi
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v cargo >/dev/null 2>&1; then
    echo "cargo was not found. Install Rust 1.89 or newer (https://rustup.rs) and run this again." >&2
    exit 1
  fi
}
