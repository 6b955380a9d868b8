"""Running Yimi: health and readiness, metrics, request logs, backups."""
