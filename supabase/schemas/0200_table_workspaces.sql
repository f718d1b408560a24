-- Why: the control plane's state lives in these tables: who may do what (workspaces, members),
-- what to run (immutable, content-addressed pipeline specs), what was asked and what happened
-- (runs, attempts, the append-only transition audit and event stream) and who does the work
-- (executors). Every invariant is a named constraint so a violation names itself. Nothing but
-- the RPC functions writes these tables: API roles get SELECT (filtered by RLS) and nothing else.
--
-- Workspaces are the tenants: specs, runs, events and executors belong to exactly one.

create table public.workspaces (
    id uuid not null default pg_catalog.gen_random_uuid(),
    slug text not null,
    name text not null,
    created_by uuid,
    created_at timestamptz not null default pg_catalog.now(),
    constraint workspaces_pkey primary key (id),
    constraint workspaces_slug_key unique (slug),
    constraint workspaces_slug_format check (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    constraint workspaces_name_length check (pg_catalog.char_length(name) between 1 and 200)
);

create index workspaces_created_by_idx on public.workspaces (created_by);

comment on table public.workspaces is
'A tenant: specs, runs, events and executors belong to exactly one workspace; members see only theirs.';
comment on column public.workspaces.id is 'Workspace id.';
comment on column public.workspaces.slug is 'URL-safe unique handle (lower-case letters, digits, dashes).';
comment on column public.workspaces.name is 'Display name.';
comment on column public.workspaces.created_by is
'The user who created the workspace (null when created by the service role). History: no foreign key, the id stays after the account is deleted.';
comment on column public.workspaces.created_at is 'When the workspace was created.';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.workspaces enable row level security;

revoke all on table public.workspaces from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.workspaces to authenticated, service_role;

create policy workspaces_select_members on public.workspaces
for select to authenticated
using (id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
