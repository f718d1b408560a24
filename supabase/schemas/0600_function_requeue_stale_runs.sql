-- Why: executors die without saying so (kill -9, node loss, partitions). A lease whose
-- heartbeat is older than the spec's tolerance is closed as lost and its run requeued with
-- backoff (or failed when attempts are exhausted, or cancelled when cancellation was asked),
-- and runs past their maximum duration are timed out. pg_cron runs this every minute, so it
-- works with zero live executors; SKIP LOCKED makes concurrent runs safe and disjoint.
-- With workspace_id it sweeps one workspace only (an operator's targeted sweep after an incident
-- in one tenant, or tests that share one database); pg_cron's call names none and sweeps all.

create function public.requeue_stale_runs(as_of timestamptz default null, workspace_id uuid default null)
returns jsonb
language plpgsql
security definer
set search_path = ''
as $$
declare
    v_as_of timestamptz := coalesce(requeue_stale_runs.as_of, pg_catalog.now());
    v_timed_out bigint;
    v_summary jsonb;
begin
    if not private.caller_is_admin() then
        raise exception 'only the service role and pg_cron requeue stale runs'
        using errcode = '42501',
        detail = pg_catalog.format('The caller''s role is %s.', private.caller_role()),
        hint = 'pg_cron job controlroom_requeue_stale_runs calls it every minute.';
    end if;

    -- Runs past their maximum duration: attempt and run end as timed_out.
    with overdue as (
        select a.id as attempt_id, a.run_id, a.attempt_no, a.workspace_id
        from public.runs as r
        inner join public.run_attempts as a on a.run_id = r.id and a.finished_at is null
        where r.status in ('claimed', 'running')
          and r.deadline_at is not null
          and r.deadline_at < v_as_of
          and (requeue_stale_runs.workspace_id is null or r.workspace_id = requeue_stale_runs.workspace_id)
        for update of r, a skip locked
    ),
    closed as (
        update public.run_attempts as a
        set status = 'timed_out', finished_at = v_as_of, error_class = 'max_run_duration',
            error_message = 'the run exceeded the maximum run duration of its spec'
        from overdue as o
        where a.id = o.attempt_id
        returning a.id
    ),
    moved as (
        update public.runs as r
        set status = 'timed_out',
            finished_at = v_as_of,
            status_changed_at = v_as_of,
            status_changed_by = 'system:requeue',
            status_reason = pg_catalog.format('max run duration exceeded (deadline %s)', r.deadline_at),
            updated_at = v_as_of
        from overdue as o
        where r.id = o.run_id
        returning r.id
    ),
    noted as (
        insert into public.run_events (run_id, attempt_id, workspace_id, source, type, level, message, ts)
        select o.run_id, o.attempt_id, o.workspace_id, 'system', 'run.timed_out', 'error',
            pg_catalog.format('attempt %s timed out: maximum run duration exceeded', o.attempt_no), v_as_of
        from overdue as o
        returning 1
    )
    select pg_catalog.count(*) into v_timed_out from moved;

    -- Stale leases: the attempt is lost; the run is requeued, failed or cancelled.
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
        where a.finished_at is null
          and a.lease_expires_at < v_as_of
          and (requeue_stale_runs.workspace_id is null or a.workspace_id = requeue_stale_runs.workspace_id)
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
            finished_at = v_as_of,
            error_class = 'lease_lost',
            error_message = pg_catalog.format('no heartbeat since %s', d.heartbeat_at),
            retry_delay = case when d.to_status = 'queued' then d.delay end,
            retry_jitter = d.jitter
        from decided as d
        where a.id = d.attempt_id
        returning a.id
    ),
    moved as (
        update public.runs as r
        set status = d.to_status,
            not_before = case when d.to_status = 'queued' then v_as_of + d.delay + d.jitter else r.not_before end,
            finished_at = case when d.to_status <> 'queued' then v_as_of end,
            status_changed_at = v_as_of,
            status_changed_by = 'system:requeue',
            status_reason = case d.to_status
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
            updated_at = v_as_of
        from decided as d
        where r.id = d.run_id
        returning r.id
    ),
    noted as (
        insert into public.run_events (
            run_id, attempt_id, workspace_id, source, type, level, message, payload, ts
        )
        select d.run_id, d.attempt_id, d.workspace_id, 'system', 'attempt.lost', 'warning',
            pg_catalog.format('attempt %s lost its lease (no heartbeat since %s); run %s',
                d.attempt_no, d.heartbeat_at, d.to_status),
            pg_catalog.jsonb_build_object('to_status', d.to_status, 'attempt_no', d.attempt_no),
            v_as_of
        from decided as d
        returning 1
    )
    select pg_catalog.jsonb_build_object(
        'as_of', v_as_of,
        'requeued', pg_catalog.count(*) filter (where d.to_status = 'queued'),
        'failed', pg_catalog.count(*) filter (where d.to_status = 'failed'),
        'cancelled', pg_catalog.count(*) filter (where d.to_status = 'cancelled'),
        'timed_out', v_timed_out,
        'closed_attempts', (select pg_catalog.count(*) from closed) + v_timed_out,
        'moved_runs', (select pg_catalog.count(*) from moved) + v_timed_out
    ) into v_summary
    from decided as d;
    return v_summary;
end
$$;

comment on function public.requeue_stale_runs(timestamptz, uuid) is
'Closes attempts whose lease expired (heartbeat older than the spec''s tolerance) as lost and requeues their runs with backoff, or fails them when attempts are exhausted, or cancels them when cancellation was requested; times out runs past their max run duration. Concurrency-safe (SKIP LOCKED). With workspace_id, only that workspace''s runs (an operator''s targeted sweep; pg_cron sweeps all). Returns counts.';

revoke execute on function public.requeue_stale_runs(timestamptz, uuid) from public, anon, authenticated;
grant execute on function public.requeue_stale_runs(timestamptz, uuid) to service_role;
