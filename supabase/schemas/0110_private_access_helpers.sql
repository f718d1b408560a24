-- Why: the control plane is multi-tenant. Who is calling and what they may see must be decided
-- in one place, by small private helpers that both the RLS policies and the RPCs use: members
-- (viewer and up) read their workspaces' rows; operators and up act through RPCs; executors and
-- anon read nothing directly. Policies call the helpers through `(select …)` so they run once
-- per query, not once per row.

-- member_workspace_ids and is_member read public.workspace_members (0210), while the policies of
-- every table, that one included, call them: the bodies are checked when they run, not here
-- (pg_dump's own scripts do the same). The catalog is the same either way.
set check_function_bodies = off;

create function private.role_rank(role text)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
    select case role_rank.role
        when 'viewer' then 1
        when 'operator' then 2
        when 'admin' then 3
        when 'owner' then 4
    end
$$;

comment on function private.role_rank(text) is
'Order of workspace roles: viewer 1 < operator 2 < admin 3 < owner 4; null for anything else.';

create function private.member_workspace_ids(user_id uuid, min_role text)
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
    select m.workspace_id
    from public.workspace_members as m
    where m.user_id = member_workspace_ids.user_id
      and private.role_rank(m.role) >= private.role_rank(member_workspace_ids.min_role)
$$;

comment on function private.member_workspace_ids(uuid, text) is
'Workspaces in which the user holds at least min_role. Security definer so that policies do not recurse through workspace_members'' own RLS.';

-- Policies may only call what the querying role may execute.
grant execute on function private.member_workspace_ids(uuid, text) to authenticated;

create function private.is_member(workspace_id uuid, min_role text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
    select exists (
        select
        from public.workspace_members as m
        where m.workspace_id = is_member.workspace_id
          and m.user_id = (select auth.uid())
          and private.role_rank(m.role) >= private.role_rank(is_member.min_role)
    )
$$;

comment on function private.is_member(uuid, text) is
'Whether the calling user (auth.uid()) holds at least min_role in the workspace.';

create function private.caller_role()
returns text
language sql
stable
set search_path = ''
as $$
    -- The role PostgREST (or a test) switched to with SET ROLE; a security definer function
    -- changes current_user but not this setting. Without SET ROLE it names the session user.
    select case pg_catalog.current_setting('role')
        when 'none' then session_user::text
        else pg_catalog.current_setting('role')
    end
$$;

comment on function private.caller_role() is
'The API role of the caller (anon, authenticated, service_role, controlroom_executor) or the session user when no role was set (pg_cron, migrations, psql).';

create function private.caller_is_service_or_owner()
returns boolean
language sql
stable
set search_path = ''
as $$
    select private.caller_role() in ('service_role', 'postgres', 'supabase_admin')
$$;

comment on function private.caller_is_service_or_owner() is
'Whether the caller is the service role or the database owner (pg_cron jobs, migrations and operators'' psql run as postgres). Not the workspace role admin.';

create function private.caller_actor()
returns text
language sql
stable
set search_path = ''
as $$
    select case
        when private.caller_role() = 'authenticated' then 'user:' || (select auth.uid())::text
        when private.caller_is_service_or_owner() then 'service_role'
    end
$$;

comment on function private.caller_actor() is
'Audit actor of a human or admin caller: user:<uuid> or service_role; null for anyone else.';

reset check_function_bodies;
