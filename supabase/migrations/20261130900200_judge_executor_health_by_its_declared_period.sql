-- Why: executor_health called an executor healthy for 2 minutes after it was last seen, whatever
-- its heartbeat period (a kill -9'd worker showed healthy for 87 s), and the draining and stopped
-- states it documented were never set. An executor now declares at registration the period
-- within which it calls heartbeat or claim_runs (heartbeat_seconds, default 10), reports draining
-- and stopped itself (report_executor_status), and the view judges silence against that period:
-- healthy within 1.5 periods, late within 3, lost after that.

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
        when x.last_seen_at < pg_catalog.now() - pg_catalog.make_interval(secs => 3 * x.heartbeat_seconds) then 'lost'
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
