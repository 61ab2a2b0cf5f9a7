#!/usr/bin/env bash
# The master node: ZooKeeper, then a Mesos master registered in it (or mesosframe's local master).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${NODE_IP:?}" "${ZK_URL:?}"

apt_install zookeeperd
enable_unit zookeeper

if [ "${MESOSFRAME_CLUSTER:-mesos}" = "mesos" ]; then
  changed=$(write_file /etc/default/mesos-master 0644 <<CONF
MESOS_ZK=$ZK_URL
MESOS_IP=$NODE_IP
MESOS_HOSTNAME=$NODE_IP
MESOS_QUORUM=1
MESOS_WORK_DIR=/var/lib/mesos/master
MESOS_CLUSTER=mesosframe-vagrant
CONF
)
  changed+=$(write_file /etc/systemd/system/mesos-master.service 0644 <<'UNIT'
[Unit]
Description=Apache Mesos master
After=network-online.target zookeeper.service
[Service]
EnvironmentFile=/etc/default/mesos-master
ExecStart=/usr/sbin/mesos-master
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
)
  enable_unit mesos-master "$changed"
else
  install_mesosframe
  changed=$(write_file /etc/systemd/system/mesosframe-master.service 0644 <<UNIT
[Unit]
Description=mesosframe local master
After=network-online.target zookeeper.service
[Service]
ExecStart=/opt/mesosframe-venv/bin/mesosframe local --agents 0 --zk $ZK_URL --host $NODE_IP --port 5050
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
)
  enable_unit mesosframe-master "$changed"
fi
