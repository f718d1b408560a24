"""The executor: a stateless worker that claims runs, runs their phases under caps, and reports."""
