# vnawatch: the scheduler (`vnawatch run`) and every other command.
# Built by docker-compose.yml; config.yaml is mounted at run time, not baked in.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VNAWATCH_CONFIG=/config/config.yaml

WORKDIR /src
COPY pyproject.toml README.md ./
COPY *.py ./
COPY config/ config/
COPY crawler/ crawler/
COPY service/ service/
COPY demo/ demo/
COPY alerts/ alerts/
COPY store/ store/
COPY web/ web/
RUN pip install . && rm -rf /src

# An unprivileged user owns the working directory (file outbox, HTTP cache).
RUN groupadd --system --gid 10001 vnawatch \
    && useradd --system --uid 10001 --gid vnawatch --home-dir /data --create-home vnawatch
USER vnawatch:vnawatch
WORKDIR /data

# exit 1 when something needs a person (see docs/operations.md)
HEALTHCHECK --interval=60s --timeout=30s --start-period=60s --retries=3 \
    CMD ["vnawatch", "status"]

ENTRYPOINT ["vnawatch"]
CMD ["run", "--wait"]
