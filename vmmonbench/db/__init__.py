"""The database side of the benchmark: schema, population, data access and its profiler."""
