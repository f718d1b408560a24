"""GitOps gates: what CI refuses to merge (edited migrations, missing rollbacks, contract drift, secrets)."""
