-- Why: an on-call engineer must tell an executor that is shutting down from one that died. The
-- executor says so itself: `draining` when it is told to stop (SIGTERM: it finishes what it holds
-- and claims nothing new), `stopped` when it has exited cleanly. Silence is judged by
-- executor_health (0710) against the period the executor declared at registration. Statuses only
-- move forward (active → draining → stopped); wake-ups (0325) only ever address active executors.

create function public.report_executor_status(executor_id uuid, status text, as_of timestamptz default null)
returns public.executors
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(report_executor_status.as_of);
    v_executor public.executors;
begin
    v_executor := private.assert_executor(report_executor_status.executor_id);
    if report_executor_status.status is null
        or report_executor_status.status not in ('draining', 'stopped') then
        raise exception 'status must be draining or stopped'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.quote_literal(report_executor_status.status), 'null')),
        hint = 'An executor reports draining when told to stop and stopped when it has exited; it registers again to be active.';
    end if;
    if v_executor.status = report_executor_status.status then
        return v_executor;  -- a retried report changes nothing
    end if;
    if v_executor.status = 'stopped' then
        raise exception 'executor % has stopped', v_executor.id
        using errcode = 'PT422',
        detail = pg_catalog.format('It reported stopped at %s.', v_executor.status_changed_at),
        hint = 'A stopped executor is final: register a new one.';
    end if;

    update public.executors as x
    set status = report_executor_status.status,
        status_changed_at = v_as_of,
        last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id
    returning x.* into v_executor;
    return v_executor;
end
$$;

comment on function public.report_executor_status(uuid, text, timestamptz) is
'The executor reports that it is draining (told to stop: finishes what it holds, claims nothing new) or has stopped (exited cleanly). Forward only: active → draining → stopped; the same report again is a no-op; a stopped executor is final (PT422). Only the credential that registered the executor may report for it.';

revoke execute on function public.report_executor_status(uuid, text, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.report_executor_status(uuid, text, timestamptz) to controlroom_executor;
