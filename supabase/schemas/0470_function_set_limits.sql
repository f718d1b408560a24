-- Why: the orchestration caps (0290) are changed by workspace admins and the service role only,
-- through these RPCs, and every change is written to the append-only limit_changes audit with its
-- actor, before and after.

create function private.assert_limits_admin(workspace_id uuid)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    if private.caller_role() = 'authenticated' then
        if not private.is_member(assert_limits_admin.workspace_id, 'admin') then
            raise exception 'only workspace admins change limits'
            using errcode = '42501',
            detail = 'The caller is not an admin or owner of this workspace.',
            hint = 'Ask a workspace admin; viewers and operators read the limits tables.';
        end if;
    elsif not private.caller_is_service_or_owner() then
        raise exception 'only workspace admins and the service role change limits'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace admin.';
    end if;
    if not exists (select from public.workspaces as w where w.id = assert_limits_admin.workspace_id) then
        raise exception 'workspace % does not exist', assert_limits_admin.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace has this id.',
        hint = 'Check the workspace id.';
    end if;
    return private.caller_actor();
end
$$;

comment on function private.assert_limits_admin(uuid) is
'Checks that the caller may change the workspace''s limits (an admin or owner, or the service role) and that the workspace exists; returns the audit actor.';

create function private.ensure_workspace_limits(workspace_id uuid, actor text, as_of timestamptz)
returns public.workspace_limits
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_row public.workspace_limits;
begin
    insert into public.workspace_limits as wl (workspace_id, updated_at, updated_by)
    values (ensure_workspace_limits.workspace_id, ensure_workspace_limits.as_of, ensure_workspace_limits.actor)
    on conflict (workspace_id) do nothing
    returning wl.* into v_row;
    if found then
        insert into public.limit_changes (workspace_id, scope, target, before, after, actor, at)
        values (v_row.workspace_id, 'workspace', null, null, pg_catalog.to_jsonb(v_row),
            ensure_workspace_limits.actor, ensure_workspace_limits.as_of);
    end if;
    select wl.* into v_row from public.workspace_limits as wl
    where wl.workspace_id = ensure_workspace_limits.workspace_id
    for no key update;
    return v_row;
end
$$;

comment on function private.ensure_workspace_limits(uuid, text, timestamptz) is
'The workspace''s limits row, created without limits (and audited) when missing, locked for the change.';

create function public.set_workspace_limits(workspace_id uuid, limits jsonb, as_of timestamptz default null)
returns public.workspace_limits
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(set_workspace_limits.as_of);
    v_actor text := private.assert_limits_admin(set_workspace_limits.workspace_id);
    v_before public.workspace_limits;
    v_new public.workspace_limits;
    v_unknown text;
begin
    if pg_catalog.jsonb_typeof(set_workspace_limits.limits) is distinct from 'object' then
        raise exception 'limits must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(set_workspace_limits.limits), 'null')),
        hint = 'Pass {"max_concurrent_runs": 10, ...}; null removes a limit.';
    end if;
    select k into v_unknown
    from pg_catalog.jsonb_object_keys(set_workspace_limits.limits) as k
    where k not in (
        'max_concurrent_runs', 'max_queued_runs', 'max_priority', 'daily_budget_seconds', 'budget_time_zone',
        'budget_reservation_seconds', 'max_run_duration_seconds', 'max_attempts', 'max_memory_bytes',
        'max_cpu_seconds', 'max_wall_seconds', 'max_output_bytes', 'min_heartbeat_tolerance_seconds',
        'max_heartbeat_tolerance_seconds'
    )
    order by k
    limit 1;
    if v_unknown is not null then
        raise exception 'unknown limit %', v_unknown
        using errcode = '22023',
        detail = 'Limits are the columns of public.workspace_limits (docs/caps.md).',
        hint = 'Check the name; null removes a limit.';
    end if;
    if set_workspace_limits.limits ? 'budget_time_zone' and not exists (
        select from pg_catalog.pg_timezone_names as z where z.name = set_workspace_limits.limits ->> 'budget_time_zone'
    ) then
        raise exception 'budget_time_zone % is not a time zone', set_workspace_limits.limits ->> 'budget_time_zone'
        using errcode = '22023',
        detail = 'Names come from pg_timezone_names, e.g. UTC or Europe/Paris.',
        hint = 'Pass an IANA time zone name.';
    end if;

    v_before := private.ensure_workspace_limits(set_workspace_limits.workspace_id, v_actor, v_as_of);
    -- Keys present replace the column (null removes the limit); the others keep their value. A
    -- value out of range fails the table's named CHECK (23514).
    v_new := pg_catalog.jsonb_populate_record(v_before, set_workspace_limits.limits);
    update public.workspace_limits as wl
    set max_concurrent_runs = v_new.max_concurrent_runs,
        max_queued_runs = v_new.max_queued_runs,
        max_priority = v_new.max_priority,
        daily_budget_seconds = v_new.daily_budget_seconds,
        budget_time_zone = coalesce(v_new.budget_time_zone, 'UTC'),
        budget_reservation_seconds = coalesce(v_new.budget_reservation_seconds, 3600),
        max_run_duration_seconds = v_new.max_run_duration_seconds,
        max_attempts = v_new.max_attempts,
        max_memory_bytes = v_new.max_memory_bytes,
        max_cpu_seconds = v_new.max_cpu_seconds,
        max_wall_seconds = v_new.max_wall_seconds,
        max_output_bytes = v_new.max_output_bytes,
        min_heartbeat_tolerance_seconds = v_new.min_heartbeat_tolerance_seconds,
        max_heartbeat_tolerance_seconds = v_new.max_heartbeat_tolerance_seconds,
        updated_at = v_as_of,
        updated_by = v_actor
    where wl.workspace_id = set_workspace_limits.workspace_id
    returning wl.* into v_new;
    insert into public.limit_changes (workspace_id, scope, target, before, after, actor, at)
    values (v_new.workspace_id, 'workspace', null, pg_catalog.to_jsonb(v_before), pg_catalog.to_jsonb(v_new),
        v_actor, v_as_of);
    return v_new;
end
$$;

comment on function public.set_workspace_limits(uuid, jsonb, timestamptz) is
'Sets a workspace''s orchestration caps (admins and the service role): limits is a JSON object of workspace_limits columns; a key present replaces the value (null removes the limit), the others stay. Unknown keys and bad time zones are refused (22023), out-of-range values by the table''s CHECKs (23514). Audited in limit_changes.';

revoke execute on function public.set_workspace_limits(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function public.set_workspace_limits(uuid, jsonb, timestamptz) to authenticated, service_role;

create function public.set_pool_limits(
    workspace_id uuid,
    pool text,
    max_concurrent_runs integer default null,
    cost_rate double precision default 1,
    as_of timestamptz default null
)
returns public.pool_limits
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(set_pool_limits.as_of);
    v_actor text := private.assert_limits_admin(set_pool_limits.workspace_id);
    v_before public.pool_limits;
    v_new public.pool_limits;
begin
    perform private.ensure_workspace_limits(set_pool_limits.workspace_id, v_actor, v_as_of);
    select pl.* into v_before from public.pool_limits as pl
    where pl.workspace_id = set_pool_limits.workspace_id and pl.pool = set_pool_limits.pool;
    insert into public.pool_limits as pl (workspace_id, pool, max_concurrent_runs, cost_rate, updated_at, updated_by)
    values (set_pool_limits.workspace_id, set_pool_limits.pool, set_pool_limits.max_concurrent_runs,
        set_pool_limits.cost_rate, v_as_of, v_actor)
    on conflict (workspace_id, pool) do update
    set max_concurrent_runs = excluded.max_concurrent_runs,
        cost_rate = excluded.cost_rate,
        updated_at = excluded.updated_at,
        updated_by = excluded.updated_by
    returning pl.* into v_new;
    insert into public.limit_changes (workspace_id, scope, target, before, after, actor, at)
    values (v_new.workspace_id, 'pool', v_new.pool,
        case when v_before.workspace_id is not null then pg_catalog.to_jsonb(v_before) end,
        pg_catalog.to_jsonb(v_new), v_actor, v_as_of);
    return v_new;
end
$$;

comment on function public.set_pool_limits(uuid, text, integer, double precision, timestamptz) is
'Sets a workspace''s caps in one pool (admins and the service role): max_concurrent_runs (null: none) and the budget''s cost_rate (run-seconds per second, default 1). Out-of-range values fail the table''s CHECKs (23514). Audited in limit_changes.';

revoke execute on function public.set_pool_limits(uuid, text, integer, double precision, timestamptz)
from public, anon, authenticated;
grant execute on function public.set_pool_limits(uuid, text, integer, double precision, timestamptz)
to authenticated, service_role;

create function public.set_spec_limits(
    workspace_id uuid,
    spec_name text,
    max_concurrent_runs integer default null,
    as_of timestamptz default null
)
returns public.spec_limits
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(set_spec_limits.as_of);
    v_actor text := private.assert_limits_admin(set_spec_limits.workspace_id);
    v_before public.spec_limits;
    v_new public.spec_limits;
begin
    perform private.ensure_workspace_limits(set_spec_limits.workspace_id, v_actor, v_as_of);
    select sl.* into v_before from public.spec_limits as sl
    where sl.workspace_id = set_spec_limits.workspace_id and sl.spec_name = set_spec_limits.spec_name;
    insert into public.spec_limits as sl (workspace_id, spec_name, max_concurrent_runs, updated_at, updated_by)
    values (set_spec_limits.workspace_id, set_spec_limits.spec_name, set_spec_limits.max_concurrent_runs,
        v_as_of, v_actor)
    on conflict (workspace_id, spec_name) do update
    set max_concurrent_runs = excluded.max_concurrent_runs,
        updated_at = excluded.updated_at,
        updated_by = excluded.updated_by
    returning sl.* into v_new;
    insert into public.limit_changes (workspace_id, scope, target, before, after, actor, at)
    values (v_new.workspace_id, 'spec', v_new.spec_name,
        case when v_before.workspace_id is not null then pg_catalog.to_jsonb(v_before) end,
        pg_catalog.to_jsonb(v_new), v_actor, v_as_of);
    return v_new;
end
$$;

comment on function public.set_spec_limits(uuid, text, integer, timestamptz) is
'Sets the concurrency cap of one pipeline (every version of spec_name) in a workspace, like Databricks max_concurrent_runs (admins and the service role; null: none). Audited in limit_changes.';

revoke execute on function public.set_spec_limits(uuid, text, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.set_spec_limits(uuid, text, integer, timestamptz) to authenticated, service_role;
