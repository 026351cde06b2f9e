# regoffice production image: one image for web (gunicorn), worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REGOFFICE_INSTANCE=/var/lib/regoffice

# Layout: the whole repository lives in /app and the package is installed *editable*.
# migrations/, workflows/, forms/, templates/ and config/ sit at the repository root and the
# code finds them relative to the package (server.config.ROOT = the parent of server/). A plain
# `pip install .` would put server/ in site-packages, away from those folders, so every process
# (gunicorn, `regoffice worker`, `regoffice beat`, `regoffice db upgrade`) would look for
# migrations in the wrong place. The editable install keeps one copy of the code at /app/server
# and still gives the `regoffice` console script and all dependencies.
WORKDIR /app

# LibreOffice makes the PDF of every issued document, once, in the worker (server/documents/pdf.py):
# Debian's Writer without a GUI, and python3-uno for the warm converter (a LibreOffice kept
# running between documents, driven by Debian's /usr/bin/python3). Fonts for Cyrillic and Kazakh.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libreoffice-writer-nogui python3-uno fonts-dejavu-core fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/regoffice --no-create-home \
        --shell /usr/sbin/nologin regoffice \
    && install -d -o regoffice -g regoffice -m 0750 /var/lib/regoffice

# Dependencies first, from pyproject.toml alone with a placeholder package, so that a code
# change does not reinstall them (the editable install points at /app/server either way).
COPY pyproject.toml README.md ./
RUN mkdir server && touch server/__init__.py \
    && pip install --upgrade pip setuptools wheel \
    && pip install -e . \
    && rm -rf server

# The code and the office's data (models, forms, document templates, configuration).
# Owned by root and read-only for the service user; it writes only to /var/lib/regoffice.
COPY . .
RUN python -c "import server.config as c, sys; sys.exit(0 if (c.ROOT / 'migrations').is_dir() else 1)"

USER regoffice
EXPOSE 8000

# The web process; docker-compose.yml overrides the command for worker, beat and migrate.
CMD ["gunicorn", "--config", "python:server.gunicorn_conf", "server.wsgi:app", "--bind", "0.0.0.0:8000"]
