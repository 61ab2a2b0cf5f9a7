#!/usr/bin/env bash
# An agent node: a Mesos agent with rack/zone attributes, finding the master through ZooKeeper.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
: "${NODE_IP:?}" "${ZK_URL:?}" "${AGENT_ATTRIBUTES:?}"

apt_install runc busybox-static
if [ "${MESOSFRAME_CLUSTER:-mesos}" = "mesos" ]; then
  changed=$(write_file /etc/default/mesos-agent 0644 <<CONF
MESOS_MASTER=$ZK_URL
MESOS_IP=$NODE_IP
MESOS_HOSTNAME=$NODE_IP
MESOS_WORK_DIR=/var/lib/mesos/agent
MESOS_ATTRIBUTES=$AGENT_ATTRIBUTES
MESOS_CONTAINERIZERS=mesos
MESOS_IMAGE_PROVIDERS=docker
MESOS_ISOLATION=filesystem/linux,docker/runtime,cgroups/cpu,cgroups/mem
MESOS_SYSTEMD_ENABLE_SUPPORT=false
CONF
)
  changed+=$(write_file /etc/systemd/system/mesos-agent.service 0644 <<'UNIT'
[Unit]
Description=Apache Mesos agent
After=network-online.target
[Service]
EnvironmentFile=/etc/default/mesos-agent
ExecStart=/usr/sbin/mesos-agent
Restart=always
KillMode=process
[Install]
WantedBy=multi-user.target
UNIT
)
  enable_unit mesos-agent "$changed"
else
  install_mesosframe
  changed=$(write_file /etc/systemd/system/mesosframe-agent.service 0644 <<UNIT
[Unit]
Description=mesosframe local agent
After=network-online.target
[Service]
ExecStart=/opt/mesosframe-venv/bin/mesosframe agent --master $ZK_URL --hostname $NODE_IP --attributes "$AGENT_ATTRIBUTES" --work-dir /var/lib/mesosframe/agent
Restart=always
[Install]
WantedBy=multi-user.target
UNIT
)
  enable_unit mesosframe-agent "$changed"
fi
