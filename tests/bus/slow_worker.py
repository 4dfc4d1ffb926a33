"""A probe consumer run as its own process that SIGKILLs itself mid-batch.

It dies inside the handler of its `die_at`-th event: some batches are committed and acked,
the one in hand has run its handler but not committed. Dying by its own hand makes the
moment of death exact — a test that kills from outside races the worker (and, on SQLite,
the test's own reads wait behind the worker's write lock).
"""
import os
import signal
import sys
import threading

from tests.bus import probe

if __name__ == "__main__":
    database_url, bus_url, die_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    kit = probe.consumer(database_url, bus_url, consume_batch=5)
    worker = kit.consumer()
    handler = worker.handlers[probe.EVENT]
    handled = 0

    def dying(uow, event):
        global handled
        handler(uow, event)
        handled += 1
        if handled == die_at:
            os.kill(os.getpid(), signal.SIGKILL)

    worker.handlers[probe.EVENT] = dying
    worker.run(threading.Event())
