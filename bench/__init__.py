"""Benchmark scripts: run each with .venv/bin/python bench/NAME.py; they print figures, they are not tests."""
