"""Helpers for the real-browser tests: a JupyterLab server, notebooks to open in it, digits to draw."""
