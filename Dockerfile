# smtpbot: the Slack app, pure Python (nothing to compile, so no builder stage is needed).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . && useradd --system --uid 10001 --no-create-home smtpbot

USER smtpbot
# HTTP mode listens here; Socket Mode (SLACK_APP_TOKEN set) needs no inbound port.
ENV PORT=3000
EXPOSE 3000
# Slack answers owed at shutdown are drained for a grace period on SIGTERM.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=3s \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz', timeout=2)"
CMD ["python", "-m", "bot"]
