begin;
select plan(2);

select tests.seed('{"retries": {"max_attempts": 1}}');
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl', 0, now() - interval '2 hours')::text, true);
select tests.claim(tests.executor(tests.workspace_id()), now() - interval '1 hour');
select tests.reset_role();

select is((public.requeue_stale_runs() ->> 'failed')::integer, 1, 'the run with no attempts left is failed');
select results_eq(
    $$ select r.status, r.finished_at from public.runs as r where r.id = current_setting('t.run')::uuid $$,
    $$ values ('failed'::text, now()) $$,
    'it is terminal'
);

select * from finish();
rollback;
