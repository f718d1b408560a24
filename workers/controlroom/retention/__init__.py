"""Retention work the database cannot do itself: deleting artifact objects from S3 (issue 16)."""

from controlroom.retention.apply import ExpiryTally, expire_artifacts

__all__ = ["ExpiryTally", "expire_artifacts"]
