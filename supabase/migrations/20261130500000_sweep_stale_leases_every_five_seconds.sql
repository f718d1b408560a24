-- Why: pg_cron's floor is one minute, so a dead executor's runs waited up to a minute past their
-- lease tolerance for the requeue sweep (kill -9 → claimed again: median 73 s, p95 85 s with a
-- 30 s tolerance, issue 17). The job now sweeps every 5 s within its minute (bounded, one batch per
-- transaction, never two runs at once), paced by private.requeue_sweep_cadence (settings
-- controlroom.requeue_sweep_every / controlroom.requeue_sweep_for). The sweep's rules
-- (private.sweep_stale_runs) are unchanged.

set lock_timeout = '5s';
set statement_timeout = '60s';

create function private.requeue_sweep_cadence(out every interval, out sweep_for interval)
language plpgsql
stable
set search_path = ''
as $$
declare
    v_every text := pg_catalog.current_setting('controlroom.requeue_sweep_every', true);
    v_for text := pg_catalog.current_setting('controlroom.requeue_sweep_for', true);
begin
    every := interval '5 seconds';
    sweep_for := interval '55 seconds';
    -- GUARD: a mistyped setting must not stop the sweep (the job would fail every minute and no
    -- lease would ever be requeued): it is reported and the default is used.
    begin
        if coalesce(v_every, '') <> '' then
            every := greatest(interval '1 second', least(v_every::interval, interval '60 seconds'));
        end if;
        if coalesce(v_for, '') <> '' then
            -- At most 55 s: the run ends before pg_cron's next one is due, leaving room for the
            -- last sweep.
            sweep_for := greatest(interval '0', least(v_for::interval, interval '55 seconds'));
        end if;
    exception when invalid_datetime_format or datetime_field_overflow or invalid_parameter_value then
        raise warning 'controlroom.requeue_sweep_every = %, controlroom.requeue_sweep_for = %: not intervals',
            v_every, v_for
        using detail = 'The requeue sweep runs every 5 seconds for 55 seconds of each minute instead.',
        hint = 'Set both to intervals such as ''5s'' and ''55s'', or reset them.';
        every := interval '5 seconds';
        sweep_for := interval '55 seconds';
    end;
end
$$;

comment on function private.requeue_sweep_cadence() is
'How pg_cron''s requeue job paces itself within its minute: sweep every `every` (controlroom.requeue_sweep_every, default 5 s, 1-60 s) for `sweep_for` (controlroom.requeue_sweep_for, default 55 s, 0-55 s). A setting that is not an interval is reported with a warning and the default used.';

-- pg_cron starts the job every minute; the job sweeps every few seconds within its minute
-- (private.requeue_sweep_cadence, 0608), one bounded batch per transaction: a DO block, not a
-- procedure, because a procedure that commits cannot pin its search_path. pg_cron never runs two
-- instances of one job at once: a run that overruns its minute delays the next one, which then
-- starts at once. The first sweep of a run catches up with everything that went stale meanwhile
-- (after a Postgres restart: everything since the outage began), batch after batch. Each sweep
-- reads the clock after the sleep (commit first), so it never judges leases by a stale now().
-- Rescheduled idempotently.
select cron.unschedule(j.jobid)
from cron.job as j
where j.jobname = 'controlroom_requeue_stale_runs';

select cron.schedule(
    'controlroom_requeue_stale_runs',
    '* * * * *',
    $job$do $sweep$
declare
    v_every interval;
    v_until timestamptz;
begin
    select c.every, pg_catalog.clock_timestamp() + c.sweep_for into v_every, v_until
    from private.requeue_sweep_cadence() as c;
    loop
        while (private.sweep_stale_runs(pg_catalog.now(), null, 1000) ->> 'more')::boolean loop
            commit;
        end loop;
        commit;
        exit when pg_catalog.clock_timestamp() >= v_until;
        perform pg_catalog.pg_sleep(
            extract(epoch from least(v_every, v_until - pg_catalog.clock_timestamp()))::double precision
        );
        commit;
    end loop;
end
$sweep$$job$
);
