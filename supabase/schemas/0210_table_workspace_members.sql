-- Why: who belongs to a workspace, with which role. The access helpers (0110) read it for RLS and
-- for the role checks of the RPCs.

create table public.workspace_members (
    workspace_id uuid not null,
    user_id uuid not null,
    role text not null,
    created_at timestamptz not null default pg_catalog.now(),
    constraint workspace_members_pkey primary key (workspace_id, user_id),
    constraint workspace_members_role_valid check (role in ('owner', 'admin', 'operator', 'viewer')),
    constraint workspace_members_workspace_id_fkey foreign key (workspace_id)
    references public.workspaces (id) on delete cascade,
    constraint workspace_members_user_id_fkey foreign key (user_id)
    references auth.users (id) on delete cascade
);

create index workspace_members_user_id_idx on public.workspace_members (user_id, workspace_id, role);

comment on table public.workspace_members is
'Who belongs to a workspace and with which role: owner > admin > operator (submit, cancel) > viewer (read).';
comment on column public.workspace_members.workspace_id is 'The workspace.';
comment on column public.workspace_members.user_id is 'The member (auth.users.id).';
comment on column public.workspace_members.role is 'owner | admin | operator | viewer; each includes the rights of the ones after it.';
comment on column public.workspace_members.created_at is 'When the membership was granted.';

-- RLS on every table: members read their workspaces' rows; nobody writes but the RPCs.
alter table public.workspace_members enable row level security;

revoke all on table public.workspace_members from public, anon, authenticated, service_role, controlroom_executor;
grant select on table public.workspace_members to authenticated, service_role;

create policy workspace_members_select_members on public.workspace_members
for select to authenticated
using (workspace_id in (select private.member_workspace_ids((select auth.uid()), 'viewer')));
