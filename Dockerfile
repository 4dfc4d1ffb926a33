FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
COPY gateway gateway
COPY deploy/gunicorn.conf.py deploy/gunicorn.conf.py
# The translations are compiled here, where the code is still writable: start-up only reads
# them (the app's user cannot write /app). /app's copy is the one that runs (python -m and
# gunicorn put the working directory first on the path).
RUN pip install --no-cache-dir . && python -m shared.i18n && useradd --system --uid 10001 app
# Times are stored in UTC and shown in Europe/Tallinn (zoneinfo, from the system's tz
# database): fail the build, not the first page, if the base image ever ships without it.
RUN python -c "from zoneinfo import ZoneInfo; ZoneInfo('Europe/Tallinn')"
USER app
# The container's own clock and its log lines' times stay UTC; pages and e-mails convert.
ENV VAR_DIR=/tmp/var TZ=UTC
