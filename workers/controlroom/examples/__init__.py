"""Entry points used by the example pipelines in specs/examples/."""
