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
def programme(tmp_path, rabbitmq_vhost, smtp, monkeypatch):
    """Every service as separate processes on RabbitMQ and PostgreSQL."""
    # Production shape: billing issues no invoice with its placeholder seller details.
    monkeypatch.setenv("BILLING_SELLER_NAME", "MTÜ Arenguprogrammi Korraldaja")
    monkeypatch.setenv("BILLING_SELLER_REGISTRY_CODE", "80312345")
    monkeypatch.setenv("BILLING_SELLER_VAT_NUMBER", "EE102345678")
    services.need("127.0.0.1", 5432, "PostgreSQL")
    url = amqp_url(rabbitmq_vhost)
    delete_queues(url)
    (tmp_path / "var").mkdir()
    running = Programme(tmp_path, url, smtp.port).start()
    yield running
    running.stop()
    delete_queues(url)
