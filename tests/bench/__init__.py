"""Benchmarks behind `make bench` (docs/PERFORMANCE.md). Never collected by pytest."""
