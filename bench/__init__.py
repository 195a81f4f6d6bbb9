"""Benchmarks, run by hand (not in CI). See bench/README.md and docs/benchmarks.md."""
