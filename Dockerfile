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
RUN pip install -e . \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput \
    && useradd --system --home /app app \
    && mkdir -p /app/media && chown -R app /app/media

USER app
EXPOSE 8000
CMD ["gunicorn", "luchen_care.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
