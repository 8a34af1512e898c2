# The one image the k8s manifests run (docs/deploy.md): api (`node --import tsx api/main.ts`) and
# worker (`node dist/worker/main.cjs`, built by `npm run build:worker` with its workflow bundle). Not built in CI here (no Docker engine).
FROM node:20-bookworm-slim

# Chromium and fonts for PDF exports (Portuguese, Spanish, Arabic, emoji), poppler for reading PDFs,
# Tesseract with Portuguese, Spanish and English data for the text inside media (issue 18); no recommends, no cache.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      chromium fonts-noto-core fonts-noto-color-emoji fonts-liberation poppler-utils \
      tesseract-ocr tesseract-ocr-por tesseract-ocr-spa tesseract-ocr-eng ca-certificates \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY package.json package-lock.json ./
COPY web/package.json web/package.json
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web && npm run build:worker && npm prune --omit=dev --no-audit --no-fund

ENV NODE_ENV=production \
    CHROMIUM_PATH=/usr/bin/chromium \
    WORKER_WORKFLOW_BUNDLE=/app/dist/worker/workflow-bundle.js \
    API_HOST=0.0.0.0
USER 10001
EXPOSE 3000 9464 9465
CMD ["node", "--import", "tsx", "api/main.ts"]
