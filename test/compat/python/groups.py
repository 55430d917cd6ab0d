#!/usr/bin/python3
"""confluent-kafka-python consumer groups against a samsa broker.

Usage: groups.py BOOTSTRAP TOPIC GROUP

TOPIC must exist (3 partitions) and be empty. The script
1. produces COUNT messages;
2. consumes FIRST of them in GROUP with subscribe(), commits synchronously
   and closes;
3. consumes the rest with a new consumer in GROUP, which must start right
   after the commit: no message twice, none missing, nothing more;
4. runs two members of GROUP-static, one static (group.instance.id); the
   static one closes and restarts within its session timeout, and the
   other member's on_assign / on_revoke callbacks must not run again
   (no rebalance), while the restarted member gets its old partitions.
Prints OK: ... on success; exits non-zero with FAIL: ... otherwise.
"""

import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer

COUNT = 300
FIRST = 180
TIMEOUT = 60.0


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def log_error(err):
    print("client error: %s" % err, file=sys.stderr)


def produce(bootstrap, topic):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "error_cb": log_error})
    errors = []
    for i in range(COUNT):
        p.produce(topic, value=b"m-%d" % i, partition=i % 3,
                  on_delivery=lambda err, msg: err and errors.append(str(err)))
        p.poll(0)
    if p.flush(TIMEOUT) != 0:
        fail("messages still undelivered after %ss" % TIMEOUT)
    if errors:
        fail("delivery errors: %s" % errors[:3])


def consumer(bootstrap, group, **extra):
    conf = {"bootstrap.servers": bootstrap, "group.id": group,
            "auto.offset.reset": "earliest", "enable.auto.commit": False,
            "session.timeout.ms": 10000, "heartbeat.interval.ms": 500,
            "error_cb": log_error}
    conf.update(extra)
    return Consumer(conf)


def consume(c, want, linger):
    """Polls until want messages arrived, then for linger more seconds;
    returns [(partition, offset, value)]."""
    got = []
    deadline = time.time() + TIMEOUT
    done_at = None
    while time.time() < deadline:
        if done_at is None and len(got) >= want:
            done_at = time.time() + linger
        if done_at is not None and time.time() >= done_at:
            break
        # Never take more than wanted in one call: what is returned counts
        # as consumed and would be committed.
        n = 1 if done_at is not None else min(100, want - len(got))
        for m in c.consume(num_messages=n, timeout=0.2):
            if m.error():
                fail("consume error: %s" % m.error())
            got.append((m.partition(), m.offset(), m.value()))
    return got


def resume_after_commit(bootstrap, topic, group):
    c1 = consumer(bootstrap, group)
    c1.subscribe([topic])
    first = consume(c1, FIRST, 0)
    if len(first) != FIRST:
        fail("first consumer got %d messages, want %d" % (len(first), FIRST))
    try:
        committed = c1.commit(asynchronous=False)
    except KafkaException as e:
        fail("synchronous commit: %s" % e)
    for tp in committed:
        if tp.error is not None:
            fail("commit of partition %d: %s" % (tp.partition, tp.error))
    c1.close()

    c2 = consumer(bootstrap, group)
    c2.subscribe([topic])
    rest = consume(c2, COUNT - FIRST, 2.0)
    c2.close()
    seen = {}
    for p, o, v in first + rest:
        if (p, o) in seen:
            fail("partition %d offset %d (%s) consumed twice: the second consumer "
                 "did not resume at the commit %s" % (p, o, v, committed))
        seen[(p, o)] = v
    values = sorted(seen.values())
    if len(rest) != COUNT - FIRST or len(values) != COUNT:
        fail("second consumer got %d messages, want %d (total distinct %d of %d)"
             % (len(rest), COUNT - FIRST, len(values), COUNT))
    return committed


class Member:
    """A consumer counting its assignment callbacks."""

    def __init__(self, bootstrap, group, topic, **extra):
        self.assigns = 0
        self.revokes = 0
        self.partitions = set()
        self.c = consumer(bootstrap, group, **extra)
        self.c.subscribe([topic], on_assign=self.on_assign, on_revoke=self.on_revoke)

    def on_assign(self, c, parts):
        self.assigns += 1
        self.partitions = {tp.partition for tp in parts}

    def on_revoke(self, c, parts):
        self.revokes += 1
        self.partitions = set()

    def poll(self):
        m = self.c.poll(0.05)
        if m is not None and m.error():
            fail("poll error: %s" % m.error())


def poll_until(members, cond, what, seconds=TIMEOUT):
    deadline = time.time() + seconds
    while time.time() < deadline:
        for m in members:
            m.poll()
        if cond():
            return
    fail("timed out waiting for " + what)


def static_restart(bootstrap, topic, group):
    inst = {"group.instance.id": "static-1"}
    other = Member(bootstrap, group, topic)
    static = Member(bootstrap, group, topic, **inst)
    both = [other, static]
    poll_until(both, lambda: other.partitions and static.partitions
               and len(other.partitions | static.partitions) == 3,
               "two members sharing 3 partitions")
    # Let the group settle: no callback for 2 s (at most 5 tries).
    for _ in range(5):
        before = (other.assigns, other.revokes, static.assigns)
        end = time.time() + 2
        while time.time() < end:
            for m in both:
                m.poll()
        if before == (other.assigns, other.revokes, static.assigns):
            break
    else:
        fail("group did not settle: callbacks kept running")
    assigns, revokes, owned = other.assigns, other.revokes, static.partitions

    static.c.close()  # a static member does not leave the group on close
    again = Member(bootstrap, group, topic, **inst)
    poll_until([other, again], lambda: again.partitions, "the restarted static member's assignment")
    end = time.time() + 3
    while time.time() < end:
        other.poll()
        again.poll()
    if (other.assigns, other.revokes) != (assigns, revokes):
        fail("restart of a static member rebalanced the group: the other member's "
             "on_assign ran %d times (was %d), on_revoke %d times (was %d)"
             % (other.assigns, assigns, other.revokes, revokes))
    if again.partitions != owned:
        fail("restarted static member got partitions %s, had %s" % (sorted(again.partitions), sorted(owned)))
    other.c.close()
    again.c.close()
    return assigns, sorted(owned)


def main():
    bootstrap, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
    produce(bootstrap, topic)
    committed = resume_after_commit(bootstrap, topic, group)
    assigns, owned = static_restart(bootstrap, topic, group + "-static")
    print("OK: resumed after commit %s; static member restarted keeping partitions %s, "
          "other member's on_assign count stayed %d"
          % ([(tp.partition, tp.offset) for tp in committed], owned, assigns))


if __name__ == "__main__":
    main()
