"""Logical Spark engine names → Spark Connect URLs, from the executor's configuration.

`CONTROLROOM_SPARK_ENDPOINTS` is a comma-separated list of `name=sc://host:port[/;params]` entries. A name
is either an engine (`default`, `big`: for every workspace this executor's pool serves) or
`<workspace id>/<engine>` (that workspace only: the way to give a workspace an engine of its own, which
is the data boundary on engines that take their storage credentials from the server, as Sail does; see
docs/spark.md). A workspace's own entry wins over the pool-wide one. Unset: no spark phase can run here.

Example: `default=sc://127.0.0.1:50051,7d0c…-…/default=sc://sail-ws7.spark.svc:50051`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from controlroom.lakehouse.spark_models import ENGINE_NAME_PATTERN

ENDPOINTS_VARIABLE = "CONTROLROOM_SPARK_ENDPOINTS"
# 1: the run's vended S3 credentials go into the Spark session's configuration (fs.s3a.*), for engines
# whose S3 connector reads it (Apache Spark with S3A). Default 0: Sail and Databricks ignore it.
SESSION_CREDENTIALS_VARIABLE = "CONTROLROOM_SPARK_SESSION_CREDENTIALS"
_ENGINE = ENGINE_NAME_PATTERN.strip("^$")
_KEY = re.compile(rf"^(?:(?P<workspace>[0-9A-Za-z-]{{1,64}})/)?(?P<engine>{_ENGINE})$")
_URL = re.compile(r"^sc://[A-Za-z0-9._\-\[\]:]+(?::\d{1,5})?(?:/;[^\s,]*)?/?$")


class SparkEndpointError(ValueError):
    """The configuration cannot be read, or names no endpoint for a phase's engine."""


@dataclass(frozen=True)
class SparkEndpoints:
    pool_wide: dict[str, str] = field(default_factory=dict)
    per_workspace: dict[tuple[str, str], str] = field(default_factory=dict)
    session_credentials: bool = False

    @classmethod
    def parse(cls, text: str, *, session_credentials: bool = False) -> SparkEndpoints:
        pool_wide: dict[str, str] = {}
        per_workspace: dict[tuple[str, str], str] = {}
        for raw in text.split(","):
            entry = raw.strip()
            if not entry:
                continue
            key, sep, url = entry.partition("=")
            match = _KEY.match(key.strip())
            if not sep or match is None:
                raise SparkEndpointError(
                    f"{ENDPOINTS_VARIABLE}: {entry!r} is not <engine>=sc://host:port or "
                    "<workspace id>/<engine>=sc://host:port"
                )
            url = url.strip()
            if not _URL.match(url):
                raise SparkEndpointError(f"{ENDPOINTS_VARIABLE}: {url!r} (for {key.strip()}) is not an sc:// URL")
            if match.group("workspace"):
                per_workspace[(match.group("workspace"), match.group("engine"))] = url
            else:
                pool_wide[match.group("engine")] = url
        return cls(pool_wide, per_workspace, session_credentials)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SparkEndpoints:
        env = os.environ if environ is None else environ
        flag = env.get(SESSION_CREDENTIALS_VARIABLE, "0").strip().lower()
        if flag not in ("0", "1", "true", "false", ""):
            raise SparkEndpointError(f"{SESSION_CREDENTIALS_VARIABLE}={flag!r} must be 0 or 1")
        return cls.parse(env.get(ENDPOINTS_VARIABLE, ""), session_credentials=flag in ("1", "true"))

    def resolve(self, workspace_id: str, engine: str) -> str:
        url = self.per_workspace.get((workspace_id, engine)) or self.pool_wide.get(engine)
        if url is None:
            known = sorted({*self.pool_wide, *(name for ws, name in self.per_workspace if ws == workspace_id)})
            raise SparkEndpointError(
                f"no Spark engine {engine!r} is configured for this executor (known here: "
                f"{', '.join(known) or 'none'}); the operator maps engine names to sc:// URLs with "
                f"{ENDPOINTS_VARIABLE}, or the spec names another engine"
            )
        return url
