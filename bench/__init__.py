"""Benchmarks. Each `bench/<name>.py` is a script that prints its progress and a ratio against a baseline
measured in the same run; `python -m bench` runs them all (see `bench/__main__.py`)."""
