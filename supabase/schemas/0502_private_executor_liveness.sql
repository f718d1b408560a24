-- Why: "is this executor alive?" is asked by executor_health (0710) and explain_wait (0730); one
-- rule, judged against the period the executor declared at registration (heartbeat_seconds): it is
-- live until it has been silent for three periods (two beats missed), then lost.

create function private.executor_is_live(
    last_seen_at timestamptz, heartbeat_seconds double precision, as_of timestamptz
)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select executor_is_live.last_seen_at
        >= executor_is_live.as_of - pg_catalog.make_interval(secs => 3 * executor_is_live.heartbeat_seconds)
$$;

comment on function private.executor_is_live(timestamptz, double precision, timestamptz) is
'Whether an executor last seen at last_seen_at, with the declared period heartbeat_seconds, is live at as_of: silent for less than three periods. Lost otherwise.';

revoke execute on function private.executor_is_live(timestamptz, double precision, timestamptz)
from public, anon, authenticated, service_role, controlroom_executor;
-- The security-invoker view executor_health calls it as the reader.
grant execute on function private.executor_is_live(timestamptz, double precision, timestamptz)
to authenticated, service_role;
