# watchtower — a small image that runs the daemon as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY watchtower ./watchtower
COPY sources ./sources
COPY rules ./rules
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --wheel-dir /wheels '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /data --create-home watchtower
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
USER watchtower
WORKDIR /data
ENV WATCHTOWER_CONFIG=/config/watchtower.toml PYTHONUNBUFFERED=1
VOLUME ["/data"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["watchtower"]
CMD ["run"]
