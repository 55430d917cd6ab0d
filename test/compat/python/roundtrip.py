#!/usr/bin/python3
"""confluent-kafka-python round trip against a samsa broker.

Usage: roundtrip.py BOOTSTRAP [TOPIC] [COUNT] [REPLICATION_FACTOR]

Creates TOPIC (3 partitions, replication factor 1 unless given) with AdminClient and
checks list_topics; produces COUNT messages with an idempotent Producer,
every delivery report must succeed; reads them all back with a Consumer
that assign()s each partition at OFFSET_BEGINNING and compares; deletes the
topic and waits until list_topics no longer shows it. Exits non-zero on
any mismatch, printing what differed.
"""

import sys
import time

from confluent_kafka import (OFFSET_BEGINNING, Consumer, KafkaError,
                             Producer, TopicPartition)
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3
TIMEOUT = 60.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def log_error(err):
    print("client error: %s" % err, file=sys.stderr)


def create_topic(admin, topic, rf):
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=PARTITIONS, replication_factor=rf)],
        operation_timeout=30, request_timeout=30)
    futures[topic].result(timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        md = admin.list_topics(timeout=10)
        t = md.topics.get(topic)
        if t is not None and t.error is None and len(t.partitions) == PARTITIONS \
                and all(p.leader >= 0 for p in t.partitions.values()):
            return
        time.sleep(0.2)
    fail("topic %s not listed with %d led partitions after create" % (topic, PARTITIONS))


def produce(bootstrap, topic, count):
    """Produces count messages and returns {partition: [(offset, value)]}."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "linger.ms": 5, "error_cb": log_error})
    delivered = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
            return
        delivered.setdefault(msg.partition(), []).append(
            (msg.offset(), msg.value().decode()))

    for i in range(count):
        p.produce(topic, key=("key-%d" % i).encode(),
                  value=("value-%d" % i).encode(), on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(TIMEOUT)
    if left:
        fail("%d messages still undelivered after flush" % left)
    if errors:
        fail("%d delivery errors, first: %s" % (len(errors), errors[0]))
    n = sum(len(v) for v in delivered.values())
    if n != count:
        fail("%d delivery reports, want %d" % (n, count))
    return delivered


def consume(bootstrap, topic, want):
    """Reads each partition from the beginning up to the delivered count."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "samsa-compat-python",
                  "enable.auto.commit": False, "enable.auto.offset.store": False,
                  "error_cb": log_error})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    got = {}
    total = sum(len(v) for v in want.values())
    n = 0
    deadline = time.time() + TIMEOUT
    while n < total and time.time() < deadline:
        msg = c.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == KafkaError._PARTITION_EOF:
                continue
            fail("consume error: %s" % msg.error())
        got.setdefault(msg.partition(), []).append((msg.offset(), msg.value().decode()))
        n += 1
    c.close()
    for part in range(PARTITIONS):
        w = sorted(want.get(part, []))
        g = got.get(part, [])
        if g != w:
            fail("partition %d: consumed %d messages %s..., delivered %d %s..." %
                 (part, len(g), g[:3], len(w), w[:3]))


def delete_topic(admin, topic):
    admin.delete_topics([topic], operation_timeout=30, request_timeout=30)[topic].result(timeout=TIMEOUT)
    deadline = time.time() + TIMEOUT
    while time.time() < deadline:
        if topic not in admin.list_topics(timeout=10).topics:
            return
        time.sleep(0.2)
    fail("topic %s still listed after delete" % topic)


def main():
    if len(sys.argv) < 2:
        fail(__doc__)
    bootstrap = sys.argv[1]
    topic = sys.argv[2] if len(sys.argv) > 2 else "python-roundtrip"
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 10000
    rf = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    admin = AdminClient({"bootstrap.servers": bootstrap, "error_cb": log_error})
    create_topic(admin, topic, rf)
    delivered = produce(bootstrap, topic, count)
    consume(bootstrap, topic, delivered)
    delete_topic(admin, topic)
    print("OK: %d messages over %d partitions, replication factor %d" % (count, PARTITIONS, rf))


if __name__ == "__main__":
    main()
