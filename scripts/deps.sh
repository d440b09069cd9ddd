#!/usr/bin/env bash
# Installs what docklab needs on a fresh Debian/Ubuntu machine, as root: the host files the
# offline image catalog is built from (busybox-static, python3), the kernel tools, and the
# peer tools the image tests check the OCI layout with (umoci, skopeo). Safe to run again.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
    echo "docklab needs root (namespaces, mounts, cgroups): run this with sudo" >&2
    exit 1
fi

packages=(busybox-static python3 iproute2 ca-certificates)
if [ "${DOCKLAB_WITH_PEERS:-0}" = 1 ]; then
    packages+=(umoci skopeo)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
    # Debian's own cargo is older than the 2024 edition needs; a rustup toolchain
    # (Rust >= 1.85) is expected where it is available.
    apt-get install -y -qq cargo >/dev/null
fi
rustc_minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
if [ "${rustc_minor:-0}" -lt 85 ]; then
    echo "docklab needs Rust 1.85 or newer (found $(rustc --version)); install it with rustup" >&2
    exit 1
fi
