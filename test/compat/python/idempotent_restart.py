#!/usr/bin/python3
"""An idempotent confluent-kafka-python producer across a broker restart.

Usage: idempotent_restart.py BOOTSTRAP TOPIC COUNT SECONDS

Produces COUNT messages "m-0".."m-<COUNT-1>" to TOPIC (partition 0) with
enable.idempotence=true, spread over about SECONDS seconds, so that the
test can kill and restart the broker in the middle; then flushes. Prints
"DELIVERED n FAILED m" and exits 0 when every message was delivered.
Duplicates are checked by the caller, which reads the topic back.
"""

import sys
import time

from confluent_kafka import Producer


def main():
    bootstrap, topic, count, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    delivered, failed = [0], []

    def on_delivery(err, msg):
        if err is not None:
            failed.append(str(err))
        else:
            delivered[0] += 1

    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all",
                  "linger.ms": 5, "message.timeout.ms": 120000, "retry.backoff.ms": 100,
                  "error_cb": lambda e: print("client error: %s" % e, file=sys.stderr)})
    pause = seconds / count
    for i in range(count):
        while True:
            try:
                p.produce(topic, value=b"m-%d" % i, partition=0, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
        time.sleep(pause)
    left = p.flush(120)
    print("DELIVERED %d FAILED %d" % (delivered[0], len(failed)))
    if left or failed:
        print("FAIL: %d undelivered, errors %s" % (left, failed[:3]), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
