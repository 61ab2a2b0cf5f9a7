#!/usr/bin/env bash
# The scheduler node: mesosframe's long-running (Marathon API, :8080) and cron (Chronos API, :4400)
# schedulers, both against the master found through ZooKeeper, with their state in ZooKeeper.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${NODE_IP:?}" "${ZK_URL:?}"

install_mesosframe
state_zk=${ZK_URL%/mesos}/mesosframe
for kind in longrun cron; do
  port=8080
  [ "$kind" = cron ] && port=4400
  changed=$(write_file "/etc/systemd/system/mesosframe-$kind.service" 0644 <<UNIT
[Unit]
Description=mesosframe $kind scheduler
After=network-online.target
[Service]
ExecStart=/opt/mesosframe-venv/bin/mesosframe $kind --master $ZK_URL --zk $state_zk/$kind --http-port $port --hostname $NODE_IP
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
)
  enable_unit "mesosframe-$kind" "$changed"
done
