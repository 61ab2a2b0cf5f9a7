#!/usr/bin/env bash
# Shared helpers for the provisioning scripts. Every function is idempotent.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

# apt_install PKG...: install the packages that are not installed yet.
apt_install() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}"
  fi
}

# write_file PATH MODE: write stdin to PATH only if the content changed; prints "changed" if it did.
write_file() {
  local path=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$path" ] && cmp -s "$tmp" "$path"; then
    rm -f "$tmp"
    return 0
  fi
  install -D -m "$mode" "$tmp" "$path"
  rm -f "$tmp"
  echo changed
}

# enable_unit NAME CHANGED: enable and start a systemd unit; restart it when CHANGED is non-empty.
enable_unit() {
  local name=$1 changed=${2:-}
  systemctl daemon-reload
  systemctl enable --quiet "$name"
  if [ -n "$changed" ]; then
    systemctl restart "$name"
  else
    systemctl start "$name"
  fi
}

# install_mesosframe: a virtualenv with mesosframe from the synced folder, at /opt/mesosframe/.venv.
install_mesosframe() {
  apt_install python3 python3-venv python3-dev gcc make
  (cd /opt/mesosframe && VENV=/opt/mesosframe-venv bash scripts/bootstrap.sh)
}
