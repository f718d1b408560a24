"""RPC calls over supabase-py, with error mapping and retries that are safe for the call.

A request that never reached the server (connection refused, DNS, connect timeout, PostgREST's
PGRST002) is retried for every call. A request that may have reached it (read timeout,
dropped connection, any other "unavailable" answer such as PGRST000/PGRST001 or a gateway's 502/503/504) is
retried only for idempotent calls; the others surface as Unavailable so the caller decides.

Retries use exponential backoff with full jitter, bounded by RetryPolicy (environment:
CONTROLROOM_RETRY_ATTEMPTS, default 5; CONTROLROOM_RETRY_BASE_SECONDS, default 0.2;
CONTROLROOM_RETRY_MAX_SECONDS, default 5 — see docs/reliability.md).
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from postgrest.exceptions import APIError, APIErrorFromJSON
from postgrest.types import CountMethod
from pydantic import ValidationError
from supabase import Client, ClientOptions, create_client

from controlroom.client import boundedjson
from controlroom.client.errors import (
    NOT_APPLIED_CODES,
    ConfigurationError,
    ControlPlaneError,
    InvalidReply,
    Unavailable,
    from_response,
)

NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
MAYBE_SENT = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError, httpx.WriteTimeout)
BAD_KEY_MESSAGES = ("Invalid API key", "No API key found in request", "Invalid authentication credentials")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    base_seconds: float = 0.2
    max_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> RetryPolicy:
        """CONTROLROOM_RETRY_ATTEMPTS / _BASE_SECONDS / _MAX_SECONDS, else the defaults above."""
        default = cls()
        try:
            return cls(
                attempts=max(1, int(os.environ.get("CONTROLROOM_RETRY_ATTEMPTS", default.attempts))),
                base_seconds=max(0.0, float(os.environ.get("CONTROLROOM_RETRY_BASE_SECONDS", default.base_seconds))),
                max_seconds=max(0.0, float(os.environ.get("CONTROLROOM_RETRY_MAX_SECONDS", default.max_seconds))),
            )
        except ValueError as exc:
            raise ConfigurationError(f"CONTROLROOM_RETRY_* must be numbers: {exc}") from None

    def delay(self, attempt: int) -> float:
        # Full jitter: spreads a fleet of executors that lost the control plane at the same moment.
        return random.uniform(0, min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)))  # noqa: S311


class Transport:
    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        access_token: str | None = None,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url or not url.startswith(("http://", "https://")):
            raise ConfigurationError(
                f"SUPABASE_URL {url!r} is not an http(s) URL. Set it to the project URL, e.g. "
                'https://<ref>.supabase.co, or run `eval "$(controlroom env)"` for the local stack.'
            )
        if not api_key:
            raise ConfigurationError("No API key given. Set SUPABASE_ANON_KEY (the project's anon key).")
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        try:
            self._client: Client = create_client(
                url.rstrip("/"),
                api_key,
                options=ClientOptions(
                    headers=headers,
                    auto_refresh_token=False,
                    persist_session=False,
                    # One keep-alive connection per client; the timeout bounds every call.
                    httpx_client=httpx.Client(timeout=timeout),
                ),
            )
        except Exception as exc:  # supabase-py raises its own SupabaseException for malformed keys/URLs
            raise ConfigurationError(f"Cannot create the Supabase client for {url}: {exc}") from None
        if access_token:
            self._client.postgrest.auth(access_token)
        self.url = url
        self.retry = retry or RetryPolicy.from_env()
        self._sleep = sleep

    def rpc(self, name: str, params: dict[str, Any], *, idempotent: bool, per_item: bool = False) -> Any:
        """The decoded reply. per_item: an array reply is decoded item by item, and an item that
        cannot be decoded (too deep) comes back as a boundedjson.Undecodable in its place."""
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._send_rpc(name, params, per_item=per_item)
            except APIError as exc:
                refusal = self._refusal(exc)
                retryable = isinstance(refusal, Unavailable) and (idempotent or refusal.code in NOT_APPLIED_CODES)
                if not retryable or attempt >= self.retry.attempts:
                    raise refusal from None
            except NEVER_SENT as exc:
                if attempt >= self.retry.attempts:
                    raise Unavailable(f"cannot reach the control plane at {self.url}: {exc}") from None
            except MAYBE_SENT as exc:
                if not idempotent or attempt >= self.retry.attempts:
                    raise Unavailable(
                        f"the control plane at {self.url} did not answer {name} ({exc}); "
                        + ("it may or may not have applied it" if not idempotent else "gave up after retries")
                    ) from None
            self._sleep(self.retry.delay(attempt))

    def _send_rpc(self, name: str, params: dict[str, Any], *, per_item: bool) -> Any:
        # postgrest-py's execute() decodes with the stdlib's recursive decoder, which a reply
        # carrying a deeply nested value (tenant-written params) turns into a RecursionError that
        # kills the worker. The request is the same; only the decoding is ours and bounded.
        return self._decode(name, self._client.rpc(name, params).request.send(httpx.Headers()), per_item=per_item)

    @staticmethod
    def _decode(what: str, response: httpx.Response, *, per_item: bool) -> Any:
        if not response.is_success:
            try:
                raise APIError(dict(APIErrorFromJSON.model_validate_json(response.content)))
            except ValidationError:
                raise APIError(
                    {"message": response.text[:2000], "code": str(response.status_code), "hint": None, "details": None}
                ) from None
        if not response.content:
            return None
        decode = boundedjson.loads_items if per_item else boundedjson.loads
        try:
            return decode(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidReply(f"the reply to {what} cannot be decoded: {exc}") from None

    def select(
        self,
        table: str,
        *,
        columns: str,
        filters: dict[str, str],
        order: str | None,
        desc: bool,
        limit: int | None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """A read of a table or view; filters are PostgREST's `op.value` strings, e.g. {"status": "eq.queued"}."""
        query = self._filtered(self._client.table(table).select(columns), filters)
        if order:
            query = query.order(order, desc=desc)
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
        rows: list[dict[str, Any]] = self._decode(table, self._read(table, query), per_item=False)
        return rows

    def count(self, table: str, *, filters: dict[str, str]) -> int:
        """How many rows of a table or view the caller sees (an exact count, no rows sent)."""
        query = self._filtered(self._client.table(table).select("*", count=CountMethod.exact, head=True), filters)
        total = self._read(table, query).headers.get("content-range", "").rpartition("/")[2]
        if not re.fullmatch(r"[0-9]+", total):
            raise Unavailable(f"{self.url} did not count the rows of {table} (no Content-Range in its answer)")
        return int(total)

    @staticmethod
    def _filtered(query: Any, filters: dict[str, str]) -> Any:
        for column, expression in filters.items():
            op, _, value = expression.partition(".")
            query = query.filter(column, op, value)
        return query

    def _read(self, table: str, query: Any) -> httpx.Response:
        """The answer to a read, retried while the API cannot be reached (reads are idempotent)."""
        attempt = 0
        while True:
            attempt += 1
            try:
                response: httpx.Response = query.request.send(httpx.Headers())
            except (*NEVER_SENT, *MAYBE_SENT) as exc:
                if attempt >= self.retry.attempts:
                    raise Unavailable(f"cannot read {table} from {self.url}: {exc}") from None
            else:
                if not response.is_success:
                    try:
                        self._decode(table, response, per_item=False)
                    except APIError as exc:
                        refusal = self._refusal(exc)
                        if not isinstance(refusal, Unavailable) or attempt >= self.retry.attempts:
                            raise refusal from None
                        self._sleep(self.retry.delay(attempt))
                        continue
                return response
            self._sleep(self.retry.delay(attempt))

    @staticmethod
    def _refusal(exc: APIError) -> ControlPlaneError:
        body: dict[str, Any] = {"code": exc.code, "message": exc.message, "details": exc.details, "hint": exc.hint}
        status = int(exc.code) if isinstance(exc.code, str) and exc.code.isdigit() else None
        if any(m in str(exc.message or "") for m in BAD_KEY_MESSAGES):
            return ConfigurationError(
                f"The control plane refused the API key: {exc.message}. Use the project's anon key as "
                "SUPABASE_ANON_KEY (executors add their own token as the bearer).",
                status=401,
            )
        return from_response(body, status)

    def close(self) -> None:
        self._client.postgrest.session.close()
