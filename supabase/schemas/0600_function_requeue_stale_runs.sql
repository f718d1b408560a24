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
    v_as_of timestamptz := private.clock(requeue_stale_runs.as_of);
    v_batch jsonb;
    v_requeued integer := 0;
    v_failed integer := 0;
    v_cancelled integer := 0;
    v_timed_out integer := 0;
begin
    if not private.caller_is_service_or_owner() then
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

comment on function public.requeue_stale_runs(timestamptz, uuid) is
'Closes attempts whose lease expired (heartbeat older than the spec''s tolerance) as lost and requeues their runs with backoff, or fails them when attempts are exhausted, or cancels them when cancellation was requested; times out runs past their max run duration. Concurrency-safe (SKIP LOCKED). With workspace_id, only that workspace''s runs (an operator''s targeted sweep; pg_cron sweeps all). Returns counts.';

revoke execute on function public.requeue_stale_runs(timestamptz, uuid) from public, anon, authenticated;
grant execute on function public.requeue_stale_runs(timestamptz, uuid) to service_role;
