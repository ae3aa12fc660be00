"""Renderers: turn Results into terminal output or HTML; they never measure anything."""
