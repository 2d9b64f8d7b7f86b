"""Throughput benchmarks for toymodels (run as modules; not part of the installed package)."""
