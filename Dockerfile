# mobproc-bot: `docker build -t mobproc-bot .`, then see compose.yaml and the README's
# "Run it in containers".
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=3000

WORKDIR /app
COPY pyproject.toml README.md manifest.yml ./
COPY bot ./bot
COPY handlers ./handlers
COPY blocks ./blocks
# The bot runs unprivileged; it may write only its working folder (a SQLite file, if used).
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mobproc \
    && chown mobproc /app
USER mobproc

EXPOSE 3000
# Orchestrators stop containers with SIGTERM: the bot then finishes what it started within
# SHUTDOWN_GRACE_SECONDS (give it longer than that, e.g. compose's stop_grace_period).
STOPSIGNAL SIGTERM
# The slim image has no curl: Python itself asks /healthz (503 or no answer: unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)"

CMD ["python", "-m", "bot"]
