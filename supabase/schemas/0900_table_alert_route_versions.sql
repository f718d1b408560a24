-- Why: the routing matrix lives in Git (specs/routing/*.yaml) and is published per workspace as
-- immutable, numbered versions (issue 14), like pipeline specs: the version an alert was routed
-- with stays readable, and publishing the same content again changes nothing. The newest version
-- of a workspace is the one signals are routed by.

create table public.alert_route_versions (
    id uuid not null default pg_catalog.gen_random_uuid(),
    workspace_id uuid not null,
    version integer not null,
    routes_hash text not null,
    body jsonb not null,
    published_by text not null,
    published_at timestamptz not null,
    constraint alert_route_versions_pkey primary key (id),
    constraint alert_route_versions_workspace_id_version_key unique (workspace_id, version),
    constraint alert_route_versions_version_positive check (version >= 1),
    constraint alert_route_versions_routes_hash_format check (routes_hash ~ '^[0-9a-f]{64}$'),
    constraint alert_route_versions_body_is_object check (pg_catalog.jsonb_typeof(body) = 'object'),
    constraint alert_route_versions_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade
);

comment on table public.alert_route_versions is
'Immutable published versions of a workspace''s routing matrix (publish_routes): routes, inhibit_rules, targets and defaults as JSON. The highest version is current. UPDATE and DELETE raise; only the purge of the workspace removes rows.';
comment on column public.alert_route_versions.id is 'Version id; alerts name the version they were routed with.';
comment on column public.alert_route_versions.workspace_id is 'Owning workspace.';
comment on column public.alert_route_versions.version is 'Version number per workspace, 1, 2, …; the highest is current.';
comment on column public.alert_route_versions.routes_hash is 'SHA-256 of the canonical JSON of body: the same content is the same hash.';
comment on column public.alert_route_versions.body is 'The routing document: {routes, inhibit_rules, targets, defaults} (docs/alerting.md).';
comment on column public.alert_route_versions.published_by is 'Actor that published it: user:<uuid> or service_role.';
comment on column public.alert_route_versions.published_at is 'Publication time.';

alter table public.alert_route_versions enable row level security;

revoke all on table public.alert_route_versions from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.alert_route_versions to authenticated, service_role;

create policy alert_route_versions_select_members on public.alert_route_versions
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));

create trigger alert_route_versions_immutable
before update or delete on public.alert_route_versions
for each statement execute function private.reject_table_change('alert_route_versions are immutable.');

create trigger alert_route_versions_no_truncate
before truncate on public.alert_route_versions
for each statement execute function private.reject_table_change('alert_route_versions are immutable.');
