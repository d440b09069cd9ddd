#!/usr/bin/env bash
# Fails if docklab left anything on this machine: a mount, a monitor process, a container
# cgroup, a lab sandbox directory, or a veth/bridge link.
set -uo pipefail
problems=()
m=$(grep -c docklab /proc/self/mounts || true)
[ "${m:-0}" -gt 0 ] && problems+=("$m docklab mounts: $(grep docklab /proc/self/mounts | head -3)")
p=$(pgrep -fc '__monitor' || true)
[ "${p:-0}" -gt 0 ] && problems+=("$p monitor processes: $(pgrep -fa '__monitor' | head -3)")
c=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 3 -path '*docklab/*' -type d 2>/dev/null | wc -l)
[ "${c:-0}" -gt 0 ] && problems+=("$c container cgroups under /sys/fs/cgroup/*/docklab")
l=$(ip -o link 2>/dev/null | grep -cE '^[0-9]+: (dlv|dlbr-|docklab0)' || true)
[ "${l:-0}" -gt 0 ] && problems+=("$l docklab links")
s=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -name 'docklab-lab-*' 2>/dev/null | wc -l)
[ "${s:-0}" -gt 0 ] && problems+=("$s lab sandbox directories in ${TMPDIR:-/tmp}")
if [ ${#problems[@]} -gt 0 ]; then
    printf 'left behind: %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "nothing left behind: no docklab mounts, monitors, cgroups, links or sandboxes"
