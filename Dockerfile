# watchtower — a small image that runs the daemon as a non-root user.
#   docker build -t watchtower .
#   docker run --rm watchtower init - > watchtower.toml    # the documented example, to edit
#   docker run -d --name watchtower -e SLACK_BOT_TOKEN \
#     -v "$PWD/watchtower.toml:/config/watchtower.toml:ro" -v watchtower-data:/data watchtower
# In the config: database_url = "sqlite:////data/watchtower.db" (or PostgreSQL), and
# http = "127.0.0.1:8080" for the health check ("0.0.0.0:8080" to scrape /metrics).
FROM python:3.11-slim AS build
WORKDIR /src
# config.example.toml: shipped in the package for `watchtower init`.
COPY pyproject.toml README.md config.example.toml ./
COPY watchtower ./watchtower
COPY sources ./sources
COPY rules ./rules
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --user-group --home-dir /data --create-home watchtower
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER watchtower
WORKDIR /data
ENV WATCHTOWER_CONFIG=/config/watchtower.toml PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
# Two malloc arenas instead of one per poll thread (up to 8 per core): memory freed
# by one thread is reused by the others, so a daemon storing new items grows about
# 2.5 KiB per item instead of 6.5 (README, "Resources"; scripts/memory.py).
ENV MALLOC_ARENA_MAX=2
# The database (when SQLite). A host folder mounted here must be writable by uid 10001.
VOLUME ["/data"]
# [watchtower] http, when set to 0.0.0.0:8080 (/livez, /readyz, /healthz, /metrics).
EXPOSE 8080
# Asks the daemon's own /livez ([watchtower] http must be set): unhealthy when the
# poller is stuck or the daemon does not answer. Docker reserves exit status 2.
HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
  CMD watchtower status --live --log-level ERROR >/dev/null || exit 1
# SIGTERM (docker stop): the daemon stops within 8 seconds; SIGHUP reloads the config.
STOPSIGNAL SIGTERM
ENTRYPOINT ["watchtower"]
CMD ["run"]
