begin;
select plan(2);

select tests.seed('{"caps": {"max_duration_seconds": 60}}');
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()), now() - interval '2 minutes')::text, true);
select public.start_run(current_setting('t.lease')::uuid, now() - interval '2 minutes');
select tests.reset_role();

select is((public.requeue_stale_runs() ->> 'timed_out')::integer, 1, 'a run past its max duration is timed out');
select results_eq(
    $$
    select r.status, a.status, a.error_class
    from public.runs as r inner join public.run_attempts as a on r.id = a.run_id
    where r.id = current_setting('t.run')::uuid
    $$,
    $$ values ('timed_out'::text, 'timed_out'::text, 'max_run_duration'::text) $$,
    'run and attempt end as timed_out'
);

select * from finish();
rollback;
