#!/bin/sh
# One-node Kafka (broker + controller) for the compose control plane; data in /var/lib/kafka.
set -e
cat > /tmp/server.properties <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
listeners=PLAINTEXT://0.0.0.0:9092,CONTROLLER://localhost:9093
advertised.listeners=PLAINTEXT://kafka:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=/var/lib/kafka/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
PROPS
CP="/opt/kafka/lib/*"
if [ ! -f /var/lib/kafka/data/meta.properties ]; then
  java -cp "$CP" kafka.tools.StorageTool format -t "$(java -cp "$CP" kafka.tools.StorageTool random-uuid)" \
    -c /tmp/server.properties --standalone
fi
exec java -Xmx256m -XX:+UseSerialGC -cp "$CP" kafka.Kafka /tmp/server.properties
