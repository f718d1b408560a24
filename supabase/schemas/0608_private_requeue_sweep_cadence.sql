-- How often pg_cron's requeue job (0610) sweeps within its minute. pg_cron's floor is one minute
-- (1.4; Supabase's newer pg_cron has second schedules, but the job stays portable), so each run of
-- the job loops: sweep, commit, sleep `every`, for `sweep_for`, then ends before the next minute's
-- run. Operators tune it without a migration (`alter database … set controlroom.requeue_sweep_every
-- = '2s'`); tests set `controlroom.requeue_sweep_for = '0'` in their session to run one pass.

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
