"""gunicorn's settings for every web container: ``gunicorn -c deploy/gunicorn.conf.py …``
(docker-compose.yml; the bind address and the number of workers stay on the command line).

- Its own lines (starting, a worker booting, a worker timed out and killed) are written as the
  services write theirs (shared/observability.py ``JsonFormatter``: one JSON object a line,
  on stderr), so one log pipeline reads every line a container prints.
- No access log: nginx in front writes one for every request; a second copy per service
  would double it (and every personal link's token in its path).
- No control socket: nothing in a container uses ``gunicornc``, and the image's user has no
  home directory to put it in (``$HOME/.gunicorn``), which would only log a warning.
"""

control_socket_disable = True

logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "shared.observability.JsonFormatter"}},
    "handlers": {
        "stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"},
        # The root's from the start, so a line the app logs before its create_app() has called
        # shared.observability.configure_logging (billing's placeholder-seller warning) is JSON
        # too; marked as that function's own handler, so it adds no second one.
        "root": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr",
                 ".": {"_programme_office": True}},
    },
    "root": {"level": "INFO", "handlers": ["root"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
        # as configure_logging quietens them
        **{name: {"level": "WARNING"} for name in ("amqp", "kombu", "pika", "werkzeug", "alembic")},
    },
}
