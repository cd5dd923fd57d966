FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 peerbot
WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY peerbot ./peerbot
# The versions the tests passed with (constraints.txt; the README, "Installing", says how it is made)
RUN pip install -c constraints.txt .

USER peerbot
WORKDIR /home/peerbot
# `peerbot run` applies pending migrations before it starts polling.
CMD ["peerbot", "run"]
