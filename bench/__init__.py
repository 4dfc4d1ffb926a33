"""Benchmarks: each prints the project's figure, a raw baseline from the same run, and the ratio."""
