-- Why: who does the work. register_executor (0510) writes it; claim_runs and heartbeat check that
-- the caller's credential is the one that registered the executor.

create table public.executors (
    id uuid not null default pg_catalog.gen_random_uuid(),
    token_sub uuid not null,
    pool text not null,
    workspace_id uuid,
    labels jsonb not null default '{}'::jsonb,
    version text,
    host text,
    status text not null default 'active',
    registered_at timestamptz not null default pg_catalog.now(),
    last_seen_at timestamptz not null default pg_catalog.now(),
    heartbeat_seconds double precision not null default 10,
    status_changed_at timestamptz,
    constraint executors_pkey primary key (id),
    constraint executors_status_valid check (status in ('active', 'draining', 'stopped')),
    constraint executors_pool_format check (pool ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$'),
    constraint executors_labels_is_object check (pg_catalog.jsonb_typeof(labels) = 'object'),
    constraint executors_version_length check (pg_catalog.char_length(version) <= 200),
    constraint executors_host_length check (pg_catalog.char_length(host) <= 255),
    constraint executors_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint executors_heartbeat_seconds_range check (heartbeat_seconds between 1 and 3600)
);

create index executors_workspace_id_idx on public.executors (workspace_id);
-- Waking a pool reads its active executors seen recently (0325), on every submit.
create index executors_pool_last_seen_at_idx on public.executors (pool, last_seen_at)
where status = 'active';

comment on table public.executors is
'Registered executor processes. Shared executors (workspace_id null) serve every workspace of their pool.';
comment on column public.executors.id is 'Executor id, returned by register_executor and passed to claim_runs/heartbeat.';
comment on column public.executors.token_sub is 'The sub claim of the JWT that registered it; only that credential may act as this executor.';
comment on column public.executors.pool is 'Pool it claims from (the pool claim of its JWT).';
comment on column public.executors.workspace_id is 'Workspace it is confined to (the workspace_id claim of its JWT), or null for a shared executor.';
comment on column public.executors.labels is 'Capabilities (string map) matched against pipeline_specs.required_labels.';
comment on column public.executors.version is 'Executor software version, for operators.';
comment on column public.executors.host is 'Host or pod name, for operators.';
comment on column public.executors.status is 'active | draining (told to stop: finishes what it holds, claims nothing new) | stopped (exited cleanly); set by the executor through report_executor_status.';
comment on column public.executors.registered_at is 'When it registered.';
comment on column public.executors.last_seen_at is 'Last claim or heartbeat.';
comment on column public.executors.heartbeat_seconds is 'The period within which the executor promised to call heartbeat or claim (declared at registration, default 10 s); executor_health judges silence against it.';
comment on column public.executors.status_changed_at is 'When the executor last reported a status change (draining, stopped); null while it never did.';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.executors enable row level security;

revoke all on table public.executors from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.executors to authenticated, service_role;

create policy executors_select_members on public.executors
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
