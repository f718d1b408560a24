-- Why: workspaces, memberships and published specs are created only through RPCs that check the
-- caller first: any signed-in user may create a workspace (and owns it), admins manage members
-- and publish spec versions, and the service role (GitOps, operators' scripts) may do all of it.

create function public.add_workspace_member(workspace_id uuid, user_id uuid, role text)
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
    elsif not private.caller_is_service_or_owner() then
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

comment on function public.add_workspace_member(uuid, uuid, text) is
'Adds a member to a workspace or changes their role. Admins and owners only (only owners grant owner, and only owners change an owner''s role); the service role always. The last owner cannot be demoted (PT422): make another member owner first.';

revoke execute on function public.add_workspace_member(uuid, uuid, text) from public, anon, authenticated;
grant execute on function public.add_workspace_member(uuid, uuid, text) to authenticated, service_role;
