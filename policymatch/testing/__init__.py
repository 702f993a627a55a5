"""Seeded generators for tests and benchmarks (registries live in :mod:`policymatch.registry.generate`)."""
