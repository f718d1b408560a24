-- Rollback of 20261130400100_add_orchestration_caps: claim_runs, submit_run and publish_spec get
-- their previous bodies back; the limits RPCs, helpers and tables are dropped.

set lock_timeout = '5s';
set statement_timeout = '60s';

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

create or replace function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null,
    start boolean default false
)
returns table (
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    lease_token uuid,
    lease_expires_at timestamptz,
    heartbeat_tolerance_seconds double precision,
    deadline_at timestamptz,
    workspace_id uuid,
    spec_id uuid,
    spec_name text,
    spec_version text,
    spec_hash text,
    spec_body jsonb,
    params jsonb,
    priority integer
)
language plpgsql
security definer
set search_path = ''
-- The claim must stay an index scan of runs_claimable_idx whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := private.clock(claim_runs.as_of);
    v_executor public.executors;
    v_actor text;
    v_labels jsonb;
    v_run_ids uuid[];
    v_claimed private.run_change[];
    v_started private.run_change[];
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
    end if;
    if claim_runs.start is null then
        raise exception 'start must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Pass start => true to claim and start in one call, or omit it.';
    end if;
    if claim_runs.pool is not null and claim_runs.pool <> v_executor.pool then
        raise exception 'executor % claims from pool %, not %', v_executor.id, v_executor.pool, claim_runs.pool
        using errcode = '42501',
        detail = 'An executor claims only from the pool of its token.',
        hint = 'Omit pool, or register an executor with a token for that pool.';
    end if;
    v_labels := coalesce(claim_runs.labels, v_executor.labels);
    if pg_catalog.jsonb_typeof(v_labels) <> 'object' then
        raise exception 'labels must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(v_labels)),
        hint = 'Omit labels to use the registered ones.';
    end if;
    v_actor := 'executor:' || v_executor.id::text;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    -- GUARD: concurrent claimers skip each other's locked rows, so a run is claimed once; the
    -- rows stay locked until commit, across the transition statements below.
    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.attempt_count
        from public.runs as r
        where r.status = 'queued'
          and r.pool = v_executor.pool
          and r.not_before <= v_as_of
          and r.required_labels <@ v_labels
          and (v_executor.workspace_id is null or r.workspace_id = v_executor.workspace_id)
        order by r.score desc, r.created_at, r.id
        limit claim_runs.max_runs
        for update of r skip locked
    ),
    attempts as (
        -- Started at once, the attempt is running from its first row; the run still passes
        -- through claimed (below), so the audit shows both steps.
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, started_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id,
            case when claim_runs.start then 'running' else 'claimed' end,
            v_as_of, case when claim_runs.start then v_as_of end, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.run_id, a.attempt_no
    )
    select pg_catalog.array_agg(a.run_id),
        pg_catalog.array_agg(row(
            a.run_id, 'claimed', v_actor, pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            null, v_as_of + s.max_run_duration
        )::private.run_change),
        pg_catalog.array_agg(row(
            a.run_id, 'running', v_actor, pg_catalog.format('started (attempt %s)', a.attempt_no), null, null
        )::private.run_change)
    into v_run_ids, v_claimed, v_started
    from attempts as a
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id;

    if v_run_ids is null then
        return;
    end if;
    perform private.transition_runs(v_claimed, v_as_of);
    if claim_runs.start then
        perform private.transition_runs(v_started, v_as_of);
    end if;

    return query
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        r.deadline_at, r.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, r.params, r.priority
    from public.runs as r
    inner join public.run_attempts as a on a.run_id = r.id and a.attempt_no = r.attempt_count
    inner join public.pipeline_specs as s on s.id = r.spec_id
    where r.id = any(v_run_ids)
    order by r.score desc, r.created_at, r.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz, boolean) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order (FOR UPDATE SKIP LOCKED). With start => true the runs are also started (claimed -> running, both audited) in the same transaction, for an executor that runs them at once. Returns per run the attempt, its lease token and what the executor needs to run it.';

drop function public.set_spec_limits(uuid, text, integer, timestamptz);
drop function public.set_pool_limits(uuid, text, integer, double precision, timestamptz);
drop function public.set_workspace_limits(uuid, jsonb, timestamptz);
drop function private.ensure_workspace_limits(uuid, text, timestamptz);
drop function private.assert_limits_admin(uuid);
drop function private.admit_within_caps(uuid [], text, timestamptz);
drop function private.capped_claim_filter(text, uuid, timestamptz);
drop function private.spec_rooms(uuid []);
drop function private.cap_rooms(uuid [], text, timestamptz);
drop function private.workspace_budget(uuid, timestamptz);
drop function private.assert_run_admitted(uuid, integer);
drop function private.assert_spec_within_limits(uuid, jsonb);
drop function private.first_spec_over_limit_problem(uuid, jsonb);
drop table public.limit_changes;
drop table public.spec_limits;
drop table public.pool_limits;
drop table public.workspace_limits;
