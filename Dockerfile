FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared shared
COPY services services
COPY gateway gateway
RUN pip install --no-cache-dir . && useradd --system --uid 10001 app
USER app
ENV VAR_DIR=/tmp/var
