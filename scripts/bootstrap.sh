#!/usr/bin/env bash
# Installs everything mesosframe needs on a fresh Debian 12 with Python 3.11, idempotently:
#   1. Debian packages: zookeeper (tests, HA), runc and busybox-static (Unified Containers),
#      iproute2 (multi-node tests), shellcheck and vagrant (CI checks of vagrant/).
#   2. A virtualenv in .venv.
#   3. pymesos 0.3.15. Its dependency http-parser 0.9.0 ships C code that does not compile on
#      Python 3.11 (douban/pymesos#130), so http-parser is built from its own sdist with the C
#      extension switched off; it then uses its bundled pure-Python parser. Nothing is vendored.
#   4. mesosframe itself, editable, with its test extras.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

need_apt=()
command -v java >/dev/null && [ -f /usr/share/java/zookeeper.jar ] || need_apt+=(zookeeper)
command -v runc >/dev/null || need_apt+=(runc)
[ -x /bin/busybox ] && /bin/busybox --list 2>/dev/null | grep -qx sh && ldd /bin/busybox 2>&1 | grep -q "not a dynamic" || need_apt+=(busybox-static)
command -v ip >/dev/null || need_apt+=(iproute2)
command -v shellcheck >/dev/null || need_apt+=(shellcheck)
"$PYTHON" -c 'import ensurepip, venv' 2>/dev/null || need_apt+=(python3-venv)
command -v vagrant >/dev/null || need_apt+=(vagrant)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "bootstrap: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # No recommends: vagrant's would pull in a hypervisor and a kernel; `vagrant validate` needs neither.
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip -q --disable-pip-version-check)

if ! "$VENV/bin/python" -c 'import http_parser' 2>/dev/null; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  "${PIP[@]}" download --no-deps --no-binary :all: -d "$work" http-parser==0.9.0
  tar -xzf "$work"/http-parser-0.9.0.tar.gz -C "$work"
  # Build without the C extension (the generated C predates the 3.11 C API).
  sed -i -e 's/    run_setup(not IS_PYPY)/    run_setup(False)/' "$work"/http-parser-0.9.0/setup.py
  "${PIP[@]}" install --no-deps "$work"/http-parser-0.9.0
fi
"${PIP[@]}" install -e '.[test,bench]'
"${PIP[@]}" check >/dev/null
echo "bootstrap: ready ($("$VENV/bin/python" --version), pymesos $("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pymesos"))'))"
