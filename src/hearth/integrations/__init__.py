"""Integrations: packages that add entities and services to the hub."""
