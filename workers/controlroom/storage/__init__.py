"""Tenant-scoped storage: one IAM role per workspace whose policy allows only its folder of the bucket."""
