-- Rollback of 20261130400500_validate_params_and_submit_in_batches: submit_run gets its previous
-- body back; submit_runs and the submit helpers are dropped.

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
    as_of timestamptz default null,
    due_by timestamptz default null
)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(submit_run.as_of);
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

    -- Orchestration caps (docs/caps.md): the workspace's highest priority and queue admission. A
    -- retried submit of a run already queued under its key is answered below, not refused.
    if submit_run.idempotency_key is null or not exists (
        select from public.runs as r
        where r.workspace_id = submit_run.workspace_id and r.idempotency_key = submit_run.idempotency_key
    ) then
        perform private.assert_run_admitted(submit_run.workspace_id, submit_run.priority);
    end if;

    insert into public.runs as r (
        workspace_id, spec_id, params, priority, idempotency_key, pool, required_labels,
        submitted_by, created_at, score, not_before, status_changed_at, status_changed_by,
        status_reason, updated_at, due_by
    )
    values (
        submit_run.workspace_id, v_spec.id, submit_run.params, submit_run.priority,
        submit_run.idempotency_key, v_spec.pool, v_spec.required_labels, (select auth.uid()),
        v_as_of,
        private.run_score(
            submit_run.workspace_id, v_spec.pool, v_spec.id, submit_run.priority, v_as_of, submit_run.due_by, 0, v_as_of
        ),
        v_as_of, v_as_of, v_actor, 'submitted', v_as_of, submit_run.due_by
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
    if (v_run.spec_id, v_run.params, v_run.priority, v_run.due_by)
        is distinct from (v_spec.id, submit_run.params, submit_run.priority, submit_run.due_by) then
        raise exception 'idempotency key % was used for a different request', submit_run.idempotency_key
        using errcode = '23505',
        detail = pg_catalog.format('Run %s was submitted with this key for another spec, params, priority or due_by.', v_run.id),
        hint = 'Use a new idempotency key for a new request.';
    end if;
    return v_run;
end
$$;

comment on function public.submit_run(uuid, text, text, text, jsonb, integer, text, timestamptz, timestamptz) is
'Queues a run of a published spec (by name and optional version — the highest integer version if omitted — or by hash). params: a JSON object of at most 64 KiB (PT413) and 32 levels (22023). The same idempotency_key returns the same run; reusing it for a different request is a conflict (23505). due_by (optional) feeds the deadline factor of the score, stored at submit (private.run_score). Workspace limits: priority above max_priority is refused (22023), a full queue (max_queued_runs) with PT429.';

drop function public.submit_runs(uuid, jsonb, timestamptz);
drop function private.submit_runs(uuid, jsonb, timestamptz, text);
drop function private.assert_may_submit(uuid);
drop function private.assert_submit_item(jsonb, text);
drop function private.params_problems(jsonb, jsonb, text);
drop function private.params_with_defaults(jsonb, jsonb);
drop function private.json_has_type(jsonb, jsonb);
drop function private.json_repr(jsonb);
