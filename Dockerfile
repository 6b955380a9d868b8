# Stage 1: build the web app.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY frontend/ ./
# The web app's GraphQL types are generated from the published schema at build time.
COPY schema.graphql /src/schema.graphql
RUN npm run build

# Stage 2: the Python runtime.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    YIMI_HOST=0.0.0.0 YIMI_PORT=8000 YIMI_ENV=production \
    YIMI_DATABASE_URL=sqlite:///data/yimi.sqlite3 YIMI_FRONTEND_DIST=/app/frontend/dist
WORKDIR /app
COPY pyproject.toml README.md ./
COPY backend/ backend/
RUN pip install --no-cache-dir . && useradd --system --home /app yimi && mkdir /data && chown yimi /data
COPY --from=frontend /src/frontend/dist frontend/dist
USER yimi
VOLUME /data
EXPOSE 8000
# Ready once the database answers (/readyz); compose.yaml starts nginx after that.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD python -c "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('YIMI_PORT', '8000'), timeout=2)"
# Migrate, then serve (YIMI_WORKERS processes; above 1 with YIMI_REDIS_URL). YIMI_SECRET_KEY must be
# provided: production refuses the default.
CMD ["sh", "-c", "yimi migrate && exec yimi serve"]
