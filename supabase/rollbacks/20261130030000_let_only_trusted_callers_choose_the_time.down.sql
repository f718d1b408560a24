-- Rollback of 20261130030000_let_only_trusted_callers_choose_the_time: every RPC honours as_of from
-- any caller again (the previous bodies), and the clock helpers are dropped.

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

create or replace function public.cancel_run(run_id uuid, reason text default null, as_of timestamptz default null)
returns public.runs
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(cancel_run.as_of, pg_catalog.now());
    v_actor text := private.caller_actor();
    v_reason text := coalesce(nullif(cancel_run.reason, ''), 'cancelled by ' || coalesce(private.caller_actor(), 'unknown'));
    v_run public.runs;
begin
    if private.caller_role() not in ('authenticated', 'service_role', 'postgres', 'supabase_admin') then
        raise exception 'only workspace operators and the service role cancel runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Sign in as a workspace operator.';
    end if;
    if pg_catalog.char_length(v_reason) > 2000 then
        raise exception 'reason is too long'
        using errcode = '22023',
        detail = 'A reason has at most 2000 characters.',
        hint = 'Shorten the reason.';
    end if;

    select r.* into v_run from public.runs as r where r.id = cancel_run.run_id for update;
    if not found
        or (private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'viewer')) then
        raise exception 'run % does not exist', cancel_run.run_id
        using errcode = 'PT404',
        detail = 'No run with this id is visible to the caller.',
        hint = 'Check the run id.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_run.workspace_id, 'operator') then
        raise exception 'viewers cannot cancel runs'
        using errcode = '42501',
        detail = 'Cancelling needs the operator role in the workspace.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    -- GUARD: a repeated cancel (already cancelled, or already asked of a live attempt) changes nothing.
    if v_run.status = 'cancelled'
        or (v_run.status = any(private.active_run_statuses()) and v_run.cancel_requested_at is not null) then
        return v_run;
    elsif private.run_status_is_terminal(v_run.status) then
        raise exception 'run % is already % and cannot be cancelled', v_run.id, v_run.status
        using errcode = 'PT422',
        detail = 'Terminal runs are final.',
        hint = 'Nothing to cancel.';
    end if;

    update public.runs as r
    set cancel_requested_at = v_as_of,
        cancel_requested_by = v_actor,
        cancel_reason = v_reason,
        updated_at = v_as_of
    where r.id = v_run.id
    returning r.* into v_run;

    if v_run.status = 'queued' then
        v_run := private.transition_run(v_run.id, 'cancelled', v_actor, v_reason, v_as_of);
    end if;
    return v_run;
end
$$;

create or replace function public.register_executor(
    pool text default null,
    labels jsonb default '{}'::jsonb,
    version text default null,
    host text default null,
    as_of timestamptz default null
)
returns public.executors
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(register_executor.as_of, pg_catalog.now());
    v_claims jsonb;
    v_workspace_id uuid;
    v_executor public.executors;
begin
    perform private.assert_executor_role();
    v_claims := (select auth.jwt());
    if coalesce(v_claims ->> 'pool', '') = '' then
        raise exception 'the executor token has no pool claim'
        using errcode = '42501',
        detail = 'Executor JWTs name the pool they may claim from.',
        hint = 'Mint the token with a pool.';
    end if;
    if register_executor.pool is not null and register_executor.pool <> v_claims ->> 'pool' then
        raise exception 'this token may only register executors of pool %', v_claims ->> 'pool'
        using errcode = '42501',
        detail = pg_catalog.format('Asked for pool %s.', register_executor.pool),
        hint = 'Omit pool, or mint a token for that pool.';
    end if;
    if pg_catalog.jsonb_typeof(register_executor.labels) is distinct from 'object'
        or exists (
            select from pg_catalog.jsonb_each(register_executor.labels) as l
            where pg_catalog.jsonb_typeof(l.value) <> 'string'
        ) then
        raise exception 'labels must be an object of strings'
        using errcode = '22023',
        detail = 'Labels are matched against the labels of specs.',
        hint = 'Pass e.g. {"gpu": "a100"} or {}.';
    end if;
    if nullif(v_claims ->> 'workspace_id', '') is not null then
        if v_claims ->> 'workspace_id' !~ '^[0-9a-fA-F-]{36}$' then
            raise exception 'the workspace_id claim is not a uuid'
            using errcode = '22023',
            detail = 'The executor token is malformed.',
            hint = 'Mint the token again.';
        end if;
        v_workspace_id := (v_claims ->> 'workspace_id')::uuid;
        if not exists (select from public.workspaces as w where w.id = v_workspace_id) then
            raise exception 'workspace % does not exist', v_workspace_id
            using errcode = 'PT404',
            detail = 'The workspace_id claim names no workspace.',
            hint = 'Mint the token for an existing workspace.';
        end if;
    end if;
    if pg_catalog.char_length(register_executor.version) > 200
        or pg_catalog.char_length(register_executor.host) > 255 then
        raise exception 'version or host is too long'
        using errcode = '22023',
        detail = 'version has at most 200 and host at most 255 characters.',
        hint = 'Shorten them.';
    end if;

    insert into public.executors as x (
        token_sub, pool, workspace_id, labels, version, host, registered_at, last_seen_at
    )
    values (
        (select auth.uid()), v_claims ->> 'pool', v_workspace_id, register_executor.labels,
        register_executor.version, register_executor.host, v_as_of, v_as_of
    )
    returning x.* into v_executor;
    return v_executor;
end
$$;

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
    v_as_of timestamptz := coalesce(claim_runs.as_of, pg_catalog.now());
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

create or replace function public.start_run(lease uuid, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(start_run.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    v_attempt := private.lock_lease(start_run.lease);
    if v_attempt.status = 'running' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'start_run', v_as_of);
    end if;

    update public.run_attempts as a
    set status = 'running', started_at = v_as_of
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_attempt.run_id, 'running', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('started (attempt %s)', v_attempt.attempt_no), v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

create or replace function public.heartbeat(executor_id uuid, leases jsonb, as_of timestamptz default null)
returns table (
    lease uuid,
    run_id uuid,
    attempt_id uuid,
    directive text,
    reason text,
    lease_expires_at timestamptz
)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(heartbeat.as_of, pg_catalog.now());
    v_executor public.executors;
    v_problem record;
begin
    v_executor := private.assert_executor(heartbeat.executor_id);
    if pg_catalog.jsonb_typeof(heartbeat.leases) is distinct from 'array' then
        raise exception 'leases must be a JSON array of lease tokens'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(heartbeat.leases), 'null')),
        hint = 'Pass e.g. ["8c0f…"] or [].';
    end if;
    if pg_catalog.jsonb_array_length(heartbeat.leases) > 1000 then
        raise exception 'at most 1000 leases per heartbeat'
        using errcode = 'PT413',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_array_length(heartbeat.leases)),
        hint = 'Split the heartbeat.';
    end if;
    select f.idx, f.problem into v_problem from private.first_lease_problem(heartbeat.leases) as f;
    if found then
        raise exception 'every lease must be a lease token (uuid string)'
        using errcode = '22023',
        detail = pg_catalog.format('leases[%s] %s.', v_problem.idx, v_problem.problem),
        hint = 'Pass the lease_token values returned by claim_runs.';
    end if;

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    return query
    with wanted as (
        select (e.value #>> '{}')::uuid as lease_token, pg_catalog.min(e.ordinality) as ord
        from pg_catalog.jsonb_array_elements(heartbeat.leases) with ordinality as e (value, ordinality)
        group by 1
    ),
    beat as (
        -- GUARD: a closed attempt's lease is dead: it is not extended and gets lease_lost.
        update public.run_attempts as a
        set heartbeat_at = greatest(a.heartbeat_at, v_as_of),
            lease_expires_at = greatest(a.heartbeat_at, v_as_of) + a.heartbeat_tolerance
        from wanted as w
        where a.lease_token = w.lease_token
          and a.executor_id = v_executor.id
          and a.status = any(private.live_attempt_statuses())
        returning a.lease_token, a.id, a.run_id, a.lease_expires_at
    )
    select w.lease_token,
        coalesce(b.run_id, d.run_id),
        coalesce(b.id, d.id),
        case
            when b.id is null then 'lease_lost'
            when r.cancel_requested_at is not null then 'cancel'
            when r.deadline_at <= v_as_of then 'cancel'
            else 'continue'
        end,
        case
            when b.id is null and d.id is null then 'unknown lease'
            when b.id is null then 'attempt is ' || d.status
            when r.cancel_requested_at is not null then coalesce(r.cancel_reason, 'cancel requested')
            when r.deadline_at <= v_as_of then 'max run duration exceeded'
        end,
        b.lease_expires_at
    from wanted as w
    left join beat as b on b.lease_token = w.lease_token
    left join public.runs as r on r.id = b.run_id
    left join public.run_attempts as d
        on b.id is null and d.lease_token = w.lease_token and d.executor_id = v_executor.id
    order by w.ord;
end
$$;

create or replace function public.complete_run(lease uuid, result jsonb default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(complete_run.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_done record;
begin
    perform private.assert_executor_role();
    if complete_run.result is not null and pg_catalog.jsonb_typeof(complete_run.result) <> 'object' then
        raise exception 'result must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(complete_run.result)),
        hint = 'Pass a summary object or omit it.';
    end if;
    -- An unknown token (PT404) or another credential's lease (42501) is an error of this call.
    v_attempt := private.lock_lease(complete_run.lease);

    select c.outcome, c.run_status into v_done
    from private.complete_attempts(
        pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('lease', complete_run.lease, 'result', complete_run.result)
        ),
        'complete_run', v_as_of
    ) as c;
    if v_done.outcome = 'not_started' then
        raise exception 'attempt % was never started', v_attempt.id
        using errcode = 'PT422',
        detail = 'A run goes claimed -> running -> succeeded.',
        hint = 'Call start_run before complete_run.';
    elsif v_done.outcome = 'rejected' then
        return private.dead_lease_reply(v_attempt, v_done.run_status, 'complete_run');
    end if;
    return private.lease_reply(
        v_done.outcome,
        (select a from public.run_attempts as a where a.id = v_attempt.id),
        (select r from public.runs as r where r.id = v_attempt.run_id)
    );
end
$$;

create or replace function public.complete_runs(executor_id uuid, items jsonb, as_of timestamptz default null)
returns table (
    item integer,
    lease uuid,
    outcome text,
    code text,
    message text,
    run_id uuid,
    attempt_id uuid,
    attempt_no integer,
    attempt_status text,
    run_status text,
    events_accepted integer
)
language plpgsql
security definer
set search_path = ''
-- Lookups by lease, id and run must stay index probes whatever the cached plan saw (20261126070100).
set enable_seqscan = off
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(complete_runs.as_of, pg_catalog.now());
    v_count integer;
    v_events jsonb;
    v_event_items integer[];
    v_event_indexes integer[];
    v_problem record;
begin
    perform private.assert_executor(complete_runs.executor_id);
    if pg_catalog.jsonb_typeof(complete_runs.items) is distinct from 'array' then
        raise exception 'items must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(complete_runs.items), 'null')),
        hint = 'Pass e.g. [{"lease": "8c0f…", "result": {}, "events": []}].';
    end if;
    v_count := pg_catalog.jsonb_array_length(complete_runs.items);
    if v_count > 100 then
        raise exception 'at most 100 items per call, got %', v_count
        using errcode = 'PT413',
        detail = 'complete_runs completes one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 100 items.';
    end if;

    select f.idx, f.problem into v_problem from private.first_completion_problem(complete_runs.items) as f;
    if found then
        raise exception 'items[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was changed.',
        hint = 'Fix the item and send the batch again; completing twice is answered as a duplicate.';
    end if;

    -- Every item's events in one array, checked in one call of the shared rules; the flat index
    -- maps back to (item, event) for the message.
    select coalesce(pg_catalog.jsonb_agg(e.value order by i.ordinality, e.ordinality), '[]'),
        coalesce(pg_catalog.array_agg((i.ordinality - 1)::integer order by i.ordinality, e.ordinality), '{}'),
        coalesce(pg_catalog.array_agg((e.ordinality - 1)::integer order by i.ordinality, e.ordinality), '{}')
    into v_events, v_event_items, v_event_indexes
    from pg_catalog.jsonb_array_elements(complete_runs.items) with ordinality as i (value, ordinality)
    cross join lateral pg_catalog.jsonb_array_elements(
        case when pg_catalog.jsonb_typeof(i.value -> 'events') = 'array' then i.value -> 'events' else '[]' end
    ) with ordinality as e (value, ordinality);
    if pg_catalog.jsonb_array_length(v_events) > 1000 then
        raise exception 'at most 1000 events per call, got %', pg_catalog.jsonb_array_length(v_events)
        using errcode = 'PT413',
        detail = 'complete_runs stores the last events of its items in one bounded batch.',
        hint = 'Send the events with emit_events first, or split the batch.';
    end if;
    select f.idx, f.problem into v_problem from private.first_event_problem(v_events) as f;
    if found then
        raise exception 'items[%].events[%] %',
            v_event_items[v_problem.idx + 1], v_event_indexes[v_problem.idx + 1], v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was changed.',
        hint = 'Fix the event and send the batch again; events with a seq are deduplicated.';
    end if;

    return query
    select c.item, c.lease, c.outcome, c.code, c.message, c.run_id, c.attempt_id, c.attempt_no,
        c.attempt_status, c.run_status, c.events_accepted
    from private.complete_attempts(complete_runs.items, 'complete_runs', v_as_of) as c;
end
$$;

create or replace function public.fail_run(
    lease uuid,
    retryable boolean,
    error_class text,
    message text default null,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(fail_run.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_run public.runs;
    v_spec public.pipeline_specs;
    v_delay interval;
    v_jitter interval;
    v_actor text;
begin
    perform private.assert_executor_role();
    if fail_run.retryable is null then
        raise exception 'retryable must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Say whether another attempt could succeed.';
    end if;
    if fail_run.error_class is null or fail_run.error_class !~ '^[A-Za-z0-9_.:-]{1,200}$' then
        raise exception 'error_class must be 1-200 letters, digits, dots, colons, dashes or underscores'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(fail_run.error_class)),
        hint = 'Use a stable class such as cap_exceeded or python.ValueError.';
    end if;
    if pg_catalog.char_length(fail_run.message) > 10000 then
        raise exception 'message is too long'
        using errcode = '22023',
        detail = 'A failure message has at most 10000 characters.',
        hint = 'Truncate it; put the rest in a run event or an artifact.';
    end if;
    v_attempt := private.lock_lease(fail_run.lease);
    if v_attempt.status = 'failed' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'fail_run', v_as_of);
    end if;

    select r.* into v_run from public.runs as r where r.id = v_attempt.run_id for update;
    select s.* into v_spec from public.pipeline_specs as s where s.id = v_run.spec_id;
    v_actor := 'executor:' || v_attempt.executor_id::text;

    if v_run.cancel_requested_at is not null then
        update public.run_attempts as a
        set status = 'cancelled', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = fail_run.retryable
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'cancelled', v_actor,
            pg_catalog.format('cancelled (attempt %s stopped: %s)', v_attempt.attempt_no, fail_run.error_class),
            v_as_of
        );
    elsif fail_run.retryable and v_attempt.attempt_no < v_spec.max_attempts then
        v_delay := private.retry_delay(v_attempt.attempt_no, v_spec.backoff_base, v_spec.backoff_max);
        v_jitter := private.retry_jitter(v_spec.backoff_jitter);
        update public.run_attempts as a
        set status = 'failed', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = true,
            retry_delay = v_delay, retry_jitter = v_jitter
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'queued', v_actor,
            pg_catalog.format('attempt %s of %s failed (%s); retry after %s',
                v_attempt.attempt_no, v_spec.max_attempts, fail_run.error_class, v_delay + v_jitter),
            v_as_of, v_as_of + v_delay + v_jitter
        );
    else
        update public.run_attempts as a
        set status = 'failed', finished_at = v_as_of, error_class = fail_run.error_class,
            error_message = fail_run.message, retryable = fail_run.retryable
        where a.id = v_attempt.id
        returning a.* into v_attempt;
        v_run := private.transition_run(
            v_run.id, 'failed', v_actor,
            case
                when fail_run.retryable then pg_catalog.format(
                    'retries exhausted: attempt %s of %s failed (%s)',
                    v_attempt.attempt_no, v_spec.max_attempts, fail_run.error_class
                )
                else pg_catalog.format('attempt %s failed, not retryable (%s)',
                    v_attempt.attempt_no, fail_run.error_class)
            end,
            v_as_of
        );
    end if;
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

create or replace function public.confirm_cancel(lease uuid, message text default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(confirm_cancel.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    if pg_catalog.char_length(confirm_cancel.message) > 10000 then
        raise exception 'message is too long'
        using errcode = '22023',
        detail = 'A message has at most 10000 characters.',
        hint = 'Truncate it.';
    end if;
    v_attempt := private.lock_lease(confirm_cancel.lease);
    if v_attempt.status = 'cancelled' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'confirm_cancel', v_as_of);
    end if;

    select r.* into v_run from public.runs as r where r.id = v_attempt.run_id for update;
    if v_run.cancel_requested_at is null then
        raise exception 'run % has no cancellation request', v_run.id
        using errcode = 'PT422',
        detail = 'confirm_cancel answers the cancel directive of heartbeat.',
        hint = 'Report a failure with fail_run instead.';
    end if;

    update public.run_attempts as a
    set status = 'cancelled', finished_at = v_as_of, error_message = confirm_cancel.message
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_run.id, 'cancelled', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('cancelled (attempt %s confirmed: %s)', v_attempt.attempt_no, v_run.cancel_reason),
        v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

create or replace function public.emit_events(lease uuid, events jsonb, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(emit_events.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_count integer;
    v_inserted integer;
    v_problem record;
begin
    perform private.assert_executor_role();
    if pg_catalog.jsonb_typeof(emit_events.events) is distinct from 'array' then
        raise exception 'events must be a JSON array'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(emit_events.events), 'null')),
        hint = 'Pass a list of event objects.';
    end if;
    v_count := pg_catalog.jsonb_array_length(emit_events.events);
    if v_count > 1000 then
        raise exception 'at most 1000 events per call, got %', v_count
        using errcode = 'PT413',
        detail = 'emit_events ingests one bounded batch per call.',
        hint = 'Split the batch into chunks of at most 1000 events.';
    end if;

    v_attempt := private.lock_lease(emit_events.lease);
    if not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'emit_events', v_as_of);
    end if;

    select f.idx, f.problem into v_problem from private.first_event_problem(emit_events.events) as f;
    if found then
        raise exception 'events[%] %', v_problem.idx, v_problem.problem
        using errcode = '22023',
        detail = 'Nothing of this batch was stored.',
        hint = 'Fix the event and send the batch again; events with a seq are deduplicated.';
    end if;

    begin
        insert into public.run_events (
            run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts
        )
        select v_attempt.run_id, v_attempt.id, v_attempt.workspace_id, (e.value ->> 'seq')::integer,
            'executor', e.value ->> 'type', coalesce(e.value ->> 'level', 'info'), e.value ->> 'phase',
            e.value ->> 'message', coalesce(e.value -> 'payload', '{}'::jsonb),
            coalesce((e.value ->> 'ts')::timestamptz, v_as_of)
        from pg_catalog.jsonb_array_elements(emit_events.events) with ordinality as e (value, ordinality)
        order by e.ordinality
        on conflict on constraint run_events_attempt_id_seq_key do nothing;
        get diagnostics v_inserted = row_count;
    exception
        when invalid_datetime_format or datetime_field_overflow then
            raise exception 'an event has an invalid ts'
            using errcode = '22023',
            detail = 'ts must be an ISO 8601 timestamp.',
            hint = 'Send timestamps like 2026-11-26T03:00:00Z.';
    end;
    return pg_catalog.jsonb_build_object(
        'outcome', 'accepted',
        'run_id', v_attempt.run_id,
        'attempt_id', v_attempt.id,
        'accepted', v_inserted,
        'duplicates', v_count - v_inserted
    );
end
$$;

create or replace function public.requeue_stale_runs(as_of timestamptz default null, workspace_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(requeue_stale_runs.as_of, pg_catalog.now());
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

create or replace function public.register_artifact(
    lease uuid,
    phase text,
    name text,
    uri text,
    sha256 text,
    size_bytes bigint,
    content_type text default 'application/octet-stream',
    lineage jsonb default '{}'::jsonb,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(register_artifact.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_suffix text;
    v_bucket text;
    v_artifact public.artifacts;
begin
    perform private.assert_executor_role();
    if register_artifact.sha256 is null or register_artifact.sha256 !~ '^[0-9a-f]{64}$' then
        raise exception 'sha256 must be 64 lower-case hex digits'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s (%s characters).',
            pg_catalog.quote_nullable(pg_catalog.left(register_artifact.sha256, 80)),
            coalesce(pg_catalog.char_length(register_artifact.sha256)::text, 'no')),
        hint = 'Send the SHA-256 of the whole object, computed while uploading, as lower-case hex.';
    end if;
    if register_artifact.size_bytes is null or register_artifact.size_bytes < 0 then
        raise exception 'size_bytes must be a non-negative integer'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(register_artifact.size_bytes::text, 'null')),
        hint = 'Send the number of bytes uploaded.';
    end if;
    if register_artifact.phase is null or register_artifact.phase !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' then
        raise exception 'phase must be a key segment: 1-128 of [A-Za-z0-9._-], starting alphanumeric'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.phase, 200))),
        hint = 'Use the phase name of the spec.';
    end if;
    if register_artifact.name is null or pg_catalog.char_length(register_artifact.name) > 512
        or register_artifact.name !~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127})*$' then
        raise exception 'name must be /-separated key segments of [A-Za-z0-9._-], at most 512 characters'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.name, 600))),
        hint = 'Each segment starts with a letter or digit, e.g. logs/stdout.log.';
    end if;
    if register_artifact.content_type is null
        or pg_catalog.char_length(register_artifact.content_type) not between 1 and 255 then
        raise exception 'content_type must have 1 to 255 characters'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_nullable(pg_catalog.left(register_artifact.content_type, 300))),
        hint = 'Omit it for application/octet-stream.';
    end if;
    if pg_catalog.jsonb_typeof(register_artifact.lineage) is distinct from 'object' then
        raise exception 'lineage must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(pg_catalog.jsonb_typeof(register_artifact.lineage), 'null')),
        hint = 'Pass {} for no lineage.';
    end if;
    if pg_catalog.octet_length(register_artifact.lineage::text) > 65536 then
        raise exception 'lineage is larger than 64 KiB'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s bytes.', pg_catalog.octet_length(register_artifact.lineage::text)),
        hint = 'Keep lineage to references and counts; put bulky metadata in an artifact of its own.';
    end if;
    if register_artifact.uri is null or pg_catalog.char_length(register_artifact.uri) > 2048 then
        raise exception 'uri must be given and at most 2048 characters long'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s characters.', coalesce(pg_catalog.char_length(register_artifact.uri)::text, 'no')),
        hint = 'Send the s3:// uri of the uploaded object.';
    end if;

    v_attempt := private.lock_lease(register_artifact.lease);
    if not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'register_artifact', v_as_of);
    end if;

    -- The key is fixed by the lease: s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name>.
    v_suffix := pg_catalog.format('/%s/%s/%s/%s/%s',
        v_attempt.workspace_id, v_attempt.run_id, v_attempt.attempt_no,
        register_artifact.phase, register_artifact.name);
    if pg_catalog.starts_with(register_artifact.uri, 's3://')
        and pg_catalog.char_length(register_artifact.uri) > 5 + pg_catalog.char_length(v_suffix)
        and pg_catalog.right(register_artifact.uri, pg_catalog.char_length(v_suffix)) = v_suffix then
        v_bucket := pg_catalog.substr(
            register_artifact.uri, 6,
            pg_catalog.char_length(register_artifact.uri) - 5 - pg_catalog.char_length(v_suffix)
        );
    end if;
    if v_bucket is null or v_bucket !~ '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' then
        raise exception 'uri % does not follow the key layout of this lease', register_artifact.uri
        using errcode = '22023',
        detail = pg_catalog.format('Expected s3://<bucket>%s.', v_suffix),
        hint = 'Upload to s3://<bucket>/<workspace_id>/<run_id>/<attempt_no>/<phase>/<name> of the attempt that holds the lease.';
    end if;

    -- The attempt row is locked, so concurrent registrations of one lease are serialised.
    select a.* into v_artifact
    from public.artifacts as a
    where a.attempt_id = v_attempt.id
      and a.phase = register_artifact.phase
      and a.name = register_artifact.name;
    if found then
        if v_artifact.uri = register_artifact.uri
            and v_artifact.sha256 = register_artifact.sha256
            and v_artifact.size_bytes = register_artifact.size_bytes then
            return private.artifact_reply('duplicate', v_artifact);
        elsif v_artifact.uri = register_artifact.uri then
            raise exception 'the object % is already registered with another digest or size', register_artifact.uri
            using errcode = '23505',
            detail = pg_catalog.format('Registered: sha256 %s, %s bytes. Sent: sha256 %s, %s bytes.',
                v_artifact.sha256, v_artifact.size_bytes, register_artifact.sha256, register_artifact.size_bytes),
            hint = 'Objects are write-once: never overwrite one. Check the upload; write other content under another name.';
        else
            raise exception 'artifact % of phase % is already registered for this attempt',
                register_artifact.name, register_artifact.phase
            using errcode = '23505',
            detail = pg_catalog.format('Registered as %s (sha256 %s, %s bytes).',
                v_artifact.uri, v_artifact.sha256, v_artifact.size_bytes),
            hint = 'Names are unique per attempt and phase; choose another name.';
        end if;
    end if;

    insert into public.artifacts as a (
        workspace_id, run_id, attempt_id, phase, name, uri, sha256, size_bytes, content_type,
        lineage, created_at
    )
    values (
        v_attempt.workspace_id, v_attempt.run_id, v_attempt.id, register_artifact.phase,
        register_artifact.name, register_artifact.uri, register_artifact.sha256,
        register_artifact.size_bytes, register_artifact.content_type, register_artifact.lineage, v_as_of
    )
    returning a.* into v_artifact;

    insert into public.run_events (
        run_id, attempt_id, workspace_id, source, type, level, phase, message, payload, ts
    )
    values (
        v_artifact.run_id, v_artifact.attempt_id, v_artifact.workspace_id, 'system',
        'artifact.registered', 'info', v_artifact.phase,
        pg_catalog.format('artifact %s registered (%s bytes, sha256 %s)',
            v_artifact.name, v_artifact.size_bytes, v_artifact.sha256),
        pg_catalog.jsonb_build_object(
            'artifact_id', v_artifact.id,
            'name', v_artifact.name,
            'uri', v_artifact.uri,
            'sha256', v_artifact.sha256,
            'size_bytes', v_artifact.size_bytes,
            'content_type', v_artifact.content_type
        ),
        v_as_of
    );
    return private.artifact_reply('accepted', v_artifact);
end
$$;

create or replace function public.record_artifact_verification(
    artifact_id uuid,
    ok boolean,
    actual_sha256 text,
    actual_size bigint,
    as_of timestamptz default null
)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(record_artifact_verification.as_of, pg_catalog.now());
    v_actor text := private.caller_actor();
    v_artifact public.artifacts;
    v_matches boolean;
    v_status text;
    v_event_id bigint;
begin
    if v_actor is null then
        raise exception 'only workspace operators and the service role record artifact verifications'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Run controlroom artifacts verify as a workspace operator or with the service role.';
    end if;
    if record_artifact_verification.ok is null then
        raise exception 'ok must be true or false'
        using errcode = '22023',
        detail = 'Got null.',
        hint = 'Say whether the object was found with the registered digest and size.';
    end if;
    if record_artifact_verification.actual_sha256 !~ '^[0-9a-f]{64}$' then
        raise exception 'actual_sha256 must be 64 lower-case hex digits or null'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.quote_literal(pg_catalog.left(record_artifact_verification.actual_sha256, 80))),
        hint = 'Send the recomputed digest, or null when the object is missing.';
    end if;
    if record_artifact_verification.actual_size < 0 then
        raise exception 'actual_size must be a non-negative integer or null'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', record_artifact_verification.actual_size),
        hint = 'Send the size read back, or null when the object is missing.';
    end if;

    select a.* into v_artifact from public.artifacts as a where a.id = record_artifact_verification.artifact_id;
    if not found
        or (private.caller_role() = 'authenticated' and not private.is_member(v_artifact.workspace_id, 'viewer')) then
        raise exception 'artifact % does not exist', record_artifact_verification.artifact_id
        using errcode = 'PT404',
        detail = 'No artifact with this id is visible to the caller.',
        hint = 'Check the artifact id.';
    end if;
    if private.caller_role() = 'authenticated' and not private.is_member(v_artifact.workspace_id, 'operator') then
        raise exception 'viewers cannot record artifact verifications'
        using errcode = '42501',
        detail = 'Recording a verification needs the operator role in the workspace.',
        hint = 'Ask a workspace admin for the operator role.';
    end if;

    v_matches := coalesce(
        record_artifact_verification.actual_sha256 = v_artifact.sha256
        and record_artifact_verification.actual_size = v_artifact.size_bytes,
        false
    );
    if record_artifact_verification.ok <> v_matches then
        raise exception 'ok is %, but the actual digest and size % the record', record_artifact_verification.ok,
            case when v_matches then 'match' else 'do not match' end
        using errcode = '22023',
        detail = pg_catalog.format('Registered: sha256 %s, %s bytes. Actual: sha256 %s, %s bytes.',
            v_artifact.sha256, v_artifact.size_bytes,
            coalesce(record_artifact_verification.actual_sha256, 'none'),
            coalesce(record_artifact_verification.actual_size::text, 'none')),
        hint = 'ok is true exactly when the object was read back with the registered digest and size.';
    end if;
    v_status := case
        when v_matches then 'ok'
        when record_artifact_verification.actual_sha256 is null
            and record_artifact_verification.actual_size is null then 'missing'
        else 'mismatch'
    end;

    insert into public.run_events as e (
        run_id, attempt_id, workspace_id, source, type, level, phase, message, payload, ts
    )
    values (
        v_artifact.run_id, v_artifact.attempt_id, v_artifact.workspace_id, 'system',
        case when v_matches then 'artifact.verified' else 'artifact.verification_failed' end,
        case when v_matches then 'info' else 'error' end,
        v_artifact.phase,
        pg_catalog.format('artifact %s %s', v_artifact.name, case v_status
            when 'ok' then 'verified'
            when 'missing' then 'is missing'
            else 'does not match its record'
        end),
        pg_catalog.jsonb_build_object(
            'artifact_id', v_artifact.id,
            'name', v_artifact.name,
            'uri', v_artifact.uri,
            'status', v_status,
            'expected_sha256', v_artifact.sha256,
            'expected_size', v_artifact.size_bytes,
            'actual_sha256', record_artifact_verification.actual_sha256,
            'actual_size', record_artifact_verification.actual_size,
            'actor', v_actor
        ),
        v_as_of
    )
    returning e.id into v_event_id;

    return pg_catalog.jsonb_build_object(
        'outcome', 'recorded',
        'status', v_status,
        'ok', v_matches,
        'event_id', v_event_id,
        'artifact_id', v_artifact.id,
        'run_id', v_artifact.run_id,
        'attempt_id', v_artifact.attempt_id,
        'uri', v_artifact.uri,
        'expected_sha256', v_artifact.sha256,
        'expected_size', v_artifact.size_bytes,
        'actual_sha256', record_artifact_verification.actual_sha256,
        'actual_size', record_artifact_verification.actual_size
    );
end
$$;

drop function private.clock(timestamptz);
drop function private.caller_may_choose_time();
