-- Rollback of 20261130900200: the fixed 2-minute health view, register_executor without
-- heartbeat_seconds, no report_executor_status, and the two columns go.

drop view public.executor_health;
drop function public.report_executor_status(uuid, text, timestamptz);
drop function public.register_executor(text, jsonb, text, text, double precision, timestamptz);

create function public.register_executor(
    pool text default null,
    labels jsonb default '{}'::jsonb,
    version text default null,
    host text default null,
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

    insert into public.executors as x (
        token_sub, pool, workspace_id, labels, version, host, registered_at, last_seen_at
    )
    values (
        (select auth.uid()), v_claims ->> 'pool', v_workspace_id, register_executor.labels,
        register_executor.version, register_executor.host, v_as_of, v_as_of
    )
    returning x.* into v_executor;
    return v_executor;
end
$$;

comment on function public.register_executor(text, jsonb, text, text, timestamptz) is
'Registers an executor process for the pool (and optional workspace) of the caller''s executor token; returns the row whose id the executor passes to claim_runs and heartbeat.';

revoke execute on function public.register_executor(text, jsonb, text, text, timestamptz)
from public, anon, authenticated, service_role;
grant execute on function public.register_executor(text, jsonb, text, text, timestamptz) to controlroom_executor;

create view public.executor_health
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
    case
        when x.status <> 'active' then x.status
        when x.last_seen_at >= pg_catalog.now() - interval '2 minutes' then 'healthy'
        when x.last_seen_at >= pg_catalog.now() - interval '15 minutes' then 'late'
        else 'silent'
    end as health,
    (
        select pg_catalog.count(*)
        from public.run_attempts as a
        where a.executor_id = x.id and a.finished_at is null
    ) as live_attempts
from public.executors as x;

comment on view public.executor_health is
'Executors with their liveness (healthy: seen within 2 min; late: within 15 min; silent: older) and live attempts (RLS of the caller applies).';
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
comment on column public.executor_health.health is 'healthy | late | silent | draining | stopped.';
comment on column public.executor_health.live_attempts is 'Claimed or running attempts it holds.';

revoke all on table public.executor_health from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.executor_health to authenticated, service_role;

alter table public.executors drop constraint executors_heartbeat_seconds_range;
alter table public.executors drop column status_changed_at;
alter table public.executors drop column heartbeat_seconds;
comment on column public.executors.status is 'active | draining | stopped.';
