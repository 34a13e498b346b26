# motcua on its embedded defaults: web chat, webhooks and /healthz on port 8080, SQLite in a
# volume. Point MOTCUA_DATABASE_URL / MOTCUA_REDIS_URL elsewhere to run several workers.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY integrations ./integrations
COPY knowledge ./knowledge
RUN pip install . && rm -rf /src

RUN useradd --system --uid 10001 --user-group --create-home --home-dir /var/lib/motcua motcua
USER motcua
WORKDIR /var/lib/motcua

ENV MOTCUA_HOST=0.0.0.0 \
    MOTCUA_PORT=8080 \
    MOTCUA_DATA_DIR=/var/lib/motcua
VOLUME ["/var/lib/motcua"]
EXPOSE 8080

# /healthz answers 503 when the database does not; urlopen raises on it, so the check fails.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MOTCUA_PORT', '8080'), timeout=4)"]

CMD ["motcua", "serve"]
