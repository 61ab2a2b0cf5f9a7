#!/usr/bin/env bash
# Every node: base packages, name resolution between the nodes, and the Apache Mesos packages.
#
# Apache Mesos itself publishes no binary packages. The maintained Debian packages of Mesos 1.11 are
# AVENTER UG's (`aventer-mesos`, see vagrant/README.md). With MESOSFRAME_CLUSTER=local they are not
# installed: mesosframe's own master and agents run instead.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

apt_install ca-certificates curl gnupg

hosts_block=$(cat <<'HOSTS'
192.168.56.10 master
192.168.56.21 agent-1
192.168.56.22 agent-2
192.168.56.23 agent-3
192.168.56.24 agent-4
192.168.56.30 sched
HOSTS
)
if ! grep -q "^192.168.56.10 master$" /etc/hosts; then
  printf '%s\n' "$hosts_block" >> /etc/hosts
fi

if [ "${MESOSFRAME_CLUSTER:-mesos}" = "mesos" ]; then
  keyring=/usr/share/keyrings/aventer.gpg
  if [ ! -s "$keyring" ]; then
    curl -fsSL https://www.aventer.biz/assets/support_aventer.asc | gpg --dearmor -o "$keyring"
  fi
  echo "deb [signed-by=$keyring] http://rpm.aventer.biz/Debian bullseye main" |
    write_file /etc/apt/sources.list.d/aventer.list 0644 >/dev/null
  apt_install aventer-mesos
fi
