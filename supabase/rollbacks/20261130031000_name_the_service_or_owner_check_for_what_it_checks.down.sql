-- Rollback of 20261130031000_name_the_service_or_owner_check_for_what_it_checks: the helper has its
-- old name again and its callers use it.

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.caller_is_admin()
returns boolean
language sql
stable
set search_path = ''
as $$
    select private.caller_role() in ('service_role', 'postgres', 'supabase_admin')
$$;

comment on function private.caller_is_admin() is
'Whether the caller is the service role or the database owner (pg_cron jobs run as postgres).';

create or replace function private.caller_actor()
returns text
language sql
stable
set search_path = ''
as $$
    select case
        when private.caller_role() = 'authenticated' then 'user:' || (select auth.uid())::text
        when private.caller_is_admin() then 'service_role'
    end
$$;

create or replace function public.create_workspace(slug text, name text default null, owner_id uuid default null)
returns public.workspaces
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_owner uuid;
    v_workspace public.workspaces;
begin
    if private.caller_role() = 'authenticated' and (select auth.uid()) is not null then
        if create_workspace.owner_id is not null and create_workspace.owner_id <> (select auth.uid()) then
            raise exception 'only the service role may create a workspace for someone else'
            using errcode = '42501',
            detail = 'owner_id differs from the caller.',
            hint = 'Omit owner_id: the caller becomes the owner.';
        end if;
        v_owner := (select auth.uid());
    elsif private.caller_is_admin() then
        v_owner := create_workspace.owner_id;
    else
        raise exception 'only signed-in users and the service role may create workspaces'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in, or call with the service role key.';
    end if;

    if create_workspace.slug is null or create_workspace.slug !~ '^[a-z0-9][a-z0-9-]{1,62}$' then
        raise exception 'invalid workspace slug %', pg_catalog.quote_nullable(create_workspace.slug)
        using errcode = '22023',
        detail = 'A slug is 2-63 lower-case letters, digits or dashes, starting with a letter or digit.',
        hint = 'Choose another slug.';
    end if;
    if pg_catalog.char_length(coalesce(create_workspace.name, create_workspace.slug)) > 200 then
        raise exception 'workspace name is too long'
        using errcode = '22023',
        detail = 'A name has at most 200 characters.',
        hint = 'Shorten the name.';
    end if;
    if v_owner is not null and not exists (select from auth.users as u where u.id = v_owner) then
        raise exception 'user % does not exist', v_owner
        using errcode = 'PT404',
        detail = 'No auth.users row has this id.',
        hint = 'Pass the id of an existing user as owner_id.';
    end if;

    insert into public.workspaces (slug, name, created_by)
    values (
        create_workspace.slug,
        coalesce(nullif(create_workspace.name, ''), create_workspace.slug),
        (select auth.uid())
    )
    on conflict on constraint workspaces_slug_key do nothing
    returning * into v_workspace;
    if not found then
        raise exception 'workspace slug % is taken', create_workspace.slug
        using errcode = '23505',
        detail = 'Workspace slugs are unique.',
        hint = 'Choose another slug.';
    end if;

    if v_owner is not null then
        insert into public.workspace_members (workspace_id, user_id, role)
        values (v_workspace.id, v_owner, 'owner');
    end if;
    return v_workspace;
end
$$;

create or replace function public.add_workspace_member(workspace_id uuid, user_id uuid, role text)
returns public.workspace_members
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_member public.workspace_members;
    v_current_role text;
begin
    if private.caller_role() = 'authenticated' then
        if not private.is_member(add_workspace_member.workspace_id, 'viewer') then
            raise exception 'workspace % does not exist', add_workspace_member.workspace_id
            using errcode = 'PT404',
            detail = 'No workspace with this id is visible to the caller.',
            hint = 'Check the workspace id.';
        end if;
        if not private.is_member(add_workspace_member.workspace_id, 'admin')
            or (add_workspace_member.role = 'owner'
                and not private.is_member(add_workspace_member.workspace_id, 'owner')) then
            raise exception 'only admins manage members (and only owners grant owner)'
            using errcode = '42501',
            detail = 'The caller''s role in the workspace is too low.',
            hint = 'Ask a workspace owner or admin.';
        end if;
    elsif not private.caller_is_admin() then
        raise exception 'only workspace admins and the service role manage members'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace admin.';
    end if;

    if add_workspace_member.role is null
        or add_workspace_member.role not in ('owner', 'admin', 'operator', 'viewer') then
        raise exception 'invalid member role %', pg_catalog.quote_nullable(add_workspace_member.role)
        using errcode = '22023',
        detail = 'Roles are owner, admin, operator and viewer.',
        hint = 'Pass one of them.';
    end if;
    -- GUARD: member changes of one workspace take turns, so two owners demoting each other at the
    -- same time cannot both count the other as the remaining owner. (NO KEY UPDATE does not wait
    -- for, nor block, the KEY SHARE locks that inserting runs and specs take on the workspace.)
    perform from public.workspaces as w
    where w.id = add_workspace_member.workspace_id
    for no key update;
    if not found then
        raise exception 'workspace % does not exist', add_workspace_member.workspace_id
        using errcode = 'PT404',
        detail = 'No workspace has this id.',
        hint = 'Check the workspace id.';
    end if;
    if not exists (select from auth.users as u where u.id = add_workspace_member.user_id) then
        raise exception 'user % does not exist', add_workspace_member.user_id
        using errcode = 'PT404',
        detail = 'No auth.users row has this id.',
        hint = 'Invite the user first.';
    end if;

    select m.role into v_current_role
    from public.workspace_members as m
    where m.workspace_id = add_workspace_member.workspace_id
      and m.user_id = add_workspace_member.user_id;
    if v_current_role = 'owner' and add_workspace_member.role <> 'owner' then
        -- GUARD: an admin cannot demote an owner; owners hand over by making another member owner
        -- first, and only then may step down (or be stepped down by the other owner).
        if private.caller_role() = 'authenticated'
            and not private.is_member(add_workspace_member.workspace_id, 'owner') then
            raise exception 'only owners change the role of an owner'
            using errcode = '42501',
            detail = pg_catalog.format('User %s is an owner of workspace %s.',
                add_workspace_member.user_id, add_workspace_member.workspace_id),
            hint = 'Ask a workspace owner.';
        end if;
        if not exists (
            select
            from public.workspace_members as m
            where m.workspace_id = add_workspace_member.workspace_id
              and m.role = 'owner'
              and m.user_id <> add_workspace_member.user_id
        ) then
            raise exception 'user % is the last owner of workspace %',
                add_workspace_member.user_id, add_workspace_member.workspace_id
            using errcode = 'PT422',
            detail = 'A workspace keeps at least one owner.',
            hint = 'Make another member owner first, then change this role.';
        end if;
    end if;

    insert into public.workspace_members as m (workspace_id, user_id, role)
    values (add_workspace_member.workspace_id, add_workspace_member.user_id, add_workspace_member.role)
    on conflict on constraint workspace_members_pkey do update set role = excluded.role
    returning m.* into v_member;
    return v_member;
end
$$;

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
    elsif not private.caller_is_admin() then
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

create or replace function public.requeue_stale_runs(as_of timestamptz default null, workspace_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := private.clock(requeue_stale_runs.as_of);
    v_batch jsonb;
    v_requeued integer := 0;
    v_failed integer := 0;
    v_cancelled integer := 0;
    v_timed_out integer := 0;
begin
    if not private.caller_is_admin() then
        raise exception 'only the service role and pg_cron requeue stale runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'pg_cron job controlroom_requeue_stale_runs calls it every minute.';
    end if;

    -- A call over the API sweeps everything in its one transaction, batch by batch; pg_cron's job
    -- commits after each batch instead (see the job below), so an outage of any size never holds
    -- one long transaction there.
    loop
        v_batch := private.sweep_stale_runs(v_as_of, requeue_stale_runs.workspace_id, 1000);
        v_requeued := v_requeued + (v_batch ->> 'requeued')::integer;
        v_failed := v_failed + (v_batch ->> 'failed')::integer;
        v_cancelled := v_cancelled + (v_batch ->> 'cancelled')::integer;
        v_timed_out := v_timed_out + (v_batch ->> 'timed_out')::integer;
        exit when not (v_batch ->> 'more')::boolean;
    end loop;

    return pg_catalog.jsonb_build_object(
        'as_of', v_as_of,
        'requeued', v_requeued,
        'failed', v_failed,
        'cancelled', v_cancelled,
        'timed_out', v_timed_out,
        'closed_attempts', v_requeued + v_failed + v_cancelled + v_timed_out,
        'moved_runs', v_requeued + v_failed + v_cancelled + v_timed_out
    );
end
$$;

drop function private.caller_is_service_or_owner();
