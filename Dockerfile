# The API as `make run` serves it (gunicorn with gunicorn.conf.py), configured from the
# environment (docs/operations.md). The same image runs the migrations and the worker:
# see docker-compose.yml.
# The pages' browser libraries, from the npm registry as package-lock.json pins them.
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/assets.sh scripts/
RUN bash scripts/assets.sh

FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_FORMAT=json \
    MEDIA_ROOT=/var/lib/monitoring/media

# fping: the worker's ping check.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fping \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY . .
COPY --from=assets /app/monitoring/static/vendor monitoring/static/vendor
# An unprivileged user; it owns only what the service writes (uploads, and var/ for the
# fallback secret key when SECRET_KEY is not set).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin monitoring \
 && mkdir -p /var/lib/monitoring/media /app/var \
 && chown -R monitoring /var/lib/monitoring /app/var
USER monitoring

EXPOSE 8000
# Liveness: the process answers (no database involved). Load balancers should use /readyz.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=2)"]
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
