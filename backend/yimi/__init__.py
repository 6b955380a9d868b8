"""Yimi (一米): enterprise-service issues, teams and maps for county governments."""
