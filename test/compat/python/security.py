"""Round trip, or expected refusal, over a secured listener with confluent-kafka-python.

usage: security.py BOOTSTRAP TOPIC ok|fail key=value...
The key=value pairs are librdkafka client settings (security.protocol,
sasl.mechanisms, sasl.username, sasl.password, ssl.ca.location, ...).
Prints "OK: ..." on success; exits non-zero otherwise.
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient


def main():
    bootstrap, topic, mode = sys.argv[1:4]
    conf = {"bootstrap.servers": bootstrap}
    for kv in sys.argv[4:]:
        k, v = kv.split("=", 1)
        conf[k] = v
    errors = []
    conf["error_cb"] = lambda err: errors.append(err)

    if mode == "fail":
        admin = AdminClient(conf)
        try:
            admin.list_topics(timeout=10)
        except KafkaException as e:
            print("OK: refused:", e, [str(x) for x in errors])
            return 0
        print("FAIL: metadata served to a client that should be refused")
        return 1

    n = 100
    p = Producer(dict(conf, **{"enable.idempotence": True}))
    for i in range(n):
        p.produce(topic, key=b"k%d" % i, value=b"secure-%d" % i)
    left = p.flush(30)
    if left:
        print("FAIL: %d messages not delivered; errors %s" % (left, errors))
        return 1

    c = Consumer(dict(conf, **{"group.id": "py-" + topic, "enable.auto.commit": False}))
    c.assign([TopicPartition(topic, 0, 0)])
    got = []
    deadline = time.time() + 30
    while len(got) < n and time.time() < deadline:
        m = c.poll(1.0)
        if m is None:
            continue
        if m.error():
            print("FAIL: consume error", m.error())
            return 1
        got.append(m.value())
    c.close()
    if got != [b"secure-%d" % i for i in range(n)]:
        print("FAIL: consumed %d of %d messages" % (len(got), n))
        return 1
    print("OK: %d messages round-tripped over %s" % (n, conf.get("security.protocol")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
