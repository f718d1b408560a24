-- Why: the orchestration caps (docs/caps.md, "Orchestration layer") are counted in one place, so
-- claim_runs (which enforces them) and the operators' explanations read the same numbers. A room is
-- what is left under a cap (null: no cap); the budget counts run-seconds of the day, weighted by the
-- pool's cost rate. Live attempts are charged their whole reservation (the spec's max run duration,
-- or the workspace's budget_reservation_seconds) or their elapsed time if longer, so a claim is
-- refused before the day's budget could be overrun; running runs are never stopped by it.

create function private.workspace_budget(workspace_id uuid, as_of timestamptz)
returns table (committed_seconds double precision, budget_seconds double precision, resets_at timestamptz)
language sql
stable
set search_path = ''
-- Plans are cached per pooled connection: stay on the (workspace_id, finished_at) index.
set enable_seqscan = off
as $$
    with l as (
        select
            wl.daily_budget_seconds,
            wl.budget_reservation_seconds,
            wl.budget_time_zone as tz,
            pg_catalog.date_trunc('day', workspace_budget.as_of at time zone wl.budget_time_zone) as local_day
        from public.workspace_limits as wl
        where wl.workspace_id = workspace_budget.workspace_id
    )
    select
        coalesce((
            select pg_catalog.sum(
                case
                    when a.status = any(private.live_attempt_statuses()) then greatest(
                        extract(epoch from coalesce(
                            s.max_run_duration, pg_catalog.make_interval(secs => l.budget_reservation_seconds)
                        )),
                        extract(epoch from workspace_budget.as_of - greatest(
                            coalesce(a.started_at, a.claimed_at), l.local_day at time zone l.tz
                        ))
                    )
                    else greatest(0, extract(epoch from a.finished_at - greatest(
                        coalesce(a.started_at, a.finished_at), l.local_day at time zone l.tz
                    )))
                end * coalesce(pl.cost_rate, 1)
            )::double precision
            from public.run_attempts as a
            inner join public.runs as r on r.id = a.run_id
            inner join public.pipeline_specs as s on s.id = r.spec_id
            left join public.pool_limits as pl on pl.workspace_id = r.workspace_id and pl.pool = r.pool
            where a.workspace_id = workspace_budget.workspace_id
              and (a.finished_at is null or a.finished_at > l.local_day at time zone l.tz)
        ), 0),
        l.daily_budget_seconds,
        (l.local_day + interval '1 day') at time zone l.tz
    from l
$$;

comment on function private.workspace_budget(uuid, timestamptz) is
'The workspace''s budget day at as_of: run-seconds committed (finished attempts'' time since the day began, live attempts'' reservation or elapsed time if longer, each times the pool''s cost_rate), the daily budget (null: none) and when the day resets. No row without a workspace_limits row.';

create function private.cap_rooms(workspace_ids uuid [], pool text, as_of timestamptz)
returns table (
    workspace_id uuid,
    workspace_active integer,
    workspace_limit integer,
    workspace_room integer,
    pool_active integer,
    pool_limit integer,
    pool_room integer,
    budget_committed double precision,
    budget_seconds double precision,
    budget_left double precision,
    budget_resets_at timestamptz,
    reservation_seconds double precision,
    cost_rate double precision
)
language sql
stable
set search_path = ''
set enable_seqscan = off
as $$
    select
        wl.workspace_id,
        ws.active,
        wl.max_concurrent_runs,
        -- greatest() skips nulls: no cap must stay null (no limit), not 0.
        case when wl.max_concurrent_runs is not null then greatest(wl.max_concurrent_runs - ws.active, 0) end,
        ps.active,
        pl.max_concurrent_runs,
        case when pl.max_concurrent_runs is not null then greatest(pl.max_concurrent_runs - ps.active, 0) end,
        b.committed_seconds,
        b.budget_seconds,
        b.budget_seconds - b.committed_seconds,
        b.resets_at,
        wl.budget_reservation_seconds,
        coalesce(pl.cost_rate, 1)
    from public.workspace_limits as wl
    left join public.pool_limits as pl on pl.workspace_id = wl.workspace_id and pl.pool = cap_rooms.pool
    -- Counted up to the cap only: a full workspace costs cap index entries, whatever its history.
    cross join lateral (
        select pg_catalog.count(*)::integer as active
        from (
            select
            from public.runs as r
            where r.workspace_id = wl.workspace_id
              and r.status = any(private.active_run_statuses())
              and wl.max_concurrent_runs is not null
            limit wl.max_concurrent_runs
        ) as c
    ) as ws
    cross join lateral (
        select pg_catalog.count(*)::integer as active
        from (
            select
            from public.runs as r
            where r.workspace_id = wl.workspace_id
              and r.pool = cap_rooms.pool
              and r.status = any(private.active_run_statuses())
              and pl.max_concurrent_runs is not null
            limit pl.max_concurrent_runs
        ) as c
    ) as ps
    left join lateral private.workspace_budget(wl.workspace_id, cap_rooms.as_of) as b
        on wl.daily_budget_seconds is not null
    where wl.workspace_id = any(cap_rooms.workspace_ids)
$$;

comment on function private.cap_rooms(uuid [], text, timestamptz) is
'Per workspace with a workspace_limits row: claimed+running runs against max_concurrent_runs (counted up to the cap), the same in the pool against pool_limits, the budget committed/limit/left and its reset, the default reservation and the pool''s cost rate. A null limit or room means no cap.';

create function private.spec_rooms(workspace_ids uuid [])
returns table (workspace_id uuid, spec_name text, active integer, max_concurrent_runs integer, room integer)
language sql
stable
set search_path = ''
set enable_seqscan = off
as $$
    select sl.workspace_id, sl.spec_name, c.active, sl.max_concurrent_runs,
        greatest(sl.max_concurrent_runs - c.active, 0)
    from public.spec_limits as sl
    cross join lateral (
        select pg_catalog.count(*)::integer as active
        from (
            select
            from public.runs as r
            inner join public.pipeline_specs as s on s.id = r.spec_id
            where r.workspace_id = sl.workspace_id
              and s.name = sl.spec_name
              and r.status = any(private.active_run_statuses())
            limit sl.max_concurrent_runs
        ) as x
    ) as c
    where sl.workspace_id = any(spec_rooms.workspace_ids)
      and sl.max_concurrent_runs is not null
$$;

comment on function private.spec_rooms(uuid []) is
'Per pipeline with a spec_limits cap in the workspaces: claimed+running runs of any version (counted up to the cap), the cap and the room left.';

create function private.capped_claim_filter(
    pool text, executor_workspace_id uuid, as_of timestamptz,
    out workspace_ids uuid [], out spec_ids uuid []
)
language sql
stable
set search_path = ''
set enable_seqscan = off
as $$
    -- Before the locking scan, without locks: the workspaces and specs that cannot take a run of the
    -- pool now, so that the claim skips them instead of picking runs it must give back (a full
    -- workspace would otherwise block the pool for everyone behind it). claim_runs re-checks under
    -- the workspace lock (private.admit_within_caps).
    with capped as (
        select wl.workspace_id
        from public.workspace_limits as wl
        where capped_claim_filter.executor_workspace_id is null
           or wl.workspace_id = capped_claim_filter.executor_workspace_id
    ),
    rooms as (
        select c.*
        from private.cap_rooms(array(select capped.workspace_id from capped), capped_claim_filter.pool,
            capped_claim_filter.as_of) as c
    )
    select
        coalesce(array(
            select r.workspace_id from rooms as r
            where r.workspace_room = 0 or r.pool_room = 0 or r.budget_left <= 0
        ), '{}'),
        coalesce(array(
            select s.id
            from private.spec_rooms(array(select capped.workspace_id from capped)) as sr
            inner join public.pipeline_specs as s on s.workspace_id = sr.workspace_id and s.name = sr.spec_name
            where sr.room = 0
            union all
            -- A spec whose reservation does not fit what is left of the day's budget.
            select s.id
            from rooms as r
            inner join public.pipeline_specs as s on s.workspace_id = r.workspace_id
            where r.budget_left > 0
              and s.pool = capped_claim_filter.pool
              and extract(epoch from coalesce(
                  s.max_run_duration, pg_catalog.make_interval(secs => r.reservation_seconds)
              )) * r.cost_rate > r.budget_left
        ), '{}')
$$;

comment on function private.capped_claim_filter(text, uuid, timestamptz) is
'The workspaces (concurrency or pool cap full, budget spent) and spec versions (pipeline cap full, reservation larger than the budget left) whose runs a claim in the pool skips at as_of. Read without locks; claim_runs re-checks what it picked under the workspace lock.';

create function private.admit_within_caps(candidates uuid [], pool text, as_of timestamptz)
returns uuid []
language plpgsql
stable
set search_path = ''
set enable_seqscan = off
as $$
declare
    v_rooms jsonb;
    v_spec_rooms jsonb;
    v_room jsonb;
    v_need double precision;
    v_admitted uuid[] := '{}'::uuid [];
    v_candidate record;
    v_workspace_ids uuid[];
begin
    -- GUARD: called with the candidates' workspace_limits rows locked (claim_runs), in a statement
    -- of its own (stable: it reads with that statement's snapshot, taken after the lock), so each
    -- count below sees every claim and finish committed before the lock.
    v_workspace_ids := array(
        select distinct r.workspace_id from public.runs as r where r.id = any(admit_within_caps.candidates)
    );
    select pg_catalog.jsonb_object_agg(c.workspace_id::text, pg_catalog.to_jsonb(c)) into v_rooms
    from private.cap_rooms(v_workspace_ids, admit_within_caps.pool, admit_within_caps.as_of) as c;
    select pg_catalog.jsonb_object_agg(sr.workspace_id::text || '/' || sr.spec_name, sr.room) into v_spec_rooms
    from private.spec_rooms(v_workspace_ids) as sr;
    v_rooms := coalesce(v_rooms, '{}');
    v_spec_rooms := coalesce(v_spec_rooms, '{}');

    for v_candidate in
        select r.id, r.workspace_id::text as workspace_key, r.workspace_id::text || '/' || s.name as spec_key,
            extract(epoch from s.max_run_duration)::double precision as duration_seconds
        from pg_catalog.unnest(admit_within_caps.candidates) with ordinality as u (id, n)
        inner join public.runs as r on r.id = u.id
        inner join public.pipeline_specs as s on s.id = r.spec_id
        order by u.n
    loop
        v_room := v_rooms -> v_candidate.workspace_key;
        if v_room is not null then
            if (v_room ->> 'workspace_room')::integer <= 0 or (v_room ->> 'pool_room')::integer <= 0 then
                continue;
            end if;
            v_need := coalesce(v_candidate.duration_seconds, (v_room ->> 'reservation_seconds')::double precision)
                * (v_room ->> 'cost_rate')::double precision;
            if (v_room ->> 'budget_left')::double precision < v_need then
                continue;
            end if;
            if (v_spec_rooms ->> v_candidate.spec_key)::integer <= 0 then
                continue;
            end if;
            v_rooms := pg_catalog.jsonb_set(v_rooms, array[v_candidate.workspace_key], v_room
                || pg_catalog.jsonb_build_object(
                    'workspace_room', (v_room ->> 'workspace_room')::integer - 1,
                    'pool_room', (v_room ->> 'pool_room')::integer - 1,
                    'budget_left', (v_room ->> 'budget_left')::double precision - v_need
                ));
            if v_spec_rooms ? v_candidate.spec_key then
                v_spec_rooms := pg_catalog.jsonb_set(v_spec_rooms, array[v_candidate.spec_key],
                    pg_catalog.to_jsonb((v_spec_rooms ->> v_candidate.spec_key)::integer - 1));
            end if;
        end if;
        v_admitted := v_admitted || v_candidate.id;
    end loop;
    return v_admitted;
end
$$;

comment on function private.admit_within_caps(uuid [], text, timestamptz) is
'Of the candidate runs (in claim order), those that fit under every orchestration cap of their workspace, pool, pipeline and budget, counting each admitted run against the rooms of the next. claim_runs calls it with the workspaces'' limit rows locked.';
