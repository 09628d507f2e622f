#!/bin/sh
# Kafka users, topics and ACLs for docker-compose.yml, run once by the kafka-init container as the
# broker's super user (SASL/PLAIN "admin" on the INTERNAL listener).
#
# For each service in $SERVICES (name upper-cased, "-" → "_", gives the variable prefix):
#   <S>_PASSWORD  its SCRAM-SHA-512 password (the service's SME_<S>_KAFKA__SASL_PASSWORD)
#   <S>_WRITES    topics it may write: its own topics and its consumers' dead-letter topics
#   <S>_READS     topics it may read: what its consumers subscribe to, and its own dead letters
#   <S>_GROUPS    consumer groups it may join
# Every topic named is created here (auto-creation is off), so no service needs to create topics.
# `setup.sh check` only tells whether the broker answers an authenticated request (healthcheck).
set -eu

BIN=/opt/kafka/bin
BOOTSTRAP=${BOOTSTRAP:-kafka:9094}
ADMIN=/tmp/sme-kafka-admin.properties

cat > "$ADMIN" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${ADMIN_PASSWORD}";
PROPERTIES

if [ "${1:-}" = "check" ]; then
  exec "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --list
fi

until "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --list >/dev/null; do
  echo "waiting for kafka at $BOOTSTRAP"; sleep 2
done

value() { eval "printf '%s' \"\${$1:-}\""; }

for service in $SERVICES; do
  prefix=$(printf '%s' "$service" | tr 'a-z-' 'A-Z_')
  password=$(value "${prefix}_PASSWORD")
  [ -n "$password" ] || { echo "${prefix}_PASSWORD is not set" >&2; exit 1; }
  "$BIN/kafka-configs.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --alter \
    --entity-type users --entity-name "$service" --add-config "SCRAM-SHA-512=[password=$password]"
  for topic in $(value "${prefix}_WRITES"); do
    "$BIN/kafka-topics.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --create \
      --if-not-exists --topic "$topic" --partitions "${TOPIC_PARTITIONS:-4}" --replication-factor 1
    "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --add \
      --allow-principal "User:$service" --operation Write --operation Describe --topic "$topic"
  done
  for topic in $(value "${prefix}_READS"); do
    "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --add \
      --allow-principal "User:$service" --operation Read --operation Describe --topic "$topic"
  done
  for group in $(value "${prefix}_GROUPS"); do
    "$BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$ADMIN" --add \
      --allow-principal "User:$service" --operation Read --group "$group"
  done
done
echo "kafka users, topics and ACLs are in place for: $SERVICES"
