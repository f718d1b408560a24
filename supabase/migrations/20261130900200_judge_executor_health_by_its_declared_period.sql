-- Why: executor_health called an executor healthy for 2 minutes after it was last seen, whatever
-- its heartbeat period (a kill -9'd worker showed healthy for 87 s), and the draining and stopped
-- states it documented were never set. An executor now declares at registration the period
-- within which it calls heartbeat or claim_runs (heartbeat_seconds, default 10), reports draining
-- and stopped itself (report_executor_status), and the view judges silence against that period:
-- healthy within 1.5 periods, late within 3, lost after that. explain_wait counts an executor as
-- live by the same rule (private.executor_is_live) instead of "seen within 15 minutes".

set lock_timeout = '5s';
set statement_timeout = '60s';

-- A constant default: no table rewrite; the check holds for the default, so nothing is scanned
-- beyond the (small: one row per executor process) table.
alter table public.executors add column heartbeat_seconds double precision not null default 10
constraint executors_heartbeat_seconds_range check (heartbeat_seconds between 1 and 3600);
alter table public.executors add column status_changed_at timestamptz;
comment on column public.executors.status is 'active | draining (told to stop: finishes what it holds, claims nothing new) | stopped (exited cleanly); set by the executor through report_executor_status.';
comment on column public.executors.heartbeat_seconds is 'The period within which the executor promised to call heartbeat or claim (declared at registration, default 10 s); executor_health judges silence against it.';
comment on column public.executors.status_changed_at is 'When the executor last reported a status change (draining, stopped); null while it never did.';

drop function public.register_executor(text, jsonb, text, text, timestamptz);

create function public.register_executor(
    pool text default null,
    labels jsonb default '{}'::jsonb,
    version text default null,
    host text default null,
    heartbeat_seconds double precision default null,
    as_of timestamptz default null
)
returns public.executors
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(register_executor.as_of);
    v_claims jsonb;
    v_workspace_id uuid;
    v_executor public.executors;
begin
    perform private.assert_executor_role();
    v_claims := (select auth.jwt());
    if coalesce(v_claims ->> 'pool', '') = '' then
        raise exception 'the executor token has no pool claim'
        using errcode = '42501',
        detail = 'Executor JWTs name the pool they may claim from.',
        hint = 'Mint the token with a pool.';
    end if;
    if register_executor.pool is not null and register_executor.pool <> v_claims ->> 'pool' then
        raise exception 'this token may only register executors of pool %', v_claims ->> 'pool'
        using errcode = '42501',
        detail = pg_catalog.format('Asked for pool %s.', register_executor.pool),
        hint = 'Omit pool, or mint a token for that pool.';
    end if;
    if pg_catalog.jsonb_typeof(register_executor.labels) is distinct from 'object'
        or exists (
            select from pg_catalog.jsonb_each(register_executor.labels) as l
            where pg_catalog.jsonb_typeof(l.value) <> 'string'
        ) then
        raise exception 'labels must be an object of strings'
        using errcode = '22023',
        detail = 'Labels are matched against the labels of specs.',
        hint = 'Pass e.g. {"gpu": "a100"} or {}.';
    end if;
    if nullif(v_claims ->> 'workspace_id', '') is not null then
        if v_claims ->> 'workspace_id' !~ '^[0-9a-fA-F-]{36}$' then
            raise exception 'the workspace_id claim is not a uuid'
            using errcode = '22023',
            detail = 'The executor token is malformed.',
            hint = 'Mint the token again.';
        end if;
        v_workspace_id := (v_claims ->> 'workspace_id')::uuid;
        if not exists (select from public.workspaces as w where w.id = v_workspace_id) then
            raise exception 'workspace % does not exist', v_workspace_id
            using errcode = 'PT404',
            detail = 'The workspace_id claim names no workspace.',
            hint = 'Mint the token for an existing workspace.';
        end if;
    end if;
    if pg_catalog.char_length(register_executor.version) > 200
        or pg_catalog.char_length(register_executor.host) > 255 then
        raise exception 'version or host is too long'
        using errcode = '22023',
        detail = 'version has at most 200 and host at most 255 characters.',
        hint = 'Shorten them.';
    end if;

    if register_executor.heartbeat_seconds is not null
        and (register_executor.heartbeat_seconds < 1 or register_executor.heartbeat_seconds > 3600
            or register_executor.heartbeat_seconds = 'NaN'::double precision) then
        raise exception 'heartbeat_seconds must be between 1 and 3600'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', register_executor.heartbeat_seconds),
        hint = 'Pass the period within which the executor calls heartbeat or claim_runs, e.g. 10.';
    end if;

    insert into public.executors as x (
        token_sub, pool, workspace_id, labels, version, host, registered_at, last_seen_at, heartbeat_seconds
    )
    values (
        (select auth.uid()), v_claims ->> 'pool', v_workspace_id, register_executor.labels,
        register_executor.version, register_executor.host, v_as_of, v_as_of,
        coalesce(register_executor.heartbeat_seconds, 10)
    )
    returning x.* into v_executor;
    return v_executor;
end
$$;

comment on function public.register_executor(text, jsonb, text, text, double precision, timestamptz) is
'Registers an executor process for the pool (and optional workspace) of the caller''s executor token; returns the row whose id the executor passes to claim_runs and heartbeat. heartbeat_seconds (default 10) is the period within which it promises to call heartbeat or claim_runs: executor_health judges its silence against it.';

revoke execute on function public.register_executor(text, jsonb, text, text, double precision, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.register_executor(text, jsonb, text, text, double precision, timestamptz) to controlroom_executor;

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

create or replace view public.executor_health
with (security_invoker = true)
as
select
    x.id as executor_id,
    x.workspace_id,
    x.pool,
    x.labels,
    x.version,
    x.host,
    x.status,
    x.registered_at,
    x.last_seen_at,
    pg_catalog.now() - x.last_seen_at as silent_for,
    -- Judged against the period the executor declared (it calls heartbeat or claim_runs at least
    -- that often, idle or busy): healthy within 1.5 periods, late within 3, lost after that (two
    -- beats missed). What it said about itself wins while it keeps talking: draining; stopped is final.
    case
        when x.status = 'stopped' then 'stopped'
        when not private.executor_is_live(x.last_seen_at, x.heartbeat_seconds, pg_catalog.now()) then 'lost'
        when x.status = 'draining' then 'draining'
        when x.last_seen_at >= pg_catalog.now() - pg_catalog.make_interval(secs => 1.5 * x.heartbeat_seconds)
            then 'healthy'
        else 'late'
    end as health,
    (
        select pg_catalog.count(*)
        from public.run_attempts as a
        where a.executor_id = x.id and a.finished_at is null
    ) as live_attempts,
    x.heartbeat_seconds,
    x.status_changed_at
from public.executors as x;

comment on view public.executor_health is
'Executors with their liveness judged against the heartbeat period each declared (healthy: seen within 1.5 periods; late: within 3; lost: silent longer; draining and stopped as the executor reported them) and live attempts (RLS of the caller applies).';
comment on column public.executor_health.executor_id is 'The executor.';
comment on column public.executor_health.workspace_id is 'Workspace it is confined to (null: shared).';
comment on column public.executor_health.pool is 'Pool.';
comment on column public.executor_health.labels is 'Capabilities.';
comment on column public.executor_health.version is 'Software version.';
comment on column public.executor_health.host is 'Host.';
comment on column public.executor_health.status is 'Registered status.';
comment on column public.executor_health.registered_at is 'Registration time.';
comment on column public.executor_health.last_seen_at is 'Last claim or heartbeat.';
comment on column public.executor_health.silent_for is 'Time since last_seen_at.';
comment on column public.executor_health.health is 'healthy | late | lost | draining | stopped.';
comment on column public.executor_health.live_attempts is 'Claimed or running attempts it holds.';
comment on column public.executor_health.heartbeat_seconds is 'The period it declared at registration.';
comment on column public.executor_health.status_changed_at is 'When it reported draining or stopped.';

revoke all on table public.executor_health from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.executor_health to authenticated, service_role;

create or replace function public.explain_wait(run_id uuid, as_of timestamptz default null)
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
