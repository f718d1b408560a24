begin;
select plan(2);

-- SETUP
select tests.seed('{"caps": {"max_duration_seconds": 60}}');
select * from tests.running_attempt(now() - interval '2 minutes') \gset
select tests.reset_role();

-- TEST: a run past its max duration times out, with its attempt
select is((public.requeue_stale_runs(null, tests.workspace_id()) ->> 'timed_out')::integer, 1, 'a run past its max duration is timed out');
select results_eq(
    format(
        $$
        select r.status, a.status, a.error_class
        from public.runs as r inner join public.run_attempts as a on r.id = a.run_id
        where r.id = %L
        $$,
        :'run_id'
    ),
    $$ values ('timed_out'::text, 'timed_out'::text, 'max_run_duration'::text) $$,
    'run and attempt end as timed_out'
);

select * from finish();
rollback;
