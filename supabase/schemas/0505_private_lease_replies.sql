-- Executors are untrusted, stateless and may be zombies (paused, partitioned, killed and
-- restarted). Every write they make goes through the executor RPCs and carries the attempt's lease
-- token, so the database alone decides whether the write still counts (fencing). A write with a
-- dead lease changes nothing and is answered with HTTP 409 (PT409); the rejection is recorded as
-- a run event in the same, committed, transaction (see docs/architecture.md, "Control plane").

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
