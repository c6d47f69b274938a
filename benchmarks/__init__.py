"""Benchmarks: each compares pep-docs with the naive way in the same run and prints ratios."""
