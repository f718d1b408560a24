begin;
select plan(6);

-- TEST: without settings the job sweeps every 5 s for 55 s of its minute
select results_eq(
    $$ select c.every, c.sweep_for from private.requeue_sweep_cadence() as c $$,
    $$ values (interval '5 seconds', interval '55 seconds') $$,
    'default cadence: every 5 s for 55 s'
);

-- TEST: the settings change it (a test runs one pass with sweep_for = 0)
select set_config('controlroom.requeue_sweep_every', '2s', true);
select set_config('controlroom.requeue_sweep_for', '0', true);
select results_eq(
    $$ select c.every, c.sweep_for from private.requeue_sweep_cadence() as c $$,
    $$ values (interval '2 seconds', interval '0') $$,
    'controlroom.requeue_sweep_every and controlroom.requeue_sweep_for set the cadence'
);

-- TEST: out-of-range settings are clamped so a run never outlasts its minute nor spins
select set_config('controlroom.requeue_sweep_every', '0', true);
select set_config('controlroom.requeue_sweep_for', '10 minutes', true);
select results_eq(
    $$ select c.every, c.sweep_for from private.requeue_sweep_cadence() as c $$,
    $$ values (interval '1 second', interval '55 seconds') $$,
    'every is at least 1 s; sweep_for at most 55 s'
);
select set_config('controlroom.requeue_sweep_every', '5 minutes', true);
select set_config('controlroom.requeue_sweep_for', '-3 seconds', true);
select results_eq(
    $$ select c.every, c.sweep_for from private.requeue_sweep_cadence() as c $$,
    $$ values (interval '60 seconds', interval '0') $$,
    'every is at most 60 s; sweep_for at least 0'
);

-- TEST: a mistyped setting never stops the sweep: a warning, and the defaults
select set_config('controlroom.requeue_sweep_every', 'often', true);
select set_config('controlroom.requeue_sweep_for', '20s', true);
select results_eq(
    $$ select c.every, c.sweep_for from private.requeue_sweep_cadence() as c $$,
    $$ values (interval '5 seconds', interval '55 seconds') $$,
    'a setting that is not an interval falls back to the defaults'
);
select is(
    (select pg_catalog.has_function_privilege('anon', 'private.requeue_sweep_cadence()', 'execute')),
    false,
    'API roles cannot call it'
);

select * from finish();
rollback;
