#!/usr/bin/env bash
# A single-node KRaft Kafka broker from the Apache Kafka jars (Maven Central, version pinned
# in deploy/kafka/pom.xml), for machines without Docker: development, tests and CI.
#
#   deploy/kafka.sh fetch            resolve the jars into deploy/kafka/lib (needs mvn, Java 17)
#   deploy/kafka.sh start            format storage if new, start, wait until it accepts clients
#   deploy/kafka.sh stop             stop the broker started from KAFKA_DATA_DIR
#   deploy/kafka.sh create-topics    create every topic and its DLQ twin (idempotent)
#   deploy/kafka.sh status
#
# Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (var/kafka),
# KAFKA_HEAP (512m).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib="$here/kafka/lib"
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-9093}
data=${KAFKA_DATA_DIR:-$here/../var/kafka}
mkdir -p "$data"
data=$(cd "$data" && pwd)
java_cmd=${JAVA:-java}

kafka_java() { "$java_cmd" "-Xmx${KAFKA_HEAP:-512m}" -Dkafka.logs.dir="$data" \
  -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -cp "$lib/*" "$@"; }

fetch() {
  if [[ -f "$lib/.complete" ]]; then return; fi
  mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies -DoutputDirectory="$lib"
  touch "$lib/.complete"
}

write_config() {
  cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$data/logs
num.partitions=3
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
log.retention.hours=168
PROPS
}

running() { [[ -f "$data/broker.pid" ]] && kill -0 "$(cat "$data/broker.pid")" 2>/dev/null; }

wait_port() {
  for _ in $(seq 1 120); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if ! running; then echo "kafka exited; see $data/server.log $data/stdout.log" >&2; tail -20 "$data/stdout.log" >&2; return 1; fi
    sleep 0.5
  done
  echo "kafka did not open port $port within 60 s" >&2
  return 1
}

start() {
  fetch
  if running; then echo "kafka already running (pid $(cat "$data/broker.pid"))"; return; fi
  write_config
  if [[ ! -f "$data/logs/meta.properties" ]]; then
    cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid)
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" --ignore-formatted >/dev/null
  fi
  nohup "$java_cmd" "-Xmx${KAFKA_HEAP:-512m}" -Xms256m -XX:+UseG1GC -Dkafka.logs.dir="$data" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -cp "$lib/*" \
    kafka.Kafka "$data/server.properties" > "$data/stdout.log" 2>&1 &
  echo $! > "$data/broker.pid"
  wait_port
  echo "kafka listening on 127.0.0.1:$port (data $data)"
}

stop() {
  if ! running; then rm -f "$data/broker.pid"; return; fi
  pid=$(cat "$data/broker.pid")
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$data/broker.pid"
}

create_topics() {
  # The topic list is generated from the code (`pnm topics --write`).
  while read -r name partitions; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    for t in "$name" "$name.dlq"; do
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" \
        --create --if-not-exists --topic "$t" --partitions "$partitions" --replication-factor 1 >/dev/null
    done
  done < "$here/topics.txt"
  echo "topics created"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  create-topics) create_topics ;;
  status) if running; then echo "running (pid $(cat "$data/broker.pid"))"; else echo "stopped"; exit 1; fi ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
