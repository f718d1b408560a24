begin;
select plan(5);

-- SETUP
select j.command as job from cron.job as j where j.jobname = 'controlroom_requeue_stale_runs' \gset

-- TEST: the minutely job loops within its minute, paced by private.requeue_sweep_cadence
select matches(
    :'job'::text,
    'from private\.requeue_sweep_cadence\(\)',
    'the job takes its cadence from private.requeue_sweep_cadence'
);
select matches(
    :'job'::text,
    'loop\s+while \(private\.sweep_stale_runs\(pg_catalog\.now\(\), null, 1000\) ->> ''more''\)::boolean loop\s+commit;\s+end loop;\s+commit;',
    'each pass sweeps every workspace in bounded batches, committing after each'
);
select matches(
    :'job'::text,
    'exit when pg_catalog\.clock_timestamp\(\) >= v_until;\s+v_next := least\(pg_catalog\.clock_timestamp\(\) \+ v_every, v_until\);',
    'the loop ends when its time is up and sleeps until the next pass between passes'
);
select matches(
    :'job'::text,
    'while pg_catalog\.clock_timestamp\(\) < v_next loop\s+perform pg_catalog\.pg_sleep\(\s+least\(0\.2, ',
    'it sleeps in slices of at most 0.2 s, so no statement holds a snapshot for long'
);
select matches(
    :'job'::text,
    'pg_sleep\([^;]*\);\s+commit;\s+end loop;',
    'after the sleep it commits, so the next pass reads a fresh now()'
);

select * from finish();
rollback;
