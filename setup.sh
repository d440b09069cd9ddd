#!/usr/bin/env bash
# The main job on a fresh machine: install what docklab needs, build and install it to
# /usr/local/bin/docklab, then run a lab on the offline image catalog.
#   sudo ./setup.sh            # installs, then runs labs/01-run.md
#   sudo ./setup.sh 02         # installs, then runs that lab instead
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh
cargo build --release --locked
install -m 0755 "${CARGO_TARGET_DIR:-target}/release/docklab" /usr/local/bin/docklab
echo "docklab installed: $(command -v docklab)"
exec /usr/local/bin/docklab lab --labs "$PWD/labs" run "${1:-01}"
