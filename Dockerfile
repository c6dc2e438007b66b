# Production image: gunicorn serves the app, WhiteNoise serves the static files.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY luchen_care ./luchen_care
COPY registry ./registry
COPY subsidies ./subsidies
COPY inspections ./inspections
COPY targets ./targets
COPY templates ./templates
COPY static ./static
COPY locale ./locale
COPY manage.py gunicorn.conf.py ./
COPY scripts ./scripts
RUN pip install -e . \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-secret scripts/entrypoint collectstatic \
    && useradd --system --home /app app \
    && mkdir -p /app/media && chown -R app /app/media

USER app
EXPOSE 8000
# One entry point for every process (scripts/entrypoint): web by default; compose names the others.
ENTRYPOINT ["scripts/entrypoint"]
CMD ["web"]
