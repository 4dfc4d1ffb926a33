"""A probe consumer run as its own process that dies (os._exit) on the "poison" event.

A crash, not an exception: the handler never returns, nothing of its batch commits and the
broker takes back every message the process had in flight. The test restarts it each time.
Its delivery limit, prefetch and batch come from BUS_DELIVERY_LIMIT, BUS_PREFETCH and argv.
"""
import os
import sys
import threading

from tests.bus import probe

if __name__ == "__main__":
    database_url, bus_url, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kit = probe.consumer(database_url, bus_url, consume_batch=batch)
    worker = kit.consumer()
    handler = worker.handlers[probe.EVENT]

    def crashing(uow, event):
        if event.data["session_id"] == "poison":
            os._exit(1)
        handler(uow, event)

    worker.handlers[probe.EVENT] = crashing
    worker.run(threading.Event())
