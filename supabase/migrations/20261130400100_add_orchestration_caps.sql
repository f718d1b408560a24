-- Why: the orchestration layer of the caps (issue 13, docs/caps.md). Workspaces get limits in
-- tables with RLS (workspace_limits, pool_limits, spec_limits), changed by admins through
-- set_*_limits and audited in the append-only limit_changes. claim_runs never claims past a
-- workspace, pool or pipeline concurrency cap or the daily budget (capped workspaces serialise on
-- their limits row); submit_run refuses a priority above the workspace's maximum and a run past
-- max_queued_runs (PT429); publish_spec refuses a spec that asks for more than the limits allow.
-- The indexes the caps count with are built by 20261130400000.

set lock_timeout = '5s';
set statement_timeout = '60s';

create table public.workspace_limits (
    workspace_id uuid not null,
    max_concurrent_runs integer,
    max_queued_runs integer,
    max_priority integer,
    daily_budget_seconds double precision,
    budget_time_zone text not null default 'UTC',
    budget_reservation_seconds double precision not null default 3600,
    max_run_duration_seconds double precision,
    max_attempts integer,
    max_memory_bytes bigint,
    max_cpu_seconds double precision,
    max_wall_seconds double precision,
    max_output_bytes bigint,
    min_heartbeat_tolerance_seconds double precision,
    max_heartbeat_tolerance_seconds double precision,
    updated_at timestamptz not null default pg_catalog.now(),
    updated_by text not null,
    constraint workspace_limits_pkey primary key (workspace_id),
    constraint workspace_limits_max_concurrent_runs_not_negative check (max_concurrent_runs >= 0),
    constraint workspace_limits_max_queued_runs_not_negative check (max_queued_runs >= 0),
    constraint workspace_limits_max_priority_range check (max_priority between -1000 and 1000),
    constraint workspace_limits_daily_budget_not_negative check (daily_budget_seconds >= 0),
    constraint workspace_limits_budget_time_zone_length check (
        pg_catalog.char_length(budget_time_zone) between 1 and 64
    ),
    constraint workspace_limits_budget_reservation_positive check (budget_reservation_seconds > 0),
    constraint workspace_limits_max_run_duration_positive check (max_run_duration_seconds > 0),
    constraint workspace_limits_max_attempts_range check (max_attempts between 1 and 100),
    constraint workspace_limits_max_memory_positive check (max_memory_bytes > 0),
    constraint workspace_limits_max_cpu_positive check (max_cpu_seconds > 0),
    constraint workspace_limits_max_wall_positive check (max_wall_seconds > 0),
    constraint workspace_limits_max_output_positive check (max_output_bytes > 0),
    constraint workspace_limits_heartbeat_tolerance_bounds check (
        min_heartbeat_tolerance_seconds is null or max_heartbeat_tolerance_seconds is null
        or min_heartbeat_tolerance_seconds <= max_heartbeat_tolerance_seconds
    ),
    constraint workspace_limits_updated_by_format check (
        updated_by ~ '^(user:[0-9a-f-]{36}|service_role)$'
    ),
    constraint workspace_limits_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.workspace_limits is
'Orchestration caps of a workspace (docs/caps.md): concurrency, queue admission, priority, daily budget and what a spec may ask for. Null means no limit. Changed only by set_workspace_limits (audited in limit_changes). Its row is also the lock that serialises capped claims of the workspace.';
comment on column public.workspace_limits.workspace_id is 'The workspace.';
comment on column public.workspace_limits.max_concurrent_runs is 'Most runs claimed or running at once in the workspace (claim_runs skips the rest).';
comment on column public.workspace_limits.max_queued_runs is 'Most queued runs; submit_run refuses more (PT429).';
comment on column public.workspace_limits.max_priority is 'Highest priority a run may be submitted with (22023 above it).';
comment on column public.workspace_limits.daily_budget_seconds is 'Run-seconds per day (weighted by the pools'' cost_rate); a claim whose reservation does not fit is refused. Running runs are never stopped by it.';
comment on column public.workspace_limits.budget_time_zone is 'Time zone of the budget day (default UTC).';
comment on column public.workspace_limits.budget_reservation_seconds is 'What a claim reserves of the budget for a spec without caps.max_duration_seconds (default 3600).';
comment on column public.workspace_limits.max_run_duration_seconds is 'Highest caps.max_duration_seconds a published spec may set (a spec without one is refused too).';
comment on column public.workspace_limits.max_attempts is 'Highest retries.max_attempts a published spec may set (default 3 counts).';
comment on column public.workspace_limits.max_memory_bytes is 'Highest caps.memory_bytes / address_space_bytes of any phase, and engine.memory_limit_bytes.';
comment on column public.workspace_limits.max_cpu_seconds is 'Highest caps.cpu_seconds of any phase.';
comment on column public.workspace_limits.max_wall_seconds is 'Highest caps.wall_seconds of any phase.';
comment on column public.workspace_limits.max_output_bytes is 'Highest caps.output_bytes of any phase.';
comment on column public.workspace_limits.min_heartbeat_tolerance_seconds is 'Lowest heartbeat_tolerance_seconds a spec may set (default 900 counts).';
comment on column public.workspace_limits.max_heartbeat_tolerance_seconds is 'Highest heartbeat_tolerance_seconds a spec may set (default 900 counts).';
comment on column public.workspace_limits.updated_at is 'Last change.';
comment on column public.workspace_limits.updated_by is 'Actor of the last change: user:<uuid> or service_role.';

create table public.pool_limits (
    workspace_id uuid not null,
    pool text not null,
    max_concurrent_runs integer,
    cost_rate double precision not null default 1,
    updated_at timestamptz not null default pg_catalog.now(),
    updated_by text not null,
    constraint pool_limits_pkey primary key (workspace_id, pool),
    constraint pool_limits_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint pool_limits_max_concurrent_runs_not_negative check (max_concurrent_runs >= 0),
    constraint pool_limits_cost_rate_not_negative check (cost_rate >= 0),
    constraint pool_limits_updated_by_format check (updated_by ~ '^(user:[0-9a-f-]{36}|service_role)$'),
    constraint pool_limits_workspace_id_fkey foreign key (workspace_id)
    references public.workspace_limits (workspace_id) on delete cascade
);

comment on table public.pool_limits is
'Orchestration caps of a workspace in one pool: concurrency and the budget''s cost rate (a second in this pool costs cost_rate run-seconds). Changed only by set_pool_limits.';
comment on column public.pool_limits.workspace_id is 'The workspace.';
comment on column public.pool_limits.pool is 'The pool.';
comment on column public.pool_limits.max_concurrent_runs is 'Most runs of the workspace claimed or running at once in this pool; null: no limit.';
comment on column public.pool_limits.cost_rate is 'Budget weight of a run-second in this pool (default 1).';
comment on column public.pool_limits.updated_at is 'Last change.';
comment on column public.pool_limits.updated_by is 'Actor of the last change: user:<uuid> or service_role.';

create table public.spec_limits (
    workspace_id uuid not null,
    spec_name text not null,
    max_concurrent_runs integer,
    updated_at timestamptz not null default pg_catalog.now(),
    updated_by text not null,
    constraint spec_limits_pkey primary key (workspace_id, spec_name),
    constraint spec_limits_spec_name_format check (spec_name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'),
    constraint spec_limits_max_concurrent_runs_not_negative check (max_concurrent_runs >= 0),
    constraint spec_limits_updated_by_format check (updated_by ~ '^(user:[0-9a-f-]{36}|service_role)$'),
    constraint spec_limits_workspace_id_fkey foreign key (workspace_id)
    references public.workspace_limits (workspace_id) on delete cascade
);

comment on table public.spec_limits is
'Orchestration caps of one pipeline (all versions of a spec name), like Databricks max_concurrent_runs. Changed only by set_spec_limits.';
comment on column public.spec_limits.workspace_id is 'The workspace.';
comment on column public.spec_limits.spec_name is 'The pipeline (spec name, every version).';
comment on column public.spec_limits.max_concurrent_runs is 'Most runs of the pipeline claimed or running at once; null: no limit.';
comment on column public.spec_limits.updated_at is 'Last change.';
comment on column public.spec_limits.updated_by is 'Actor of the last change: user:<uuid> or service_role.';

create table public.limit_changes (
    id bigint generated always as identity,
    workspace_id uuid not null,
    scope text not null,
    target text,
    before jsonb,
    after jsonb not null,
    actor text not null,
    at timestamptz not null,
    constraint limit_changes_pkey primary key (id),
    constraint limit_changes_scope_valid check (scope in ('workspace', 'pool', 'spec')),
    constraint limit_changes_target_when_scoped check ((target is null) = (scope = 'workspace')),
    constraint limit_changes_actor_format check (actor ~ '^(user:[0-9a-f-]{36}|service_role)$'),
    constraint limit_changes_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

create index limit_changes_workspace_id_idx on public.limit_changes (workspace_id, id);

comment on table public.limit_changes is
'Append-only audit of every change of workspace_limits, pool_limits and spec_limits (before and after, actor, time). UPDATE and DELETE raise; only private.purge_workspace removes rows.';
comment on column public.limit_changes.id is 'Order of the changes.';
comment on column public.limit_changes.workspace_id is 'The workspace.';
comment on column public.limit_changes.scope is 'workspace | pool | spec: which table changed.';
comment on column public.limit_changes.target is 'The pool or spec name (null for the workspace scope).';
comment on column public.limit_changes.before is 'The row before (null when it was created).';
comment on column public.limit_changes.after is 'The row after.';
comment on column public.limit_changes.actor is 'user:<uuid> or service_role.';
comment on column public.limit_changes.at is 'When (the as_of of the call).';

-- RLS on every table: members read their workspaces' limits; nobody writes but the RPCs.
alter table public.workspace_limits enable row level security;
alter table public.pool_limits enable row level security;
alter table public.spec_limits enable row level security;
alter table public.limit_changes enable row level security;

revoke all on table public.workspace_limits from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.pool_limits from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.spec_limits from public, anon, authenticated, service_role, controlroom_executor;
revoke all on table public.limit_changes from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.workspace_limits to authenticated, service_role;
grant select on table public.pool_limits to authenticated, service_role;
grant select on table public.spec_limits to authenticated, service_role;
grant select on table public.limit_changes to authenticated, service_role;

create policy workspace_limits_select_members on public.workspace_limits
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
create policy pool_limits_select_members on public.pool_limits
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
create policy spec_limits_select_members on public.spec_limits
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
create policy limit_changes_select_members on public.limit_changes
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

-- Append-only, for every role (0130).
create trigger limit_changes_append_only
before update or delete on public.limit_changes
for each statement execute function private.reject_table_change('limit_changes is an append-only audit.');

create trigger limit_changes_no_truncate
before truncate on public.limit_changes
for each statement execute function private.reject_table_change('limit_changes is an append-only audit.');

create function private.first_spec_over_limit_problem(workspace_id uuid, body jsonb)
returns table (field text, value numeric, limit_value numeric)
language sql
stable
set search_path = ''
as $$
    with wl as (
        select l.* from public.workspace_limits as l
        where l.workspace_id = first_spec_over_limit_problem.workspace_id
    ),
    spec_settings (n, field, value, limit_value) as (
        select 1, 'caps.max_duration_seconds',
            (first_spec_over_limit_problem.body -> 'caps' ->> 'max_duration_seconds')::numeric,
            wl.max_run_duration_seconds::numeric
        from wl
        union all
        select 2, 'retries.max_attempts',
            coalesce((first_spec_over_limit_problem.body -> 'retries' ->> 'max_attempts')::numeric, 3),
            wl.max_attempts::numeric
        from wl
        union all
        select 3, 'heartbeat_tolerance_seconds',
            coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900),
            wl.max_heartbeat_tolerance_seconds::numeric
        from wl
    ),
    phase_caps (n, field, value, limit_value) as (
        select 10 + ph.n * 10 + k.n, pg_catalog.format('phases[%s].%s.%s', ph.n - 1, k.section, k.name),
            (ph.phase -> k.section ->> k.name)::numeric, k.limit_value
        from wl
        cross join lateral pg_catalog.jsonb_array_elements(
            case when pg_catalog.jsonb_typeof(first_spec_over_limit_problem.body -> 'phases') = 'array'
                then first_spec_over_limit_problem.body -> 'phases' else '[]'::jsonb end
        ) with ordinality as ph (phase, n)
        cross join lateral (
            values
            (1, 'caps', 'memory_bytes', wl.max_memory_bytes::numeric),
            (2, 'caps', 'address_space_bytes', wl.max_memory_bytes::numeric),
            (3, 'caps', 'cpu_seconds', wl.max_cpu_seconds::numeric),
            (4, 'caps', 'wall_seconds', wl.max_wall_seconds::numeric),
            (5, 'caps', 'output_bytes', wl.max_output_bytes::numeric),
            (6, 'engine', 'memory_limit_bytes', wl.max_memory_bytes::numeric)
        ) as k (n, section, name, limit_value)
        where k.limit_value is not null
          and pg_catalog.jsonb_typeof(ph.phase -> k.section -> k.name) = 'number'
    )
    select p.field, p.value, p.limit_value
    from (
        select s.* from spec_settings as s
        where s.limit_value is not null and (s.value is null or s.value > s.limit_value)
        union all
        select 5, 'heartbeat_tolerance_seconds',
            coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900),
            wl.min_heartbeat_tolerance_seconds::numeric
        from wl
        where wl.min_heartbeat_tolerance_seconds is not null
          and coalesce((first_spec_over_limit_problem.body ->> 'heartbeat_tolerance_seconds')::numeric, 900)
          < wl.min_heartbeat_tolerance_seconds
        union all
        select c.* from phase_caps as c where c.value > c.limit_value
    ) as p
    order by p.n
    limit 1
$$;

comment on function private.first_spec_over_limit_problem(uuid, jsonb) is
'The first setting of a spec body (already valid) that asks for more than the workspace''s limits allow: field, its value (null when unset but a limit requires it) and the limit; no row when it fits or the workspace has no limits. Defaults count (3 attempts, 900 s heartbeat tolerance).';

create function private.assert_spec_within_limits(workspace_id uuid, body jsonb)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
    v_problem record;
begin
    select p.* into v_problem
    from private.first_spec_over_limit_problem(assert_spec_within_limits.workspace_id, assert_spec_within_limits.body) as p;
    if found then
        raise exception 'spec asks for %=% but the workspace''s limit is %',
            v_problem.field, coalesce(v_problem.value::text, 'unset'), v_problem.limit_value
        using errcode = '22023',
        detail = pg_catalog.format('field=%s value=%s limit=%s', v_problem.field,
            coalesce(v_problem.value::text, 'unset'), v_problem.limit_value),
        hint = 'Lower the setting in the spec, or ask a workspace admin to raise the limit (set_workspace_limits).';
    end if;
end
$$;

comment on function private.assert_spec_within_limits(uuid, jsonb) is
'Raises 22023 naming the field, its value and the limit when a spec body asks for more than the workspace''s limits (private.first_spec_over_limit_problem).';

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

create or replace function public.publish_spec(workspace_id uuid, name text, version text, body jsonb)
returns public.pipeline_specs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_spec public.pipeline_specs;
    v_existing public.pipeline_specs;
begin
    if private.caller_role() = 'authenticated' then
        if not private.is_member(publish_spec.workspace_id, 'admin') then
            raise exception 'only workspace admins publish specs'
            using errcode = '42501',
            detail = 'The caller is not an admin or owner of this workspace.',
            hint = 'Publish from CI with the service role, or ask a workspace admin.';
        end if;
    elsif not private.caller_is_service_or_owner() then
        raise exception 'only workspace admins and the service role publish specs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Publish from CI with the service role.';
    end if;

    -- GUARD: before anything walks the body (the settings checks, the recursive spec hash); see
    -- docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        'body', publish_spec.body, 262144, 32,
        'A spec describes phases and settings: keep data in the data plane and reference it by uri.'
    );
    perform private.assert_valid_spec(publish_spec.name, publish_spec.version, publish_spec.body);
    if not exists (select from public.workspaces as w where w.id = publish_spec.workspace_id) then
        raise exception 'workspace % does not exist', publish_spec.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace has this id.',
        hint = 'Check the workspace id.';
    end if;
    -- Orchestration caps (docs/caps.md): what a spec may ask for in this workspace.
    perform private.assert_spec_within_limits(publish_spec.workspace_id, publish_spec.body);

    insert into public.pipeline_specs as s (workspace_id, name, version, body, published_by)
    values (
        publish_spec.workspace_id, publish_spec.name, publish_spec.version, publish_spec.body,
        (select auth.uid())
    )
    on conflict do nothing
    returning s.* into v_spec;
    if found then
        return v_spec;
    end if;

    select s.* into v_existing
    from public.pipeline_specs as s
    where s.workspace_id = publish_spec.workspace_id
      and s.name = publish_spec.name
      and s.version = publish_spec.version;
    if found and v_existing.spec_hash = private.spec_hash(publish_spec.body) then
        return v_existing;  -- publishing the same version again is a no-op
    elsif found then
        raise exception 'spec %@% is already published with different content',
            publish_spec.name, publish_spec.version
        using errcode = '23505',
        detail = pg_catalog.format('Published hash %s, new hash %s.',
            v_existing.spec_hash, private.spec_hash(publish_spec.body)),
        hint = 'Published versions are immutable: bump the version.';
    end if;

    select s.* into v_existing
    from public.pipeline_specs as s
    where s.workspace_id = publish_spec.workspace_id
      and s.spec_hash = private.spec_hash(publish_spec.body);
    raise exception 'the same spec body is already published as %@%', v_existing.name, v_existing.version
    using errcode = '23505',
    detail = pg_catalog.format('spec_hash %s is unique per workspace.', v_existing.spec_hash),
    hint = 'Include name and version in the body so that versions differ, or reuse the published one.';
end
$$;

comment on function public.publish_spec(uuid, text, text, jsonb) is
'Publishes an immutable spec version (body: a JSON object of at most 256 KiB, PT413, and 32 levels, 22023). A spec asking for more than the workspace''s limits is refused (22023, naming the field, value and limit). Re-publishing identical content is a no-op that returns the existing row; different content under the same name and version is a conflict (23505).';

create or replace function public.submit_run(
    workspace_id uuid,
    spec_name text default null,
    spec_version text default null,
    spec_hash text default null,
    params jsonb default '{}'::jsonb,
    priority integer default 0,
    idempotency_key text default null,
    as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_run.as_of);
    v_actor text := private.caller_actor();
    v_spec public.pipeline_specs;
    v_run public.runs;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role submit runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if private.caller_role() = 'authenticated'
        and not private.is_member(submit_run.workspace_id, 'operator') then
        raise exception 'only operators, admins and owners of the workspace submit runs'
        using errcode = '42501',
        detail = 'The caller is not a member of this workspace, or only a viewer.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    if (submit_run.spec_name is null) = (submit_run.spec_hash is null) then
        raise exception 'name the spec either by spec_name (and optional spec_version) or by spec_hash'
        using errcode = '22023',
        detail = 'Exactly one of spec_name and spec_hash must be given.',
        hint = 'Pass spec_name (latest version) or spec_name and spec_version, or spec_hash.';
    end if;
    if submit_run.spec_hash is not null and submit_run.spec_version is not null then
        raise exception 'spec_version cannot be combined with spec_hash'
        using errcode = '22023',
        detail = 'A hash names one version already.',
        hint = 'Pass spec_hash alone.';
    end if;
    if pg_catalog.jsonb_typeof(submit_run.params) is distinct from 'object' then
        raise exception 'params must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_run.params), 'null')),
        hint = 'Pass {} for no parameters.';
    end if;
    -- GUARD: params travel to the executor in every claim reply; see docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        'params', submit_run.params, 65536, 32,
        'Pass large or deeply structured inputs by reference: store them in the data plane and put their uri in params.'
    );
    if submit_run.priority is null or submit_run.priority not between -1000 and 1000 then
        raise exception 'priority must be between -1000 and 1000'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(submit_run.priority::text, 'null')),
        hint = 'Higher runs first; 0 is the default.';
    end if;
    if pg_catalog.char_length(submit_run.idempotency_key) not between 1 and 200 then
        raise exception 'idempotency_key must have 1 to 200 characters'
        using errcode = '22023',
        detail = 'Use a UUID or another client-generated unique string.',
        hint = 'Omit it to submit without idempotency.';
    end if;

    select s.* into v_spec
    from public.pipeline_specs as s
    where s.workspace_id = submit_run.workspace_id
      and (
          (submit_run.spec_hash is not null and s.spec_hash = submit_run.spec_hash)
          or (submit_run.spec_name is not null and s.name = submit_run.spec_name
              and (submit_run.spec_version is null or s.version = submit_run.spec_version))
      )
    -- "Latest": the highest integer version; non-integer versions by publish time.
    order by
        case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
        s.published_at desc,
        s.id desc
    limit 1;
    if not found then
        raise exception 'spec % is not published in workspace %',
            coalesce(submit_run.spec_hash, submit_run.spec_name || coalesce('@' || submit_run.spec_version, '')),
            submit_run.workspace_id
        using errcode = 'PT404',
        detail = 'No published spec version matches.',
        hint = 'Publish the spec with publish_spec first, or check the name, version or hash.';
    end if;

    -- Orchestration caps (docs/caps.md): the workspace's highest priority and queue admission. A
    -- retried submit of a run already queued under its key is answered below, not refused.
    if submit_run.idempotency_key is null or not exists (
        select from public.runs as r
        where r.workspace_id = submit_run.workspace_id and r.idempotency_key = submit_run.idempotency_key
    ) then
        perform private.assert_run_admitted(submit_run.workspace_id, submit_run.priority);
    end if;

    insert into public.runs as r (
        workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
        submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
        status_reason, updated_at
    )
    values (
        submit_run.workspace_id, v_spec.id, submit_run.params, submit_run.priority,
        submit_run.idempotency_key, v_spec.pool, v_spec.required_labels, (select auth.uid()),
        v_as_of, submit_run.priority, v_as_of, v_as_of, v_actor, 'submitted', v_as_of
    )
    on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
    returning r.* into v_run;
    if found then
        return v_run;
    end if;

    -- The key was used before: the same request returns the same run; another one is a conflict.
    select r.* into v_run
    from public.runs as r
    where r.workspace_id = submit_run.workspace_id
      and r.idempotency_key = submit_run.idempotency_key;
    if (v_run.spec_id, v_run.params, v_run.priority)
        is distinct from (v_spec.id, submit_run.params, submit_run.priority) then
        raise exception 'idempotency key % was used for a different request', submit_run.idempotency_key
        using errcode = '23505',
        detail = pg_catalog.format('Run %s was submitted with this key for another spec, params or priority.', v_run.id),
        hint = 'Use a new idempotency key for a new request.';
    end if;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505). Workspace limits: priority above max_priority is refused (22023), a full queue (max_queued_runs) with PT429.';

create or replace function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null,
    start boolean default false
)
returns table (
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    lease_token uuid,
    lease_expires_at timestamptz,
    heartbeat_tolerance_seconds double precision,
    deadline_at timestamptz,
    workspace_id uuid,
    spec_id uuid,
    spec_name text,
    spec_version text,
    spec_hash text,
    spec_body jsonb,
    params jsonb,
    priority integer
)
language plpgsql
security definer
set search_path = ''
-- The claim must stay an index scan of runs_claimable_idx whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(claim_runs.as_of);
    v_executor public.executors;
    v_actor text;
    v_labels jsonb;
    v_run_ids uuid[];
    v_claimed private.run_change[];
    v_started private.run_change[];
    v_skip_workspaces uuid[];
    v_skip_specs uuid[];
    v_candidates uuid[];
    v_capped uuid[];
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
    end if;
    if claim_runs.start is null then
        raise exception 'start must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Pass start => true to claim and start in one call, or omit it.';
    end if;
    if claim_runs.pool is not null and claim_runs.pool <> v_executor.pool then
        raise exception 'executor % claims from pool %, not %', v_executor.id, v_executor.pool, claim_runs.pool
        using errcode = '42501',
        detail = 'An executor claims only from the pool of its token.',
        hint = 'Omit pool, or register an executor with a token for that pool.';
    end if;
    v_labels := coalesce(claim_runs.labels, v_executor.labels);
    if pg_catalog.jsonb_typeof(v_labels) <> 'object' then
        raise exception 'labels must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(v_labels)),
        hint = 'Omit labels to use the registered ones.';
    end if;
    v_actor := 'executor:' || v_executor.id::text;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    -- Orchestration caps (docs/caps.md): skip the workspaces and specs that cannot take a run now.
    select f.workspace_ids, f.spec_ids into v_skip_workspaces, v_skip_specs
    from private.capped_claim_filter(v_executor.pool, v_executor.workspace_id, v_as_of) as f;

    -- GUARD: concurrent claimers skip each other's locked rows, so a run is claimed once; the
    -- rows stay locked until commit, across the transition statements below.
    select pg_catalog.array_agg(p.id order by p.score desc, p.created_at, p.id) into v_candidates
    from (
        select r.id, r.score, r.created_at
        from public.runs as r
        where r.status = 'queued'
          and r.pool = v_executor.pool
          and r.not_before <= v_as_of
          and r.required_labels <@ v_labels
          and (v_executor.workspace_id is null or r.workspace_id = v_executor.workspace_id)
          and r.workspace_id <> all(v_skip_workspaces)
          and r.spec_id <> all(v_skip_specs)
        order by r.score desc, r.created_at, r.id
        limit claim_runs.max_runs
        for update of r skip locked
    ) as p;
    if v_candidates is null then
        return;
    end if;

    -- GUARD: caps hold under concurrency. Claims of a capped workspace take its workspace_limits
    -- row lock (in workspace order, so claimers never deadlock) and count what runs in a statement
    -- of their own, after every earlier claim of the workspace committed.
    v_capped := array(
        select distinct r.workspace_id
        from public.runs as r
        where r.id = any(v_candidates)
          and exists (select from public.workspace_limits as wl where wl.workspace_id = r.workspace_id)
        order by r.workspace_id
    );
    if pg_catalog.cardinality(v_capped) > 0 then
        perform
        from public.workspace_limits as wl
        where wl.workspace_id = any(v_capped)
        order by wl.workspace_id
        for no key update;
        v_candidates := private.admit_within_caps(v_candidates, v_executor.pool, v_as_of);
    end if;

    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.attempt_count
        from public.runs as r
        where r.id = any(v_candidates)
    ),
    attempts as (
        -- Started at once, the attempt is running from its first row; the run still passes
        -- through claimed (below), so the audit shows both steps.
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, started_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id,
            case when claim_runs.start then 'running' else 'claimed' end,
            v_as_of, case when claim_runs.start then v_as_of end, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.run_id, a.attempt_no
    )
    select pg_catalog.array_agg(a.run_id),
        pg_catalog.array_agg(row(
            a.run_id, 'claimed', v_actor, pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            null, v_as_of + s.max_run_duration
        )::private.run_change),
        pg_catalog.array_agg(row(
            a.run_id, 'running', v_actor, pg_catalog.format('started (attempt %s)', a.attempt_no), null, null
        )::private.run_change)
    into v_run_ids, v_claimed, v_started
    from attempts as a
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id;

    if v_run_ids is null then
        return;
    end if;
    perform private.transition_runs(v_claimed, v_as_of);
    if claim_runs.start then
        perform private.transition_runs(v_started, v_as_of);
    end if;

    return query
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        r.deadline_at, r.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, r.params, r.priority
    from public.runs as r
    inner join public.run_attempts as a on a.run_id = r.id and a.attempt_no = r.attempt_count
    inner join public.pipeline_specs as s on s.id = r.spec_id
    where r.id = any(v_run_ids)
    order by r.score desc, r.created_at, r.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order (FOR UPDATE SKIP LOCKED), never past a workspace, pool or pipeline concurrency cap or the daily budget (docs/caps.md; capped workspaces are serialised on their workspace_limits row). With start => true the runs are also started (claimed -> running, both audited) in the same transaction, for an executor that runs them at once. Returns per run the attempt, its lease token and what the executor needs to run it.';
