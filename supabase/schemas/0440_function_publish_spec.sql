-- Why: workspaces, memberships and published specs are created only through RPCs that check the
-- caller first: any signed-in user may create a workspace (and owns it), admins manage members
-- and publish spec versions, and the service role (GitOps, operators' scripts) may do all of it.

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
    elsif not private.caller_is_service_or_owner() then
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

comment on function public.publish_spec(uuid, text, text, jsonb) is
'Publishes an immutable spec version (body: a JSON object of at most 256 KiB, PT413, and 32 levels, 22023). Re-publishing identical content is a no-op that returns the existing row; different content under the same name and version is a conflict (23505).';

revoke execute on function public.publish_spec(uuid, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.publish_spec(uuid, text, text, jsonb) to authenticated, service_role;
