"""The shipped process kinds (YAML), loaded by `crm pipelines load --defaults`."""
