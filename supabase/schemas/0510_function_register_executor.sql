-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").
--
-- register_executor binds the executor row to the sub of the JWT that registered it.

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
