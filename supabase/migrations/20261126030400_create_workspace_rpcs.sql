-- Why: workspaces, memberships and published specs are created only through RPCs that check the
-- caller first: any signed-in user may create a workspace (and owns it), admins manage members
-- and publish spec versions, and the service role (GitOps, operators' scripts) may do all of it.

create function private.assert_valid_spec(name text, version text, body jsonb)
returns void
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_problem text;
begin
    v_problem := case
        when assert_valid_spec.name is null
            or assert_valid_spec.name !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$'
            then 'name must be 1-128 letters, digits, dots, dashes or underscores'
        when assert_valid_spec.version is null
            or assert_valid_spec.version !~ '^[A-Za-z0-9][A-Za-z0-9_.+-]{0,63}$'
            then 'version must be 1-64 letters, digits, dots, dashes, plus signs or underscores'
        when pg_catalog.jsonb_typeof(assert_valid_spec.body) is distinct from 'object'
            then 'body must be a JSON object'
        when assert_valid_spec.body ? 'name'
            and assert_valid_spec.body ->> 'name' is distinct from assert_valid_spec.name
            then 'body.name differs from name'
        when assert_valid_spec.body ? 'version'
            and assert_valid_spec.body ->> 'version' is distinct from assert_valid_spec.version
            then 'body.version differs from version'
        when assert_valid_spec.body ? 'pool'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'pool') <> 'string'
                or assert_valid_spec.body ->> 'pool' !~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
            then 'body.pool must be a pool name (letters, digits, dots, dashes, underscores)'
        when assert_valid_spec.body ? 'labels'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'labels') <> 'object'
                or exists (
                    select
                    from pg_catalog.jsonb_each(assert_valid_spec.body -> 'labels') as l
                    where pg_catalog.jsonb_typeof(l.value) <> 'string'
                ))
            then 'body.labels must be an object of strings'
        when assert_valid_spec.body ? 'retries'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries') <> 'object'
            then 'body.retries must be an object'
        when assert_valid_spec.body -> 'retries' ? 'max_attempts'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_attempts') <> 'number'
                or assert_valid_spec.body -> 'retries' ->> 'max_attempts' !~ '^[0-9]{1,3}$'
                or (assert_valid_spec.body -> 'retries' ->> 'max_attempts')::integer not between 1 and 100)
            then 'body.retries.max_attempts must be an integer from 1 to 100'
        when assert_valid_spec.body -> 'retries' ? 'base_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'base_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'base_seconds')::numeric < 0)
            then 'body.retries.base_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'max_backoff_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'max_backoff_seconds')::numeric < 0)
            then 'body.retries.max_backoff_seconds must be a number of at least 0'
        when assert_valid_spec.body -> 'retries' ? 'jitter_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'retries' -> 'jitter_seconds') <> 'number'
                or (assert_valid_spec.body -> 'retries' ->> 'jitter_seconds')::numeric < 0)
            then 'body.retries.jitter_seconds must be a number of at least 0'
        when assert_valid_spec.body ? 'heartbeat_tolerance_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'heartbeat_tolerance_seconds') <> 'number'
                or (assert_valid_spec.body ->> 'heartbeat_tolerance_seconds')::numeric < 30)
            then 'body.heartbeat_tolerance_seconds must be a number of at least 30'
        when assert_valid_spec.body ? 'caps'
            and pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps') <> 'object'
            then 'body.caps must be an object'
        when assert_valid_spec.body -> 'caps' ? 'max_duration_seconds'
            and (pg_catalog.jsonb_typeof(assert_valid_spec.body -> 'caps' -> 'max_duration_seconds') <> 'number'
                or (assert_valid_spec.body -> 'caps' ->> 'max_duration_seconds')::numeric <= 0)
            then 'body.caps.max_duration_seconds must be a positive number'
        when private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'max_backoff_seconds', interval '1 hour')
            < private.seconds_setting(assert_valid_spec.body -> 'retries' -> 'base_seconds', interval '10 seconds')
            then 'body.retries.max_backoff_seconds must not be below base_seconds'
    end;
    if v_problem is not null then
        raise exception 'invalid pipeline spec: %', v_problem
        using errcode = '22023',
        detail = 'See docs/architecture.md, "Spec settings", for the keys the control plane reads.',
        hint = 'Fix the spec and publish it again.';
    end if;
end
$$;

comment on function private.assert_valid_spec(text, text, jsonb) is
'Raises 22023 naming the first problem of a spec (name, version, body settings); returns quietly when the spec is valid.';

-- create_workspace --------------------------------------------------------------------------

create function public.create_workspace(slug text, name text default null, owner_id uuid default null)
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

comment on function public.create_workspace(text, text, uuid) is
'Creates a workspace. A signed-in caller becomes its owner; the service role may name any owner (or none).';

revoke execute on function public.create_workspace(text, text, uuid) from public, anon, authenticated;
grant execute on function public.create_workspace(text, text, uuid) to authenticated, service_role;

-- add_workspace_member ----------------------------------------------------------------------

create function public.add_workspace_member(workspace_id uuid, user_id uuid, role text)
returns public.workspace_members
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_member public.workspace_members;
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
    if not exists (select from public.workspaces as w where w.id = add_workspace_member.workspace_id) then
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

    insert into public.workspace_members as m (workspace_id, user_id, role)
    values (add_workspace_member.workspace_id, add_workspace_member.user_id, add_workspace_member.role)
    on conflict on constraint workspace_members_pkey do update set role = excluded.role
    returning m.* into v_member;
    return v_member;
end
$$;

comment on function public.add_workspace_member(uuid, uuid, text) is
'Adds a member to a workspace or changes their role. Admins and owners only (only owners grant owner); the service role always.';

revoke execute on function public.add_workspace_member(uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.add_workspace_member(uuid, uuid, text) to authenticated, service_role;

-- publish_spec ------------------------------------------------------------------------------

create function public.publish_spec(workspace_id uuid, name text, version text, body jsonb)
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

comment on function public.publish_spec(uuid, text, text, jsonb) is
'Publishes an immutable spec version. Re-publishing identical content is a no-op that returns the existing row; different content under the same name and version is a conflict (23505).';

revoke execute on function public.publish_spec(uuid, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.publish_spec(uuid, text, text, jsonb) to authenticated, service_role;
