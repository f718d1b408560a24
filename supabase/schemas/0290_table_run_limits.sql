-- Why: the orchestration layer of the caps (docs/caps.md). What a workspace may run at once, keep
-- queued, spend per day and ask for in a spec lives in these tables, so claim_runs, submit_run and
-- publish_spec enforce it in Postgres for every client. Admins change them only through the
-- set_*_limits RPCs (0480), which write every change to the append-only limit_changes audit;
-- members read them. A missing row or a null column means "no limit".

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
