#!/usr/bin/python3
"""confluent-kafka-python transactions against a samsa broker.

Usage: transactions.py BOOTSTRAP IN_TOPIC OUT_TOPIC GROUP

IN_TOPIC and OUT_TOPIC must exist (1 partition each) and be empty. The
script
1. writes COUNT messages to IN_TOPIC with a plain producer;
2. with a transactional producer (init_transactions) and a read_committed
   consumer in GROUP, copies the first HALF messages in one transaction
   that also sends the consumer's offsets (send_offsets_to_transaction)
   and commits;
3. copies the next messages in a transaction it aborts, offsets included;
4. a read_committed consumer of OUT_TOPIC must see exactly the HALF
   committed copies, a read_uncommitted one all of them (aborted too), and
   GROUP's committed offset must be HALF (the aborted offsets never count).
Prints OK: ... on success; exits non-zero with FAIL: ... otherwise.
"""

import sys

from confluent_kafka import Consumer, Producer, TopicPartition

COUNT = 100
HALF = 60
TIMEOUT = 60.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def log_error(err):
    print("client error: %s" % err, file=sys.stderr)


def consumer(bootstrap, group, isolation, topic):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": isolation, "error_cb": log_error})
    c.assign([TopicPartition(topic, 0)])
    return c


def take(c, n):
    out = []
    while len(out) < n:
        m = c.poll(TIMEOUT)
        if m is None:
            fail("timed out with %d of %d messages" % (len(out), n))
        if m.error():
            continue
        out.append(m)
    return out


def drain(c, seconds):
    out = []
    while True:
        m = c.poll(seconds)
        if m is None:
            return out
        if not m.error():
            out.append(m.value())


def main():
    bootstrap, src, dst, group = sys.argv[1:5]
    p = Producer({"bootstrap.servers": bootstrap, "error_cb": log_error})
    for i in range(COUNT):
        p.produce(src, value=b"m-%d" % i)
    if p.flush(TIMEOUT) != 0:
        fail("plain messages undelivered")

    tp = Producer({"bootstrap.servers": bootstrap, "transactional.id": "py-txn",
                   "transaction.timeout.ms": 60000, "error_cb": log_error})
    tp.init_transactions(TIMEOUT)
    c = consumer(bootstrap, group, "read_committed", src)

    for commit, n in ((True, HALF), (False, COUNT - HALF)):
        msgs = take(c, n)
        tp.begin_transaction()
        for m in msgs:
            tp.produce(dst, value=m.value())
        offsets = [TopicPartition(src, 0, msgs[-1].offset() + 1)]
        tp.send_offsets_to_transaction(offsets, c.consumer_group_metadata(), TIMEOUT)
        # Flush first: abort_transaction purges messages not yet sent, and
        # the aborted ones must reach the log for read_uncommitted to see.
        if tp.flush(TIMEOUT) != 0:
            fail("transactional messages undelivered")
        if commit:
            tp.commit_transaction(TIMEOUT)
        else:
            tp.abort_transaction(TIMEOUT)
    c.close()

    committed = drain(consumer(bootstrap, group + "-rc", "read_committed", dst), 3.0)
    if sorted(committed) != sorted(b"m-%d" % i for i in range(HALF)):
        fail("read_committed saw %d messages, want the %d committed" % (len(committed), HALF))
    everything = drain(consumer(bootstrap, group + "-ru", "read_uncommitted", dst), 3.0)
    if len(everything) != COUNT:
        fail("read_uncommitted saw %d messages, want %d" % (len(everything), COUNT))
    c = consumer(bootstrap, group, "read_committed", src)
    got = c.committed([TopicPartition(src, 0)], TIMEOUT)
    if got[0].offset != HALF:
        fail("group offset %d, want %d (the aborted transaction's offsets must not count)" % (got[0].offset, HALF))
    c.close()
    print("OK: %d committed copies visible to read_committed, %d aborted hidden, group offset %d"
          % (HALF, COUNT - HALF, got[0].offset))


if __name__ == "__main__":
    main()
