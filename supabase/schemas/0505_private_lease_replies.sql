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
    select (lease_is_live.attempt).status = any(private.live_attempt_statuses())
$$;

comment on function private.lease_is_live(public.run_attempts) is
'Whether an attempt is live (claimed or running), i.e. its lease may still write.';

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
