-- Rollback of 20261130020000_bound_inputs_and_keep_accounts_deletable: submit_run, publish_spec
-- and add_workspace_member are re-created exactly as 20261126030500 and 20261126030400 made them,
-- the bound helpers go, and the history columns get their foreign keys (on delete set null) back.
-- Re-adding the keys fails if an account was deleted in the meantime (its id is still in the
-- history): null those ids first, or keep the migration.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function public.submit_run(
    workspace_id uuid,
    spec_name text default null,
    spec_version text default null,
    spec_hash text default null,
    params jsonb default '{}'::jsonb,
    priority integer default 0,
    idempotency_key text default null,
    as_of timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(submit_run.as_of, pg_catalog.now());
    v_actor text := private.caller_actor();
    v_spec public.pipeline_specs;
    v_run public.runs;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role submit runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if private.caller_role() = 'authenticated'
        and not private.is_member(submit_run.workspace_id, 'operator') then
        raise exception 'only operators, admins and owners of the workspace submit runs'
        using errcode = '42501',
        detail = 'The caller is not a member of this workspace, or only a viewer.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    if (submit_run.spec_name is null) = (submit_run.spec_hash is null) then
        raise exception 'name the spec either by spec_name (and optional spec_version) or by spec_hash'
        using errcode = '22023',
        detail = 'Exactly one of spec_name and spec_hash must be given.',
        hint = 'Pass spec_name (latest version) or spec_name and spec_version, or spec_hash.';
    end if;
    if submit_run.spec_hash is not null and submit_run.spec_version is not null then
        raise exception 'spec_version cannot be combined with spec_hash'
        using errcode = '22023',
        detail = 'A hash names one version already.',
        hint = 'Pass spec_hash alone.';
    end if;
    if pg_catalog.jsonb_typeof(submit_run.params) is distinct from 'object' then
        raise exception 'params must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(submit_run.params), 'null')),
        hint = 'Pass {} for no parameters.';
    end if;
    if submit_run.priority is null or submit_run.priority not between -1000 and 1000 then
        raise exception 'priority must be between -1000 and 1000'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(submit_run.priority::text, 'null')),
        hint = 'Higher runs first; 0 is the default.';
    end if;
    if pg_catalog.char_length(submit_run.idempotency_key) not between 1 and 200 then
        raise exception 'idempotency_key must have 1 to 200 characters'
        using errcode = '22023',
        detail = 'Use a UUID or another client-generated unique string.',
        hint = 'Omit it to submit without idempotency.';
    end if;

    select s.* into v_spec
    from public.pipeline_specs as s
    where s.workspace_id = submit_run.workspace_id
      and (
          (submit_run.spec_hash is not null and s.spec_hash = submit_run.spec_hash)
          or (submit_run.spec_name is not null and s.name = submit_run.spec_name
              and (submit_run.spec_version is null or s.version = submit_run.spec_version))
      )
    -- "Latest": the highest integer version; non-integer versions by publish time.
    order by
        case when s.version ~ '^[0-9]{1,18}$' then s.version::bigint end desc nulls last,
        s.published_at desc,
        s.id desc
    limit 1;
    if not found then
        raise exception 'spec % is not published in workspace %',
            coalesce(submit_run.spec_hash, submit_run.spec_name || coalesce('@' || submit_run.spec_version, '')),
            submit_run.workspace_id
        using errcode = 'PT404',
        detail = 'No published spec version matches.',
        hint = 'Publish the spec with publish_spec first, or check the name, version or hash.';
    end if;

    insert into public.runs as r (
        workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
        submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
        status_reason, updated_at
    )
    values (
        submit_run.workspace_id, v_spec.id, submit_run.params, submit_run.priority,
        submit_run.idempotency_key, v_spec.pool, v_spec.required_labels, (select auth.uid()),
        v_as_of, submit_run.priority, v_as_of, v_as_of, v_actor, 'submitted', v_as_of
    )
    on conflict (workspace_id, idempotency_key) where idempotency_key is not null do nothing
    returning r.* into v_run;
    if found then
        return v_run;
    end if;

    -- The key was used before: the same request returns the same run; another one is a conflict.
    select r.* into v_run
    from public.runs as r
    where r.workspace_id = submit_run.workspace_id
      and r.idempotency_key = submit_run.idempotency_key;
    if (v_run.spec_id, v_run.params, v_run.priority)
        is distinct from (v_spec.id, submit_run.params, submit_run.priority) then
        raise exception 'idempotency key % was used for a different request', submit_run.idempotency_key
        using errcode = '23505',
        detail = pg_catalog.format('Run %s was submitted with this key for another spec, params or priority.', v_run.id),
        hint = 'Use a new idempotency key for a new request.';
    end if;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505).';

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

create or replace function public.add_workspace_member(workspace_id uuid, user_id uuid, role text)
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

drop function private.assert_json_within(text, jsonb, integer, integer, text);
drop function private.jsonb_nests_deeper_than(jsonb, integer);

alter table public.workspaces add constraint workspaces_created_by_fkey foreign key (created_by)
references auth.users (id) on delete set null;
alter table public.pipeline_specs add constraint pipeline_specs_published_by_fkey foreign key (published_by)
references auth.users (id) on delete set null;
alter table public.runs add constraint runs_submitted_by_fkey foreign key (submitted_by)
references auth.users (id) on delete set null;

comment on column public.workspaces.created_by is 'The user who created the workspace (null when created by the service role).';
comment on column public.pipeline_specs.published_by is 'The user who published this version (null for the service role).';
comment on column public.runs.submitted_by is 'Submitting user (null for the service role) (definition, immutable).';
