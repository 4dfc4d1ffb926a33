FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
COPY gateway gateway
COPY deploy/gunicorn.conf.py deploy/gunicorn.conf.py
RUN pip install --no-cache-dir . && useradd --system --uid 10001 app
# Times are stored in UTC and shown in Europe/Tallinn (zoneinfo, from the system's tz
# database): fail the build, not the first page, if the base image ever ships without it.
RUN python -c "from zoneinfo import ZoneInfo; ZoneInfo('Europe/Tallinn')"
USER app
# The container's own clock and its log lines' times stay UTC; pages and e-mails convert.
ENV VAR_DIR=/tmp/var TZ=UTC
