-- Why: three holes found by attacking the local stack (issue 12).
--   * Unbounded inputs: submit_run stored 10 MB params and params nested ~1,000 levels deep (the
--     executor that decodes its claim reply died on them), and publish_spec accepted 10 MB spec
--     bodies; a body nested 1,000 levels deep even overflowed the stack of the spec hash (a 500).
--     Both RPCs now refuse params above 64 KiB or 32 levels and spec bodies above 256 KiB or
--     32 levels, with PT413 (too large) or 22023 (too deep) naming the field, its size and the
--     limit (docs/caps.md, "Input bounds"). The depth check looks no further than one level past
--     the limit, so a hostile document costs at most that much work.
--   * Account deletion: `delete from auth.users` failed for every user, because the foreign keys
--     of the history columns (workspaces.created_by, pipeline_specs.published_by,
--     runs.submitted_by) set them to null, which the immutability triggers of specs and runs
--     refuse (the spec trigger is per statement, so it fired even when no row matched). History
--     keeps the actor: those columns keep the user's id without a foreign key, like the actor
--     columns of runs and run_transitions (`user:<uuid>`) always did. Memberships still go with
--     the account (on delete cascade): access ends, the record of who did what stays.
--   * An admin could demote the owner. add_workspace_member now lets only owners change an
--     owner's role, and never takes the last owner away (make another member owner first).

set lock_timeout = '5s';
set statement_timeout = '60s';

-- History columns keep the actor after the account is gone --------------------------------------

alter table public.workspaces drop constraint workspaces_created_by_fkey;
alter table public.pipeline_specs drop constraint pipeline_specs_published_by_fkey;
alter table public.runs drop constraint runs_submitted_by_fkey;

comment on column public.workspaces.created_by is
'The user who created the workspace (null when created by the service role). History: no foreign key, the id stays after the account is deleted.';
comment on column public.pipeline_specs.published_by is
'The user who published this version (null for the service role). History: no foreign key, the id stays after the account is deleted.';
comment on column public.runs.submitted_by is
'Submitting user (null for the service role) (definition, immutable). History: no foreign key, the id stays after the account is deleted.';

-- Input bounds -----------------------------------------------------------------------------------

create function private.jsonb_nests_deeper_than(value jsonb, max_depth integer)
returns boolean
language plpgsql
immutable
strict
parallel safe
set search_path = ''
-- Bounded, and no recursion of our own: the jsonpath `.**{n}` walk (C code) descends exactly n
-- levels below the root and no further, so a document nested 10,000 levels deep costs n levels of
-- work, and nothing here can push PL/pgSQL off the stack. Levels are counted as in the depth:
-- the root is level 0, so a container at level max_depth is the (max_depth + 1)-th nested one.
-- (A recursive CTE that walks level by level does the same at about ten times the cost.)
as $$
begin
    return pg_catalog.jsonb_path_exists(
        jsonb_nests_deeper_than.value,
        pg_catalog.format(
            'strict $.**{%s} ? (@.type() == "object" || @.type() == "array")',
            jsonb_nests_deeper_than.max_depth
        )::pg_catalog.jsonpath
    );
end
$$;

comment on function private.jsonb_nests_deeper_than(jsonb, integer) is
'Whether a JSON value nests objects and arrays more than max_depth levels deep (a scalar has depth 0, an object or array of scalars 1, each container inside another one more). Looks at most max_depth levels down, so the work is bounded whatever the input.';

create function private.assert_json_within(
    field text, value jsonb, max_bytes integer, max_depth integer, hint text
)
returns void
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
    v_bytes integer := pg_catalog.octet_length(assert_json_within.value::text);
begin
    -- Size first: it is cheap, and it bounds the work of the depth walk.
    if v_bytes > assert_json_within.max_bytes then
        raise exception '% is too large: % bytes, the limit is % bytes',
            assert_json_within.field, v_bytes, assert_json_within.max_bytes
        using errcode = 'PT413',
        detail = pg_catalog.format(
            'The size is the length of the JSON text as the control plane stores it (%s bytes); at most %s are accepted.',
            v_bytes, assert_json_within.max_bytes
        ),
        hint = assert_json_within.hint;
    end if;
    if private.jsonb_nests_deeper_than(assert_json_within.value, assert_json_within.max_depth) then
        raise exception '% is nested too deeply: more than % levels, the limit is % levels',
            assert_json_within.field, assert_json_within.max_depth, assert_json_within.max_depth
        using errcode = '22023',
        detail = pg_catalog.format(
            'Each object or array inside another counts as one level (%s itself is level 1); at most %s are accepted.',
            assert_json_within.field, assert_json_within.max_depth
        ),
        hint = assert_json_within.hint;
    end if;
end
$$;

comment on function private.assert_json_within(text, jsonb, integer, integer, text) is
'Raises PT413 when the JSON text of value is longer than max_bytes, 22023 when it nests more than max_depth levels (private.jsonb_nests_deeper_than), naming field, its size and the limit; returns quietly otherwise (also for null).';

-- submit_run: params at most 64 KiB and 32 levels --------------------------------------------------

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
    -- GUARD: params travel to the executor in every claim reply; see docs/caps.md, "Input bounds".
    perform private.assert_json_within(
        'params', submit_run.params, 65536, 32,
        'Pass large or deeply structured inputs by reference: store them in the data plane and put their uri in params.'
    );
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
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505).';

-- publish_spec: spec bodies at most 256 KiB and 32 levels ------------------------------------------

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

comment on function public.publish_spec(uuid, text, text, jsonb) is
'Publishes an immutable spec version (body: a JSON object of at most 256 KiB, PT413, and 32 levels, 22023). Re-publishing identical content is a no-op that returns the existing row; different content under the same name and version is a conflict (23505).';

-- add_workspace_member: owners are changed by owners, and the last one stays -----------------------

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

comment on function public.add_workspace_member(uuid, uuid, text) is
'Adds a member to a workspace or changes their role. Admins and owners only (only owners grant owner, and only owners change an owner''s role); the service role always. The last owner cannot be demoted (PT422): make another member owner first.';
