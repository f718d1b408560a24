-- Why: executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through these RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

-- Helpers ----------------------------------------------------------------------------------

create function private.assert_executor_role()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
    if private.caller_role() <> 'controlroom_executor' then
        raise exception 'only executors call this function'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'Call it with an executor JWT (role controlroom_executor).';
    end if;
    if (select auth.uid()) is null then
        raise exception 'the executor token has no sub claim'
        using errcode = '42501',
        detail = 'Executor JWTs carry a random uuid as sub; it identifies the credential.',
        hint = 'Mint executor tokens with controlroom.keys.';
    end if;
end
$$;

comment on function private.assert_executor_role() is
'Raises 42501 unless the caller is the executor role with a sub claim.';

create function private.assert_executor(executor_id uuid)
returns public.executors
language plpgsql
stable
set search_path = ''
as $$
declare
    v_executor public.executors;
begin
    perform private.assert_executor_role();
    select x.* into v_executor from public.executors as x where x.id = assert_executor.executor_id;
    if not found then
        raise exception 'executor % is not registered', assert_executor.executor_id
        using errcode = 'PT404',
        detail = 'No executor has this id.',
        hint = 'Call register_executor and use the id it returns.';
    end if;
    if v_executor.token_sub <> (select auth.uid()) then
        raise exception 'executor % belongs to another credential', assert_executor.executor_id
        using errcode = '42501',
        detail = 'The token''s sub differs from the one that registered the executor.',
        hint = 'Use the id returned by your own register_executor call.';
    end if;
    return v_executor;
end
$$;

comment on function private.assert_executor(uuid) is
'Returns the executor row after checking that the caller is the executor role with the credential that registered it.';

create function private.lock_lease(lease uuid)
returns public.run_attempts
language plpgsql
set search_path = ''
as $$
declare
    v_attempt public.run_attempts;
begin
    select a.* into v_attempt
    from public.run_attempts as a
    where a.lease_token = lock_lease.lease
    for no key update;
    if not found then
        raise exception 'no attempt holds lease %', lock_lease.lease
        using errcode = 'PT404',
        detail = 'The token is wrong, or its run was purged.',
        hint = 'Stop working on this run.';
    end if;
    if not exists (
        select
        from public.executors as x
        where x.id = v_attempt.executor_id and x.token_sub = (select auth.uid())
    ) then
        raise exception 'lease % belongs to another executor credential', lock_lease.lease
        using errcode = '42501',
        detail = 'Only the credential that claimed the attempt may use its lease.',
        hint = 'Use the leases returned by your own claim_runs calls.';
    end if;
    return v_attempt;
end
$$;

comment on function private.lock_lease(uuid) is
'Locks and returns the attempt that holds a lease token (PT404 unknown token, 42501 another credential). Whether the lease is still live is for the caller to decide.';

create function private.reject_dead_lease(attempt public.run_attempts, rpc text, as_of timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_run_status text;
    v_message text;
begin
    select r.status into v_run_status from public.runs as r where r.id = reject_dead_lease.attempt.run_id;
    v_message := pg_catalog.format(
        'lease of attempt %s of run %s is no longer valid: the attempt is %s',
        (reject_dead_lease.attempt).attempt_no, (reject_dead_lease.attempt).run_id,
        (reject_dead_lease.attempt).status
    );

    insert into public.run_events (
        run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
    )
    values (
        (reject_dead_lease.attempt).run_id, (reject_dead_lease.attempt).id,
        (reject_dead_lease.attempt).workspace_id, 'system', 'lease.rejected', 'warning',
        reject_dead_lease.rpc || ' refused: ' || v_message,
        pg_catalog.jsonb_build_object(
            'rpc', reject_dead_lease.rpc,
            'attempt_no', (reject_dead_lease.attempt).attempt_no,
            'attempt_status', (reject_dead_lease.attempt).status,
            'run_status', v_run_status
        ),
        reject_dead_lease.as_of
    );

    -- PostgREST answers with this status and the returned body; the event above commits.
    perform pg_catalog.set_config('response.status', '409', true);
    return pg_catalog.jsonb_build_object(
        'outcome', 'rejected',
        'code', 'PT409',
        'message', v_message,
        'details', pg_catalog.format('%s changed nothing; run %s is %s.',
            reject_dead_lease.rpc, (reject_dead_lease.attempt).run_id, v_run_status),
        'hint', 'Stop working on this run: its lease was lost (requeued, timed out or finished). Do not retry.',
        'run_id', (reject_dead_lease.attempt).run_id,
        'attempt_id', (reject_dead_lease.attempt).id,
        'attempt_no', (reject_dead_lease.attempt).attempt_no,
        'attempt_status', (reject_dead_lease.attempt).status,
        'run_status', v_run_status
    );
end
$$;

comment on function private.reject_dead_lease(public.run_attempts, text, timestamptz) is
'Fencing: records a lease.rejected event for a write with a dead lease, sets response.status 409 and returns a PostgREST-shaped error body (code PT409) with outcome rejected.';

create function private.lease_reply(
    outcome text, attempt public.run_attempts, run public.runs
)
returns jsonb
language sql
stable
set search_path = ''
as $$
    select pg_catalog.jsonb_build_object(
        'outcome', lease_reply.outcome,
        'run_id', (lease_reply.run).id,
        'attempt_id', (lease_reply.attempt).id,
        'attempt_no', (lease_reply.attempt).attempt_no,
        'attempt_status', (lease_reply.attempt).status,
        'run_status', (lease_reply.run).status,
        'cancel_requested', (lease_reply.run).cancel_requested_at is not null,
        'not_before', case when (lease_reply.run).status = 'queued' then (lease_reply.run).not_before end
    )
$$;

comment on function private.lease_reply(text, public.run_attempts, public.runs) is
'The success body of the lease RPCs: outcome (accepted | duplicate), ids, statuses, cancel_requested, not_before of a requeued run.';

create function private.retry_delay(attempt_no integer, base interval, max interval)
returns interval
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.make_interval(secs => least(
        extract(epoch from retry_delay.max)::double precision,
        extract(epoch from retry_delay.base)::double precision
        * pg_catalog.power(2::double precision, (retry_delay.attempt_no - 1)::double precision)
    ))
$$;

comment on function private.retry_delay(integer, interval, interval) is
'Deterministic backoff after attempt attempt_no: min(max, base * 2^(attempt_no-1)).';

create function private.retry_jitter(max_jitter interval)
returns interval
language sql
volatile
set search_path = ''
as $$
    select retry_jitter.max_jitter * pg_catalog.random()
$$;

comment on function private.retry_jitter(interval) is
'Random extra retry delay in [0, max_jitter) (the spec''s retries.jitter_seconds); recorded on the attempt.';

create function private.lease_is_live(attempt public.run_attempts)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select (lease_is_live.attempt).finished_at is null
$$;

comment on function private.lease_is_live(public.run_attempts) is
'Whether an attempt is live (claimed or running), i.e. its lease may still write.';

-- register_executor -------------------------------------------------------------------------

create function public.register_executor(
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

comment on function public.register_executor(text, jsonb, text, text, timestamptz) is
'Registers an executor process for the pool (and optional workspace) of the caller''s executor token; returns the row whose id the executor passes to claim_runs and heartbeat.';

-- claim_runs --------------------------------------------------------------------------------

create function public.claim_runs(
    executor_id uuid,
    max_runs integer default 1,
    pool text default null,
    labels jsonb default null,
    as_of timestamptz default null
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
as $$
#variable_conflict use_column
declare
    v_as_of timestamptz := coalesce(claim_runs.as_of, pg_catalog.now());
    v_executor public.executors;
    v_labels jsonb;
begin
    v_executor := private.assert_executor(claim_runs.executor_id);
    if claim_runs.max_runs is null or claim_runs.max_runs not between 1 and 100 then
        raise exception 'max_runs must be between 1 and 100'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', coalesce(claim_runs.max_runs::text, 'null')),
        hint = 'Claim what the executor can run now.';
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

    update public.executors as x set last_seen_at = greatest(x.last_seen_at, v_as_of)
    where x.id = v_executor.id;

    return query
    with picked as (
        select r.id, r.workspace_id, r.spec_id, r.params, r.priority, r.attempt_count,
            r.score, r.created_at
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
        insert into public.run_attempts as a (
            run_id, workspace_id, attempt_no, executor_id, status, claimed_at, heartbeat_at,
            heartbeat_tolerance, lease_expires_at
        )
        select p.id, p.workspace_id, p.attempt_count + 1, v_executor.id, 'claimed', v_as_of, v_as_of,
            s.heartbeat_tolerance, v_as_of + s.heartbeat_tolerance
        from picked as p
        inner join public.pipeline_specs as s on s.id = p.spec_id
        returning a.id, a.run_id, a.attempt_no, a.lease_token, a.lease_expires_at, a.heartbeat_tolerance
    ),
    claimed as (
        update public.runs as r
        set status = 'claimed',
            attempt_count = a.attempt_no,
            first_claimed_at = coalesce(r.first_claimed_at, v_as_of),
            deadline_at = coalesce(r.deadline_at, v_as_of + s.max_run_duration),
            status_changed_at = v_as_of,
            status_changed_by = 'executor:' || v_executor.id::text,
            status_reason = pg_catalog.format('claimed (attempt %s)', a.attempt_no),
            updated_at = v_as_of
        from attempts as a, public.pipeline_specs as s
        where r.id = a.run_id and s.id = r.spec_id
        returning r.id, r.deadline_at
    )
    select a.run_id, a.id, a.attempt_no, a.lease_token, a.lease_expires_at,
        extract(epoch from a.heartbeat_tolerance)::double precision,
        c.deadline_at, p.workspace_id, s.id, s.name, s.version, s.spec_hash, s.body, p.params, p.priority
    from attempts as a
    inner join claimed as c on c.id = a.run_id
    inner join picked as p on p.id = a.run_id
    inner join public.pipeline_specs as s on s.id = p.spec_id
    order by p.score desc, p.created_at, p.id;
end
$$;

comment on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) is
'Claims up to max_runs queued runs of the executor''s pool whose not_before has passed and whose required labels the executor has, in score order, in one statement (FOR UPDATE SKIP LOCKED). Returns per run the attempt, its lease token and what the executor needs to run it.';

-- start_run ---------------------------------------------------------------------------------

create function public.start_run(lease uuid, as_of timestamptz default null)
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

comment on function public.start_run(uuid, timestamptz) is
'Marks a claimed attempt and its run running. A repeated call is a duplicate (no change); a dead lease gets 409 PT409 and a lease.rejected event.';

-- heartbeat ---------------------------------------------------------------------------------

create function public.heartbeat(executor_id uuid, leases jsonb, as_of timestamptz default null)
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
    if exists (
        select from pg_catalog.jsonb_array_elements(heartbeat.leases) as e
        where pg_catalog.jsonb_typeof(e.value) <> 'string'
            or (e.value #>> '{}') !~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
    ) then
        raise exception 'every lease must be a lease token (uuid string)'
        using errcode = '22023',
        detail = 'leases contains something that is not a uuid string.',
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
        update public.run_attempts as a
        set heartbeat_at = greatest(a.heartbeat_at, v_as_of),
            lease_expires_at = greatest(a.heartbeat_at, v_as_of) + a.heartbeat_tolerance
        from wanted as w
        where a.lease_token = w.lease_token
          and a.executor_id = v_executor.id
          and a.finished_at is null
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

comment on function public.heartbeat(uuid, jsonb, timestamptz) is
'Extends the live leases of the executor and answers one directive per lease: continue, cancel (cancellation requested or max run duration exceeded; reason says which) or lease_lost (the attempt was closed: stop and do not report).';

-- complete_run ------------------------------------------------------------------------------

create function public.complete_run(lease uuid, result jsonb default null, as_of timestamptz default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(complete_run.as_of, pg_catalog.now());
    v_attempt public.run_attempts;
    v_run public.runs;
begin
    perform private.assert_executor_role();
    if complete_run.result is not null and pg_catalog.jsonb_typeof(complete_run.result) <> 'object' then
        raise exception 'result must be a JSON object'
        using errcode = '22023',
        detail = pg_catalog.format('Got %s.', pg_catalog.jsonb_typeof(complete_run.result)),
        hint = 'Pass a summary object or omit it.';
    end if;
    v_attempt := private.lock_lease(complete_run.lease);
    if v_attempt.status = 'succeeded' then
        select r.* into v_run from public.runs as r where r.id = v_attempt.run_id;
        return private.lease_reply('duplicate', v_attempt, v_run);
    elsif not private.lease_is_live(v_attempt) then
        return private.reject_dead_lease(v_attempt, 'complete_run', v_as_of);
    elsif v_attempt.status = 'claimed' then
        raise exception 'attempt % was never started', v_attempt.id
        using errcode = 'PT422',
        detail = 'A run goes claimed -> running -> succeeded.',
        hint = 'Call start_run before complete_run.';
    end if;

    update public.run_attempts as a
    set status = 'succeeded', finished_at = v_as_of, result = complete_run.result
    where a.id = v_attempt.id
    returning a.* into v_attempt;
    v_run := private.transition_run(
        v_attempt.run_id, 'succeeded', 'executor:' || v_attempt.executor_id::text,
        pg_catalog.format('succeeded (attempt %s)', v_attempt.attempt_no), v_as_of
    );
    return private.lease_reply('accepted', v_attempt, v_run);
end
$$;

comment on function public.complete_run(uuid, jsonb, timestamptz) is
'Marks a running attempt and its run succeeded. A repeated call is a duplicate; a dead lease gets 409 PT409, changes nothing and is recorded as a lease.rejected event.';

-- fail_run ----------------------------------------------------------------------------------

create function public.fail_run(
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

comment on function public.fail_run(uuid, boolean, text, text, timestamptz) is
'Reports a failed attempt. Retryable with attempts left: the run is queued again after min(backoff_max, backoff_base * 2^(attempt-1)) plus jitter; otherwise failed. With a cancellation requested the run becomes cancelled. Dead lease: 409 PT409.';

-- confirm_cancel ----------------------------------------------------------------------------

create function public.confirm_cancel(lease uuid, message text default null, as_of timestamptz default null)
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

comment on function public.confirm_cancel(uuid, text, timestamptz) is
'The executor confirms that it stopped a run after the cancel directive: attempt and run become cancelled. Dead lease: 409 PT409.';

-- emit_events -------------------------------------------------------------------------------

create function public.emit_events(lease uuid, events jsonb, as_of timestamptz default null)
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

    select e.ordinality - 1 as idx, p.problem into v_problem
    from pg_catalog.jsonb_array_elements(emit_events.events) with ordinality as e (value, ordinality)
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(e.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(e.value -> 'type') is distinct from 'string'
                or e.value ->> 'type' !~ '^[a-z][a-z0-9_.-]{0,99}$'
                then 'type must be a lower-case dotted name of at most 100 characters'
            when e.value ? 'level' and coalesce(e.value ->> 'level', '')
                not in ('debug', 'info', 'warning', 'error', 'critical')
                then 'level must be debug, info, warning, error or critical'
            when e.value ? 'seq' and (pg_catalog.jsonb_typeof(e.value -> 'seq') <> 'number'
                or e.value ->> 'seq' !~ '^[0-9]{1,9}$')
                then 'seq must be a non-negative integer below 10^9'
            when e.value ? 'phase' and (pg_catalog.jsonb_typeof(e.value -> 'phase') <> 'string'
                or pg_catalog.char_length(e.value ->> 'phase') not between 1 and 200)
                then 'phase must be a string of 1 to 200 characters'
            when e.value ? 'message' and pg_catalog.jsonb_typeof(e.value -> 'message') not in ('string', 'null')
                then 'message must be a string'
            when pg_catalog.char_length(e.value ->> 'message') > 16384
                then 'message has more than 16384 characters'
            when e.value ? 'payload' and pg_catalog.jsonb_typeof(e.value -> 'payload') <> 'object'
                then 'payload must be an object'
            when pg_catalog.octet_length((e.value -> 'payload')::text) > 65536
                then 'payload is larger than 64 KiB'
            when e.value ? 'ts' and (pg_catalog.jsonb_typeof(e.value -> 'ts') <> 'string'
                or e.value ->> 'ts' !~ '^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}')
                then 'ts must be an ISO 8601 timestamp string'
        end as problem
    ) as p
    where p.problem is not null
    order by e.ordinality
    limit 1;
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

comment on function public.emit_events(uuid, jsonb, timestamptz) is
'Stores a batch of at most 1000 events of a live attempt in one statement ({type, level?, phase?, message?, payload?, ts?, seq?}); a re-sent (attempt, seq) is skipped. More than 1000: PT413. Dead lease: 409 PT409.';

-- Grants: executors only, by full signature --------------------------------------------------

revoke execute on function public.register_executor(text, jsonb, text, text, timestamptz)
from public, anon, authenticated, service_role;
revoke execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz)
from public, anon, authenticated, service_role;
revoke execute on function public.start_run(uuid, timestamptz) from public, anon, authenticated, service_role;
revoke execute on function public.heartbeat(uuid, jsonb, timestamptz) from public, anon, authenticated, service_role;
revoke execute on function public.complete_run(uuid, jsonb, timestamptz) from public, anon, authenticated, service_role;
revoke execute on function public.fail_run(uuid, boolean, text, text, timestamptz)
from public, anon, authenticated, service_role;
revoke execute on function public.confirm_cancel(uuid, text, timestamptz) from public, anon, authenticated, service_role;
revoke execute on function public.emit_events(uuid, jsonb, timestamptz) from public, anon, authenticated, service_role;

grant execute on function public.register_executor(text, jsonb, text, text, timestamptz) to controlroom_executor;
grant execute on function public.claim_runs(uuid, integer, text, jsonb, timestamptz) to controlroom_executor;
grant execute on function public.start_run(uuid, timestamptz) to controlroom_executor;
grant execute on function public.heartbeat(uuid, jsonb, timestamptz) to controlroom_executor;
grant execute on function public.complete_run(uuid, jsonb, timestamptz) to controlroom_executor;
grant execute on function public.fail_run(uuid, boolean, text, text, timestamptz) to controlroom_executor;
grant execute on function public.confirm_cancel(uuid, text, timestamptz) to controlroom_executor;
grant execute on function public.emit_events(uuid, jsonb, timestamptz) to controlroom_executor;
grant execute on function public.schema_version() to controlroom_executor;
