-- Why: the lease rules were written twice. The single-run RPCs used private.lease_is_live,
-- private.reject_dead_lease and private.lease_reply, while complete_runs re-implemented all three
-- inline (its own closed-status lists, its own rejection message); claim_runs and complete_runs
-- wrote runs.status directly instead of through the transition path; requeue_stale_runs did both,
-- in one unbounded transaction. This migration gives every rule one home and makes the single-run
-- calls a batch of one over the set-based code (River's JobSetStateIfRunning calls
-- JobSetStateIfRunningMany):
--   * status sets: private.live_attempt_statuses(), private.terminal_run_statuses(),
--     private.active_run_statuses() (immutable, folded to constants when a statement is planned);
--   * input shape: private.is_uuid, private.first_lease_problem, private.first_completion_problem
--     (like private.first_event_problem);
--   * fencing: private.reject_dead_leases (set-based lease.rejected record) and
--     private.dead_lease_reply (the 409 body); reject_dead_lease is a batch of one over them;
--   * run status changes: private.transition_runs (set-based; transition_run is a batch of one),
--     used by claim_runs, complete_runs, requeue and every single-run RPC;
--   * completion: private.complete_attempts, shared by complete_run and complete_runs;
--   * maintenance: private.sweep_stale_runs works in bounded batches; pg_cron commits after each.
-- Behaviour, error codes and the API contract are unchanged, except one fix (issue: the same lease
-- in upper and lower case counted as two items of complete_runs and stored its events twice; it
-- is now refused as a repeated lease).

set lock_timeout = '5s';
set statement_timeout = '60s';

-- Status sets ---------------------------------------------------------------------------------

create function private.live_attempt_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['claimed', 'running']
$$;

comment on function private.live_attempt_statuses() is
'The statuses of an attempt whose lease may still write (claimed, running). Every other attempt status is closed for good (a dead lease).';

create function private.terminal_run_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['succeeded', 'failed', 'cancelled', 'timed_out']
$$;

comment on function private.terminal_run_statuses() is
'The terminal run statuses (succeeded, failed, cancelled, timed_out): a run in one of them never changes again.';

create function private.active_run_statuses()
returns text []
language sql
immutable
parallel safe
set search_path = ''
as $$
    select array['claimed', 'running']
$$;

comment on function private.active_run_statuses() is
'The run statuses in which a run holds a live attempt (claimed, running).';

create or replace function private.run_status_is_terminal(status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select run_status_is_terminal.status = any(private.terminal_run_statuses())
$$;

create or replace function private.lease_is_live(attempt public.run_attempts)
returns boolean
language sql
immutable
set search_path = ''
as $$
    select (lease_is_live.attempt).status = any(private.live_attempt_statuses())
$$;

-- Input shape ---------------------------------------------------------------------------------

create function private.is_uuid(value text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
    select is_uuid.value ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
$$;

comment on function private.is_uuid(text) is
'Whether a text is a uuid in its canonical 8-4-4-4-12 hex form (the shape of lease tokens and ids in JSON input).';

create function private.first_lease_problem(leases jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return query
    select (e.ordinality - 1)::integer, 'is not a lease token (uuid string)'::text
    from pg_catalog.jsonb_array_elements(first_lease_problem.leases) with ordinality as e (value, ordinality)
    where pg_catalog.jsonb_typeof(e.value) <> 'string' or not private.is_uuid(e.value #>> '{}')
    order by e.ordinality
    limit 1;
end
$$;

comment on function private.first_lease_problem(jsonb) is
'The first element of a JSON array of lease tokens that is not a uuid string (index from 0 and what is wrong), or no row: the rule of heartbeat.';

create function private.first_completion_problem(items jsonb)
returns table (idx integer, problem text)
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
begin
    return query
    select (i.ordinality - 1)::integer, p.problem
    from pg_catalog.jsonb_array_elements(first_completion_problem.items) with ordinality as i (value, ordinality)
    cross join lateral (
        select case
            when pg_catalog.jsonb_typeof(i.value) <> 'object' then 'is not an object'
            when pg_catalog.jsonb_typeof(i.value -> 'lease') is distinct from 'string'
                or not private.is_uuid(i.value ->> 'lease')
                then 'lease must be a lease token (uuid string)'
            when pg_catalog.jsonb_typeof(i.value -> 'result') not in ('object', 'null')
                then 'result must be a JSON object'
            when pg_catalog.jsonb_typeof(i.value -> 'events') not in ('array', 'null')
                then 'events must be a JSON array'
            -- GUARD: one lease twice in a batch, in any letter case, would store its events twice.
            when exists (
                select
                from pg_catalog.jsonb_array_elements(first_completion_problem.items)
                    with ordinality as o (value, ordinality)
                where o.ordinality < i.ordinality
                    and pg_catalog.lower(o.value ->> 'lease') = pg_catalog.lower(i.value ->> 'lease')
            ) then 'repeats the lease of an earlier item'
        end as problem
    ) as p
    where p.problem is not null
    order by i.ordinality
    limit 1;
end
$$;

comment on function private.first_completion_problem(jsonb) is
'The first invalid item of a complete_runs batch ({lease, result?, events?}; a lease at most once), index from 0 and what is wrong, or no row. Events are checked by private.first_event_problem.';

-- Fencing: dead leases ------------------------------------------------------------------------

create function private.dead_lease_message(attempt_no integer, run_id uuid, attempt_status text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
    select pg_catalog.format(
        'lease of attempt %s of run %s is no longer valid: the attempt is %s',
        dead_lease_message.attempt_no, dead_lease_message.run_id, dead_lease_message.attempt_status
    )
$$;

comment on function private.dead_lease_message(integer, uuid, text) is
'What a refused write with a dead lease is told, and what its lease.rejected event says.';

create function private.reject_dead_leases(attempt_ids uuid [], rpc text, as_of timestamptz)
returns void
language plpgsql
set search_path = ''
as $$
begin
    insert into public.run_events (
        run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
    )
    select a.run_id, a.id, a.workspace_id, 'system', 'lease.rejected', 'warning',
        reject_dead_leases.rpc || ' refused: ' || private.dead_lease_message(a.attempt_no, a.run_id, a.status),
        pg_catalog.jsonb_build_object(
            'rpc', reject_dead_leases.rpc,
            'attempt_no', a.attempt_no,
            'attempt_status', a.status,
            'run_status', r.status
        ),
        reject_dead_leases.as_of
    from public.run_attempts as a
    inner join public.runs as r on r.id = a.run_id
    where a.id = any(reject_dead_leases.attempt_ids)
    order by a.id;
end
$$;

comment on function private.reject_dead_leases(uuid [], text, timestamptz) is
'Fencing, set-based: records one lease.rejected event per attempt whose closed lease a call (rpc) tried to use. The caller has decided the leases are dead; nothing else changes.';

create function private.dead_lease_reply(attempt public.run_attempts, run_status text, rpc text)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
    -- PostgREST answers with this status and the returned body, so the lease.rejected event
    -- recorded in the same transaction commits (an exception would roll it back).
    perform pg_catalog.set_config('response.status', '409', true);
    return pg_catalog.jsonb_build_object(
        'outcome', 'rejected',
        'code', 'PT409',
        'message', private.dead_lease_message(
            (dead_lease_reply.attempt).attempt_no, (dead_lease_reply.attempt).run_id,
            (dead_lease_reply.attempt).status
        ),
        'details', pg_catalog.format('%s changed nothing; run %s is %s.',
            dead_lease_reply.rpc, (dead_lease_reply.attempt).run_id, dead_lease_reply.run_status),
        'hint', 'Stop working on this run: its lease was lost (requeued, timed out or finished). Do not retry.',
        'run_id', (dead_lease_reply.attempt).run_id,
        'attempt_id', (dead_lease_reply.attempt).id,
        'attempt_no', (dead_lease_reply.attempt).attempt_no,
        'attempt_status', (dead_lease_reply.attempt).status,
        'run_status', dead_lease_reply.run_status
    );
end
$$;

comment on function private.dead_lease_reply(public.run_attempts, text, text) is
'The answer of a single-run lease RPC to a dead lease: sets response.status 409 and returns a PostgREST-shaped error body (code PT409) with outcome rejected.';

create or replace function private.reject_dead_lease(attempt public.run_attempts, rpc text, as_of timestamptz)
returns jsonb
language plpgsql
set search_path = ''
as $$
begin
    perform private.reject_dead_leases(
        array[(reject_dead_lease.attempt).id], reject_dead_lease.rpc, reject_dead_lease.as_of
    );
    return private.dead_lease_reply(
        reject_dead_lease.attempt,
        (select r.status from public.runs as r where r.id = (reject_dead_lease.attempt).run_id),
        reject_dead_lease.rpc
    );
end
$$;

-- Run status changes: one set-based path --------------------------------------------------------

create type private.run_change as (
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    not_before timestamptz,
    deadline_at timestamptz
);

comment on type private.run_change is
'One requested run status change for private.transition_runs: the run, its new status, who and why, and (when queued again) not_before, (when first claimed) the deadline.';

create function private.transition_runs(changes private.run_change [], as_of timestamptz)
returns setof public.runs
language plpgsql
set search_path = ''
-- The runs are found by id (= any(array)); a plan cached while the table was nearly empty must
-- not keep a sequential scan as it grows (see 20261126070100).
set enable_seqscan = off
as $$
declare
    v_ids uuid[] := array(select c.run_id from pg_catalog.unnest(transition_runs.changes) as c);
begin
    -- The runs_after_update trigger checks every edge against private.run_status_edge_allowed and
    -- writes the audit rows, once per statement; entering claimed starts a new attempt.
    return query
    update public.runs as r
    set status = c.to_status,
        attempt_count = r.attempt_count + (c.to_status = 'claimed')::integer,
        first_claimed_at = case
            when c.to_status = 'claimed' then coalesce(r.first_claimed_at, transition_runs.as_of)
            else r.first_claimed_at
        end,
        deadline_at = coalesce(r.deadline_at, c.deadline_at),
        not_before = coalesce(c.not_before, r.not_before),
        finished_at = case when c.to_status = any(private.terminal_run_statuses()) then transition_runs.as_of end,
        status_changed_at = transition_runs.as_of,
        status_changed_by = c.actor,
        status_reason = c.reason,
        updated_at = transition_runs.as_of
    from pg_catalog.unnest(transition_runs.changes) as c
    where r.id = any(v_ids) and r.id = c.run_id
    returning r.*;
end
$$;

comment on function private.transition_runs(private.run_change [], timestamptz) is
'The one way a run''s status changes: moves each run of changes to its to_status in one statement (the trigger checks the edge and audits it) and returns the changed runs. Claimed starts a new attempt (attempt_count + 1, first_claimed_at, deadline_at); a terminal status sets finished_at.';

create or replace function private.transition_run(
    run_id uuid,
    to_status text,
    actor text,
    reason text,
    as_of timestamptz,
    not_before timestamptz default null
)
returns public.runs
language plpgsql
set search_path = ''
as $$
declare
    v_run public.runs;
begin
    select t.* into v_run
    from private.transition_runs(
        array[row(
            transition_run.run_id, transition_run.to_status, transition_run.actor, transition_run.reason,
            transition_run.not_before, null
        )::private.run_change],
        transition_run.as_of
    ) as t;
    if not found then
        raise exception 'run % does not exist', transition_run.run_id
        using errcode = 'PT404',
        detail = 'No run has this id.',
        hint = 'Check the run id.';
    end if;
    return v_run;
end
$$;

comment on function private.transition_run(uuid, text, text, text, timestamptz, timestamptz) is
'Moves one run to to_status: a batch of one over private.transition_runs (PT404 when the run does not exist).';

-- Completion: one path for complete_run and complete_runs ------------------------------------------

create function private.complete_attempts(items jsonb, rpc text, as_of timestamptz)
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
set search_path = ''
as $$
#variable_conflict use_column
declare
    v_leases uuid[];
    v_before_leases uuid[];
    v_before_status text[];
    v_dead uuid[];
    v_foreign boolean;
    v_event_attempts uuid[];
    v_event_counts integer[];
    v_changes private.run_change[];
begin
    -- The items were checked by the caller (private.first_completion_problem and
    -- private.first_event_problem). Every lookup below names its leases with = any(array): the
    -- planner then probes the lease_token index instead of scanning it against the parsed items.
    v_leases := array(
        select (i.value ->> 'lease')::uuid
        from pg_catalog.jsonb_array_elements(complete_attempts.items) as i (value)
    );

    -- GUARD: two batches completing overlapping attempts lock them in id order, so they never
    -- deadlock; the status each attempt had before this call decides its answer.
    select coalesce(pg_catalog.array_agg(l.lease_token), '{}'), coalesce(pg_catalog.array_agg(l.status), '{}'),
        coalesce(pg_catalog.array_agg(l.id) filter (
            where not l.status = any(private.live_attempt_statuses()) and l.status <> 'succeeded'
        ), '{}'),
        coalesce(pg_catalog.bool_or(l.foreign_lease), false)
    into v_before_leases, v_before_status, v_dead, v_foreign
    from (
        select a.id, a.lease_token, a.status,
            not exists (
                select from public.executors as x
                where x.id = a.executor_id and x.token_sub = (select auth.uid())
            ) as foreign_lease
        from public.run_attempts as a
        where a.lease_token = any(v_leases)
        order by a.id
        for no key update of a
    ) as l;
    if v_foreign then
        raise exception 'a lease belongs to another executor credential'
        using errcode = '42501',
        detail = 'Only the credential that claimed an attempt may use its lease. Nothing was changed.',
        hint = 'Use the leases returned by your own claim_runs calls.';
    end if;

    -- The last events of the attempts that are running, stored before they close. A dead lease's
    -- events are dropped with the rest of its write.
    if pg_catalog.jsonb_path_exists(complete_attempts.items, '$[*].events[0]') then
        begin
            with ins as (
                insert into public.run_events as ev (
                    run_id, attempt_id, workspace_id, seq, source, type, level, phase, message, payload, ts
                )
                select a.run_id, a.id, a.workspace_id, (e.value ->> 'seq')::integer,
                    'executor', e.value ->> 'type', coalesce(e.value ->> 'level', 'info'), e.value ->> 'phase',
                    e.value ->> 'message', coalesce(e.value -> 'payload', '{}'::jsonb),
                    coalesce((e.value ->> 'ts')::timestamptz, complete_attempts.as_of)
                from pg_catalog.jsonb_array_elements(complete_attempts.items) with ordinality as i (value, ordinality)
                inner join public.run_attempts as a
                    on a.lease_token = any(v_leases) and a.lease_token = (i.value ->> 'lease')::uuid
                cross join lateral pg_catalog.jsonb_array_elements(
                    case when pg_catalog.jsonb_typeof(i.value -> 'events') = 'array' then i.value -> 'events' else '[]' end
                ) with ordinality as e (value, ordinality)
                where a.status = 'running'
                order by i.ordinality, e.ordinality
                on conflict on constraint run_events_attempt_id_seq_key do nothing
                returning ev.attempt_id
            )
            select coalesce(pg_catalog.array_agg(c.attempt_id), '{}'), coalesce(pg_catalog.array_agg(c.n), '{}')
            into v_event_attempts, v_event_counts
            from (select ins.attempt_id, pg_catalog.count(*)::integer as n from ins group by ins.attempt_id) as c;
        exception
            when invalid_datetime_format or datetime_field_overflow then
                raise exception 'an event has an invalid ts'
                using errcode = '22023',
                detail = 'ts must be an ISO 8601 timestamp. Nothing of this batch was changed.',
                hint = 'Send timestamps like 2026-11-26T03:00:00Z.';
        end;
    end if;

    -- GUARD: only a running attempt completes; a succeeded one is a duplicate (changes nothing),
    -- a claimed one was never started, a closed one is a dead lease.
    with done as (
        update public.run_attempts as a
        set status = 'succeeded', finished_at = complete_attempts.as_of,
            result = nullif(i.value -> 'result', 'null'::jsonb)
        from pg_catalog.jsonb_array_elements(complete_attempts.items) as i (value)
        where a.lease_token = any(v_leases) and a.lease_token = (i.value ->> 'lease')::uuid and a.status = 'running'
        returning a.run_id, a.attempt_no, a.executor_id
    )
    select pg_catalog.array_agg(row(
        d.run_id, 'succeeded', 'executor:' || d.executor_id::text,
        pg_catalog.format('succeeded (attempt %s)', d.attempt_no), null, null
    )::private.run_change)
    into v_changes
    from done as d;
    if v_changes is not null then
        perform private.transition_runs(v_changes, complete_attempts.as_of);
    end if;

    -- Fencing: each dead lease is recorded (skipped, not run empty, when there is none).
    if pg_catalog.cardinality(v_dead) > 0 then
        perform private.reject_dead_leases(v_dead, complete_attempts.rpc, complete_attempts.as_of);
    end if;

    return query
    select (i.ordinality - 1)::integer,
        (i.value ->> 'lease')::uuid,
        case
            when a.id is null then 'not_found'
            when b.status = 'running' then 'accepted'
            when b.status = 'succeeded' then 'duplicate'
            when b.status = 'claimed' then 'not_started'
            else 'rejected'
        end,
        case
            when a.id is null then 'PT404'
            when b.status in ('running', 'succeeded') then null
            when b.status = 'claimed' then 'PT422'
            else 'PT409'
        end,
        case
            when a.id is null then 'no attempt holds this lease'
            when b.status in ('running', 'succeeded') then null
            when b.status = 'claimed' then 'attempt was never started: call start_run first'
            else pg_catalog.format('lease is no longer valid: the attempt is %s; stop working on this run', a.status)
        end,
        a.run_id, a.id, a.attempt_no, a.status, r.status,
        case when b.status = 'running' then coalesce(ev.n, 0) else 0 end
    from pg_catalog.jsonb_array_elements(complete_attempts.items) with ordinality as i (value, ordinality)
    left join public.run_attempts as a
        on a.lease_token = any(v_before_leases) and a.lease_token = (i.value ->> 'lease')::uuid
    left join public.runs as r on r.id = a.run_id
    left join rows from (pg_catalog.unnest(v_before_leases), pg_catalog.unnest(v_before_status)) as b (lease_token, status)
        on b.lease_token = a.lease_token
    left join rows from (pg_catalog.unnest(v_event_attempts), pg_catalog.unnest(v_event_counts)) as ev (attempt_id, n)
        on ev.attempt_id = a.id
    order by i.ordinality;
end
$$;

comment on function private.complete_attempts(jsonb, text, timestamptz) is
'Completes the attempts of checked completion items of the caller''s credential (events first, then attempt and run succeeded) and answers per item: accepted | duplicate | not_started (PT422) | rejected (PT409, recorded as lease.rejected by rpc) | not_found (PT404). The one completion path of complete_run and complete_runs.';

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

-- Claim: through the transition path ------------------------------------------------------------

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

-- Heartbeat: the shared lease rules -----------------------------------------------------------

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

-- Cancel: the shared status set ---------------------------------------------------------------

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

-- Maintenance: stale leases and overdue runs, in bounded batches ---------------------------------

create function private.sweep_stale_runs(as_of timestamptz, workspace_id uuid, max_leases integer)
returns jsonb
language plpgsql
set search_path = ''
as $$
declare
    v_changes private.run_change[];
    v_timed_out integer;
    v_requeued integer;
    v_failed integer;
    v_cancelled integer;
begin
    -- Runs past their maximum duration: attempt and run end as timed_out.
    -- GUARD: SKIP LOCKED passes over runs that a concurrent sweep or their executor holds; a
    -- later sweep sees them again if they are still overdue.
    with overdue as (
        select a.id as attempt_id, a.run_id, a.attempt_no, a.workspace_id, r.deadline_at
        from public.runs as r
        inner join public.run_attempts as a on a.run_id = r.id
        where r.status = any(private.active_run_statuses())
          and a.status = any(private.live_attempt_statuses())
          and r.deadline_at is not null
          and r.deadline_at < sweep_stale_runs.as_of
          and (sweep_stale_runs.workspace_id is null or r.workspace_id = sweep_stale_runs.workspace_id)
        order by r.deadline_at
        limit sweep_stale_runs.max_leases
        for update of r, a skip locked
    ),
    closed as (
        update public.run_attempts as a
        set status = 'timed_out', finished_at = sweep_stale_runs.as_of, error_class = 'max_run_duration',
            error_message = 'the run exceeded the maximum run duration of its spec'
        from overdue as o
        where a.id = o.attempt_id
        returning a.id
    ),
    noted as (
        insert into public.run_events (run_id, attempt_id, workspace_id, source, type, level, message, ts)
        select o.run_id, o.attempt_id, o.workspace_id, 'system', 'run.timed_out', 'error',
            pg_catalog.format('attempt %s timed out: maximum run duration exceeded', o.attempt_no),
            sweep_stale_runs.as_of
        from overdue as o
        returning 1
    )
    select pg_catalog.array_agg(row(
        o.run_id, 'timed_out', 'system:requeue',
        pg_catalog.format('max run duration exceeded (deadline %s)', o.deadline_at), null, null
    )::private.run_change),
        pg_catalog.count(*)::integer
    into v_changes, v_timed_out
    from overdue as o;
    if v_timed_out > 0 then
        perform private.transition_runs(v_changes, sweep_stale_runs.as_of);
    end if;

    -- Stale leases: the attempt is lost; the run is requeued (with backoff), failed (attempts
    -- exhausted) or cancelled (cancellation was asked).
    with stale as (
        select a.id as attempt_id, a.run_id, a.attempt_no, a.workspace_id, a.heartbeat_at,
            r.cancel_requested_at is not null as cancel_requested,
            a.attempt_no >= s.max_attempts as exhausted,
            s.max_attempts,
            private.retry_delay(a.attempt_no, s.backoff_base, s.backoff_max) as delay,
            s.backoff_jitter
        from public.run_attempts as a
        inner join public.runs as r on r.id = a.run_id
        inner join public.pipeline_specs as s on s.id = r.spec_id
        where a.status = any(private.live_attempt_statuses())
          and a.lease_expires_at < sweep_stale_runs.as_of
          and (sweep_stale_runs.workspace_id is null or a.workspace_id = sweep_stale_runs.workspace_id)
        order by a.lease_expires_at
        limit sweep_stale_runs.max_leases
        for update of a, r skip locked
    ),
    decided as materialized (
        select st.*,
            case
                when st.cancel_requested then 'cancelled'
                when st.exhausted then 'failed'
                else 'queued'
            end as to_status,
            case
                when not st.cancel_requested and not st.exhausted
                    then private.retry_jitter(st.backoff_jitter)
            end as jitter
        from stale as st
    ),
    closed as (
        update public.run_attempts as a
        set status = 'lost',
            finished_at = sweep_stale_runs.as_of,
            error_class = 'lease_lost',
            error_message = pg_catalog.format('no heartbeat since %s', d.heartbeat_at),
            retry_delay = case when d.to_status = 'queued' then d.delay end,
            retry_jitter = d.jitter
        from decided as d
        where a.id = d.attempt_id
        returning a.id
    ),
    noted as (
        insert into public.run_events (
            run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
        )
        select d.run_id, d.attempt_id, d.workspace_id, 'system', 'attempt.lost', 'warning',
            pg_catalog.format('attempt %s lost its lease (no heartbeat since %s); run %s',
                d.attempt_no, d.heartbeat_at, d.to_status),
            pg_catalog.jsonb_build_object('to_status', d.to_status, 'attempt_no', d.attempt_no),
            sweep_stale_runs.as_of
        from decided as d
        returning 1
    )
    select pg_catalog.array_agg(row(
        d.run_id, d.to_status, 'system:requeue',
        case d.to_status
            when 'cancelled' then pg_catalog.format(
                'cancelled: lease of attempt %s went stale after the cancellation request', d.attempt_no
            )
            when 'failed' then pg_catalog.format(
                'retries exhausted: lease of attempt %s of %s went stale', d.attempt_no, d.max_attempts
            )
            else pg_catalog.format(
                'requeued: lease of attempt %s of %s went stale; retry after %s',
                d.attempt_no, d.max_attempts, d.delay + d.jitter
            )
        end,
        case when d.to_status = 'queued' then sweep_stale_runs.as_of + d.delay + d.jitter end,
        null
    )::private.run_change),
        pg_catalog.count(*) filter (where d.to_status = 'queued')::integer,
        pg_catalog.count(*) filter (where d.to_status = 'failed')::integer,
        pg_catalog.count(*) filter (where d.to_status = 'cancelled')::integer
    into v_changes, v_requeued, v_failed, v_cancelled
    from decided as d;
    if v_changes is not null then
        perform private.transition_runs(v_changes, sweep_stale_runs.as_of);
    end if;

    return pg_catalog.jsonb_build_object(
        'requeued', v_requeued,
        'failed', v_failed,
        'cancelled', v_cancelled,
        'timed_out', v_timed_out,
        'more', greatest(v_timed_out, v_requeued + v_failed + v_cancelled) >= sweep_stale_runs.max_leases
    );
end
$$;

comment on function private.sweep_stale_runs(timestamptz, uuid, integer) is
'One bounded batch of the requeue sweep: times out at most max_leases attempts of runs past their maximum duration, then closes at most max_leases attempts whose lease expired as lost and requeues (with backoff), fails or cancels their runs. SKIP LOCKED. Returns counts and more = true when a limit was reached (sweep again).';

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

-- pg_cron sweeps every minute, one bounded batch per transaction: a DO block, not a procedure,
-- because a procedure that commits cannot pin its search_path. Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    $job$do $sweep$
begin
    while (private.sweep_stale_runs(pg_catalog.now(), null, 1000) ->> 'more')::boolean loop
        commit;
    end loop;
end
$sweep$$job$
);
