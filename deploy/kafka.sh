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
# SASL/SCRAM (docs/kafka-security.md): KAFKA_SASL_ADMIN_PASSWORD set makes the client listener
# SASL_PLAINTEXT (SCRAM-SHA-512 and -256) instead of PLAINTEXT; the broker authenticates as
# `admin` with it. KAFKA_SCRAM_USERS="name=password ..." adds client users. Both are stored
# when the storage is formatted (first start of a data directory); later users: kafka-configs.sh.
# KAFKA_AUTHORIZER=1 also enforces ACLs (admin is the super user; nothing else is allowed
# until granted with kafka-acls.sh --command-config "$KAFKA_DATA_DIR/admin.properties").
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
lib="$here/kafka/lib"
port=${KAFKA_PORT:-9092}
cport=${KAFKA_CONTROLLER_PORT:-9093}
data=${KAFKA_DATA_DIR:-$here/../var/kafka}
mkdir -p "$data"
data=$(cd "$data" && pwd)
java_cmd=${JAVA:-java}
admin_password=${KAFKA_SASL_ADMIN_PASSWORD:-}
if [[ -n "$admin_password" ]]; then protocol=SASL_PLAINTEXT; else protocol=PLAINTEXT; fi

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
listeners=$protocol://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=$protocol://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=$protocol
listener.security.protocol.map=CONTROLLER:PLAINTEXT,$protocol:$protocol
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
  rm -f "$data/admin.properties"
  if [[ "$protocol" == SASL_PLAINTEXT ]]; then
    # The controller listener stays on loopback without SASL: only this node uses it.
    cat >> "$data/server.properties" <<PROPS
sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=$(jaas admin "$admin_password")
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=$(jaas admin "$admin_password")
PROPS
    if [[ -n "${KAFKA_AUTHORIZER:-}" ]]; then
      # ANONYMOUS: the controller listener's principal (the node talking to itself).
      cat >> "$data/server.properties" <<PROPS
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin;User:ANONYMOUS
PROPS
    fi
    # The Kafka tools' client settings (kafka-acls.sh, kafka-configs.sh, create-topics).
    (umask 077 && cat > "$data/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=$(jaas admin "$admin_password")
PROPS
    )
  fi
  chmod 600 "$data/server.properties"
}

jaas() {
  printf 'org.apache.kafka.common.security.scram.ScramLoginModule required username="%s" password="%s";' "$1" "$2"
}

# --add-scram arguments of the storage tool: admin and every KAFKA_SCRAM_USERS entry, both
# mechanisms, so a client may use either.
scram_args() {
  local user name password mechanism
  for user in "admin=$admin_password" ${KAFKA_SCRAM_USERS:-}; do
    name=${user%%=*}
    password=${user#*=}
    for mechanism in SCRAM-SHA-512 SCRAM-SHA-256; do
      printf '%s\n' --add-scram "$mechanism=[name=$name,password=$password]"
    done
  done
}

client_config() { [[ -f "$data/admin.properties" ]] && printf '%s\n' --command-config "$data/admin.properties"; }

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
    scram=()
    if [[ "$protocol" == SASL_PLAINTEXT ]]; then mapfile -t scram < <(scram_args); fi
    kafka_java kafka.tools.StorageTool format -t "$cluster_id" -c "$data/server.properties" \
      --ignore-formatted "${scram[@]}" >/dev/null
  fi
  nohup "$java_cmd" "-Xmx${KAFKA_HEAP:-512m}" -Xms256m -XX:+UseG1GC -Dkafka.logs.dir="$data" \
    -Dlog4j2.configurationFile="$here/kafka/log4j2.properties" -cp "$lib/*" \
    kafka.Kafka "$data/server.properties" > "$data/stdout.log" 2>&1 &
  echo $! > "$data/broker.pid"
  wait_port
  echo "kafka listening on 127.0.0.1:$port ($protocol, data $data)"
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
  local auth=()
  mapfile -t auth < <(client_config)
  while read -r name partitions; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    for t in "$name" "$name.dlq"; do
      kafka_java org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" \
        --create --if-not-exists --topic "$t" --partitions "$partitions" --replication-factor 1 "${auth[@]}" >/dev/null
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
  *) sed -n '2,20p' "$0"; exit 2 ;;
esac
