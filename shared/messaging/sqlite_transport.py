"""A durable kombu transport on one SQLite file, for embedded mode.

kombu's ``memory://`` loses unacked messages when a process dies, and its SQLAlchemy
transport never deletes acked rows (so it cannot tell delivered from done). Here a message
row lives until it is acked: a delivered row is leased to the delivering process (its pid),
and rows leased by a process that no longer exists become deliverable again — so killing
the embedded process mid-stream redelivers exactly the unacked messages.

URL: ``sqlite-bus:///path/to/bus.sqlite``. Routing (topic exchanges, bindings) is kombu's
virtual-transport logic, kept in process memory: declare every queue before publishing.
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from queue import Empty

from kombu.transport import virtual

_SCHEMA = """
CREATE TABLE IF NOT EXISTS bus_message (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    payload TEXT NOT NULL,
    leased_by INTEGER
);
CREATE INDEX IF NOT EXISTS ix_bus_message_queue ON bus_message (queue, leased_by, id);
"""
_recovered: set[str] = set()
_recover_lock = threading.Lock()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class QoS(virtual.QoS):
    def ack(self, delivery_tag):
        message = self._delivered.get(delivery_tag)
        if message is not None:
            self.channel._delete(message)
        super().ack(delivery_tag)

    def reject(self, delivery_tag, requeue=False):
        message = self._delivered.get(delivery_tag)
        if message is not None:
            if requeue:
                self.channel._release(message)
            else:
                self.channel._delete(message)
        self._quick_ack(delivery_tag)


class Channel(virtual.Channel):
    QoS = QoS
    do_restore = True

    def __init__(self, connection, **kwargs):
        super().__init__(connection, **kwargs)
        self._last_recovery = time.monotonic()
        self._db = self._open_db(connection.client.hostname, connection.client.virtual_host)

    @staticmethod
    def _path(hostname, virtual_host) -> str:
        return "/" + (virtual_host or "").lstrip("/") if not hostname else hostname

    def _open_db(self, hostname, virtual_host) -> sqlite3.Connection:
        path = self.connection.client.transport_options.get("path") or self._path(hostname, virtual_host)
        db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA busy_timeout=30000")
        db.executescript(_SCHEMA)
        with _recover_lock:
            if path not in _recovered:
                self._recover(db)
                _recovered.add(path)
        return db

    @staticmethod
    def _recover(db: sqlite3.Connection, include_own: bool = True) -> None:
        """Release messages leased by processes that died before acking them.

        At a process's first open its own pid's leases are stale too (a previous process
        with the same pid); later, only other processes' leases are checked.
        """
        leased = {pid for (pid,) in db.execute(
            "SELECT DISTINCT leased_by FROM bus_message WHERE leased_by IS NOT NULL")}
        own = os.getpid()
        dead = [pid for pid in leased if (pid == own and include_own) or (pid != own and not _pid_alive(pid))]
        for pid in dead:
            db.execute("UPDATE bus_message SET leased_by = NULL WHERE leased_by = ?", (pid,))

    def _new_queue(self, queue, **kwargs):
        pass

    def _put(self, queue, message, **kwargs):
        self._db.execute("INSERT INTO bus_message (queue, payload) VALUES (?, ?)",
                         (queue, json.dumps(message)))

    def _get(self, queue, timeout=None):
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT id, payload FROM bus_message WHERE queue = ? AND leased_by IS NULL "
                "ORDER BY id LIMIT 1", (queue,)).fetchone()
            if row is None:
                db.execute("COMMIT")
                if time.monotonic() - self._last_recovery > 2.0:
                    self._last_recovery = time.monotonic()
                    self._recover(db, include_own=False)
                raise Empty()
            db.execute("UPDATE bus_message SET leased_by = ? WHERE id = ?", (os.getpid(), row[0]))
            db.execute("COMMIT")
        except Empty:
            raise
        except BaseException:
            db.execute("ROLLBACK")
            raise
        payload = json.loads(row[1])
        payload.setdefault("properties", {})["bus_row_id"] = row[0]
        return payload

    def _row_id(self, message) -> int | None:
        return message.properties.get("bus_row_id")

    def _delete(self, message) -> None:
        if (row_id := self._row_id(message)) is not None:
            self._db.execute("DELETE FROM bus_message WHERE id = ?", (row_id,))

    def _release(self, message) -> None:
        if (row_id := self._row_id(message)) is not None:
            self._db.execute("UPDATE bus_message SET leased_by = NULL WHERE id = ?", (row_id,))

    def _restore(self, message):
        # Unacked at shutdown: make it deliverable again in place (keeps its order).
        self._release(message)

    def _restore_at_beginning(self, message):
        self._release(message)

    def _size(self, queue):
        (count,) = self._db.execute(
            "SELECT COUNT(*) FROM bus_message WHERE queue = ? AND leased_by IS NULL", (queue,)).fetchone()
        return count

    def _purge(self, queue):
        count = self._size(queue)
        self._db.execute("DELETE FROM bus_message WHERE queue = ?", (queue,))
        return count

    def _delete_queue(self, queue, *args, **kwargs):
        self._purge(queue)

    def close(self):
        super().close()
        try:
            self._db.close()
        except Exception:  # noqa: BLE001  # nosec B110 # closing is best effort
            pass


class Transport(virtual.Transport):
    Channel = Channel
    polling_interval = 0.05
    default_port = 0
    driver_type = "sqlite"
    driver_name = "sqlite3"
    # Routing state shared by every connection in this process (one embedded bus).
    global_state = virtual.BrokerState()

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self.state = self.global_state

    def driver_version(self):
        return sqlite3.sqlite_version


def register() -> None:
    from kombu.transport import TRANSPORT_ALIASES
    TRANSPORT_ALIASES.setdefault("sqlite-bus", "shared.messaging.sqlite_transport:Transport")
