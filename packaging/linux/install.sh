#!/bin/sh
# Install (or remove) the cart-chain one-folder bundle on a Linux workstation.
#
#   sudo ./install.sh [BUNDLE_DIR]      system-wide: /opt/cart-chain, menu entry for every user
#   ./install.sh [BUNDLE_DIR]           this user only: ~/.local/opt/cart-chain
#   [sudo] ./install.sh --uninstall     remove what the matching install put in place
#
# BUNDLE_DIR defaults to the cart-chain/ folder beside this script (as in the release
# archive) or dist/cart-chain of a source tree. The user's database and settings are
# never touched: uninstalling the program leaves the records where they are.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ "$(id -u)" = 0 ]; then
  prefix=/opt/cart-chain; bin=/usr/local/bin; share=/usr/local/share
else
  prefix="$HOME/.local/opt/cart-chain"; bin="$HOME/.local/bin"; share="${XDG_DATA_HOME:-$HOME/.local/share}"
fi
apps="$share/applications"; icons="$share/icons/hicolor"

if [ "${1:-}" = "--uninstall" ]; then
  rm -rf "$prefix"
  rm -f "$bin/cart-chain" "$apps/cart-chain.desktop" "$icons/scalable/apps/cart-chain.svg"
  for size in 16 32 48 64 128 256; do rm -f "$icons/${size}x${size}/apps/cart-chain.png"; done
  command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
  echo "cart-chain removed from $prefix (databases and settings were left alone)"
  exit 0
fi

src=${1:-}
if [ -z "$src" ]; then
  for candidate in "$here/cart-chain" "$here/../../dist/cart-chain"; do
    [ -x "$candidate/cart-chain" ] && src=$candidate && break
  done
fi
if [ -z "$src" ] || [ ! -x "$src/cart-chain" ]; then
  echo "install.sh: no bundle found; give the folder that holds the cart-chain program" >&2
  exit 2
fi
src=$(cd "$src" && pwd)

# Check the bundle works on this machine before replacing anything.
"$src/cart-chain" --version >/dev/null

rm -rf "$prefix.new"
mkdir -p "$(dirname "$prefix")" "$bin" "$apps"
cp -a "$src" "$prefix.new"
rm -rf "$prefix"
mv "$prefix.new" "$prefix"
ln -sf "$prefix/cart-chain" "$bin/cart-chain"

res="$prefix/_internal/cart_chain/resources/icons"
for size in 16 32 48 64 128 256; do
  if [ -f "$res/cart-chain-$size.png" ]; then
    mkdir -p "$icons/${size}x${size}/apps"
    cp "$res/cart-chain-$size.png" "$icons/${size}x${size}/apps/cart-chain.png"
  fi
done
if [ -f "$res/cart-chain.svg" ]; then
  mkdir -p "$icons/scalable/apps"
  cp "$res/cart-chain.svg" "$icons/scalable/apps/cart-chain.svg"
fi
sed "s|/opt/cart-chain|$prefix|g" "$here/cart-chain.desktop" > "$apps/cart-chain.desktop"
chmod 644 "$apps/cart-chain.desktop"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$apps" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -qtf "$icons" || true

echo "installed $("$prefix/cart-chain" --version) in $prefix"
echo "run '$bin/cart-chain --self-test' to check it, or start it from the applications menu"
