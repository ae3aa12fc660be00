"""The monitoring core under test: fetches from hosts, analyses, persists, under its locks."""
