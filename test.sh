#!/usr/bin/env bash
# The whole test suite, as root, on a fresh machine: installs what the tests need, runs
# every unit and integration test (real containers) and every lab end to end, then checks
# that nothing was left behind.
set -euo pipefail
cd "$(dirname "$0")"
DOCKLAB_WITH_PEERS=1 scripts/deps.sh
cargo test --locked --no-fail-fast
scripts/leftovers.sh
