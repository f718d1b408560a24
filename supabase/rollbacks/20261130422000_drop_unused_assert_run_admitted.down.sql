-- Rollback of 20261130422000_drop_unused_assert_run_admitted: the helper as it was.

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.assert_run_admitted(workspace_id uuid, priority integer)
returns void
language plpgsql
volatile
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_limits public.workspace_limits;
    v_queued integer;
begin
    select wl.* into v_limits from public.workspace_limits as wl
    where wl.workspace_id = assert_run_admitted.workspace_id;
    if not found then
        return;
    end if;
    if v_limits.max_priority is not null and assert_run_admitted.priority > v_limits.max_priority then
        raise exception 'priority % is above the workspace''s maximum priority %',
            assert_run_admitted.priority, v_limits.max_priority
        using errcode = '22023',
        detail = pg_catalog.format('priority=%s limit=%s', assert_run_admitted.priority, v_limits.max_priority),
        hint = 'Submit with a lower priority, or ask a workspace admin to raise max_priority.';
    end if;
    if v_limits.max_queued_runs is null then
        return;
    end if;
    -- GUARD: concurrent submits of the workspace queue one at a time past this lock, so the count
    -- below (a statement of its own) sees every run queued before.
    perform from public.workspace_limits as wl
    where wl.workspace_id = assert_run_admitted.workspace_id
    for no key update;
    select pg_catalog.count(*)::integer into v_queued
    from (
        select from public.runs as r
        where r.workspace_id = assert_run_admitted.workspace_id and r.status = 'queued'
        limit v_limits.max_queued_runs
    ) as q;
    if v_queued >= v_limits.max_queued_runs then
        raise exception 'workspace % has % queued runs, its limit', assert_run_admitted.workspace_id, v_queued
        using errcode = 'PT429',
        detail = pg_catalog.format('queued=%s limit=%s', v_queued, v_limits.max_queued_runs),
        hint = 'Retry when queued runs have been claimed, or ask a workspace admin to raise max_queued_runs.';
    end if;
end
$$;

comment on function private.assert_run_admitted(uuid, integer) is
'Admission of a new run: raises 22023 when priority is above the workspace''s max_priority and PT429 when the workspace already has max_queued_runs queued runs (serialised on the workspace_limits row).';
