#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft) for development and CI, without Docker.
#
#   deploy/local/kafka.sh up      fetch jars (once), format storage (once), start, wait until it answers
#   deploy/local/kafka.sh down    stop the broker
#   deploy/local/kafka.sh status  exit 0 when the broker answers
#   deploy/local/kafka.sh fetch   only fetch the jars
#
# Jars come from Maven Central through Maven and are cached under $GANTRY_CACHE (never in the repo).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
KAFKA_VERSION="${KAFKA_VERSION:-4.1.1}"
GANTRY_CACHE="${GANTRY_CACHE:-$HOME/.cache/gantry}"
KAFKA_HOME="$GANTRY_CACHE/kafka-$KAFKA_VERSION"
KAFKA_PORT="${KAFKA_PORT:-9092}"
CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA_DIR="${KAFKA_DATA_DIR:-$GANTRY_CACHE/kafka-data-$KAFKA_PORT}"
PID_FILE="$DATA_DIR/broker.pid"
LOG_FILE="$DATA_DIR/broker.log"

log() { printf '[kafka] %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

fetch() {
  if [ -f "$KAFKA_HOME/libs/kafka_2.13-$KAFKA_VERSION.jar" ]; then return 0; fi
  command -v mvn >/dev/null || { log "Maven (mvn) is required to fetch Kafka's jars"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is required to run Kafka"; exit 1; }
  log "fetching Apache Kafka $KAFKA_VERSION from Maven Central into $KAFKA_HOME"
  local tmp="$KAFKA_HOME.tmp.$$"
  rm -rf "$tmp"
  mvn -q -B -f "$HERE/kafka-pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/libs"
  # Rename into place only when complete, so an interrupted fetch is never mistaken for a good one.
  rm -rf "$KAFKA_HOME"
  mv "$tmp" "$KAFKA_HOME"
}

write_config() {
  mkdir -p "$DATA_DIR"
  cat >"$DATA_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR/logs
num.partitions=1
# Topics are created by Gantry's bootstrap with their own partitions and configs.
auto.create.topics.enable=false
# One broker: internal topics must not ask for more replicas than exist,
# or consumers never find their group coordinator.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
offsets.topic.num.partitions=6
log.retention.check.interval.ms=60000
EOF
  cat >"$DATA_DIR/log4j2.yaml" <<EOF
Configuration:
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: WARN
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: INFO
EOF
}

java_cmd() {
  java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2.yaml" \
    -cp "$KAFKA_HOME/libs/*" "$@"
}

status() { port_open "$KAFKA_PORT"; }

up() {
  if status; then log "broker already answers on 127.0.0.1:$KAFKA_PORT"; return 0; fi
  fetch
  write_config
  if [ ! -f "$DATA_DIR/logs/meta.properties" ]; then
    log "formatting KRaft storage in $DATA_DIR/logs"
    java_cmd kafka.tools.StorageTool format -t "$(java_cmd kafka.tools.StorageTool random-uuid)" \
      -c "$DATA_DIR/server.properties" >/dev/null
  fi
  log "starting broker on 127.0.0.1:$KAFKA_PORT (log: $LOG_FILE)"
  nohup java -Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$DATA_DIR/log4j2.yaml" \
    -cp "$KAFKA_HOME/libs/*" kafka.Kafka "$DATA_DIR/server.properties" >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for _ in $(seq 1 120); do
    if status; then log "broker is up"; return 0; fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      log "broker exited during start; last lines of $LOG_FILE:"; tail -n 30 "$LOG_FILE" >&2; exit 1
    fi
    sleep 0.5
  done
  log "broker did not answer within 60 s; see $LOG_FILE"; exit 1
}

down() {
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
    local pid; pid="$(cat "$PID_FILE")"
    log "stopping broker (pid $pid)"
    kill "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  else
    log "no broker started by this script is running"
  fi
  rm -f "$PID_FILE"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  fetch) fetch ;;
  reset) down; rm -rf "$DATA_DIR" ;;
  *) echo "usage: $0 up|down|status|fetch|reset" >&2; exit 2 ;;
esac
