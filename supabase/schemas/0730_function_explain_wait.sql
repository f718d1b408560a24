-- Why: "why is my run still queued?" has one answer in the database (issue 13): the reasons a queued
-- run is not being claimed, most specific first, from the same helpers claim_runs uses (0515), so
-- the explanation and the claim cannot disagree.

create function public.explain_wait(run_id uuid, as_of timestamptz default null)
returns table (rank integer, reason text, message text, details jsonb)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(explain_wait.as_of);
    v_run public.runs;
    v_spec public.pipeline_specs;
    v_live integer;
    v_missing jsonb;
    v_rooms record;
    v_spec_room record;
    v_need double precision;
    v_ahead integer;
begin
    select r.* into v_run from public.runs as r where r.id = explain_wait.run_id;
    if not found or (
        private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')
    ) or (private.caller_role() <> 'authenticated' and not private.caller_is_service_or_owner()) then
        raise exception 'run % not found', explain_wait.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id and the workspace you are a member of.';
    end if;
    select s.* into v_spec from public.pipeline_specs as s where s.id = v_run.spec_id;
    if v_run.status <> 'queued' then
        return query select 1, 'not_queued', pg_catalog.format('the run is %s, not waiting', v_run.status),
            pg_catalog.jsonb_build_object('status', v_run.status);
        return;
    end if;

    -- Live executors of the pool that may claim this workspace's runs (not lost: executor_is_live).
    select pg_catalog.count(*)::integer into v_live
    from public.executors as x
    where x.pool = v_run.pool and x.status = 'active'
      and (x.workspace_id is null or x.workspace_id = v_run.workspace_id)
      and private.executor_is_live(x.last_seen_at, x.heartbeat_seconds, v_as_of);
    if v_live = 0 then
        return query select 1, 'no_live_executor',
            pg_catalog.format('no live executor in pool %s', v_run.pool),
            pg_catalog.jsonb_build_object('pool', v_run.pool);
    else
        -- The labels the best-equipped live executor lacks (fewest missing).
        select m.missing into v_missing
        from public.executors as x
        cross join lateral (
            select coalesce(pg_catalog.jsonb_object_agg(l.key, l.value), '{}'::jsonb) as missing
            from pg_catalog.jsonb_each(v_run.required_labels) as l
            where not (x.labels @> pg_catalog.jsonb_build_object(l.key, l.value))
        ) as m
        where x.pool = v_run.pool and x.status = 'active'
          and (x.workspace_id is null or x.workspace_id = v_run.workspace_id)
          and private.executor_is_live(x.last_seen_at, x.heartbeat_seconds, v_as_of)
        order by (select pg_catalog.count(*) from pg_catalog.jsonb_object_keys(m.missing))
        limit 1;
        if v_missing <> '{}'::jsonb then
            return query select 2, 'labels_missing',
                pg_catalog.format('%s live executor(s) in pool %s, none has the labels %s', v_live, v_run.pool, v_missing),
                pg_catalog.jsonb_build_object('pool', v_run.pool, 'live_executors', v_live, 'missing_labels', v_missing);
        end if;
    end if;

    select c.* into v_rooms from private.cap_rooms(array[v_run.workspace_id], v_run.pool, v_as_of) as c;
    if found then
        if v_rooms.workspace_room = 0 then
            return query select 3, 'workspace_cap_full',
                pg_catalog.format('the workspace runs %s of its %s concurrent runs', v_rooms.workspace_active, v_rooms.workspace_limit),
                pg_catalog.jsonb_build_object('current', v_rooms.workspace_active, 'limit', v_rooms.workspace_limit);
        end if;
        if v_rooms.pool_room = 0 then
            return query select 4, 'pool_cap_full',
                pg_catalog.format('the workspace runs %s of its %s concurrent runs in pool %s', v_rooms.pool_active, v_rooms.pool_limit, v_run.pool),
                pg_catalog.jsonb_build_object('pool', v_run.pool, 'current', v_rooms.pool_active, 'limit', v_rooms.pool_limit);
        end if;
        select sr.* into v_spec_room from private.spec_rooms(array[v_run.workspace_id]) as sr
        where sr.spec_name = v_spec.name;
        if found and v_spec_room.room = 0 then
            return query select 5, 'spec_cap_full',
                pg_catalog.format('pipeline %s runs %s of its %s concurrent runs', v_spec.name, v_spec_room.active, v_spec_room.max_concurrent_runs),
                pg_catalog.jsonb_build_object('spec_name', v_spec.name, 'current', v_spec_room.active, 'limit', v_spec_room.max_concurrent_runs);
        end if;
        v_need := coalesce(extract(epoch from v_spec.max_run_duration)::double precision, v_rooms.reservation_seconds)
            * v_rooms.cost_rate;
        if v_rooms.budget_left < v_need then
            return query select 6, 'budget_exhausted',
                pg_catalog.format('the daily budget is spent: %s of %s run-seconds used or reserved, this run needs %s; resets at %s',
                    pg_catalog.round(v_rooms.budget_committed::numeric), pg_catalog.round(v_rooms.budget_seconds::numeric),
                    pg_catalog.round(v_need::numeric), v_rooms.budget_resets_at),
                pg_catalog.jsonb_build_object('used', v_rooms.budget_committed, 'limit', v_rooms.budget_seconds,
                    'needed', v_need, 'resets_at', v_rooms.budget_resets_at);
        end if;
    end if;

    if v_run.not_before > v_as_of then
        return query select 7, 'retry_backoff',
            pg_catalog.format('in retry backoff until %s', v_run.not_before),
            pg_catalog.jsonb_build_object('until', v_run.not_before, 'attempt_count', v_run.attempt_count);
    end if;

    -- Claimable runs of the pool ahead of this one in claim order (runs_claimable_idx).
    select pg_catalog.count(*)::integer into v_ahead
    from public.runs as r
    where r.status = 'queued' and r.pool = v_run.pool and r.not_before <= v_as_of
      and (r.score > v_run.score
          or (r.score = v_run.score and (r.created_at, r.id) < (v_run.created_at, v_run.id)));
    return query select 8, 'next_in_line',
        case when v_ahead = 0 then pg_catalog.format('admitted and first in line in pool %s', v_run.pool)
            else pg_catalog.format('admitted; rank %s in pool %s, %s run(s) ahead of it', v_ahead + 1, v_run.pool, v_ahead)
        end,
        pg_catalog.jsonb_build_object('pool', v_run.pool, 'rank', v_ahead + 1, 'ahead', v_ahead, 'score', v_run.score);
end
$$;

comment on function public.explain_wait(uuid, timestamptz) is
'Why a queued run is not being claimed, most specific first (rank): no_live_executor, labels_missing (which), workspace_cap_full / pool_cap_full / spec_cap_full (current, limit), budget_exhausted (used, limit, resets_at), retry_backoff (until), then next_in_line (its rank in the pool and the runs ahead). not_queued for any other status. Members (viewer and up) and the service role; others get PT404.';

revoke execute on function public.explain_wait(uuid, timestamptz) from public, anon, authenticated;
grant execute on function public.explain_wait(uuid, timestamptz) to authenticated, service_role;
