-- Why: the requeue sweep now runs every 5 s (20261130500000), so its idle pass must be cheap. Its
-- stale-lease step read every attempt (a sequential scan: 26 ms with 10,000 live leases among
-- 100,000 runs) because the partial index run_attempts_live_lease_expires_at_idx is defined
-- `where finished_at is null`, which the planner cannot derive from the status test. The step now
-- also says `finished_at is null` — the same rows, by check run_attempts_finished_iff_closed — and
-- reads the index. No rule changes.

set lock_timeout = '5s';
set statement_timeout = '60s';

create or replace function private.sweep_stale_runs(as_of timestamptz, workspace_id uuid, max_leases integer)
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
          -- Implied by the status (check run_attempts_finished_iff_closed); said here so the
          -- planner reads the partial index run_attempts_live_lease_expires_at_idx instead of
          -- every attempt: an idle sweep runs every 5 s (0610).
          and a.finished_at is null
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
