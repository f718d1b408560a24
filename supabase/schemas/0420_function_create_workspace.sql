-- Why: workspaces, memberships and published specs are created only through RPCs that check the
-- caller first: any signed-in user may create a workspace (and owns it), admins manage members
-- and publish spec versions, and the service role (GitOps, operators' scripts) may do all of it.

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
    elsif private.caller_is_service_or_owner() then
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
