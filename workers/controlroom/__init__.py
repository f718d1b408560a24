"""Lakehouse Control Room: Supabase-native pipeline orchestration."""

__version__ = "0.1.0"
