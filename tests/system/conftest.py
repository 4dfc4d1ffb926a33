import pytest

from shared.testing import services
from shared.testing.fixtures import amqp_url, delete_queues
from shared.testing.processes import Programme
from shared.testing.smtp import SmtpSink


@pytest.fixture
def smtp():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def programme(tmp_path, rabbitmq_vhost, smtp):
    """Every service as separate processes on RabbitMQ and PostgreSQL."""
    services.need("127.0.0.1", 5432, "PostgreSQL")
    url = amqp_url(rabbitmq_vhost)
    delete_queues(url)
    (tmp_path / "var").mkdir()
    running = Programme(tmp_path, url, smtp.port).start()
    yield running
    running.stop()
    delete_queues(url)
